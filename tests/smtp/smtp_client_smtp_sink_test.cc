// Integration tests: SmtpClient over SocketConnector against Postfix's smtp-sink on 127.0.0.1:
// plaintext ESMTP with PIPELINING, and smtp-sink's failure injection (-r soft reject, -f hard
// reject, -Q 421 and disconnect, -q disconnect without reply).
#include <unistd.h>

#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/smtp/smtp_client.h"
#include "server/smtp/socket_transport.h"
#include "tests/harness/subprocess.h"

namespace kirim::smtp {
namespace {

using ::kirim::testing::FreePort;
using ::kirim::testing::Subprocess;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr absl::Duration kPeerStart = absl::Seconds(60);
constexpr absl::Duration kIo = absl::Seconds(30);

constexpr char kMessage[] =
    "From: alice@kirim.test\r\n"
    "To: bob@sink.test\r\n"
    "Subject: pipelined\r\n"
    "\r\n"
    ".a line that needs stuffing\r\n"
    "bye\r\n";

// Wraps the real connection and records each Write(), so a test can see on a real peer what
// went out in one write (PIPELINING) without a proxy.
class RecordingConnection final : public Connection {
 public:
  explicit RecordingConnection(std::unique_ptr<Connection> inner) : inner_(std::move(inner)) {}
  absl::Status Write(absl::string_view data, absl::Duration timeout) override {
    writes_.emplace_back(data);
    return inner_->Write(data, timeout);
  }
  absl::StatusOr<std::string> ReadLine(absl::Duration timeout) override {
    return inner_->ReadLine(timeout);
  }
  absl::Status StartTls(const TlsOptions& tls, absl::Duration timeout) override {
    return inner_->StartTls(tls, timeout);
  }
  bool IsTls() const override { return inner_->IsTls(); }
  std::string Describe() const override { return inner_->Describe(); }
  const std::vector<std::string>& writes() const { return writes_; }

 private:
  std::unique_ptr<Connection> inner_;
  std::vector<std::string> writes_;
};

std::string FindSmtpSink() {
  std::vector<std::string> dirs = {"/usr/sbin", "/usr/bin", "/usr/local/sbin"};
  if (const char* path = std::getenv("PATH")) {
    for (absl::string_view d : absl::StrSplit(path, ':', absl::SkipEmpty())) {
      dirs.emplace_back(d);
    }
  }
  for (const std::string& d : dirs) {
    std::string candidate = d + "/smtp-sink";
    if (access(candidate.c_str(), X_OK) == 0) return candidate;
  }
  return "";
}

class SmtpSinkTest : public ::testing::Test {
 protected:
  void TearDown() override {
    if (sink_.running()) {
      EXPECT_NE(sink_.Stop(), -1) << "smtp-sink did not stop on SIGTERM";
    }
  }

  // Starts smtp-sink on a free port with extra `options` (e.g. {"-r", "MAIL"}).
  void StartSink(const std::vector<std::string>& options) {
    std::string sink = FindSmtpSink();
    ASSERT_FALSE(sink.empty()) << "smtp-sink not installed (Debian package postfix)";
    port_ = FreePort();
    ASSERT_GT(port_, 0);
    std::vector<std::string> argv;
    // As root smtp-sink insists on -u to drop privileges, but Bazel's sandbox is a user
    // namespace that maps root alone, where setgid() fails. A fresh user namespace without
    // mappings makes it run unprivileged (as the overflow uid) instead, sandboxed or not.
    if (geteuid() == 0) argv = {"/usr/bin/unshare", "--user"};
    argv.insert(argv.end(), {sink, "-h", "sink.test"});
    argv.insert(argv.end(), options.begin(), options.end());
    argv.insert(argv.end(), {absl::StrCat("127.0.0.1:", port_), "256"});
    absl::Status started = sink_.Start(argv);
    ASSERT_TRUE(started.ok()) << started;
    // smtp-sink prints nothing when it listens.
    absl::Status ready = sink_.WaitForPort(port_, kPeerStart);
    ASSERT_TRUE(ready.ok()) << ready;
  }

