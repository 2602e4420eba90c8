// DomainApi: the DomainService operations, free of gRPC — a tenant's sending domains, their
// DKIM keys and the SPF / DKIM / DMARC (and advisory MTA-STS / TLS-RPT) records to publish,
// verified against live DNS.
//
//   DomainApi api(store, keys, verifier, clock, random, logger, options);
//   absl::StatusOr<v1::Domain> d = api.CreateDomain(caller, request);   // records to publish
//   d = api.VerifyDomain(caller, {name: "domains/example.com"});       // FOUND / MISSING / ...
//
// DKIM key lifecycle (v1::DkimKey::State): a key is born PENDING (its record not seen in DNS;
// it does not sign). VerifyDomain makes a PENDING key whose record is FOUND ACTIVE, and the
// key of the same algorithm it replaces RETIRING (stops signing; its record must stay
// published for mail signed with it that is still being verified). A RETIRING key becomes
// REMOVED (private key erased, record may go) at the first VerifyDomain or RotateDkimKey after
// retire_after. So there is always an ACTIVE key signing while a rotation goes on.
//
// A domain is VERIFIED when its SPF and DMARC records are FOUND, it has an ACTIVE RSA key (RSA
// is always present: Gmail and Outlook verify only RSA) and every ACTIVE key's record is FOUND.
// Domains are the caller's tenant's; another tenant's answer NOT_FOUND.
#ifndef KIRIM_SERVER_API_DOMAIN_API_H_
#define KIRIM_SERVER_API_DOMAIN_API_H_

#include <string>

#include "absl/status/statusor.h"
#include "kirim/v1/domain_service.pb.h"
#include "server/auth/authenticator.h"
#include "server/common/clock.h"
#include "server/common/logger.h"
#include "server/common/random.h"
#include "server/domains/dns_records.h"
#include "server/domains/domain_store.h"
#include "server/domains/domain_verifier.h"
#include "server/keystore/dkim_key_store.h"

namespace kirim {

struct DomainApiOptions {
  // SPF includes / IPs and the default DMARC report mailbox.
  domains::RecordOptions records;
  int rsa_bits = 2048;
  // How long a replaced key stays RETIRING (published, not signing) before it is REMOVED.
  absl::Duration retire_after = absl::Hours(7 * 24);
  // Selectors are "<prefix>-<yyyymmdd>-<rsa|ed>-<4 hex>".
  std::string selector_prefix = "kirim";
};

class DomainApi {
 public:
  DomainApi(DomainStore& store, const DkimKeyStore& keys, domains::DomainVerifier& verifier,
            const Clock& clock, Random& random, Logger& logger, DomainApiOptions options);

  absl::StatusOr<v1::Domain> CreateDomain(const Principal& caller,
                                          const v1::CreateDomainRequest& request);
  absl::StatusOr<v1::Domain> GetDomain(const Principal& caller,
                                       const v1::GetDomainRequest& request);
  // In byte order of the domain; page_size 0 = 100, at most 1000.
  absl::StatusOr<v1::ListDomainsResponse> ListDomains(const Principal& caller,
                                                      const v1::ListDomainsRequest& request);
  absl::StatusOr<v1::DeleteDomainResponse> DeleteDomain(const Principal& caller,
                                                        const v1::DeleteDomainRequest& request);
  // UNAVAILABLE (nothing changed) when DNS cannot be asked; ABORTED when the domain changed
  // meanwhile (call again).
  absl::StatusOr<v1::Domain> VerifyDomain(const Principal& caller,
                                          const v1::VerifyDomainRequest& request);
  // Adds a PENDING key for `algorithm` (unspecified: every algorithm the domain signs with).
  // FAILED_PRECONDITION when that algorithm has no ACTIVE key yet or already has a PENDING one.
  absl::StatusOr<v1::Domain> RotateDkimKey(const Principal& caller,
                                           const v1::RotateDkimKeyRequest& request);

 private:
  absl::StatusOr<v1::DkimKey> NewKey(const std::string& tenant, const std::string& domain,
                                     v1::DkimAlgorithm algorithm,
                                     storage::v1::StoredDomain& record);

  DomainStore& store_;
  const DkimKeyStore& keys_;
  domains::DomainVerifier& verifier_;
  const Clock& clock_;
  Random& random_;
  Logger& logger_;
  const DomainApiOptions options_;
};

// The public view of a stored domain: DKIM records of keys not REMOVED are listed in
// `records` too, so it holds every record to publish.
v1::Domain DomainView(const storage::v1::StoredDomain& stored);

// RETIRING keys whose retire_after has passed become REMOVED; their private keys are erased.
void RemoveRetiredKeys(storage::v1::StoredDomain& stored, absl::Time now,
                       absl::Duration retire_after);

// Applies a verification's verdicts to the key lifecycle and the domain state (see the banner).
// Public for tests.
void AdvanceLifecycle(storage::v1::StoredDomain& stored, absl::Time now,
                      absl::Duration retire_after);

}  // namespace kirim

#endif  // KIRIM_SERVER_API_DOMAIN_API_H_
