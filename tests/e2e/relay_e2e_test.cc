// End to end through a relay: a real redis-server, real kirimd processes, and a real SMTP
// server (aiosmtpd) that requires STARTTLS and AUTH, with a certificate kirimd must verify.
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "server/auth/api_key_format.h"
#include "server/common/random.h"
#include "server/compose/compose.h"
#include "server/queue/redis_message_queue.h"
#include "tests/common/fake_random.h"
#include "tests/e2e/e2e_util.h"
#include "tests/harness/kirimd_process.h"
#include "tests/harness/redis_server.h"
#include "tests/harness/smtp_peer.h"

namespace kirim {
namespace {

using testing::KirimdProcess;
using testing::RedisServer;
using testing::SmtpPeer;
using testing::SmtpPeerOptions;

constexpr char kPassword[] = "s3cret-relay-pw";

class RelayE2eTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(redis_.Start().ok());
    redis_client_ = redis_.Client();
  }

  // A kirimd delivering to the peer. `extra` is appended inside `delivery { }`.
  std::string Config(const SmtpPeer& peer, const std::string& tls, const std::string& extra = "",
                     int timeout_ms = 5000) {
    const std::string t = std::to_string(timeout_ms);
    return absl::StrCat(
        "redis { port: ", redis_.port(), " }\n",
        "delivery {\n  mode: RELAY poll_interval_ms: 200 retry { first_retry_ms: 3600000 }\n",
        "  relay { host: \"127.0.0.1\" port: ", peer.port(), " tls: ", tls,
        " ca_file: \"", peer.ca_file(), "\" tls_server_name: \"mx.test\" username: \"kirim\" }\n",
        "  timeouts { connect_ms: ", t, " greeting_ms: ", t, " ehlo_ms: ", t, " starttls_ms: ", t,
        " auth_ms: ", t, " mail_ms: ", t, " rcpt_ms: ", t, " data_ms: ", t, " data_block_ms: ", t,
        " data_end_ms: ", 2 * timeout_ms, " }\n",
        extra, "}\n");
  }

  absl::Status StartKirimd(KirimdProcess& k, const std::string& config,
                           const std::string& password = kPassword) {
    // Every kirimd of a test shares the admin key, so any of them answers for the others' data.
    return k.Start(config, {{"KIRIM_RELAY_PASSWORD", password}, {"KIRIM_ADMIN_KEY", admin_key_}});
  }

  v1::SendEmailRequest Request() {
    v1::SendEmailRequest r;
    r.set_from("Toko Kirim <toko@example.com>");
    r.add_to("Ana Pérez <ana@example.net>");
    r.add_cc("bo@example.org");
    r.add_bcc("audit@example.com");
    r.set_subject("Pesanan #42 — terima kasih");
    // Lines that need dot-stuffing, a line over 998 octets, UTF-8, no final newline.
    r.set_text_body(absl::StrCat("Halo Ana,\n.\n..two dots\n.leading dot\n", std::string(1200, 'x'),
                                 "\nsampai jumpa — ✓"));
    (*r.mutable_headers())["X-Campaign"] = "spring-2026";
    return r;
  }

