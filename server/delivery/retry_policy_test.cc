#include "server/delivery/retry_policy.h"

#include "gtest/gtest.h"
#include "tests/common/fake_random.h"

namespace kirim {
namespace {

const absl::Time kAccepted = absl::FromUnixSeconds(1800000000);

TEST(RetryPolicyTest, DefaultsHonourRfc5321) {
  RetryPolicyOptions o;
  EXPECT_GE(o.max_age, absl::Hours(24 * 4)) << "RFC 5321 §4.5.4.1: give up no sooner than 4 days";
  EXPECT_EQ(o.delay_warning, absl::Hours(4));
}

TEST(RetryPolicyTest, BackoffGrowsExponentiallyUpToTheCap) {
  RetryPolicy p({.first_retry = absl::Minutes(5), .factor = 2, .max_delay = absl::Hours(1)});
  EXPECT_EQ(p.BaseDelay(1), absl::Minutes(5));
  EXPECT_EQ(p.BaseDelay(2), absl::Minutes(10));
  EXPECT_EQ(p.BaseDelay(3), absl::Minutes(20));
  EXPECT_EQ(p.BaseDelay(4), absl::Minutes(40));
  EXPECT_EQ(p.BaseDelay(5), absl::Hours(1));
  EXPECT_EQ(p.BaseDelay(500), absl::Hours(1)) << "no overflow far past the cap";
}

TEST(RetryPolicyTest, JitterStaysWithinItsBandAndActuallySpreads) {
  RetryPolicy p({.first_retry = absl::Minutes(10), .factor = 2, .max_delay = absl::Hours(1),
                 .max_age = absl::Hours(100), .jitter = 0.2});
  testing::FakeRandom random;
  absl::Duration lo = absl::InfiniteDuration(), hi = absl::ZeroDuration();
  for (int i = 0; i < 1000; ++i) {
    absl::Duration wait = *p.NextAttempt(1, kAccepted, kAccepted, random) - kAccepted;
    EXPECT_GE(wait, absl::Minutes(8));
    EXPECT_LE(wait, absl::Minutes(12));
    lo = std::min(lo, wait);
    hi = std::max(hi, wait);
  }
  EXPECT_LT(lo, absl::Minutes(8) + absl::Seconds(30));
  EXPECT_GT(hi, absl::Minutes(12) - absl::Seconds(30));
}

TEST(RetryPolicyTest, NoJitterIsExact) {
  RetryPolicy p({.first_retry = absl::Minutes(1), .factor = 3, .max_delay = absl::Hours(1),
                 .max_age = absl::Hours(5), .jitter = 0});
  testing::FakeRandom random;
  EXPECT_EQ(*p.NextAttempt(2, kAccepted, kAccepted + absl::Hours(1), random),
            kAccepted + absl::Hours(1) + absl::Minutes(3));
}

TEST(RetryPolicyTest, TheLastAttemptIsAtTheDeadlineThenItExpires) {
  RetryPolicy p({.first_retry = absl::Hours(1), .factor = 1, .max_delay = absl::Hours(1),
                 .max_age = absl::Hours(5), .jitter = 0});
  testing::FakeRandom random;
  const absl::Time deadline = kAccepted + absl::Hours(5);
  EXPECT_EQ(*p.NextAttempt(5, kAccepted, deadline - absl::Minutes(10), random), deadline);
  EXPECT_FALSE(p.NextAttempt(6, kAccepted, deadline, random).has_value());
  EXPECT_FALSE(p.NextAttempt(6, kAccepted, deadline + absl::Hours(1), random).has_value());
}

TEST(RetryPolicyTest, DelayWarningOnceAfterItsTime) {
  RetryPolicy p({.delay_warning = absl::Hours(4)});
  EXPECT_FALSE(p.DelayWarningDue(kAccepted, kAccepted + absl::Hours(3), false));
  EXPECT_TRUE(p.DelayWarningDue(kAccepted, kAccepted + absl::Hours(4), false));
  EXPECT_FALSE(p.DelayWarningDue(kAccepted, kAccepted + absl::Hours(9), true));
}

}  // namespace
}  // namespace kirim
