#include "server/api/mail_api.h"

#include <openssl/sha.h>

#include <algorithm>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "server/address/address.h"
#include "server/templates/template_engine.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/io/zero_copy_stream_impl_lite.h"
#include "server/common/proto_time.h"
#include "server/common/status_details.h"
#include "server/common/status_macros.h"
#include "server/limits/limit_status.h"
#include "server/queue/message_id.h"

namespace kirim {
namespace {

bool IsFinal(v1::MessageState s) {
  return s == v1::DELIVERED || s == v1::FAILED || s == v1::PARTIALLY_DELIVERED ||
         s == v1::CANCELLED;
}

bool IsFinal(v1::RecipientState s) {
  return s != v1::RECIPIENT_PENDING && s != v1::RECIPIENT_DEFERRED &&
         s != v1::RECIPIENT_STATE_UNSPECIFIED;
}

// An event about the whole message (no recipient), carrying its tags and metadata.
v1::Event MessageEvent(v1::Event::Type type, const v1::Message& m, absl::Time now) {
  v1::Event e;
  e.set_type(type);
  e.set_message(m.name());
  *e.mutable_time() = ToProtoTime(now);
  *e.mutable_tags() = m.tags();
  *e.mutable_metadata() = m.metadata();
  return e;
}

absl::Status StoreUnavailable() {
  return WithRetryDelay(absl::UnavailableError("message store unavailable; nothing was stored"),
                        absl::Seconds(1));
}

// Redis is reachable but full (maxmemory, noeviction): not UNAVAILABLE, and not the queue
// depth limit either, though both are RESOURCE_EXHAUSTED and retried later.
absl::Status StoreOutOfMemory(absl::Duration retry_delay) {
  return WithErrorReason(
      WithRetryDelay(absl::ResourceExhaustedError(
                         "message store out of memory (Redis reached maxmemory); nothing was "
                         "stored, retry later"),
                     retry_delay),
      kStoreOutOfMemory);
}

}  // namespace

std::string SendRequestHash(const v1::SendEmailRequest& request) {
  v1::SendEmailRequest copy = request;
  copy.clear_idempotency_key();
  std::string bytes;
  {
    google::protobuf::io::StringOutputStream out(&bytes);
    google::protobuf::io::CodedOutputStream coded(&out);
    // Deterministic: map fields (headers, metadata) in key order, so equal requests hash alike.
    coded.SetSerializationDeterministic(true);
    copy.SerializeToCodedStream(&coded);
  }
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size(), digest);
  return absl::BytesToHexString(
      absl::string_view(reinterpret_cast<const char*>(digest), sizeof digest));
}

MailApi::MailApi(MessageQueue& queue, SendLimiter& limiter, const LimitsTable& limits,
                 const Clock& clock, Random& random, Logger& logger, MailApiOptions options,
                 SuppressionStore* suppressions, SenderPolicy* sender_policy)
    : queue_(queue),
      limiter_(limiter),
      limits_(limits),
      clock_(clock),
      random_(random),
      logger_(logger),
      options_(std::move(options)),
      suppressions_(suppressions),
      sender_policy_(sender_policy) {}

absl::StatusOr<v1::SendEmailResponse> MailApi::Deduplicated(const Principal& caller,
                                                            const IdempotencyRecord& existing,
                                                            absl::string_view request_hash) {
  if (existing.request_hash != request_hash) {
    absl::Status conflict = absl::AlreadyExistsError(
        absl::StrCat("idempotency_key: already used for a different request (",
                     MessageName(existing.id), "); use a new key for a new message"));
    google::rpc::BadRequest bad;
    auto* v = bad.add_field_violations();
    v->set_field("idempotency_key");
    v->set_description("already used for a different request");
    SetStatusDetail(&conflict, bad);
    return conflict;
  }
  v1::SendEmailResponse response;
  response.set_id(existing.id);
  response.set_name(MessageName(existing.id));
  response.set_deduplicated(true);
  // The header is in the record; it outlives the key unless retention is shorter than the window.
  absl::StatusOr<std::optional<StoredMessage>> record = queue_.Get(caller.tenant, existing.id);
  if (record.ok() && record->has_value()) {
    response.set_message_id_header((*record)->message().message_id_header());
  }
  logger_.Info("api", "deduplicated", {{"tenant", caller.tenant}, {"message_id", existing.id}});
  return response;
}

