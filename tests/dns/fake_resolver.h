// FakeResolver: an in-memory zone behind the Resolver seam (server/dns/resolver.h), with the
// real resolver's semantics: names ignore case and a trailing dot, an unknown name is NXDOMAIN
// and a known name without records of the type asked for is NODATA (both kNotFound), and
// SetFailure injects a transient failure the way a SERVFAIL or timeout would appear. It passes
// the same contract suite as CaresResolver (tests/dns/resolver_contract.h).
//
//   kirim::testing::FakeResolver dns;
//   dns.AddMx("example.com", 10, "mx1.example.com");
//   dns.AddMx("nomail.example", 0, ".");                 // RFC 7505 null MX
//   dns.AddAddress("mx1.example.com", "192.0.2.25");
//   dns.AddTxt("example.com", "v=spf1 -all");
//   dns.SetFailure("down.example", absl::UnavailableError("SERVFAIL"));
//   dns.SetFailure("v6.example", absl::UnavailableError("timeout"), FakeResolver::Type::kAddress);
//
// Thread-safe.
#ifndef KIRIM_TESTS_DNS_FAKE_RESOLVER_H_
#define KIRIM_TESTS_DNS_FAKE_RESOLVER_H_

#include <algorithm>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "server/dns/resolver.h"

namespace kirim::testing {

class FakeResolver final : public dns::Resolver {
 public:
  // Which lookups SetFailure affects.
  enum class Type { kAny, kMx, kAddress, kTxt };

  // `exchange` "." (or "") is a null MX.
  void AddMx(const std::string& domain, int preference, const std::string& exchange) {
    absl::MutexLock lock(&mu_);
    zone_[dns::CanonicalName(domain)].mx.push_back(
        dns::MxRecord{preference, dns::CanonicalName(exchange)});
  }
  // `ip` in the textual form the real resolver returns ("192.0.2.1", "2001:db8::1"); A and
  // AAAA both go here, and lookups return IPv4 first like the real resolver.
  void AddAddress(const std::string& host, const std::string& ip) {
    absl::MutexLock lock(&mu_);
    zone_[dns::CanonicalName(host)].addresses.push_back(ip);
  }
  // One TXT record; `text` is its character-strings already concatenated.
  void AddTxt(const std::string& name, const std::string& text) {
    absl::MutexLock lock(&mu_);
    zone_[dns::CanonicalName(name)].txt.push_back(text);
  }
  // From now on, lookups of `name` (of `type`, or all) fail with `status`. OkStatus clears.
  void SetFailure(const std::string& name, absl::Status status, Type type = Type::kAny) {
    absl::MutexLock lock(&mu_);
    failures_[{dns::CanonicalName(name), type}] = std::move(status);
  }

  // Every lookup made so far, as "MX example.com", "ADDR mx1.example.com" or "TXT name", with
  // the name as given: for checking what was (not) asked.
  std::vector<std::string> queries() const {
    absl::MutexLock lock(&mu_);
    return queries_;
  }

  absl::StatusOr<std::vector<dns::MxRecord>> LookupMx(const std::string& domain) override {
    return Lookup(Type::kMx, "MX", domain, &Records::mx);
  }
  absl::StatusOr<std::vector<std::string>> LookupAddresses(const std::string& host) override {
    absl::StatusOr<std::vector<std::string>> found =
        Lookup(Type::kAddress, "A/AAAA", host, &Records::addresses);
    if (found.ok()) {
      std::stable_partition(found->begin(), found->end(),
                            [](const std::string& ip) { return ip.find(':') == ip.npos; });
    }
    return found;
  }
  absl::StatusOr<std::vector<std::string>> LookupTxt(const std::string& name) override {
    return Lookup(Type::kTxt, "TXT", name, &Records::txt);
  }

 private:
  struct Records {
    std::vector<dns::MxRecord> mx;
    std::vector<std::string> addresses;
    std::vector<std::string> txt;
  };

  template <typename T>
  absl::StatusOr<std::vector<T>> Lookup(Type type, const char* label, const std::string& name,
                                        std::vector<T> Records::*field) {
    absl::MutexLock lock(&mu_);
    queries_.push_back(absl::StrCat(type == Type::kAddress ? "ADDR" : label, " ", name));
    const std::string key = dns::CanonicalName(name);
    for (Type t : {type, Type::kAny}) {
      auto failure = failures_.find({key, t});
      if (failure != failures_.end() && !failure->second.ok()) return failure->second;
    }
    // The same wording as the real resolver, so tests can look for NXDOMAIN / NODATA.
    const std::string what = absl::StrCat("DNS ", label, " lookup for ", name, ": ");
    auto it = zone_.find(key);
    if (it == zone_.end()) {
      return absl::NotFoundError(absl::StrCat(what, "NXDOMAIN (the name does not exist)"));
    }
    const std::vector<T>& found = it->second.*field;
    if (found.empty()) {
      return absl::NotFoundError(absl::StrCat(what, "NODATA (no ", label, " records)"));
    }
    return found;
  }

  mutable absl::Mutex mu_;
  std::map<std::string, Records> zone_ ABSL_GUARDED_BY(mu_);
  std::map<std::pair<std::string, Type>, absl::Status> failures_ ABSL_GUARDED_BY(mu_);
  std::vector<std::string> queries_ ABSL_GUARDED_BY(mu_);
};

}  // namespace kirim::testing

#endif  // KIRIM_TESTS_DNS_FAKE_RESOLVER_H_
