// Nothing accepted is lost when every Kirim process restarts mid-run: kirimd is killed with
// SIGKILL and Redis is restarted (AOF) while messages are flowing; a fresh kirimd delivers every
// accepted message (at least once).
#include <set>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "server/auth/api_key_format.h"
#include "server/common/random.h"
#include "tests/e2e/e2e_util.h"
#include "tests/harness/kirimd_process.h"
#include "tests/harness/redis_server.h"
#include "tests/harness/smtp_peer.h"

namespace kirim {
namespace {

TEST(RestartE2eTest, KillingKirimdAndRestartingRedisMidRunLosesNothing) {
  constexpr int kMessages = 200;
  testing::RedisServer redis;
  ASSERT_TRUE(redis.Start().ok());
  testing::SmtpPeer peer;
  ASSERT_TRUE(peer.Start({}).ok());
  SecureRandom random;
  const std::string admin = GenerateApiKeyString(random);
  const std::string config = absl::StrCat(
      "redis { port: ", redis.port(), " health_interval_ms: 100 }\n",
      "delivery { mode: RELAY poll_interval_ms: 100 concurrency: 4 lease_timeout_ms: 3000\n",
      "  relay { host: \"127.0.0.1\" port: ", peer.port(), " tls: NONE }\n",
      "  retry { first_retry_ms: 200 factor: 1 max_delay_ms: 200 jitter: -1 }\n",
      "  timeouts { connect_ms: 500 greeting_ms: 500 ehlo_ms: 500 mail_ms: 500 rcpt_ms: 500",
      " data_ms: 500 data_block_ms: 500 data_end_ms: 1000 starttls_ms: 500 auth_ms: 500 } }\n");

  testing::KirimdProcess first;
  ASSERT_TRUE(first.Start(config, {{"KIRIM_ADMIN_KEY", admin}}).ok());
  std::vector<std::string> ids;
  auto stub = first.MailStub();
  for (int i = 0; i < kMessages; ++i) {
    v1::SendEmailRequest r;
    r.set_from("shop@example.com");
    r.add_to(absl::StrCat("c", i, "@example.net"));
    r.set_text_body("hello");
    grpc::ClientContext ctx;
    first.Authorize(&ctx);
    v1::SendEmailResponse resp;
    grpc::Status s = stub->SendEmail(&ctx, r, &resp);
    ASSERT_TRUE(s.ok()) << s.error_message();
    ids.push_back(resp.id());
    // Crash in the middle of the run: kirimd dies, then Redis restarts from its AOF.
    if (i == kMessages / 2) {
      ASSERT_TRUE(first.WaitForEvent("delivered").ok());
      first.Kill();
      redis.Stop();
      ASSERT_TRUE(redis.Start().ok());
      ASSERT_TRUE(first.Start(config, {{"KIRIM_ADMIN_KEY", admin}}).ok());
      stub = first.MailStub();
    }
  }
  // Every accepted message ends up delivered.
  std::set<std::string> pending(ids.begin(), ids.end());
  size_t from = 0;
  while (!pending.empty()) {
    auto line = first.process().WaitForLine(
        [](const std::string& l) { return l.find("\"event\":\"delivered\"") != std::string::npos; },
        absl::Seconds(60), from);
    ASSERT_TRUE(line.ok()) << pending.size() << " never delivered, e.g. " << *pending.begin();
    from = first.process().LineCount();
    // Re-check every pending id with GetMessage: it also covers deliveries logged before the
    // restart, whose log lines belonged to the killed process.
    for (auto it = pending.begin(); it != pending.end();) {
      grpc::ClientContext ctx;
      first.Authorize(&ctx);
      v1::GetMessageRequest req;
      req.set_name("messages/" + *it);
      v1::Message m;
      grpc::Status s = first.MailStub()->GetMessage(&ctx, req, &m);
      ASSERT_TRUE(s.ok()) << *it << ": " << s.error_message() << " (lost?)";
      it = m.state() == v1::DELIVERED ? pending.erase(it) : std::next(it);
    }
  }
  EXPECT_GE(peer.ReceivedCount(), kMessages);  // at least once
}

}  // namespace
}  // namespace kirim
