// FakeSendLimiter: an in-memory SendLimiter with the Redis limiter's semantics (the same
// limit_rules arithmetic: micro-tokens, ts = max(last, now), UTC-day counters, all or
// nothing), for unit tests of the API. Time comes from the injected Clock (use a FakeClock);
// `set_unavailable(true)` makes every call fail like a Redis outage.
//
//   kirim::testing::FakeClock clock;
//   kirim::testing::FakeSendLimiter limiter(clock);
//   MailApi api(..., limiter, ...);
//   limiter.set_unavailable(true);   // SendEmail must now answer UNAVAILABLE
#ifndef KIRIM_TESTS_LIMITS_FAKE_SEND_LIMITER_H_
#define KIRIM_TESTS_LIMITS_FAKE_SEND_LIMITER_H_

#include <algorithm>
#include <map>
#include <string>
#include <utility>

#include "absl/synchronization/mutex.h"
#include "server/common/clock.h"
#include "server/limits/limit_rules.h"
#include "server/limits/send_limiter.h"

namespace kirim::testing {

class FakeSendLimiter final : public SendLimiter {
 public:
  explicit FakeSendLimiter(const Clock& clock) : clock_(clock) {}

  void set_unavailable(bool unavailable) {
    absl::MutexLock lock(&mu_);
    unavailable_ = unavailable;
  }

  absl::StatusOr<LimitDecision> Acquire(const std::string& tenant, const TenantLimits& limits,
                                        int64_t cost) override {
    return Run(Op::kAcquire, tenant, limits, cost);
  }

  absl::Status Release(const std::string& tenant, const TenantLimits& limits,
                       int64_t cost) override {
    return Run(Op::kRelease, tenant, limits, cost).status();
  }

  absl::StatusOr<LimitDecision> Peek(const std::string& tenant,
                                     const TenantLimits& limits) override {
    return Run(Op::kPeek, tenant, limits, 1);
  }

 private:
  enum class Op { kAcquire, kRelease, kPeek };

  absl::StatusOr<LimitDecision> Run(Op op, const std::string& tenant, const TenantLimits& limits,
                                    int64_t cost) {
    absl::Status valid = limit_rules::Validate(tenant, limits, cost);
    if (!valid.ok()) return valid;
    absl::MutexLock lock(&mu_);
    if (unavailable_) return absl::UnavailableError("fake redis down");
    const absl::Time now = clock_.Now();
    const int64_t now_ms = absl::ToUnixMillis(now);
    const double per_ms = limit_rules::RefillPerMilli(limits);
    const int64_t cap = limit_rules::Capacity(limits);
    const int64_t need = cost * limit_rules::kMicroTokensPerToken;
    int64_t& used = used_[{tenant, limit_rules::UtcDay(now)}];

    limit_rules::LimitSnapshot before;
    before.daily_used = used;
    limit_rules::Bucket stored{cap, now_ms};
    if (per_ms > 0) {
      auto it = buckets_.find(tenant);
      if (it != buckets_.end()) stored = it->second;
      const limit_rules::BucketView view =
          limit_rules::ViewBucket(stored, now_ms, per_ms, cap, need);
      before.micro_tokens = view.available;
      before.rate_wait_ms = view.wait_ms;
    }
    auto store = [&](int64_t tokens) {
      if (tokens >= cap) {
        buckets_.erase(tenant);  // a full bucket is no bucket, as in Redis
      } else {
        buckets_[tenant] = {tokens, std::max(stored.last_ms, now_ms)};
      }
    };

    const bool acquire = op == Op::kAcquire;
    LimitDecision d = limit_rules::Decide(limits, cost, before, now, acquire);
    if (acquire && d.allowed) {
      if (per_ms > 0) store(before.micro_tokens - need);
      used += cost;
    } else if (op == Op::kRelease) {
      if (per_ms > 0) store(std::min(cap, before.micro_tokens + need));
      used = std::max<int64_t>(0, used - cost);
    }
    return d;
  }

  const Clock& clock_;
  absl::Mutex mu_;
  bool unavailable_ ABSL_GUARDED_BY(mu_) = false;
  std::map<std::string, limit_rules::Bucket> buckets_ ABSL_GUARDED_BY(mu_);
  // (tenant, "YYYYMMDD") -> recipients counted that UTC day.
  std::map<std::pair<std::string, std::string>, int64_t> used_ ABSL_GUARDED_BY(mu_);
};

}  // namespace kirim::testing

#endif  // KIRIM_TESTS_LIMITS_FAKE_SEND_LIMITER_H_
