// RedisTemplateStore: the production TemplateStore, in Redis. Every replica reads the same keys
// and nothing is cached, so a template created or deleted holds for the very next batch.
//
//   redis::HiredisClient redis(options);
//   RedisTemplateStore templates(redis, config.redis().key_prefix());
//   KIRIM_ASSIGN_OR_RETURN(v1::Template t, templates.Get(tenant, "welcome"));
//
// Layout (one hash tag per tenant, {tpl:<tenant>}, so a tenant's keys share a cluster slot and
// one script may write them together):
//   <prefix>:{tpl:<tenant>}:<id>   string: the serialized kirim.v1.Template as stored
//   <prefix>:{tpl:<tenant>}        sorted set of the tenant's ids, every score 0, so
//                                  ZRANGEBYLEX pages through them in byte order
// The index key has no ":<id>" suffix, so no template id can ever name it.
//
// Get is one GET; Create (SET NX, then ZADD) and Delete (DEL, then ZREM) are one script each,
// so a template and its index entry change together; List is one read-only script
// (ZRANGEBYLEX, then the page's values; the value keys it reads are derived inside the script
// and share the index's slot). Errors from Redis pass through as redis::RedisClient classifies
// them: UNAVAILABLE when Redis is down; a value that does not parse is DATA_LOSS.
//
// Thread-safe when `redis` is (HiredisClient is).
#ifndef KIRIM_SERVER_TEMPLATES_REDIS_TEMPLATE_STORE_H_
#define KIRIM_SERVER_TEMPLATES_REDIS_TEMPLATE_STORE_H_

#include <string>
#include <utility>
#include <vector>

#include "server/redis/redis_client.h"
#include "server/templates/template_store.h"

namespace kirim {

class RedisTemplateStore final : public TemplateStore {
 public:
  explicit RedisTemplateStore(redis::RedisClient& redis, std::string key_prefix = "kirim");

  absl::StatusOr<v1::Template> Create(absl::string_view tenant, absl::string_view id,
                                      v1::Template t, absl::Time now) override;
  absl::StatusOr<v1::Template> Get(absl::string_view tenant, absl::string_view id) override;
  absl::StatusOr<std::pair<std::vector<v1::Template>, std::string>> List(
      absl::string_view tenant, int page_size, absl::string_view page_token) override;
  absl::Status Delete(absl::string_view tenant, absl::string_view id) override;

  // The Redis keys of the layout above (for tests and operators).
  std::string TemplateKey(absl::string_view tenant, absl::string_view id) const;
  std::string IndexKey(absl::string_view tenant) const;

 private:
  const std::string key_prefix_;
  redis::RedisClient& redis_;
};

}  // namespace kirim

#endif  // KIRIM_SERVER_TEMPLATES_REDIS_TEMPLATE_STORE_H_
