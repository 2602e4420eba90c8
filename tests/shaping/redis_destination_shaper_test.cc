// RedisDestinationShaper against a real redis-server on a free loopback port, with simulated time
// (FakeClock): the shaper takes its time from the Clock, never from Redis.
#include "server/shaping/redis_destination_shaper.h"

#include <algorithm>
#include <atomic>
#include <memory>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "server/shaping/destination_policy.h"
#include "tests/common/fake_clock.h"
#include "tests/harness/redis_server.h"
#include "tests/shaping/fake_destination_shaper.h"

namespace kirim {
namespace {

using testing::FakeClock;
using testing::RedisServer;

DestinationLimits Limits(int connections, double rate) {
  DestinationLimits l;
  l.max_connections = connections;
  l.messages_per_second = rate;
  return l;
}

class RedisDestinationShaperTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(server_.Start().ok());
    client_ = server_.Client();
    shaper_ = std::make_unique<RedisDestinationShaper>(*client_, clock_, policy_);
  }

  ShapingDecision Connect(const std::string& destination) {
    return Ok(shaper_->AcquireConnection(destination));
  }
  ShapingDecision Message(const std::string& destination) {
    return Ok(shaper_->AcquireMessage(destination));
  }
  std::pair<DestinationLimits, int> State(const std::string& destination) {
    absl::StatusOr<std::pair<DestinationLimits, int>> s = shaper_->State(destination);
    EXPECT_TRUE(s.ok()) << s.status();
    return s.ok() ? *s : std::pair<DestinationLimits, int>{};
  }
  void Throttle(const std::string& destination) {
    ASSERT_TRUE(shaper_->ReportThrottle(destination, "421 4.7.0 Try again later").ok());
  }
  redis::RedisValue Redis(const redis::Argv& argv) {
    absl::StatusOr<redis::RedisValue> v = client_->Command(argv);
    EXPECT_TRUE(v.ok()) << v.status();
    return v.ok() ? *v : redis::RedisValue{};
  }
  static ShapingDecision Ok(absl::StatusOr<ShapingDecision> d) {
    EXPECT_TRUE(d.ok()) << d.status();
    return d.ok() ? *std::move(d) : ShapingDecision{};
  }

  RedisServer server_;
  FakeClock clock_;
  DestinationPolicy policy_{Limits(3, 0)};
  std::unique_ptr<redis::HiredisClient> client_;
  std::unique_ptr<RedisDestinationShaper> shaper_;
};

TEST_F(RedisDestinationShaperTest, SlotsNeverExceedTheLimitAcrossProcessesAndThreads) {
  // Two "processes": each its own connection pool and shaper instance.
  std::unique_ptr<redis::HiredisClient> other_client = server_.Client();
  RedisDestinationShaper other(*other_client, clock_, policy_);
  DestinationShaper* shapers[2] = {shaper_.get(), &other};
  constexpr int kThreads = 8;

  // Nobody releases and the clock stands still: exactly max_connections of 24 attempts pass.
  std::atomic<int> errors{0};
  std::vector<Permit> held;
  absl::Mutex held_mu;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 3; ++i) {
        absl::StatusOr<ShapingDecision> d = shapers[t % 2]->AcquireConnection("example.com");
        if (!d.ok()) {
          ++errors;
        } else if (d->allowed) {
          absl::MutexLock lock(&held_mu);
          held.push_back(*d->permit);
        }
      }
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(errors.load(), 0);
  ASSERT_EQ(held.size(), 3u);
  EXPECT_EQ(State("example.com").second, 3);
  for (const Permit& p : held) ASSERT_TRUE(shaper_->Release(p).ok());

  // Churn: take, hold, give back. `in_session` rises after a grant and falls before the release,
  // so it never exceeds the slots Redis counts as held.
  std::atomic<int> in_session{0}, most{0}, granted{0};
  threads.clear();
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 40; ++i) {
        absl::StatusOr<ShapingDecision> d = shapers[(t + i) % 2]->AcquireConnection("example.com");
        if (!d.ok()) {
          ++errors;
          continue;
        }
        if (!d->allowed) {
          if (d->reason != "connections") ++errors;
          continue;
        }
        ++granted;
        const int now_in = ++in_session;
        int seen = most.load();
        while (now_in > seen && !most.compare_exchange_weak(seen, now_in)) {
        }
        --in_session;
        if (!shapers[t % 2]->Release(*d->permit).ok()) ++errors;
      }
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(errors.load(), 0);
  EXPECT_GT(granted.load(), 0);
  EXPECT_LE(most.load(), 3);
  EXPECT_EQ(State("example.com").second, 0);
}

