// RedisDestinationShaper: the DestinationShaper shared by every worker process through Redis.
// Each call is one Lua script, so checking the limits and taking a slot or a token is one atomic
// step: any number of threads and processes together never hold more slots than the effective
// max_connections, nor send faster than the effective rate.
//
//   RedisDestinationShaper shaper(redis, clock, policy, {.slot_lease = absl::Minutes(10)});
//   auto d = shaper.AcquireConnection("gmail.com");
//
// Key layout (every key of a destination shares the hash tag `{dst:<domain>}`, so one script
// touches one Redis Cluster slot; <domain> is normalized, see NormalizeDestination):
//   <prefix>:{dst:<domain>}:slots     sorted set, slot token -> end of its lease (Unix µs).
//                                     Expired members are removed by the next script that
//                                     takes, renews or releases a slot; State ignores them.
//   <prefix>:{dst:<domain>}:tat       the message bucket's theoretical arrival time (Unix µs,
//                                     GCRA, see shaping_rules.h); absent = a full bucket.
//   <prefix>:{dst:<domain>}:throttle  hash f (factor, per mille), until (end of the cool-down,
//                                     µs), last (last halving, µs), reply (the remote reply).
//   <prefix>:{dst:<domain>}:seq       counter naming slot tokens ("<µs>.<n>").
// Each key carries a TTL past the moment it stops mattering (plus a day of slack for clock
// skew between the workers and Redis), so idle destinations leave nothing behind.
//
// Time comes from the injected Clock (not Redis's TIME), so tests drive it with a FakeClock.
// Clock skew between workers therefore matters a little: a worker whose clock is ahead sees
// leases end early (it may take a slot up to the skew before it is free) and the bucket's TAT
// in the past (a burst early); a worker whose clock is behind cannot mint tokens (the stored
// TAT is kept, never moved back) and cannot shorten a lease. Keep clocks NTP-synced.
#ifndef KIRIM_SERVER_SHAPING_REDIS_DESTINATION_SHAPER_H_
#define KIRIM_SERVER_SHAPING_REDIS_DESTINATION_SHAPER_H_

#include <string>
#include <utility>

#include "absl/status/statusor.h"
#include "server/common/clock.h"
#include "server/redis/redis_client.h"
#include "server/shaping/destination_policy.h"
#include "server/shaping/destination_shaper.h"
#include "server/shaping/shaping_rules.h"

namespace kirim {

class RedisDestinationShaper final : public DestinationShaper {
 public:
  // Bad `options` make every call fail with kInvalidArgument.
  RedisDestinationShaper(redis::RedisClient& redis, const Clock& clock,
                         const DestinationPolicy& policy, ShaperOptions options = {});

  absl::StatusOr<ShapingDecision> AcquireConnection(const std::string& destination) override;
  absl::StatusOr<ShapingDecision> AcquireMessage(const std::string& destination) override;
  absl::Status Renew(Permit& permit) override;
  absl::Status Release(const Permit& permit) override;
  absl::Status ReportThrottle(const std::string& destination, absl::string_view reply) override;
  absl::StatusOr<std::pair<DestinationLimits, int>> State(const std::string& destination) override;

  // Key names of a normalized destination, public for tests and tooling.
  std::string SlotsKey(const std::string& destination) const;
  std::string TatKey(const std::string& destination) const;
  std::string ThrottleKey(const std::string& destination) const;

 private:
  // What the script found (before its change) and did.
  struct ScriptResult {
    bool done = false;  // slot or token taken / slot renewed / slot removed
    shaping_rules::Observation seen;
    std::string token;
    int64_t expires_us = 0;
  };
  absl::StatusOr<ScriptResult> Run(const char* op, const std::string& destination,
                                   const DestinationLimits& limits, absl::string_view arg,
                                   int64_t now_us);
  absl::StatusOr<ShapingDecision> Acquire(bool connection, const std::string& destination);

  redis::RedisClient& redis_;
  const Clock& clock_;
  const DestinationPolicy& policy_;
  const ShaperOptions options_;
  const absl::StatusOr<shaping_rules::Params> params_;
};

}  // namespace kirim

#endif  // KIRIM_SERVER_SHAPING_REDIS_DESTINATION_SHAPER_H_
