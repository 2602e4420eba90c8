// RedisDomainStore: DomainStore in Redis. One hash per domain
// ("<prefix>:{domains}:d:<tenant>:<domain>", fields v = version and p = serialized
// StoredDomain) and one set per tenant listing its domains ("<prefix>:{domains}:t:<tenant>").
// Every write is one Lua script, so the record and the index never disagree and the version
// check and the write are atomic. The {domains} hash tag keeps them in one cluster slot.
#ifndef KIRIM_SERVER_DOMAINS_REDIS_DOMAIN_STORE_H_
#define KIRIM_SERVER_DOMAINS_REDIS_DOMAIN_STORE_H_

#include <string>
#include <vector>

#include "server/domains/domain_store.h"
#include "server/redis/redis_client.h"

namespace kirim {

class RedisDomainStore final : public DomainStore {
 public:
  RedisDomainStore(redis::RedisClient& redis, std::string key_prefix);

  absl::StatusOr<storage::v1::StoredDomain> Get(absl::string_view tenant,
                                                absl::string_view domain) override;
  absl::StatusOr<std::vector<storage::v1::StoredDomain>> List(absl::string_view tenant) override;
  absl::Status Create(storage::v1::StoredDomain& record) override;
  absl::Status Update(storage::v1::StoredDomain& record) override;
  absl::Status Delete(absl::string_view tenant, absl::string_view domain) override;

 private:
  std::string RecordKey(absl::string_view tenant, absl::string_view domain) const;
  std::string IndexKey(absl::string_view tenant) const;
  absl::Status Write(storage::v1::StoredDomain& record, int64_t expected_version);

  redis::RedisClient& redis_;
  const std::string key_prefix_;
};

}  // namespace kirim

#endif  // KIRIM_SERVER_DOMAINS_REDIS_DOMAIN_STORE_H_
