#include "server/suppression/redis_suppression_store.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "kirim/storage/v1/suppression.pb.h"
#include "server/auth/api_key_store.h"
#include "server/common/proto_time.h"
#include "server/common/status_macros.h"

namespace kirim {
namespace {

using redis::RedisValue;
using storage::v1::StoredSuppression;

// Add retries its compare-and-set this often before giving up with ABORTED; losing that many
// races in a row on one address means something is rewriting it in a loop.
constexpr int kMaxAttempts = 5;

// KEYS: entries hash, index. ARGV: address, expected value ("" = absent), new value.
// A serialized StoredSuppression is never empty (its reason is set), so "" is free as a marker.
constexpr char kCompareAndSetScript[] = R"lua(
local current = redis.call('HGET', KEYS[1], ARGV[1])
if (current or '') ~= ARGV[2] then return 0 end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[3])
redis.call('ZADD', KEYS[2], 0, ARGV[1])
return 1
)lua";

// KEYS: entries hash, index. ARGV: address. Returns 1 if the entry was there. The index entry
// goes in any case, so an index that lags the hash heals itself.
constexpr char kRemoveScript[] = R"lua(
local removed = redis.call('HDEL', KEYS[1], ARGV[1])
redis.call('ZREM', KEYS[2], ARGV[1])
return removed
)lua";

// KEYS: entries hash, index. ARGV: ZRANGEBYLEX start ("-" or "(<address>"), how many.
// Returns address, value, address, value, ...; a value is nil when the index lags the hash.
constexpr char kPageScript[] = R"lua(
local addresses = redis.call('ZRANGEBYLEX', KEYS[2], ARGV[1], '+', 'LIMIT', 0, tonumber(ARGV[2]))
local out = {}
for _, address in ipairs(addresses) do
  out[#out + 1] = address
  out[#out + 1] = redis.call('HGET', KEYS[1], address)
end
return out
)lua";

absl::StatusOr<SuppressionEntry> Decode(const std::string& address, const std::string& raw) {
  StoredSuppression s;
  if (!s.ParseFromString(raw)) {
    return absl::DataLossError(
        absl::StrCat("stored suppression ", SuppressionName(address), " does not parse"));
  }
  SuppressionEntry e;
  e.address = address;
  e.reason = s.reason();
  e.detail = s.detail();
  e.create_time = FromProtoTime(s.create_time());
  return e;
}

std::string Encode(const SuppressionEntry& e) {
  StoredSuppression s;
  s.set_reason(e.reason);
  s.set_detail(e.detail);
  *s.mutable_create_time() = ToProtoTime(e.create_time);
  return s.SerializeAsString();
}

}  // namespace

RedisSuppressionStore::RedisSuppressionStore(redis::RedisClient& redis, std::string key_prefix)
    : key_prefix_(std::move(key_prefix)), redis_(redis) {}

std::string RedisSuppressionStore::EntriesKey(absl::string_view tenant) const {
  return absl::StrCat(key_prefix_, ":{sup:", tenant, "}:e");
}

std::string RedisSuppressionStore::IndexKey(absl::string_view tenant) const {
  return absl::StrCat(key_prefix_, ":{sup:", tenant, "}:a");
}

absl::Status RedisSuppressionStore::Add(const std::string& tenant, const SuppressionEntry& entry) {
  KIRIM_ASSIGN_OR_RETURN(const SuppressionEntry incoming, CheckSuppressionEntry(tenant, entry));
  const std::string entries = EntriesKey(tenant);
  for (int attempt = 0; attempt < kMaxAttempts; ++attempt) {
    KIRIM_ASSIGN_OR_RETURN(RedisValue current,
                           redis_.Command({"HGET", entries, incoming.address}));
    std::optional<SuppressionEntry> stored;
    if (!current.is_nil()) {
      KIRIM_ASSIGN_OR_RETURN(stored, Decode(incoming.address, current.str));
    }
    const std::optional<SuppressionEntry> merged = MergeSuppression(stored, incoming);
    if (!merged.has_value()) return absl::OkStatus();
    KIRIM_ASSIGN_OR_RETURN(
        RedisValue written,
        redis_.Eval(kCompareAndSetScript, {entries, IndexKey(tenant)},
                    {incoming.address, current.is_nil() ? "" : current.str, Encode(*merged)}));
    if (written.integer == 1) return absl::OkStatus();
  }
  return absl::AbortedError(absl::StrCat("suppression ", SuppressionName(incoming.address),
                                         " kept changing concurrently; try again"));
}

