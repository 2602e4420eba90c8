// DomainStore: each tenant's sending domains (storage::v1::StoredDomain: the public Domain view
// plus the sealed DKIM private keys). DomainService writes it; the send policy and the DKIM
// signer read it.
//
//   StoredDomain d;  d.set_tenant("acme");  d.mutable_domain()->set_domain("example.com");
//   KIRIM_RETURN_IF_ERROR(store.Create(d));                 // d.version() is now 1
//   KIRIM_ASSIGN_OR_RETURN(StoredDomain got, store.Get("acme", "example.com"));
//   got.mutable_domain()->set_state(v1::Domain::VERIFIED);
//   KIRIM_RETURN_IF_ERROR(store.Update(got));               // ABORTED if someone wrote first
//
// Writes are compare-and-set on `version`, so two replicas verifying and rotating one domain at
// once cannot lose each other's key: the loser gets ABORTED and re-reads. Domains are
// tenant-scoped (another tenant's domain answers NOT_FOUND like one that does not exist) and
// named in CanonicalDomain form. Backend errors pass through (UNAVAILABLE: Redis down).
//
// Production wires RedisDomainStore; tests use kirim::testing::FakeDomainStore
// (tests/domains/store/fake_domain_store.h); one contract suite runs against both.
#ifndef KIRIM_SERVER_DOMAINS_DOMAIN_STORE_H_
#define KIRIM_SERVER_DOMAINS_DOMAIN_STORE_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/ascii.h"
#include "absl/strings/string_view.h"
#include "absl/strings/strip.h"
#include "kirim/storage/v1/domain.pb.h"

namespace kirim {

class DomainStore {
 public:
  virtual ~DomainStore() = default;

  // NOT_FOUND if the tenant has no such domain.
  virtual absl::StatusOr<storage::v1::StoredDomain> Get(absl::string_view tenant,
                                                        absl::string_view domain) = 0;
  // The tenant's domains in byte order of the domain name.
  virtual absl::StatusOr<std::vector<storage::v1::StoredDomain>> List(absl::string_view tenant) = 0;
  // Stores a new domain (record.tenant(), record.domain().domain()) at version 1 and sets
  // record.version. ALREADY_EXISTS if the tenant has it already.
  virtual absl::Status Create(storage::v1::StoredDomain& record) = 0;
  // Replaces the stored domain if its version is still record.version(), then increments
  // record.version. ABORTED if it changed meanwhile; NOT_FOUND if it was deleted.
  virtual absl::Status Update(storage::v1::StoredDomain& record) = 0;
  // NOT_FOUND if the tenant has no such domain.
  virtual absl::Status Delete(absl::string_view tenant, absl::string_view domain) = 0;
};

// The form domains are stored and looked up in: lower case, no trailing dot.
inline std::string CanonicalDomain(absl::string_view domain) {
  return absl::AsciiStrToLower(absl::StripSuffix(absl::StripAsciiWhitespace(domain), "."));
}

}  // namespace kirim

#endif  // KIRIM_SERVER_DOMAINS_DOMAIN_STORE_H_
