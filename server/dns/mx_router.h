// Route selection for direct-to-MX delivery (RFC 5321 §5.1): which hosts to try, in which
// order, for one recipient domain.
//
//   KIRIM_ASSIGN_OR_RETURN(std::vector<MxHost> route, ResolveMx(resolver, random, "example.com"));
//   for (const MxHost& mx : route) {
//     ... LookupAddresses(mx.host), try each address; on a transient failure, the next host ...
//   }
//
// The rules, in the order they apply:
//   - The domain is checked first: an address literal ("[192.0.2.1]", delivered to directly
//     without DNS), bad syntax or non-ASCII (convert to A-labels first) -> kInvalidArgument.
//     A trailing dot and upper case are accepted.
//   - MX records exist: sorted by preference, lowest first; hosts of equal preference in a
//     random order drawn from `random`, so load spreads over them (RFC 5321 §5.1 "SHOULD
//     randomize"); an exchange listed twice keeps its best preference only.
//   - The only MX record is "." -> kFailedPrecondition "domain accepts no mail (null MX,
//     RFC 7505)": a permanent failure, bounce without retrying. ("." next to real exchanges
//     violates RFC 7505 §3; the real exchanges are used.)
//   - No MX records (NXDOMAIN or NODATA) but A/AAAA records -> the domain itself as an
//     implicit MX of preference 0 (RFC 5321 §5.1), marked `implicit`.
//   - Neither MX nor address records -> kNotFound: permanent, the domain cannot take mail.
//   - Any lookup failing transiently -> its kUnavailable, unchanged: retry later.
//
// The addresses of each host are not resolved here: the caller resolves them just before
// connecting, host by host, so a long list costs no lookups it does not use.
#ifndef KIRIM_SERVER_DNS_MX_ROUTER_H_
#define KIRIM_SERVER_DNS_MX_ROUTER_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "server/common/random.h"
#include "server/dns/resolver.h"

namespace kirim::dns {

// One delivery target.
struct MxHost {
  // Host name in CanonicalName form (lower case, no trailing dot).
  std::string host;
  int preference = 0;
  // True when the domain had no MX and this is the domain itself (A/AAAA fallback).
  bool implicit = false;

  friend bool operator==(const MxHost& a, const MxHost& b) {
    return a.host == b.host && a.preference == b.preference && a.implicit == b.implicit;
  }
};

// The ordered delivery targets for `domain` (see the rules above). Never empty when ok.
absl::StatusOr<std::vector<MxHost>> ResolveMx(Resolver& resolver, Random& random,
                                              const std::string& domain);

}  // namespace kirim::dns

#endif  // KIRIM_SERVER_DNS_MX_ROUTER_H_
