// FakeDomainStore: DomainStore in memory, with the same compare-and-set semantics as
// RedisDomainStore (both pass tests/domains/store/domain_store_contract_test.cc). SetDown
// makes every call fail like a Redis outage. Thread-safe.
#ifndef KIRIM_TESTS_DOMAINS_STORE_FAKE_DOMAIN_STORE_H_
#define KIRIM_TESTS_DOMAINS_STORE_FAKE_DOMAIN_STORE_H_

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "server/domains/domain_store.h"

namespace kirim::testing {

class FakeDomainStore final : public DomainStore {
 public:
  absl::StatusOr<storage::v1::StoredDomain> Get(absl::string_view tenant,
                                                absl::string_view domain) override {
    absl::MutexLock lock(&mu_);
    if (!down_.ok()) return down_;
    ++reads_;
    auto it = domains_.find({std::string(tenant), CanonicalDomain(domain)});
    if (it == domains_.end()) return NotFound(CanonicalDomain(domain));
    return it->second;
  }
  absl::StatusOr<std::vector<storage::v1::StoredDomain>> List(absl::string_view tenant) override {
    absl::MutexLock lock(&mu_);
    if (!down_.ok()) return down_;
    std::vector<storage::v1::StoredDomain> out;
    for (const auto& [key, d] : domains_) {
      if (key.first == tenant) out.push_back(d);
    }
    return out;
  }
  absl::Status Create(storage::v1::StoredDomain& record) override {
    absl::MutexLock lock(&mu_);
    if (!down_.ok()) return down_;
    const std::string name = CanonicalDomain(record.domain().domain());
    auto [it, inserted] = domains_.try_emplace({record.tenant(), name});
    if (!inserted) return absl::AlreadyExistsError(absl::StrCat("domain ", name, " already exists"));
    record.set_version(1);
    it->second = record;
    return absl::OkStatus();
  }
  absl::Status Update(storage::v1::StoredDomain& record) override {
    absl::MutexLock lock(&mu_);
    if (!down_.ok()) return down_;
    if (record.version() <= 0) {
      return absl::InvalidArgumentError("Update needs a record read from the store (version > 0)");
    }
    const std::string name = CanonicalDomain(record.domain().domain());
    auto it = domains_.find({record.tenant(), name});
    if (it == domains_.end()) return NotFound(name);
    if (it->second.version() != record.version()) {
      return absl::AbortedError(
          absl::StrCat("domain ", name, " was changed concurrently; read it again and retry"));
    }
    record.set_version(record.version() + 1);
    it->second = record;
    return absl::OkStatus();
  }
  absl::Status Delete(absl::string_view tenant, absl::string_view domain) override {
    absl::MutexLock lock(&mu_);
    if (!down_.ok()) return down_;
    if (domains_.erase({std::string(tenant), CanonicalDomain(domain)}) == 0) {
      return NotFound(CanonicalDomain(domain));
    }
    return absl::OkStatus();
  }

  // From now on every call fails with `status` (OkStatus: up again).
  void SetDown(absl::Status status) {
    absl::MutexLock lock(&mu_);
    down_ = std::move(status);
  }
  // How many Get calls were answered (for tests of caching callers).
  int reads() {
    absl::MutexLock lock(&mu_);
    return reads_;
  }

 private:
  static absl::Status NotFound(absl::string_view name) {
    return absl::NotFoundError(absl::StrCat("domain ", name, " not found"));
  }
  absl::Mutex mu_;
  std::map<std::pair<std::string, std::string>, storage::v1::StoredDomain> domains_
      ABSL_GUARDED_BY(mu_);
  absl::Status down_ ABSL_GUARDED_BY(mu_);
  int reads_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace kirim::testing

#endif  // KIRIM_TESTS_DOMAINS_STORE_FAKE_DOMAIN_STORE_H_
