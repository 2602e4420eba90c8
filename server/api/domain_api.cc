#include "server/api/domain_api.h"

#include <algorithm>
#include <map>
#include <set>
#include <utility>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "server/common/proto_time.h"
#include "server/common/status_details.h"
#include "server/common/status_macros.h"
#include "server/dkim/alignment.h"

namespace kirim {
namespace {

using storage::v1::StoredDomain;

constexpr int kDefaultPageSize = 100;
constexpr int kMaxPageSize = 1000;

dkim::Algorithm ToDkim(v1::DkimAlgorithm a) {
  return a == v1::ED25519_SHA256 ? dkim::Algorithm::kEd25519Sha256 : dkim::Algorithm::kRsaSha256;
}

// "domains/{domain}" -> the canonical domain.
absl::StatusOr<std::string> ParseDomainName(absl::string_view name) {
  absl::string_view domain = name;
  if (!absl::ConsumePrefix(&domain, "domains/") || domain.empty()) {
    return InvalidField("name", "expected \"domains/{domain}\", e.g. \"domains/example.com\"");
  }
  const std::string canonical = CanonicalDomain(domain);
  if (absl::Status s = dkim::ValidateSigningDomain(canonical); !s.ok()) {
    return InvalidField("name", absl::StrCat("\"", domain, "\" is not a domain name"));
  }
  return canonical;
}

bool Required(const v1::DnsRecord& r) { return !r.advisory(); }

}  // namespace

v1::Domain DomainView(const StoredDomain& stored) {
  v1::Domain d = stored.domain();
  for (const v1::DkimKey& k : d.dkim_keys()) {
    if (k.state() != v1::DkimKey::REMOVED) *d.add_records() = k.record();
  }
  return d;
}

void RemoveRetiredKeys(StoredDomain& stored, absl::Time now, absl::Duration retire_after) {
  v1::Domain& d = *stored.mutable_domain();
  for (v1::DkimKey& k : *d.mutable_dkim_keys()) {
    if (k.state() != v1::DkimKey::RETIRING) continue;
    auto since = stored.retire_times().find(k.selector());
    if (since == stored.retire_times().end() ||
        FromProtoTime(since->second) + retire_after <= now) {
      k.set_state(v1::DkimKey::REMOVED);
      stored.mutable_sealed_keys()->erase(k.selector());
      stored.mutable_retire_times()->erase(k.selector());
    }
  }
}

void AdvanceLifecycle(StoredDomain& stored, absl::Time now, absl::Duration retire_after) {
  RemoveRetiredKeys(stored, now, retire_after);
  v1::Domain& d = *stored.mutable_domain();
  // A PENDING key whose record is published replaces the ACTIVE key of its algorithm. Newest
  // first, so of two published PENDING keys the newer wins and the older retires at once.
  std::vector<v1::DkimKey*> newest_first;
  for (v1::DkimKey& k : *d.mutable_dkim_keys()) newest_first.push_back(&k);
  std::stable_sort(newest_first.begin(), newest_first.end(), [](v1::DkimKey* a, v1::DkimKey* b) {
    return FromProtoTime(a->create_time()) > FromProtoTime(b->create_time());
  });
  std::map<int, v1::DkimKey*> activated;
  for (v1::DkimKey* k : newest_first) {
    if (k->state() == v1::DkimKey::PENDING && k->record().status() == v1::DnsRecord::FOUND &&
        !activated.count(k->algorithm())) {
      k->set_state(v1::DkimKey::ACTIVE);
      activated[k->algorithm()] = k;
    }
  }
  // The keys they replace stop signing but stay published for a while.
  for (v1::DkimKey* k : newest_first) {
    auto it = activated.find(k->algorithm());
    if (it == activated.end() || it->second == k || k->state() != v1::DkimKey::ACTIVE) continue;
    k->set_state(v1::DkimKey::RETIRING);
    (*stored.mutable_retire_times())[k->selector()] = ToProtoTime(now);
  }
  // The domain's verdict.
  bool ok = true;
  for (const v1::DnsRecord& r : d.records()) {
    if (Required(r) && r.status() != v1::DnsRecord::FOUND) ok = false;
  }
  bool rsa_active = false;
  for (const v1::DkimKey& k : d.dkim_keys()) {
    if (k.state() != v1::DkimKey::ACTIVE) continue;
    if (k.algorithm() == v1::RSA_SHA256) rsa_active = true;
    if (k.record().status() != v1::DnsRecord::FOUND) ok = false;
  }
  d.set_state(ok && rsa_active ? v1::Domain::VERIFIED : v1::Domain::FAILED_VERIFICATION);
  *d.mutable_verify_time() = ToProtoTime(now);
}

DomainApi::DomainApi(DomainStore& store, const DkimKeyStore& keys,
                     domains::DomainVerifier& verifier, const Clock& clock, Random& random,
                     Logger& logger, DomainApiOptions options)
    : store_(store),
      keys_(keys),
      verifier_(verifier),
      clock_(clock),
      random_(random),
      logger_(logger),
      options_(std::move(options)) {}

absl::StatusOr<v1::DkimKey> DomainApi::NewKey(const std::string& tenant, const std::string& domain,
                                              v1::DkimAlgorithm algorithm, StoredDomain& record) {
  const absl::Time now = clock_.Now();
  // "<prefix>-<yyyymmdd>-<alg>-<hex>", unique within the domain.
  std::string selector;
  for (;;) {
    selector = absl::StrCat(options_.selector_prefix, "-",
                            absl::FormatTime("%Y%m%d", now, absl::UTCTimeZone()), "-",
                            algorithm == v1::RSA_SHA256 ? "rsa" : "ed", "-",
                            absl::BytesToHexString(random_.Bytes(2)));
    if (!record.sealed_keys().count(selector)) {
      bool used = false;
      for (const v1::DkimKey& k : record.domain().dkim_keys()) used |= k.selector() == selector;
      if (!used) break;
    }
  }
  KIRIM_ASSIGN_OR_RETURN(DkimKeyStore::NewKey generated,
                         keys_.Generate(tenant, domain, selector, ToDkim(algorithm),
                                        options_.rsa_bits));
  (*record.mutable_sealed_keys())[selector] = std::move(generated.sealed);
  v1::DkimKey key;
  key.set_selector(selector);
  key.set_algorithm(algorithm);
  key.set_state(v1::DkimKey::PENDING);
  key.set_bits(generated.bits);
  *key.mutable_record() = domains::DkimRecord(domain, selector, generated.dns_value);
  *key.mutable_create_time() = ToProtoTime(now);
  return key;
}

absl::StatusOr<v1::Domain> DomainApi::CreateDomain(const Principal& caller,
                                                   const v1::CreateDomainRequest& request) {
  FieldViolations bad;
  const std::string domain = CanonicalDomain(request.domain());
  if (request.domain().empty()) {
    bad.Add("domain", "required, e.g. \"example.com\"");
  } else if (!dkim::ValidateSigningDomain(domain).ok()) {
    bad.Add("domain", absl::StrCat("\"", request.domain(),
                                   "\" is not a domain name of at least two labels"));
  }
  std::vector<v1::DkimAlgorithm> algorithms = {v1::RSA_SHA256};
  for (int i = 0; i < request.algorithms_size(); ++i) {
    const auto a = request.algorithms(i);
    if (a != v1::RSA_SHA256 && a != v1::ED25519_SHA256) {
      bad.Add(absl::StrCat("algorithms[", i, "]"), "expected RSA_SHA256 or ED25519_SHA256");
    } else if (std::find(algorithms.begin(), algorithms.end(), a) == algorithms.end()) {
      algorithms.push_back(a);
    }
  }
  // Default: dual signing. RSA is always present (listed first above).
  if (request.algorithms().empty()) algorithms.push_back(v1::ED25519_SHA256);
  domains::RecordOptions records = options_.records;
  if (!request.dmarc_report_address().empty()) {
    if (absl::Status s = domains::ValidateReportAddress(request.dmarc_report_address());
        !s.ok()) {
      bad.Add("dmarc_report_address", std::string(s.message()));
    }
    records.dmarc_report_address = request.dmarc_report_address();
  }
  if (!bad.empty()) return bad.ToStatus();

  const absl::Time now = clock_.Now();
  StoredDomain stored;
  stored.set_tenant(caller.tenant);
  v1::Domain& d = *stored.mutable_domain();
  d.set_name(absl::StrCat("domains/", domain));
  d.set_domain(domain);
  d.set_state(v1::Domain::PENDING_VERIFICATION);
  *d.mutable_create_time() = ToProtoTime(now);
  *d.add_records() = domains::SpfRecord(domain, records);
  *d.add_records() = domains::DmarcRecord(domain, records);
  *d.add_records() =
      domains::MtaStsRecord(domain, absl::FormatTime("%Y%m%d%H%M%S", now, absl::UTCTimeZone()));
  *d.add_records() = domains::TlsRptRecord(domain, records);
  for (v1::DkimAlgorithm a : algorithms) {
    KIRIM_ASSIGN_OR_RETURN(v1::DkimKey key, NewKey(caller.tenant, domain, a, stored));
    *d.add_dkim_keys() = std::move(key);
  }
  KIRIM_RETURN_IF_ERROR(store_.Create(stored));
  logger_.Info("domains", "domain_created",
               {{"tenant", caller.tenant}, {"domain", domain}, {"by_key_id", caller.key_id},
                {"keys", std::to_string(d.dkim_keys_size())}});
  return DomainView(stored);
}

absl::StatusOr<v1::Domain> DomainApi::GetDomain(const Principal& caller,
                                                const v1::GetDomainRequest& request) {
  KIRIM_ASSIGN_OR_RETURN(std::string domain, ParseDomainName(request.name()));
  KIRIM_ASSIGN_OR_RETURN(StoredDomain stored, store_.Get(caller.tenant, domain));
  return DomainView(stored);
}

absl::StatusOr<v1::ListDomainsResponse> DomainApi::ListDomains(
    const Principal& caller, const v1::ListDomainsRequest& request) {
  FieldViolations bad;
  if (request.page_size() < 0) bad.Add("page_size", "must not be negative");
  std::string after;
  if (!request.page_token().empty() &&
      (!absl::WebSafeBase64Unescape(request.page_token(), &after) ||
       absl::WebSafeBase64Escape(after) != request.page_token())) {
    bad.Add("page_token", "not a token this API returned; use next_page_token unchanged");
  }
  if (!bad.empty()) return bad.ToStatus();
  const int limit = request.page_size() == 0 ? kDefaultPageSize
                                             : std::min(request.page_size(), kMaxPageSize);
  KIRIM_ASSIGN_OR_RETURN(std::vector<StoredDomain> all, store_.List(caller.tenant));
  v1::ListDomainsResponse response;
  for (const StoredDomain& s : all) {
    if (!after.empty() && s.domain().domain() <= after) continue;
    if (response.domains_size() == limit) {
      response.set_next_page_token(
          absl::WebSafeBase64Escape(response.domains(limit - 1).domain()));
      break;
    }
    *response.add_domains() = DomainView(s);
  }
  return response;
}

absl::StatusOr<v1::DeleteDomainResponse> DomainApi::DeleteDomain(
    const Principal& caller, const v1::DeleteDomainRequest& request) {
  KIRIM_ASSIGN_OR_RETURN(std::string domain, ParseDomainName(request.name()));
  KIRIM_RETURN_IF_ERROR(store_.Delete(caller.tenant, domain));
  logger_.Info("domains", "domain_deleted",
               {{"tenant", caller.tenant}, {"domain", domain}, {"by_key_id", caller.key_id}});
  return v1::DeleteDomainResponse();
}

absl::StatusOr<v1::Domain> DomainApi::VerifyDomain(const Principal& caller,
                                                   const v1::VerifyDomainRequest& request) {
  KIRIM_ASSIGN_OR_RETURN(std::string domain, ParseDomainName(request.name()));
  KIRIM_ASSIGN_OR_RETURN(StoredDomain stored, store_.Get(caller.tenant, domain));
  v1::Domain& d = *stored.mutable_domain();
  for (v1::DnsRecord& r : *d.mutable_records()) {
    KIRIM_RETURN_IF_ERROR(verifier_.Check(r));
  }
  for (v1::DkimKey& k : *d.mutable_dkim_keys()) {
    if (k.state() == v1::DkimKey::REMOVED) continue;
    KIRIM_RETURN_IF_ERROR(verifier_.Check(*k.mutable_record()));
  }
  const v1::Domain::State before = d.state();
  AdvanceLifecycle(stored, clock_.Now(), options_.retire_after);
  KIRIM_RETURN_IF_ERROR(store_.Update(stored));
  std::vector<std::string> active;
  for (const v1::DkimKey& k : d.dkim_keys()) {
    if (k.state() == v1::DkimKey::ACTIVE) active.push_back(k.selector());
  }
  logger_.Info("domains", "domain_verified",
               {{"tenant", caller.tenant},
                {"domain", domain},
                {"state", v1::Domain::State_Name(d.state())},
                {"was", v1::Domain::State_Name(before)},
                {"active_selectors", absl::StrJoin(active, ",")}});
  return DomainView(stored);
}

absl::StatusOr<v1::Domain> DomainApi::RotateDkimKey(const Principal& caller,
                                                    const v1::RotateDkimKeyRequest& request) {
  KIRIM_ASSIGN_OR_RETURN(std::string domain, ParseDomainName(request.name()));
  if (request.algorithm() != v1::DKIM_ALGORITHM_UNSPECIFIED &&
      request.algorithm() != v1::RSA_SHA256 && request.algorithm() != v1::ED25519_SHA256) {
    return InvalidField("algorithm", "expected RSA_SHA256, ED25519_SHA256 or unspecified (all)");
  }
  KIRIM_ASSIGN_OR_RETURN(StoredDomain stored, store_.Get(caller.tenant, domain));
  RemoveRetiredKeys(stored, clock_.Now(), options_.retire_after);
  std::set<int> active, pending;
  for (const v1::DkimKey& k : stored.domain().dkim_keys()) {
    if (k.state() == v1::DkimKey::ACTIVE) active.insert(k.algorithm());
    if (k.state() == v1::DkimKey::PENDING) pending.insert(k.algorithm());
  }
  std::vector<v1::DkimAlgorithm> rotate;
  if (request.algorithm() == v1::DKIM_ALGORITHM_UNSPECIFIED) {
    for (int a : active) rotate.push_back(static_cast<v1::DkimAlgorithm>(a));
  } else {
    rotate.push_back(request.algorithm());
  }
  for (v1::DkimAlgorithm a : rotate) {
    const std::string alg = v1::DkimAlgorithm_Name(a);
    if (!active.count(a)) {
      return WithPreconditionFailure(
          absl::FailedPreconditionError(absl::StrCat(
              domain, " has no ACTIVE ", alg, " key to rotate: publish its DKIM record and ",
              "verify the domain first")),
          "DKIM_KEY_NOT_ACTIVE", absl::StrCat("domains/", domain), alg);
    }
    if (pending.count(a)) {
      return WithPreconditionFailure(
          absl::FailedPreconditionError(absl::StrCat(
              domain, " already has a PENDING ", alg,
              " key waiting for its DNS record: publish it and verify the domain")),
          "DKIM_KEY_PENDING", absl::StrCat("domains/", domain), alg);
    }
  }
  if (rotate.empty()) {
    return WithPreconditionFailure(
        absl::FailedPreconditionError(
            absl::StrCat(domain, " has no ACTIVE key to rotate: verify the domain first")),
        "DKIM_KEY_NOT_ACTIVE", absl::StrCat("domains/", domain), "no ACTIVE key");
  }
  std::vector<std::string> selectors;
  for (v1::DkimAlgorithm a : rotate) {
    KIRIM_ASSIGN_OR_RETURN(v1::DkimKey key, NewKey(caller.tenant, domain, a, stored));
    selectors.push_back(key.selector());
    *stored.mutable_domain()->add_dkim_keys() = std::move(key);
  }
  KIRIM_RETURN_IF_ERROR(store_.Update(stored));
  logger_.Info("domains", "dkim_key_rotated",
               {{"tenant", caller.tenant}, {"domain", domain}, {"by_key_id", caller.key_id},
                {"new_selectors", absl::StrJoin(selectors, ",")}});
  return DomainView(stored);
}

}  // namespace kirim
