// Metrics: this process's Prometheus metrics (prometheus-cpp), one registry, a typed method per
// fact so callers never build metric names or label sets themselves. Every label takes values
// from a small closed set (lanes, outcomes, reasons, SMTP phases and reply classes, and at most
// max_destinations destination domains): no per-message, per-recipient or per-tenant labels.
//
//   Metrics metrics({.version = "0.6.0", .role = "all"});
//   metrics.Accepted("transactional");
//   metrics.SmtpReply("rcpt", 550);
//   std::string text = metrics.Serialize();   // what GET /metrics answers
//
// Names and units follow Prometheus conventions (_total counters, _seconds histograms):
//   kirim_build_info{version,role}                      gauge, always 1
//   kirim_messages_accepted_total{lane}                 SendEmail accepted (stored)
//   kirim_messages_rejected_total{reason}               SendEmail refused (nothing stored)
//   kirim_recipients_total{lane,outcome}                delivery outcomes, one per recipient event:
//                                                       delivered|deferred|bounced|expired|suppressed|cancelled
//   kirim_delivery_latency_seconds{lane}                histogram: accept → delivered, per recipient
//   kirim_smtp_replies_total{phase,class}               replies by SMTP phase and class 2xx..5xx,
//                                                       or "error" (timeout, refused, TLS failure)
//   kirim_smtp_phase_duration_seconds{phase}            histogram: one SMTP phase (command → reply)
//   kirim_redis_round_trip_seconds                      histogram: one Redis call (command/pipeline/script)
//   kirim_queue_messages{lane,state}                    gauge: ready|scheduled|in_flight|dead
//   kirim_destination_deferred_recipients{domain}       gauge: recipients waiting for a retry, for
//                                                       the busiest destinations (bounded)
// Thread-safe.
#ifndef KIRIM_SERVER_METRICS_METRICS_H_
#define KIRIM_SERVER_METRICS_METRICS_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "server/metrics/buckets.h"

namespace prometheus {
class Registry;
}

namespace kirim {

struct MetricsOptions {
  std::string version = "dev";
  // "api", "worker" or "all".
  std::string role = "all";
  // At most this many domain label values in kirim_destination_deferred_recipients.
  size_t max_destinations = 20;
};

// A lane's queue, as the gauges show it.
struct QueueFigures {
  int64_t ready = 0;      // waiting in the ready stream, not leased
  int64_t scheduled = 0;  // waiting for a time (send_at or a retry)
  int64_t in_flight = 0;  // leased by a worker
  int64_t dead = 0;       // leased and taken over from dead workers 3+ times (poison suspects)
};

// The closed value sets. Anything else passed in is counted as "other".
inline constexpr absl::string_view kLanes[] = {"transactional", "bulk"};
inline constexpr absl::string_view kOutcomes[] = {"delivered", "deferred", "bounced",
                                                  "expired",   "suppressed", "cancelled"};
inline constexpr absl::string_view kRejectReasons[] = {
    "invalid_argument",    "unauthenticated", "permission_denied", "rate_limited",
    "quota_exceeded",      "queue_full",      "store_out_of_memory", "suppressed",
    "sender_not_verified", "already_exists",  "unavailable",       "other"};
inline constexpr absl::string_view kSmtpPhases[] = {
    "connect", "greeting", "ehlo", "starttls", "auth", "mail", "rcpt", "data", "data_end",
    "rset",    "quit"};

// Histogram bucket bounds: DeliveryLatencyBuckets(), SmtpPhaseBuckets(), RedisBuckets() in
// server/metrics/buckets.h (library //server/metrics:buckets, already implemented).

class Metrics {
 public:
  explicit Metrics(MetricsOptions options = {});
  ~Metrics();
  Metrics(const Metrics&) = delete;
  Metrics& operator=(const Metrics&) = delete;

  // lane: "transactional" | "bulk".
  void Accepted(absl::string_view lane);
  void Rejected(absl::string_view reason);
  void Recipient(absl::string_view lane, absl::string_view outcome);
  void AcceptToDelivered(absl::string_view lane, absl::Duration latency);
  // code 0 = no reply (a local error); phase one of kSmtpPhases.
  void SmtpReply(absl::string_view phase, int code);
  void SmtpPhase(absl::string_view phase, absl::Duration duration);
  void RedisRoundTrip(absl::Duration duration);
  void SetQueue(absl::string_view lane, const QueueFigures& figures);
  // Replaces the destination gauges: the first max_destinations of `deferred` (callers sort
  // busiest first); domains not in it any more disappear from the exposition.
  void SetDestinations(const std::vector<std::pair<std::string, int64_t>>& deferred);

  // Called at the start of every Serialize (e.g. to refresh the queue gauges from Redis).
  void OnCollect(std::function<void()> refresh);

  // The Prometheus text exposition format (version 0.0.4), as GET /metrics serves it.
  std::string Serialize();

  prometheus::Registry& registry();

 private:
  struct Families;
  const MetricsOptions options_;
  std::shared_ptr<prometheus::Registry> registry_;
  std::unique_ptr<Families> families_;
};

}  // namespace kirim

#endif  // KIRIM_SERVER_METRICS_METRICS_H_