  // Connects and runs the plaintext handshake.
  void Connect() {
    absl::StatusOr<std::unique_ptr<Connection>> conn =
        connector_.Connect("127.0.0.1", port_, kIo, nullptr);
    ASSERT_TRUE(conn.ok()) << conn.status();
    conn_ = std::make_unique<RecordingConnection>(*std::move(conn));
    ClientOptions o;
    o.helo_name = "client.kirim.test";
    o.tls = TlsMode::kNone;
    Timeouts& t = o.timeouts;
    t.greeting = t.ehlo = t.starttls = t.auth = t.mail = t.rcpt = t.data = t.data_block =
        t.data_end = t.rset = t.quit = kIo;
    client_ = std::make_unique<SmtpClient>(*conn_, o);
    SessionResult s = client_->Handshake();
    ASSERT_TRUE(s.ok()) << s.failed_phase << ": " << s.failed_reply.ToString() << " "
                        << s.local_error;
  }

  SocketConnector connector_;
  Subprocess sink_;
  int port_ = 0;
  std::unique_ptr<RecordingConnection> conn_;
  std::unique_ptr<SmtpClient> client_;
};

TEST_F(SmtpSinkTest, PlaintextPipelinedDelivery) {
  StartSink({});
  Connect();
  EXPECT_EQ(client_->extensions().count("PIPELINING"), 1u);
  EXPECT_FALSE(conn_->IsTls());

  TransactionResult r =
      client_->Send({"alice@kirim.test", {"bob@sink.test", "carol@sink.test", "dave@sink.test"}},
                    kMessage);
  ASSERT_TRUE(r.ok()) << r.failed_phase << ": " << r.failed_reply.ToString() << " "
                      << r.local_error;
  for (const Reply& rcpt : r.rcpt_replies) EXPECT_EQ(rcpt.code, 250) << rcpt.ToString();
  EXPECT_EQ(r.data_reply.code, 250);
  EXPECT_EQ(r.data_reply.enhanced_code, "2.0.0");

  // MAIL, the three RCPTs and DATA went out as one group (RFC 2920), then the content.
  bool grouped = false;
  for (const std::string& w : conn_->writes()) {
    if (absl::StartsWith(w, "MAIL FROM:<alice@kirim.test>")) {
      grouped = absl::EndsWith(w, "RCPT TO:<bob@sink.test>\r\nRCPT TO:<carol@sink.test>\r\n"
                                  "RCPT TO:<dave@sink.test>\r\nDATA\r\n");
    }
  }
  EXPECT_TRUE(grouped);
  EXPECT_THAT(conn_->writes().back(), HasSubstr("\r\n..a line that needs stuffing\r\n"));

  // The session carries further transactions.
  ASSERT_TRUE(client_->Reset().ok());
  TransactionResult second = client_->Send({"", {"postmaster@sink.test"}}, "Subject: 2\r\n");
  EXPECT_TRUE(second.ok()) << second.failed_phase << " " << second.local_error;
  client_->Quit();
}

// smtp-sink does not offer SMTPUTF8 (RFC 6531): a UTF-8 recipient is refused by the client
// and left out of the pipelined group, the others get the message; a UTF-8 sender sends nothing.
TEST_F(SmtpSinkTest, WithoutSmtpUtf8Utf8AddressesAreRefusedLocally) {
  StartSink({});
  Connect();
  ASSERT_EQ(client_->extensions().count("SMTPUTF8"), 0u);
  const std::string utf8_rcpt = "j\xc3\xb6rg@sink.test";
  TransactionResult r =
      client_->Send({"alice@kirim.test", {"bob@sink.test", utf8_rcpt, "carol@sink.test"}},
                    kMessage);
  ASSERT_TRUE(r.ok()) << r.failed_phase << ": " << r.failed_reply.ToString() << " "
                      << r.local_error;
  EXPECT_EQ(r.rcpt_replies[0].code, 250);
  EXPECT_EQ(r.rcpt_replies[1].ToString(),
            absl::StrCat("553 5.6.7 not sent: ", conn_->Describe(),
                         " does not support SMTPUTF8 (RFC 6531), needed for this recipient "
                         "address"));
  EXPECT_EQ(r.rcpt_replies[2].code, 250);
  EXPECT_EQ(r.data_reply.code, 250);
  bool grouped = false;
  for (const std::string& w : conn_->writes()) {
    EXPECT_THAT(w, Not(HasSubstr(utf8_rcpt)));
    if (absl::StartsWith(w, "MAIL FROM:<alice@kirim.test>")) {
      grouped = absl::EndsWith(w, "RCPT TO:<bob@sink.test>\r\nRCPT TO:<carol@sink.test>\r\nDATA\r\n");
    }
  }
  EXPECT_TRUE(grouped);

  const size_t writes = conn_->writes().size();
  TransactionResult refused = client_->Send({"j\xc3\xb6rg@kirim.test", {"bob@sink.test"}}, kMessage);
  EXPECT_EQ(refused.failed_phase, "mail");
  EXPECT_EQ(refused.failed_reply.enhanced_code, "5.6.7");
  EXPECT_EQ(refused.Classify(), ReplyClass::kPermanent);
  EXPECT_EQ(conn_->writes().size(), writes);
  // The session is as it was: the next transaction goes through.
  TransactionResult after = client_->Send({"alice@kirim.test", {"bob@sink.test"}}, kMessage);
  EXPECT_TRUE(after.ok()) << after.failed_phase << " " << after.local_error;
  client_->Quit();
}

TEST_F(SmtpSinkTest, SoftRejectedMailIsTransientAndKeptWithoutPipelining) {
  StartSink({"-r", "MAIL"});  // -r also turns PIPELINING off
  Connect();
  EXPECT_EQ(client_->extensions().count("PIPELINING"), 0u);
  TransactionResult r = client_->Send({"alice@kirim.test", {"bob@sink.test"}}, kMessage);
  EXPECT_EQ(r.failed_phase, "mail");
  EXPECT_EQ(r.failed_reply.code, 450);
  EXPECT_EQ(r.Classify(), ReplyClass::kTransient);
  EXPECT_TRUE(r.local_error.ok());
  EXPECT_TRUE(client_->usable());
  client_->Quit();
}

TEST_F(SmtpSinkTest, AllRecipientsHardRejectedThenRset) {
  StartSink({"-f", "RCPT"});
  Connect();
  TransactionResult r =
      client_->Send({"alice@kirim.test", {"bob@sink.test", "carol@sink.test"}}, kMessage);
  EXPECT_EQ(r.failed_phase, "rcpt");
  ASSERT_EQ(r.rcpt_replies.size(), 2u);
  EXPECT_EQ(r.rcpt_replies[0].code, 500);
  EXPECT_EQ(r.rcpt_replies[1].code, 500);
  EXPECT_EQ(r.Classify(), ReplyClass::kPermanent);
  EXPECT_EQ(conn_->writes().back(), "RSET\r\n");
  EXPECT_TRUE(client_->usable());  // the RSET was accepted
  client_->Quit();
}

TEST_F(SmtpSinkTest, FinalDotHardRejectedIsDataEnd) {
  StartSink({"-f", "."});
  Connect();
  TransactionResult r = client_->Send({"alice@kirim.test", {"bob@sink.test"}}, kMessage);
  EXPECT_EQ(r.failed_phase, "data_end");
  EXPECT_EQ(r.data_reply.code, 500);
  EXPECT_EQ(r.Classify(), ReplyClass::kPermanent);
  client_->Quit();
}

TEST_F(SmtpSinkTest, ClosingReplyToPipelinedDataEndsTheSession) {
  StartSink({"-Q", "DATA"});
  Connect();
  EXPECT_EQ(client_->extensions().count("PIPELINING"), 1u);
  TransactionResult r = client_->Send({"alice@kirim.test", {"bob@sink.test"}}, kMessage);
  EXPECT_EQ(r.failed_phase, "data");
  EXPECT_EQ(r.failed_reply.code, 421);
  EXPECT_EQ(r.Classify(), ReplyClass::kTransient);
  EXPECT_FALSE(client_->usable());
  EXPECT_THAT(conn_->writes().back(), HasSubstr("DATA\r\n"));  // no content, no RSET after 421
}

TEST_F(SmtpSinkTest, DisconnectWithoutReplyIsLocalUnavailable) {
  StartSink({"-q", "RCPT"});
  Connect();
  TransactionResult r = client_->Send({"alice@kirim.test", {"bob@sink.test"}}, kMessage);
  EXPECT_EQ(r.failed_phase, "rcpt");
  EXPECT_EQ(r.local_error.code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(r.failed_reply.code, 0);
  EXPECT_EQ(r.Classify(), ReplyClass::kTransient);
  EXPECT_FALSE(client_->usable());
}

}  // namespace
}  // namespace kirim::smtp
