// FakeDestinationShaper: an in-memory DestinationShaper with the Redis shaper's semantics (the
// same shaping_rules arithmetic: leases purged on the injected clock, GCRA bucket, throttle
// factor, "<µs>.<n>" slot tokens), for unit tests of the delivery workers. Time comes from the
// injected Clock (use a FakeClock); `set_unavailable(true)` makes every call fail like a Redis
// outage.
//
//   kirim::testing::FakeClock clock;
//   DestinationPolicy policy({.max_connections = 2});
//   kirim::testing::FakeDestinationShaper shaper(clock, policy);
//   shaper.set_unavailable(true);   // the worker must now defer, not send unshaped
#ifndef KIRIM_TESTS_SHAPING_FAKE_DESTINATION_SHAPER_H_
#define KIRIM_TESTS_SHAPING_FAKE_DESTINATION_SHAPER_H_

#include <algorithm>
#include <map>
#include <optional>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "server/common/clock.h"
#include "server/shaping/destination_policy.h"
#include "server/shaping/destination_shaper.h"
#include "server/shaping/shaping_rules.h"

namespace kirim::testing {

class FakeDestinationShaper final : public DestinationShaper {
 public:
  FakeDestinationShaper(const Clock& clock, const DestinationPolicy& policy,
                        ShaperOptions options = {})
      : clock_(clock), policy_(policy), params_(shaping_rules::ToParams(options)) {}

  void set_unavailable(bool unavailable) {
    absl::MutexLock lock(&mu_);
    unavailable_ = unavailable;
  }

  absl::StatusOr<ShapingDecision> AcquireConnection(const std::string& destination) override {
    return Acquire(/*connection=*/true, destination);
  }

  absl::StatusOr<ShapingDecision> AcquireMessage(const std::string& destination) override {
    return Acquire(/*connection=*/false, destination);
  }

  absl::Status Renew(Permit& permit) override {
    return Locked<absl::Status>(
        Check(permit), [&](const std::string&, Destination& d, int64_t now) -> absl::Status {
          Purge(d, now);
          auto it = d.slots.find(permit.token);
          if (it == d.slots.end()) {
            return absl::FailedPreconditionError(absl::StrCat("slot ", permit.token, " is gone"));
          }
          it->second = std::max(it->second, now + params_->lease_us);
          SetLease(permit, absl::FromUnixMicros(now), absl::FromUnixMicros(it->second));
          return absl::OkStatus();
        });
  }

  absl::Status Release(const Permit& permit) override {
    return Locked<absl::Status>(Check(permit),
                                [&](const std::string&, Destination& d, int64_t now) {
                                  Purge(d, now);
                                  d.slots.erase(permit.token);
                                  return absl::OkStatus();
                                });
  }

  absl::Status ReportThrottle(const std::string& destination, absl::string_view reply) override {
    return Locked<absl::Status>(
        Key(destination), [&](const std::string&, Destination& d, int64_t now) {
          d.throttle = shaping_rules::AfterReport(d.throttle, now, *params_);
          d.last_reply = std::string(reply.substr(0, shaping_rules::kMaxStoredReply));
          return absl::OkStatus();
        });
  }

  absl::StatusOr<std::pair<DestinationLimits, int>> State(const std::string& destination) override {
    using Result = absl::StatusOr<std::pair<DestinationLimits, int>>;
    return Locked<Result>(WithValidLimits(destination), [&](const std::string& dest, Destination& d,
                                                            int64_t now) {
      int in_use = 0;
      for (const auto& [token, expires] : d.slots) in_use += expires > now ? 1 : 0;
      const int64_t factor = shaping_rules::FactorAt(d.throttle, now, *params_);
      return Result(std::make_pair(shaping_rules::Effective(policy_.For(dest), factor), in_use));
    });
  }

  // The reply text of the last ReportThrottle for `destination` (normalized), for assertions.
  std::string last_reply(const std::string& destination) {
    absl::MutexLock lock(&mu_);
    return state_[destination].last_reply;
  }

