#include "server/smtp/smtp_client.h"

#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "server/common/status_macros.h"
#include "server/common/text.h"

namespace kirim::smtp {
namespace {

constexpr char kCrlf[] = "\r\n";

// Content is written in slices of this size, each with the data_block timeout: RFC 5321
// §4.5.3.2.5 times each send, and one slice per call keeps a stalled peer from being timed
// against the whole message.
constexpr size_t kDataSlice = 64 * 1024;

// RFC 5321 §3.8: 421 means the server is closing the transmission channel.
bool IsClosing(const Reply& reply) { return reply.code == 421; }

bool IsPositive(const Reply& reply) { return Classify(reply) == ReplyClass::kPositive; }

// The content as it goes on the wire after DATA, plus what MAIL FROM needs to know about it.
struct WireData {
  std::string bytes;       // normalised, dot-stuffed, terminated by CRLF "." CRLF
  size_t message_size = 0;  // RFC 1870 §3 SIZE: octets with CRLFs, before stuffing, without "."
  bool eight_bit = false;
  // 8-bit bytes before the first empty line: RFC 6532 UTF-8 header fields (a raw
  // internationalized address), which only SMTPUTF8 may carry (RFC 6531 §3.4).
  bool eight_bit_headers = false;
};

WireData PrepareContent(absl::string_view content) {
  WireData out;
  out.bytes.reserve(content.size() + content.size() / 32 + 5);
  size_t stuffed = 0;
  bool line_start = true;
  bool in_headers = true;
  for (size_t i = 0; i < content.size(); ++i) {
    char c = content[i];
    if (c == '\r' || c == '\n') {
      // CRLF, bare CR and bare LF all become one CRLF (RFC 5321 §2.3.8, §4.1.1.4).
      if (c == '\r' && i + 1 < content.size() && content[i + 1] == '\n') ++i;
      out.bytes += kCrlf;
      if (line_start) in_headers = false;  // the empty line that ends the header section
      line_start = true;
      continue;
    }
    if (static_cast<unsigned char>(c) >= 0x80) {
      out.eight_bit = true;
      out.eight_bit_headers |= in_headers;
    }
    if (line_start && c == '.') {
      out.bytes.push_back('.');  // RFC 5321 §4.5.2 transparency
      ++stuffed;
    }
    out.bytes.push_back(c);
    line_start = false;
  }
  if (!line_start) out.bytes += kCrlf;
  out.message_size = out.bytes.size() - stuffed;
  out.bytes += ".\r\n";
  return out;
}

// Envelope addresses are interpolated into command lines: a CR or LF would let the caller (or
// whoever supplied the address) inject SMTP commands. Non-ASCII must be UTF-8, the only
// encoding SMTPUTF8 knows (RFC 6531 §3.3).
absl::Status CheckAddress(absl::string_view address, absl::string_view what) {
  for (char c : address) {
    unsigned char u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f || c == '<' || c == '>') {
      return absl::InvalidArgumentError(
          absl::StrCat(what, " contains a control character or angle bracket"));
    }
  }
  if (!IsValidUtf8(address)) {
    return absl::InvalidArgumentError(absl::StrCat(what, " is not valid UTF-8"));
  }
  return absl::OkStatus();
}

absl::Status CheckEnvelope(const Envelope& envelope) {
  if (envelope.rcpt_to.empty()) return absl::InvalidArgumentError("envelope has no recipients");
  KIRIM_RETURN_IF_ERROR(CheckAddress(envelope.mail_from, "MAIL FROM address"));
  for (size_t i = 0; i < envelope.rcpt_to.size(); ++i) {
    if (envelope.rcpt_to[i].empty()) {
      return absl::InvalidArgumentError(absl::StrCat("recipient ", i, " is empty"));
    }
    KIRIM_RETURN_IF_ERROR(CheckAddress(envelope.rcpt_to[i], absl::StrCat("recipient ", i)));
  }
  return absl::OkStatus();
}

// MAIL FROM with the parameters the server's extensions call for. `smtputf8`: the transaction
// carries a UTF-8 address or header field and the server offers SMTPUTF8 (RFC 6531 §3.4).
std::string MailCommand(const Envelope& envelope, const WireData& wire,
                        const std::set<std::string>& extensions, bool smtputf8) {
  auto has = [&](const char* keyword) { return extensions.count(keyword) > 0; };
  std::string mail = absl::StrCat("MAIL FROM:<", envelope.mail_from, ">");
  if (has("SIZE")) absl::StrAppend(&mail, " SIZE=", wire.message_size);
  if (wire.eight_bit && has("8BITMIME")) absl::StrAppend(&mail, " BODY=8BITMIME");
  if (smtputf8) absl::StrAppend(&mail, " SMTPUTF8");
  return mail;
}

}  // namespace

