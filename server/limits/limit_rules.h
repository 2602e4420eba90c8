// limit_rules: the arithmetic every SendLimiter implementation shares (validation, the token
// bucket in integer micro-tokens, UTC days, and how the two limits combine into one decision),
// so the Redis limiter and the in-memory fake cannot drift apart on rounding or precedence.
// Not for callers of SendLimiter; visible to server/limits and tests/limits only.
//
//   KIRIM_RETURN_IF_ERROR(limit_rules::Validate(tenant, limits, cost));
//   limit_rules::BucketView v = limit_rules::ViewBucket(stored, now_ms, per_ms, cap, need);
//   LimitDecision d = limit_rules::Decide(limits, cost, {v.available, v.wait_ms, used}, now, true);
//
// Tokens are kept as an integer count of micro-tokens (1e-6 token), never as a float: Redis
// stores them as an exact decimal integer, every replica reads back the same number, and the
// bucket holds at most 1e9 tokens = 1e15 micro-tokens, below 2^53, so Lua's doubles stay exact.
// A refill rounds down to whole micro-tokens, so each write can lose < 1e-6 token: the limiter
// errs by at most one recipient per million writes, and always on the strict side.
#ifndef KIRIM_SERVER_LIMITS_LIMIT_RULES_H_
#define KIRIM_SERVER_LIMITS_LIMIT_RULES_H_

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "server/limits/send_limiter.h"

namespace kirim::limit_rules {

inline constexpr int64_t kMicroTokensPerToken = 1'000'000;
inline constexpr double kMaxRatePerSecond = 1e12;
inline constexpr int64_t kMaxBurst = 1'000'000'000;
inline constexpr int64_t kMaxDailyQuota = 1'000'000'000'000'000;
inline constexpr int64_t kMaxCost = 1'000'000'000;
// Waits are clamped to this (~31,700 years), so a near-zero rate still gives a finite answer.
inline constexpr int64_t kMaxWaitMillis = 1'000'000'000'000'000;

inline constexpr char kViolatedRate[] = "rate";
inline constexpr char kViolatedDailyQuota[] = "daily_quota";

// kInvalidArgument unless the tenant is non-empty, the limits are within the ranges
// documented on TenantLimits and 1 <= cost <= kMaxCost.
absl::Status Validate(const std::string& tenant, const TenantLimits& limits, int64_t cost);

// Micro-tokens refilled per millisecond; 0 when the rate is unlimited.
double RefillPerMilli(const TenantLimits& limits);

// Bucket size in micro-tokens.
int64_t Capacity(const TenantLimits& limits);

// A stored bucket. A tenant without one has a full bucket.
struct Bucket {
  int64_t micro_tokens = 0;
  int64_t last_ms = 0;  // Unix ms of the last write
};

struct BucketView {
  int64_t available = 0;  // micro-tokens at now_ms, refill included, capped at the capacity
  int64_t wait_ms = 0;    // until `need` micro-tokens are available; 0 if they are now
};

// Refills `stored` up to now_ms and says how long `need` has to wait. Time before last_ms
// refills nothing (a replica whose clock is behind cannot mint tokens); need > capacity never
// fits and gets wait 0. The Lua script in redis_send_limiter.cc computes the same expressions
// on the same doubles.
BucketView ViewBucket(const Bucket& stored, int64_t now_ms, double per_ms, int64_t capacity,
                      int64_t need);

// Both limits as found at one instant, before any change.
struct LimitSnapshot {
  int64_t micro_tokens = -1;  // available (ViewBucket); -1 = no rate limit
  int64_t rate_wait_ms = 0;   // ViewBucket's wait for the cost
  int64_t daily_used = 0;     // recipients counted today
};

// Whether `cost` passes both limits in `s`.
bool Allows(const TenantLimits& limits, int64_t cost, const LimitSnapshot& s);

// The decision for `cost` at `now`. With `consumed`, an allowed decision reports the state after
// taking the cost (the caller has stored that state).
LimitDecision Decide(const TenantLimits& limits, int64_t cost, const LimitSnapshot& s,
                     absl::Time now, bool consumed);

// The UTC date of t as "YYYYMMDD", naming the daily counter.
std::string UtcDay(absl::Time t);
// The first UTC midnight after t, when the daily quota resets.
absl::Time NextUtcMidnight(absl::Time t);

}  // namespace kirim::limit_rules

#endif  // KIRIM_SERVER_LIMITS_LIMIT_RULES_H_
