#include "server/shaping/shaping_rules.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace kirim::shaping_rules {
namespace {

constexpr absl::Duration kMinDuration = absl::Milliseconds(1);
// Ten years: longer leases or cool-downs are configuration mistakes, and the bound keeps every
// sum of times below 2^53 µs.
constexpr absl::Duration kMaxDuration = absl::Hours(24 * 3650);

absl::Status CheckDuration(const char* name, absl::Duration d, absl::Duration min) {
  if (d < min || d > kMaxDuration) {
    return absl::InvalidArgumentError(absl::StrCat("shaper options: ", name, " ",
                                                   absl::FormatDuration(d), " outside [",
                                                   absl::FormatDuration(min), ", 3650 days]"));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<Params> ToParams(const ShaperOptions& o) {
  if (absl::StrContains(o.key_prefix, "{") || absl::StrContains(o.key_prefix, "}")) {
    return absl::InvalidArgumentError("shaper options: key_prefix must not contain '{' or '}'");
  }
  for (const auto& [name, d] : {std::pair<const char*, absl::Duration>{"slot_lease", o.slot_lease},
                                {"cooldown", o.cooldown},
                                {"busy_retry", o.busy_retry}}) {
    absl::Status s = CheckDuration(name, d, kMinDuration);
    if (!s.ok()) return s;
  }
  absl::Status s = CheckDuration("throttle_hold_down", o.throttle_hold_down, absl::ZeroDuration());
  if (!s.ok()) return s;
  if (o.throttle_hold_down > o.cooldown) {
    return absl::InvalidArgumentError("shaper options: throttle_hold_down longer than cooldown");
  }
  const double step = o.recovery_step * kFullFactor;
  if (!(step >= 1 && step <= kFullFactor)) {  // also refuses NaN
    return absl::InvalidArgumentError(
        absl::StrCat("shaper options: recovery_step ", o.recovery_step, " outside [0.001, 1]"));
  }
  Params p;
  p.lease_us = absl::ToInt64Microseconds(o.slot_lease);
  p.cooldown_us = absl::ToInt64Microseconds(o.cooldown);
  p.hold_down_us = absl::ToInt64Microseconds(o.throttle_hold_down);
  p.recovery_step = std::llround(step);
  p.busy_retry_us = absl::ToInt64Microseconds(o.busy_retry);
  return p;
}

int64_t FactorAt(const std::optional<Throttle>& t, int64_t now_us, const Params& p) {
  if (!t.has_value()) return kFullFactor;
  if (now_us < t->until_us) return t->factor;
  const int64_t steps = 1 + (now_us - t->until_us) / p.cooldown_us;
  // Compared before multiplying: after years without a report `steps` is large.
  if (steps >= kFullFactor) return kFullFactor;
  return std::min(kFullFactor, t->factor + p.recovery_step * steps);
}

Throttle AfterReport(const std::optional<Throttle>& t, int64_t now_us, const Params& p) {
  if (t.has_value() && now_us - t->last_us < p.hold_down_us) {
    Throttle same = *t;
    same.until_us = std::max(t->until_us, now_us + p.cooldown_us);
    return same;
  }
  return {std::max(kMinFactor, FactorAt(t, now_us, p) / 2), now_us + p.cooldown_us, now_us};
}

int64_t RecoveredAt(const Throttle& t, const Params& p) {
  const int64_t steps = (kFullFactor - t.factor + p.recovery_step - 1) / p.recovery_step;
  return t.until_us + p.cooldown_us * std::max<int64_t>(0, steps - 1);
}

DestinationLimits Effective(const DestinationLimits& limits, int64_t factor) {
  DestinationLimits e = limits;
  e.max_connections = static_cast<int>(
      std::max<int64_t>(1, int64_t{limits.max_connections} * factor / kFullFactor));
  e.messages_per_second = limits.messages_per_second * static_cast<double>(factor) / kFullFactor;
  return e;
}

int64_t IntervalMicros(double rate) {
  if (rate <= 0) return 0;
  const double q = kMicrosPerSecond / rate;
  const double whole = std::round(q);
  return static_cast<int64_t>(std::fabs(q - whole) < 1e-6 ? whole : std::ceil(q));
}

Bucket BucketFor(const DestinationLimits& limits, int64_t factor) {
  Bucket b;
  const int64_t base = IntervalMicros(limits.messages_per_second);
  if (base == 0) return b;
  // The Lua script computes these same expressions on the same doubles; both sides are exact
  // (integers below 2^53, a quotient at least 1/1000 away from a whole number or whole).
  b.interval_us = (base * kFullFactor + factor - 1) / factor;
  const double rate = limits.messages_per_second * static_cast<double>(factor) / kFullFactor;
  b.tolerance_us = static_cast<int64_t>(
      std::floor((std::max(1.0, rate) - 1.0) * static_cast<double>(b.interval_us)));
  return b;
}

RateCheck CheckRate(const Bucket& b, std::optional<int64_t> stored_tat_us, int64_t now_us) {
  RateCheck r;
  if (b.interval_us == 0) return r;
  // max(): a TAT left behind is a full bucket, and a writer with a faster clock may have left
  // one ahead of ours; either way nobody can bank tokens beyond the burst.
  const int64_t tat = std::max(now_us, stored_tat_us.value_or(now_us));
  if (tat - now_us > b.tolerance_us) {
    r.wait_us = tat - b.tolerance_us - now_us;
  } else {
    r.tat_us = tat + b.interval_us;
  }
  return r;
}

ShapingDecision Decide(const Observation& o, int64_t now_us, const Params& p) {
  const bool conn_ok = !o.connection || o.in_use < o.max_connections;
  const bool rate_ok = o.rate_wait_us == 0;
  ShapingDecision d;
  if (conn_ok && rate_ok) {
    d.allowed = true;
    return d;
  }
  int64_t wait = rate_ok ? 0 : o.rate_wait_us;
  if (!conn_ok) {
    // A session may end any moment, so do not wait out a whole lease; but if one ends sooner
    // than busy_retry, that slot is certainly free then.
    int64_t conn_wait = p.busy_retry_us;
    if (o.earliest_expiry_us > now_us)
      conn_wait = std::min(conn_wait, o.earliest_expiry_us - now_us);
    wait = std::max(wait, conn_wait);
  }
  d.retry_after = absl::Microseconds(wait);
  d.reason = o.factor < kFullFactor ? kReasonThrottled
             : !conn_ok             ? kReasonConnections
                                    : kReasonRate;
  return d;
}

}  // namespace kirim::shaping_rules
