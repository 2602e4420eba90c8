// DestinationShaper: per-destination traffic shaping for outbound SMTP, shared by every worker
// process, so Kirim never opens more sessions or sends faster to a domain than its
// DestinationPolicy allows, and backs off when the domain says "slow down".
//
//   KIRIM_ASSIGN_OR_RETURN(ShapingDecision d, shaper.AcquireConnection(domain));
//   if (!d.allowed) return Defer(message, d.retry_after);   // never wait: other domains go on
//   Permit permit = *d.permit;
//   const int per_session = policy.For(domain).max_messages_per_connection;
//   for (int sent = 1;; ++sent) {
//     smtp::Reply reply = ... deliver one message ...;
//     if (IsThrottleReply(reply)) shaper.ReportThrottle(domain, reply.ToString()).IgnoreError();
//     if (reply.code == 421 || sent == per_session || !more) break;
//     absl::StatusOr<ShapingDecision> next = shaper.AcquireMessage(domain);
//     if (!next.ok() || !next->allowed) break;             // the rest stays queued
//     if (clock.Now() >= permit.renew_after && !shaper.Renew(permit).ok()) break;
//   }
//   shaper.Release(permit).IgnoreError();
//
// The state of a destination (normalized by NormalizeDestination) has three parts:
// - connection slots: each open session holds one, with a lease (ShaperOptions::slot_lease). A
//   slot whose lease has run out is free again, so a crashed worker's slots come back by
//   themselves; a long session calls Renew before its lease ends.
// - a message token bucket (rate messages_per_second, burst max(1, rate)): a connection takes
//   one token for its first message, every further message on it one more.
// - a throttle factor: ReportThrottle halves the destination's effective limits (rate and
//   max_connections, never below 1 connection) for a cool-down; a report more than
//   `throttle_hold_down` after the last halving halves them again. After the cool-down the
//   limits grow back by `recovery_step` of the configured limits at once and after every
//   further cool-down period (additive increase, multiplicative decrease).
//
// Errors: kInvalidArgument for a malformed destination or permit, limits outside the ranges on
// DestinationLimits, or bad ShaperOptions (a bug or bad configuration); kUnavailable when the
// shared state cannot be reached (defer the message and retry later: sending unshaped could
// get Kirim's IPs blocked).
#ifndef KIRIM_SERVER_SHAPING_DESTINATION_SHAPER_H_
#define KIRIM_SERVER_SHAPING_DESTINATION_SHAPER_H_

#include <optional>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "server/shaping/destination_policy.h"

namespace kirim {

// A held connection slot.
struct Permit {
  std::string destination;  // normalized domain
  std::string token;        // names the slot; unique per destination
  absl::Time expires;       // end of the lease: from then on the slot is free for others
  // Halfway through the lease: a Renew before then is a round trip that changes little. Set by
  // the shaper with every grant and renewal (SetLease); unset, it says "renew now".
  absl::Time renew_after = absl::InfinitePast();
};

// Records a lease granted or renewed at `now` until `expires` in `permit`.
inline void SetLease(Permit& permit, absl::Time now, absl::Time expires) {
  permit.expires = expires;
  permit.renew_after = now + (expires - now) / 2;
}

struct ShapingDecision {
  bool allowed = false;
  // AcquireConnection, when allowed: the slot now held; Release it when the session ends.
  std::optional<Permit> permit;
  // When refused: how long the caller should leave the message deferred. Exact for the rate
  // (until the bucket has a token, if nobody else takes it); for connections the shorter of
  // ShaperOptions::busy_retry and the end of the earliest lease (a release may come sooner).
  // When both refuse, the longer of the two.
  absl::Duration retry_after = absl::ZeroDuration();
  // When refused: "connections" (all slots taken), "rate" (no token), or "throttled" (either,
  // while the destination's limits are reduced by ReportThrottle).
  std::string reason;
};

struct ShaperOptions {
  // Prefix of every Redis key (RedisDestinationShaper only); must not contain '{' or '}'.
  std::string key_prefix = "kirim";
  // A slot neither renewed nor released within this is taken back (a crashed worker's session).
  absl::Duration slot_lease = absl::Minutes(10);
  // How long a throttle report holds the halved limits; also the period of each recovery step.
  absl::Duration cooldown = absl::Minutes(5);
  // Reports within this of the last halving are one episode: they restart the cool-down but do
  // not halve again (all sessions open at the time of a 421 tend to see it). In [0, cooldown].
  absl::Duration throttle_hold_down = absl::Seconds(30);
  // Share of the configured limits regained after the cool-down and after each further
  // cool-down period. In [0.001, 1].
  double recovery_step = 0.1;
  // retry_after for a refusal because every slot is taken, unless a lease ends sooner.
  absl::Duration busy_retry = absl::Seconds(10);
};

class DestinationShaper {
 public:
  virtual ~DestinationShaper() = default;

  // Before opening a session to `destination`: atomically takes a connection slot AND one
  // message token, or neither. Not allowed → the caller leaves the message deferred for
  // retry_after; it must not block other destinations.
  virtual absl::StatusOr<ShapingDecision> AcquireConnection(const std::string& destination) = 0;

  // Before each further message on an open session: one message token. Never carries a permit.
  virtual absl::StatusOr<ShapingDecision> AcquireMessage(const std::string& destination) = 0;

  // Extends the lease of a held slot to now + slot_lease and updates permit.expires.
  // kFailedPrecondition when the slot is gone (its lease ran out, or it was released): it may
  // already belong to another session, so finish the current message, end this session and
  // acquire again.
  virtual absl::Status Renew(Permit& permit) = 0;

  // Frees the slot. Idempotent: releasing a slot that is already gone is OK and frees nothing.
  virtual absl::Status Release(const Permit& permit) = 0;

  // The destination answered 421 or a 4.7.x "slow down" (see IsThrottleReply): reduces its
  // effective limits as described in the banner. `reply` (the remote text, kept verbatim up to
  // 512 octets) is stored with the throttle state for operators.
  virtual absl::Status ReportThrottle(const std::string& destination, absl::string_view reply) = 0;

  // The destination's effective limits now (throttle applied) and the slots in use, for metrics
  // and the admin API. Changes nothing.
  virtual absl::StatusOr<std::pair<DestinationLimits, int>> State(
      const std::string& destination) = 0;
};

}  // namespace kirim

#endif  // KIRIM_SERVER_SHAPING_DESTINATION_SHAPER_H_
