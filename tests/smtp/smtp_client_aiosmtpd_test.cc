// Integration tests: SmtpClient over SocketConnector against a real aiosmtpd server
// (tests/peers/smtp_server.py, run by the SmtpPeer harness) on 127.0.0.1, with STARTTLS,
// implicit TLS, AUTH and a self-signed certificate made by openssl for each server.
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/delivery/deliverer.h"
#include "server/smtp/smtp_client.h"
#include "server/smtp/socket_transport.h"
#include "tests/harness/smtp_peer.h"
#include "tests/harness/subprocess.h"

namespace kirim::smtp {
namespace {

using ::kirim::testing::ExitCode;
using ::kirim::testing::ReceivedMessage;
using ::kirim::testing::SmtpPeer;
using ::kirim::testing::SmtpPeerOptions;
using ::testing::HasSubstr;
using ::testing::Not;

// Long enough for a loaded CI machine, short enough to fail a hung test well before Bazel's
// timeout.
constexpr absl::Duration kIo = absl::Seconds(30);

constexpr char kUser[] = "kirim";
constexpr char kPassword[] = "correct horse";

// Headers, a line that needs dot-stuffing, a lone-dot line, 8-bit UTF-8 text.
constexpr char kMessage[] =
    "From: Alice <alice@kirim.test>\r\n"
    "To: Bob <bob@mx.test>\r\n"
    "Subject: =?UTF-8?Q?caf=C3=A9?=\r\n"
    "MIME-Version: 1.0\r\n"
    "Content-Type: text/plain; charset=utf-8\r\n"
    "Content-Transfer-Encoding: 8bit\r\n"
    "\r\n"
    "Caf\xc3\xa9 at noon?\r\n"
    ".leading dot\r\n"
    ".\r\n"
    "..two dots\r\n"
    "end\r\n";

// For failure messages: why a handshake or transaction ended.
std::string Why(const SessionResult& r) {
  return absl::StrCat(r.failed_phase, ": ", r.failed_reply.ToString(), " ",
                      r.local_error.ToString());
}

// "kirim:correct horse", for --auth.
std::string Credentials() { return absl::StrCat(kUser, ":", kPassword); }

class AiosmtpdTest : public ::testing::Test {
 protected:
  void TearDown() override {
    if (server_.running()) {
      int status = server_.Stop();
      EXPECT_NE(status, -1) << "smtp_server.py did not stop in time";
      // The server handles SIGTERM and exits cleanly; anything else means it crashed.
      if (status != -1) {
        EXPECT_EQ(ExitCode(status), 0) << "smtp_server.py did not stop cleanly";
      }
    }
  }

  // Starts smtp_server.py with a fresh certificate and maildir; returns once it listens.
  void StartServer(const SmtpPeerOptions& options) {
    absl::Status started = server_.Start(options);
    ASSERT_TRUE(started.ok()) << started;
  }

  // Connects (with the handshake first for TlsMode::kImplicit) and runs the SMTP handshake;
  // conn_ and client_ are set when the connection succeeded.
  SessionResult Open(const ClientOptions& options) {
    const TlsOptions* implicit = options.tls == TlsMode::kImplicit ? &options.tls_options : nullptr;
    absl::StatusOr<std::unique_ptr<Connection>> conn =
        connector_.Connect("127.0.0.1", server_.port(), kIo, implicit);
    if (!conn.ok()) {
      SessionResult failed;
      failed.failed_phase = "connect";
      failed.local_error = conn.status();
      return failed;
    }
    conn_ = *std::move(conn);
    client_ = std::make_unique<SmtpClient>(*conn_, options);
    return client_->Handshake();
  }

  // SecureOptions() without AUTH.
  ClientOptions TlsOnlyOptions() {
    ClientOptions o = SecureOptions();
    o.username.clear();
    o.password.clear();
    return o;
  }

