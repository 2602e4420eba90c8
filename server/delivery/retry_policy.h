// RetryPolicy: when to try a transiently failed message again, and when to give up.
//
// Exponential backoff with jitter: the n-th retry waits first_retry * factor^(n-1), capped at
// max_delay, then spread by ±jitter so a destination that comes back is not hit by every
// deferred message at the same instant. A message is retried until max_age after it was
// accepted (RFC 5321 §4.5.4.1: "give up ... at least 4-5 days"; Postfix's
// maximal_queue_lifetime is 5 days); the last attempt is made at that deadline, never after.
// A "delayed" notice is due once the message has waited delay_warning (Postfix's
// delay_warning_time; 4 hours by default here).
//
//   RetryPolicy policy(RetryPolicyOptions{});
//   std::optional<absl::Time> next = policy.NextAttempt(attempts, created, now, random);
//   if (!next) ExpireRemainingRecipients();
#ifndef KIRIM_SERVER_DELIVERY_RETRY_POLICY_H_
#define KIRIM_SERVER_DELIVERY_RETRY_POLICY_H_

#include <optional>

#include "absl/time/time.h"
#include "server/common/random.h"

namespace kirim {

struct RetryPolicyOptions {
  // Wait before the first retry (Postfix minimal_backoff_time is 300 s).
  absl::Duration first_retry = absl::Minutes(5);
  // Growth of the wait per attempt.
  double factor = 2.0;
  // Longest wait between two attempts (Postfix maximal_backoff_time is 4000 s).
  absl::Duration max_delay = absl::Hours(1);
  // Give up this long after acceptance (RFC 5321 §4.5.4.1: no sooner than 4 days).
  absl::Duration max_age = absl::Hours(24 * 5);
  // Relative spread of each wait, 0..1 (0.2 = ±20%).
  double jitter = 0.2;
  // When a message that is still waiting gets a "delayed" event.
  absl::Duration delay_warning = absl::Hours(4);
};

class RetryPolicy {
 public:
  explicit RetryPolicy(RetryPolicyOptions options) : options_(options) {}

  // The time of the next attempt after `failed_attempts` (>= 1) transient failures of a
  // message accepted at `accepted`, or nullopt when the message has expired: the attempt that
  // just failed was made at or after the deadline.
  std::optional<absl::Time> NextAttempt(int failed_attempts, absl::Time accepted, absl::Time now,
                                        Random& random) const;

  // The un-jittered wait before retry number `failed_attempts`.
  absl::Duration BaseDelay(int failed_attempts) const;

  // True when a waiting message should now get its (single) "delayed" event.
  bool DelayWarningDue(absl::Time accepted, absl::Time now, bool already_warned) const {
    return !already_warned && now - accepted >= options_.delay_warning;
  }

  const RetryPolicyOptions& options() const { return options_; }

 private:
  const RetryPolicyOptions options_;
};

}  // namespace kirim

#endif  // KIRIM_SERVER_DELIVERY_RETRY_POLICY_H_
