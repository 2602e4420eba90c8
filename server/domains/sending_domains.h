// SendingDomains: the read side of DomainStore on the send path — which of a tenant's
// registered domains a From domain aligns with (itself, else its nearest registered parent:
// DMARC relaxed alignment, RFC 7489 §3.1.1) — with a short cache of hits, so accepting and
// signing a message costs no Redis round trip once its domain is known.
//
//   SendingDomains domains(store, clock, {.cache_ttl = absl::Seconds(10)});
//   KIRIM_ASSIGN_OR_RETURN(std::optional<StoredDomain> d, domains.Find("acme", "news.example.com"));
//   if (d.has_value()) ... d->domain().domain() == "example.com" ...
//
// Only VERIFIED domains are cached: a domain created or verified a moment ago is seen at once
// (by the send policy and by the signer, whose keys it just activated); a change to a verified
// one (a rotation, a failed re-verification, deletion) within cache_ttl, during which its
// previous keys still sign (they stay published while RETIRING). Thread-safe.
#ifndef KIRIM_SERVER_DOMAINS_SENDING_DOMAINS_H_
#define KIRIM_SERVER_DOMAINS_SENDING_DOMAINS_H_

#include <map>
#include <optional>
#include <string>
#include <utility>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "server/common/clock.h"
#include "server/domains/domain_store.h"

namespace kirim {

struct SendingDomainsOptions {
  // How long a found domain is reused without reading it again; zero disables the cache.
  absl::Duration cache_ttl = absl::Seconds(10);
  // Entries kept at most (the cache is emptied when full).
  size_t max_entries = 10000;
};

class SendingDomains {
 public:
  SendingDomains(DomainStore& store, const Clock& clock, SendingDomainsOptions options = {});

  absl::StatusOr<std::optional<storage::v1::StoredDomain>> Find(absl::string_view tenant,
                                                                absl::string_view from_domain);

 private:
  struct Entry {
    storage::v1::StoredDomain domain;
    absl::Time expires;
  };
  DomainStore& store_;
  const Clock& clock_;
  const SendingDomainsOptions options_;
  absl::Mutex mu_;
  std::map<std::pair<std::string, std::string>, Entry> cache_ ABSL_GUARDED_BY(mu_);
};

}  // namespace kirim

#endif  // KIRIM_SERVER_DOMAINS_SENDING_DOMAINS_H_
