#include "server/dns/mx_router.h"

#include <algorithm>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/strings/strip.h"
#include "server/address/address.h"

namespace kirim::dns {
namespace {

// The domain in CanonicalName form, or kInvalidArgument.
absl::StatusOr<std::string> CheckDomain(const std::string& domain) {
  absl::string_view name = absl::StripSuffix(domain, ".");
  if (absl::StartsWith(name, "[")) {
    return absl::InvalidArgumentError(
        absl::StrCat("\"", absl::CHexEscape(domain),
                     "\" is an address literal: deliver to it directly, without an MX lookup "
                     "(RFC 5321 §5.1)"));
  }
  // server/address owns Kirim's RFC 5321 §4.1.2 domain syntax; asking it about a one-letter
  // mailbox at this domain keeps the two from ever disagreeing on what a domain is.
  absl::StatusOr<Mailbox> probe = ParseAddrSpec(absl::StrCat("x@", name));
  if (!probe.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "invalid mail domain \"", absl::CHexEscape(domain), "\": ", probe.status().message()));
  }
  // The address syntax allows U-labels (RFC 6531 §3.3) but DNS holds A-labels: the caller
  // converts first (DomainToAscii, server/address/idna.h).
  if (NeedsSmtpUtf8(*probe)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "invalid mail domain \"", absl::CHexEscape(domain),
        "\": U-labels must be converted to A-labels (xn--) before an MX lookup"));
  }
  return std::move(probe->domain);
}

// RFC 5321 §5.1 ordering of MX records that came back for `domain`.
absl::StatusOr<std::vector<MxHost>> Order(const std::vector<MxRecord>& records, Random& random,
                                          const std::string& domain) {
  // An exchange listed twice keeps its best preference, so a duplicate neither wins a second
  // chance in the shuffle nor shows up twice in the route. std::map: a deterministic order
  // before the shuffle, so a seeded Random reproduces a route.
  std::map<std::string, int> best;
  for (const MxRecord& record : records) {
    std::string host = CanonicalName(record.exchange);
    // "." (empty) is RFC 7505's null MX: it names no host to deliver to.
    if (host.empty()) continue;
    auto [it, inserted] = best.emplace(host, record.preference);
    if (!inserted) it->second = std::min(it->second, record.preference);
  }
  if (best.empty()) {
    return absl::FailedPreconditionError(
        absl::StrCat(domain, ": domain accepts no mail (null MX, RFC 7505)"));
  }
  std::vector<MxHost> hosts;
  for (const auto& [host, preference] : best) hosts.push_back(MxHost{host, preference});
  std::stable_sort(hosts.begin(), hosts.end(),
                   [](const MxHost& a, const MxHost& b) { return a.preference < b.preference; });
  // Fisher-Yates within each run of equal preference.
  for (size_t start = 0; start < hosts.size();) {
    size_t end = start;
    while (end < hosts.size() && hosts[end].preference == hosts[start].preference) ++end;
    for (size_t i = end - start; i > 1; --i) {
      std::swap(hosts[start + i - 1], hosts[start + random.Uint64() % i]);
    }
    start = end;
  }
  return hosts;
}

}  // namespace

absl::StatusOr<std::vector<MxHost>> ResolveMx(Resolver& resolver, Random& random,
                                              const std::string& domain) {
  absl::StatusOr<std::string> name = CheckDomain(domain);
  if (!name.ok()) return name.status();

  absl::StatusOr<std::vector<MxRecord>> mx = resolver.LookupMx(*name);
  if (mx.ok() && !mx->empty()) return Order(*mx, random, *name);
  if (!mx.ok() && !absl::IsNotFound(mx.status())) return mx.status();

  // No MX: RFC 5321 §5.1's implicit MX, the domain itself, if it has an address.
  absl::StatusOr<std::vector<std::string>> addresses = resolver.LookupAddresses(*name);
  if (addresses.ok() && !addresses->empty()) {
    return std::vector<MxHost>{MxHost{*name, 0, /*implicit=*/true}};
  }
  if (!addresses.ok() && !absl::IsNotFound(addresses.status())) return addresses.status();
  // Keep the resolver's word (NXDOMAIN or NODATA) for the bounce message.
  absl::string_view why = mx.ok() ? "empty MX answer" : mx.status().message();
  return absl::NotFoundError(absl::StrCat(*name, ": no MX and no A/AAAA records (", why, ")"));
}

}  // namespace kirim::dns
