// Worker: the delivery loop. Takes a leased message, composes it, hands it to the Deliverer,
// records per-recipient results and the attempt (with the remote replies, verbatim), and ends
// the lease: Complete when every recipient has a final answer, Defer when any recipient failed
// transiently (only those are tried again). The lease is ended only after the outcome is
// recorded, so a worker crash at any point leaves the message to be reclaimed, never lost.
//
// Outcome per recipient (smtp::Classify decides): 2xx delivered, 5xx bounced, 4xx / timeout /
// connection failure deferred. Deferred recipients are retried per the RetryPolicy
// (exponential backoff with jitter); once the message is older than its max age, the recipients
// still deferred expire with their last reply kept. A message still waiting after
// delay_warning gets one "delayed" event. Message state: all delivered → DELIVERED; any
// deferred → DEFERRED; otherwise none delivered → FAILED, a mix → PARTIALLY_DELIVERED.
//
//   Worker worker(queue, deliverer, clock, random, logger, {.name = "host-1-0"});
//   while (!stopping) worker.RunOnce();
#ifndef KIRIM_SERVER_DELIVERY_WORKER_H_
#define KIRIM_SERVER_DELIVERY_WORKER_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "server/common/clock.h"
#include "server/compose/compose.h"
#include "server/common/logger.h"
#include "server/common/random.h"
#include "server/delivery/deliverer.h"
#include "server/delivery/retry_policy.h"
#include "server/domains/message_signer.h"
#include "server/metrics/metrics.h"
#include "server/queue/message_queue.h"
#include "server/queue/queue_controls.h"
#include "server/suppression/suppression_store.h"

namespace kirim {

struct WorkerOptions {
  // Consumer name in Redis and in attempt history; unique per worker thread.
  std::string name = "worker";
  // When transiently failed messages are tried again, and when they expire.
  RetryPolicyOptions retry;
  // How often mail for a paused destination is looked at again (RetryNow is immediate).
  absl::Duration paused_recheck = absl::Minutes(5);
  // How long RunOnce waits for work when the queue is empty.
  absl::Duration poll_block = absl::Seconds(1);
  // How often RunOnce makes due scheduled messages (retries, send_at) ready: a round trip and a
  // script run that finds nothing most of the time, so not on every message under load. A
  // scheduled message goes out at most this much after it is due (sooner with more workers);
  // after a full batch the next RunOnce promotes again at once.
  absl::Duration promote_interval = absl::Seconds(1);
  // Where recipient outcomes and delivery latency are counted (may be null).
  Metrics* metrics = nullptr;
  // One-click unsubscribe headers for bulk mail (may be null: none).
  const UnsubscribeHeaders* unsubscribe = nullptr;
};

class Worker {
 public:
  // `suppressions` (may be null) receives hard-bounced recipients (RFC 3463 5.1.x: the address
  // does not exist), so later sends to them are refused up front.
  // `signer` (may be null: messages go out unsigned) adds DKIM signatures as the last step
  // before the bytes go out; when it fails, nothing is sent and the recipients are deferred.
  Worker(MessageQueue& queue, Deliverer& deliverer, const Clock& clock, Random& random,
         Logger& logger, WorkerOptions options, SuppressionStore* suppressions = nullptr,
         QueueControls* controls = nullptr, MessageSigner* signer = nullptr);

  // Makes due scheduled messages ready (at most once per promote_interval), then takes and
  // processes at most one message.
  // Returns how many were processed (0 when none was ready within poll_block); an error when
  // the queue is unreachable (the caller backs off and tries again).
  absl::StatusOr<int> RunOnce();

  // Delivers one leased message and ends its lease. Public for tests.
  absl::Status Process(const Lease& lease);

 private:
  MessageQueue& queue_;
  Deliverer& deliverer_;
  const Clock& clock_;
  Random& random_;
  Logger& logger_;
  void SuppressHardBounce(const std::string& tenant, const v1::RecipientResult& r, absl::Time now);

  const WorkerOptions options_;
  const RetryPolicy retry_;
  SuppressionStore* const suppressions_;
  // Paused destinations (may be null).
  QueueControls* const controls_;
  MessageSigner* const signer_;
  absl::Time next_promote_ = absl::InfinitePast();  // RunOnce's thread only
};

}  // namespace kirim

#endif  // KIRIM_SERVER_DELIVERY_WORKER_H_
