// DestinationPolicy: how hard Kirim may push mail at each destination domain. Defaults apply to
// every domain; a per-domain override replaces them (e.g. a stricter gmail.com).
//
//   DestinationPolicy policy({.max_connections = 10, .messages_per_second = 0});
//   policy.Set("gmail.com", {.max_connections = 4, .messages_per_second = 20});
//   DestinationLimits l = policy.For("Gmail.COM.");      // the gmail.com override
//
// Lookup is exact on the normalized domain (NormalizeDestination: ASCII lower-case, one trailing
// dot dropped): an override for gmail.com does not cover mail.gmail.com or googlemail.com, which
// are other destinations with their own slots and buckets.
//
// The limits are enforced by a DestinationShaper (destination_shaper.h), which refuses limits
// outside the ranges below with kInvalidArgument; check configuration when loading it with
// ValidateDestinationLimits.
#ifndef KIRIM_SERVER_SHAPING_DESTINATION_POLICY_H_
#define KIRIM_SERVER_SHAPING_DESTINATION_POLICY_H_

#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"

namespace kirim {

struct DestinationLimits {
  // Concurrent SMTP sessions to the destination, across ALL worker processes. In [1, 1e6].
  int max_connections = 10;
  // Messages one session carries before the worker ends it (QUIT) and opens another. >= 1.
  int max_messages_per_connection = 100;
  // Messages per second to the destination, across all workers; 0 = unlimited, otherwise in
  // [0.001, 1e6]. A token bucket whose burst is max(1, rate) messages.
  double messages_per_second = 0;
};

inline bool operator==(const DestinationLimits& a, const DestinationLimits& b) {
  return a.max_connections == b.max_connections &&
         a.max_messages_per_connection == b.max_messages_per_connection &&
         a.messages_per_second == b.messages_per_second;
}
inline bool operator!=(const DestinationLimits& a, const DestinationLimits& b) { return !(a == b); }

// kInvalidArgument unless every field is within the range documented above.
absl::Status ValidateDestinationLimits(const DestinationLimits& limits);

// The key a destination domain is shaped under: ASCII lower-case, one trailing dot dropped.
// kInvalidArgument for an empty name, one longer than 255 octets, or one with a space, a control
// character or '{' / '}' (which would break the Redis hash tag the shaper keys it under).
absl::StatusOr<std::string> NormalizeDestination(absl::string_view domain);

// Thread-safe: For() may run while Set() changes an override (a configuration reload).
class DestinationPolicy {
 public:
  explicit DestinationPolicy(DestinationLimits defaults);

  // Overrides the defaults for `domain` (normalized as by NormalizeDestination; a name it refuses
  // can never be looked up, so setting it is a no-op).
  void Set(std::string domain, DestinationLimits limits);

  // The override for `domain`, or the defaults.
  DestinationLimits For(const std::string& domain) const;

 private:
  mutable absl::Mutex mu_;
  const DestinationLimits defaults_;
  absl::flat_hash_map<std::string, DestinationLimits> overrides_ ABSL_GUARDED_BY(mu_);
};

}  // namespace kirim

#endif  // KIRIM_SERVER_SHAPING_DESTINATION_POLICY_H_