absl::Status MailApi::EnqueueFailed(const Principal& caller, const TenantLimits& limits,
                                    int64_t cost, absl::Status stored) {
  // Not stored: give the charge back so a retry is not billed twice (best effort).
  limiter_.Release(caller.tenant, limits, cost).IgnoreError();
  logger_.Warning("api", "enqueue_failed",
                  {{"tenant", caller.tenant}, {"error", stored.message()}});
  switch (stored.code()) {
    case absl::StatusCode::kUnavailable:
      return StoreUnavailable();
    case absl::StatusCode::kResourceExhausted:
      if (ErrorReason(stored) == kStoreOutOfMemory) {
        return StoreOutOfMemory(options_.queue_full_retry_delay);
      }
      // The queue is at its depth limit: shed load, store nothing.
      return WithRetryDelay(
          absl::ResourceExhaustedError(absl::StrCat(
              "the queue is full; nothing was stored, retry later (", stored.message(), ")")),
          options_.queue_full_retry_delay);
    default:
      return stored;
  }
}

StoredMessage MailApi::NewRecord(const Principal& caller, const v1::SendEmailRequest& request,
                                 const ValidatedSend& valid, const std::string& id,
                                 absl::Time now) const {
  // The Message-ID's right side is the From domain, so it aligns with what DKIM will sign.
  const std::string id_domain = valid.from.domain.empty() || valid.from.domain[0] == '['
                                    ? options_.hostname
                                    : valid.from.domain;

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

  return record;
}

absl::StatusOr<v1::SendEmailResponse> MailApi::SendEmail(const Principal& caller,
                                                         const v1::SendEmailRequest& request) {
  absl::StatusOr<v1::SendEmailResponse> response = Accept(caller, request);
  if (!response.ok()) {
    if (options_.metrics != nullptr) options_.metrics->Rejected(RejectReason(response.status()));
    // Best effort: a refusal that could not be counted is still a refusal.
    if (options_.stats != nullptr) options_.stats->CountRejected(caller.tenant).IgnoreError();
  }
  return response;
}