 private:
  struct Destination {
    std::map<std::string, int64_t> slots;  // token -> end of lease, µs
    std::optional<int64_t> tat_us;
    std::optional<shaping_rules::Throttle> throttle;
    int64_t seq = 0;
    std::string last_reply;
  };

  static absl::Status Down() { return absl::UnavailableError("fake redis down"); }
  int64_t Now() const { return absl::ToUnixMicros(clock_.Now()); }
  static void Purge(Destination& d, int64_t now) {
    for (auto it = d.slots.begin(); it != d.slots.end();) {
      it = it->second <= now ? d.slots.erase(it) : std::next(it);
    }
  }

  // The checks every call makes before touching state (bad options, a bad name), as in Redis.
  absl::StatusOr<std::string> Key(const std::string& destination) const {
    if (!params_.ok()) return params_.status();
    return NormalizeDestination(destination);
  }

  // Key(), for a destination whose limits must be valid too.
  absl::StatusOr<std::string> WithValidLimits(const std::string& destination) const {
    absl::StatusOr<std::string> dest = Key(destination);
    if (!dest.ok()) return dest;
    absl::Status valid = ValidateDestinationLimits(policy_.For(*dest));
    if (!valid.ok()) return valid;
    return dest;
  }

  // Key(), for a permit's destination; the permit must name a slot.
  absl::StatusOr<std::string> Check(const Permit& permit) const {
    absl::StatusOr<std::string> dest = Key(permit.destination);
    if (dest.ok() && permit.token.empty()) {
      return absl::InvalidArgumentError("permit without a token");
    }
    return dest;
  }

  // Runs `op(destination, its state, now µs)` under the lock, unless `dest` is an error or the
  // fake is down: the one place that plays the Redis round trip.
  template <typename Result, typename Op>
  Result Locked(const absl::StatusOr<std::string>& dest, Op op) {
    if (!dest.ok()) return dest.status();
    absl::MutexLock lock(&mu_);
    if (unavailable_) return Down();
    return op(*dest, state_[*dest], Now());
  }

  absl::StatusOr<ShapingDecision> Acquire(bool connection, const std::string& destination) {
    return Locked<absl::StatusOr<ShapingDecision>>(
        WithValidLimits(destination), [&](const std::string& dest, Destination& d, int64_t now) {
          const DestinationLimits limits = policy_.For(dest);
          shaping_rules::Observation seen;
          seen.connection = connection;
          seen.factor = shaping_rules::FactorAt(d.throttle, now, *params_);
          const shaping_rules::RateCheck rate = shaping_rules::CheckRate(
              shaping_rules::BucketFor(limits, seen.factor), d.tat_us, now);
          seen.rate_wait_us = rate.wait_us;
          if (connection) {
            Purge(d, now);
            seen.in_use = static_cast<int64_t>(d.slots.size());
            seen.max_connections = shaping_rules::Effective(limits, seen.factor).max_connections;
            for (const auto& [token, expires] : d.slots) {
              if (seen.earliest_expiry_us == 0 || expires < seen.earliest_expiry_us) {
                seen.earliest_expiry_us = expires;
              }
            }
          }
          ShapingDecision decision = shaping_rules::Decide(seen, now, *params_);
          if (!decision.allowed) return decision;
          if (limits.messages_per_second > 0) d.tat_us = rate.tat_us;
          if (connection) {
            const int64_t expires = now + params_->lease_us;
            Permit permit{dest, absl::StrCat(now, ".", ++d.seq)};
            SetLease(permit, absl::FromUnixMicros(now), absl::FromUnixMicros(expires));
            d.slots[permit.token] = expires;
            decision.permit = std::move(permit);
          }
          return decision;
        });
  }

  const Clock& clock_;
  const DestinationPolicy& policy_;
  const absl::StatusOr<shaping_rules::Params> params_;
  absl::Mutex mu_;
  bool unavailable_ ABSL_GUARDED_BY(mu_) = false;
  std::map<std::string, Destination> state_ ABSL_GUARDED_BY(mu_);
};

}  // namespace kirim::testing

#endif  // KIRIM_TESTS_SHAPING_FAKE_DESTINATION_SHAPER_H_
