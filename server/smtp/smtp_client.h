// SmtpClient: the client side of one SMTP session (RFC 5321) over a Connection: greeting,
// EHLO, STARTTLS (RFC 3207), AUTH PLAIN/LOGIN (RFC 4954, RFC 4616), then any number of mail
// transactions, with PIPELINING (RFC 2920) when the server offers it.
//
//   SocketConnector connector;
//   KIRIM_ASSIGN_OR_RETURN(auto conn, connector.Connect(mx_ip, 25, absl::Seconds(30), nullptr));
//   ClientOptions options;
//   options.helo_name = "out1.kirim.example";
//   options.tls_options.server_name = "mx.example.com";
//   SmtpClient client(*conn, options);
//   SessionResult session = client.Handshake();
//   if (!session.ok()) return Defer(session.failed_phase, session.failed_reply,
//                                   session.local_error);
//   TransactionResult result = client.Send({"bounce@kirim.example", {"bob@example.com"}}, mime);
//   // result.rcpt_replies[i] / result.data_reply say, per recipient, what the server answered.
//   client.Quit();
//
// Every outcome carries the remote replies exactly as received; whether a failure is transient
// or permanent is decided by SessionResult::Classify(), which defers to smtp::Classify() for
// replies (server/smtp/reply.h). Timeouts, network and TLS errors, for which no reply exists,
// are reported in `local_error` and are always transient.
//
// The password is written to the connection only inside AUTH and never appears in a Status
// message. Not thread-safe; the Connection must outlive the client.
#ifndef KIRIM_SERVER_SMTP_SMTP_CLIENT_H_
#define KIRIM_SERVER_SMTP_SMTP_CLIENT_H_

#include <map>
#include <set>
#include <functional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "server/smtp/reply.h"
#include "server/smtp/transport.h"

namespace kirim::smtp {

// One limit per phase, each applied to every read or write of that phase (RFC 5321 §4.5.3.2
// states them as the time to wait for a reply or for one TCP send, i.e. inactivity limits, as
// Postfix applies them). Defaults are the RFC's minimums where it gives one.
struct Timeouts {
  absl::Duration greeting = absl::Minutes(5);    // §4.5.3.2.1 initial 220 message
  absl::Duration ehlo = absl::Minutes(5);        // no RFC value; as MAIL (Postfix smtp_helo_timeout)
  absl::Duration starttls = absl::Minutes(5);    // STARTTLS reply and the whole TLS handshake
  absl::Duration auth = absl::Minutes(5);        // each AUTH step; no RFC value, as MAIL
  absl::Duration mail = absl::Minutes(5);        // §4.5.3.2.2 MAIL
  absl::Duration rcpt = absl::Minutes(5);        // §4.5.3.2.3 RCPT, per recipient
  absl::Duration data = absl::Minutes(2);        // §4.5.3.2.4 DATA initiation (the 354)
  absl::Duration data_block = absl::Minutes(3);  // §4.5.3.2.5 each write of message content
  absl::Duration data_end = absl::Minutes(10);   // §4.5.3.2.6 after "." (server may run filters)
  absl::Duration rset = absl::Minutes(5);        // RSET; no RFC value, as MAIL
  // QUIT is a courtesy and nothing depends on its reply, so waiting long only holds a
  // connection slot.
  absl::Duration quit = absl::Minutes(1);
};

enum class TlsMode {
  kNone,                   // plaintext; STARTTLS is never sent
  kStartTlsRequired,       // STARTTLS must succeed, else the session fails in phase "starttls"
  kStartTlsOpportunistic,  // RFC 7435: STARTTLS when offered; plaintext if absent or refused
  kImplicit,               // the Connection is already TLS (RFC 8314); checked, not negotiated
};

struct ClientOptions {
  // Our name in EHLO/HELO (RFC 5321 §4.1.1.1): the sending host's FQDN.
  std::string helo_name;
  // Secure by default: a relay that silently downgrades to plaintext leaks credentials and mail.
  TlsMode tls = TlsMode::kStartTlsRequired;
  // Verification settings for STARTTLS (implicit TLS is set up by the Connector).
  TlsOptions tls_options;
  // Empty username = no AUTH.
  std::string username;
  std::string password;
  // AUTH is refused over a plaintext connection (RFC 4954 §4 "SHOULD NOT" for PLAIN, and LOGIN
  // is no better) unless this is set, e.g. for a relay on loopback.
  bool allow_plaintext_auth = false;
  Timeouts timeouts;
  // Called after every reply read (or failure to read one: code 0) with its phase (see `phase`
  // below, plus "rset" and "quit") and how long the phase took, from the command's write (or
  // the previous reply, when pipelined) to the reply. For metrics; may be empty.
  std::function<void(absl::string_view phase, int code, absl::Duration elapsed)> on_reply;
};

struct Envelope {
  std::string mail_from;             // reverse-path without <>; empty = null sender (bounces)
  std::vector<std::string> rcpt_to;  // forward-paths without <>; at least one
};

// Names used in `failed_phase`.
namespace phase {
inline constexpr char kGreeting[] = "greeting";
inline constexpr char kEhlo[] = "ehlo";  // also HELO
inline constexpr char kStartTls[] = "starttls";
inline constexpr char kAuth[] = "auth";
inline constexpr char kMail[] = "mail";
inline constexpr char kRcpt[] = "rcpt";
// The DATA command and the transfer of the content: failing here, the server cannot have
// accepted the message.
inline constexpr char kData[] = "data";
// Waiting for the reply to the final ".": failing here with a local error, the server may have
// accepted the message anyway (RFC 1047), so a retry can duplicate it.
inline constexpr char kDataEnd[] = "data_end";
}  // namespace phase

// How a session step ended.
struct SessionResult {
  // The reply that ended the session or transaction (greeting 554, EHLO 5xx, STARTTLS 454,
  // AUTH 535, MAIL 451, DATA 554, final 552...); code 0 when a local error ended it.
  Reply failed_reply;
  // One of the phase:: names, or "" on success.
  std::string failed_phase;
  // Non-OK when no reply ended it: a timeout (kDeadlineExceeded), network or TLS error
  // (kUnavailable), an unmet requirement such as STARTTLS not offered (kFailedPrecondition), or
  // a bad envelope (kInvalidArgument, nothing sent).
  absl::Status local_error;

