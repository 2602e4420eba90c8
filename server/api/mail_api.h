// MailApi: the MailService operations, free of gRPC so they can be tested with fakes of the
// queue, clock and randomness. The gRPC adapter (mail_service.h) only authenticates, calls
// these, and maps the Status.
//
//   MailApi api(queue, limiter, limits, clock, random, logger, options);
//   absl::StatusOr<v1::SendEmailResponse> r = api.SendEmail(principal, request);
//   absl::StatusOr<EventWatch> w = api.StartWatch(principal, watch_request);
//   absl::StatusOr<std::vector<v1::Event>> batch = api.NextEvents(*w, 100, absl::Seconds(1));
#ifndef KIRIM_SERVER_API_MAIL_API_H_
#define KIRIM_SERVER_API_MAIL_API_H_

#include <functional>
#include <string>

#include "absl/status/statusor.h"
#include "kirim/v1/mail_service.pb.h"
#include "server/api/limits_table.h"
#include "server/api/send_validator.h"
#include "server/auth/authenticator.h"
#include "server/common/clock.h"
#include "server/common/logger.h"
#include "server/common/random.h"
#include "server/events/event_filter.h"
#include "server/limits/send_limiter.h"
#include "server/queue/message_queue.h"
#include "server/compose/compose.h"
#include "server/domains/message_signer.h"
#include "server/domains/sender_policy.h"
#include "server/templates/template_store.h"
#include "server/api/api_status.h"
#include "server/metrics/metrics.h"
#include "server/queue/queue_stats.h"
#include "server/suppression/suppression_store.h"

namespace kirim {

struct MailApiOptions {
  SendLimits limits;
  // Domain for Message-ID when the From domain is an address literal.
  std::string hostname = "localhost";
  // How long an idempotency_key keeps answering with its message.
  absl::Duration idempotency_window = absl::Hours(24);
  // RetryInfo delay when the queue is full (RESOURCE_EXHAUSTED).
  absl::Duration queue_full_retry_delay = absl::Seconds(30);
  // Where accepted and refused calls are counted (either may be null): this process's
  // Prometheus metrics, and the tenant's cluster-wide counters (GetMetrics).
  Metrics* metrics = nullptr;
  QueueStats* stats = nullptr;
  // SendBatch: stored templates (may be null: inline templates only) and the batch size cap.
  TemplateStore* templates = nullptr;
  int max_batch_recipients = 10000;
  // PreviewEmail: what the worker would do to the bytes (may be null: unsigned, no unsubscribe
  // headers) and how the route would be chosen (may be empty: no route in the answer).
  MessageSigner* signer = nullptr;
  const UnsubscribeHeaders* unsubscribe = nullptr;
  std::function<absl::StatusOr<v1::Route>(absl::string_view sender_domain,
                                          absl::string_view recipient_domain)>
      route;
};

// One WatchEvents call's position and filter; NextEvents moves it forward.
struct EventWatch {
  std::string tenant;
  // After the last event read (sent or filtered out).
  std::string cursor;
  EventFilter filter;
};

// SHA-256 (hex) of the request's deterministic serialization with idempotency_key cleared:
// what "the same request" means for an idempotency key.
std::string SendRequestHash(const v1::SendEmailRequest& request);

class MailApi {
 public:
  // `suppressions` (may be null): recipients on the tenant's suppression list are refused at
  // accept time, each with its reason; a message whose every recipient is suppressed is
  // FAILED_PRECONDITION and stores nothing. `sender_policy` (may be null): a From domain it
  // refuses is FAILED_PRECONDITION (with PreconditionFailure) and stores and charges nothing.
  MailApi(MessageQueue& queue, SendLimiter& limiter, const LimitsTable& limits,
          const Clock& clock, Random& random, Logger& logger, MailApiOptions options,
          SuppressionStore* suppressions = nullptr, SenderPolicy* sender_policy = nullptr);