ReplyClass SessionResult::Classify() const {
  if (ok()) return ReplyClass::kPositive;
  if (!local_error.ok() || failed_reply.code == 0) return ReplyClass::kTransient;
  return smtp::Classify(failed_reply);
}

SmtpClient::SmtpClient(Connection& conn, ClientOptions options)
    : conn_(conn), options_(std::move(options)) {}

bool SmtpClient::Has(absl::string_view keyword) const {
  return extensions_.count(std::string(keyword)) > 0;
}

Reply SmtpClient::NoSmtpUtf8Reply(absl::string_view needed_for) const {
  Reply reply;
  // 553 "mailbox name not allowed" with X.6.7, "non-ASCII addresses not permitted for that
  // sender/recipient" (registered by RFC 6531 §4): what an SMTPUTF8-aware server would answer.
  // Permanent: retrying will not teach this server SMTPUTF8.
  reply.code = 553;
  reply.enhanced_code = "5.6.7";
  reply.lines = {absl::StrCat("not sent: ", conn_.Describe(),
                              " does not support SMTPUTF8 (RFC 6531), needed for ", needed_for)};
  return reply;
}

void SmtpClient::Fail(SessionResult* result, const char* phase, Reply reply) {
  if (IsClosing(reply)) stream_ok_ = false;
  result->failed_phase = phase;
  result->failed_reply = std::move(reply);
}

void SmtpClient::FailLocal(SessionResult* result, const char* phase, absl::Status status) {
  // After a timeout or an I/O error we no longer know where the server is in the dialogue. The
  // checks made before anything is sent (kFailedPrecondition, kInvalidArgument) leave the stream
  // as it was.
  if (status.code() != absl::StatusCode::kFailedPrecondition &&
      status.code() != absl::StatusCode::kInvalidArgument) {
    stream_ok_ = false;
  }
  result->failed_phase = phase;
  result->local_error = std::move(status);
}

absl::StatusOr<Reply> SmtpClient::ReadReply(const char* phase, absl::Duration timeout) {
  const absl::Time start = phase_start_ == absl::InfinitePast() ? absl::Now() : phase_start_;
  phase_start_ = absl::InfinitePast();
  absl::StatusOr<Reply> reply = ReadReplyLines(phase, timeout);
  if (options_.on_reply) options_.on_reply(phase, reply.ok() ? reply->code : 0, absl::Now() - start);
  return reply;
}

absl::StatusOr<Reply> SmtpClient::ReadReplyLines(const char* phase, absl::Duration timeout) {
  ReplyParser parser;
  for (;;) {
    absl::StatusOr<std::string> line = conn_.ReadLine(timeout);
    if (!line.ok()) {
      return absl::Status(line.status().code(), absl::StrCat("waiting for ", phase, " reply: ",
                                                             line.status().message()));
    }
    absl::StatusOr<bool> done = parser.AddLine(*line);
    if (!done.ok()) {
      // The server is not speaking SMTP as we understand it; nothing it said is a verdict on the
      // message, so this is a transient, local failure.
      return absl::UnavailableError(absl::StrCat(conn_.Describe(), ": bad ", phase,
                                                 " reply: ", done.status().message()));
    }
    if (*done) return parser.Take();
  }
}

absl::StatusOr<Reply> SmtpClient::Command(const std::string& line, const char* phase,
                                          absl::Duration timeout) {
  // The write error never quotes `line`: it may be an AUTH step carrying credentials.
  phase_start_ = absl::Now();
  absl::Status written = conn_.Write(absl::StrCat(line, kCrlf), timeout);
  if (!written.ok()) {
    if (options_.on_reply) options_.on_reply(phase, 0, absl::Now() - phase_start_);
    phase_start_ = absl::InfinitePast();
    return absl::Status(written.code(),
                        absl::StrCat("sending ", phase, " command: ", written.message()));
  }
  return ReadReply(phase, timeout);
}