absl::StatusOr<bool> RedisSuppressionStore::Remove(const std::string& tenant,
                                                   const std::string& address) {
  KIRIM_RETURN_IF_ERROR(ValidateTenant(tenant));
  KIRIM_ASSIGN_OR_RETURN(const std::string normalized, CanonicalAddress(address));
  KIRIM_ASSIGN_OR_RETURN(RedisValue removed,
                         redis_.Eval(kRemoveScript, {EntriesKey(tenant), IndexKey(tenant)},
                                     {normalized}));
  return removed.integer == 1;
}

absl::StatusOr<std::vector<std::optional<SuppressionEntry>>> RedisSuppressionStore::Lookup(
    const std::string& tenant, const std::vector<std::string>& addresses) {
  KIRIM_RETURN_IF_ERROR(ValidateTenant(tenant));
  redis::Argv hmget = {"HMGET", EntriesKey(tenant)};
  for (size_t i = 0; i < addresses.size(); ++i) {
    absl::StatusOr<std::string> normalized = CanonicalAddress(addresses[i]);
    if (!normalized.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("addresses[", i, "]: ", normalized.status().message()));
    }
    hmget.push_back(*std::move(normalized));
  }
  std::vector<std::optional<SuppressionEntry>> out(addresses.size());
  if (addresses.empty()) return out;
  KIRIM_ASSIGN_OR_RETURN(RedisValue values, redis_.Command(hmget));
  if (values.elements.size() != addresses.size()) {
    return absl::InternalError("HMGET answered with the wrong number of values");
  }
  for (size_t i = 0; i < addresses.size(); ++i) {
    if (values.elements[i].is_nil()) continue;
    KIRIM_ASSIGN_OR_RETURN(out[i], Decode(hmget[i + 2], values.elements[i].str));
  }
  return out;
}

absl::StatusOr<std::pair<std::vector<SuppressionEntry>, std::string>> RedisSuppressionStore::List(
    const std::string& tenant, int page_size, const std::string& page_token) {
  KIRIM_ASSIGN_OR_RETURN(const SuppressionPageRequest page,
                         CheckListArgs(tenant, page_size, page_token));
  // One more than asked for tells whether another page follows.
  KIRIM_ASSIGN_OR_RETURN(
      RedisValue reply,
      redis_.Eval(kPageScript, {EntriesKey(tenant), IndexKey(tenant)},
                  {page.after.empty() ? "-" : absl::StrCat("(", page.after),
                   absl::StrCat(page.limit + 1)}));
  const size_t scanned = reply.elements.size() / 2;
  std::pair<std::vector<SuppressionEntry>, std::string> out;
  for (size_t i = 0; i < scanned && i < static_cast<size_t>(page.limit); ++i) {
    const RedisValue& value = reply.elements[2 * i + 1];
    if (value.is_nil()) continue;  // the index lags the hash (an operator's HDEL)
    KIRIM_ASSIGN_OR_RETURN(SuppressionEntry e, Decode(reply.elements[2 * i].str, value.str));
    out.first.push_back(std::move(e));
  }
  if (scanned > static_cast<size_t>(page.limit)) {
    out.second = SuppressionPageToken(reply.elements[2 * (page.limit - 1)].str);
  }
  return out;
}

}  // namespace kirim
