// Tests of ClientOptions::on_reply (server/smtp/smtp_client.h), the per-phase metrics hook:
// called exactly once per reply read (a multi-line reply is one), with the phase name and the
// reply code, and with code 0 when no reply could be read (or a command could not be written).
// Durations are never checked: only how often and with what the hook is called.
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/smtp/smtp_client.h"
#include "tests/smtp/fake_connection.h"

namespace kirim::smtp {
namespace {

using ::kirim::testing::FakeConnection;
using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::Pair;

constexpr char kMessage[] = "Subject: hi\r\n\r\nHello.\r\n";

class OnReplyTest : public ::testing::Test {
 protected:
  ClientOptions Options(TlsMode tls = TlsMode::kNone) {
    ClientOptions o;
    o.helo_name = "client.test";
    o.tls = tls;
    o.on_reply = [this](absl::string_view phase, int code, absl::Duration) {
      seen_.emplace_back(std::string(phase), code);
    };
    return o;
  }

  FakeConnection conn_;
  std::vector<std::pair<std::string, int>> seen_;
};

TEST_F(OnReplyTest, OnePerReplyWithItsPhaseAndCode) {
  conn_.AddServerLines({"220 mx.test ESMTP",
                        // One reply of four lines: one call.
                        "250-mx.test", "250-SIZE 1000000", "250-8BITMIME", "250 SMTPUTF8",
                        "250 2.1.0 Ok", "250 2.1.5 Ok", "550 5.1.1 no such user", "354 Go ahead",
                        "250 2.0.0 queued as ABC", "221 2.0.0 Bye"});
  SmtpClient client(conn_, Options());
  ASSERT_TRUE(client.Handshake().ok());
  EXPECT_THAT(seen_, ElementsAre(Pair("greeting", 220), Pair("ehlo", 250)));

  TransactionResult r = client.Send({"from@kirim.test", {"a@example.com", "b@example.com"}},
                                    kMessage);
  ASSERT_TRUE(r.ok()) << r.local_error;
  client.Quit();
  EXPECT_THAT(seen_, ElementsAre(Pair("greeting", 220), Pair("ehlo", 250), Pair("mail", 250),
                                 Pair("rcpt", 250), Pair("rcpt", 550), Pair("data", 354),
                                 Pair("data_end", 250), Pair("quit", 221)));
  EXPECT_EQ(conn_.unread(), 0u);
}

TEST_F(OnReplyTest, PipelinedRepliesAreEachReportedInOrder) {
  conn_.AddServerLines({"220 mx.test ESMTP", "250-mx.test", "250 PIPELINING", "250 Ok",
                        "451 4.3.0 try later", "250 Ok", "354 Go", "250 Ok"});
  SmtpClient client(conn_, Options());
  ASSERT_TRUE(client.Handshake().ok());
  TransactionResult r = client.Send({"from@kirim.test", {"a@example.com", "b@example.com"}},
                                    kMessage);
  ASSERT_TRUE(r.ok()) << r.local_error;
  EXPECT_THAT(seen_, ElementsAre(Pair("greeting", 220), Pair("ehlo", 250), Pair("mail", 250),
                                 Pair("rcpt", 451), Pair("rcpt", 250), Pair("data", 354),
                                 Pair("data_end", 250)));
}

TEST_F(OnReplyTest, StartTlsAndAuthArePhasesOfTheirOwn) {
  conn_.AddServerLines({"220 mx.test ESMTP", "250-mx.test", "250 STARTTLS",
                        "220 2.0.0 Ready to start TLS", "250-mx.test", "250 AUTH PLAIN LOGIN",
                        "235 2.7.0 Authentication successful"});
  ClientOptions o = Options(TlsMode::kStartTlsRequired);
  o.username = "user";
  o.password = "secret";
  SmtpClient client(conn_, o);
  SessionResult s = client.Handshake();
  ASSERT_TRUE(s.ok()) << s.failed_phase << " " << s.local_error;
  // The EHLO after TLS is reported again, as a second "ehlo".
  EXPECT_THAT(seen_, ElementsAre(Pair("greeting", 220), Pair("ehlo", 250), Pair("starttls", 220),
                                 Pair("ehlo", 250), Pair("auth", 235)));
}

TEST_F(OnReplyTest, EveryAuthLoginStepIsReported) {
  conn_.AddServerLines({"220 mx.test ESMTP", "250-mx.test", "250 AUTH LOGIN", "334 VXNlcm5hbWU6",
                        "334 UGFzc3dvcmQ6", "535 5.7.8 bad credentials"});
  ClientOptions o = Options();
  o.username = "user";
  o.password = "wrong";
  o.allow_plaintext_auth = true;
  SmtpClient client(conn_, o);
  SessionResult s = client.Handshake();
  EXPECT_EQ(s.failed_phase, "auth");
  EXPECT_THAT(seen_, ElementsAre(Pair("greeting", 220), Pair("ehlo", 250), Pair("auth", 334),
                                 Pair("auth", 334), Pair("auth", 535)));
}

TEST_F(OnReplyTest, HeloFallbackIsReportedUnderEhlo) {
  conn_.AddServerLines({"220 old.test SMTP", "502 5.5.2 EHLO not implemented", "250 old.test"});
  SmtpClient client(conn_, Options());
  ASSERT_TRUE(client.Handshake().ok());
  EXPECT_THAT(seen_, ElementsAre(Pair("greeting", 220), Pair("ehlo", 502), Pair("ehlo", 250)));
}

TEST_F(OnReplyTest, RefusedGreetingIsReportedWithItsCode) {
  conn_.AddServerLines({"554 5.3.2 no service for you"});
  SmtpClient client(conn_, Options());
  EXPECT_FALSE(client.Handshake().ok());
  EXPECT_THAT(seen_, ElementsAre(Pair("greeting", 554)));
}

TEST_F(OnReplyTest, FailedGreetingReadIsCodeZero) {
  conn_.AddReadError(absl::DeadlineExceededError("read timed out"));
  SmtpClient client(conn_, Options());
  SessionResult s = client.Handshake();
  EXPECT_EQ(s.failed_phase, "greeting");
  EXPECT_THAT(seen_, ElementsAre(Pair("greeting", 0)));
}

TEST_F(OnReplyTest, UnparseableReplyIsCodeZero) {
  conn_.AddServerLines({"HTTP/1.1 400 Bad Request"});
  SmtpClient client(conn_, Options());
  EXPECT_FALSE(client.Handshake().ok());
  EXPECT_THAT(seen_, ElementsAre(Pair("greeting", 0)));
}

TEST_F(OnReplyTest, ConnectionLostMidTransactionIsCodeZeroForThatPhase) {
  conn_.AddServerLines({"220 mx.test ESMTP", "250 mx.test", "250 Ok"});
  conn_.AddReadError(absl::UnavailableError("connection reset by peer"));
  SmtpClient client(conn_, Options());
  ASSERT_TRUE(client.Handshake().ok());
  TransactionResult r = client.Send({"from@kirim.test", {"a@example.com"}}, kMessage);
  EXPECT_EQ(r.failed_phase, "rcpt");
  // The stream is gone: Quit sends nothing and reads nothing, so reports nothing.
  client.Quit();
  EXPECT_THAT(seen_, ElementsAre(Pair("greeting", 220), Pair("ehlo", 250), Pair("mail", 250),
                                 Pair("rcpt", 0)));
}

TEST_F(OnReplyTest, FinalReplyTimeoutIsCodeZeroForDataEnd) {
  conn_.AddServerLines({"220 mx.test ESMTP", "250 mx.test", "250 Ok", "250 Ok", "354 Go"});
  // The script then runs out: the fake's reads time out.
  SmtpClient client(conn_, Options());
  ASSERT_TRUE(client.Handshake().ok());
  TransactionResult r = client.Send({"from@kirim.test", {"a@example.com"}}, kMessage);
  EXPECT_EQ(r.failed_phase, "data_end");
  EXPECT_THAT(seen_, ElementsAre(Pair("greeting", 220), Pair("ehlo", 250), Pair("mail", 250),
                                 Pair("rcpt", 250), Pair("data", 354), Pair("data_end", 0)));
}

TEST_F(OnReplyTest, FailedCommandWriteIsCodeZeroWithoutARead) {
  conn_.AddServerLines({"220 mx.test ESMTP", "250 mx.test", "250 Ok"});
  conn_.FailWritesFrom(1, absl::UnavailableError("broken pipe"));  // EHLO goes, MAIL does not
  SmtpClient client(conn_, Options());
  ASSERT_TRUE(client.Handshake().ok());
  TransactionResult r = client.Send({"from@kirim.test", {"a@example.com"}}, kMessage);
  EXPECT_EQ(r.failed_phase, "mail");
  EXPECT_THAT(seen_, ElementsAre(Pair("greeting", 220), Pair("ehlo", 250), Pair("mail", 0)));
  EXPECT_EQ(conn_.unread(), 1u);  // MAIL's reply was never read
}

TEST_F(OnReplyTest, RsetIsReportedAfterEveryRecipientWasRefusedAndOnReset) {
  conn_.AddServerLines({"220 mx.test ESMTP", "250 mx.test", "250 Ok", "550 5.1.1 unknown",
                        "250 2.0.0 Reset", "250 2.0.0 Reset", "221 Bye"});
  SmtpClient client(conn_, Options());
  ASSERT_TRUE(client.Handshake().ok());
  TransactionResult r = client.Send({"from@kirim.test", {"a@example.com"}}, kMessage);
  EXPECT_EQ(r.failed_phase, "rcpt");
  ASSERT_TRUE(client.Reset().ok());
  client.Quit();
  EXPECT_THAT(seen_, ElementsAre(Pair("greeting", 220), Pair("ehlo", 250), Pair("mail", 250),
                                 Pair("rcpt", 550), Pair("rset", 250), Pair("rset", 250),
                                 Pair("quit", 221)));
}

TEST_F(OnReplyTest, QuitWithoutReplyIsCodeZero) {
  conn_.AddServerLines({"220 mx.test ESMTP", "250 mx.test"});
  SmtpClient client(conn_, Options());
  ASSERT_TRUE(client.Handshake().ok());
  client.Quit();
  EXPECT_THAT(seen_, ElementsAre(Pair("greeting", 220), Pair("ehlo", 250), Pair("quit", 0)));
}

TEST_F(OnReplyTest, ChecksMadeBeforeSendingReportNothing) {
  // STARTTLS required but not offered: refused locally, nothing sent, nothing read.
  conn_.AddServerLines({"220 mx.test ESMTP", "250 mx.test"});
  SmtpClient client(conn_, Options(TlsMode::kStartTlsRequired));
  SessionResult s = client.Handshake();
  EXPECT_EQ(s.failed_phase, "starttls");
  EXPECT_THAT(seen_, ElementsAre(Pair("greeting", 220), Pair("ehlo", 250)));
}

TEST_F(OnReplyTest, NoObserverIsFine) {
  conn_.AddServerLines({"220 mx.test ESMTP", "250 mx.test"});
  ClientOptions o = Options();
  o.on_reply = nullptr;
  SmtpClient client(conn_, o);
  EXPECT_TRUE(client.Handshake().ok());
  EXPECT_THAT(seen_, IsEmpty());
}

}  // namespace
}  // namespace kirim::smtp
