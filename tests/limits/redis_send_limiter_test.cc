// RedisSendLimiter against a real redis-server on a free loopback port, with simulated time
// (FakeClock): the limiter takes its time from the Clock, never from Redis.
#include "server/limits/redis_send_limiter.h"

#include <atomic>
#include <cmath>
#include <limits>
#include <memory>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "google/rpc/error_details.pb.h"
#include "gtest/gtest.h"
#include "server/limits/limit_status.h"
#include "tests/common/fake_clock.h"
#include "tests/harness/redis_server.h"
#include "tests/limits/fake_send_limiter.h"

namespace kirim {
namespace {

using testing::FakeClock;
using testing::RedisServer;

// FakeClock starts at 2026-01-02T03:04:05Z: the next UTC midnight is 20h55m55s away.
constexpr absl::Duration kUntilMidnight = absl::Seconds(20 * 3600 + 55 * 60 + 55);

TenantLimits Limits(double rate, int64_t burst, int64_t quota) {
  TenantLimits l;
  l.rate_per_second = rate;
  l.burst = burst;
  l.daily_quota = quota;
  return l;
}

class RedisSendLimiterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(server_.Start().ok());
    client_ = server_.Client();
    limiter_ = std::make_unique<RedisSendLimiter>(*client_, clock_);
  }

  LimitDecision Acquire(const std::string& tenant, const TenantLimits& limits, int64_t cost) {
    absl::StatusOr<LimitDecision> d = limiter_->Acquire(tenant, limits, cost);
    EXPECT_TRUE(d.ok()) << d.status();
    return d.ok() ? *d : LimitDecision{};
  }
  LimitDecision Peek(const std::string& tenant, const TenantLimits& limits) {
    absl::StatusOr<LimitDecision> d = limiter_->Peek(tenant, limits);
    EXPECT_TRUE(d.ok()) << d.status();
    return d.ok() ? *d : LimitDecision{};
  }
  redis::RedisValue Redis(const redis::Argv& argv) {
    absl::StatusOr<redis::RedisValue> v = client_->Command(argv);
    EXPECT_TRUE(v.ok()) << v.status();
    return v.ok() ? *v : redis::RedisValue{};
  }

  RedisServer server_;
  FakeClock clock_;
  std::unique_ptr<redis::HiredisClient> client_;
  std::unique_ptr<RedisSendLimiter> limiter_;
};

TEST_F(RedisSendLimiterTest, BurstThenRefusalWithExactRetryAfter) {
  const TenantLimits limits = Limits(10, 5, 0);
  for (int i = 1; i <= 5; ++i) {
    LimitDecision d = Acquire("acme", limits, 1);
    EXPECT_TRUE(d.allowed) << i;
    EXPECT_EQ(d.tokens_left, 5 - i);
  }
  LimitDecision d = Acquire("acme", limits, 1);
  EXPECT_FALSE(d.allowed);
  EXPECT_EQ(d.violated, "rate");
  EXPECT_FALSE(d.never);
  EXPECT_EQ(d.retry_after, absl::Milliseconds(100));  // 1 token at 10/s
  EXPECT_EQ(d.tokens_left, 0);
  EXPECT_EQ(d.daily_remaining, -1);
  // The wait is for the missing tokens of this cost, not for one token.
  EXPECT_EQ(Acquire("acme", limits, 3).retry_after, absl::Milliseconds(300));
}

TEST_F(RedisSendLimiterTest, RetryAfterIsExactForARateThatDoesNotDivideEvenly) {
  // 3/s: one token takes 333.33 ms, so the first whole millisecond that has it is 334.
  const TenantLimits limits = Limits(3, 1, 0);
  ASSERT_TRUE(Acquire("acme", limits, 1).allowed);
  EXPECT_EQ(Acquire("acme", limits, 1).retry_after, absl::Milliseconds(334));
  clock_.Advance(absl::Milliseconds(333));
  LimitDecision d = Acquire("acme", limits, 1);
  EXPECT_FALSE(d.allowed);
  EXPECT_EQ(d.retry_after, absl::Milliseconds(1));
  EXPECT_EQ(d.tokens_left, 0.999);
  clock_.Advance(absl::Milliseconds(1));
  EXPECT_TRUE(Acquire("acme", limits, 1).allowed);
}

