// Unit tests of SmtpClient against a scripted FakeConnection: the protocol logic, without
// sockets or time.
#include "server/smtp/smtp_client.h"

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/smtp/fake_connection.h"

namespace kirim::smtp {
namespace {

using ::kirim::testing::FakeConnection;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::UnorderedElementsAre;

constexpr char kPassword[] = "s3cret-Pa55";

// Distinct timeouts per phase, so tests can tell which one a read or write used.
Timeouts DistinctTimeouts() {
  Timeouts t;
  t.greeting = absl::Seconds(1);
  t.ehlo = absl::Seconds(2);
  t.starttls = absl::Seconds(3);
  t.auth = absl::Seconds(4);
  t.mail = absl::Seconds(5);
  t.rcpt = absl::Seconds(6);
  t.data = absl::Seconds(7);
  t.data_block = absl::Seconds(8);
  t.data_end = absl::Seconds(9);
  t.rset = absl::Seconds(10);
  t.quit = absl::Seconds(11);
  return t;
}

ClientOptions PlainOptions() {
  ClientOptions o;
  o.helo_name = "client.test";
  o.tls = TlsMode::kNone;
  o.timeouts = DistinctTimeouts();
  return o;
}

ClientOptions TlsAuthOptions() {
  ClientOptions o = PlainOptions();
  o.tls = TlsMode::kStartTlsRequired;
  o.tls_options.server_name = "mx.test";
  o.tls_options.ca_file = "/etc/kirim/ca.pem";
  o.username = "user";
  o.password = kPassword;
  return o;
}

const char kMessage[] = "Subject: hi\r\n\r\nHello.\r\n";

// Replies accepting one single-recipient transaction without PIPELINING: MAIL, RCPT, DATA, ".".
std::vector<std::string> AcceptOne() { return {"250 Ok", "250 Ok", "354 Go", "250 Ok"}; }

class SmtpClientTest : public ::testing::Test {
 protected:
  // A server without PIPELINING, STARTTLS or AUTH.
  void ScriptPlainHandshake() {
    conn_.AddServerLines({"220 mx.test ESMTP", "250-mx.test greets client.test", "250-SIZE 1000000",
                          "250 8BITMIME"});
  }
  // Greeting, EHLO offering STARTTLS, 220, post-TLS EHLO offering `auth`, 235.
  void ScriptTlsAuthHandshake(const std::string& extra_ehlo_line = "250-SIZE 1000000",
                              const std::string& auth = "250 AUTH PLAIN LOGIN") {
    conn_.AddServerLines({"220 mx.test ESMTP", "250-mx.test", "250-PIPELINING", "250 STARTTLS",
                          "220 2.0.0 Ready to start TLS", "250-mx.test", extra_ehlo_line, auth,
                          "235 2.7.0 Authentication successful"});
  }

  // A plaintext client that has completed ScriptPlainHandshake(); script what follows with
  // conn_.AddServerLines() (the fake's script is a queue, so lines added now come next).
  SmtpClient& PlainClient() {
    ScriptPlainHandshake();
    client_ = std::make_unique<SmtpClient>(conn_, PlainOptions());
    SessionResult s = client_->Handshake();
    EXPECT_TRUE(s.ok()) << s.failed_phase << " " << s.local_error;
    return *client_;
  }

