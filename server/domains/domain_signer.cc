#include "server/domains/domain_signer.h"

#include <utility>
#include <vector>

#include "server/common/status_macros.h"
#include "server/dkim/dkim_signer.h"

namespace kirim {
namespace {

// Enough distinct selectors for every domain of a large deployment; beyond it, start over.
constexpr size_t kMaxOpenedKeys = 10000;

dkim::Algorithm FromProto(v1::DkimAlgorithm a) {
  return a == v1::ED25519_SHA256 ? dkim::Algorithm::kEd25519Sha256 : dkim::Algorithm::kRsaSha256;
}

}  // namespace

DomainSigner::DomainSigner(SendingDomains& domains, const DkimKeyStore& keys, const Clock& clock,
                           DomainSignerOptions options)
    : domains_(domains), keys_(keys), clock_(clock), options_(options) {}

absl::StatusOr<std::shared_ptr<const dkim::PrivateKey>> DomainSigner::OpenKey(
    const std::string& tenant, const std::string& domain, const std::string& selector,
    const std::string& sealed) {
  const auto slot = std::make_tuple(tenant, domain, selector, sealed);
  {
    absl::MutexLock lock(&mu_);
    auto it = opened_.find(slot);
    if (it != opened_.end()) return it->second;
  }
  KIRIM_ASSIGN_OR_RETURN(std::shared_ptr<const dkim::PrivateKey> key,
                         keys_.Open(tenant, domain, selector, sealed));
  absl::MutexLock lock(&mu_);
  if (opened_.size() >= kMaxOpenedKeys) opened_.clear();
  opened_[slot] = key;
  return key;
}

absl::StatusOr<std::string> DomainSigner::Sign(absl::string_view tenant,
                                               absl::string_view from_domain,
                                               std::string content) {
  KIRIM_ASSIGN_OR_RETURN(std::optional<storage::v1::StoredDomain> found,
                         domains_.Find(tenant, from_domain));
  if (!found.has_value()) return content;
  const std::string& domain = found->domain().domain();
  std::vector<dkim::SigningKey> keys;
  for (const v1::DkimKey& k : found->domain().dkim_keys()) {
    if (k.state() != v1::DkimKey::ACTIVE) continue;
    auto sealed = found->sealed_keys().find(k.selector());
    if (sealed == found->sealed_keys().end()) {
      return absl::DataLossError(absl::StrCat("DKIM key ", k.selector(), " of ", domain,
                                              " has no stored private key"));
    }
    KIRIM_ASSIGN_OR_RETURN(std::shared_ptr<const dkim::PrivateKey> key,
                           OpenKey(std::string(tenant), domain, k.selector(), sealed->second));
    if (key->algorithm() != FromProto(k.algorithm())) {
      return absl::DataLossError(absl::StrCat("DKIM key ", k.selector(), " of ", domain,
                                              " is not the algorithm its record says"));
    }
    keys.push_back(dkim::SigningKey{domain, k.selector(), std::move(key)});
  }
  if (keys.empty()) return content;
  dkim::SignOptions so;
  so.now = clock_.Now();
  so.expire_after = options_.expire_after;
  return dkim::SignMessage(content, keys, so);
}

}  // namespace kirim
