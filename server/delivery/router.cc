#include "server/delivery/router.h"

#include "absl/strings/str_cat.h"
#include "server/common/status_macros.h"
#include "server/dns/mx_router.h"

namespace kirim {
namespace {

const char* TlsName(smtp::TlsMode tls) {
  switch (tls) {
    case smtp::TlsMode::kImplicit: return "implicit-tls";
    case smtp::TlsMode::kNone: return "plaintext";
    case smtp::TlsMode::kStartTlsOpportunistic: return "starttls-opportunistic";
    case smtp::TlsMode::kStartTlsRequired: return "starttls";
  }
  return "?";
}

}  // namespace

std::string RelayRouter::Describe() const {
  return absl::StrCat("relay ", relay_.host, ":", relay_.port, " ", TlsName(relay_.tls));
}

std::string MxRouter::Describe() const {
  return absl::StrCat("mx port ", options_.port, " ", TlsName(options_.tls));
}

absl::StatusOr<std::vector<Target>> MxRouter::Route(const std::string& domain) {
  KIRIM_ASSIGN_OR_RETURN(std::vector<dns::MxHost> hosts, dns::ResolveMx(resolver_, random_, domain));
  std::vector<Target> targets;
  absl::Status last = absl::OkStatus();
  for (const dns::MxHost& mx : hosts) {
    absl::StatusOr<std::vector<std::string>> addresses = resolver_.LookupAddresses(mx.host);
    if (!addresses.ok()) {
      // One broken MX host must not sink the others.
      last = addresses.status();
      continue;
    }
    const int n = std::min<int>(options_.max_addresses_per_host, addresses->size());
    for (int i = 0; i < n; ++i) targets.push_back({mx.host, (*addresses)[i], options_.port, options_.tls});
  }
  if (targets.empty()) {
    if (last.code() == absl::StatusCode::kNotFound || last.ok()) {
      return absl::NotFoundError(absl::StrCat("no MX host of ", domain, " has an address"));
    }
    return absl::UnavailableError(absl::StrCat("cannot resolve the MX hosts of ", domain, ": ", last.message()));
  }
  return targets;
}

}  // namespace kirim
