#include "server/domains/redis_domain_store.h"

#include <algorithm>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "server/common/status_macros.h"

namespace kirim {
namespace {

using redis::RedisValue;
using storage::v1::StoredDomain;

// KEYS: record, tenant index. ARGV: expected version ("0" = must not exist), new version,
// payload, domain. Returns 1 written, 0 version changed, -1 exists already, -2 gone.
constexpr char kWriteScript[] = R"lua(
local current = redis.call('HGET', KEYS[1], 'v')
if ARGV[1] == '0' then
  if current then return -1 end
else
  if not current then return -2 end
  if current ~= ARGV[1] then return 0 end
end
redis.call('HSET', KEYS[1], 'v', ARGV[2], 'p', ARGV[3])
redis.call('SADD', KEYS[2], ARGV[4])
return 1
)lua";

// KEYS: record, tenant index. ARGV: domain. Returns 1 deleted, 0 absent.
constexpr char kDeleteScript[] = R"lua(
local n = redis.call('DEL', KEYS[1])
redis.call('SREM', KEYS[2], ARGV[1])
return n
)lua";

absl::StatusOr<StoredDomain> Parse(const RedisValue& payload, absl::string_view version,
                                   absl::string_view domain) {
  StoredDomain d;
  int64_t v = 0;
  if (!d.ParseFromString(payload.str) || !absl::SimpleAtoi(version, &v)) {
    return absl::DataLossError(absl::StrCat("stored domain ", domain, " does not parse"));
  }
  d.set_version(v);
  return d;
}

absl::Status NotFound(absl::string_view domain) {
  return absl::NotFoundError(absl::StrCat("domain ", domain, " not found"));
}

}  // namespace

RedisDomainStore::RedisDomainStore(redis::RedisClient& redis, std::string key_prefix)
    : redis_(redis), key_prefix_(std::move(key_prefix)) {}

std::string RedisDomainStore::RecordKey(absl::string_view tenant, absl::string_view domain) const {
  return absl::StrCat(key_prefix_, ":{domains}:d:", tenant, ":", domain);
}

std::string RedisDomainStore::IndexKey(absl::string_view tenant) const {
  return absl::StrCat(key_prefix_, ":{domains}:t:", tenant);
}

absl::StatusOr<StoredDomain> RedisDomainStore::Get(absl::string_view tenant,
                                                   absl::string_view domain) {
  const std::string name = CanonicalDomain(domain);
  KIRIM_ASSIGN_OR_RETURN(RedisValue v, redis_.Command({"HMGET", RecordKey(tenant, name), "v", "p"}));
  if (v.elements.size() != 2 || v.elements[0].is_nil() || v.elements[1].is_nil()) {
    return NotFound(name);
  }
  return Parse(v.elements[1], v.elements[0].str, name);
}

absl::StatusOr<std::vector<StoredDomain>> RedisDomainStore::List(absl::string_view tenant) {
  KIRIM_ASSIGN_OR_RETURN(RedisValue names, redis_.Command({"SMEMBERS", IndexKey(tenant)}));
  std::vector<std::string> sorted;
  for (const RedisValue& n : names.elements) sorted.push_back(n.str);
  std::sort(sorted.begin(), sorted.end());
  std::vector<redis::Argv> reads;
  for (const std::string& n : sorted) reads.push_back({"HMGET", RecordKey(tenant, n), "v", "p"});
  std::vector<StoredDomain> out;
  if (reads.empty()) return out;
  KIRIM_ASSIGN_OR_RETURN(std::vector<RedisValue> replies, redis_.Pipeline(reads));
  for (size_t i = 0; i < replies.size(); ++i) {
    const RedisValue& r = replies[i];
    // Deleted between the two reads: not listed.
    if (r.elements.size() != 2 || r.elements[0].is_nil() || r.elements[1].is_nil()) continue;
    KIRIM_ASSIGN_OR_RETURN(StoredDomain d, Parse(r.elements[1], r.elements[0].str, sorted[i]));
    out.push_back(std::move(d));
  }
  return out;
}

absl::Status RedisDomainStore::Write(StoredDomain& record, int64_t expected_version) {
  const std::string name = CanonicalDomain(record.domain().domain());
  const int64_t next = expected_version + 1;
  StoredDomain copy = record;
  copy.set_version(0);  // the version lives in the hash field, not the payload
  KIRIM_ASSIGN_OR_RETURN(
      RedisValue r,
      redis_.Eval(kWriteScript, {RecordKey(record.tenant(), name), IndexKey(record.tenant())},
                  {absl::StrCat(expected_version), absl::StrCat(next), copy.SerializeAsString(),
                   name}));
  switch (r.integer) {
    case 1:
      record.set_version(next);
      return absl::OkStatus();
    case -1:
      return absl::AlreadyExistsError(absl::StrCat("domain ", name, " already exists"));
    case -2:
      return NotFound(name);
    default:
      return absl::AbortedError(
          absl::StrCat("domain ", name, " was changed concurrently; read it again and retry"));
  }
}

absl::Status RedisDomainStore::Create(StoredDomain& record) { return Write(record, 0); }

absl::Status RedisDomainStore::Update(StoredDomain& record) {
  if (record.version() <= 0) {
    return absl::InvalidArgumentError("Update needs a record read from the store (version > 0)");
  }
  return Write(record, record.version());
}

absl::Status RedisDomainStore::Delete(absl::string_view tenant, absl::string_view domain) {
  const std::string name = CanonicalDomain(domain);
  KIRIM_ASSIGN_OR_RETURN(RedisValue r, redis_.Eval(kDeleteScript,
                                                   {RecordKey(tenant, name), IndexKey(tenant)},
                                                   {name}));
  if (r.integer == 0) return NotFound(name);
  return absl::OkStatus();
}

}  // namespace kirim
