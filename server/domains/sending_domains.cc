#include "server/domains/sending_domains.h"

#include "absl/strings/match.h"

namespace kirim {

SendingDomains::SendingDomains(DomainStore& store, const Clock& clock,
                               SendingDomainsOptions options)
    : store_(store), clock_(clock), options_(options) {}

absl::StatusOr<std::optional<storage::v1::StoredDomain>> SendingDomains::Find(
    absl::string_view tenant, absl::string_view from_domain) {
  const std::string name = CanonicalDomain(from_domain);
  const std::pair<std::string, std::string> key(std::string(tenant), name);
  const absl::Time now = clock_.Now();
  {
    absl::MutexLock lock(&mu_);
    auto it = cache_.find(key);
    if (it != cache_.end() && it->second.expires > now) return it->second.domain;
  }
  // The From domain itself, then each parent that still has two labels ("a.b.example.com" →
  // "b.example.com" → "example.com"); never a bare TLD.
  absl::string_view candidate = name;
  while (absl::StrContains(candidate, '.')) {
    absl::StatusOr<storage::v1::StoredDomain> d = store_.Get(tenant, candidate);
    if (d.ok()) {
      // Only VERIFIED domains are cached: one that is not yet is read again each time, so it
      // works the moment it verifies (keys that just became ACTIVE sign at once).
      if (options_.cache_ttl > absl::ZeroDuration() && d->domain().state() == v1::Domain::VERIFIED) {
        absl::MutexLock lock(&mu_);
        if (cache_.size() >= options_.max_entries) cache_.clear();
        cache_[key] = Entry{*d, now + options_.cache_ttl};
      }
      return std::optional<storage::v1::StoredDomain>(*std::move(d));
    }
    if (!absl::IsNotFound(d.status())) return d.status();
    candidate = candidate.substr(candidate.find('.') + 1);
  }
  return std::optional<storage::v1::StoredDomain>();
}

}  // namespace kirim
