// Queue statistics: the cluster-wide figures behind AdminService.GetMetrics, kept in Redis next
// to the messages so every replica sees the same numbers (a process's Prometheus counters only
// see what that process did).
//
//  - Each tenant's counters: one per event type (queued = accepted, delivered, deferred,
//    bounced, expired, suppressed, cancelled, failed, ...), "rejected" (refused SendEmail
//    calls), and the accept→delivered and SMTP-attempt latencies as histogram bucket counts
//    (the Metrics buckets, server/metrics/metrics.h).
//  - Per lane: ready, scheduled, in flight, dead (poison suspects) messages.
//  - Per destination domain: recipients waiting for a retry (deferred): where mail is stuck.
//
// The counters are updated inside the same Lua script that changes the message (see
// RedisMessageQueue), from StatisticsFor below, so they never disagree with what was stored.
//
//   KIRIM_ASSIGN_OR_RETURN(TenantCounters c, stats.Counters("acme"));   // or Counters(nullopt)
#ifndef KIRIM_SERVER_QUEUE_QUEUE_STATS_H_
#define KIRIM_SERVER_QUEUE_QUEUE_STATS_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "kirim/storage/v1/storage.pb.h"
#include "server/queue/message_queue.h"

namespace kirim {

struct TenantCounters {
  // By event type, lower case ("queued", "delivered", ...), and "rejected".
  std::map<std::string, int64_t> events;
  // Bucket counts, indexed like DeliveryLatencyBuckets() / SmtpPhaseBuckets() (+1 for +Inf).
  std::vector<int64_t> accept_to_delivered;
  std::vector<int64_t> smtp_attempt;

  int64_t Count(absl::string_view type) const {
    auto it = events.find(std::string(type));
    return it == events.end() ? 0 : it->second;
  }
};

struct LaneDepth {
  int64_t ready = 0;
  int64_t scheduled = 0;
  int64_t in_flight = 0;
  int64_t dead = 0;
};

class QueueStats {
 public:
  virtual ~QueueStats() = default;
  // One tenant's counters, or every tenant's summed (nullopt).
  virtual absl::StatusOr<TenantCounters> Counters(std::optional<std::string> tenant) = 0;
  // Every tenant's messages together (the queue is shared).
  virtual absl::StatusOr<std::map<Lane, LaneDepth>> Depth() = 0;
  // The `top` destinations with the most deferred recipients, most first.
  virtual absl::StatusOr<std::vector<std::pair<std::string, int64_t>>> Destinations(
      size_t top) = 0;
  // Counts a refused SendEmail for the tenant (nothing else is stored for it).
  virtual absl::Status CountRejected(absl::string_view tenant) = 0;
};

// The statistics one change of a message contributes, as "<field> <delta>" strings for the
// queue's scripts: "n:<event type> 1" per event, "n:lat:<bucket> 1" per DELIVERED event
// (accept → that event), "n:smtp:<bucket> 1" per new attempt (its duration), and
// "d:<domain> ±1" per recipient entering or leaving the deferred state. `before` is the record
// as it was stored (null for a new message).
std::vector<std::string> StatisticsFor(const storage::v1::StoredMessage* before,
                                       const storage::v1::StoredMessage& after,
                                       const std::vector<v1::Event>& events);

}  // namespace kirim

#endif  // KIRIM_SERVER_QUEUE_QUEUE_STATS_H_
