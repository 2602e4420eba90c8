#include "server/delivery/worker.h"

#include <map>
#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "server/common/proto_time.h"
#include "server/common/status_macros.h"
#include "server/address/address.h"
#include "server/compose/compose.h"

namespace kirim {
namespace {

void CopyReply(const smtp::Reply& from, v1::SmtpReply* to) {
  to->set_code(from.code);
  to->set_enhanced_code(from.enhanced_code);
  to->set_text(from.Text());
}

v1::Event::Type EventFor(v1::RecipientState s) {
  switch (s) {
    case v1::RECIPIENT_DELIVERED: return v1::Event::DELIVERED;
    case v1::RECIPIENT_BOUNCED: return v1::Event::BOUNCED;
    case v1::RECIPIENT_EXPIRED: return v1::Event::EXPIRED;
    case v1::RECIPIENT_DEFERRED: return v1::Event::DEFERRED;
    default: return v1::Event::TYPE_UNSPECIFIED;
  }
}

bool IsFinal(v1::RecipientState s) {
  return s != v1::RECIPIENT_PENDING && s != v1::RECIPIENT_DEFERRED;
}

// The message state implied by its recipients' states.
v1::MessageState StateFromRecipients(const v1::Message& m) {
  int delivered = 0, deferred = 0, failed = 0;
  for (const auto& r : m.recipients()) {
    if (r.state() == v1::RECIPIENT_DELIVERED) ++delivered;
    else if (IsFinal(r.state())) ++failed;
    else ++deferred;
  }
  if (deferred > 0) return v1::DEFERRED;
  if (failed == 0) return v1::DELIVERED;
  return delivered == 0 ? v1::FAILED : v1::PARTIALLY_DELIVERED;
}

}  // namespace

Worker::Worker(MessageQueue& queue, Deliverer& deliverer, const Clock& clock, Random& random,
               Logger& logger, WorkerOptions options, SuppressionStore* suppressions,
               QueueControls* controls, MessageSigner* signer)
    : queue_(queue),
      deliverer_(deliverer),
      clock_(clock),
      random_(random),
      logger_(logger),
      options_(std::move(options)),
      retry_(options_.retry),
      suppressions_(suppressions),
      controls_(controls),
      signer_(signer) {}

void Worker::SuppressHardBounce(const std::string& tenant, const v1::RecipientResult& r,
                                absl::Time now) {
  // Only "no such address" codes (RFC 3463 §3.2, X.1.x) mean the address is dead; a policy or
  // content rejection (5.7.x) says nothing about the mailbox.
  if (suppressions_ == nullptr || !absl::StartsWith(r.reply().enhanced_code(), "5.1.")) return;
  SuppressionEntry e;
  e.address = r.address();
  e.reason = v1::Suppression::HARD_BOUNCE;
  // The store accepts printable text only; replies are ASCII by RFC 5321, but be safe.
  std::string detail = absl::StrCat(r.reply().code(), " ", r.reply().enhanced_code(), " ", r.reply().text());
  for (char& c : detail) {
    if (static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) >= 0x7f) c = ' ';
  }
  e.detail = detail.substr(0, 1000);
  e.create_time = now;
  if (absl::Status s = suppressions_->Add(tenant, e); !s.ok()) {
    // Best effort: the bounce itself is recorded on the message either way.
    logger_.Warning("worker", "suppression_failed", {{"tenant", tenant}, {"error", s.message()}});
  }
}

absl::StatusOr<int> Worker::RunOnce() {
  constexpr int kPromoteBatch = 100;
  if (const absl::Time now = clock_.Now(); now >= next_promote_) {
    KIRIM_ASSIGN_OR_RETURN(int promoted, queue_.PromoteDue(now, kPromoteBatch));
    // A full batch: more may be due, so the next turn looks again.
    next_promote_ = promoted == kPromoteBatch ? now : now + options_.promote_interval;
  }
  KIRIM_ASSIGN_OR_RETURN(std::vector<Lease> leases, queue_.Take(options_.name, 1, options_.poll_block));
  for (const Lease& lease : leases) KIRIM_RETURN_IF_ERROR(Process(lease));
  return static_cast<int>(leases.size());
}

