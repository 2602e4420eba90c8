// DomainVerifier: checks the records of server/domains/dns_records.h against live DNS, through
// the Resolver seam (server/dns/resolver.h), and says in plain words what is wrong.
//
//   DomainVerifier verifier(resolver, options);        // the options the records were built with
//   absl::StatusOr<bool> verified = verifier.Verify(domain);
//   if (!verified.ok()) { ... DNS failed: keep the domain's state, retry later ... }
//   else if (*verified) { ... every required record is FOUND ... }
//   else { ... show domain.records: status, found_values and problem of each ... }
//
// Each record is checked by its purpose, against the value Kirim asked for (record.values
// joined), and gets a status: FOUND (receivers will accept it as Kirim needs), MISSING (nothing
// of its kind at record.host) or MISMATCHED (something is published but receivers would not
// honour it, or it does not authorize Kirim); `problem` says why. `found_values` holds the TXT
// records DNS returned that matter to the check: every record at the host, except for SPF,
// whose host is the domain itself, where only the records starting "v=spf1" are kept.
//
//   DKIM (RFC 6376 §3.6.1)    one key record at "<selector>._domainkey.<domain>" whose p= (FWS
//                             ignored) and k= (default rsa) are Kirim's; an empty p= is a
//                             revoked key, several key records are undefined (§3.6.2.2), h=
//                             must allow sha256, s= must allow email.
//   SPF (RFC 7208)            one record starting "v=spf1" (§3.2, §4.5) that authorizes Kirim:
//                             every configured include:X as an include mechanism, every
//                             configured IP inside an ip4:/ip6: network, neither with the '-'
//                             qualifier nor after an "all" (§5.1); at most 10 DNS-querying
//                             terms counted through include and redirect= (§4.6.4), every
//                             include target with an SPF record (§5.2), no unknown mechanism
//                             (§5), no "+all" / "all". Other terms of the owner's are fine.
//   DMARC (RFC 7489 §6.3)     one record at "_dmarc.<domain>" starting "v=DMARC1" with p= none,
//                             quarantine or reject (a stricter policy than Kirim's is fine).
//   MTA-STS (RFC 8461 §3.1),  advisory: one record starting "v=STSv1" / "v=TLSRPTv1" at the
//   TLS-RPT (RFC 8460 §3)     host. They never decide Verify's result.
//
// A lookup answered NXDOMAIN or NODATA is an answer (MISSING); any other lookup failure leaves
// the record NOT_CHECKED with problem "DNS lookup failed: ..." and is returned (kUnavailable
// for a timeout or SERVFAIL: retry later). Limitations: IPs are looked for in the record's own
// ip4:/ip6: terms, not behind a/mx/include; include targets using macros (RFC 7208 §7) are
// counted but not followed.
//
// Thread-safe when the resolver is: calls share no state (each has its own lookup cache).
#ifndef KIRIM_SERVER_DOMAINS_DOMAIN_VERIFIER_H_
#define KIRIM_SERVER_DOMAINS_DOMAIN_VERIFIER_H_

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "kirim/v1/domain_service.pb.h"
#include "server/dns/resolver.h"
#include "server/domains/dns_records.h"

namespace kirim::domains {

class DomainVerifier {
 public:
  // `resolver` must outlive the verifier. `options` are the ones the records were built with:
  // SPF checks that the configured includes and IPs are authorized.
  DomainVerifier(dns::Resolver& resolver, RecordOptions options);

  // Checks one record against DNS and fills status, found_values and problem (plain words,
  // e.g. "2 SPF records published; RFC 7208 §3.2 allows one, receivers answer permerror").
  // A DNS failure leaves status NOT_CHECKED with problem "DNS lookup failed: ..." and is
  // returned (kUnavailable from the resolver, unchanged). kInvalidArgument if the record is not
  // one Kirim builds (type not TXT, no purpose, a DKIM record whose value has no p=).
  absl::Status Check(v1::DnsRecord& record);

  // Checks every record of `domain` (domain.records and each dkim_keys[i].record; a name is
  // looked up once per call). Returns whether every required (non-advisory) record is FOUND.
  // Every record is checked even when one lookup fails; then the first failure of a required
  // record is returned (kUnavailable: retry later). A failed advisory lookup only leaves that
  // record NOT_CHECKED. kInvalidArgument, before anything is looked up, if `domain` has no
  // required record or a record Check would refuse.
  absl::StatusOr<bool> Verify(v1::Domain& domain);

 private:
  dns::Resolver& resolver_;
  const RecordOptions options_;
};

}  // namespace kirim::domains

#endif  // KIRIM_SERVER_DOMAINS_DOMAIN_VERIFIER_H_
