// A real SMTP server for tests: tests/peers/smtp_server.py (aiosmtpd) on 127.0.0.1, a free
// port, with a fresh self-signed certificate for "mx.test" (STARTTLS or implicit TLS), AUTH,
// reply injection, relay faults (stall mid-DATA, drop after DATA) and a maildir. Tests wait on
// the events it prints ("RECEIVED 0001", "STALLED 1"), never by sleeping, and count messages
// by their Message-ID (ReceivedIds), across restarts of the peer on the same port.
//
//   SmtpPeer peer;
//   ASSERT_OK(peer.Start({.require_starttls = true, .auth = "kirim:s3cret"}));
//   ... point kirimd at 127.0.0.1:peer.port() with ca_file peer.ca_file() ...
//   auto msg = peer.WaitForMessage(absl::Seconds(30));   // bytes + envelope
//   peer.Stop(); ... peer.Restart();                      // a relay outage, same port
#ifndef KIRIM_TESTS_HARNESS_SMTP_PEER_H_
#define KIRIM_TESTS_HARNESS_SMTP_PEER_H_

#include <map>
#include <set>
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
  // The first N DATA commands stall after the first line of content: the final "." never
  // arrives, the message is not received ("STALLED-MID-DATA k").
  int stall_mid_data = 0;
  // The first N complete DATA are read to the final "." and then the connection is dropped
  // without a reply ("DROPPED k <message-id>"): received, but the sender cannot know it.
  int drop_after_data = 0;
  // Write each accepted message to the maildir (WaitForMessage reads it). Off: only the events
  // ("ID <message-id>", "RECEIVED n"), for runs of thousands of messages.
  bool store = true;
  // Listen on this port; 0 = a free one. Restart() reuses the port of the previous run.
  int port = 0;
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
  // Starts the peer again, after Stop(), with the same options on the same port and with the
  // same certificate: a relay coming back after an outage.
  absl::Status Restart();

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

  // Message-ID header value (e.g. "<01KB...@example.com>") -> how many times a message with it
  // was accepted ("ID " lines), over every run of this peer (Restart included). With
  // `event` = "DROPPED ": the messages received in full and then dropped without a reply.
  std::map<std::string, int> ReceivedIds(const std::string& event = "ID ");
  // Waits until every id in `ids` (Message-ID values) was accepted at least once, over every
  // run; bounded by `timeout`. The error names how many are missing and one of them.
  absl::Status WaitForIds(const std::set<std::string>& ids, absl::Duration timeout);
  // The output lines of the current run.
  Subprocess& process() { return process_; }

 private:
  std::string dir_, cert_, key_, maildir_;
  int port_ = 0;
  size_t next_line_ = 0;
  SmtpPeerOptions options_;
  // Lines printed by earlier runs (before Restart).
  std::vector<std::string> earlier_lines_;
  Subprocess process_;
};

// The contents of a file ("" if it cannot be read).
std::string ReadFileToString(const std::string& path);

}  // namespace kirim::testing

#endif  // KIRIM_TESTS_HARNESS_SMTP_PEER_H_
