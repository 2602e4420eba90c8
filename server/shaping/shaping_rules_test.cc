#include "server/shaping/shaping_rules.h"

#include <cmath>
#include <optional>

#include "gtest/gtest.h"

namespace kirim::shaping_rules {
namespace {

constexpr int64_t kT0 = 1'767'323'045'000'000;  // 2026-01-02T03:04:05Z in µs
constexpr int64_t kSecond = kMicrosPerSecond;

Params Defaults() { return *ToParams(ShaperOptions{}); }

DestinationLimits Limits(int connections, double rate) {
  DestinationLimits l;
  l.max_connections = connections;
  l.messages_per_second = rate;
  return l;
}

// Messages a full bucket lets through at one instant.
int Burst(const Bucket& b) {
  std::optional<int64_t> tat;
  int n = 0;
  for (RateCheck r = CheckRate(b, tat, kT0); r.wait_us == 0 && n < 1000;
       r = CheckRate(b, tat, kT0)) {
    tat = r.tat_us;
    ++n;
  }
  return n;
}

TEST(ToParamsTest, DefaultsAndRefusals) {
  Params p = Defaults();
  EXPECT_EQ(p.lease_us, 600 * kSecond);
  EXPECT_EQ(p.cooldown_us, 300 * kSecond);
  EXPECT_EQ(p.hold_down_us, 30 * kSecond);
  EXPECT_EQ(p.recovery_step, 100);
  EXPECT_EQ(p.busy_retry_us, 10 * kSecond);

  const auto invalid = [](auto mutate) {
    ShaperOptions o;
    mutate(o);
    return ToParams(o).status().code() == absl::StatusCode::kInvalidArgument;
  };
  EXPECT_TRUE(invalid([](ShaperOptions& o) { o.key_prefix = "a{b"; }));
  EXPECT_TRUE(invalid([](ShaperOptions& o) { o.slot_lease = absl::ZeroDuration(); }));
  EXPECT_TRUE(invalid([](ShaperOptions& o) { o.cooldown = absl::Microseconds(999); }));
  EXPECT_TRUE(invalid([](ShaperOptions& o) { o.busy_retry = -absl::Seconds(1); }));
  EXPECT_TRUE(invalid([](ShaperOptions& o) { o.slot_lease = absl::InfiniteDuration(); }));
  EXPECT_TRUE(invalid([](ShaperOptions& o) { o.throttle_hold_down = absl::Minutes(6); }));
  EXPECT_TRUE(invalid([](ShaperOptions& o) { o.recovery_step = 0; }));
  EXPECT_TRUE(invalid([](ShaperOptions& o) { o.recovery_step = 1.5; }));
  EXPECT_TRUE(invalid([](ShaperOptions& o) { o.recovery_step = std::nan(""); }));
  EXPECT_FALSE(invalid([](ShaperOptions& o) { o.throttle_hold_down = absl::ZeroDuration(); }));
}

TEST(ThrottleTest, HalvesOncePerEpisodeThenRecoversAdditively) {
  const Params p = Defaults();
  std::optional<Throttle> t;
  EXPECT_EQ(FactorAt(t, kT0, p), kFullFactor);
  t = AfterReport(t, kT0, p);
  EXPECT_EQ(t->factor, 500);
  EXPECT_EQ(t->until_us, kT0 + p.cooldown_us);
  // Within the hold-down: the same episode, only the cool-down restarts.
  t = AfterReport(t, kT0 + 29 * kSecond, p);
  EXPECT_EQ(t->factor, 500);
  EXPECT_EQ(t->until_us, kT0 + 29 * kSecond + p.cooldown_us);
  // After it: halved again.
  t = AfterReport(t, kT0 + 30 * kSecond, p);
  EXPECT_EQ(t->factor, 250);
  const int64_t until = kT0 + 30 * kSecond + p.cooldown_us;
  EXPECT_EQ(FactorAt(t, until - 1, p), 250);
  EXPECT_EQ(FactorAt(t, until, p), 350);
  EXPECT_EQ(FactorAt(t, until + p.cooldown_us - 1, p), 350);
  EXPECT_EQ(FactorAt(t, until + p.cooldown_us, p), 450);
  EXPECT_EQ(RecoveredAt(*t, p), until + 7 * p.cooldown_us);
  EXPECT_EQ(FactorAt(t, RecoveredAt(*t, p) - 1, p), 950);
  EXPECT_EQ(FactorAt(t, RecoveredAt(*t, p), p), kFullFactor);
  EXPECT_EQ(FactorAt(t, until + (int64_t{1} << 52), p), kFullFactor);
  // A report while recovering halves what is in effect then.
  t = AfterReport(t, until + p.cooldown_us, p);
  EXPECT_EQ(t->factor, 225);
}

TEST(ThrottleTest, RepeatedReportsStopAtTheMinimumFactor) {
  const Params p = Defaults();
  std::optional<Throttle> t;
  for (int i = 0; i < 20; ++i) t = AfterReport(t, kT0 + i * p.hold_down_us, p);
  EXPECT_EQ(t->factor, kMinFactor);
  EXPECT_EQ(Effective(Limits(10, 10), t->factor).max_connections, 1);
  EXPECT_EQ(Effective(Limits(10, 10), t->factor).messages_per_second, 0.01);
}

TEST(EffectiveTest, ConnectionsFloorAtOneAndRateScales) {
  DestinationLimits l = Limits(5, 3);
  l.max_messages_per_connection = 42;
  DestinationLimits e = Effective(l, 500);
  EXPECT_EQ(e.max_connections, 2);
  EXPECT_EQ(e.messages_per_second, 1.5);
  EXPECT_EQ(e.max_messages_per_connection, 42);
  EXPECT_EQ(Effective(Limits(1, 0), 1).max_connections, 1);
  EXPECT_EQ(Effective(Limits(1, 0), 1).messages_per_second, 0);
  EXPECT_EQ(Effective(l, kFullFactor), l);
}

TEST(BucketTest, IntervalsAndBursts) {
  EXPECT_EQ(IntervalMicros(0), 0);
  EXPECT_EQ(IntervalMicros(10), 100'000);
  EXPECT_EQ(IntervalMicros(3), 333'334);
  EXPECT_EQ(IntervalMicros(0.3), 3'333'334);
  EXPECT_EQ(IntervalMicros(0.1), 10'000'000);
  EXPECT_EQ(IntervalMicros(0.001), 1'000'000'000);
  // burst = max(1, rate), in whole messages at one instant.
  EXPECT_EQ(Burst(BucketFor(Limits(1, 10), kFullFactor)), 10);
  EXPECT_EQ(Burst(BucketFor(Limits(1, 3), kFullFactor)), 3);
  EXPECT_EQ(Burst(BucketFor(Limits(1, 2.5), kFullFactor)), 2);
  EXPECT_EQ(Burst(BucketFor(Limits(1, 0.5), kFullFactor)), 1);
  EXPECT_EQ(Burst(BucketFor(Limits(1, 10), 500)), 5);
  EXPECT_EQ(Burst(BucketFor(Limits(1, 10), 1)), 1);
  EXPECT_EQ(BucketFor(Limits(1, 10), 500).interval_us, 200'000);
  EXPECT_EQ(BucketFor(Limits(1, 0), 500).interval_us, 0);
}

TEST(BucketTest, WaitIsExact) {
  const Bucket b = BucketFor(Limits(1, 10), kFullFactor);
  std::optional<int64_t> tat;
  for (int i = 0; i < 10; ++i) tat = CheckRate(b, tat, kT0).tat_us;
  EXPECT_EQ(CheckRate(b, tat, kT0).wait_us, 100'000);
  EXPECT_EQ(CheckRate(b, tat, kT0 + 99'999).wait_us, 1);
  EXPECT_EQ(CheckRate(b, tat, kT0 + 100'000).wait_us, 0);
  // A TAT long past is a full bucket, never more.
  EXPECT_EQ(Burst(b), 10);
  EXPECT_EQ(CheckRate(b, kT0 - 3600 * kSecond, kT0).tat_us, kT0 + 100'000);
  // Unlimited: always now.
  EXPECT_EQ(CheckRate(BucketFor(Limits(1, 0), kFullFactor), kT0 + kSecond, kT0).wait_us, 0);
}

TEST(DecideTest, ReasonsAndWaits) {
  const Params p = Defaults();
  Observation o;
  o.connection = true;
  o.in_use = 2;
  o.max_connections = 2;
  o.earliest_expiry_us = kT0 + 3 * kSecond;
  ShapingDecision d = Decide(o, kT0, p);
  EXPECT_FALSE(d.allowed);
  EXPECT_EQ(d.reason, "connections");
  EXPECT_EQ(d.retry_after, absl::Seconds(3));  // the earliest lease ends before busy_retry
  o.earliest_expiry_us = kT0 + 60 * kSecond;
  EXPECT_EQ(Decide(o, kT0, p).retry_after, absl::Seconds(10));
  // Both refuse: the longer wait.
  o.rate_wait_us = 12 * kSecond;
  EXPECT_EQ(Decide(o, kT0, p).retry_after, absl::Seconds(12));
  EXPECT_EQ(Decide(o, kT0, p).reason, "connections");
  o.in_use = 1;
  EXPECT_EQ(Decide(o, kT0, p).reason, "rate");
  o.factor = 500;
  EXPECT_EQ(Decide(o, kT0, p).reason, "throttled");
  o.rate_wait_us = 0;
  d = Decide(o, kT0, p);
  EXPECT_TRUE(d.allowed);
  EXPECT_EQ(d.reason, "");
  EXPECT_EQ(d.retry_after, absl::ZeroDuration());
  // A message ignores the slots.
  o.connection = false;
  o.in_use = 5;
  EXPECT_TRUE(Decide(o, kT0, p).allowed);
}

}  // namespace
}  // namespace kirim::shaping_rules