TEST_F(RedisDestinationShaperTest, ReleaseFreesASlotAndIsIdempotent) {
  std::vector<Permit> permits;
  for (int i = 0; i < 3; ++i) {
    ShapingDecision d = Connect("example.com");
    ASSERT_TRUE(d.allowed);
    ASSERT_TRUE(d.permit.has_value());
    EXPECT_EQ(d.permit->destination, "example.com");
    EXPECT_EQ(d.permit->expires, clock_.Now() + absl::Minutes(10));
    permits.push_back(*d.permit);
  }
  EXPECT_NE(permits[0].token, permits[1].token);
  ShapingDecision refused = Connect("example.com");
  EXPECT_FALSE(refused.allowed);
  EXPECT_FALSE(refused.permit.has_value());
  EXPECT_EQ(refused.reason, "connections");
  EXPECT_EQ(refused.retry_after, absl::Seconds(10));  // busy_retry: every lease ends later

  ASSERT_TRUE(shaper_->Release(permits[1]).ok());
  EXPECT_EQ(State("example.com").second, 2);
  ShapingDecision again = Connect("example.com");
  ASSERT_TRUE(again.allowed);
  // Releasing the old permit twice frees nothing more.
  ASSERT_TRUE(shaper_->Release(permits[1]).ok());
  EXPECT_EQ(State("example.com").second, 3);
  EXPECT_FALSE(Connect("example.com").allowed);
  for (const Permit& p : {permits[0], permits[2], *again.permit}) {
    ASSERT_TRUE(shaper_->Release(p).ok());
  }
  EXPECT_EQ(State("example.com").second, 0);
  EXPECT_EQ(Redis({"EXISTS", shaper_->SlotsKey("example.com")}).integer, 0);
}

