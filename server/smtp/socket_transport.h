// SocketConnector: the production Connector: TCP over non-blocking sockets with poll() enforcing
// every per-call deadline, and an OpenSSL 3 TLS client for STARTTLS (RFC 3207) and implicit TLS
// (RFC 8314).
//
//   SocketConnector connector;
//   TlsOptions tls;                        // verify_peer = true, system CA store
//   tls.server_name = "mx.example.com";    // SNI and the name the certificate must carry
//   KIRIM_ASSIGN_OR_RETURN(auto conn, connector.Connect("mx.example.com", 465,
//                                                       absl::Seconds(30), &tls));
//
// Behaviour worth knowing:
//  - Names are resolved with getaddrinfo() (IPv4 and IPv6, numeric or not); each address is
//    tried in order until one connects. getaddrinfo() has no deadline of its own, so the delivery
//    path is expected to pass addresses from Kirim's own resolver; names work for tests and
//    relays.
//  - TLS: at least TLS 1.2 (RFC 8996 retired 1.0/1.1). With verify_peer the chain is checked
//    against `ca_file` or the system default paths and the host name with
//    X509_VERIFY_PARAM_set1_host (RFC 6125, no partial wildcards); a failure is kUnavailable and
//    quotes OpenSSL's verify error string (e.g. "self-signed certificate"). SNI is sent unless
//    the name is an IP literal, which RFC 6066 §3 forbids.
//  - OpenSSL works on memory BIOs and this class moves the bytes, so every TLS operation obeys
//    the same poll() deadline as plaintext, and writes use MSG_NOSIGNAL: a peer that resets the
//    connection yields kUnavailable instead of SIGPIPE killing the process.
//  - ReadLine() returns lines of up to kMaxLineLength octets; a longer line is kUnavailable
//    (the peer is not speaking SMTP).
//
// Deadlines are measured on the monotonic clock (std::chrono::steady_clock): a wall clock that
// jumps would cut a timeout short or stretch it. This class is the real-I/O side of the seam, so
// reading real time here is intended; tests of SMTP logic use FakeConnection instead.
#ifndef KIRIM_SERVER_SMTP_SOCKET_TRANSPORT_H_
#define KIRIM_SERVER_SMTP_SOCKET_TRANSPORT_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "server/smtp/transport.h"

namespace kirim::smtp {

class SocketConnector final : public Connector {
 public:
  static constexpr size_t kMaxLineLength = 64 * 1024;

  absl::StatusOr<std::unique_ptr<Connection>> Connect(const std::string& host, int port,
                                                      absl::Duration timeout,
                                                      const TlsOptions* implicit_tls) override;
};

}  // namespace kirim::smtp

#endif  // KIRIM_SERVER_SMTP_SOCKET_TRANSPORT_H_