absl::StatusOr<v1::SendEmailResponse> MailApi::Accept(const Principal& caller,
                                                      const v1::SendEmailRequest& request) {
  const absl::Time now = clock_.Now();
  KIRIM_ASSIGN_OR_RETURN(ValidatedSend valid, ValidateSendEmail(request, options_.limits, now));

  // A retry of an accepted request answers before any charge: it must not hit a limit.
  const std::string& key = request.idempotency_key();
  std::string request_hash;
  if (!key.empty()) {
    request_hash = SendRequestHash(request);
    absl::StatusOr<std::optional<IdempotencyRecord>> claimed =
        queue_.FindIdempotencyKey(caller.tenant, key);
    if (!claimed.ok()) {
      return claimed.status().code() == absl::StatusCode::kUnavailable ? StoreUnavailable()
                                                                       : claimed.status();
    }
    if (claimed->has_value()) return Deduplicated(caller, **claimed, request_hash);
  }

  // An unauthenticated From domain is refused before anything is charged or stored.
  if (sender_policy_ != nullptr) {
    absl::Status allowed = sender_policy_->Check(caller.tenant, valid.from.domain);
    if (absl::IsUnavailable(allowed)) return StoreUnavailable();
    KIRIM_RETURN_IF_ERROR(allowed);
  }

  // With a key, the id carries the key's shard selector: the claim and the message share a slot.
  const std::string id =
      key.empty() ? NewMessageId(clock_, random_)
                  : NewMessageId(clock_, random_, ShardSelectorForKey(caller.tenant, key));
  StoredMessage record = NewRecord(caller, request, valid, id, now);
  v1::Message& m = *record.mutable_message();

  // The suppression list decides per recipient, before anything is charged or stored.
  std::vector<v1::Event> suppressed_events;
  int64_t cost = static_cast<int64_t>(valid.envelope_recipients.size());
  if (suppressions_ != nullptr) {
    absl::StatusOr<std::vector<std::optional<SuppressionEntry>>> hits =
        suppressions_->Lookup(caller.tenant, valid.envelope_recipients);
    if (!hits.ok()) {
      // Unknown is not "not suppressed": never send to an address that may be on the list.
      return hits.status().code() == absl::StatusCode::kUnavailable ? StoreUnavailable()
                                                                     : hits.status();
    }
    google::rpc::PreconditionFailure refused;
    for (size_t i = 0; i < hits->size(); ++i) {
      if (!(*hits)[i].has_value()) continue;
      const SuppressionEntry& entry = *(*hits)[i];
      const std::string why = absl::StrCat("suppressed (", v1::Suppression::Reason_Name(entry.reason),
                                           entry.detail.empty() ? "" : ": ", entry.detail, ")");
      v1::RecipientResult* r = m.mutable_recipients(static_cast<int>(i));
      r->set_state(v1::RECIPIENT_SUPPRESSED);
      r->mutable_reply()->set_text(why);
      auto* v = refused.add_violations();
      v->set_type("SUPPRESSED");
      v->set_subject(r->address());
      v->set_description(why);
      v1::Event e = MessageEvent(v1::Event::SUPPRESSED, m, now);
      e.set_recipient(r->address());
      *e.mutable_reply() = r->reply();
      suppressed_events.push_back(std::move(e));
      --cost;
    }
    if (cost == 0) {
      absl::Status all = absl::FailedPreconditionError(
          "every recipient is on the suppression list; nothing was stored");
      SetStatusDetail(&all, refused);
      return all;
    }
  }

  const TenantLimits limits = limits_.For(caller.tenant);
  absl::StatusOr<LimitDecision> decision = limiter_.Acquire(caller.tenant, limits, cost);
  if (!decision.ok()) {
    if (decision.status().code() == absl::StatusCode::kUnavailable) return StoreUnavailable();
    // The limiter's own write was refused: nothing was charged or stored.
    if (ErrorReason(decision.status()) == kStoreOutOfMemory) {
      return StoreOutOfMemory(options_.queue_full_retry_delay);
    }
    return decision.status();
  }
  if (!decision->allowed) {
    logger_.Info("api", "limited", {{"tenant", caller.tenant}, {"limit", decision->violated}});
    return LimitExceededStatus(caller.tenant, limits, *decision);
  }

  const Lane lane = m.priority() == v1::BULK ? Lane::kBulk : Lane::kTransactional;
  std::vector<v1::Event> events = {MessageEvent(v1::Event::QUEUED, m, now)};
  for (v1::Event& e : suppressed_events) events.push_back(std::move(e));
  if (key.empty()) {
    absl::Status stored = queue_.Enqueue(record, lane, valid.send_at, events);
    if (!stored.ok()) return EnqueueFailed(caller, limits, cost, stored);
  } else {
    absl::StatusOr<EnqueueOutcome> outcome = queue_.EnqueueIdempotent(
        record, lane, valid.send_at, IdempotencyKey{key, request_hash, options_.idempotency_window},
        events);
    if (!outcome.ok()) return EnqueueFailed(caller, limits, cost, outcome.status());
    if (outcome->deduplicated) {
      // A concurrent call with the same key won the race: this one stored nothing.
      limiter_.Release(caller.tenant, limits, cost).IgnoreError();
      return Deduplicated(caller, outcome->existing, request_hash);
    }
  }
  logger_.Info("api", "accepted",
               {{"tenant", caller.tenant},
                {"message_id", id},
                {"lane", LaneName(lane)},
                {"recipients", std::to_string(valid.envelope_recipients.size())},
                {"suppressed", std::to_string(suppressed_events.size())}});
  if (options_.metrics != nullptr) {
    options_.metrics->Accepted(LaneName(lane));
    for (size_t i = 0; i < suppressed_events.size(); ++i) {
      options_.metrics->Recipient(LaneName(lane), "suppressed");
    }
  }

  v1::SendEmailResponse response;
  response.set_id(id);
  response.set_name(m.name());
  response.set_message_id_header(m.message_id_header());
  return response;
}

