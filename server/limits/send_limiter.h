// SendLimiter: per-tenant sending limits, checked when a message is accepted. Two limits apply
// together: a token bucket (a steady rate with room for a burst) and a quota per UTC day. The
// cost of a message is the number of its envelope recipients, so one call to a thousand
// recipients weighs as much as a thousand calls to one.
//
//   KIRIM_ASSIGN_OR_RETURN(LimitDecision d,
//                          limiter.Acquire(tenant, limits, message.recipients_size()));
//   if (!d.allowed) return LimitExceededStatus(tenant, limits, d);  // limit_status.h
//   absl::Status stored = queue.Enqueue(...);
//   if (!stored.ok()) limiter.Release(tenant, limits, message.recipients_size()).IgnoreError();
//
// Implementations: RedisSendLimiter (shared by every kirimd replica) and, for tests,
// kirim::testing::FakeSendLimiter (tests/limits/fake_send_limiter.h).
#ifndef KIRIM_SERVER_LIMITS_SEND_LIMITER_H_
#define KIRIM_SERVER_LIMITS_SEND_LIMITER_H_

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace kirim {

// One tenant's limits, in recipients. A zero turns a limit off.
struct TenantLimits {
  // Token refill rate, recipients per second; 0 = unlimited. At most 1e12.
  double rate_per_second = 0;
  // Bucket size (max tokens, the largest burst); must be in [1, 1e9] when rate > 0.
  int64_t burst = 0;
  // Recipients per UTC day; 0 = unlimited. At most 1e15.
  int64_t daily_quota = 0;
};

struct LimitDecision {
  bool allowed = false;
  // When refused: "rate" or "daily_quota", the limit that holds the cost back longest.
  std::string violated;
  // When refused: how long until the same cost could pass, if nobody else spends meanwhile
  // (rate: until enough tokens have refilled; daily quota: until the next UTC midnight). When
  // both limits refuse, the longer wait.
  absl::Duration retry_after;
  // The cost can never pass with these limits: it exceeds the burst (violated = "rate") or the
  // whole daily quota (violated = "daily_quota"). retry_after is 0: retrying cannot help, the
  // caller must split the message or get its limits raised.
  bool never = false;
  // Tokens in the bucket (after this call consumed, if allowed); -1 = no rate limit.
  double tokens_left = 0;
  // Recipients counted today (UTC), this call included if allowed. Counted even without a
  // quota, so a quota set mid-day starts from the true usage.
  int64_t daily_used = 0;
  // daily_quota - daily_used, never below 0; -1 = no daily quota.
  int64_t daily_remaining = -1;
};

// Errors: kInvalidArgument for limits or a cost outside the documented ranges (the caller's
// configuration is wrong), kUnavailable when the shared state cannot be reached (retry later;
// callers should refuse rather than send unlimited).
class SendLimiter {
 public:
  virtual ~SendLimiter() = default;

  // Atomically checks BOTH limits and, only if both allow, consumes `cost` (>= 1, <= 1e9) from
  // both: a refusal by one limit leaves the other untouched.
  virtual absl::StatusOr<LimitDecision> Acquire(const std::string& tenant,
                                                const TenantLimits& limits, int64_t cost) = 0;

  // Gives back what an earlier allowed Acquire took, because the caller could not store the
  // message. Tokens return to the bucket (never beyond the burst); the recipients come off the
  // counter of the current UTC day (never below 0), so a Release after midnight credits the
  // new day: call it right after the failed store.
  virtual absl::Status Release(const std::string& tenant, const TenantLimits& limits,
                               int64_t cost) = 0;

  // The current state without consuming anything (for the GetQuota RPC). allowed, violated and
  // retry_after answer "could one recipient pass now?".
  virtual absl::StatusOr<LimitDecision> Peek(const std::string& tenant,
                                             const TenantLimits& limits) = 0;
};

}  // namespace kirim

#endif  // KIRIM_SERVER_LIMITS_SEND_LIMITER_H_