  FakeConnection conn_;
  std::unique_ptr<SmtpClient> client_;
};

TEST_F(SmtpClientTest, HappyPathWithoutPipelining) {
  ScriptPlainHandshake();
  conn_.AddServerLines({"250 2.1.0 Ok", "250 2.1.5 Ok", "354 End data with <CR><LF>.<CR><LF>",
                        "250 2.0.0 Ok: queued as ABC123", "221 2.0.0 Bye"});
  SmtpClient client(conn_, PlainOptions());

  SessionResult session = client.Handshake();
  ASSERT_TRUE(session.ok()) << session.failed_phase << " " << session.local_error;
  EXPECT_TRUE(client.usable());
  EXPECT_THAT(client.extensions(), UnorderedElementsAre("SIZE", "8BITMIME"));

  TransactionResult r = client.Send({"alice@client.test", {"bob@mx.test"}}, kMessage);
  ASSERT_TRUE(r.ok()) << r.failed_phase << " " << r.local_error;
  EXPECT_EQ(r.Classify(), ReplyClass::kPositive);
  ASSERT_EQ(r.rcpt_replies.size(), 1u);
  EXPECT_EQ(r.rcpt_replies[0].ToString(), "250 2.1.5 Ok");
  EXPECT_EQ(r.data_reply.ToString(), "250 2.0.0 Ok: queued as ABC123");
  EXPECT_EQ(r.failed_reply.code, 0);
  client.Quit();
  EXPECT_FALSE(client.usable());

  EXPECT_THAT(conn_.written_lines(),
              ElementsAre("EHLO client.test", "MAIL FROM:<alice@client.test> SIZE=23",
                          "RCPT TO:<bob@mx.test>", "DATA", "Subject: hi", "", "Hello.", ".",
                          "QUIT"));
  // One command per write: without PIPELINING the client waits for each reply.
  EXPECT_EQ(conn_.writes().size(), 6u);
  // Each phase's lines read with its own timeout (the EHLO reply has three lines).
  EXPECT_THAT(conn_.read_timeouts(),
              ElementsAre(absl::Seconds(1), absl::Seconds(2), absl::Seconds(2), absl::Seconds(2),
                          absl::Seconds(5), absl::Seconds(6), absl::Seconds(7), absl::Seconds(9),
                          absl::Seconds(11)));
  EXPECT_EQ(conn_.writes()[4].timeout, absl::Seconds(8));  // content: data_block
  EXPECT_EQ(conn_.unread(), 0u);
}

TEST_F(SmtpClientTest, HappyPathWithStartTlsAndAuth) {
  ScriptTlsAuthHandshake();
  conn_.AddServerLines({"250 2.1.0 Ok", "250 2.1.5 Ok", "250 2.1.5 Ok", "354 Go ahead",
                        "250 2.0.0 Ok: queued"});
  SmtpClient client(conn_, TlsAuthOptions());

  SessionResult session = client.Handshake();
  ASSERT_TRUE(session.ok()) << session.failed_phase << " " << session.local_error;
  EXPECT_TRUE(conn_.IsTls());
  EXPECT_EQ(conn_.start_tls_calls(), 1);
  EXPECT_EQ(conn_.last_tls_options().server_name, "mx.test");
  EXPECT_EQ(conn_.last_tls_options().ca_file, "/etc/kirim/ca.pem");
  EXPECT_EQ(conn_.last_start_tls_timeout(), absl::Seconds(3));
  // The post-TLS EHLO replaced what was learnt in plaintext (no STARTTLS any more).
  EXPECT_THAT(client.extensions(), UnorderedElementsAre("SIZE", "AUTH"));

  TransactionResult r = client.Send({"alice@client.test", {"bob@mx.test", "carol@mx.test"}},
                                    kMessage);
  ASSERT_TRUE(r.ok()) << r.failed_phase << " " << r.local_error;
  EXPECT_EQ(r.data_reply.code, 250);

  // The server's post-TLS EHLO did not offer PIPELINING, so it must not be used even though the
  // plaintext EHLO offered it.
  EXPECT_THAT(conn_.written_lines(),
              ElementsAre("EHLO client.test", "STARTTLS", "EHLO client.test",
                          "AUTH PLAIN AHVzZXIAczNjcmV0LVBhNTU=",
                          "MAIL FROM:<alice@client.test> SIZE=23", "RCPT TO:<bob@mx.test>",
                          "RCPT TO:<carol@mx.test>", "DATA", "Subject: hi", "", "Hello.", "."));
  // Nothing after STARTTLS went out in plaintext.
  for (size_t i = 2; i < conn_.writes().size(); ++i) EXPECT_TRUE(conn_.writes()[i].tls) << i;
}

TEST_F(SmtpClientTest, PipelinedMailRcptDataGoInOneWrite) {
  conn_.AddServerLines({"220 mx.test ESMTP", "250-mx.test", "250-PIPELINING", "250 SIZE 100000",
                        "250 2.1.0 Ok", "250 2.1.5 Ok", "250 2.1.5 Ok", "354 Go ahead",
                        "250 2.0.0 Ok: queued"});
  SmtpClient client(conn_, PlainOptions());
  ASSERT_TRUE(client.Handshake().ok());
  TransactionResult r = client.Send({"a@client.test", {"b@mx.test", "c@mx.test"}}, kMessage);
  ASSERT_TRUE(r.ok()) << r.failed_phase << " " << r.local_error;
  ASSERT_EQ(conn_.writes().size(), 3u);
  EXPECT_EQ(conn_.writes()[1].data,
            "MAIL FROM:<a@client.test> SIZE=23\r\nRCPT TO:<b@mx.test>\r\nRCPT TO:<c@mx.test>\r\n"
            "DATA\r\n");
  EXPECT_EQ(conn_.writes()[2].data, "Subject: hi\r\n\r\nHello.\r\n.\r\n");
  // Replies are still read one by one, each with its phase's timeout.
  EXPECT_THAT(conn_.read_timeouts(),
              ElementsAre(absl::Seconds(1), absl::Seconds(2), absl::Seconds(2), absl::Seconds(2),
                          absl::Seconds(5), absl::Seconds(6), absl::Seconds(6), absl::Seconds(7),
                          absl::Seconds(9)));
}

TEST_F(SmtpClientTest, MultiLineEhloKeywordsAreUpperCasedWithParameters) {
  conn_.AddServerLines({"220 mx.test ESMTP", "250-mx.test Hello [127.0.0.1]", "250-size 52428800",
                        "250-8bitmime", "250-Pipelining", "250-ENHANCEDSTATUSCODES",
                        "250-AUTH=LOGIN", "250-SMTPUTF8", "250 CHUNKING"});
  SmtpClient client(conn_, PlainOptions());
  ASSERT_TRUE(client.Handshake().ok());
  EXPECT_THAT(client.extensions(),
              UnorderedElementsAre("SIZE", "8BITMIME", "PIPELINING", "ENHANCEDSTATUSCODES",
                                   "AUTH", "SMTPUTF8", "CHUNKING"));
}

TEST_F(SmtpClientTest, LegacyAuthEqualsLineIsUsable) {
  conn_.set_tls(true);  // implicit TLS
  conn_.AddServerLines({"220 mx.test ESMTP", "250-mx.test", "250 AUTH=LOGIN",
                        "334 VXNlcm5hbWU6", "334 UGFzc3dvcmQ6", "235 2.7.0 Accepted"});
  ClientOptions o = TlsAuthOptions();
  o.tls = TlsMode::kImplicit;
  SmtpClient client(conn_, o);
  SessionResult s = client.Handshake();
  ASSERT_TRUE(s.ok()) << s.failed_phase << " " << s.local_error;
  EXPECT_THAT(conn_.written_lines(),
              ElementsAre("EHLO client.test", "AUTH LOGIN", "dXNlcg==", "czNjcmV0LVBhNTU="));
}

TEST_F(SmtpClientTest, StartTlsRequiredButNotOfferedFailsBeforeCredentials) {
  conn_.AddServerLines({"220 mx.test ESMTP", "250-mx.test", "250-PIPELINING",
                        "250 AUTH PLAIN LOGIN"});
  SmtpClient client(conn_, TlsAuthOptions());
  SessionResult s = client.Handshake();
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(s.failed_phase, "starttls");
  EXPECT_EQ(s.local_error.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(s.local_error.message(), HasSubstr("STARTTLS"));
  EXPECT_EQ(s.failed_reply.code, 0);
  EXPECT_EQ(s.Classify(), ReplyClass::kTransient);
  EXPECT_FALSE(client.usable());
  EXPECT_THAT(conn_.written_lines(), ElementsAre("EHLO client.test"));
  EXPECT_THAT(conn_.written(), Not(HasSubstr("AUTH")));
  EXPECT_EQ(conn_.start_tls_calls(), 0);
}

TEST_F(SmtpClientTest, StartTlsRefusedWhenRequiredKeepsReply) {
  conn_.AddServerLines({"220 mx.test ESMTP", "250-mx.test", "250 STARTTLS",
                        "454 4.7.0 TLS not available due to local problem"});
  SmtpClient client(conn_, TlsAuthOptions());
  SessionResult s = client.Handshake();
  EXPECT_EQ(s.failed_phase, "starttls");
  EXPECT_TRUE(s.local_error.ok());
  EXPECT_EQ(s.failed_reply.ToString(), "454 4.7.0 TLS not available due to local problem");
  EXPECT_EQ(s.Classify(), ReplyClass::kTransient);
  EXPECT_EQ(conn_.start_tls_calls(), 0);
}

TEST_F(SmtpClientTest, StartTlsHandshakeFailureIsLocalAndEndsSession) {
  conn_.AddServerLines({"220 mx.test ESMTP", "250-mx.test", "250 STARTTLS", "220 Go ahead"});
  conn_.set_start_tls_result(absl::UnavailableError(
      "fake.test:25: TLS certificate verification failed: self-signed certificate"));
  SmtpClient client(conn_, TlsAuthOptions());
  SessionResult s = client.Handshake();
  EXPECT_EQ(s.failed_phase, "starttls");
  EXPECT_EQ(s.local_error.code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(s.local_error.message(), HasSubstr("self-signed"));
  EXPECT_EQ(s.Classify(), ReplyClass::kTransient);
  client.Quit();
  // The stream is mid-handshake: not even QUIT may be sent on it.
  EXPECT_THAT(conn_.written_lines(), ElementsAre("EHLO client.test", "STARTTLS"));
}

TEST_F(SmtpClientTest, OpportunisticTlsContinuesInPlaintextWhenNotOfferedOrRefused) {
  {
    FakeConnection conn;
    conn.AddServerLines({"220 mx.test", "250-mx.test", "250 SIZE 100"});
    ClientOptions o = PlainOptions();
    o.tls = TlsMode::kStartTlsOpportunistic;
    SmtpClient client(conn, o);
    EXPECT_TRUE(client.Handshake().ok());
    EXPECT_FALSE(conn.IsTls());
    EXPECT_THAT(conn.written_lines(), ElementsAre("EHLO client.test"));
  }
  {
    FakeConnection conn;
    conn.AddServerLines({"220 mx.test", "250-mx.test", "250 STARTTLS", "454 4.7.0 Not now"});
    ClientOptions o = PlainOptions();
    o.tls = TlsMode::kStartTlsOpportunistic;
    SmtpClient client(conn, o);
    EXPECT_TRUE(client.Handshake().ok());
    EXPECT_FALSE(conn.IsTls());
    EXPECT_TRUE(client.usable());
  }
}

TEST_F(SmtpClientTest, ImplicitTlsSkipsStartTlsAndRequiresTlsConnection) {
  {
    conn_.set_tls(true);
    conn_.AddServerLines({"220 mx.test", "250-mx.test", "250 STARTTLS"});
    ClientOptions o = PlainOptions();
    o.tls = TlsMode::kImplicit;
    SmtpClient client(conn_, o);
    EXPECT_TRUE(client.Handshake().ok());
    EXPECT_EQ(conn_.start_tls_calls(), 0);
  }
  {
    FakeConnection plain;
    ClientOptions o = PlainOptions();
    o.tls = TlsMode::kImplicit;
    SmtpClient client(plain, o);
    SessionResult s = client.Handshake();
    EXPECT_EQ(s.failed_phase, "starttls");
    EXPECT_EQ(s.local_error.code(), absl::StatusCode::kFailedPrecondition);
    EXPECT_TRUE(plain.read_timeouts().empty());  // did not even wait for the greeting
  }
}

TEST_F(SmtpClientTest, AuthPlainEncodesEmptyAuthzidUserAndPassword) {
  ScriptTlsAuthHandshake("250-SIZE 1000", "250 AUTH LOGIN PLAIN CRAM-MD5");
  SmtpClient client(conn_, TlsAuthOptions());
  ASSERT_TRUE(client.Handshake().ok());
  std::vector<std::string> lines = conn_.written_lines();
  ASSERT_EQ(lines.size(), 4u);
  // base64("\0user\0s3cret-Pa55"), with the RFC 4954 initial response.
  EXPECT_EQ(lines[3], "AUTH PLAIN AHVzZXIAczNjcmV0LVBhNTU=");
  EXPECT_EQ(conn_.read_timeouts().back(), absl::Seconds(4));
}

TEST_F(SmtpClientTest, AuthLoginWhenPlainIsNotOffered) {
  conn_.AddServerLines({"220 mx.test ESMTP", "250-mx.test", "250 STARTTLS", "220 Go ahead",
                        "250-mx.test", "250 AUTH LOGIN", "334 VXNlcm5hbWU6", "334 UGFzc3dvcmQ6",
                        "235 2.7.0 Authentication successful"});
  SmtpClient client(conn_, TlsAuthOptions());
  SessionResult s = client.Handshake();
  ASSERT_TRUE(s.ok()) << s.failed_phase << " " << s.local_error;
  EXPECT_THAT(conn_.written_lines(),
              ElementsAre("EHLO client.test", "STARTTLS", "EHLO client.test", "AUTH LOGIN",
                          "dXNlcg==", "czNjcmV0LVBhNTU="));
}

TEST_F(SmtpClientTest, Auth535IsKeptExactly) {
  conn_.AddServerLines({"220 mx.test ESMTP", "250-mx.test", "250 STARTTLS", "220 Go ahead",
                        "250-mx.test", "250 AUTH PLAIN",
                        "535 5.7.8 Authentication credentials invalid"});
  SmtpClient client(conn_, TlsAuthOptions());
  SessionResult s = client.Handshake();
  EXPECT_EQ(s.failed_phase, "auth");
  EXPECT_TRUE(s.local_error.ok());
  EXPECT_EQ(s.failed_reply.code, 535);
  EXPECT_EQ(s.failed_reply.enhanced_code, "5.7.8");
  EXPECT_THAT(s.failed_reply.lines, ElementsAre("Authentication credentials invalid"));
  EXPECT_EQ(s.failed_reply.ToString(), "535 5.7.8 Authentication credentials invalid");
  EXPECT_EQ(s.Classify(), ReplyClass::kPermanent);
  EXPECT_FALSE(client.usable());
  // A rejected login still allows a polite QUIT.
  conn_.AddServerLines({"221 Bye"});
  client.Quit();
  EXPECT_EQ(conn_.written_lines().back(), "QUIT");
}

TEST_F(SmtpClientTest, AuthOverPlaintextIsRefusedLocally) {
  conn_.AddServerLines({"220 mx.test ESMTP", "250-mx.test", "250 AUTH PLAIN LOGIN"});
  ClientOptions o = PlainOptions();
  o.username = "user";
  o.password = kPassword;
  SmtpClient client(conn_, o);
  SessionResult s = client.Handshake();
  EXPECT_EQ(s.failed_phase, "auth");
  EXPECT_EQ(s.local_error.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(conn_.written_lines(), ElementsAre("EHLO client.test"));
  EXPECT_THAT(s.local_error.message(), Not(HasSubstr(kPassword)));
}

TEST_F(SmtpClientTest, AuthWithoutSupportedMechanismFailsLocally) {
  ScriptTlsAuthHandshake("250-SIZE 1000", "250 AUTH CRAM-MD5 XOAUTH2");
  SmtpClient client(conn_, TlsAuthOptions());
  SessionResult s = client.Handshake();
  EXPECT_EQ(s.failed_phase, "auth");
  EXPECT_EQ(s.local_error.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(s.local_error.message(), HasSubstr("CRAM-MD5"));
  EXPECT_THAT(conn_.written(), Not(HasSubstr("AUTH ")));
}

TEST_F(SmtpClientTest, PasswordNeverAppearsInStatusWhenAuthWriteFails) {
  conn_.AddServerLines({"220 mx.test ESMTP", "250-mx.test", "250 STARTTLS", "220 Go ahead",
                        "250-mx.test", "250 AUTH LOGIN", "334 VXNlcm5hbWU6",
                        "334 UGFzc3dvcmQ6"});
  // Writes: EHLO, STARTTLS, EHLO, AUTH LOGIN, user; the password write (index 5) fails.
  conn_.FailWritesFrom(5, absl::UnavailableError("fake.test:25: write: Broken pipe"));
  SmtpClient client(conn_, TlsAuthOptions());
  SessionResult s = client.Handshake();
  EXPECT_EQ(s.failed_phase, "auth");
  EXPECT_EQ(s.local_error.code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(s.local_error.message(), Not(HasSubstr(kPassword)));
  EXPECT_THAT(s.local_error.message(), Not(HasSubstr("czNjcmV0LVBhNTU=")));
}

TEST_F(SmtpClientTest, Mail451IsTransientAndSessionStaysUsable) {
  SmtpClient& client = PlainClient();
  conn_.AddServerLines({"451 4.3.0 Mail server temporarily rejected message."});
  TransactionResult r = client.Send({"a@client.test", {"b@mx.test", "c@mx.test"}}, kMessage);
  EXPECT_EQ(r.failed_phase, "mail");
  EXPECT_EQ(r.failed_reply.ToString(), "451 4.3.0 Mail server temporarily rejected message.");
  EXPECT_EQ(r.Classify(), ReplyClass::kTransient);
  EXPECT_EQ(r.rcpt_replies.size(), 2u);
  EXPECT_EQ(r.rcpt_replies[0].code, 0);  // never sent
  EXPECT_EQ(r.data_reply.code, 0);
  EXPECT_TRUE(client.usable());
  EXPECT_THAT(conn_.written(), Not(HasSubstr("RCPT")));
}

TEST_F(SmtpClientTest, Mail451WithPipeliningReadsAllRepliesOfTheGroup) {
  conn_.AddServerLines({"220 mx.test ESMTP", "250-mx.test", "250 PIPELINING",
                        "451 4.3.0 Try later", "503 5.5.1 Error: need MAIL command",
                        "503 5.5.1 Error: need RCPT command", "250 2.1.0 Ok", "250 2.1.5 Ok",
                        "354 Go ahead", "250 2.0.0 Ok: queued"});
  SmtpClient client(conn_, PlainOptions());
  ASSERT_TRUE(client.Handshake().ok());
  TransactionResult r = client.Send({"a@client.test", {"b@mx.test"}}, kMessage);
  EXPECT_EQ(r.failed_phase, "mail");
  EXPECT_EQ(r.failed_reply.code, 451);
  EXPECT_EQ(r.rcpt_replies[0].code, 503);  // kept as received
  EXPECT_THAT(conn_.written(), Not(HasSubstr("Hello.")));
  EXPECT_THAT(conn_.written(), Not(HasSubstr("RSET")));  // MAIL failed: no transaction open
  // Still in step: the next transaction reads exactly its own replies.
  TransactionResult next = client.Send({"a@client.test", {"b@mx.test"}}, kMessage);
  EXPECT_TRUE(next.ok()) << next.failed_phase << " " << next.local_error;
  EXPECT_EQ(next.data_reply.ToString(), "250 2.0.0 Ok: queued");
}

class RcptTest : public SmtpClientTest, public ::testing::WithParamInterface<bool> {
 protected:
  bool pipelining() const { return GetParam(); }
  void ScriptHandshake() {
    conn_.AddServerLines({"220 mx.test ESMTP", "250-mx.test",
                          pipelining() ? "250 PIPELINING" : "250 HELP"});
  }
};

TEST_P(RcptTest, OneOfThreeRecipientsRefused) {
  ScriptHandshake();
  conn_.AddServerLines({"250 2.1.0 Ok", "250 2.1.5 Ok", "550 5.1.1 <b@mx.test>: No such user",
                        "250 2.1.5 Ok", "354 Go ahead", "250 2.0.0 Ok: queued"});
  SmtpClient client(conn_, PlainOptions());
  ASSERT_TRUE(client.Handshake().ok());
  TransactionResult r =
      client.Send({"s@client.test", {"a@mx.test", "b@mx.test", "c@mx.test"}}, kMessage);
  ASSERT_TRUE(r.ok()) << r.failed_phase << " " << r.local_error;
  ASSERT_EQ(r.rcpt_replies.size(), 3u);
  EXPECT_EQ(r.rcpt_replies[0].code, 250);
  EXPECT_EQ(r.rcpt_replies[1].ToString(), "550 5.1.1 <b@mx.test>: No such user");
  EXPECT_EQ(Classify(r.rcpt_replies[1]), ReplyClass::kPermanent);
  EXPECT_EQ(r.rcpt_replies[2].code, 250);
  EXPECT_EQ(r.data_reply.code, 250);
  EXPECT_THAT(conn_.written(), HasSubstr("Hello.\r\n.\r\n"));
}

TEST_P(RcptTest, AllRecipientsRefusedSendsNoContent) {
  ScriptHandshake();
  conn_.AddServerLines({"250 2.1.0 Ok", "550 5.1.1 No such user", "450 4.2.1 Mailbox busy"});
  if (pipelining()) conn_.AddServerLines({"554 5.5.1 Error: no valid recipients"});
  conn_.AddServerLines({"250 2.0.0 Ok"});  // RSET
  SmtpClient client(conn_, PlainOptions());
  ASSERT_TRUE(client.Handshake().ok());
  TransactionResult r = client.Send({"s@client.test", {"a@mx.test", "b@mx.test"}}, kMessage);
  EXPECT_EQ(r.failed_phase, "rcpt");
  EXPECT_EQ(r.failed_reply.code, 450);  // the last refusal
  EXPECT_EQ(r.rcpt_replies[0].code, 550);
  EXPECT_EQ(r.rcpt_replies[1].code, 450);
  EXPECT_EQ(r.data_reply.code, 0);
  EXPECT_THAT(conn_.written(), Not(HasSubstr("Hello.")));
  EXPECT_EQ(conn_.written_lines().back(), "RSET");
  EXPECT_EQ(conn_.read_timeouts().back(), absl::Seconds(10));
  if (!pipelining()) {
    EXPECT_THAT(conn_.written(), Not(HasSubstr("DATA")));
  }
  EXPECT_TRUE(client.usable());
  EXPECT_EQ(conn_.unread(), 0u);
}

INSTANTIATE_TEST_SUITE_P(WithAndWithoutPipelining, RcptTest, ::testing::Bool());

TEST_F(SmtpClientTest, PipelinedDataAcceptedWithoutRecipientsIsEndedWithLoneDot) {
  conn_.AddServerLines({"220 mx.test ESMTP", "250-mx.test", "250 PIPELINING", "250 2.1.0 Ok",
                        "550 5.1.1 No such user", "354 Go ahead",
                        "554 5.5.1 Error: no valid recipients"});
  SmtpClient client(conn_, PlainOptions());
  ASSERT_TRUE(client.Handshake().ok());
  TransactionResult r = client.Send({"s@client.test", {"a@mx.test"}}, kMessage);
  EXPECT_EQ(r.failed_phase, "rcpt");
  EXPECT_EQ(r.failed_reply.code, 550);
  EXPECT_EQ(r.data_reply.code, 554);
  EXPECT_EQ(conn_.writes().back().data, ".\r\n");
  EXPECT_THAT(conn_.written(), Not(HasSubstr("Hello.")));
}

TEST_F(SmtpClientTest, DataCommandRefusedKeepsReplyAndResets) {
  SmtpClient& client = PlainClient();
  conn_.AddServerLines({"250 Ok", "250 Ok", "554 5.7.1 Data refused", "250 Ok"});
  TransactionResult r = client.Send({"s@client.test", {"a@mx.test"}}, kMessage);
  EXPECT_EQ(r.failed_phase, "data");
  EXPECT_EQ(r.failed_reply.ToString(), "554 5.7.1 Data refused");
  EXPECT_EQ(r.Classify(), ReplyClass::kPermanent);
  EXPECT_EQ(conn_.written_lines().back(), "RSET");
}

TEST_F(SmtpClientTest, FinalReplyRefusalIsDataEnd) {
  SmtpClient& client = PlainClient();
  conn_.AddServerLines({"250 Ok", "250 Ok", "354 Go", "552 5.3.4 Message size exceeds limit"});
  TransactionResult r = client.Send({"s@client.test", {"a@mx.test"}}, kMessage);
  EXPECT_EQ(r.failed_phase, "data_end");
  EXPECT_EQ(r.data_reply.ToString(), "552 5.3.4 Message size exceeds limit");
  EXPECT_EQ(r.failed_reply.code, 552);
  EXPECT_EQ(r.Classify(), ReplyClass::kPermanent);
  EXPECT_TRUE(client.usable());  // the transaction is over; the session can go on
}

TEST_F(SmtpClientTest, DotStuffing) {
  SmtpClient& client = PlainClient();
  conn_.AddServerLines(AcceptOne());
  std::string content = ".starts with dot\r\nmiddle . dot\r\n..two\r\n.\r\nend\r\n";
  TransactionResult r = client.Send({"s@client.test", {"a@mx.test"}}, content);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(conn_.writes().back().data,
            "..starts with dot\r\nmiddle . dot\r\n...two\r\n..\r\nend\r\n.\r\n");
  // SIZE counts the message, not the stuffing (RFC 1870 §3).
  EXPECT_THAT(conn_.written(), HasSubstr(absl::StrCat("SIZE=", content.size(), "\r\n")));
}

TEST_F(SmtpClientTest, MissingFinalCrlfIsAdded) {
  SmtpClient& client = PlainClient();
  conn_.AddServerLines(AcceptOne());
  TransactionResult r = client.Send({"s@client.test", {"a@mx.test"}}, "Subject: x\r\n\r\n.body");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(conn_.writes().back().data, "Subject: x\r\n\r\n..body\r\n.\r\n");
  EXPECT_THAT(conn_.written(), HasSubstr("SIZE=21\r\n"));
}

TEST_F(SmtpClientTest, BareLineEndingsBecomeCrlfSoNoDataEndCanBeSmuggled) {
  SmtpClient& client = PlainClient();
  conn_.AddServerLines(AcceptOne());
  // "\n.\n" and "\r.\r" would end DATA on lenient servers (SMTP smuggling).
  TransactionResult r =
      client.Send({"s@client.test", {"a@mx.test"}}, "a\n.\nMAIL FROM:<x>\r.\rb\r\n");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(conn_.writes().back().data, "a\r\n..\r\nMAIL FROM:<x>\r\n..\r\nb\r\n.\r\n");
}

TEST_F(SmtpClientTest, EmptyContentIsJustTheTerminator) {
  SmtpClient& client = PlainClient();
  conn_.AddServerLines(AcceptOne());
  ASSERT_TRUE(client.Send({"s@client.test", {"a@mx.test"}}, "").ok());
  EXPECT_EQ(conn_.writes().back().data, ".\r\n");
}

TEST_F(SmtpClientTest, LargeContentIsWrittenInSlicesWithTheBlockTimeout) {
  SmtpClient& client = PlainClient();
  conn_.AddServerLines(AcceptOne());
  std::string line(998, 'x');
  std::string content;
  for (int i = 0; i < 200; ++i) content += line + "\r\n";  // ~200 KB
  ASSERT_TRUE(client.Send({"s@client.test", {"a@mx.test"}}, content).ok());
  std::string data;
  size_t slices = 0;
  for (const auto& w : conn_.writes()) {
    if (w.timeout == absl::Seconds(8)) {
      data += w.data;
      ++slices;
    }
  }
  EXPECT_GT(slices, 1u);
  EXPECT_EQ(data, content + ".\r\n");
}

TEST_F(SmtpClientTest, EightBitContentAnnouncesBody8BitMimeWhenOffered) {
  SmtpClient& client = PlainClient();
  conn_.AddServerLines({"250 Ok", "250 Ok", "354 Go", "250 Ok", "250 Ok", "250 Ok", "354 Go",
                        "250 Ok"});
  ASSERT_TRUE(client.Send({"s@client.test", {"a@mx.test"}}, "Subject: caf\xc3\xa9\r\n").ok());
  ASSERT_TRUE(client.Send({"s@client.test", {"a@mx.test"}}, "Subject: cafe\r\n").ok());
  std::vector<std::string> mails;
  for (const std::string& l : conn_.written_lines()) {
    if (absl::StartsWith(l, "MAIL")) mails.push_back(l);
  }
  EXPECT_THAT(mails, ElementsAre("MAIL FROM:<s@client.test> SIZE=16 BODY=8BITMIME",
                                 "MAIL FROM:<s@client.test> SIZE=15"));
}

TEST_F(SmtpClientTest, NoSizeOrBodyParameterWhenNotAdvertised) {
  conn_.AddServerLines({"220 mx.test ESMTP", "250 mx.test", "250 Ok", "250 Ok", "354 Go",
                        "250 Ok"});
  SmtpClient client(conn_, PlainOptions());
  ASSERT_TRUE(client.Handshake().ok());
  ASSERT_TRUE(client.Send({"", {"a@mx.test"}}, "Subject: caf\xc3\xa9\r\n").ok());
  // Null reverse-path for bounces (RFC 5321 §4.5.5).
  EXPECT_EQ(conn_.written_lines()[1], "MAIL FROM:<>");
}

TEST_F(SmtpClientTest, Utf8EnvelopeUsesSmtpUtf8WhenOffered) {
  conn_.AddServerLines({"220 mx.test ESMTP", "250-mx.test", "250 SMTPUTF8", "250 Ok", "250 Ok",
                        "354 Go", "250 Ok"});
  SmtpClient client(conn_, PlainOptions());
  ASSERT_TRUE(client.Handshake().ok());
  ASSERT_TRUE(client.Send({"s@client.test", {"j\xc3\xb6rg@mx.test"}}, "x\r\n").ok());
  EXPECT_EQ(conn_.written_lines()[1], "MAIL FROM:<s@client.test> SMTPUTF8");
}

// RFC 6531 / 6532 addresses used below: jörg@bücher.de and 用户@例子.中国.
constexpr char kUtf8Sender[] = "j\xc3\xb6rg@b\xc3\xbc" "cher.de";
constexpr char kUtf8Rcpt[] = "\xe7\x94\xa8\xe6\x88\xb7@\xe4\xbe\x8b\xe5\xad\x90.\xe4\xb8\xad\xe5\x9b\xbd";

// The client's own refusal of an address the server cannot take without SMTPUTF8.
void ExpectNoSmtpUtf8Reply(const Reply& reply, absl::string_view needed_for) {
  EXPECT_EQ(reply.code, 553);
  EXPECT_EQ(reply.enhanced_code, "5.6.7");
  EXPECT_EQ(reply.Text(), absl::StrCat("not sent: fake.test:25 does not support SMTPUTF8 "
                                       "(RFC 6531), needed for ",
                                       needed_for));
  EXPECT_EQ(Classify(reply), ReplyClass::kPermanent);
}

TEST_F(SmtpClientTest, Utf8EnvelopeGoesOutRawWithSmtpUtf8) {
  conn_.AddServerLines({"220 mx.test ESMTP", "250-mx.test", "250-8BITMIME", "250 SMTPUTF8",
                        "250 Ok", "250 Ok", "250 Ok", "354 Go", "250 Ok"});
  SmtpClient client(conn_, PlainOptions());
  ASSERT_TRUE(client.Handshake().ok());
  const std::string message = absl::StrCat("To: ", kUtf8Rcpt, "\r\n\r\nHi\r\n");
  TransactionResult r = client.Send({kUtf8Sender, {kUtf8Rcpt, "a@mx.test"}}, message);
  ASSERT_TRUE(r.ok()) << r.failed_phase << " " << r.failed_reply.ToString();
  EXPECT_THAT(conn_.written_lines(),
              ElementsAre("EHLO client.test",
                          absl::StrCat("MAIL FROM:<", kUtf8Sender, "> BODY=8BITMIME SMTPUTF8"),
                          absl::StrCat("RCPT TO:<", kUtf8Rcpt, ">"), "RCPT TO:<a@mx.test>", "DATA",
                          absl::StrCat("To: ", kUtf8Rcpt), "", "Hi", "."));
}

// RFC 6531 §3.4: UTF-8 header fields (a raw RFC 6532 address) need SMTPUTF8 as much as a UTF-8
// envelope does; 8-bit text in the body alone does not.
TEST_F(SmtpClientTest, Utf8HeaderFieldsAskForSmtpUtf8ButAUtf8BodyDoesNot) {
  conn_.AddServerLines({"220 mx.test ESMTP", "250-mx.test", "250 SMTPUTF8"});
  for (int i = 0; i < 2; ++i) conn_.AddServerLines(AcceptOne());
  SmtpClient client(conn_, PlainOptions());
  ASSERT_TRUE(client.Handshake().ok());
  ASSERT_TRUE(client.Send({"s@client.test", {"a@mx.test"}},
                          absl::StrCat("Cc: ", kUtf8Rcpt, "\r\n\r\nbody\r\n"))
                  .ok());
  ASSERT_TRUE(client.Send({"s@client.test", {"a@mx.test"}}, "Subject: x\r\n\r\ncaf\xc3\xa9\r\n")
                  .ok());
  std::vector<std::string> mails;
  for (const std::string& l : conn_.written_lines()) {
    if (absl::StartsWith(l, "MAIL")) mails.push_back(l);
  }
  EXPECT_THAT(mails, ElementsAre("MAIL FROM:<s@client.test> SMTPUTF8", "MAIL FROM:<s@client.test>"));
}

TEST_F(SmtpClientTest, Utf8SenderWithoutSmtpUtf8FailsTheTransactionBeforeSendingAnything) {
  SmtpClient& client = PlainClient();  // SIZE and 8BITMIME, no SMTPUTF8
  const size_t writes = conn_.writes().size();
  TransactionResult r = client.Send({kUtf8Sender, {"a@mx.test", kUtf8Rcpt}}, kMessage);
  EXPECT_EQ(r.failed_phase, "mail");
  EXPECT_TRUE(r.local_error.ok()) << r.local_error;
  ExpectNoSmtpUtf8Reply(r.failed_reply, "the sender address");
  EXPECT_EQ(r.Classify(), ReplyClass::kPermanent);
  ASSERT_EQ(r.rcpt_replies.size(), 2u);
  EXPECT_EQ(r.rcpt_replies[0].code, 0);
  EXPECT_EQ(r.rcpt_replies[1].code, 0);
  EXPECT_EQ(conn_.writes().size(), writes);
  // Nothing was opened on the server, so the session goes on without an RSET.
  EXPECT_TRUE(client.usable());
  conn_.AddServerLines(AcceptOne());
  EXPECT_TRUE(client.Send({"s@client.test", {"a@mx.test"}}, kMessage).ok());
  EXPECT_EQ(conn_.written_lines()[1], "MAIL FROM:<s@client.test> SIZE=23");
}

TEST_F(SmtpClientTest, Utf8RecipientWithoutSmtpUtf8IsRefusedAloneAndTheOthersGetTheMessage) {
  SmtpClient& client = PlainClient();
  conn_.AddServerLines({"250 Ok", "250 2.1.5 Ok a", "550 5.1.1 No such user", "354 Go",
                        "250 2.0.0 queued"});
  TransactionResult r =
      client.Send({"s@client.test", {"a@mx.test", kUtf8Rcpt, "gone@mx.test"}}, kMessage);
  ASSERT_TRUE(r.ok()) << r.failed_phase << " " << r.failed_reply.ToString();
  ASSERT_EQ(r.rcpt_replies.size(), 3u);
  EXPECT_EQ(r.rcpt_replies[0].ToString(), "250 2.1.5 Ok a");
  ExpectNoSmtpUtf8Reply(r.rcpt_replies[1], "this recipient address");
  EXPECT_EQ(r.rcpt_replies[2].ToString(), "550 5.1.1 No such user");
  EXPECT_EQ(r.data_reply.ToString(), "250 2.0.0 queued");
  EXPECT_THAT(conn_.written_lines(),
              ElementsAre("EHLO client.test", "MAIL FROM:<s@client.test> SIZE=23",
                          "RCPT TO:<a@mx.test>", "RCPT TO:<gone@mx.test>", "DATA", "Subject: hi",
                          "", "Hello.", "."));
  EXPECT_EQ(conn_.unread(), 0u);
}

TEST_F(SmtpClientTest, Utf8RecipientWithoutSmtpUtf8IsLeftOutOfThePipelinedGroup) {
  conn_.AddServerLines({"220 mx.test ESMTP", "250-mx.test", "250 PIPELINING", "250 Ok",
                        "250 Ok", "354 Go", "250 Ok"});
  SmtpClient client(conn_, PlainOptions());
  ASSERT_TRUE(client.Handshake().ok());
  TransactionResult r = client.Send({"s@client.test", {kUtf8Rcpt, "a@mx.test"}}, kMessage);
  ASSERT_TRUE(r.ok()) << r.failed_phase << " " << r.failed_reply.ToString();
  ExpectNoSmtpUtf8Reply(r.rcpt_replies[0], "this recipient address");
  EXPECT_EQ(r.rcpt_replies[1].code, 250);
  ASSERT_GE(conn_.writes().size(), 2u);
  EXPECT_EQ(conn_.writes()[1].data, "MAIL FROM:<s@client.test>\r\nRCPT TO:<a@mx.test>\r\nDATA\r\n");
}

TEST_F(SmtpClientTest, OnlyUtf8RecipientsWithoutSmtpUtf8FailInRcptWithoutSendingAnything) {
  SmtpClient& client = PlainClient();
  const size_t writes = conn_.writes().size();
  TransactionResult r = client.Send({"s@client.test", {kUtf8Rcpt, "j\xc3\xb6rg@mx.test"}}, kMessage);
  EXPECT_EQ(r.failed_phase, "rcpt");
  ExpectNoSmtpUtf8Reply(r.failed_reply, "this recipient address");
  ExpectNoSmtpUtf8Reply(r.rcpt_replies[0], "this recipient address");
  ExpectNoSmtpUtf8Reply(r.rcpt_replies[1], "this recipient address");
  EXPECT_EQ(r.Classify(), ReplyClass::kPermanent);
  EXPECT_EQ(conn_.writes().size(), writes);
  EXPECT_TRUE(client.usable());
}

TEST_F(SmtpClientTest, EnvelopeThatIsNotUtf8IsRefusedLocally) {
  SmtpClient& client = PlainClient();
  const size_t writes = conn_.writes().size();
  TransactionResult r = client.Send({"s@client.test", {"j\xf6rg@mx.test"}}, kMessage);
  EXPECT_EQ(r.local_error.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(r.local_error.message(), HasSubstr("recipient 0 is not valid UTF-8"));
  EXPECT_EQ(conn_.writes().size(), writes);
}

TEST_F(SmtpClientTest, Greeting421FailsAndQuitIsNotSent) {
  conn_.AddServerLines({"421 4.3.2 Service not available, closing transmission channel"});
  SmtpClient client(conn_, PlainOptions());
  SessionResult s = client.Handshake();
  EXPECT_EQ(s.failed_phase, "greeting");
  EXPECT_EQ(s.failed_reply.code, 421);
  EXPECT_EQ(s.failed_reply.enhanced_code, "4.3.2");
  EXPECT_EQ(s.Classify(), ReplyClass::kTransient);
  client.Quit();
  EXPECT_TRUE(conn_.writes().empty());
}

TEST_F(SmtpClientTest, Greeting554IsPermanentAndQuitIsSent) {
  conn_.AddServerLines({"554 5.7.1 No SMTP service here", "221 Bye"});
  SmtpClient client(conn_, PlainOptions());
  SessionResult s = client.Handshake();
  EXPECT_EQ(s.failed_phase, "greeting");
  EXPECT_EQ(s.Classify(), ReplyClass::kPermanent);
  TransactionResult r = client.Send({"s@client.test", {"a@mx.test"}}, kMessage);
  EXPECT_EQ(r.local_error.code(), absl::StatusCode::kFailedPrecondition);
  client.Quit();
  EXPECT_THAT(conn_.written_lines(), ElementsAre("QUIT"));
}

TEST_F(SmtpClientTest, EhloRefusedFallsBackToHeloOnlyWhenNothingIsRequired) {
  conn_.AddServerLines({"220 old.test SMTP", "502 5.5.2 Command not recognized",
                        "250 old.test"});
  SmtpClient client(conn_, PlainOptions());
  ASSERT_TRUE(client.Handshake().ok());
  EXPECT_THAT(conn_.written_lines(), ElementsAre("EHLO client.test", "HELO client.test"));
  EXPECT_TRUE(client.extensions().empty());

  FakeConnection tls_conn;
  tls_conn.AddServerLines({"220 old.test SMTP", "502 5.5.2 Command not recognized"});
  SmtpClient tls_client(tls_conn, TlsAuthOptions());
  SessionResult s = tls_client.Handshake();
  EXPECT_EQ(s.failed_phase, "ehlo");
  EXPECT_EQ(s.failed_reply.code, 502);
  EXPECT_THAT(tls_conn.written_lines(), ElementsAre("EHLO client.test"));
}

TEST_F(SmtpClientTest, ReadTimeoutIsLocalDeadlineExceeded) {
  conn_.AddServerLines({"220 mx.test ESMTP"});
  // The script ends: the EHLO reply never comes.
  SmtpClient client(conn_, PlainOptions());
  SessionResult s = client.Handshake();
  EXPECT_EQ(s.failed_phase, "ehlo");
  EXPECT_EQ(s.local_error.code(), absl::StatusCode::kDeadlineExceeded);
  EXPECT_THAT(s.local_error.message(), HasSubstr("ehlo"));
  EXPECT_EQ(s.failed_reply.code, 0);
  EXPECT_EQ(s.Classify(), ReplyClass::kTransient);
  EXPECT_FALSE(client.usable());
  client.Quit();  // the dialogue is out of step: nothing more is written
  EXPECT_EQ(conn_.writes().size(), 1u);
}

TEST_F(SmtpClientTest, TimeoutAfterFinalDotIsDataEnd) {
  SmtpClient& client = PlainClient();
  conn_.AddServerLines({"250 Ok", "250 Ok", "354 Go"});
  conn_.AddReadError(absl::DeadlineExceededError("fake: read timed out"));
  TransactionResult r = client.Send({"s@client.test", {"a@mx.test"}}, kMessage);
  EXPECT_EQ(r.failed_phase, "data_end");
  EXPECT_EQ(r.local_error.code(), absl::StatusCode::kDeadlineExceeded);
  EXPECT_EQ(r.data_reply.code, 0);
  EXPECT_FALSE(client.usable());
}

TEST_F(SmtpClientTest, ConnectionLostWhileSendingContentIsData) {
  SmtpClient& client = PlainClient();
  conn_.AddServerLines({"250 Ok", "250 Ok", "354 Go"});
  conn_.FailWritesFrom(4, absl::UnavailableError("fake.test:25: write: Connection reset"));
  TransactionResult r = client.Send({"s@client.test", {"a@mx.test"}}, kMessage);
  EXPECT_EQ(r.failed_phase, "data");
  EXPECT_EQ(r.local_error.code(), absl::StatusCode::kUnavailable);
}

TEST_F(SmtpClientTest, EofDuringRcptIsUnavailable) {
  SmtpClient& client = PlainClient();
  conn_.AddServerLines({"250 Ok"});
  conn_.AddReadError(absl::UnavailableError("fake.test:25: connection closed by peer"));
  TransactionResult r = client.Send({"s@client.test", {"a@mx.test", "b@mx.test"}}, kMessage);
  EXPECT_EQ(r.failed_phase, "rcpt");
  EXPECT_EQ(r.local_error.code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(r.rcpt_replies[1].code, 0);
}

TEST_F(SmtpClientTest, Rcpt421StopsReadingAndEndsSession) {
  conn_.AddServerLines({"220 mx.test ESMTP", "250-mx.test", "250 PIPELINING", "250 Ok",
                        "421 4.7.0 Too many errors, closing"});
  SmtpClient client(conn_, PlainOptions());
  ASSERT_TRUE(client.Handshake().ok());
  TransactionResult r = client.Send({"s@client.test", {"a@mx.test", "b@mx.test"}}, kMessage);
  EXPECT_EQ(r.failed_phase, "rcpt");
  EXPECT_EQ(r.failed_reply.code, 421);
  EXPECT_EQ(r.rcpt_replies[0].code, 421);
  EXPECT_EQ(r.rcpt_replies[1].code, 0);
  EXPECT_EQ(conn_.read_timeouts().size(), 5u);  // greeting, 2 EHLO lines, MAIL, RCPT: no more
  EXPECT_FALSE(client.usable());
}

TEST_F(SmtpClientTest, MalformedReplyIsLocalUnavailable) {
  conn_.AddServerLines({"HTTP/1.1 400 Bad Request"});
  SmtpClient client(conn_, PlainOptions());
  SessionResult s = client.Handshake();
  EXPECT_EQ(s.failed_phase, "greeting");
  EXPECT_EQ(s.local_error.code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(s.local_error.message(), HasSubstr("malformed"));
  EXPECT_EQ(s.Classify(), ReplyClass::kTransient);
}

TEST_F(SmtpClientTest, InvalidEnvelopeSendsNothing) {
  SmtpClient& client = PlainClient();
  size_t before = conn_.writes().size();
  TransactionResult injected =
      client.Send({"s@client.test", {"a@mx.test>\r\nRCPT TO:<evil@x.test"}}, kMessage);
  EXPECT_EQ(injected.local_error.code(), absl::StatusCode::kInvalidArgument);
  TransactionResult none = client.Send({"s@client.test", {}}, kMessage);
  EXPECT_EQ(none.local_error.code(), absl::StatusCode::kInvalidArgument);
  TransactionResult empty = client.Send({"s@client.test", {""}}, kMessage);
  EXPECT_EQ(empty.local_error.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(conn_.writes().size(), before);
  EXPECT_TRUE(client.usable());
}

TEST_F(SmtpClientTest, ResetBetweenTransactions) {
  SmtpClient& client = PlainClient();
  conn_.AddServerLines({"250 Ok", "250 Ok", "354 Go", "250 Ok: queued as 1", "250 2.0.0 Ok",
                        "250 Ok", "250 Ok", "354 Go", "250 Ok: queued as 2",
                        "500 5.5.1 RSET what"});
  ASSERT_TRUE(client.Send({"s@client.test", {"a@mx.test"}}, kMessage).ok());
  ASSERT_TRUE(client.Reset().ok());
  TransactionResult second = client.Send({"s@client.test", {"b@mx.test"}}, kMessage);
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(second.data_reply.ToString(), "250 Ok: queued as 2");
  absl::Status refused = client.Reset();
  EXPECT_EQ(refused.code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(refused.message(), HasSubstr("500 5.5.1 RSET what"));
  EXPECT_FALSE(client.usable());
}

TEST_F(SmtpClientTest, HandshakeTwiceIsAnError) {
  SmtpClient& client = PlainClient();
  SessionResult again = client.Handshake();
  EXPECT_EQ(again.local_error.code(), absl::StatusCode::kFailedPrecondition);
}

TEST(TimeoutsTest, DefaultsFollowRfc5321) {
  Timeouts t;
  EXPECT_EQ(t.greeting, absl::Minutes(5));
  EXPECT_EQ(t.mail, absl::Minutes(5));
  EXPECT_EQ(t.rcpt, absl::Minutes(5));
  EXPECT_EQ(t.data, absl::Minutes(2));
  EXPECT_EQ(t.data_block, absl::Minutes(3));
  EXPECT_EQ(t.data_end, absl::Minutes(10));
  ClientOptions o;
  EXPECT_EQ(o.tls, TlsMode::kStartTlsRequired);
  EXPECT_TRUE(o.tls_options.verify_peer);
  EXPECT_FALSE(o.allow_plaintext_auth);
}

}  // namespace
}  // namespace kirim::smtp
