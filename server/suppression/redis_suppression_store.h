// RedisSuppressionStore: the production SuppressionStore, in Redis. Every replica reads the same
// keys and nothing is cached, so an entry added or removed holds for the very next send.
//
//   redis::HiredisClient redis(options);
//   RedisSuppressionStore suppressions(redis, config.redis().key_prefix());
//   KIRIM_ASSIGN_OR_RETURN(auto hits, suppressions.Lookup(tenant, recipients));
//
// Layout (one hash tag per tenant, {sup:<tenant>}, so a tenant's keys share a cluster slot and
// one script may write both):
//   <prefix>:{sup:<tenant>}:e   hash: normalized address -> serialized
//                               kirim.storage.v1.StoredSuppression
//   <prefix>:{sup:<tenant>}:a   sorted set of the same addresses, every score 0, so
//                               ZRANGEBYLEX pages through them in byte order
//
// Lookup is one HMGET; List is one read-only script (ZRANGEBYLEX, then the page's values).
// Add reads the entry and writes the merged one (MergeSuppression) through a compare-and-set
// script, so concurrent writers on several replicas cannot lose the stronger reason; Remove
// is one script. Hash and index change together in every write. Errors from Redis pass
// through as redis::RedisClient classifies them: UNAVAILABLE when Redis is down.
//
// Thread-safe when `redis` is (HiredisClient is).
#ifndef KIRIM_SERVER_SUPPRESSION_REDIS_SUPPRESSION_STORE_H_
#define KIRIM_SERVER_SUPPRESSION_REDIS_SUPPRESSION_STORE_H_

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "server/redis/redis_client.h"
#include "server/suppression/suppression_store.h"

namespace kirim {

class RedisSuppressionStore final : public SuppressionStore {
 public:
  explicit RedisSuppressionStore(redis::RedisClient& redis, std::string key_prefix = "kirim");

  absl::Status Add(const std::string& tenant, const SuppressionEntry& entry) override;
  absl::StatusOr<bool> Remove(const std::string& tenant, const std::string& address) override;
  absl::StatusOr<std::vector<std::optional<SuppressionEntry>>> Lookup(
      const std::string& tenant, const std::vector<std::string>& addresses) override;
  absl::StatusOr<std::pair<std::vector<SuppressionEntry>, std::string>> List(
      const std::string& tenant, int page_size, const std::string& page_token) override;

  // The Redis keys of the layout above (for tests and operators).
  std::string EntriesKey(absl::string_view tenant) const;
  std::string IndexKey(absl::string_view tenant) const;

 private:
  const std::string key_prefix_;
  redis::RedisClient& redis_;
};

}  // namespace kirim

#endif  // KIRIM_SERVER_SUPPRESSION_REDIS_SUPPRESSION_STORE_H_
