// Sending limits end to end: two kirimd api replicas sharing one real Redis, several
// concurrent clients spread over both. The tenant's daily quota and token bucket must hold
// exactly across replicas (recipients count, not calls), refusals must carry QuotaFailure and
// a sane RetryInfo, and a refused request must store nothing.
#include <atomic>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "gtest/gtest.h"
#include "server/auth/api_key_format.h"
#include "server/common/random.h"
#include "tests/e2e/e2e_util.h"
#include "tests/harness/kirimd_process.h"
#include "tests/harness/redis_server.h"

namespace kirim {
namespace {

using testing::KirimdProcess;
using testing::RedisServer;

struct Outcome {
  int64_t accepted_recipients = 0;
  int accepted_messages = 0;
  int refused = 0;
  std::vector<std::string> bad;  // anything unexpected
};

class LimitsE2eTest : public ::testing::Test {
 protected:
  void StartReplicas(const std::string& tenant_limits) {
    ASSERT_TRUE(redis_.Start().ok());
    SecureRandom random;
    const std::string admin = GenerateApiKeyString(random);
    const std::string config = absl::StrCat("role: \"api\"\nredis { port: ", redis_.port(), " }\n",
                                            "limits { tenants { tenant: \"acme\" ", tenant_limits, " } }\n");
    for (auto* k : {&a_, &b_}) ASSERT_TRUE(k->Start(config, {{"KIRIM_ADMIN_KEY", admin}}).ok());
    auto key = a_.CreateKey("acme", {v1::ApiKey::SEND, v1::ApiKey::READ});
    ASSERT_TRUE(key.ok()) << key.status();
    key_ = *key;
  }

  // `threads` clients, each making `calls` SendEmail calls with 1..3 recipients, alternating
  // between the two replicas.
  Outcome Hammer(int threads, int calls, absl::Duration max_retry) {
    Outcome total;
    absl::Mutex mu;
    std::vector<std::thread> pool;
    for (int t = 0; t < threads; ++t) {
      pool.emplace_back([&, t] {
        auto stub_a = a_.MailStub();
        auto stub_b = b_.MailStub();
        for (int i = 0; i < calls; ++i) {
          const int recipients = 1 + (t + i) % 3;
          v1::SendEmailRequest r;
          r.set_from("shop@acme.example");
          for (int n = 0; n < recipients; ++n) r.add_to(absl::StrCat("c", t, "-", i, "-", n, "@example.net"));
          r.set_text_body("hello");
          grpc::ClientContext ctx;
          a_.Authorize(&ctx, key_);
          v1::SendEmailResponse resp;
          grpc::Status s = ((t + i) % 2 ? *stub_a : *stub_b).SendEmail(&ctx, r, &resp);
          absl::MutexLock lock(&mu);
          if (s.ok()) {
            total.accepted_recipients += recipients;
            ++total.accepted_messages;
            continue;
          }
          ++total.refused;
          if (s.error_code() != grpc::StatusCode::RESOURCE_EXHAUSTED) {
            total.bad.push_back(absl::StrCat("code ", s.error_code(), ": ", s.error_message()));
            continue;
          }
          google::rpc::Status details;
          google::rpc::QuotaFailure quota;
          google::rpc::RetryInfo retry;
          bool has_quota = false, has_retry = false;
          if (details.ParseFromString(s.error_details())) {
            for (const auto& any : details.details()) {
              has_quota |= any.UnpackTo(&quota);
              has_retry |= any.UnpackTo(&retry);
            }
          }
          const absl::Duration delay = absl::Seconds(retry.retry_delay().seconds()) +
                                       absl::Nanoseconds(retry.retry_delay().nanos());
          if (!has_quota || quota.violations(0).subject() != "tenant:acme") {
            total.bad.push_back("no QuotaFailure for tenant:acme: " + s.error_message());
          }
          if (!has_retry || delay <= absl::ZeroDuration() || delay > max_retry) {
            total.bad.push_back(absl::StrCat("RetryInfo missing or insane: ", absl::FormatDuration(delay)));
          }
        }
      });
    }
    for (auto& th : pool) th.join();
    return total;
  }

  // Messages stored for acme in Redis.
  int64_t StoredMessages() {
    auto keys = redis_.Client()->Command({"KEYS", "kirim:{s*}:t:acme:m:*"});
    return keys.ok() ? static_cast<int64_t>(keys->elements.size()) : -1;
  }

  RedisServer redis_;
  KirimdProcess a_, b_;
  std::string key_;
};

TEST_F(LimitsE2eTest, DailyQuotaHoldsExactlyAcrossReplicas) {
  StartReplicas("daily_quota: 50");
  Outcome o = Hammer(/*threads=*/6, /*calls=*/30, /*max_retry=*/absl::Hours(24));
  EXPECT_TRUE(o.bad.empty()) << o.bad.front();
  EXPECT_EQ(o.accepted_recipients, 50) << "quota of 50 recipients";
  EXPECT_GT(o.refused, 0);
  EXPECT_EQ(StoredMessages(), o.accepted_messages) << "a refused request stored something";

  grpc::ClientContext ctx;
  b_.Authorize(&ctx, key_);
  v1::Quota quota;
  ASSERT_TRUE(b_.AdminStub()->GetQuota(&ctx, v1::GetQuotaRequest(), &quota).ok());
  EXPECT_EQ(quota.daily_limit(), 50);
  EXPECT_EQ(quota.daily_remaining(), 0);
}

TEST_F(LimitsE2eTest, RateBurstHoldsExactlyAcrossReplicas) {
  // A burst of 30 and a refill so slow no token comes back during the test.
  StartReplicas("rate_per_second: 0.0001 burst: 30");
  Outcome o = Hammer(/*threads=*/6, /*calls=*/20, /*max_retry=*/absl::Seconds(3 / 0.0001));
  EXPECT_TRUE(o.bad.empty()) << o.bad.front();
  EXPECT_EQ(o.accepted_recipients, 30);
  EXPECT_EQ(StoredMessages(), o.accepted_messages);
}

}  // namespace
}  // namespace kirim