TEST_F(RedisDestinationShaperTest, ACrashedWorkersSlotsComeBackAfterTheLease) {
  std::unique_ptr<redis::HiredisClient> crashed_client = server_.Client();
  RedisDestinationShaper crashed(*crashed_client, clock_, policy_);
  std::vector<Permit> lost;
  for (int i = 0; i < 3; ++i) {
    absl::StatusOr<ShapingDecision> d = crashed.AcquireConnection("example.com");
    ASSERT_TRUE(d.ok() && d->allowed);
    lost.push_back(*d->permit);
    clock_.Advance(absl::Seconds(1));
  }
  // The crashed worker never releases. Until its first lease ends nothing is free; the wait
  // offered shrinks to that lease's end once it is nearer than busy_retry.
  clock_.Advance(absl::Minutes(10) - absl::Seconds(3) - absl::Seconds(4));
  ShapingDecision d = Connect("example.com");
  EXPECT_FALSE(d.allowed);
  EXPECT_EQ(d.retry_after, absl::Seconds(4));
  clock_.Advance(absl::Seconds(4) - absl::Microseconds(1));
  d = Connect("example.com");
  EXPECT_FALSE(d.allowed);
  EXPECT_EQ(d.retry_after, absl::Microseconds(1));
  clock_.Advance(absl::Microseconds(1));
  d = Connect("example.com");
  ASSERT_TRUE(d.allowed);
  EXPECT_EQ(State("example.com").second, 3);
  // The next lease ends a second later.
  EXPECT_FALSE(Connect("example.com").allowed);
  clock_.Advance(absl::Seconds(2));
  EXPECT_EQ(State("example.com").second, 1);
  EXPECT_TRUE(Connect("example.com").allowed);
  EXPECT_TRUE(Connect("example.com").allowed);

  // Back from the dead, the old worker cannot keep or free what is no longer its slot.
  EXPECT_EQ(crashed.Renew(lost[0]).code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_TRUE(crashed.Release(lost[1]).ok());
  EXPECT_EQ(State("example.com").second, 3);
}

TEST_F(RedisDestinationShaperTest, RenewKeepsALongSessionsSlot) {
  ShapingDecision d = Connect("example.com");
  ASSERT_TRUE(d.allowed);
  Permit permit = *d.permit;
  // Worth renewing halfway through the lease.
  EXPECT_EQ(permit.renew_after, clock_.Now() + absl::Minutes(5));
  for (int i = 0; i < 6; ++i) {  // an hour, renewed every 9 minutes
    clock_.Advance(absl::Minutes(9));
    ASSERT_TRUE(shaper_->Renew(permit).ok()) << i;
    EXPECT_EQ(permit.expires, clock_.Now() + absl::Minutes(10));
    EXPECT_EQ(permit.renew_after, clock_.Now() + absl::Minutes(5));
  }
  EXPECT_EQ(State("example.com").second, 1);
  clock_.Advance(absl::Minutes(10));
  EXPECT_EQ(State("example.com").second, 0);
  const absl::Time expired = permit.expires;
  EXPECT_EQ(shaper_->Renew(permit).code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(permit.expires, expired);
  // A released slot cannot be renewed either.
  d = Connect("example.com");
  ASSERT_TRUE(shaper_->Release(*d.permit).ok());
  EXPECT_EQ(shaper_->Renew(*d.permit).code(), absl::StatusCode::kFailedPrecondition);
}

TEST_F(RedisDestinationShaperTest, PerDomainOverrideApplies) {
  policy_.Set("gmail.com", Limits(1, 0));
  ShapingDecision d = Connect("Gmail.COM");
  ASSERT_TRUE(d.allowed);
  EXPECT_EQ(d.permit->destination, "gmail.com");
  EXPECT_EQ(Connect("gmail.com.").reason, "connections");
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(Connect("yahoo.com").allowed) << i;
  EXPECT_FALSE(Connect("yahoo.com").allowed);
  EXPECT_EQ(State("gmail.com").first, Limits(1, 0));
  EXPECT_EQ(State("gmail.com").second, 1);
  EXPECT_EQ(State("yahoo.com").first, Limits(3, 0));
}

TEST_F(RedisDestinationShaperTest, RateLimitWithExactRetryAfter) {
  policy_.Set("example.com", Limits(10, 10));  // burst 10
  ShapingDecision c = Connect("example.com");  // the first message's token
  ASSERT_TRUE(c.allowed);
  for (int i = 0; i < 9; ++i) EXPECT_TRUE(Message("example.com").allowed) << i;
  ShapingDecision d = Message("example.com");
  EXPECT_FALSE(d.allowed);
  EXPECT_FALSE(d.permit.has_value());
  EXPECT_EQ(d.reason, "rate");
  EXPECT_EQ(d.retry_after, absl::Milliseconds(100));
  // A connection needs a token too, and a refusal takes no slot.
  d = Connect("example.com");
  EXPECT_FALSE(d.allowed);
  EXPECT_EQ(d.reason, "rate");
  EXPECT_EQ(d.retry_after, absl::Milliseconds(100));
  EXPECT_EQ(State("example.com").second, 1);

  clock_.Advance(absl::Milliseconds(99));
  EXPECT_EQ(Message("example.com").retry_after, absl::Milliseconds(1));
  clock_.Advance(absl::Milliseconds(1));
  EXPECT_TRUE(Message("example.com").allowed);
  EXPECT_EQ(Message("example.com").retry_after, absl::Milliseconds(100));
  // Refills up to the burst, never beyond.
  clock_.Advance(absl::Hours(1));
  for (int i = 0; i < 10; ++i) EXPECT_TRUE(Message("example.com").allowed) << i;
  EXPECT_FALSE(Message("example.com").allowed);

  // 3/s: one message per 333334 µs (rounded up), burst 3.
  policy_.Set("slow.example", Limits(10, 3));
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(Message("slow.example").allowed) << i;
  EXPECT_EQ(Message("slow.example").retry_after, absl::Microseconds(333334));
  clock_.Advance(absl::Microseconds(333333));
  EXPECT_EQ(Message("slow.example").retry_after, absl::Microseconds(1));
  clock_.Advance(absl::Microseconds(1));
  EXPECT_TRUE(Message("slow.example").allowed);

  // Unlimited destinations keep no bucket.
  for (int i = 0; i < 100; ++i) ASSERT_TRUE(Message("fast.example").allowed);
  EXPECT_EQ(Redis({"EXISTS", shaper_->TatKey("fast.example")}).integer, 0);
}

TEST_F(RedisDestinationShaperTest, ThrottleHalvesTheLimitsAndRecoversAfterTheCooldown) {
  policy_.Set("example.com", Limits(4, 10));
  EXPECT_EQ(State("example.com").first, Limits(4, 10));
  Throttle("example.com");
  EXPECT_EQ(State("example.com").first, Limits(2, 5));

  std::vector<Permit> permits;
  for (int i = 0; i < 2; ++i) {
    ShapingDecision d = Connect("example.com");
    ASSERT_TRUE(d.allowed);
    permits.push_back(*d.permit);
  }
  ShapingDecision d = Connect("example.com");
  EXPECT_FALSE(d.allowed);
  EXPECT_EQ(d.reason, "throttled");
  EXPECT_EQ(d.retry_after, absl::Seconds(10));
  // Burst 5 at 5/s: the two connections took two tokens.
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(Message("example.com").allowed) << i;
  d = Message("example.com");
  EXPECT_FALSE(d.allowed);
  EXPECT_EQ(d.reason, "throttled");
  EXPECT_EQ(d.retry_after, absl::Milliseconds(200));
  for (const Permit& p : permits) ASSERT_TRUE(shaper_->Release(p).ok());

  // The cool-down holds the halved limits; then +10% of the configured limits per cool-down.
  clock_.Advance(absl::Minutes(5) - absl::Microseconds(1));
  EXPECT_EQ(State("example.com").first, Limits(2, 5));
  clock_.Advance(absl::Microseconds(1));
  EXPECT_EQ(State("example.com").first, Limits(2, 6));
  clock_.Advance(absl::Minutes(5));
  EXPECT_EQ(State("example.com").first, Limits(2, 7));
  clock_.Advance(absl::Minutes(5));
  EXPECT_EQ(State("example.com").first, Limits(3, 8));
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(Connect("example.com").allowed) << i;
  EXPECT_EQ(Connect("example.com").reason, "throttled");
  clock_.Advance(absl::Minutes(10));  // those three leases end now, too
  EXPECT_EQ(State("example.com").first, Limits(4, 10));
  for (int i = 0; i < 4; ++i) EXPECT_TRUE(Connect("example.com").allowed) << i;
  EXPECT_EQ(Connect("example.com").reason, "connections");  // no longer throttled
  clock_.Advance(absl::Hours(24));
  EXPECT_EQ(State("example.com").first, Limits(4, 10));

  // The state keeps the remote reply for operators, and expires once recovered (plus slack).
  const std::string key = shaper_->ThrottleKey("example.com");
  EXPECT_EQ(Redis({"HGET", key, "reply"}).str, "421 4.7.0 Try again later");
  const long long ttl_ms = Redis({"PTTL", key}).integer;
  EXPECT_GT(ttl_ms, 24 * 3600 * 1000LL);
  EXPECT_LE(ttl_ms, 24 * 3600 * 1000LL + 25 * 60 * 1000LL);
}

TEST_F(RedisDestinationShaperTest, RepeatedThrottlesBackOffFurther) {
  policy_.Set("example.com", Limits(4, 10));
  Throttle("example.com");
  // Other sessions open at the time report the same episode: no second halving, but the
  // cool-down restarts.
  clock_.Advance(absl::Seconds(29));
  Throttle("example.com");
  EXPECT_EQ(State("example.com").first, Limits(2, 5));
  clock_.Advance(absl::Seconds(1));  // 30 s after the first halving: a new episode
  Throttle("example.com");
  EXPECT_EQ(State("example.com").first, Limits(1, 2.5));
  clock_.Advance(absl::Seconds(30));
  Throttle("example.com");
  EXPECT_EQ(State("example.com").first, Limits(1, 1.25));
  for (int i = 0; i < 10; ++i) {
    clock_.Advance(absl::Seconds(30));
    Throttle("example.com");
  }
  EXPECT_EQ(State("example.com").first, Limits(1, 0.01));  // the floor: 0.1% of the rate
  ShapingDecision d = Connect("example.com");
  ASSERT_TRUE(d.allowed);
  d = Message("example.com");
  EXPECT_FALSE(d.allowed);
  EXPECT_EQ(d.reason, "throttled");
  EXPECT_EQ(d.retry_after, absl::Seconds(100));  // one message per 100 s
  // Recovery is additive from the floor: 0.1%, then 10.1% after the cool-down.
  clock_.Advance(absl::Minutes(5));
  EXPECT_EQ(State("example.com").first, Limits(1, 1.01));
}

TEST_F(RedisDestinationShaperTest, OneDestinationsThrottlingNeverAffectsAnother) {
  policy_.Set("gmail.com", Limits(4, 10));
  policy_.Set("yahoo.com", Limits(4, 10));
  for (int i = 0; i < 5; ++i) {
    Throttle("gmail.com");
    clock_.Advance(absl::Minutes(1));
  }
  EXPECT_EQ(State("gmail.com").first.max_connections, 1);
  EXPECT_EQ(State("yahoo.com").first, Limits(4, 10));
  ASSERT_TRUE(Connect("gmail.com").allowed);
  EXPECT_FALSE(Connect("gmail.com").allowed);
  for (int i = 0; i < 4; ++i) EXPECT_TRUE(Connect("yahoo.com").allowed) << i;
  for (int i = 0; i < 6; ++i) EXPECT_TRUE(Message("yahoo.com").allowed) << i;
  EXPECT_EQ(Connect("yahoo.com").reason, "connections");
  EXPECT_EQ(Message("yahoo.com").reason, "rate");

  // Every key of a destination shares its hash tag (one Redis Cluster slot), and has a TTL.
  redis::RedisValue keys = Redis({"KEYS", "*"});
  ASSERT_EQ(keys.elements.size(), 7u);  // gmail: slots tat throttle seq; yahoo: slots tat seq
  for (const redis::RedisValue& k : keys.elements) {
    const bool tagged = k.str.rfind("kirim:{dst:gmail.com}:", 0) == 0 ||
                        k.str.rfind("kirim:{dst:yahoo.com}:", 0) == 0;
    EXPECT_TRUE(tagged) << k.str;
    EXPECT_GT(Redis({"PTTL", k.str}).integer, 0) << k.str;
  }
}

TEST_F(RedisDestinationShaperTest, RedisDownIsUnavailable) {
  ShapingDecision d = Connect("example.com");
  ASSERT_TRUE(d.allowed);
  Permit permit = *d.permit;
  server_.Stop();
  const auto kUnavailable = absl::StatusCode::kUnavailable;
  EXPECT_EQ(shaper_->AcquireConnection("example.com").status().code(), kUnavailable);
  EXPECT_EQ(shaper_->AcquireMessage("example.com").status().code(), kUnavailable);
  EXPECT_EQ(shaper_->Renew(permit).code(), kUnavailable);
  EXPECT_EQ(shaper_->Release(permit).code(), kUnavailable);
  EXPECT_EQ(shaper_->ReportThrottle("example.com", "421").code(), kUnavailable);
  EXPECT_EQ(shaper_->State("example.com").status().code(), kUnavailable);
  // After a restart (AOF keeps the slots) the script is loaded again and the slot still held.
  ASSERT_TRUE(server_.Start().ok());
  EXPECT_EQ(State("example.com").second, 1);
  EXPECT_TRUE(shaper_->Renew(permit).ok());
  EXPECT_TRUE(shaper_->Release(permit).ok());
}

TEST_F(RedisDestinationShaperTest, BadInputIsTheCallersError) {
  const auto kInvalid = absl::StatusCode::kInvalidArgument;
  EXPECT_EQ(shaper_->AcquireConnection("").status().code(), kInvalid);
  EXPECT_EQ(shaper_->AcquireMessage("a}b").status().code(), kInvalid);
  EXPECT_EQ(shaper_->ReportThrottle("a b", "421").code(), kInvalid);
  EXPECT_EQ(shaper_->State("{x").status().code(), kInvalid);
  Permit no_token{"example.com", "", clock_.Now()};
  EXPECT_EQ(shaper_->Renew(no_token).code(), kInvalid);
  EXPECT_EQ(shaper_->Release(no_token).code(), kInvalid);
  policy_.Set("broken.example", Limits(0, 10));
  EXPECT_EQ(shaper_->AcquireConnection("broken.example").status().code(), kInvalid);
  EXPECT_EQ(shaper_->State("broken.example").status().code(), kInvalid);

  ShaperOptions bad;
  bad.key_prefix = "{kirim}";
  RedisDestinationShaper misconfigured(*client_, clock_, policy_, bad);
  EXPECT_EQ(misconfigured.AcquireConnection("example.com").status().code(), kInvalid);
  EXPECT_EQ(misconfigured.ReportThrottle("example.com", "421").code(), kInvalid);
  EXPECT_EQ(Redis({"DBSIZE"}).integer, 0);
}

// The fake claims the Redis shaper's semantics; replaying one script of calls on both (same
// clock, policy and options) keeps that claim honest, leases, throttles and rounding included.
TEST_F(RedisDestinationShaperTest, FakeShaperDecidesLikeRedis) {
  policy_.Set("a.example", Limits(3, 2));
  policy_.Set("b.example", Limits(5, 0.7));
  ShaperOptions options;
  options.slot_lease = absl::Seconds(20);
  options.cooldown = absl::Seconds(30);
  options.throttle_hold_down = absl::Seconds(5);
  options.recovery_step = 0.25;
  options.busy_retry = absl::Seconds(3);
  RedisDestinationShaper redis(*client_, clock_, policy_, options);
  testing::FakeDestinationShaper fake(clock_, policy_, options);

  uint32_t seed = 4242;
  const auto next = [&seed](uint32_t n) {
    seed = seed * 1103515245u + 12345u;
    return (seed >> 16) % n;
  };
  std::vector<Permit> redis_permits, fake_permits;
  for (int i = 0; i < 400; ++i) {
    const std::string dest = next(3) == 0 ? "b.example" : "a.example";
    const uint32_t op = next(20);
    SCOPED_TRACE(absl::StrCat("call ", i, " op ", op, " ", dest));
    if (op < 10) {
      absl::StatusOr<ShapingDecision> want =
          op < 6 ? redis.AcquireConnection(dest) : redis.AcquireMessage(dest);
      absl::StatusOr<ShapingDecision> got =
          op < 6 ? fake.AcquireConnection(dest) : fake.AcquireMessage(dest);
      ASSERT_TRUE(want.ok() && got.ok()) << want.status() << got.status();
      EXPECT_EQ(got->allowed, want->allowed);
      EXPECT_EQ(got->reason, want->reason);
      EXPECT_EQ(got->retry_after, want->retry_after);
      ASSERT_EQ(got->permit.has_value(), want->permit.has_value());
      if (want->permit.has_value()) {
        EXPECT_EQ(got->permit->token, want->permit->token);
        EXPECT_EQ(got->permit->expires, want->permit->expires);
        redis_permits.push_back(*want->permit);
        fake_permits.push_back(*got->permit);
      }
    } else if (op < 14 && !redis_permits.empty()) {
      const size_t k = next(redis_permits.size());
      if (op < 12) {
        absl::Status want = redis.Renew(redis_permits[k]);
        absl::Status got = fake.Renew(fake_permits[k]);
        EXPECT_EQ(got.code(), want.code());
        EXPECT_EQ(fake_permits[k].expires, redis_permits[k].expires);
      } else {
        ASSERT_TRUE(redis.Release(redis_permits[k]).ok());
        ASSERT_TRUE(fake.Release(fake_permits[k]).ok());
        redis_permits.erase(redis_permits.begin() + k);
        fake_permits.erase(fake_permits.begin() + k);
      }
    } else if (op < 16) {
      ASSERT_TRUE(redis.ReportThrottle(dest, "421").ok());
      ASSERT_TRUE(fake.ReportThrottle(dest, "421").ok());
    } else {
      absl::StatusOr<std::pair<DestinationLimits, int>> want = redis.State(dest);
      absl::StatusOr<std::pair<DestinationLimits, int>> got = fake.State(dest);
      ASSERT_TRUE(want.ok() && got.ok()) << want.status() << got.status();
      EXPECT_EQ(got->first, want->first);
      EXPECT_EQ(got->second, want->second);
    }
    const uint32_t jump = next(25);
    clock_.Advance(jump == 0 ? absl::Minutes(2) : absl::Microseconds(next(1'500'000)));
  }
  EXPECT_EQ(fake.last_reply("a.example"), "421");
  fake.set_unavailable(true);
  EXPECT_EQ(fake.AcquireConnection("a.example").status().code(), absl::StatusCode::kUnavailable);
}

}  // namespace
}  // namespace kirim
