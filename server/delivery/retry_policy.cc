#include "server/delivery/retry_policy.h"

#include <algorithm>
#include <cmath>

namespace kirim {

absl::Duration RetryPolicy::BaseDelay(int failed_attempts) const {
  const int n = std::max(1, failed_attempts);
  // Compute in seconds as a double: factor^n overflows Duration arithmetic long before the cap.
  const double seconds = absl::ToDoubleSeconds(options_.first_retry) *
                         std::pow(std::max(1.0, options_.factor), n - 1);
  const double cap = absl::ToDoubleSeconds(options_.max_delay);
  return absl::Seconds(std::min(seconds, cap));
}

std::optional<absl::Time> RetryPolicy::NextAttempt(int failed_attempts, absl::Time accepted,
                                                   absl::Time now, Random& random) const {
  const absl::Time deadline = accepted + options_.max_age;
  if (now >= deadline) return std::nullopt;
  const double jitter = std::clamp(options_.jitter, 0.0, 1.0);
  // Uniform in [1 - jitter, 1 + jitter], from 53 random bits.
  const double unit = static_cast<double>(random.Uint64() >> 11) / static_cast<double>(1ULL << 53);
  const double spread = 1.0 - jitter + 2.0 * jitter * unit;
  const absl::Duration wait = BaseDelay(failed_attempts) * spread;
  return std::min(now + wait, deadline);
}

}  // namespace kirim
