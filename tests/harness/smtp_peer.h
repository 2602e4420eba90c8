// A real SMTP server for tests: tests/peers/smtp_server.py (aiosmtpd) on 127.0.0.1, a free
// port, with a fresh self-signed certificate for "mx.test" (STARTTLS or implicit TLS), AUTH,
// reply injection and a maildir. Tests wait on the events it prints ("RECEIVED 0001",
// "STALLED 1"), never by sleeping.
//
//   SmtpPeer peer;
//   ASSERT_OK(peer.Start({.require_starttls = true, .auth = "kirim:s3cret"}));
//   ... point kirimd at 127.0.0.1:peer.port() with ca_file peer.ca_file() ...
//   auto msg = peer.WaitForMessage(absl::Seconds(30));   // bytes + envelope
#ifndef KIRIM_TESTS_HARNESS_SMTP_PEER_H_
#define KIRIM_TESTS_HARNESS_SMTP_PEER_H_

#include <string>
#include <vector>

#include "tests/harness/subprocess.h"

namespace kirim::testing {

struct SmtpPeerOptions {
  // Offer STARTTLS and refuse mail before it (RFC 3207).
  bool require_starttls = false;
  // TLS from the first byte (RFC 8314) instead.
  bool implicit_tls = false;
  // "user:password": require AUTH (over TLS).
  std::string auth;
  // "address=550 5.1.1 No such user" (repeatable).
  std::vector<std::string> reply_rcpt;
  // Answer every DATA with this, e.g. "451 4.3.0 Try later" ...
  std::string reply_data;
  // ... or only the first N DATA (0 = every one).
  int reply_data_count = 0;
  // Hold the reply to the first N DATA forever.
  int stall_data = 0;
  // Offer SMTPUTF8 (RFC 6531), as aiosmtpd does by default.
  bool smtputf8 = true;
};

struct ReceivedMessage {
  std::string name;     // "0001"
  std::string content;  // the exact bytes received, after dot-unstuffing
  std::string meta;     // JSON: mail_from, rcpt_tos, mail_options, login, tls
};

class SmtpPeer {
 public:
  SmtpPeer();
  absl::Status Start(const SmtpPeerOptions& options);
  // SIGTERM; returns the waitpid status (the server exits 0 on SIGTERM), -1 if it had to be
  // killed.
  int Stop() { return process_.Stop(); }
  bool running() const { return process_.running(); }

  int port() const { return port_; }
  // The PEM certificate to trust (as a CA file) for server name "mx.test".
  const std::string& ca_file() const { return cert_; }

  // Waits for the next message stored since the last call; returns its bytes and envelope.
  absl::StatusOr<ReceivedMessage> WaitForMessage(absl::Duration timeout = absl::Seconds(30));
  // Waits for an event line (e.g. "STALLED 1", "REFUSED ") printed since Start.
  absl::StatusOr<std::string> WaitForEvent(const std::string& prefix,
                                           absl::Duration timeout = absl::Seconds(30));
  // How many messages were stored so far.
  int ReceivedCount();
  // How many printed lines start with `prefix` so far (e.g. "EHLO ", "RSET").
  int EventCount(const std::string& prefix);

 private:
  std::string dir_, cert_, key_, maildir_;
  int port_ = 0;
  size_t next_line_ = 0;
  Subprocess process_;
};

// The contents of a file ("" if it cannot be read).
std::string ReadFileToString(const std::string& path);

}  // namespace kirim::testing

#endif  // KIRIM_TESTS_HARNESS_SMTP_PEER_H_