  std::string Send(KirimdProcess& k, const v1::SendEmailRequest& r) {
    grpc::ClientContext ctx;
    k.Authorize(&ctx);
    v1::SendEmailResponse resp;
    grpc::Status s = k.MailStub()->SendEmail(&ctx, r, &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return resp.id();
  }

  v1::Message Get(KirimdProcess& k, const std::string& id) {
    grpc::ClientContext ctx;
    k.Authorize(&ctx);
    v1::GetMessageRequest req;
    req.set_name("messages/" + id);
    v1::Message m;
    grpc::Status s = k.MailStub()->GetMessage(&ctx, req, &m);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return m;
  }

  RedisServer redis_;
  std::unique_ptr<redis::HiredisClient> redis_client_;
  std::string admin_key_ = [] {
    SecureRandom random;
    return GenerateApiKeyString(random);
  }();
};

TEST_F(RelayE2eTest, StartTlsAndAuthDeliverTheMessageByteIntactWithTheRightEnvelope) {
  SmtpPeer peer;
  ASSERT_TRUE(peer.Start({.require_starttls = true, .auth = absl::StrCat("kirim:", kPassword)}).ok());
  KirimdProcess kirimd;
  ASSERT_TRUE(StartKirimd(kirimd, Config(peer, "STARTTLS")).ok());

  std::string id = Send(kirimd, Request());
  auto received = peer.WaitForMessage();
  ASSERT_TRUE(received.ok()) << received.status();
  ASSERT_TRUE(kirimd.WaitForEvent("delivered", id).ok());

  // Byte-intact: exactly what Kirim composes from the stored record (a text-only message has no
  // random boundary), after the SMTP round trip of dot-stuffing.
  RedisMessageQueue queue(*redis_client_, nullptr, {});
  auto record = queue.Get("default", id);
  ASSERT_TRUE(record.ok() && record->has_value());
  testing::FakeRandom random;
  auto expected = ComposeMessage(**record, random);
  ASSERT_TRUE(expected.ok()) << expected.status();
  EXPECT_EQ(received->content, *expected);
  EXPECT_TRUE(absl::StrContains(received->content, "\r\n..two dots=\r\n") ||
              absl::StrContains(received->content, "\r\n..two dots\r\n"))
      << received->content;

  EXPECT_TRUE(absl::StrContains(received->meta, "\"mail_from\": \"toko@example.com\"")) << received->meta;
  EXPECT_TRUE(absl::StrContains(
      received->meta, "\"rcpt_tos\": [\"ana@example.net\", \"bo@example.org\", \"audit@example.com\"]"))
      << received->meta;
  EXPECT_TRUE(absl::StrContains(received->meta, "\"login\": \"kirim\"")) << received->meta;
  EXPECT_TRUE(absl::StrContains(received->meta, "\"tls\": true")) << received->meta;

  v1::Message m = Get(kirimd, id);
  EXPECT_EQ(m.state(), v1::DELIVERED);
  ASSERT_EQ(m.attempts_size(), 1);
  EXPECT_EQ(m.attempts(0).reply().code(), 250);
  EXPECT_EQ(m.attempts(0).reply().text(), "OK: queued as " + received->name);
  EXPECT_EQ(m.attempts(0).remote(), absl::StrCat("127.0.0.1:", peer.port()));
  for (const auto& r : m.recipients()) EXPECT_EQ(r.state(), v1::RECIPIENT_DELIVERED) << r.address();
}

TEST_F(RelayE2eTest, ImplicitTlsDelivers) {
  SmtpPeer peer;
  ASSERT_TRUE(peer.Start({.implicit_tls = true, .auth = absl::StrCat("kirim:", kPassword)}).ok());
  KirimdProcess kirimd;
  ASSERT_TRUE(StartKirimd(kirimd, Config(peer, "IMPLICIT")).ok());
  std::string id = Send(kirimd, Request());
  ASSERT_TRUE(peer.WaitForMessage().ok());
  ASSERT_TRUE(kirimd.WaitForEvent("delivered", id).ok());
  EXPECT_EQ(Get(kirimd, id).state(), v1::DELIVERED);
}

TEST_F(RelayE2eTest, WrongPasswordFailsWithThe535ReplyKept) {
  SmtpPeer peer;
  ASSERT_TRUE(peer.Start({.require_starttls = true, .auth = absl::StrCat("kirim:", kPassword)}).ok());
  KirimdProcess kirimd;
  ASSERT_TRUE(StartKirimd(kirimd, Config(peer, "STARTTLS"), "not-the-password").ok());
  std::string id = Send(kirimd, Request());
  ASSERT_TRUE(kirimd.WaitForEvent("failed", id).ok());

  v1::Message m = Get(kirimd, id);
  EXPECT_EQ(m.state(), v1::FAILED);
  ASSERT_EQ(m.attempts_size(), 1);
  EXPECT_EQ(m.attempts(0).reply().code(), 535);
  EXPECT_EQ(m.attempts(0).reply().enhanced_code(), "5.7.8");
  EXPECT_EQ(m.attempts(0).reply().text(), "Authentication credentials invalid");
  for (const auto& r : m.recipients()) {
    EXPECT_EQ(r.state(), v1::RECIPIENT_BOUNCED);
    EXPECT_EQ(r.reply().code(), 535);
  }
  EXPECT_EQ(peer.ReceivedCount(), 0);
}

TEST_F(RelayE2eTest, A451LeavesTheMessageQueuedForRetryNotLost) {
  SmtpPeer peer;
  ASSERT_TRUE(peer.Start({.require_starttls = true,
                          .auth = absl::StrCat("kirim:", kPassword),
                          .reply_data = "451 4.3.0 Mail server temporarily rejected message"})
                  .ok());
  KirimdProcess kirimd;
  ASSERT_TRUE(StartKirimd(kirimd, Config(peer, "STARTTLS")).ok());
  std::string id = Send(kirimd, Request());
  ASSERT_TRUE(kirimd.WaitForEvent("deferred", id).ok());

  v1::Message m = Get(kirimd, id);
  EXPECT_EQ(m.state(), v1::DEFERRED);
  ASSERT_EQ(m.attempts_size(), 1);
  EXPECT_EQ(m.attempts(0).reply().code(), 451);
  EXPECT_EQ(m.attempts(0).reply().text(), "Mail server temporarily rejected message");
  EXPECT_GT(m.next_attempt_time().seconds(), m.attempts(0).end_time().seconds());
  // Still in Redis, scheduled for its retry.
  RedisMessageQueue queue(*redis_client_, nullptr, {});
  auto score = redis_client_->Command({"ZSCORE", queue.ScheduledKey(0), "t|default|" + id});
  ASSERT_TRUE(score.ok());
  EXPECT_EQ(score->type, redis::RedisValue::Type::kString) << "not in the scheduled set";
  EXPECT_EQ(peer.ReceivedCount(), 0);
}

TEST_F(RelayE2eTest, AMessageOfAWorkerKilledMidDeliveryIsDeliveredByAnother) {
  SmtpPeer peer;
  // The first DATA is never answered: the first worker is stuck mid-delivery when it dies.
  ASSERT_TRUE(peer.Start({.require_starttls = true,
                          .auth = absl::StrCat("kirim:", kPassword),
                          .stall_data = 1})
                  .ok());
  // A short lease, and SMTP timeouts short enough for config validation to allow it.
  const std::string config = Config(peer, "STARTTLS", "lease_timeout_ms: 6000\n", 2000);
  KirimdProcess first;
  absl::Status started = StartKirimd(first, config);
  ASSERT_TRUE(started.ok()) << started;
  std::string id = Send(first, Request());
  ASSERT_TRUE(peer.WaitForEvent("STALLED 1").ok());
  first.Kill();  // SIGKILL: no chance to record or hand anything back

  KirimdProcess second;
  ASSERT_TRUE(StartKirimd(second, config).ok());
  ASSERT_TRUE(second.WaitForEvent("delivered", id, absl::Seconds(60)).ok());
  auto received = peer.WaitForMessage();
  ASSERT_TRUE(received.ok());
  EXPECT_TRUE(absl::StrContains(received->content, "Message-ID: <" + id + "@example.com>"));
  EXPECT_EQ(peer.ReceivedCount(), 1);

  v1::Message m = Get(second, id);
  EXPECT_EQ(m.state(), v1::DELIVERED);
  ASSERT_EQ(m.attempts_size(), 1);  // the dead worker recorded nothing
  EXPECT_NE(m.attempts(0).worker().find(std::to_string(second.process().pid())), std::string::npos)
      << m.attempts(0).worker();
}

}  // namespace
}  // namespace kirim
