// SenderPolicy: may this tenant send mail From this domain? Checked when a message is accepted,
// so an unauthenticated domain is refused up front instead of landing in spam (or being
// rejected: Gmail and Yahoo require SPF, DKIM and DMARC from bulk senders since 2024).
//
//   SenderPolicy policy(domains, logger, SenderPolicy::Mode::kEnforce);
//   KIRIM_RETURN_IF_ERROR(policy.Check("acme", "news.example.com"));
//
// Modes: kEnforce refuses with FAILED_PRECONDITION (google.rpc.PreconditionFailure, type
// "DOMAIN_NOT_VERIFIED", subject "domains/<domain>") saying which domain and what is missing;
// kWarn accepts and logs the same reason; kOff checks nothing (the default only in sandbox
// mode). A domain passes when it, or the registered parent it aligns with, is VERIFIED. In
// every mode but kOff a failed store read is an error (UNAVAILABLE: Redis is down, and the
// message could not be stored either).
#ifndef KIRIM_SERVER_DOMAINS_SENDER_POLICY_H_
#define KIRIM_SERVER_DOMAINS_SENDER_POLICY_H_

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "server/common/logger.h"
#include "server/domains/sending_domains.h"

namespace kirim {

class SenderPolicy {
 public:
  enum class Mode { kOff, kWarn, kEnforce };
  // "off" | "warn" | "enforce".
  static absl::StatusOr<Mode> ParseMode(absl::string_view text);

  SenderPolicy(SendingDomains& domains, Logger& logger, Mode mode)
      : domains_(domains), logger_(logger), mode_(mode) {}

  absl::Status Check(absl::string_view tenant, absl::string_view from_domain);
  Mode mode() const { return mode_; }

 private:
  SendingDomains& domains_;
  Logger& logger_;
  const Mode mode_;
};

}  // namespace kirim

#endif  // KIRIM_SERVER_DOMAINS_SENDER_POLICY_H_