  bool ok() const { return failed_phase.empty(); }
  // kPositive when ok(); kTransient when a local error ended it (nothing the server said was
  // final); otherwise smtp::Classify(failed_reply).
  ReplyClass Classify() const;
};

// The outcome of one transaction: always carries the remote replies exactly as received
// (the one exception is the client's own 553 5.6.7 for addresses that need SMTPUTF8 where it
// is not offered, see Send()). ok() means the message was accepted for the recipients whose
// rcpt_replies are positive; the others were refused individually.
struct TransactionResult : SessionResult {
  // One per envelope recipient, in order (code 0 if never sent; 553 5.6.7 when the client
  // refused to send a UTF-8 address itself).
  std::vector<Reply> rcpt_replies;
  Reply data_reply;                 // final reply after "." (code 0 if not reached)
};

class SmtpClient {
 public:
  SmtpClient(Connection& conn, ClientOptions options);
  SmtpClient(const SmtpClient&) = delete;
  SmtpClient& operator=(const SmtpClient&) = delete;

  // Reads the greeting, sends EHLO (HELO when EHLO gets a 5xx and neither TLS nor AUTH is
  // required, RFC 5321 §3.2), runs STARTTLS and a fresh EHLO as tls mode asks (RFC 3207 §4.2:
  // knowledge from before TLS is discarded), then AUTH when a username is set, preferring PLAIN
  // (RFC 4616, with the initial response of RFC 4954 §4) over LOGIN. Call once per connection.
  // On failure the session is unusable; Quit() may still be sent.
  SessionResult Handshake();