absl::StatusOr<v1::SendBatchResponse> MailApi::SendBatch(const Principal& caller,
                                                         const v1::SendBatchRequest& request) {
  FieldViolations bad;
  if (request.recipients().empty()) bad.Add("recipients", "at least one recipient is required");
  if (request.recipients_size() > options_.max_batch_recipients) {
    bad.Add("recipients", absl::StrCat("at most ", options_.max_batch_recipients,
                                       " per call; send larger campaigns in pages, each with its "
                                       "own idempotency_key"));
  }
  if (request.from().empty()) {
    bad.Add("from", "required");
  } else if (absl::Status s = ParseMailbox(request.from()).status(); !s.ok()) {
    bad.Add("from", std::string(s.message()));
  }
  // Each recipient's key is "<key>/<index>": the suffix must fit in SendEmail's limit too.
  const size_t suffix = absl::StrCat("/", std::max(0, request.recipients_size() - 1)).size();
  if (request.idempotency_key().size() + suffix > kMaxIdempotencyKeyBytes) {
    bad.Add("idempotency_key",
            absl::StrCat("at most ", kMaxIdempotencyKeyBytes - suffix,
                         " bytes for this batch (each recipient's key appends \"/<index>\")"));
  }
  if (request.template_source_case() == v1::SendBatchRequest::TEMPLATE_SOURCE_NOT_SET) {
    bad.Add("template_name", "a stored template name or an inline_template is required");
  }
  if (!bad.empty()) return bad.ToStatus();

  // The template: stored or inline, compiled once for every recipient.
  v1::Template source;
  if (request.has_inline_template()) {
    source = request.inline_template();
  } else {
    absl::StatusOr<std::string> id = ParseTemplateName(request.template_name());
    if (!id.ok()) return InvalidField("template_name", std::string(id.status().message()));
    if (options_.templates == nullptr) {
      return InvalidField("template_name", "stored templates are not enabled; send inline_template");
    }
    absl::StatusOr<v1::Template> stored = options_.templates->Get(caller.tenant, *id);
    if (absl::IsNotFound(stored.status())) {
      return InvalidField("template_name", absl::StrCat("no template ", request.template_name()));
    }
    if (absl::IsUnavailable(stored.status())) return StoreUnavailable();
    KIRIM_RETURN_IF_ERROR(stored.status());
    source = *std::move(stored);
  }
  absl::StatusOr<CompiledTemplate> compiled = CompiledTemplate::Compile(source);
  if (!compiled.ok()) {
    return InvalidField(request.has_inline_template() ? "inline_template" : "template_name",
                        std::string(compiled.status().message()));
  }

  // One send policy verdict for the whole batch (the From is shared).
  if (sender_policy_ != nullptr) {
    const absl::StatusOr<Mailbox> from = ParseMailbox(request.from());
    absl::Status allowed = sender_policy_->Check(caller.tenant, from->domain);
    if (absl::IsUnavailable(allowed)) return StoreUnavailable();
    KIRIM_RETURN_IF_ERROR(allowed);
  }

  v1::SendBatchResponse response;
  for (int i = 0; i < request.recipients_size(); ++i) {
    const v1::BatchRecipient& rcpt = request.recipients(i);
    v1::SendBatchResponse::Item* item = response.add_items();
    item->set_index(i);
    auto refuse = [&](const absl::Status& status) {
      item->set_error_code(static_cast<int>(status.code()));
      item->set_error_message(absl::StrCat("recipients[", i, "]: ", status.message()));
      response.set_rejected_count(response.rejected_count() + 1);
    };
    absl::StatusOr<RenderedParts> parts = compiled->Render(rcpt.variables());
    if (!parts.ok()) {
      const std::string variable = MissingVariable(parts.status());
      refuse(absl::InvalidArgumentError(
          variable.empty() ? std::string(parts.status().message())
                           : absl::StrCat("variables.", variable, ": ", parts.status().message())));
      continue;
    }
    v1::SendEmailRequest one;
    one.set_from(request.from());
    *one.mutable_reply_to() = request.reply_to();
    one.add_to(rcpt.to());
    one.set_subject(std::move(parts->subject));
    one.set_text_body(std::move(parts->text_body));
    one.set_html_body(std::move(parts->html_body));
    *one.mutable_attachments() = request.attachments();
    *one.mutable_headers() = request.headers();
    *one.mutable_tags() = request.tags();
    *one.mutable_metadata() = rcpt.metadata();
    if (!rcpt.idempotency_key().empty()) {
      one.set_idempotency_key(rcpt.idempotency_key());
    } else if (!request.idempotency_key().empty()) {
      one.set_idempotency_key(absl::StrCat(request.idempotency_key(), "/", i));
    }
    if (request.has_send_at()) *one.mutable_send_at() = request.send_at();
    one.set_priority(request.priority() == v1::PRIORITY_UNSPECIFIED ? v1::BULK
                                                                     : request.priority());
    absl::StatusOr<v1::SendEmailResponse> sent = SendEmail(caller, one);
    if (!sent.ok()) {
      refuse(sent.status());
      continue;
    }
    item->set_id(sent->id());
    response.set_accepted_count(response.accepted_count() + 1);
  }
  logger_.Info("api", "batch",
               {{"tenant", caller.tenant},
                {"recipients", std::to_string(request.recipients_size())},
                {"accepted", std::to_string(response.accepted_count())},
                {"rejected", std::to_string(response.rejected_count())}});
  return response;
}

