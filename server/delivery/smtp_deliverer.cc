#include "server/delivery/smtp_deliverer.h"

#include "server/address/idna.h"

#include <map>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace kirim {
namespace {

smtp::Reply Synthetic(int code, const char* enhanced, std::string text) {
  smtp::Reply r;
  r.code = code;
  r.enhanced_code = enhanced;
  r.lines = {std::move(text)};
  return r;
}

// The reply every recipient of a group gets when its route cannot be found.
smtp::Reply RoutingFailure(const absl::Status& s) {
  switch (s.code()) {
    case absl::StatusCode::kFailedPrecondition:
      return Synthetic(556, "5.1.10", std::string(s.message()));
    case absl::StatusCode::kNotFound:
    case absl::StatusCode::kInvalidArgument:
      return Synthetic(550, "5.1.2", std::string(s.message()));
    default:
      return Synthetic(451, "4.4.3", std::string(s.message()));
  }
}

// True when the next target may do better: the session never reached the transaction, or the
// server said so transiently (4xx greeting/EHLO/STARTTLS, 421, a dropped connection).
bool TryNextTarget(const smtp::TransactionResult& r) {
  if (r.ok()) return false;
  const std::string& phase = r.failed_phase;
  const bool before_transaction = phase == "connect" || phase == smtp::phase::kGreeting ||
                                  phase == smtp::phase::kEhlo || phase == smtp::phase::kStartTls;
  if (before_transaction) return r.Classify() != smtp::ReplyClass::kPermanent;
  // A 421 at any point means "this server is going away": another MX may take it.
  return r.failed_reply.code == 421 || (!r.local_error.ok() && r.rcpt_replies.empty());
}

}  // namespace

SmtpDeliverer::SmtpDeliverer(smtp::Connector& connector, Router& router, const Clock& clock,
                             SmtpDeliveryOptions options, DestinationShaper* shaper,
                             const DestinationPolicy* policy)
    : router_(router),
      options_(std::move(options)),
      pool_(connector, clock,
            [this] {
              SessionPoolOptions p = options_.pool;
              p.connect_timeout = options_.connect_timeout;
              return p;
            }(),
            shaper, policy) {}

// The recipient's domain as DNS and shaping know it: lower case, and an internationalized
// domain (RFC 6531 recipient) in its A-label form ("bücher.de" -> "xn--bcher-kva.de").
std::string DomainOf(absl::string_view address) {
  size_t at = address.rfind('@');
  const std::string domain =
      absl::AsciiStrToLower(at == absl::string_view::npos ? "" : address.substr(at + 1));
  absl::StatusOr<std::string> ascii = DomainToAscii(domain);
  return ascii.ok() ? *ascii : domain;
}

DeliveryReport SmtpDeliverer::DeliverGroup(const smtp::Envelope& envelope,
                                           absl::string_view content, const std::string& domain) {
  absl::StatusOr<std::vector<Target>> targets = router_.Route(domain);
  if (!targets.ok()) {
    smtp::TransactionResult failed;
    failed.failed_phase = "route";
    failed.failed_reply = RoutingFailure(targets.status());
    DeliveryReport report = ReportFromTransaction(envelope, failed, absl::StrCat("dns:", domain));
    report.error = std::string(targets.status().message());
    return report;
  }
  DeliveryReport report;
  std::vector<std::string> tried;
  for (size_t i = 0; i < targets->size(); ++i) {
    const Target& t = (*targets)[i];
    const std::string remote = t.address == t.host ? absl::StrCat(t.host, ":", t.port)
                                                   : absl::StrCat(t.host, "[", t.address, "]:", t.port);
    // Shaping is per destination: the recipient domain, or the relay host.
    const std::string destination = router_.RouteKey(domain).empty() ? t.host : domain;
    smtp::TransactionResult result;
    absl::Duration shaped_for = absl::ZeroDuration();
    std::unique_ptr<PooledSession> session =
        pool_.Acquire(t, options_.client, destination, &result, &shaped_for);
    if (session != nullptr) {
      result = session->client->Send(envelope, content);
      pool_.ReportReply(destination, result.data_reply.code ? result.data_reply : result.failed_reply);
      pool_.Release(std::move(session));
    }
    if (result.failed_phase == "shaping") {
      // The destination is busy, not broken: wait for it rather than trying the next MX.
      report = ReportFromTransaction(envelope, result, remote);
      report.retry_after = shaped_for;
      return report;
    }
    report = ReportFromTransaction(envelope, result, remote);
    tried.push_back(remote);
    if (!TryNextTarget(result)) break;
  }
  if (tried.size() > 1) report.remote = absl::StrJoin(tried, ", ");
  return report;
}

DeliveryReport SmtpDeliverer::Deliver(const smtp::Envelope& envelope, absl::string_view content,
                                      absl::string_view) {
  // Group recipients by route key, keeping the envelope order inside each group.
  std::map<std::string, smtp::Envelope> groups;
  std::map<std::string, std::string> group_domain;
  for (const std::string& rcpt : envelope.rcpt_to) {
    const std::string domain = DomainOf(rcpt);
    const std::string key = router_.RouteKey(domain);
    auto& g = groups[key];
    g.mail_from = envelope.mail_from;
    g.rcpt_to.push_back(rcpt);
    group_domain.emplace(key, domain);
  }
  std::map<std::string, RecipientOutcome> outcomes;
  DeliveryReport merged;
  std::vector<std::string> remotes;
  for (const auto& [key, group] : groups) {
    DeliveryReport r = DeliverGroup(group, content, group_domain[key]);
    for (RecipientOutcome& o : r.recipients) outcomes[o.address] = std::move(o);
    remotes.push_back(r.remote);
    if (r.retry_after > merged.retry_after) merged.retry_after = r.retry_after;
    // The attempt shows the worst group's reply: what most needs attention.
    if (merged.reply.code == 0 || smtp::Classify(r.reply) != smtp::ReplyClass::kPositive) {
      merged.reply = r.reply;
      merged.failed_phase = r.failed_phase;
      if (!r.error.empty()) merged.error = r.error;
    }
  }
  merged.remote = absl::StrJoin(remotes, "; ");
  for (const std::string& rcpt : envelope.rcpt_to) merged.recipients.push_back(outcomes[rcpt]);
  return merged;
}

}  // namespace kirim
