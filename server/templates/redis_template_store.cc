#include "server/templates/redis_template_store.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "server/common/status_macros.h"

namespace kirim {
namespace {

using redis::RedisValue;

// KEYS: template, index. ARGV: serialized template, id. Returns 1 created, 0 exists already.
constexpr char kCreateScript[] = R"lua(
if not redis.call('SET', KEYS[1], ARGV[1], 'NX') then return 0 end
redis.call('ZADD', KEYS[2], 0, ARGV[2])
return 1
)lua";

// KEYS: template, index. ARGV: id. Returns 1 if the template was there. The index entry goes
// in any case, so an index that lags the values heals itself.
constexpr char kDeleteScript[] = R"lua(
local n = redis.call('DEL', KEYS[1])
redis.call('ZREM', KEYS[2], ARGV[1])
return n
)lua";

// KEYS: index. ARGV: ZRANGEBYLEX start ("-" or "(<id>"), how many, the value keys' prefix
// ("<prefix>:{tpl:<tenant>}:", same slot as the index). Returns id, value, id, value, ...; a
// value is nil when the index lags the values.
constexpr char kPageScript[] = R"lua(
local ids = redis.call('ZRANGEBYLEX', KEYS[1], ARGV[1], '+', 'LIMIT', 0, tonumber(ARGV[2]))
local out = {}
for _, id in ipairs(ids) do
  out[#out + 1] = id
  out[#out + 1] = redis.call('GET', ARGV[3] .. id)
end
return out
)lua";

absl::StatusOr<v1::Template> Decode(absl::string_view id, const std::string& raw) {
  v1::Template t;
  if (!t.ParseFromString(raw)) {
    return absl::DataLossError(absl::StrCat("stored template ", TemplateName(id),
                                            " does not parse"));
  }
  return t;
}

}  // namespace

RedisTemplateStore::RedisTemplateStore(redis::RedisClient& redis, std::string key_prefix)
    : key_prefix_(std::move(key_prefix)), redis_(redis) {}

std::string RedisTemplateStore::TemplateKey(absl::string_view tenant, absl::string_view id) const {
  return absl::StrCat(IndexKey(tenant), ":", id);
}

std::string RedisTemplateStore::IndexKey(absl::string_view tenant) const {
  return absl::StrCat(key_prefix_, ":{tpl:", tenant, "}");
}

absl::StatusOr<v1::Template> RedisTemplateStore::Create(absl::string_view tenant,
                                                        absl::string_view id, v1::Template t,
                                                        absl::Time now) {
  KIRIM_RETURN_IF_ERROR(CheckTemplateKey(tenant, id));
  v1::Template stored = StampTemplate(id, std::move(t), now);
  KIRIM_ASSIGN_OR_RETURN(
      RedisValue created,
      redis_.Eval(kCreateScript, {TemplateKey(tenant, id), IndexKey(tenant)},
                  {stored.SerializeAsString(), std::string(id)}));
  if (created.integer != 1) return TemplateExistsError(id);
  return stored;
}

absl::StatusOr<v1::Template> RedisTemplateStore::Get(absl::string_view tenant,
                                                     absl::string_view id) {
  KIRIM_RETURN_IF_ERROR(CheckTemplateKey(tenant, id));
  KIRIM_ASSIGN_OR_RETURN(RedisValue raw, redis_.Command({"GET", TemplateKey(tenant, id)}));
  if (raw.is_nil()) return TemplateNotFoundError(id);
  return Decode(id, raw.str);
}

absl::StatusOr<std::pair<std::vector<v1::Template>, std::string>> RedisTemplateStore::List(
    absl::string_view tenant, int page_size, absl::string_view page_token) {
  KIRIM_ASSIGN_OR_RETURN(const TemplatePageRequest page,
                         CheckTemplateListArgs(tenant, page_size, page_token));
  // One more than asked for tells whether another page follows.
  KIRIM_ASSIGN_OR_RETURN(
      RedisValue reply,
      redis_.Eval(kPageScript, {IndexKey(tenant)},
                  {page.after.empty() ? "-" : absl::StrCat("(", page.after),
                   absl::StrCat(page.limit + 1), absl::StrCat(IndexKey(tenant), ":")}));
  const size_t scanned = reply.elements.size() / 2;
  std::pair<std::vector<v1::Template>, std::string> out;
  for (size_t i = 0; i < scanned && i < static_cast<size_t>(page.limit); ++i) {
    const RedisValue& value = reply.elements[2 * i + 1];
    if (value.is_nil()) continue;  // the index lags the values (an operator's DEL)
    KIRIM_ASSIGN_OR_RETURN(v1::Template t, Decode(reply.elements[2 * i].str, value.str));
    out.first.push_back(std::move(t));
  }
  if (scanned > static_cast<size_t>(page.limit)) {
    out.second = TemplatePageToken(reply.elements[2 * (page.limit - 1)].str);
  }
  return out;
}

absl::Status RedisTemplateStore::Delete(absl::string_view tenant, absl::string_view id) {
  KIRIM_RETURN_IF_ERROR(CheckTemplateKey(tenant, id));
  KIRIM_ASSIGN_OR_RETURN(RedisValue deleted,
                         redis_.Eval(kDeleteScript, {TemplateKey(tenant, id), IndexKey(tenant)},
                                     {std::string(id)}));
  if (deleted.integer != 1) return TemplateNotFoundError(id);
  return absl::OkStatus();
}

}  // namespace kirim