TEST_F(RedisSendLimiterTest, RefillsAsTheClockAdvancesUpToTheBurst) {
  const TenantLimits limits = Limits(10, 5, 0);
  ASSERT_TRUE(Acquire("acme", limits, 5).allowed);
  clock_.Advance(absl::Milliseconds(99));
  LimitDecision d = Acquire("acme", limits, 1);
  EXPECT_FALSE(d.allowed);
  EXPECT_EQ(d.retry_after, absl::Milliseconds(1));
  EXPECT_EQ(d.tokens_left, 0.99);
  clock_.Advance(absl::Milliseconds(1));
  d = Acquire("acme", limits, 1);
  EXPECT_TRUE(d.allowed);
  EXPECT_EQ(d.tokens_left, 0);
  clock_.Advance(absl::Hours(1));
  EXPECT_EQ(Peek("acme", limits).tokens_left, 5);  // capped at the burst
  EXPECT_TRUE(Acquire("acme", limits, 5).allowed);
}

TEST_F(RedisSendLimiterTest, CostAboveTheBurstOrTheQuotaCanNeverPass) {
  const TenantLimits limits = Limits(10, 5, 8);
  LimitDecision d = Acquire("acme", limits, 6);
  EXPECT_FALSE(d.allowed);
  EXPECT_TRUE(d.never);
  EXPECT_EQ(d.violated, "rate");
  EXPECT_EQ(d.retry_after, absl::ZeroDuration());

  d = Acquire("acme", Limits(0, 0, 8), 9);
  EXPECT_FALSE(d.allowed);
  EXPECT_TRUE(d.never);
  EXPECT_EQ(d.violated, "daily_quota");
  EXPECT_EQ(d.retry_after, absl::ZeroDuration());

  // Neither consumed anything.
  d = Peek("acme", limits);
  EXPECT_EQ(d.tokens_left, 5);
  EXPECT_EQ(d.daily_used, 0);
}

TEST_F(RedisSendLimiterTest, DailyQuotaIsExactAndResetsAtUtcMidnight) {
  const TenantLimits limits = Limits(0, 0, 100);
  for (int i = 1; i <= 100; ++i) {
    LimitDecision d = Acquire("acme", limits, 1);
    ASSERT_TRUE(d.allowed) << i;
    EXPECT_EQ(d.daily_used, i);
    EXPECT_EQ(d.daily_remaining, 100 - i);
    EXPECT_EQ(d.tokens_left, -1);
  }
  LimitDecision d = Acquire("acme", limits, 1);
  EXPECT_FALSE(d.allowed);
  EXPECT_FALSE(d.never);
  EXPECT_EQ(d.violated, "daily_quota");
  EXPECT_EQ(d.retry_after, kUntilMidnight);
  EXPECT_EQ(d.daily_used, 100);
  EXPECT_EQ(d.daily_remaining, 0);

  // The counter is one key per UTC day that outlives its day.
  const std::string key = limiter_->DayKey("acme", clock_.Now());
  EXPECT_EQ(key, "kirim:{rl:acme}:day:20260102");
  EXPECT_EQ(Redis({"GET", key}).str, "100");
  const long long ttl = Redis({"TTL", key}).integer;
  EXPECT_GT(ttl, 24 * 3600);
  EXPECT_LE(ttl, 2 * 24 * 3600);

  clock_.Advance(kUntilMidnight - absl::Milliseconds(1));
  d = Acquire("acme", limits, 1);
  EXPECT_FALSE(d.allowed);
  EXPECT_EQ(d.retry_after, absl::Milliseconds(1));
  clock_.Advance(absl::Milliseconds(1));  // 2026-01-03T00:00:00Z
  d = Acquire("acme", limits, 1);
  EXPECT_TRUE(d.allowed);
  EXPECT_EQ(d.daily_used, 1);
  EXPECT_EQ(d.daily_remaining, 99);
}

TEST_F(RedisSendLimiterTest, AQuotaRefusalConsumesNoTokens) {
  const TenantLimits limits = Limits(10, 5, 3);
  ASSERT_TRUE(Acquire("acme", limits, 3).allowed);
  clock_.Advance(absl::Seconds(1));  // the bucket is full again
  LimitDecision d = Acquire("acme", limits, 1);
  EXPECT_FALSE(d.allowed);
  EXPECT_EQ(d.violated, "daily_quota");
  EXPECT_EQ(d.tokens_left, 5);
  d = Peek("acme", limits);
  EXPECT_EQ(d.tokens_left, 5);
  EXPECT_EQ(d.daily_used, 3);
}