  // STARTTLS required, verified against the test CA as mx.test, AUTH as kUser.
  ClientOptions SecureOptions() {
    ClientOptions o;
    o.helo_name = "client.kirim.test";
    o.tls = TlsMode::kStartTlsRequired;
    o.tls_options.ca_file = server_.ca_file();
    o.tls_options.server_name = "mx.test";
    o.username = kUser;
    o.password = kPassword;
    Timeouts& t = o.timeouts;
    t.greeting = t.ehlo = t.starttls = t.auth = t.mail = t.rcpt = t.data = t.data_block =
        t.data_end = t.rset = t.quit = kIo;
    return o;
  }

  // The next message the server stored (its bytes after un-stuffing, and its envelope).
  ReceivedMessage Stored() {
    absl::StatusOr<ReceivedMessage> m = server_.WaitForMessage(kIo);
    EXPECT_TRUE(m.ok()) << m.status();
    return m.ok() ? *m : ReceivedMessage();
  }

  SocketConnector connector_;
  SmtpPeer server_;
  std::unique_ptr<Connection> conn_;
  std::unique_ptr<SmtpClient> client_;
};

TEST_F(AiosmtpdTest, StartTlsAuthPlainDeliversByteIdenticalMessage) {
  StartServer({.require_starttls = true, .auth = Credentials()});
  SessionResult session = Open(SecureOptions());
  ASSERT_TRUE(session.ok()) << Why(session);
  EXPECT_TRUE(conn_->IsTls());
  EXPECT_EQ(client_->extensions().count("STARTTLS"), 0u);  // the post-TLS EHLO
  EXPECT_EQ(client_->extensions().count("8BITMIME"), 1u);

  TransactionResult r =
      client_->Send({"alice@kirim.test", {"bob@mx.test", "carol@mx.test"}}, kMessage);
  ASSERT_TRUE(r.ok()) << Why(r);
  ASSERT_EQ(r.rcpt_replies.size(), 2u);
  EXPECT_EQ(r.rcpt_replies[0].code, 250);
  EXPECT_EQ(r.rcpt_replies[1].code, 250);
  EXPECT_EQ(r.data_reply.ToString(), "250 2.0.0 OK: queued as 0001");
  client_->Quit();

  // What the server stored after un-stuffing is exactly what we were given.
  ReceivedMessage stored = Stored();
  EXPECT_EQ(stored.name, "0001");
  EXPECT_TRUE(stored.content == kMessage) << stored.content;
  const std::string& meta = stored.meta;
  EXPECT_THAT(meta, HasSubstr(R"("mail_from": "alice@kirim.test")"));
  EXPECT_THAT(meta, HasSubstr(R"("rcpt_tos": ["bob@mx.test", "carol@mx.test"])"));
  EXPECT_THAT(meta, HasSubstr(absl::StrCat(R"("login": ")", kUser, R"(")")));
  EXPECT_THAT(meta, HasSubstr(R"("tls": true)"));
  EXPECT_THAT(meta, HasSubstr(absl::StrCat(R"("mail_options": ["SIZE=)",
                                           std::string(kMessage).size(),
                                           R"(", "BODY=8BITMIME"])")));
}

TEST_F(AiosmtpdTest, WrongPasswordFailsInAuthAndKeeps535) {
  StartServer({.require_starttls = true, .auth = Credentials()});
  ClientOptions o = SecureOptions();
  o.password = "wrong horse";
  SessionResult session = Open(o);
  EXPECT_EQ(session.failed_phase, "auth");
  EXPECT_TRUE(session.local_error.ok()) << session.local_error;
  EXPECT_EQ(session.failed_reply.ToString(), "535 5.7.8 Authentication credentials invalid");
  EXPECT_EQ(session.Classify(), ReplyClass::kPermanent);
  client_->Quit();
}

TEST_F(AiosmtpdTest, CertificateVerificationFailsWithoutTheCa) {
  StartServer({.require_starttls = true});
  ClientOptions o = SecureOptions();
  o.tls_options.ca_file.clear();  // the system store does not know our self-signed cert
  SessionResult session = Open(o);
  EXPECT_EQ(session.failed_phase, "starttls");
  EXPECT_EQ(session.local_error.code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(session.local_error.message(), HasSubstr("certificate verification failed"));
  EXPECT_THAT(session.local_error.message(), HasSubstr("self-signed certificate"));
  EXPECT_THAT(session.local_error.message(), Not(HasSubstr(kPassword)));
  EXPECT_EQ(session.Classify(), ReplyClass::kTransient);
  EXPECT_FALSE(client_->usable());
}

TEST_F(AiosmtpdTest, CertificateForAnotherNameFails) {
  StartServer({.require_starttls = true});
  ClientOptions o = TlsOnlyOptions();
  o.tls_options.server_name = "other.test";
  SessionResult session = Open(o);
  EXPECT_EQ(session.failed_phase, "starttls");
  EXPECT_THAT(session.local_error.message(), HasSubstr("hostname mismatch"));
}

TEST_F(AiosmtpdTest, ImplicitTls) {
  StartServer({.implicit_tls = true, .auth = Credentials()});
  ClientOptions o = SecureOptions();
  o.tls = TlsMode::kImplicit;
  SessionResult session = Open(o);
  ASSERT_TRUE(session.ok()) << Why(session);
  EXPECT_TRUE(conn_->IsTls());
  TransactionResult r = client_->Send({"alice@kirim.test", {"bob@mx.test"}}, kMessage);
  ASSERT_TRUE(r.ok()) << Why(r);
  client_->Quit();
  ReceivedMessage stored = Stored();
  EXPECT_EQ(stored.name, "0001");
  EXPECT_TRUE(stored.content == kMessage);
  EXPECT_THAT(stored.meta, HasSubstr(absl::StrCat(R"("login": ")", kUser, R"(")")));
}

TEST_F(AiosmtpdTest, ImplicitTlsWithoutTheCaFailsInConnect) {
  StartServer({.implicit_tls = true});
  ClientOptions o = TlsOnlyOptions();
  o.tls = TlsMode::kImplicit;
  o.tls_options.ca_file.clear();  // system store only
  SessionResult session = Open(o);
  EXPECT_EQ(session.failed_phase, "connect");
  EXPECT_EQ(session.local_error.code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(session.local_error.message(), HasSubstr("self-signed certificate"));
}

TEST_F(AiosmtpdTest, DataReply451IsKeptAndTransient) {
  StartServer({.require_starttls = true, .reply_data = "451 4.3.0 Try later"});
  ASSERT_TRUE(Open(TlsOnlyOptions()).ok());
  TransactionResult r = client_->Send({"alice@kirim.test", {"bob@mx.test"}}, kMessage);
  EXPECT_EQ(r.failed_phase, "data_end");
  EXPECT_EQ(r.data_reply.ToString(), "451 4.3.0 Try later");
  EXPECT_EQ(r.failed_reply.ToString(), "451 4.3.0 Try later");
  EXPECT_EQ(r.Classify(), ReplyClass::kTransient);
  EXPECT_TRUE(client_->usable());
  client_->Quit();
}

TEST_F(AiosmtpdTest, RefusedRecipientIsReportedAndTheOthersGetTheMessage) {
  StartServer(
      {.require_starttls = true, .reply_rcpt = {"nobody@mx.test=550 5.1.1 No such user"}});
  ASSERT_TRUE(Open(TlsOnlyOptions()).ok());
  TransactionResult r = client_->Send(
      {"alice@kirim.test", {"bob@mx.test", "nobody@mx.test", "carol@mx.test"}}, kMessage);
  ASSERT_TRUE(r.ok()) << Why(r);
  EXPECT_EQ(r.rcpt_replies[0].code, 250);
  EXPECT_EQ(r.rcpt_replies[1].ToString(), "550 5.1.1 No such user");
  EXPECT_EQ(r.rcpt_replies[2].code, 250);
  client_->Quit();
  EXPECT_THAT(Stored().meta, HasSubstr(R"("rcpt_tos": ["bob@mx.test", "carol@mx.test"])"));
}

TEST_F(AiosmtpdTest, AllRecipientsRefusedThenNextTransactionOnSameSession) {
  StartServer(
      {.require_starttls = true, .reply_rcpt = {"nobody@mx.test=550 5.1.1 No such user"}});
  ASSERT_TRUE(Open(TlsOnlyOptions()).ok());
  TransactionResult refused = client_->Send({"alice@kirim.test", {"nobody@mx.test"}}, kMessage);
  EXPECT_EQ(refused.failed_phase, "rcpt");
  EXPECT_EQ(refused.failed_reply.ToString(), "550 5.1.1 No such user");
  ASSERT_TRUE(client_->usable());
  ASSERT_TRUE(client_->Reset().ok());
  TransactionResult sent =
      client_->Send({"alice@kirim.test", {"bob@mx.test"}}, "Subject: 2\r\n");
  ASSERT_TRUE(sent.ok()) << Why(sent);
  client_->Quit();
  ReceivedMessage stored = Stored();
  EXPECT_EQ(stored.name, "0001");
  EXPECT_EQ(stored.content, "Subject: 2\r\n");
}

// RFC 6531 / RFC 6532: jörg@bücher.de sends to 用户@例子.中国, with the UTF-8 address raw in the
// header too.
constexpr char kUtf8Sender[] = "j\xc3\xb6rg@b\xc3\xbc" "cher.de";
constexpr char kUtf8Rcpt[] = "\xe7\x94\xa8\xe6\x88\xb7@\xe4\xbe\x8b\xe5\xad\x90.\xe4\xb8\xad\xe5\x9b\xbd";
// The same as JSON with Python's default ensure_ascii, as smtp_server.py writes the envelope.
constexpr char kUtf8SenderJson[] = R"(j\u00f6rg@b\u00fccher.de)";
constexpr char kUtf8RcptJson[] = R"(\u7528\u6237@\u4f8b\u5b50.\u4e2d\u56fd)";

std::string Utf8Message() {
  return absl::StrCat("From: ", kUtf8Sender, "\r\nTo: =?utf-8?B?5p2O?= <", kUtf8Rcpt,
                      ">, bob@mx.test\r\nSubject: hi\r\n\r\n.dot and caf\xc3\xa9\r\n");
}

TEST_F(AiosmtpdTest, Utf8AddressesGoOutRawWhenSmtpUtf8IsOffered) {
  StartServer({.require_starttls = true});  // aiosmtpd offers SMTPUTF8 by default
  ASSERT_TRUE(Open(TlsOnlyOptions()).ok());
  ASSERT_EQ(client_->extensions().count("SMTPUTF8"), 1u);
  const Envelope envelope{kUtf8Sender, {kUtf8Rcpt, "bob@mx.test"}};
  TransactionResult r = client_->Send(envelope, Utf8Message());
  ASSERT_TRUE(r.ok()) << Why(r);
  client_->Quit();

  DeliveryReport report = ReportFromTransaction(envelope, r, "mx.test");
  ASSERT_EQ(report.recipients.size(), 2u);
  for (const RecipientOutcome& o : report.recipients) {
    EXPECT_EQ(o.result, ReplyClass::kPositive) << o.address << ": " << o.reply.ToString();
  }
  ReceivedMessage stored = Stored();
  EXPECT_TRUE(stored.content == Utf8Message()) << stored.content;
  EXPECT_THAT(stored.meta, HasSubstr(absl::StrCat(R"("mail_from": ")", kUtf8SenderJson, R"(")")));
  EXPECT_THAT(stored.meta, HasSubstr(absl::StrCat(R"("rcpt_tos": [")", kUtf8RcptJson,
                                                  R"(", "bob@mx.test"])")));
  EXPECT_THAT(stored.meta, HasSubstr(R"("SMTPUTF8")"));
}

// A server without SMTPUTF8: the UTF-8 recipient gets a permanent failure of its own,
// through ReportFromTransaction as the worker sees it, and the others get the message; a UTF-8
// sender fails every recipient and nothing reaches the server.
TEST_F(AiosmtpdTest, WithoutSmtpUtf8EachUtf8AddressFailsOnItsOwn) {
  StartServer({.require_starttls = true, .smtputf8 = false});
  ASSERT_TRUE(Open(TlsOnlyOptions()).ok());
  ASSERT_EQ(client_->extensions().count("SMTPUTF8"), 0u);

  const Envelope mixed{"alice@kirim.test", {"bob@mx.test", kUtf8Rcpt, "carol@mx.test"}};
  TransactionResult r = client_->Send(mixed, kMessage);
  ASSERT_TRUE(r.ok()) << Why(r);
  DeliveryReport report = ReportFromTransaction(mixed, r, "mx.test");
  ASSERT_EQ(report.recipients.size(), 3u);
  EXPECT_EQ(report.recipients[0].result, ReplyClass::kPositive);
  EXPECT_EQ(report.recipients[1].address, kUtf8Rcpt);
  EXPECT_EQ(report.recipients[1].result, ReplyClass::kPermanent);
  EXPECT_EQ(report.recipients[1].reply.code, 553);
  EXPECT_EQ(report.recipients[1].reply.enhanced_code, "5.6.7");
  EXPECT_THAT(report.recipients[1].reply.Text(),
              HasSubstr("does not support SMTPUTF8 (RFC 6531), needed for this recipient"));
  EXPECT_EQ(report.recipients[2].result, ReplyClass::kPositive);
  EXPECT_THAT(Stored().meta, HasSubstr(R"("rcpt_tos": ["bob@mx.test", "carol@mx.test"])"));

  const Envelope from_utf8{kUtf8Sender, {"bob@mx.test", "carol@mx.test"}};
  TransactionResult refused = client_->Send(from_utf8, kMessage);
  EXPECT_EQ(refused.failed_phase, "mail");
  DeliveryReport refused_report = ReportFromTransaction(from_utf8, refused, "mx.test");
  EXPECT_EQ(refused_report.failed_phase, "mail");
  for (const RecipientOutcome& o : refused_report.recipients) {
    EXPECT_EQ(o.result, ReplyClass::kPermanent) << o.address;
    EXPECT_THAT(o.reply.ToString(),
                HasSubstr("553 5.6.7 not sent: 127.0.0.1:"));
    EXPECT_THAT(o.reply.ToString(), HasSubstr("needed for the sender address"));
  }
  // The session still works, and the refused transaction never reached the server.
  TransactionResult after = client_->Send({"alice@kirim.test", {"bob@mx.test"}}, "Subject: 3\r\n");
  ASSERT_TRUE(after.ok()) << Why(after);
  client_->Quit();
  EXPECT_EQ(Stored().content, "Subject: 3\r\n");
  EXPECT_EQ(server_.ReceivedCount(), 2);
}

TEST_F(AiosmtpdTest, PlaintextClientMeetsRequiredStartTlsAndKeeps530) {
  StartServer({.require_starttls = true});
  ClientOptions o = TlsOnlyOptions();
  o.tls = TlsMode::kNone;
  ASSERT_TRUE(Open(o).ok());
  TransactionResult r = client_->Send({"alice@kirim.test", {"bob@mx.test"}}, kMessage);
  EXPECT_EQ(r.failed_phase, "mail");
  EXPECT_EQ(r.failed_reply.ToString(), "530 Must issue a STARTTLS command first");
  EXPECT_EQ(r.Classify(), ReplyClass::kPermanent);
  client_->Quit();
}

}  // namespace
}  // namespace kirim::smtp
