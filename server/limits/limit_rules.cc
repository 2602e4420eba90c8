#include "server/limits/limit_rules.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/str_cat.h"

namespace kirim::limit_rules {

absl::Status Validate(const std::string& tenant, const TenantLimits& limits, int64_t cost) {
  if (tenant.empty()) return absl::InvalidArgumentError("limits: empty tenant");
  const double rate = limits.rate_per_second;
  if (!(rate >= 0 && rate <= kMaxRatePerSecond)) {  // also refuses NaN
    return absl::InvalidArgumentError(
        absl::StrCat("limits: rate_per_second ", rate, " outside [0, ", kMaxRatePerSecond, "]"));
  }
  if (rate > 0 && (limits.burst < 1 || limits.burst > kMaxBurst)) {
    return absl::InvalidArgumentError(
        absl::StrCat("limits: burst ", limits.burst, " outside [1, ", kMaxBurst, "]"));
  }
  if (limits.daily_quota < 0 || limits.daily_quota > kMaxDailyQuota) {
    return absl::InvalidArgumentError(absl::StrCat("limits: daily_quota ", limits.daily_quota,
                                                   " outside [0, ", kMaxDailyQuota, "]"));
  }
  if (cost < 1 || cost > kMaxCost) {
    return absl::InvalidArgumentError(
        absl::StrCat("limits: cost ", cost, " outside [1, ", kMaxCost, "]"));
  }
  return absl::OkStatus();
}

double RefillPerMilli(const TenantLimits& limits) {
  return limits.rate_per_second * (kMicroTokensPerToken / 1000);
}

int64_t Capacity(const TenantLimits& limits) { return limits.burst * kMicroTokensPerToken; }

BucketView ViewBucket(const Bucket& stored, int64_t now_ms, double per_ms, int64_t capacity,
                      int64_t need) {
  // Doubles throughout, in the order the Lua script uses, so both round identically.
  const double cap = static_cast<double>(capacity);
  const double have = static_cast<double>(stored.micro_tokens);
  const double last = static_cast<double>(stored.last_ms);
  const double now = static_cast<double>(now_ms);
  const double want = static_cast<double>(need);
  BucketView view;
  const double available = std::min(cap, have + std::floor(std::max(0.0, now - last) * per_ms));
  view.available = static_cast<int64_t>(available);
  if (available >= want || want > cap) return view;
  // The least whole ms t after last_ms whose refill covers what is missing; the loops undo the
  // rounding of the division (bounded, since at a tiny rate one ms may not change the product).
  const double missing = want - have;
  double t = std::ceil(missing / per_ms);
  for (int i = 0; i < 4 && std::floor(t * per_ms) < missing; ++i) t += 1;
  for (int i = 0; i < 4 && t > 0 && std::floor((t - 1) * per_ms) >= missing; ++i) t -= 1;
  view.wait_ms = static_cast<int64_t>(std::min(last + t - now, static_cast<double>(kMaxWaitMillis)));
  return view;
}

bool Allows(const TenantLimits& limits, int64_t cost, const LimitSnapshot& s) {
  const bool rate_ok =
      limits.rate_per_second == 0 || s.micro_tokens >= cost * kMicroTokensPerToken;
  const bool quota_ok = limits.daily_quota == 0 || s.daily_used + cost <= limits.daily_quota;
  return rate_ok && quota_ok;
}

LimitDecision Decide(const TenantLimits& limits, int64_t cost, const LimitSnapshot& s,
                     absl::Time now, bool consumed) {
  const bool rated = limits.rate_per_second > 0;
  const bool capped = limits.daily_quota > 0;
  int64_t tokens = s.micro_tokens;
  int64_t used = s.daily_used;
  LimitDecision d;
  if (rated && cost > limits.burst) {
    d.never = true;
    d.violated = kViolatedRate;
  } else if (capped && cost > limits.daily_quota) {
    d.never = true;
    d.violated = kViolatedDailyQuota;
  } else if (Allows(limits, cost, s)) {
    d.allowed = true;
    if (consumed) {
      if (rated) tokens -= cost * kMicroTokensPerToken;
      used += cost;
    }
  } else {
    // Both limits only loosen with time (tokens refill, the counter resets at midnight), so the
    // same cost passes once the longer of the two waits is over.
    const bool rate_ok = !rated || tokens >= cost * kMicroTokensPerToken;
    const absl::Duration rate_wait =
        rate_ok ? absl::ZeroDuration() : absl::Milliseconds(s.rate_wait_ms);
    const bool quota_ok = !capped || used + cost <= limits.daily_quota;
    const absl::Duration quota_wait = quota_ok ? absl::ZeroDuration() : NextUtcMidnight(now) - now;
    if (!quota_ok && quota_wait >= rate_wait) {
      d.violated = kViolatedDailyQuota;
      d.retry_after = quota_wait;
    } else {
      d.violated = kViolatedRate;
      d.retry_after = rate_wait;
    }
  }
  d.tokens_left = rated ? static_cast<double>(tokens) / kMicroTokensPerToken : -1;
  d.daily_used = used;
  d.daily_remaining = capped ? std::max<int64_t>(0, limits.daily_quota - used) : -1;
  return d;
}

std::string UtcDay(absl::Time t) { return absl::FormatTime("%Y%m%d", t, absl::UTCTimeZone()); }

absl::Time NextUtcMidnight(absl::Time t) {
  const absl::TimeZone utc = absl::UTCTimeZone();
  return absl::FromCivil(absl::ToCivilDay(t, utc) + 1, utc);
}

}  // namespace kirim::limit_rules