void SmtpClient::ParseEhlo(const Reply& reply) {
  extensions_.clear();
  extension_params_.clear();
  // RFC 5321 §4.1.1.1: the first line is the server's name, each further line one keyword
  // with optional parameters.
  for (size_t i = 1; i < reply.lines.size(); ++i) {
    absl::string_view line = absl::StripAsciiWhitespace(reply.lines[i]);
    std::pair<std::string, std::string> kv =
        absl::StrSplit(line, absl::MaxSplits(' ', 1));
    std::string keyword = absl::AsciiStrToUpper(kv.first);
    std::string params(absl::StripAsciiWhitespace(kv.second));
    // Pre-RFC 4954 servers advertise "AUTH=LOGIN PLAIN"; honour it only when no standard AUTH
    // line says otherwise.
    if (absl::StartsWith(keyword, "AUTH=")) {
      if (extensions_.count("AUTH") > 0) continue;
      params = std::string(absl::StripAsciiWhitespace(line.substr(5)));
      keyword = "AUTH";
    }
    if (keyword.empty()) continue;
    extensions_.insert(keyword);
    extension_params_[keyword] = params;
  }
}

bool SmtpClient::Ehlo(SessionResult* result) {
  absl::Duration timeout = options_.timeouts.ehlo;
  absl::StatusOr<Reply> reply = Command("EHLO " + options_.helo_name, phase::kEhlo, timeout);
  if (!reply.ok()) {
    FailLocal(result, phase::kEhlo, reply.status());
    return false;
  }
  if (IsPositive(*reply)) {
    ParseEhlo(*reply);
    return true;
  }
  // RFC 5321 §3.2: an old server answers EHLO with a 5xx; HELO still works, but without ESMTP
  // there is no STARTTLS and no AUTH, so the fallback is only allowed when neither is needed.
  bool needs_esmtp = options_.tls == TlsMode::kStartTlsRequired || !options_.username.empty();
  if (Classify(*reply) != ReplyClass::kPermanent || needs_esmtp) {
    Fail(result, phase::kEhlo, *std::move(reply));
    return false;
  }
  absl::StatusOr<Reply> helo = Command("HELO " + options_.helo_name, phase::kEhlo, timeout);
  if (!helo.ok()) {
    FailLocal(result, phase::kEhlo, helo.status());
    return false;
  }
  if (!IsPositive(*helo)) {
    Fail(result, phase::kEhlo, *std::move(helo));
    return false;
  }
  extensions_.clear();
  extension_params_.clear();
  return true;
}

bool SmtpClient::StartTls(SessionResult* result) {
  bool required = options_.tls == TlsMode::kStartTlsRequired;
  if (!Has("STARTTLS")) {
    if (!required) return true;
    // Like Postfix's "TLS is required, but was not offered": a deferral, the server may be
    // fixed, and credentials are never sent in the clear.
    FailLocal(result, phase::kStartTls,
              absl::FailedPreconditionError(absl::StrCat(
                  conn_.Describe(), ": TLS is required but the server did not offer STARTTLS")));
    return false;
  }
  absl::Duration timeout = options_.timeouts.starttls;
  absl::StatusOr<Reply> reply = Command("STARTTLS", phase::kStartTls, timeout);
  if (!reply.ok()) {
    FailLocal(result, phase::kStartTls, reply.status());
    return false;
  }
  if (reply->code != 220) {
    // RFC 3207 §4: after a refusal the client decides whether to go on; opportunistic mode
    // continues in plaintext on the same session unless the server is closing it.
    if (required || IsClosing(*reply)) {
      Fail(result, phase::kStartTls, *std::move(reply));
      return false;
    }
    return true;
  }
  absl::Status tls = conn_.StartTls(options_.tls_options, timeout);
  if (!tls.ok()) {
    // Even in opportunistic mode: the stream is mid-handshake and cannot fall back to
    // plaintext; the caller may retry on a new connection without TLS.
    stream_ok_ = false;
    FailLocal(result, phase::kStartTls, std::move(tls));
    return false;
  }
  // RFC 3207 §4.2: forget everything learnt before TLS (it may have been forged) and ask again.
  extensions_.clear();
  extension_params_.clear();
  return Ehlo(result);
}

