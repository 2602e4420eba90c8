#include "server/api/mail_api.h"

#include "absl/strings/str_cat.h"
#include "server/common/status_details.h"
#include "server/common/proto_time.h"
#include "server/common/status_macros.h"
#include "server/limits/limit_status.h"
#include "server/queue/message_id.h"

namespace kirim {
MailApi::MailApi(MessageQueue& queue, SendLimiter& limiter, const LimitsTable& limits,
                 const Clock& clock, Random& random, Logger& logger, MailApiOptions options)
    : queue_(queue),
      limiter_(limiter),
      limits_(limits),
      clock_(clock),
      random_(random),
      logger_(logger),
      options_(std::move(options)) {}

absl::StatusOr<v1::SendEmailResponse> MailApi::SendEmail(const Principal& caller,
                                                         const v1::SendEmailRequest& request) {
  const absl::Time now = clock_.Now();
  KIRIM_ASSIGN_OR_RETURN(ValidatedSend valid, ValidateSendEmail(request, options_.limits, now));

  const std::string id = NewMessageId(clock_, random_);
  // The Message-ID's right side is the From domain, so it aligns with what DKIM will sign.
  const std::string id_domain =
      valid.from.domain.empty() || valid.from.domain[0] == '[' ? options_.hostname : valid.from.domain;

  StoredMessage record;
  record.set_tenant(caller.tenant);
  *record.mutable_request() = request;
  record.set_envelope_from(valid.envelope_from);
  for (const std::string& rcpt : valid.envelope_recipients) record.add_envelope_recipients(rcpt);

  v1::Message& m = *record.mutable_message();
  m.set_id(id);
  m.set_name(MessageName(id));
  m.set_state(v1::QUEUED);
  m.set_message_id_header(absl::StrCat("<", id, "@", id_domain, ">"));
  m.set_from(request.from());
  m.set_subject(request.subject());
  m.set_priority(request.priority() == v1::PRIORITY_UNSPECIFIED ? v1::TRANSACTIONAL
                                                                 : request.priority());
  *m.mutable_tags() = request.tags();
  *m.mutable_metadata() = request.metadata();
  *m.mutable_create_time() = ToProtoTime(now);
  *m.mutable_update_time() = ToProtoTime(now);
  if (valid.send_at.has_value()) *m.mutable_send_time() = ToProtoTime(*valid.send_at);
  m.set_size_bytes(valid.estimated_bytes);
  for (const std::string& rcpt : valid.envelope_recipients) {
    auto* r = m.add_recipients();
    r->set_address(rcpt);
    r->set_state(v1::RECIPIENT_PENDING);
    *r->mutable_update_time() = ToProtoTime(now);
  }

  const TenantLimits limits = limits_.For(caller.tenant);
  const int64_t cost = static_cast<int64_t>(valid.envelope_recipients.size());
  absl::StatusOr<LimitDecision> decision = limiter_.Acquire(caller.tenant, limits, cost);
  if (!decision.ok()) {
    if (decision.status().code() == absl::StatusCode::kUnavailable) {
      return WithRetryDelay(absl::UnavailableError("message store unavailable; nothing was stored"),
                            absl::Seconds(1));
    }
    return decision.status();
  }
  if (!decision->allowed) {
    logger_.Info("api", "limited", {{"tenant", caller.tenant}, {"limit", decision->violated}});
    return LimitExceededStatus(caller.tenant, limits, *decision);
  }

  const Lane lane = m.priority() == v1::BULK ? Lane::kBulk : Lane::kTransactional;
  absl::Status stored = queue_.Enqueue(record, lane, valid.send_at);
  if (!stored.ok()) {
    // Not stored: give the charge back so a retry is not billed twice (best effort).
    limiter_.Release(caller.tenant, limits, cost).IgnoreError();
    logger_.Warning("api", "enqueue_failed", {{"tenant", caller.tenant}, {"error", stored.message()}});
    if (stored.code() == absl::StatusCode::kUnavailable) {
      return WithRetryDelay(absl::UnavailableError("message store unavailable; nothing was stored"),
                            absl::Seconds(1));
    }
    return stored;
  }
  logger_.Info("api", "accepted",
               {{"tenant", caller.tenant},
                {"message_id", id},
                {"lane", LaneName(lane)},
                {"recipients", std::to_string(valid.envelope_recipients.size())}});

  v1::SendEmailResponse response;
  response.set_id(id);
  response.set_name(m.name());
  response.set_message_id_header(m.message_id_header());
  return response;
}

absl::StatusOr<v1::Message> MailApi::GetMessage(const Principal& caller,
                                                const v1::GetMessageRequest& request) {
  auto id = ParseMessageName(request.name());
  if (!id.ok()) return InvalidField("name", std::string(id.status().message()));
  KIRIM_ASSIGN_OR_RETURN(std::optional<StoredMessage> record, queue_.Get(caller.tenant, *id));
  if (!record.has_value()) {
    return absl::NotFoundError(absl::StrCat("no message ", MessageName(*id)));
  }
  return std::move(*record->mutable_message());
}

}  // namespace kirim
