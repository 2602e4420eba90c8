// RedisSendLimiter: SendLimiter shared by every kirimd replica through Redis. Each call is one
// Lua script, so the check of both limits and the consumption are one atomic step: concurrent
// Acquires, from any number of threads or replicas, never admit more than the limits allow.
//
//   RedisSendLimiter limiter(redis, clock);
//   auto d = limiter.Acquire("acme", {.rate_per_second = 10, .burst = 50,
//                                     .daily_quota = 10000}, /*cost=*/3);
//
// Key layout (every key of a tenant shares the hash tag `{rl:<tenant>}`, so one script only
// touches one Redis Cluster slot):
//   <prefix>:{rl:<tenant>}:bucket          hash  tokens = micro-tokens (decimal integer, see
//                                                 limit_rules.h), ts = Unix ms of the last write;
//                                                 absent = full. Expires once it would be full
//                                                 again (plus a day of slack).
//   <prefix>:{rl:<tenant>}:day:<YYYYMMDD>  recipients counted on that UTC day; expires after
//                                                 two days.
// The key prefix must not contain '{' or '}' (it would change the hash tag).
//
// Time comes from the injected Clock, passed to the script in Unix ms (not Redis's TIME), so
// tests can drive it with a FakeClock. The price is that replicas' clock skew matters:
// - The bucket stores ts = max(stored ts, now). A replica whose clock is behind sees no time
//   elapsed since the latest write and refills nothing, so a slow clock cannot mint tokens.
// - A replica whose clock is ahead by D refills D * rate extra tokens once (capped at the
//   burst), then moves ts ahead, so the others refill nothing until their clocks catch up: over
//   time the bucket follows the fastest clock, and skew can over-admit at most D * rate.
// - Near midnight, replicas disagree by D on which UTC day it is: a recipient may count
//   against the day before or after. Keep clocks NTP-synced (skew of milliseconds).
#ifndef KIRIM_SERVER_LIMITS_REDIS_SEND_LIMITER_H_
#define KIRIM_SERVER_LIMITS_REDIS_SEND_LIMITER_H_

#include <string>

#include "server/common/clock.h"
#include "server/limits/send_limiter.h"
#include "server/redis/redis_client.h"

namespace kirim {

class RedisSendLimiter final : public SendLimiter {
 public:
  RedisSendLimiter(redis::RedisClient& redis, const Clock& clock,
                   std::string key_prefix = "kirim");

  absl::StatusOr<LimitDecision> Acquire(const std::string& tenant, const TenantLimits& limits,
                                        int64_t cost) override;
  absl::Status Release(const std::string& tenant, const TenantLimits& limits,
                       int64_t cost) override;
  absl::StatusOr<LimitDecision> Peek(const std::string& tenant,
                                     const TenantLimits& limits) override;

  // Key names, public for tests and tooling.
  std::string BucketKey(const std::string& tenant) const;
  std::string DayKey(const std::string& tenant, absl::Time t) const;

 private:
  enum class Op { kAcquire, kRelease, kPeek };
  absl::StatusOr<LimitDecision> Run(Op op, const std::string& tenant, const TenantLimits& limits,
                                    int64_t cost);

  redis::RedisClient& redis_;
  const Clock& clock_;
  const std::string key_prefix_;
};

}  // namespace kirim

#endif  // KIRIM_SERVER_LIMITS_REDIS_SEND_LIMITER_H_
