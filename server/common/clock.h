// Clock: the only way Kirim code learns the time, so tests can move simulated time instead of
// sleeping (the Envoy TimeSource pattern).
//
//   void Retry(const Clock& clock) { absl::Time due = clock.Now() + absl::Minutes(1); ... }
//
// Production wires RealClock; tests use kirim::testing::FakeClock (tests/common/fake_clock.h).
#ifndef KIRIM_SERVER_COMMON_CLOCK_H_
#define KIRIM_SERVER_COMMON_CLOCK_H_

#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace kirim {

class Clock {
 public:
  virtual ~Clock() = default;
  // Wall-clock time (for Date headers, timestamps and schedules).
  virtual absl::Time Now() const = 0;
};

class RealClock final : public Clock {
 public:
  absl::Time Now() const override { return absl::Now(); }
};

}  // namespace kirim

#endif  // KIRIM_SERVER_COMMON_CLOCK_H_
