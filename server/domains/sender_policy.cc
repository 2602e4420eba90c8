#include "server/domains/sender_policy.h"

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "server/common/status_details.h"
#include "server/common/status_macros.h"

namespace kirim {
namespace {

// What the last verification said is wrong, in plain words.
std::string WhatIsMissing(const v1::Domain& d) {
  std::vector<std::string> problems;
  auto note = [&](const v1::DnsRecord& r) {
    if (r.advisory() || r.status() == v1::DnsRecord::FOUND) return;
    const std::string what = absl::StrCat(v1::DnsRecord::Purpose_Name(r.purpose()), " record at ",
                                          r.host());
    switch (r.status()) {
      case v1::DnsRecord::MISSING: problems.push_back(what + " is missing"); break;
      case v1::DnsRecord::MISMATCHED:
        problems.push_back(absl::StrCat(what, " is wrong: ", r.problem()));
        break;
      default: problems.push_back(what + " has not been checked"); break;
    }
  };
  for (const v1::DnsRecord& r : d.records()) note(r);
  bool active = false;
  for (const v1::DkimKey& k : d.dkim_keys()) {
    if (k.state() == v1::DkimKey::ACTIVE) active = true;
  }
  if (!active) {
    for (const v1::DkimKey& k : d.dkim_keys()) {
      if (k.state() == v1::DkimKey::PENDING) note(k.record());
    }
  }
  if (problems.empty()) return "it has not been verified yet";
  return absl::StrJoin(problems, "; ");
}

}  // namespace

absl::StatusOr<SenderPolicy::Mode> SenderPolicy::ParseMode(absl::string_view text) {
  if (text == "off") return Mode::kOff;
  if (text == "warn") return Mode::kWarn;
  if (text == "enforce") return Mode::kEnforce;
  return absl::InvalidArgumentError(
      absl::StrCat("expected \"enforce\", \"warn\" or \"off\", got \"", text, "\""));
}

absl::Status SenderPolicy::Check(absl::string_view tenant, absl::string_view from_domain) {
  if (mode_ == Mode::kOff) return absl::OkStatus();
  KIRIM_ASSIGN_OR_RETURN(std::optional<storage::v1::StoredDomain> found,
                         domains_.Find(tenant, from_domain));
  std::string subject, why;
  if (!found.has_value()) {
    subject = absl::StrCat("domains/", CanonicalDomain(from_domain));
    why = absl::StrCat(
        "the From domain ", from_domain,
        " is not a registered sending domain: register it (kirimctl domains create ", from_domain,
        "), publish the DNS records it returns and verify it");
  } else if (found->domain().state() != v1::Domain::VERIFIED) {
    subject = found->domain().name();
    why = absl::StrCat("the sending domain ", found->domain().domain(), " is not verified: ",
                       WhatIsMissing(found->domain()),
                       " (publish the records, then kirimctl domains verify ",
                       found->domain().domain(), ")");
  } else {
    return absl::OkStatus();
  }
  if (mode_ == Mode::kWarn) {
    logger_.Warning("policy", "sender_domain_not_verified",
                    {{"tenant", std::string(tenant)}, {"domain", std::string(from_domain)},
                     {"reason", why}});
    return absl::OkStatus();
  }
  return WithPreconditionFailure(absl::FailedPreconditionError(why), "DOMAIN_NOT_VERIFIED",
                                 subject, why);
}

}  // namespace kirim
