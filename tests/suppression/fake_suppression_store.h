// FakeSuppressionStore: an in-memory SuppressionStore with the same contract as
// RedisSuppressionStore (it applies the same shared rules from suppression_store.h, and
// tests/suppression runs one contract suite against both), for unit tests of the admin API, the
// send path and the worker. `set_unavailable(true)` makes every call that would reach Redis fail
// like a Redis outage; `lookup_calls()` counts Lookups (each one Redis round trip).
//
//   FakeSuppressionStore suppressions;
//   ASSERT_TRUE(suppressions.Add("acme", {"ana@example.com", v1::Suppression::MANUAL, "", t}).ok());
//   ... the code under test must now skip ana@example.com for tenant acme ...
#ifndef KIRIM_TESTS_SUPPRESSION_FAKE_SUPPRESSION_STORE_H_
#define KIRIM_TESTS_SUPPRESSION_FAKE_SUPPRESSION_STORE_H_

#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "server/auth/api_key_store.h"
#include "server/suppression/suppression_store.h"

namespace kirim::testing {

class FakeSuppressionStore final : public SuppressionStore {
 public:
  void set_unavailable(bool unavailable) {
    absl::MutexLock lock(&mu_);
    unavailable_ = unavailable;
  }
  int lookup_calls() const {
    absl::MutexLock lock(&mu_);
    return lookup_calls_;
  }

  absl::Status Add(const std::string& tenant, const SuppressionEntry& entry) override {
    absl::StatusOr<SuppressionEntry> incoming = CheckSuppressionEntry(tenant, entry);
    if (!incoming.ok()) return incoming.status();
    absl::MutexLock lock(&mu_);
    if (unavailable_) return Down();
    std::map<std::string, SuppressionEntry>& list = lists_[tenant];
    auto it = list.find(incoming->address);
    std::optional<SuppressionEntry> stored;
    if (it != list.end()) stored = it->second;
    std::optional<SuppressionEntry> merged = MergeSuppression(stored, *incoming);
    if (merged.has_value()) list[incoming->address] = *std::move(merged);
    return absl::OkStatus();
  }

  absl::StatusOr<bool> Remove(const std::string& tenant, const std::string& address) override {
    if (absl::Status s = ValidateTenant(tenant); !s.ok()) return s;
    absl::StatusOr<std::string> normalized = CanonicalAddress(address);
    if (!normalized.ok()) return normalized.status();
    absl::MutexLock lock(&mu_);
    if (unavailable_) return Down();
    return lists_[tenant].erase(*normalized) > 0;
  }

  absl::StatusOr<std::vector<std::optional<SuppressionEntry>>> Lookup(
      const std::string& tenant, const std::vector<std::string>& addresses) override {
    if (absl::Status s = ValidateTenant(tenant); !s.ok()) return s;
    std::vector<std::string> normalized;
    for (size_t i = 0; i < addresses.size(); ++i) {
      absl::StatusOr<std::string> n = CanonicalAddress(addresses[i]);
      if (!n.ok()) {
        return absl::InvalidArgumentError(absl::StrCat("addresses[", i, "]: ", n.status().message()));
      }
      normalized.push_back(*std::move(n));
    }
    absl::MutexLock lock(&mu_);
    std::vector<std::optional<SuppressionEntry>> out(addresses.size());
    if (addresses.empty()) return out;
    ++lookup_calls_;
    if (unavailable_) return Down();
    const std::map<std::string, SuppressionEntry>& list = lists_[tenant];
    for (size_t i = 0; i < normalized.size(); ++i) {
      auto it = list.find(normalized[i]);
      if (it != list.end()) out[i] = it->second;
    }
    return out;
  }

  absl::StatusOr<std::pair<std::vector<SuppressionEntry>, std::string>> List(
      const std::string& tenant, int page_size, const std::string& page_token) override {
    absl::StatusOr<SuppressionPageRequest> page = CheckListArgs(tenant, page_size, page_token);
    if (!page.ok()) return page.status();
    absl::MutexLock lock(&mu_);
    if (unavailable_) return Down();
    const std::map<std::string, SuppressionEntry>& list = lists_[tenant];
    std::pair<std::vector<SuppressionEntry>, std::string> out;
    for (auto it = page->after.empty() ? list.begin() : list.upper_bound(page->after);
         it != list.end(); ++it) {
      if (out.first.size() == static_cast<size_t>(page->limit)) {
        out.second = SuppressionPageToken(out.first.back().address);
        break;
      }
      out.first.push_back(it->second);
    }
    return out;
  }

 private:
  static absl::Status Down() { return absl::UnavailableError("fake redis down"); }

  mutable absl::Mutex mu_;
  bool unavailable_ ABSL_GUARDED_BY(mu_) = false;
  int lookup_calls_ ABSL_GUARDED_BY(mu_) = 0;
  // Tenant -> normalized address -> entry; std::map orders addresses byte by byte, as Redis's
  // ZRANGEBYLEX does.
  std::map<std::string, std::map<std::string, SuppressionEntry>> lists_ ABSL_GUARDED_BY(mu_);
};

}  // namespace kirim::testing

#endif  // KIRIM_TESTS_SUPPRESSION_FAKE_SUPPRESSION_STORE_H_