// Sends one AUTH line and checks the reply code. On an unexpected 334 (the server wants more
// than we have) the exchange is cancelled with "*" (RFC 4954 §4) so the session stays in step.
bool SmtpClient::AuthStep(const std::string& line, int expected, SessionResult* result) {
  absl::StatusOr<Reply> reply = Command(line, phase::kAuth, options_.timeouts.auth);
  if (!reply.ok()) {
    FailLocal(result, phase::kAuth, reply.status());
    return false;
  }
  if (reply->code == expected) return true;
  if (reply->code == 334) {
    absl::StatusOr<Reply> cancelled = Command("*", phase::kAuth, options_.timeouts.auth);
    if (!cancelled.ok()) stream_ok_ = false;
  }
  Fail(result, phase::kAuth, *std::move(reply));
  return false;
}

bool SmtpClient::Authenticate(SessionResult* result) {
  if (!conn_.IsTls() && !options_.allow_plaintext_auth) {
    FailLocal(result, phase::kAuth,
              absl::FailedPreconditionError(absl::StrCat(
                  conn_.Describe(), ": refusing to send credentials over a plaintext connection")));
    return false;
  }
  if (!Has("AUTH")) {
    FailLocal(result, phase::kAuth,
              absl::FailedPreconditionError(
                  absl::StrCat(conn_.Describe(), ": credentials configured but the server does "
                                                 "not offer AUTH")));
    return false;
  }
  std::set<std::string> mechanisms;
  for (absl::string_view m :
       absl::StrSplit(extension_params_["AUTH"], ' ', absl::SkipWhitespace())) {
    mechanisms.insert(absl::AsciiStrToUpper(m));
  }
  if (mechanisms.count("PLAIN") > 0) {
    // RFC 4616 §2: [authzid] NUL authcid NUL passwd; no authzid, we act as ourselves.
    std::string message;
    message.push_back('\0');
    message += options_.username;
    message.push_back('\0');
    message += options_.password;
    return AuthStep("AUTH PLAIN " + absl::Base64Escape(message), 235, result);
  }
  if (mechanisms.count("LOGIN") > 0) {
    // LOGIN (draft-murchison-sasl-login): the server prompts for user name, then password.
    return AuthStep("AUTH LOGIN", 334, result) &&
           AuthStep(absl::Base64Escape(options_.username), 334, result) &&
           AuthStep(absl::Base64Escape(options_.password), 235, result);
  }
  FailLocal(result, phase::kAuth,
            absl::FailedPreconditionError(absl::StrCat(
                conn_.Describe(), ": no supported AUTH mechanism (server offers \"",
                extension_params_["AUTH"], "\", Kirim supports PLAIN and LOGIN)")));
  return false;
}

SessionResult SmtpClient::Handshake() {
  SessionResult result;
  if (handshake_started_) {
    result.failed_phase = phase::kGreeting;
    result.local_error = absl::FailedPreconditionError("Handshake() called twice");
    return result;
  }
  handshake_started_ = true;
  if (options_.tls == TlsMode::kImplicit && !conn_.IsTls()) {
    FailLocal(&result, phase::kStartTls,
              absl::FailedPreconditionError(absl::StrCat(
                  conn_.Describe(), ": implicit TLS requested but the connection is plaintext")));
    return result;
  }

  absl::StatusOr<Reply> greeting = ReadReply(phase::kGreeting, options_.timeouts.greeting);
  if (!greeting.ok()) {
    FailLocal(&result, phase::kGreeting, greeting.status());
    return result;
  }
  if (!IsPositive(*greeting)) {
    // 554 (RFC 5321 §3.1) or 421: no service. Quit() stays possible for the 554 case.
    Fail(&result, phase::kGreeting, *std::move(greeting));
    return result;
  }
  if (!Ehlo(&result)) return result;
  bool want_starttls = options_.tls == TlsMode::kStartTlsRequired ||
                       options_.tls == TlsMode::kStartTlsOpportunistic;
  if (want_starttls && !conn_.IsTls() && !StartTls(&result)) return result;
  if (!options_.username.empty() && !Authenticate(&result)) return result;
  ready_ = true;
  return result;
}

void SmtpClient::ClearTransaction() {
  if (!stream_ok_) return;
  // Best effort: the transaction already failed and that failure is what the caller sees; a
  // failing RSET only means the session cannot be reused.
  absl::StatusOr<Reply> reply = Command("RSET", "rset", options_.timeouts.rset);
  if (!reply.ok()) {
    stream_ok_ = false;
  } else if (!IsPositive(*reply)) {
    if (IsClosing(*reply)) stream_ok_ = false;
    ready_ = false;
  }
}

