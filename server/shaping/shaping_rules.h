// shaping_rules: the arithmetic every DestinationShaper implementation shares (options in integer
// units, the throttle factor, effective limits, the message bucket, and how a refusal becomes a
// ShapingDecision), so the Redis shaper's Lua script and the in-memory fake cannot drift apart on
// rounding. Not for callers of DestinationShaper; visible to server/shaping and tests/shaping.
//
//   KIRIM_ASSIGN_OR_RETURN(shaping_rules::Params p, shaping_rules::ToParams(options));
//   int64_t f = shaping_rules::FactorAt(throttle, now_us, p);
//   shaping_rules::Bucket b = shaping_rules::BucketFor(limits, f);
//   shaping_rules::RateCheck r = shaping_rules::CheckRate(b, stored_tat_us, now_us);
//
// Time is integer microseconds on the injected Clock (Unix epoch: ~1.8e15, below 2^53, so Lua's
// doubles hold every value exactly).
//
// The bucket is kept as GCRA (ITU-T I.371's virtual scheduling): one "theoretical arrival time"
// (TAT) per destination instead of a token count. With emission interval T (µs per message) and
// tolerance τ = (burst - 1) * T, a message may go at `now` iff max(TAT, now) - now <= τ, and then
// TAT becomes max(TAT, now) + T; that is exactly a token bucket of `burst` tokens refilled one
// per T. A refusal's wait, max(TAT, now) - τ - now, is exact to the microsecond, and the state is
// a single integer.
//
// The throttle factor is an integer in per mille of the configured limits (1000 = none), so the
// effective limits are integer arithmetic: max_connections * factor / 1000 (floor, at least 1);
// T * 1000 / factor (ceiling, so a throttled rate is never above the halved one).
#ifndef KIRIM_SERVER_SHAPING_SHAPING_RULES_H_
#define KIRIM_SERVER_SHAPING_SHAPING_RULES_H_

#include <cstdint>
#include <optional>

#include "absl/status/statusor.h"
#include "server/shaping/destination_policy.h"
#include "server/shaping/destination_shaper.h"

namespace kirim::shaping_rules {

inline constexpr int64_t kFullFactor = 1000;  // no throttle
inline constexpr int64_t kMinFactor = 1;      // repeated halvings stop at 0.1% of the limits
inline constexpr int64_t kMicrosPerSecond = 1'000'000;
inline constexpr size_t kMaxStoredReply = 512;

inline constexpr char kReasonConnections[] = "connections";
inline constexpr char kReasonRate[] = "rate";
inline constexpr char kReasonThrottled[] = "throttled";

// ShaperOptions in the units the shapers compute in.
struct Params {
  int64_t lease_us = 0;
  int64_t cooldown_us = 0;
  int64_t hold_down_us = 0;
  int64_t recovery_step = 0;  // per mille
  int64_t busy_retry_us = 0;
};

// kInvalidArgument unless the options are within the ranges documented on ShaperOptions (every
// duration at least 1 ms, except the hold-down which may be 0).
absl::StatusOr<Params> ToParams(const ShaperOptions& options);

// A destination's stored throttle state; none = never throttled (or fully recovered and gone).
struct Throttle {
  int64_t factor = kFullFactor;  // per mille, as set by the last halving
  int64_t until_us = 0;          // end of the cool-down
  int64_t last_us = 0;           // time of the last halving
};

// The factor in effect at now_us: the stored one during the cool-down, then recovery_step more
// at its end and after each further cool-down period, up to kFullFactor.
int64_t FactorAt(const std::optional<Throttle>& t, int64_t now_us, const Params& p);

// The state after a throttle report at now_us. Within hold_down_us of the last halving only the
// cool-down restarts (it never ends earlier than it would have); otherwise the factor in effect
// is halved (floor, at least kMinFactor) and a new cool-down starts.
Throttle AfterReport(const std::optional<Throttle>& t, int64_t now_us, const Params& p);

// When a throttle state no longer matters (the factor is back to kFullFactor): its key's TTL.
int64_t RecoveredAt(const Throttle& t, const Params& p);

// `limits` with `factor` applied: max_connections * factor / 1000 (floor, at least 1), the rate
// times factor / 1000. max_messages_per_connection is unchanged.
DestinationLimits Effective(const DestinationLimits& limits, int64_t factor);

// µs per message at `rate` messages/s, rounded up (0 for an unlimited rate). A rate written in
// decimal (0.3) whose quotient lands within 1e-6 of a whole µs gets that µs, not one more.
int64_t IntervalMicros(double rate);

// The message bucket of a destination at `factor`.
struct Bucket {
  int64_t interval_us = 0;   // T; 0 = unlimited
  int64_t tolerance_us = 0;  // τ = floor((max(1, rate * factor / 1000) - 1) * T)
};
Bucket BucketFor(const DestinationLimits& limits, int64_t factor);

struct RateCheck {
  int64_t wait_us = 0;  // 0 = a message may go now
  int64_t tat_us = 0;   // the TAT to store after taking one (meaningful when wait_us == 0)
};
// `stored_tat_us`: the stored TAT, or none (a full bucket).
RateCheck CheckRate(const Bucket& b, std::optional<int64_t> stored_tat_us, int64_t now_us);

// What an acquisition found, before changing anything.
struct Observation {
  bool connection = false;         // AcquireConnection (else AcquireMessage)
  int64_t in_use = 0;              // live slots (connection only)
  int64_t max_connections = 0;     // effective limit (connection only)
  int64_t earliest_expiry_us = 0;  // end of the earliest live lease; 0 = no slot held
  int64_t rate_wait_us = 0;        // CheckRate's wait
  int64_t factor = kFullFactor;
};

// The decision for `o` (without a permit: the caller attaches the slot it took).
ShapingDecision Decide(const Observation& o, int64_t now_us, const Params& p);

}  // namespace kirim::shaping_rules

#endif  // KIRIM_SERVER_SHAPING_SHAPING_RULES_H_