  // One transaction (RFC 5321 §3.3): MAIL FROM (with SIZE= when SIZE is advertised, RFC 1870,
  // BODY=8BITMIME when advertised and the content has 8-bit bytes, RFC 6152, and SMTPUTF8 when
  // advertised and an address or the header section has UTF-8, RFC 6531 §3.4), one RCPT TO
  // per recipient, DATA, the content, ".". With PIPELINING (RFC 2920) MAIL, all RCPT and DATA go
  // in one write and the replies are read in order. When no recipient is accepted the content
  // is not sent: the open transaction is cleared with RSET (or, if a pipelined DATA was
  // accepted anyway, ended with a lone "." as RFC 2920 §3.1 asks).
  //
  // `content` is the message as CRLF-terminated lines. Bare CR or LF are sent as CRLF (RFC 5321
  // §2.3.8 forbids any other line ending; passing them through would allow SMTP smuggling), a
  // missing final CRLF is added, lines starting with "." are dot-stuffed (§4.5.2). Content is not
  // converted: a message with 8-bit bytes goes to a server without 8BITMIME as it is.
  //
  // Addresses may be UTF-8 (RFC 6531 §3.3) and are then sent raw. When the server does not
  // offer SMTPUTF8 nothing is sent for them (RFC 6531 §3.2) and the client answers itself with
  // a permanent 553 5.6.7 "not sent: <server> does not support SMTPUTF8 (RFC 6531), needed for
  // ...": a UTF-8 sender fails the transaction in phase "mail" before anything is written; a
  // UTF-8 recipient gets that reply in its rcpt_replies slot and the others are sent as usual
  // (phase "rcpt" when none is left). The session stays usable either way. A message whose
  // UTF-8 is only in its header fields is still sent (the server may accept 8-bit headers).
  TransactionResult Send(const Envelope& envelope, absl::string_view content);

  // RSET (RFC 5321 §4.1.1.5) between transactions on a reused session. kUnavailable when the
  // server refuses it or the connection fails.
  absl::Status Reset();

  // Best-effort QUIT with the quit timeout; errors are ignored. Skipped when the stream is
  // already unusable (after a local error or a 421).
  void Quit();

  // False once the session cannot carry another transaction: before or after a failed
  // Handshake(), after a local error or a 421 reply (the server is closing, RFC 5321 §3.8), or
  // after Quit(). A refused transaction leaves the session usable.
  bool usable() const { return ready_ && stream_ok_; }

  // EHLO keywords, upper-cased (SIZE, PIPELINING, STARTTLS, AUTH, 8BITMIME, SMTPUTF8, ...), from
  // the latest EHLO (after STARTTLS, the post-TLS one).
  const std::set<std::string>& extensions() const { return extensions_; }

 private:
  bool Has(absl::string_view keyword) const;
  // When the phase being read began (set by Command before its write), else InfinitePast.
  absl::Time phase_start_ = absl::InfinitePast();
  absl::StatusOr<Reply> ReadReply(const char* phase, absl::Duration timeout);
  absl::StatusOr<Reply> ReadReplyLines(const char* phase, absl::Duration timeout);
  absl::StatusOr<Reply> Command(const std::string& line, const char* phase,
                                absl::Duration timeout);
  bool Ehlo(SessionResult* result);
  void ParseEhlo(const Reply& reply);
  bool StartTls(SessionResult* result);
  bool Authenticate(SessionResult* result);
  bool AuthStep(const std::string& line, int expected, SessionResult* result);
  void SendContent(absl::string_view wire, TransactionResult* result);
  void EndEmptyData(TransactionResult* result);
  void ClearTransaction();
  // The reply the client gives itself for an address it cannot send without SMTPUTF8.
  Reply NoSmtpUtf8Reply(absl::string_view needed_for) const;
  void Fail(SessionResult* result, const char* phase, Reply reply);
  void FailLocal(SessionResult* result, const char* phase, absl::Status status);

  Connection& conn_;
  const ClientOptions options_;
  std::set<std::string> extensions_;
  std::map<std::string, std::string> extension_params_;  // keyword -> parameters
  bool handshake_started_ = false;
  bool ready_ = false;      // Handshake() succeeded
  bool stream_ok_ = true;   // the byte stream is in a known state and open
};

}  // namespace kirim::smtp

#endif  // KIRIM_SERVER_SMTP_SMTP_CLIENT_H_
