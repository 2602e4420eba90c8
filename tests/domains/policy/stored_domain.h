// Test data for the send-path tests of sending domains (SendingDomains, SenderPolicy,
// DomainSigner): a domain as DomainService stores it, without DKIM keys (tests that sign add
// real ones through DkimKeyStore).
//
//   StoredDomain d = StoredDomainFor("acme", "example.com", v1::Domain::VERIFIED);
//   ASSERT_TRUE(store.Create(d).ok());
#ifndef KIRIM_TESTS_DOMAINS_POLICY_STORED_DOMAIN_H_
#define KIRIM_TESTS_DOMAINS_POLICY_STORED_DOMAIN_H_

#include <string>

#include "kirim/storage/v1/domain.pb.h"
#include "server/domains/dns_records.h"

namespace kirim::testing {

// `domain` of `tenant` in `state`, with the SPF, DMARC, MTA-STS and TLS-RPT records (stored form:
// DKIM records live with their keys). A VERIFIED domain's records are FOUND, any other's
// NOT_CHECKED.
inline storage::v1::StoredDomain StoredDomainFor(const std::string& tenant,
                                                 const std::string& domain,
                                                 v1::Domain::State state) {
  storage::v1::StoredDomain stored;
  stored.set_tenant(tenant);
  v1::Domain& d = *stored.mutable_domain();
  d.set_name("domains/" + domain);
  d.set_domain(domain);
  d.set_state(state);
  const domains::RecordOptions options;
  *d.add_records() = domains::SpfRecord(domain, options);
  *d.add_records() = domains::DmarcRecord(domain, options);
  *d.add_records() = domains::MtaStsRecord(domain, "20260102030405");
  *d.add_records() = domains::TlsRptRecord(domain, options);
  if (state == v1::Domain::VERIFIED) {
    for (v1::DnsRecord& r : *d.mutable_records()) r.set_status(v1::DnsRecord::FOUND);
  }
  return stored;
}

}  // namespace kirim::testing

#endif  // KIRIM_TESTS_DOMAINS_POLICY_STORED_DOMAIN_H_