TEST_F(RedisSendLimiterTest, ARateRefusalConsumesNoQuota) {
  const TenantLimits limits = Limits(1, 5, 100);
  ASSERT_TRUE(Acquire("acme", limits, 5).allowed);
  LimitDecision d = Acquire("acme", limits, 2);
  EXPECT_FALSE(d.allowed);
  EXPECT_EQ(d.violated, "rate");
  EXPECT_EQ(d.retry_after, absl::Seconds(2));
  EXPECT_EQ(d.daily_used, 5);
  EXPECT_EQ(Peek("acme", limits).daily_used, 5);
}

TEST_F(RedisSendLimiterTest, WhenBothRefuseTheLongerWaitIsReported) {
  // The quota wait (until midnight) is the longer one.
  ASSERT_TRUE(Acquire("a", Limits(1, 2, 2), 2).allowed);
  LimitDecision d = Acquire("a", Limits(1, 2, 2), 1);
  EXPECT_EQ(d.violated, "daily_quota");
  EXPECT_EQ(d.retry_after, kUntilMidnight);
  // 2^-16 tokens/s (exact in binary): 2 tokens take 131072 s, longer than until midnight.
  const TenantLimits slow = Limits(1.0 / 65536, 2, 2);
  ASSERT_TRUE(Acquire("b", slow, 2).allowed);
  d = Acquire("b", slow, 2);
  EXPECT_EQ(d.violated, "rate");
  EXPECT_EQ(d.retry_after, absl::Seconds(131072));
}

TEST_F(RedisSendLimiterTest, ReleaseGivesBackTokensAndQuota) {
  const TenantLimits limits = Limits(10, 5, 10);
  ASSERT_TRUE(Acquire("acme", limits, 3).allowed);
  // Tokens are stored as a decimal count of micro-tokens.
  EXPECT_EQ(Redis({"HGET", limiter_->BucketKey("acme"), "tokens"}).str, "2000000");
  ASSERT_TRUE(limiter_->Release("acme", limits, 3).ok());
  LimitDecision d = Peek("acme", limits);
  EXPECT_EQ(d.tokens_left, 5);
  EXPECT_EQ(d.daily_used, 0);
  EXPECT_EQ(d.daily_remaining, 10);
  // A full bucket needs no key.
  EXPECT_EQ(Redis({"EXISTS", limiter_->BucketKey("acme")}).integer, 0);
  // Giving back more than was taken cannot raise the limits.
  ASSERT_TRUE(limiter_->Release("acme", limits, 3).ok());
  d = Peek("acme", limits);
  EXPECT_EQ(d.tokens_left, 5);
  EXPECT_EQ(d.daily_used, 0);
  EXPECT_TRUE(Acquire("acme", limits, 5).allowed);
  EXPECT_FALSE(Acquire("acme", limits, 1).allowed);
}

TEST_F(RedisSendLimiterTest, PeekConsumesNothing) {
  const TenantLimits limits = Limits(10, 5, 10);
  ASSERT_TRUE(Acquire("acme", limits, 2).allowed);
  for (int i = 0; i < 10; ++i) {
    LimitDecision d = Peek("acme", limits);
    EXPECT_TRUE(d.allowed);
    EXPECT_EQ(d.tokens_left, 3);
    EXPECT_EQ(d.daily_used, 2);
    EXPECT_EQ(d.daily_remaining, 8);
  }
  ASSERT_TRUE(Acquire("acme", limits, 3).allowed);
  LimitDecision d = Peek("acme", limits);
  EXPECT_FALSE(d.allowed);
  EXPECT_EQ(d.violated, "rate");
  EXPECT_EQ(d.retry_after, absl::Milliseconds(100));
  EXPECT_EQ(d.daily_used, 5);
  // Peeking on a tenant never seen creates nothing.
  Peek("new", limits);
  EXPECT_EQ(Redis({"KEYS", "*{rl:new}*"}).elements.size(), 0u);
}

TEST_F(RedisSendLimiterTest, UnlimitedAlwaysAllowsAndStillCountsTheDay) {
  const TenantLimits unlimited;
  for (int i = 1; i <= 20; ++i) {
    LimitDecision d = Acquire("acme", unlimited, 1'000'000);
    ASSERT_TRUE(d.allowed) << i;
    EXPECT_EQ(d.tokens_left, -1);
    EXPECT_EQ(d.daily_remaining, -1);
    EXPECT_EQ(d.daily_used, i * 1'000'000LL);
  }
  EXPECT_EQ(Redis({"EXISTS", limiter_->BucketKey("acme")}).integer, 0);
}

