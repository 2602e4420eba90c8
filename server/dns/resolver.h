// The DNS seam: the three lookups direct-to-MX delivery, SPF/DKIM/DMARC checks and domain
// verification need, and nothing else. Production wires CaresResolver
// (server/dns/cares_resolver.h); tests use kirim::testing::FakeResolver
// (tests/dns/fake_resolver.h), which passes the same contract suite
// (tests/dns/resolver_contract.h).
//
//   absl::StatusOr<std::vector<MxRecord>> mx = resolver.LookupMx("example.com");
//   if (absl::IsNotFound(mx.status())) { ... no MX: fall back to the A/AAAA records ... }
//   else if (!mx.ok()) { ... DNS failed: retry later ... }
//
// Status codes, chosen by what the caller should do:
//   kNotFound     the name does not exist (NXDOMAIN, RFC 1035 §4.1.1 RCODE 3) or has no records
//                 of the type asked for (NODATA, RFC 2308 §2.2). Both are answers, not failures:
//                 "no MX" must stay distinguishable from "DNS failed". The message says which
//                 ("NXDOMAIN" or "NODATA").
//   kUnavailable  no usable answer: timeout, SERVFAIL, REFUSED, connection refused, a malformed
//                 reply. Transient: retry with backoff (RFC 5321 §5.1 asks senders to queue,
//                 not bounce, on a temporary DNS failure).
//   kInvalidArgument  the name cannot be queried at all (the caller's bug).
//
// Names are ASCII (A-labels, RFC 5890): convert internationalized names before asking. Names
// compare case-insensitively (RFC 4343) and a trailing dot is optional.
#ifndef KIRIM_SERVER_DNS_RESOLVER_H_
#define KIRIM_SERVER_DNS_RESOLVER_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/ascii.h"
#include "absl/strings/string_view.h"
#include "absl/strings/strip.h"

namespace kirim::dns {

// One MX resource record (RFC 1035 §3.3.9).
struct MxRecord {
  // Lower preference = tried first (RFC 5321 §5.1).
  int preference = 0;
  // The mail exchanger, in CanonicalName form. Empty for the root name ".", i.e. an RFC 7505
  // null MX ("this domain accepts no mail").
  std::string exchange;

  friend bool operator==(const MxRecord& a, const MxRecord& b) {
    return a.preference == b.preference && a.exchange == b.exchange;
  }
};

class Resolver {
 public:
  virtual ~Resolver() = default;

  // The MX records of `domain`, in the order the server sent them (unsorted: ordering is
  // route selection's job, server/dns/mx_router.h). Never empty when ok.
  virtual absl::StatusOr<std::vector<MxRecord>> LookupMx(const std::string& domain) = 0;

  // The IPv4 (A) and IPv6 (AAAA) addresses of `host` in textual form ("192.0.2.1",
  // "2001:db8::1"), IPv4 first. Never empty when ok. If one family answers and the other
  // fails, the addresses found are returned: they are enough to try delivery.
  virtual absl::StatusOr<std::vector<std::string>> LookupAddresses(const std::string& host) = 0;

  // The TXT records of `name`, one string per record: a record's character-strings (each at
  // most 255 bytes, RFC 1035 §3.3.14) concatenated without separator, as SPF (RFC 7208 §3.3)
  // and DKIM (RFC 6376 §3.6.2.2) read them. Never empty when ok.
  virtual absl::StatusOr<std::vector<std::string>> LookupTxt(const std::string& name) = 0;
};

// The form names take across this seam: lower case, without the trailing dot of an absolute
// name, so that equal names compare equal as strings ("MX1.Example.COM." -> "mx1.example.com").
inline std::string CanonicalName(absl::string_view name) {
  return absl::AsciiStrToLower(absl::StripSuffix(name, "."));
}

}  // namespace kirim::dns

#endif  // KIRIM_SERVER_DNS_RESOLVER_H_
