// FakeClock: simulated time for tests. Starts at a fixed instant; only Advance() moves it.
#ifndef KIRIM_TESTS_COMMON_FAKE_CLOCK_H_
#define KIRIM_TESTS_COMMON_FAKE_CLOCK_H_

#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "server/common/clock.h"

namespace kirim::testing {

class FakeClock final : public Clock {
 public:
  // 2026-01-02T03:04:05Z by default: a fixed, recognisable instant.
  explicit FakeClock(absl::Time start = absl::FromUnixSeconds(1767323045)) : now_(start) {}
  absl::Time Now() const override {
    absl::MutexLock lock(&mu_);
    return now_;
  }
  void Advance(absl::Duration d) {
    absl::MutexLock lock(&mu_);
    now_ += d;
  }
  void Set(absl::Time t) {
    absl::MutexLock lock(&mu_);
    now_ = t;
  }

 private:
  mutable absl::Mutex mu_;
  absl::Time now_;
};

}  // namespace kirim::testing

#endif  // KIRIM_TESTS_COMMON_FAKE_CLOCK_H_
