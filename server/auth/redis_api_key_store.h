// RedisApiKeyStore: the production ApiKeyStore, in Redis. Every replica reads the same keys and
// nothing is cached, so a revocation holds for the very next request anywhere.
//
//   redis::HiredisClient redis(options);
//   RealClock clock;
//   SecureRandom random;
//   RedisApiKeyStore keys(redis, clock, random);
//   KIRIM_RETURN_IF_ERROR(keys.Import(bootstrap_key, "admin", "bootstrap", {v1::ApiKey::ADMIN}));
//
// Layout (one hash tag, {keys}, so every script's keys share a cluster slot):
//   <prefix>:{keys}:k:<key_id>   string: serialized kirim.storage.v1.StoredApiKey (hash only)
//   <prefix>:{keys}:t:<tenant>   set of the tenant's key ids, revoked ones included
//
// Verify is one GET. Create, Import and Revoke write through one compare-and-set script (the
// record and the tenant index change together, and only if the record is still what was read),
// so concurrent writers from several replicas cannot lose an update. Errors from Redis pass
// through as redis::RedisClient classifies them: UNAVAILABLE when Redis is down.
//
// Thread-safe when `redis` and `random` are (HiredisClient and SecureRandom are).
#ifndef KIRIM_SERVER_AUTH_REDIS_API_KEY_STORE_H_
#define KIRIM_SERVER_AUTH_REDIS_API_KEY_STORE_H_

#include <optional>
#include <string>
#include <vector>

#include "kirim/storage/v1/api_key.pb.h"
#include "server/auth/api_key_store.h"
#include "server/common/clock.h"
#include "server/common/random.h"
#include "server/redis/redis_client.h"

namespace kirim {

class RedisApiKeyStore final : public ApiKeyStore {
 public:
  RedisApiKeyStore(redis::RedisClient& redis, const Clock& clock, Random& random,
                   std::string key_prefix = "kirim");

  absl::StatusOr<NewApiKey> Create(const std::string& tenant, const std::string& display_name,
                                   std::vector<v1::ApiKey::Scope> scopes) override;
  absl::Status Import(absl::string_view secret, const std::string& tenant,
                      const std::string& display_name,
                      std::vector<v1::ApiKey::Scope> scopes) override;
  absl::StatusOr<ApiKeyRecord> Verify(absl::string_view presented) override;
  absl::StatusOr<std::vector<ApiKeyRecord>> List(const std::string& tenant) override;
  absl::StatusOr<ApiKeyRecord> Revoke(const std::string& tenant,
                                      const std::string& key_id) override;

  // The Redis keys of the layout above (for tests and operators).
  std::string KeyRecordKey(absl::string_view key_id) const;
  std::string TenantIndexKey(absl::string_view tenant) const;

 private:
  // A stored key as read: the raw value (for compare-and-set) and its decoded parts.
  struct Stored {
    std::string raw;
    ApiKeyRecord record;
    std::string sha256;
  };

  // nullopt if there is no such key; DataLoss if its value does not parse.
  absl::StatusOr<std::optional<Stored>> Read(const std::string& key_id);
  // Writes `record` (with `sha256`) if the stored value is still `expected_raw` ("" = absent)
  // and indexes it under its tenant. False when another writer got there first.
  absl::StatusOr<bool> CompareAndSet(const ApiKeyRecord& record, absl::string_view sha256,
                                     absl::string_view expected_raw);

  redis::RedisClient& redis_;
  const Clock& clock_;
  Random& random_;
  const std::string key_prefix_;
};

}  // namespace kirim

#endif  // KIRIM_SERVER_AUTH_REDIS_API_KEY_STORE_H_