TEST_F(RedisSendLimiterTest, ConcurrentAcquiresNeverOverAdmit) {
  // No refill during the test (FakeClock stands still, and the rate is ~0 anyway): exactly the
  // burst can be admitted, whatever the interleaving.
  const TenantLimits limits = Limits(1e-9, 60, 1000);
  constexpr int kThreads = 8;
  constexpr int kCalls = 50;
  std::atomic<int64_t> allowed_cost{0};
  std::atomic<int> errors{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kCalls; ++i) {
        const int64_t cost = 1 + (t + i) % 3;
        absl::StatusOr<LimitDecision> d = limiter_->Acquire("acme", limits, cost);
        if (!d.ok()) {
          ++errors;
        } else if (d->allowed) {
          allowed_cost += cost;
        }
      }
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(errors.load(), 0);
  // Demand (8 x 50 calls of 1..3, a third of them costing 1) far exceeds 60, so the bucket is
  // drained to exactly zero, never below.
  EXPECT_EQ(allowed_cost.load(), 60);
  LimitDecision d = Peek("acme", limits);
  EXPECT_EQ(d.tokens_left, 0);
  EXPECT_EQ(d.daily_used, 60);
  EXPECT_EQ(d.daily_remaining, 940);
}

TEST_F(RedisSendLimiterTest, AReplicaWithASlowClockCannotMintTokens) {
  const TenantLimits limits = Limits(1, 5, 0);
  FakeClock slow_clock(clock_.Now() - absl::Seconds(10));
  RedisSendLimiter slow(*client_, slow_clock);
  ASSERT_TRUE(Acquire("acme", limits, 5).allowed);
  absl::StatusOr<LimitDecision> d = slow.Acquire("acme", limits, 1);
  ASSERT_TRUE(d.ok()) << d.status();
  EXPECT_FALSE(d->allowed);
  // Its clock must reach the last write's time plus one token's refill.
  EXPECT_EQ(d->retry_after, absl::Seconds(11));
  slow_clock.Advance(absl::Seconds(10));
  EXPECT_EQ(slow.Peek("acme", limits)->tokens_left, 0);
  slow_clock.Advance(absl::Seconds(1));
  d = slow.Acquire("acme", limits, 1);
  ASSERT_TRUE(d.ok()) << d.status();
  EXPECT_TRUE(d->allowed);
}

TEST_F(RedisSendLimiterTest, AllKeysOfATenantShareOneHashTag) {
  const TenantLimits limits = Limits(10, 5, 10);
  ASSERT_TRUE(Acquire("acme", limits, 1).allowed);
  redis::RedisValue keys = Redis({"KEYS", "*"});
  ASSERT_EQ(keys.elements.size(), 2u);
  for (const redis::RedisValue& k : keys.elements) {
    EXPECT_EQ(k.str.rfind("kirim:{rl:acme}:", 0), 0u) << k.str;
  }
  EXPECT_EQ(limiter_->BucketKey("acme"), "kirim:{rl:acme}:bucket");
}

