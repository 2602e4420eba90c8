// Graceful shutdown end to end: on SIGTERM kirimd reports NOT_SERVING at once (so Kubernetes
// readiness drains it), takes no new work, finishes or leaves what it holds within the grace
// period, and exits; a message it could not finish is delivered by another worker.
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "server/auth/api_key_format.h"
#include "server/common/random.h"
#include "gtest/gtest.h"
#include "tests/e2e/e2e_util.h"
#include "tests/harness/kirimd_process.h"
#include "tests/harness/redis_server.h"
#include "tests/harness/smtp_peer.h"

namespace kirim {
namespace {

using grpc::health::v1::HealthCheckResponse;
using testing::KirimdProcess;

constexpr char kPassword[] = "shutdown-pw";

class ShutdownE2eTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(redis_.Start().ok()); }

  std::string Config(const testing::SmtpPeer& peer) {
    return absl::StrCat(
        "redis { port: ", redis_.port(), " health_interval_ms: 100 }\n",
        "delivery {\n  mode: RELAY poll_interval_ms: 200 shutdown_grace_ms: 1500 lease_timeout_ms: 12000\n",
        "  relay { host: \"127.0.0.1\" port: ", peer.port(), " ca_file: \"", peer.ca_file(),
        "\" tls_server_name: \"mx.test\" username: \"kirim\" }\n",
        "  timeouts { connect_ms: 2000 greeting_ms: 2000 ehlo_ms: 2000 starttls_ms: 2000 auth_ms: 2000",
        " mail_ms: 2000 rcpt_ms: 2000 data_ms: 2000 data_block_ms: 2000 data_end_ms: 20000 }\n}\n");
  }
  std::map<std::string, std::string> Env() {
    return {{"KIRIM_RELAY_PASSWORD", kPassword}, {"KIRIM_ADMIN_KEY", admin_}};
  }
  std::string Send(KirimdProcess& k) {
    v1::SendEmailRequest r;
    r.set_from("shop@example.com");
    r.add_to("ana@example.net");
    r.set_subject("during shutdown");
    r.set_text_body("hello");
    grpc::ClientContext ctx;
    k.Authorize(&ctx);
    v1::SendEmailResponse resp;
    grpc::Status s = k.MailStub()->SendEmail(&ctx, r, &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return resp.id();
  }

  testing::RedisServer redis_;
  std::string admin_ = [] {
    SecureRandom random;
    return GenerateApiKeyString(random);
  }();
};

TEST_F(ShutdownE2eTest, IdleKirimdTurnsNotServingAndExitsCleanly) {
  testing::SmtpPeer peer;
  ASSERT_TRUE(peer.Start({.require_starttls = true, .auth = absl::StrCat("kirim:", kPassword)}).ok());
  KirimdProcess k;
  absl::Status started = k.Start(Config(peer), Env());
  ASSERT_TRUE(started.ok()) << started;
  auto health = k.HealthStub();
  ASSERT_TRUE(testing::WaitForHealth(*health, "", HealthCheckResponse::SERVING));

  // Watch first, then signal: the stream must report NOT_SERVING before the server goes away.
  grpc::ClientContext ctx;
  testing::SetDeadline(&ctx, absl::Seconds(30));
  grpc::health::v1::HealthCheckRequest req;
  auto reader = health->Watch(&ctx, req);
  grpc::health::v1::HealthCheckResponse resp;
  ASSERT_TRUE(reader->Read(&resp));
  EXPECT_EQ(resp.status(), HealthCheckResponse::SERVING);
  k.process().Signal(SIGTERM);
  bool saw_not_serving = false;
  while (reader->Read(&resp)) {
    if (resp.status() == HealthCheckResponse::NOT_SERVING) {
      saw_not_serving = true;
      break;
    }
  }
  EXPECT_TRUE(saw_not_serving);
  ctx.TryCancel();
  EXPECT_EQ(testing::ExitCode(k.process().Wait(absl::Seconds(30))), 0);
  EXPECT_TRUE(k.WaitForEvent("stopped", "", absl::Seconds(1)).ok());
  EXPECT_TRUE(absl::StrContains(*k.WaitForEvent("stopped", "", absl::Seconds(1)), "\"drained\":\"true\""));
}

TEST_F(ShutdownE2eTest, AMessageStuckPastTheGracePeriodIsLeftForAnotherWorker) {
  testing::SmtpPeer peer;
  ASSERT_TRUE(peer.Start({.require_starttls = true,
                          .auth = absl::StrCat("kirim:", kPassword),
                          .stall_data = 1})
                  .ok());
  KirimdProcess first;
  absl::Status started = first.Start(Config(peer), Env());
  ASSERT_TRUE(started.ok()) << started;
  const std::string id = Send(first);
  ASSERT_TRUE(peer.WaitForEvent("STALLED 1").ok());
  first.process().Signal(SIGTERM);
  // It does not wait for the stalled session beyond its grace period.
  EXPECT_EQ(testing::ExitCode(first.process().Wait(absl::Seconds(30))), 0);
  EXPECT_TRUE(first.WaitForEvent("grace_period_exceeded", "", absl::Seconds(1)).ok());

  KirimdProcess second;
  ASSERT_TRUE(second.Start(Config(peer), Env()).ok());
  ASSERT_TRUE(second.WaitForEvent("delivered", id, absl::Seconds(60)).ok());
  EXPECT_EQ(peer.ReceivedCount(), 1);
}

}  // namespace
}  // namespace kirim
