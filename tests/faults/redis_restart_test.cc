// Fault: Redis dies (SIGKILL) mid-run and comes back on the same port and data directory.
//
// Redis runs with AOF and `appendfsync always`, so a write Redis acknowledged is on disk: an
// accepted SendEmail means an fsynced message. While SendEmail calls are in flight and a kirimd
// (role all) delivers to an SMTP peer, Redis is killed. During the outage SendEmail fails with
// UNAVAILABLE (a clear "message store unavailable" and RetryInfo) and health says NOT_SERVING;
// Redis restarts from its AOF and kirimd, not restarted, reconnects by itself (SERVING again)
// and delivers every message whose SendEmail returned OK. Counted by Message-ID at the peer.
#include <iostream>

#include "absl/strings/match.h"
#include "gtest/gtest.h"
#include "tests/e2e/e2e_util.h"
#include "tests/faults/fault_util.h"
#include "tests/harness/kirimd_process.h"
#include "tests/harness/redis_server.h"
#include "tests/harness/smtp_peer.h"

namespace kirim::testing {
namespace {

using grpc::health::v1::HealthCheckResponse;

constexpr int kMessages = 1500;
constexpr int kThreads = 4;
constexpr int kConcurrency = 4;

TEST(RedisRestartTest, AcceptedMessagesSurviveARedisCrashAndKirimdReconnectsByItself) {
  FaultRig rig;
  ASSERT_TRUE(rig.Start({.redis = {.appendfsync = "always"},
                         .relay = {.concurrency = kConcurrency,
                                   .phase_timeout_ms = 3000,
                                   .data_end_ms = 6000}})
                  .ok());
  RedisServer& redis = rig.redis();
  KirimdProcess& kirimd = rig.kirimd();
  auto health = kirimd.HealthStub();

  Sender sender(kirimd, {.threads = kThreads, .target = kMessages, .max_calls = 4 * kMessages});
  sender.Start();
  // Messages flowing both ways: accepted, and some delivered.
  ASSERT_TRUE(WaitForFlowing(sender, 300, rig.peer()).ok());

  const int accepted_before = static_cast<int>(sender.accepted().size());
  const size_t failures_before = sender.failures().size();
  redis.Kill();
  const absl::Time down = absl::Now();
  // The outage is visible: health NOT_SERVING, and SendEmail refused with UNAVAILABLE.
  ASSERT_TRUE(WaitForHealth(*health, "", HealthCheckResponse::NOT_SERVING));
  ASSERT_TRUE(sender.WaitForFailures(grpc::StatusCode::UNAVAILABLE, 5, absl::Seconds(30)).ok());
  // ... and the delivery workers noticed too.
  ASSERT_TRUE(kirimd.WaitForEvent("queue_error", "", absl::Seconds(30)).ok());

  ASSERT_TRUE(redis.Start().ok());  // same port, same AOF
  const absl::Time up = absl::Now();
  // kirimd was not restarted: it finds Redis again by itself.
  ASSERT_TRUE(WaitForHealth(*health, "", HealthCheckResponse::SERVING));

  ASSERT_TRUE(sender.WaitForDone(absl::Seconds(120)).ok());
  const std::map<std::string, std::string> accepted = sender.accepted();
  ASSERT_GE(accepted.size(), static_cast<size_t>(kMessages));  // the threads may overshoot

  // Every call refused during the outage said UNAVAILABLE.
  const std::vector<SendFailure> failures = sender.failures();
  int refused = 0;
  for (size_t i = failures_before; i < failures.size(); ++i) {
    ++refused;
    EXPECT_EQ(failures[i].code, grpc::StatusCode::UNAVAILABLE) << failures[i].message;
    // "message store unavailable; nothing was stored" or "authentication is unavailable, retry"
    // (the API key is looked up in Redis first).
    EXPECT_TRUE(absl::StrContains(failures[i].message, "unavailable")) << failures[i].message;
  }
  EXPECT_EQ(failures_before, 0u);

  absl::Status all = AwaitAllDelivered(accepted, rig.peer(), kirimd, kirimd);
  ASSERT_TRUE(all.ok()) << all;

  const Tally tally = Count(accepted, rig.peer().ReceivedIds());
  std::cout << "redis_restart: Redis killed after " << accepted_before << " accepted, down for "
            << absl::FormatDuration(up - down) << ", " << refused
            << " calls refused with UNAVAILABLE meanwhile; " << tally << "\n";
  // Nothing lost. A delivery whose outcome could not be recorded while Redis was down is sent
  // again once its lease expires: at most one per delivery thread. A call cut off by the crash
  // after Redis wrote it (fsync) but before its reply reached kirimd was answered UNAVAILABLE
  // yet is delivered: at most the calls in flight.
  EXPECT_TRUE(WithinBounds(tally, {.max_duplicates = kConcurrency, .max_ghosts = kThreads}));
}

}  // namespace
}  // namespace kirim::testing