TEST_F(RedisSendLimiterTest, RedisDownIsUnavailableAndRecoversAfterARestart) {
  const TenantLimits limits = Limits(10, 5, 10);
  ASSERT_TRUE(Acquire("acme", limits, 1).allowed);
  server_.Stop();
  EXPECT_EQ(limiter_->Acquire("acme", limits, 1).status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(limiter_->Release("acme", limits, 1).code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(limiter_->Peek("acme", limits).status().code(), absl::StatusCode::kUnavailable);
  // After a restart Redis has no scripts cached: the client reloads it (NOSCRIPT fallback).
  ASSERT_TRUE(server_.Start().ok());
  EXPECT_TRUE(Acquire("acme", limits, 1).allowed);
}

TEST_F(RedisSendLimiterTest, InvalidLimitsAndCostsAreTheCallersError) {
  const auto code = [&](const TenantLimits& l, int64_t cost, const std::string& tenant = "acme") {
    return limiter_->Acquire(tenant, l, cost).status().code();
  };
  const auto kInvalid = absl::StatusCode::kInvalidArgument;
  EXPECT_EQ(code(Limits(10, 5, 0), 0), kInvalid);
  EXPECT_EQ(code(Limits(10, 5, 0), -3), kInvalid);
  EXPECT_EQ(code(Limits(10, 0, 0), 1), kInvalid);  // a rate needs a burst
  EXPECT_EQ(code(Limits(-1, 5, 0), 1), kInvalid);
  EXPECT_EQ(code(Limits(std::nan(""), 5, 0), 1), kInvalid);
  EXPECT_EQ(code(Limits(std::numeric_limits<double>::infinity(), 5, 0), 1), kInvalid);
  EXPECT_EQ(code(Limits(0, 0, -1), 1), kInvalid);
  EXPECT_EQ(code(Limits(10, 5, 0), 1, ""), kInvalid);
}

TEST_F(RedisSendLimiterTest, LimitExceededStatusCarriesParsableDetails) {
  const TenantLimits limits = Limits(10, 5, 0);
  ASSERT_TRUE(Acquire("acme", limits, 5).allowed);
  LimitDecision d = Acquire("acme", limits, 2);
  ASSERT_FALSE(d.allowed);
  absl::Status s = LimitExceededStatus("acme", limits, d);
  EXPECT_EQ(s.code(), absl::StatusCode::kResourceExhausted);

  auto failure_bytes = s.GetPayload("type.googleapis.com/google.rpc.QuotaFailure");
  ASSERT_TRUE(failure_bytes.has_value());
  google::rpc::QuotaFailure failure;
  ASSERT_TRUE(failure.ParseFromString(std::string(*failure_bytes)));
  ASSERT_EQ(failure.violations_size(), 1);
  EXPECT_EQ(failure.violations(0).subject(), "tenant:acme");
  EXPECT_NE(failure.violations(0).description().find("10 recipients/s"), std::string::npos);

  auto retry_bytes = s.GetPayload("type.googleapis.com/google.rpc.RetryInfo");
  ASSERT_TRUE(retry_bytes.has_value());
  google::rpc::RetryInfo retry;
  ASSERT_TRUE(retry.ParseFromString(std::string(*retry_bytes)));
  EXPECT_EQ(absl::Seconds(retry.retry_delay().seconds()) +
                absl::Nanoseconds(retry.retry_delay().nanos()),
            absl::Milliseconds(200));

  // A message over the burst: QuotaFailure, no RetryInfo.
  d = Acquire("acme", limits, 6);
  ASSERT_TRUE(d.never);
  s = LimitExceededStatus("acme", limits, d);
  EXPECT_TRUE(s.GetPayload("type.googleapis.com/google.rpc.QuotaFailure").has_value());
  EXPECT_FALSE(s.GetPayload("type.googleapis.com/google.rpc.RetryInfo").has_value());
}

// The fake claims the Redis limiter's semantics; replaying one script of calls on both (same
// clock) keeps that claim honest, midnight and refill rounding included.
TEST_F(RedisSendLimiterTest, FakeSendLimiterDecidesLikeRedis) {
  testing::FakeSendLimiter fake(clock_);
  const TenantLimits limits = Limits(3, 10, 60);
  uint32_t seed = 12345;
  const auto next = [&seed](uint32_t n) {
    seed = seed * 1103515245u + 12345u;
    return (seed >> 16) % n;
  };
  for (int i = 0; i < 300; ++i) {
    const int64_t cost = 1 + next(12);  // sometimes above the burst
    const uint32_t op = next(10);
    absl::StatusOr<LimitDecision> want, got;
    if (op < 6) {
      want = limiter_->Acquire("acme", limits, cost);
      got = fake.Acquire("acme", limits, cost);
    } else if (op < 8) {
      want = limiter_->Peek("acme", limits);
      got = fake.Peek("acme", limits);
    } else {
      ASSERT_TRUE(limiter_->Release("acme", limits, cost).ok());
      ASSERT_TRUE(fake.Release("acme", limits, cost).ok());
      continue;
    }
    ASSERT_TRUE(want.ok() && got.ok()) << want.status() << got.status();
    SCOPED_TRACE(absl::StrCat("call ", i, " cost ", cost));
    EXPECT_EQ(got->allowed, want->allowed);
    EXPECT_EQ(got->violated, want->violated);
    EXPECT_EQ(got->retry_after, want->retry_after);
    EXPECT_EQ(got->never, want->never);
    EXPECT_EQ(got->tokens_left, want->tokens_left);
    EXPECT_EQ(got->daily_used, want->daily_used);
    EXPECT_EQ(got->daily_remaining, want->daily_remaining);
    clock_.Advance(next(20) == 0 ? absl::Hours(5) : absl::Milliseconds(next(700)));
  }
  fake.set_unavailable(true);
  EXPECT_EQ(fake.Acquire("acme", limits, 1).status().code(), absl::StatusCode::kUnavailable);
}

}  // namespace
}  // namespace kirim