void SmtpClient::SendContent(absl::string_view wire, TransactionResult* result) {
  for (size_t at = 0; at < wire.size(); at += kDataSlice) {
    absl::Status written = conn_.Write(wire.substr(at, kDataSlice), options_.timeouts.data_block);
    if (!written.ok()) {
      FailLocal(result, phase::kData,
                absl::Status(written.code(),
                             absl::StrCat("sending message content: ", written.message())));
      return;
    }
  }
  absl::StatusOr<Reply> reply = ReadReply(phase::kDataEnd, options_.timeouts.data_end);
  if (!reply.ok()) {
    FailLocal(result, phase::kDataEnd, reply.status());
    return;
  }
  result->data_reply = *reply;
  if (!IsPositive(*reply)) Fail(result, phase::kDataEnd, *std::move(reply));
}

void SmtpClient::EndEmptyData(TransactionResult* result) {
  if (!conn_.Write(".\r\n", options_.timeouts.data_block).ok()) {
    stream_ok_ = false;
    return;
  }
  absl::StatusOr<Reply> reply = ReadReply(phase::kDataEnd, options_.timeouts.data_end);
  if (!reply.ok()) {
    stream_ok_ = false;
    return;
  }
  if (IsClosing(*reply)) stream_ok_ = false;
  result->data_reply = *std::move(reply);
}

