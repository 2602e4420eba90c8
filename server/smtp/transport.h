// The SMTP transport seam: a byte stream to one remote host (Connection) and the factory that
// opens one (Connector). The SMTP client speaks only to these interfaces, so unit tests script
// the server through a fake (tests/smtp/fake_connection.h) and production wires
// SocketConnector (server/smtp/socket_transport.h).
//
//   SocketConnector connector;
//   KIRIM_ASSIGN_OR_RETURN(std::unique_ptr<Connection> conn,
//                          connector.Connect("mx.example.com", 25, absl::Seconds(30), nullptr));
//   KIRIM_ASSIGN_OR_RETURN(std::string greeting, conn->ReadLine(absl::Minutes(5)));
//   KIRIM_RETURN_IF_ERROR(conn->Write("EHLO kirim.example\r\n", absl::Minutes(5)));
//
// Every call carries its own timeout because RFC 5321 §4.5.3.2 gives each SMTP phase its own
// limit; the transport never imposes one of its own.
//
// Status codes: kDeadlineExceeded when a timeout expired, kUnavailable for network and TLS
// failures (refused, reset, closed by the peer, handshake or certificate errors), both of which
// callers treat as transient; kFailedPrecondition when the call makes no sense in the current
// state (StartTls twice); kInvalidArgument for a bad host or port.
#ifndef KIRIM_SERVER_SMTP_TRANSPORT_H_
#define KIRIM_SERVER_SMTP_TRANSPORT_H_

#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace kirim::smtp {

struct TlsOptions {
  // Verify the certificate chain and the host name. Off only for opportunistic TLS (RFC 7435),
  // where an unauthenticated encrypted channel still beats plaintext.
  bool verify_peer = true;
  // PEM file of trusted CAs; empty = the system default store.
  std::string ca_file;
  // Name sent as SNI (RFC 6066 §3) and matched against the certificate (RFC 6125). Empty = the
  // host passed to Connect(), so a caller cannot disable the name check by forgetting it.
  std::string server_name;
};

// One byte stream (TCP, possibly upgraded to TLS). Not thread-safe: one SMTP session at a time
// owns it. Destroying it closes the stream.
class Connection {
 public:
  virtual ~Connection() = default;

  // Writes all of `data` or fails. The data never appears in error messages (it may carry AUTH
  // credentials).
  virtual absl::Status Write(absl::string_view data, absl::Duration timeout) = 0;

  // Returns the next line without its line terminator (CRLF; a bare LF is tolerated on input).
  // kDeadlineExceeded when no complete line arrived in time, kUnavailable on EOF or reset.
  virtual absl::StatusOr<std::string> ReadLine(absl::Duration timeout) = 0;

  // Client-side TLS handshake on the existing stream (RFC 3207 STARTTLS). Fails if plaintext the
  // server sent after its "220 Ready to start TLS" is still unread: such bytes could only be an
  // injection attempt (the CVE-2011-0411 class) and must never be taken as TLS-protected.
  virtual absl::Status StartTls(const TlsOptions& tls, absl::Duration timeout) = 0;

  virtual bool IsTls() const = 0;

  // "host:port" ("[v6addr]:port" for IPv6), for logs and error messages.
  virtual std::string Describe() const = 0;
};

class Connector {
 public:
  virtual ~Connector() = default;

  // Opens a stream to host:port. `timeout` bounds the whole call: the connect (every address the
  // host resolves to, in turn) and, with `implicit_tls`, the handshake. Non-null `implicit_tls`
  // performs the TLS handshake right after connecting (RFC 8314 §3, "submissions" on port 465).
  virtual absl::StatusOr<std::unique_ptr<Connection>> Connect(const std::string& host, int port,
                                                              absl::Duration timeout,
                                                              const TlsOptions* implicit_tls) = 0;
};

}  // namespace kirim::smtp

#endif  // KIRIM_SERVER_SMTP_TRANSPORT_H_
