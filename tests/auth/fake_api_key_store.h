// FakeApiKeyStore: an in-memory ApiKeyStore with the same contract as RedisApiKeyStore (it
// applies the same shared rules from api_key_store.h, and tests/auth runs one contract suite
// against both), for unit tests of the authenticator and the admin API.
// `set_unavailable(true)` makes every call that would reach Redis fail like a Redis outage.
//
//   FakeApiKeyStore keys;   // or FakeApiKeyStore keys(clock, random);
//   NewApiKey admin = *keys.Create("acme", "test", {v1::ApiKey::ADMIN});
//   ... present admin.secret to the code under test ...
#ifndef KIRIM_TESTS_AUTH_FAKE_API_KEY_STORE_H_
#define KIRIM_TESTS_AUTH_FAKE_API_KEY_STORE_H_

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "server/auth/api_key_store.h"
#include "tests/common/fake_clock.h"
#include "tests/common/fake_random.h"

namespace kirim::testing {

class FakeApiKeyStore final : public ApiKeyStore {
 public:
  // With its own FakeClock and FakeRandom.
  FakeApiKeyStore() : clock_(own_clock_), random_(own_random_) {}
  FakeApiKeyStore(const Clock& clock, Random& random) : clock_(clock), random_(random) {}

  void set_unavailable(bool unavailable) {
    absl::MutexLock lock(&mu_);
    unavailable_ = unavailable;
  }

  absl::StatusOr<NewApiKey> Create(const std::string& tenant, const std::string& display_name,
                                   std::vector<v1::ApiKey::Scope> scopes) override {
    absl::StatusOr<std::vector<v1::ApiKey::Scope>> checked =
        CheckKeyAttributes(tenant, display_name, std::move(scopes));
    if (!checked.ok()) return checked.status();
    absl::MutexLock lock(&mu_);
    if (unavailable_) return Down();
    NewApiKey made;
    do {
      made.secret = GenerateApiKeyString(random_);
      made.record.key_id = *ApiKeyIdOf(made.secret);
    } while (keys_.count(made.record.key_id) > 0);
    made.record.tenant = tenant;
    made.record.scopes = *std::move(checked);
    made.record.display_name = display_name;
    made.record.create_time = clock_.Now();
    keys_[made.record.key_id] = Entry{made.record, HashApiKey(made.secret)};
    return made;
  }

  absl::Status Import(absl::string_view secret, const std::string& tenant,
                      const std::string& display_name,
                      std::vector<v1::ApiKey::Scope> scopes) override {
    absl::StatusOr<std::string> key_id = ApiKeyIdOf(secret);
    if (!key_id.ok()) return key_id.status();
    absl::StatusOr<std::vector<v1::ApiKey::Scope>> checked =
        CheckKeyAttributes(tenant, display_name, std::move(scopes));
    if (!checked.ok()) return checked.status();
    absl::MutexLock lock(&mu_);
    if (unavailable_) return Down();
    auto it = keys_.find(*key_id);
    if (it == keys_.end()) {
      keys_[*key_id] = Entry{ApiKeyRecord{*key_id, tenant, *std::move(checked), display_name,
                                          clock_.Now(), std::nullopt},
                             HashApiKey(secret)};
      return absl::OkStatus();
    }
    absl::StatusOr<ApiKeyRecord> updated = ApplyImport(it->second.record, it->second.sha256, secret,
                                                       tenant, display_name, *std::move(checked));
    if (!updated.ok()) return updated.status();
    it->second.record = *std::move(updated);
    return absl::OkStatus();
  }

  absl::StatusOr<ApiKeyRecord> Verify(absl::string_view presented) override {
    absl::StatusOr<std::string> key_id = ApiKeyIdOf(presented);
    if (!key_id.ok()) return InvalidApiKeyError();
    absl::MutexLock lock(&mu_);
    if (unavailable_) return Down();
    auto it = keys_.find(*key_id);
    if (it == keys_.end() || !ApiKeyHashMatches(it->second.sha256, presented) ||
        it->second.record.revoked()) {
      return InvalidApiKeyError();
    }
    return it->second.record;
  }

  absl::StatusOr<std::vector<ApiKeyRecord>> List(const std::string& tenant) override {
    absl::Status valid = ValidateTenant(tenant);
    if (!valid.ok()) return valid;
    absl::MutexLock lock(&mu_);
    if (unavailable_) return Down();
    std::vector<ApiKeyRecord> out;
    for (const auto& [id, entry] : keys_) {
      if (entry.record.tenant == tenant) out.push_back(entry.record);
    }
    SortNewestFirst(out);
    return out;
  }

  absl::StatusOr<ApiKeyRecord> Revoke(const std::string& tenant,
                                      const std::string& key_id) override {
    absl::Status valid = CheckKeyRef(tenant, key_id);
    if (!valid.ok()) return valid;
    absl::MutexLock lock(&mu_);
    if (unavailable_) return Down();
    auto it = keys_.find(key_id);
    if (it == keys_.end()) return ApiKeyNotFoundError(key_id);
    absl::StatusOr<ApiKeyRecord> revoked = ApplyRevoke(it->second.record, tenant, clock_.Now());
    if (revoked.ok()) it->second.record = *revoked;
    return revoked;
  }

 private:
  struct Entry {
    ApiKeyRecord record;
    std::string sha256;
  };

  static absl::Status Down() { return absl::UnavailableError("fake redis down"); }

  // Declared before the references that may point at them.
  FakeClock own_clock_;
  FakeRandom own_random_;
  const Clock& clock_;
  Random& random_;
  absl::Mutex mu_;
  bool unavailable_ ABSL_GUARDED_BY(mu_) = false;
  std::map<std::string, Entry> keys_ ABSL_GUARDED_BY(mu_);  // by key id
};

}  // namespace kirim::testing

#endif  // KIRIM_TESTS_AUTH_FAKE_API_KEY_STORE_H_