absl::StatusOr<v1::PreviewEmailResponse> MailApi::PreviewEmail(
    const Principal& caller, const v1::SendEmailRequest& request) {
  const absl::Time now = clock_.Now();
  KIRIM_ASSIGN_OR_RETURN(ValidatedSend valid, ValidateSendEmail(request, options_.limits, now));
  v1::PreviewEmailResponse response;
  if (sender_policy_ != nullptr) {
    absl::Status allowed = sender_policy_->Check(caller.tenant, valid.from.domain);
    if (absl::IsUnavailable(allowed)) return StoreUnavailable();
    if (!allowed.ok()) {
      auto* r = response.add_refusals();
      r->set_recipient(request.from());
      r->set_reason(std::string(allowed.message()));
    }
  }
  const StoredMessage record = NewRecord(caller, request, valid, NewMessageId(clock_, random_), now);
  if (suppressions_ != nullptr) {
    absl::StatusOr<std::vector<std::optional<SuppressionEntry>>> hits =
        suppressions_->Lookup(caller.tenant, valid.envelope_recipients);
    if (!hits.ok()) return StoreUnavailable();
    for (size_t i = 0; i < hits->size(); ++i) {
      if (!(*hits)[i].has_value()) continue;
      const SuppressionEntry& entry = *(*hits)[i];
      auto* r = response.add_refusals();
      r->set_recipient(valid.envelope_recipients[i]);
      r->set_reason(absl::StrCat("suppressed (", v1::Suppression::Reason_Name(entry.reason),
                                 entry.detail.empty() ? "" : ": ", entry.detail, ")"));
    }
  }
  KIRIM_ASSIGN_OR_RETURN(std::string content,
                         ComposeMessage(record, random_, options_.unsubscribe, now));
  if (options_.signer != nullptr) {
    KIRIM_ASSIGN_OR_RETURN(content,
                           options_.signer->Sign(caller.tenant, valid.from.domain, std::move(content)));
  }
  response.set_mime(std::move(content));
  if (options_.route && !valid.envelope_recipients.empty()) {
    const std::string& first = valid.envelope_recipients[0];
    absl::StatusOr<v1::Route> route =
        options_.route(valid.from.domain, first.substr(first.rfind('@') + 1));
    if (route.ok()) {
      *response.mutable_route() = *std::move(route);
    } else if (absl::IsUnavailable(route.status())) {
      return WithRetryDelay(absl::UnavailableError(absl::StrCat(
                                "the route cannot be worked out now: ", route.status().message())),
                            absl::Seconds(1));
    } else {
      return route.status();
    }
  }
  logger_.Info("api", "previewed", {{"tenant", caller.tenant}});
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

absl::StatusOr<v1::Message> MailApi::CancelMessage(const Principal& caller,
                                                   const v1::CancelMessageRequest& request) {
  auto id = ParseMessageName(request.name());
  if (!id.ok()) return InvalidField("name", std::string(id.status().message()));
  const absl::Time now = clock_.Now();
  absl::StatusOr<StoredMessage> cancelled = queue_.Cancel(
      caller.tenant, *id, [&](StoredMessage& record) -> absl::StatusOr<std::vector<v1::Event>> {
        v1::Message& m = *record.mutable_message();
        if (IsFinal(m.state())) {
          return absl::FailedPreconditionError(
              absl::StrCat("the message is already ", v1::MessageState_Name(m.state()),
                           "; only queued, scheduled or deferred messages can be cancelled"));
        }
        if (m.state() == v1::SENDING) {
          return absl::FailedPreconditionError(
              "the message is being delivered and can no longer be cancelled");
        }
        m.set_state(v1::CANCELLED);
        *m.mutable_update_time() = ToProtoTime(now);
        m.clear_next_attempt_time();
        for (auto& r : *m.mutable_recipients()) {
          if (IsFinal(r.state())) continue;
          r.set_state(v1::RECIPIENT_CANCELLED);
          *r.mutable_update_time() = ToProtoTime(now);
        }
        return std::vector<v1::Event>{MessageEvent(v1::Event::CANCELLED, m, now)};
      });
  if (!cancelled.ok()) {
    if (cancelled.status().code() == absl::StatusCode::kUnavailable) {
      return WithRetryDelay(absl::UnavailableError("message store unavailable; nothing changed"),
                            absl::Seconds(1));
    }
    return cancelled.status();
  }
  logger_.Info("api", "cancelled", {{"tenant", caller.tenant}, {"message_id", *id}});
  return std::move(*cancelled->mutable_message());
}

absl::StatusOr<EventWatch> MailApi::StartWatch(const Principal& caller,
                                               const v1::WatchEventsRequest& request) {
  EventWatch watch;
  watch.tenant = caller.tenant;
  KIRIM_ASSIGN_OR_RETURN(watch.filter, EventFilter::FromRequest(request));
  if (request.cursor().empty()) {
    KIRIM_ASSIGN_OR_RETURN(watch.cursor, queue_.LatestEventCursor(caller.tenant));
    return watch;
  }
  // Check the cursor now, so a bad one is this call's error rather than the stream's.
  absl::StatusOr<std::vector<v1::Event>> probe =
      queue_.ReadEvents(caller.tenant, request.cursor(), 0, absl::ZeroDuration());
  if (!probe.ok()) {
    if (probe.status().code() == absl::StatusCode::kInvalidArgument) {
      return InvalidField("cursor",
                          "not a cursor of this event stream: pass back an Event.cursor "
                          "unchanged, or leave it empty to start from now");
    }
    return probe.status();
  }
  watch.cursor = request.cursor();
  return watch;
}

absl::StatusOr<std::vector<v1::Event>> MailApi::NextEvents(EventWatch& watch, int max,
                                                           absl::Duration block) {
  KIRIM_ASSIGN_OR_RETURN(std::vector<v1::Event> read,
                         queue_.ReadEvents(watch.tenant, watch.cursor, max, block));
  if (read.empty()) return read;
  watch.cursor = read.back().cursor();
  std::vector<v1::Event> matching;
  matching.reserve(read.size());
  for (v1::Event& e : read) {
    if (watch.filter.Matches(e)) matching.push_back(std::move(e));
  }
  return matching;
}

}  // namespace kirim