TransactionResult SmtpClient::Send(const Envelope& envelope, absl::string_view content) {
  TransactionResult result;
  result.rcpt_replies.resize(envelope.rcpt_to.size());
  if (!usable()) {
    FailLocal(&result, phase::kMail,
              absl::FailedPreconditionError(
                  "SMTP session not usable (no successful Handshake(), or it has ended)"));
    return result;
  }
  absl::Status valid = CheckEnvelope(envelope);
  if (!valid.ok()) {
    FailLocal(&result, phase::kMail, std::move(valid));
    return result;
  }
  WireData wire = PrepareContent(content);
  const Timeouts& t = options_.timeouts;

  // RFC 6531 §3.2: a UTF-8 address may only be sent to a server that offers SMTPUTF8. Without
  // it, a UTF-8 sender fails the whole transaction and a UTF-8 recipient only itself, each with
  // a reply made here (nothing is sent for them), so the rest are delivered as usual.
  const bool offers_smtputf8 = Has("SMTPUTF8");
  if (!offers_smtputf8 && !IsAscii(envelope.mail_from)) {
    Fail(&result, phase::kMail, NoSmtpUtf8Reply("the sender address"));
    return result;
  }
  std::vector<size_t> to_send;  // indexes into envelope.rcpt_to of what goes to the server
  bool utf8 = wire.eight_bit_headers || !IsAscii(envelope.mail_from);
  for (size_t i = 0; i < envelope.rcpt_to.size(); ++i) {
    if (IsAscii(envelope.rcpt_to[i])) {
      to_send.push_back(i);
    } else if (offers_smtputf8) {
      to_send.push_back(i);
      utf8 = true;
    } else {
      result.rcpt_replies[i] = NoSmtpUtf8Reply("this recipient address");
    }
  }
  if (to_send.empty()) {
    Fail(&result, phase::kRcpt, result.rcpt_replies.back());
    return result;
  }
  std::string mail = MailCommand(envelope, wire, extensions_, utf8 && offers_smtputf8);

  // With PIPELINING (RFC 2920 §3.1) MAIL, every RCPT and DATA form one group, DATA last, and
  // the replies are then read in order. Every reply of the group is read even after a refusal,
  // since the server answers each command and unread replies would desynchronise the session;
  // a 421 is the exception, as nothing follows it. Without PIPELINING each command waits for
  // its reply, so a refused MAIL or the refusal of every RCPT stops before the next command.
  bool pipelining = Has("PIPELINING");
  if (pipelining) {
    std::string group = absl::StrCat(mail, kCrlf);
    for (size_t i : to_send) absl::StrAppend(&group, "RCPT TO:<", envelope.rcpt_to[i], ">", kCrlf);
    absl::StrAppend(&group, "DATA", kCrlf);
    absl::Status written = conn_.Write(group, t.mail);
    if (!written.ok()) {
      FailLocal(&result, phase::kMail,
                absl::Status(written.code(),
                             absl::StrCat("sending MAIL/RCPT/DATA: ", written.message())));
      return result;
    }
  }
  // Sends `line` (unless it went out in the group already) and reads its reply.
  auto exchange = [&](const std::string& line, const char* phase, absl::Duration timeout) {
    return pipelining ? ReadReply(phase, timeout) : Command(line, phase, timeout);
  };

  absl::StatusOr<Reply> mail_reply = exchange(mail, phase::kMail, t.mail);
  if (!mail_reply.ok()) {
    FailLocal(&result, phase::kMail, mail_reply.status());
    return result;
  }
  bool mail_ok = IsPositive(*mail_reply);
  if (!mail_ok && (!pipelining || IsClosing(*mail_reply))) {
    // No transaction was opened, so there is nothing to RSET.
    Fail(&result, phase::kMail, *std::move(mail_reply));
    return result;
  }

  size_t accepted = 0;
  for (size_t i : to_send) {
    absl::StatusOr<Reply> reply =
        exchange(absl::StrCat("RCPT TO:<", envelope.rcpt_to[i], ">"), phase::kRcpt, t.rcpt);
    if (!reply.ok()) {
      FailLocal(&result, phase::kRcpt, reply.status());
      return result;
    }
    result.rcpt_replies[i] = *std::move(reply);
    if (IsClosing(result.rcpt_replies[i])) {
      Fail(&result, phase::kRcpt, result.rcpt_replies[i]);
      return result;
    }
    if (IsPositive(result.rcpt_replies[i])) ++accepted;
  }
  // Reported when no recipient was accepted: the last refusal by the server; each recipient's
  // own reply is in rcpt_replies.
  const Reply& last_rcpt = result.rcpt_replies[to_send.back()];
  if (!pipelining && accepted == 0) {
    Fail(&result, phase::kRcpt, last_rcpt);
    ClearTransaction();
    return result;
  }

  absl::StatusOr<Reply> data_reply = exchange("DATA", phase::kData, t.data);
  if (!data_reply.ok()) {
    FailLocal(&result, phase::kData, data_reply.status());
    return result;
  }
  if (IsClosing(*data_reply)) {
    Fail(&result, phase::kData, *std::move(data_reply));
    return result;
  }
  bool go_ahead = data_reply->code == 354;
  if (!mail_ok || accepted == 0) {
    // Only with PIPELINING does DATA follow a refused MAIL or only refused recipients.
    if (mail_ok) {
      Fail(&result, phase::kRcpt, last_rcpt);
    } else {
      Fail(&result, phase::kMail, *std::move(mail_reply));
    }
    if (go_ahead) {
      // RFC 2920 §3.1: DATA was accepted without a recipient; a lone "." ends it with no
      // message. Its reply is recorded but cannot make the transaction a success.
      EndEmptyData(&result);
    } else if (mail_ok) {
      // MAIL opened a transaction that the refused RCPTs and DATA left open.
      ClearTransaction();
    }
    return result;
  }
  if (!go_ahead) {
    Fail(&result, phase::kData, *std::move(data_reply));
    ClearTransaction();
    return result;
  }
  SendContent(wire.bytes, &result);
  return result;
}

absl::Status SmtpClient::Reset() {
  if (!usable()) {
    return absl::FailedPreconditionError("SMTP session not usable; cannot RSET");
  }
  absl::StatusOr<Reply> reply = Command("RSET", "rset", options_.timeouts.rset);
  if (!reply.ok()) {
    stream_ok_ = false;
    return reply.status();
  }
  if (!IsPositive(*reply)) {
    if (IsClosing(*reply)) stream_ok_ = false;
    ready_ = false;
    return absl::UnavailableError(
        absl::StrCat(conn_.Describe(), ": RSET refused: ", reply->ToString()));
  }
  return absl::OkStatus();
}

void SmtpClient::Quit() {
  if (!stream_ok_) return;
  stream_ok_ = false;
  ready_ = false;
  if (!conn_.Write("QUIT\r\n", options_.timeouts.quit).ok()) return;
  // RFC 5321 §4.1.1.10: the client SHOULD wait for the reply before closing. Its content
  // changes nothing.
  (void)ReadReply("quit", options_.timeouts.quit);
}

}  // namespace kirim::smtp