absl::Status Worker::Process(const Lease& lease) {
  StoredMessage record = lease.record;
  v1::Message& m = *record.mutable_message();
  const absl::Time start = clock_.Now();

  // Only recipients without a final answer are (re)tried.
  smtp::Envelope envelope;
  envelope.mail_from = record.envelope_from();
  std::map<std::string, v1::RecipientResult*> pending;
  for (auto& r : *m.mutable_recipients()) {
    if (!IsFinal(r.state())) {
      envelope.rcpt_to.push_back(r.address());
      pending[r.address()] = &r;
    }
  }

  // Destinations the operator paused keep their mail queued, untouched.
  bool held_for_pause = false;
  if (controls_ != nullptr && !envelope.rcpt_to.empty()) {
    absl::StatusOr<std::set<std::string>> paused = controls_->Paused(lease.tenant);
    if (!paused.ok()) return paused.status();  // unknown: do not send, retry the lease
    if (!paused->empty()) {
      std::vector<std::string> kept;
      for (const std::string& rcpt : envelope.rcpt_to) {
        const size_t at = rcpt.rfind('@');
        const std::string domain = absl::AsciiStrToLower(at == std::string::npos ? "" : rcpt.substr(at + 1));
        if (paused->count(domain) == 0) {
          kept.push_back(rcpt);
          continue;
        }
        v1::RecipientResult* r = pending[rcpt];
        r->set_state(v1::RECIPIENT_DEFERRED);
        r->mutable_reply()->set_code(451);
        r->mutable_reply()->set_enhanced_code("4.3.2");
        r->mutable_reply()->set_text("destination paused by the operator");
        pending.erase(rcpt);
        held_for_pause = true;
      }
      envelope.rcpt_to = std::move(kept);
    }
  }
  if (envelope.rcpt_to.empty() && held_for_pause) {
    // Nothing was attempted: no attempt record, no events, just look again later.
    const absl::Time retry_at = clock_.Now() + options_.paused_recheck;
    m.set_state(v1::DEFERRED);
    *m.mutable_next_attempt_time() = ToProtoTime(retry_at);
    KIRIM_RETURN_IF_ERROR(queue_.Defer(lease, record, retry_at));
    logger_.Info("worker", "held_paused", {{"tenant", lease.tenant}, {"message_id", lease.id}});
    return absl::OkStatus();
  }

  v1::Attempt* attempt = m.add_attempts();
  *attempt->mutable_start_time() = ToProtoTime(start);
  attempt->set_worker(options_.name);

  absl::StatusOr<std::string> content =
      ComposeMessage(record, random_, options_.unsubscribe, clock_.Now());
  absl::Duration shaped_for = absl::ZeroDuration();
  absl::Status signed_status;
  if (content.ok() && signer_ != nullptr && !envelope.rcpt_to.empty()) {
    // Signing is the last step: nothing touches the bytes after it.
    absl::StatusOr<Mailbox> from = ParseMailbox(record.request().from());
    absl::StatusOr<std::string> signed_content =
        from.ok() ? signer_->Sign(lease.tenant, from->domain, *std::move(content))
                  : absl::StatusOr<std::string>(from.status());
    if (signed_content.ok()) {
      content = std::move(signed_content);
    } else {
      signed_status = signed_content.status();
    }
  }
  if (!envelope.rcpt_to.empty() && !content.ok()) {
    // The request was validated at accept time, so this is a bug or a corrupt record: retrying
    // cannot help. Fail it visibly instead of looping.
    attempt->set_error(absl::StrCat("compose: ", content.status().message()));
    for (auto& [address, r] : pending) r->set_state(v1::RECIPIENT_BOUNCED);
  } else if (!envelope.rcpt_to.empty() && !signed_status.ok()) {
    // Fail closed: never send unsigned in place of signed. The key store may recover (the right
    // key-encryption key configured, Redis back), so the recipients wait and are retried.
    attempt->set_error(absl::StrCat("dkim: ", signed_status.message()));
    for (auto& [address, r] : pending) r->set_state(v1::RECIPIENT_DEFERRED);
    logger_.Warning("worker", "signing_failed",
                    {{"tenant", lease.tenant}, {"message_id", lease.id},
                     {"error", signed_status.message()}});
  } else if (!envelope.rcpt_to.empty()) {
    DeliveryReport report = deliverer_.Deliver(envelope, *content, lease.id);
    shaped_for = report.retry_after;
    attempt->set_remote(report.remote);
    CopyReply(report.reply, attempt->mutable_reply());
    if (!report.error.empty()) attempt->set_error(report.error);
    const absl::Time now = clock_.Now();
    for (const RecipientOutcome& o : report.recipients) {
      auto it = pending.find(o.address);
      if (it == pending.end()) continue;
      v1::RecipientResult* r = it->second;
      CopyReply(o.reply, r->mutable_reply());
      *r->mutable_update_time() = ToProtoTime(now);
      switch (o.result) {
        case smtp::ReplyClass::kPositive: r->set_state(v1::RECIPIENT_DELIVERED); break;
        case smtp::ReplyClass::kPermanent:
          r->set_state(v1::RECIPIENT_BOUNCED);
          SuppressHardBounce(lease.tenant, *r, now);
          break;
        case smtp::ReplyClass::kTransient: r->set_state(v1::RECIPIENT_DEFERRED); break;
      }
    }
    m.set_size_bytes(static_cast<int64_t>(content->size()));
  }

  const absl::Time end = clock_.Now();
  *attempt->mutable_end_time() = ToProtoTime(end);
  *m.mutable_update_time() = ToProtoTime(end);
  m.set_state(StateFromRecipients(m));

  std::optional<absl::Time> retry_at;
  bool delayed_now = false;
  if (m.state() == v1::DEFERRED) {
    const absl::Time accepted = FromProtoTime(m.create_time());
    retry_at = retry_.NextAttempt(m.attempts_size(), accepted, end, random_);
    if (retry_at.has_value() && held_for_pause) {
      retry_at = std::min(*retry_at, end + options_.paused_recheck);
    }
    if (retry_at.has_value() && shaped_for > absl::ZeroDuration()) {
      // Held back by shaping, not refused by the destination: come back when there is room.
      retry_at = std::min(*retry_at, end + shaped_for);
    }
    if (!retry_at.has_value()) {
      // Out of time: what is still deferred expires, keeping the last reply as the reason.
      for (auto& r : *m.mutable_recipients()) {
        if (r.state() == v1::RECIPIENT_DEFERRED) {
          r.set_state(v1::RECIPIENT_EXPIRED);
          *r.mutable_update_time() = ToProtoTime(end);
        }
      }
      m.set_state(StateFromRecipients(m));
    } else if (retry_.DelayWarningDue(accepted, end, record.delay_warned())) {
      record.set_delay_warned(true);
      delayed_now = true;
      logger_.Info("worker", "delayed", {{"tenant", lease.tenant}, {"message_id", lease.id}});
    }
  }

  const std::string state_name = v1::MessageState_Name(m.state());
  const std::string reply = attempt->reply().code() ? absl::StrCat(attempt->reply().code(), " ",
                                                                   attempt->reply().enhanced_code(), " ",
                                                                   attempt->reply().text())
                                                    : attempt->error();
  // One event per recipient this attempt decided, plus "delayed" once: written in the same
  // Redis script as the state, so the stream never disagrees with GetMessage.
  std::vector<v1::Event> events;
  auto add_event = [&](v1::Event::Type type, const v1::RecipientResult* r) {
    v1::Event& e = events.emplace_back();
    e.set_type(type);
    e.set_message(m.name());
    *e.mutable_time() = ToProtoTime(end);
    *e.mutable_tags() = m.tags();
    *e.mutable_metadata() = m.metadata();
    if (r != nullptr) {
      e.set_recipient(r->address());
      *e.mutable_reply() = r->reply();
    }
  };
  for (const auto& r : m.recipients()) {
    if (pending.count(r.address()) && EventFor(r.state()) != v1::Event::TYPE_UNSPECIFIED) {
      add_event(EventFor(r.state()), &r);
    }
  }
  if (delayed_now) add_event(v1::Event::DELAYED, nullptr);
  if (m.state() == v1::DEFERRED) {
    *m.mutable_next_attempt_time() = ToProtoTime(*retry_at);
    KIRIM_RETURN_IF_ERROR(queue_.Defer(lease, record, *retry_at, events));
  } else {
    m.clear_next_attempt_time();
    KIRIM_RETURN_IF_ERROR(queue_.Complete(lease, record, events));
  }
  if (options_.metrics != nullptr) {
    const absl::string_view lane = LaneName(lease.lane);
    const absl::Time accepted = FromProtoTime(m.create_time());
    for (const v1::Event& e : events) {
      if (e.type() == v1::Event::DELAYED) continue;
      options_.metrics->Recipient(lane, absl::AsciiStrToLower(v1::Event::Type_Name(e.type())));
      if (e.type() == v1::Event::DELIVERED) {
        options_.metrics->AcceptToDelivered(lane, FromProtoTime(e.time()) - accepted);
      }
    }
  }
  logger_.Info("worker", absl::AsciiStrToLower(state_name),
               {{"tenant", lease.tenant},
                {"message_id", lease.id},
                {"remote", attempt->remote()},
                {"reply", reply},
                {"attempt", std::to_string(m.attempts_size())}});
  return absl::OkStatus();
}

}  // namespace kirim