  // Validates, charges the tenant's rate and daily quota (one unit per envelope recipient),
  // then stores, queues and logs a QUEUED event in one atomic step; the answer comes only after
  // Redis has the message. INVALID_ARGUMENT (with BadRequest) stores and charges nothing;
  // RESOURCE_EXHAUSTED (QuotaFailure + RetryInfo) when over a limit, or (RetryInfo) when the
  // queue is at limits.max_queue_depth; UNAVAILABLE when Redis cannot be reached (nothing
  // stored, the charge refunded; safe to retry).
  // With an idempotency_key: a key already used within the window answers with the original
  // message (deduplicated: true; nothing queued or charged); used for a different request, it
  // is ALREADY_EXISTS naming idempotency_key. Concurrent identical calls queue exactly one.
  absl::StatusOr<v1::SendEmailResponse> SendEmail(const Principal& caller,
                                                  const v1::SendEmailRequest& request);

  // One template (stored or inline), one message per recipient, each validated, limited,
  // suppressed and queued like a SendEmail of its own: a recipient's refusal is its item's error
  // and never fails the others. Batch-level problems (no recipients, more than
  // max_batch_recipients, a template that does not compile or does not exist, a From domain the
  // send policy refuses) fail the whole call and queue nothing. With an idempotency_key each
  // recipient's key defaults to "<key>/<index>", so a retried call answers with the same ids
  // (deduplicated) and never doubles the batch. Campaigns larger than one call: send pages,
  // each with its own key (kirimctl batch does).
  absl::StatusOr<v1::SendBatchResponse> SendBatch(const Principal& caller,
                                                  const v1::SendBatchRequest& request);

  // What SendEmail would do, without doing it: the exact bytes (composed and DKIM-signed as the
  // worker would), the route, and the refusals (send policy, suppressed recipients). Stores,
  // charges and queues nothing. INVALID_ARGUMENT as SendEmail.
  absl::StatusOr<v1::PreviewEmailResponse> PreviewEmail(const Principal& caller,
                                                        const v1::SendEmailRequest& request);

  // NOT_FOUND for an unknown id and for another tenant's id alike (no existence leak).
  absl::StatusOr<v1::Message> GetMessage(const Principal& caller,
                                         const v1::GetMessageRequest& request);

  // Cancels a message that is waiting (queued, scheduled or deferred): state CANCELLED, every
  // recipient without a final answer RECIPIENT_CANCELLED, a CANCELLED event, out of the queue.
  // FAILED_PRECONDITION when a worker is delivering it or it is already final; NOT_FOUND as
  // GetMessage.
  absl::StatusOr<v1::Message> CancelMessage(const Principal& caller,
                                            const v1::CancelMessageRequest& request);

  // Checks a WatchEvents request (INVALID_ARGUMENT naming the field; OUT_OF_RANGE for a cursor
  // older than retention) and fixes its start: the given cursor, or now.
  absl::StatusOr<EventWatch> StartWatch(const Principal& caller,
                                        const v1::WatchEventsRequest& request);

  // The watch's next matching events (at most `max`, waiting up to `block`), moving its cursor
  // past everything read. Only the watch's tenant's events, ever.
  absl::StatusOr<std::vector<v1::Event>> NextEvents(EventWatch& watch, int max,
                                                    absl::Duration block);

  // Counts a SendEmail the RPC guard refused (no key, wrong scope, too many failures).
  void CountUnadmitted(const absl::Status& status) {
    if (options_.metrics != nullptr) options_.metrics->Rejected(RejectReason(status));
  }

 private:
  // The record SendEmail stores for a validated request (state QUEUED, recipients PENDING).
  StoredMessage NewRecord(const Principal& caller, const v1::SendEmailRequest& request,
                          const ValidatedSend& valid, const std::string& id, absl::Time now) const;
  // SendEmail without the counting.
  absl::StatusOr<v1::SendEmailResponse> Accept(const Principal& caller,
                                               const v1::SendEmailRequest& request);
  MessageQueue& queue_;
  SendLimiter& limiter_;
  const LimitsTable& limits_;
  const Clock& clock_;
  Random& random_;
  Logger& logger_;
  absl::StatusOr<v1::SendEmailResponse> Deduplicated(const Principal& caller,
                                                     const IdempotencyRecord& existing,
                                                     absl::string_view request_hash);
  absl::Status EnqueueFailed(const Principal& caller, const TenantLimits& limits, int64_t cost,
                             absl::Status stored);

  const MailApiOptions options_;
  SuppressionStore* const suppressions_;
  // Whether the From domain may be used (may be null: no check).
  SenderPolicy* const sender_policy_;
};

}  // namespace kirim

#endif  // KIRIM_SERVER_API_MAIL_API_H_
