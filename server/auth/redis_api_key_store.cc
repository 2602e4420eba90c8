#include "server/auth/redis_api_key_store.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "server/common/proto_time.h"
#include "server/common/status_macros.h"

namespace kirim {
namespace {

using redis::RedisValue;
using storage::v1::StoredApiKey;

// Writers retry a compare-and-set this often before giving up with ABORTED; losing that many
// races in a row on one key means something is rewriting it in a loop.
constexpr int kMaxAttempts = 5;

// KEYS: key record, tenant index. ARGV: expected value ("" = absent), new value, key id.
// A serialized StoredApiKey is never empty (it holds a 32-byte hash), so "" is free as a marker.
constexpr char kCompareAndSetScript[] = R"lua(
local current = redis.call('GET', KEYS[1])
if (current or '') ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[2])
redis.call('SADD', KEYS[2], ARGV[3])
return 1
)lua";

StoredApiKey ToStored(const ApiKeyRecord& record, absl::string_view sha256) {
  StoredApiKey s;
  s.set_sha256(std::string(sha256));
  s.set_tenant(record.tenant);
  for (v1::ApiKey::Scope scope : record.scopes) s.add_scopes(scope);
  s.set_display_name(record.display_name);
  *s.mutable_create_time() = ToProtoTime(record.create_time);
  if (record.revoke_time.has_value()) *s.mutable_revoke_time() = ToProtoTime(*record.revoke_time);
  return s;
}

ApiKeyRecord FromStored(const std::string& key_id, const StoredApiKey& s) {
  ApiKeyRecord r;
  r.key_id = key_id;
  r.tenant = s.tenant();
  for (int scope : s.scopes()) r.scopes.push_back(static_cast<v1::ApiKey::Scope>(scope));
  r.display_name = s.display_name();
  r.create_time = FromProtoTime(s.create_time());
  if (s.has_revoke_time()) r.revoke_time = FromProtoTime(s.revoke_time());
  return r;
}

absl::Status ConcurrentUpdateError(absl::string_view key_id) {
  return absl::AbortedError(
      absl::StrCat("API key ", ApiKeyName(key_id), " kept changing concurrently; try again"));
}

}  // namespace

RedisApiKeyStore::RedisApiKeyStore(redis::RedisClient& redis, const Clock& clock, Random& random,
                                   std::string key_prefix)
    : redis_(redis), clock_(clock), random_(random), key_prefix_(std::move(key_prefix)) {}

std::string RedisApiKeyStore::KeyRecordKey(absl::string_view key_id) const {
  return absl::StrCat(key_prefix_, ":{keys}:k:", key_id);
}

std::string RedisApiKeyStore::TenantIndexKey(absl::string_view tenant) const {
  return absl::StrCat(key_prefix_, ":{keys}:t:", tenant);
}

absl::StatusOr<std::optional<RedisApiKeyStore::Stored>> RedisApiKeyStore::Read(
    const std::string& key_id) {
  KIRIM_ASSIGN_OR_RETURN(RedisValue v, redis_.Command({"GET", KeyRecordKey(key_id)}));
  if (v.is_nil()) return std::optional<Stored>();
  StoredApiKey s;
  if (!s.ParseFromString(v.str)) {
    return absl::DataLossError(
        absl::StrCat("stored API key ", ApiKeyName(key_id), " does not parse"));
  }
  Stored out;
  out.record = FromStored(key_id, s);
  out.sha256 = s.sha256();
  out.raw = std::move(v.str);
  return std::optional<Stored>(std::move(out));
}

absl::StatusOr<bool> RedisApiKeyStore::CompareAndSet(const ApiKeyRecord& record,
                                                     absl::string_view sha256,
                                                     absl::string_view expected_raw) {
  KIRIM_ASSIGN_OR_RETURN(
      RedisValue v, redis_.Eval(kCompareAndSetScript,
                                {KeyRecordKey(record.key_id), TenantIndexKey(record.tenant)},
                                {std::string(expected_raw),
                                 ToStored(record, sha256).SerializeAsString(), record.key_id}));
  return v.integer == 1;
}

absl::StatusOr<NewApiKey> RedisApiKeyStore::Create(const std::string& tenant,
                                                   const std::string& display_name,
                                                   std::vector<v1::ApiKey::Scope> scopes) {
  KIRIM_ASSIGN_OR_RETURN(scopes, CheckKeyAttributes(tenant, display_name, std::move(scopes)));
  for (int attempt = 0; attempt < kMaxAttempts; ++attempt) {
    NewApiKey made;
    made.secret = GenerateApiKeyString(random_);
    KIRIM_ASSIGN_OR_RETURN(made.record.key_id, ApiKeyIdOf(made.secret));
    made.record.tenant = tenant;
    made.record.scopes = scopes;
    made.record.display_name = display_name;
    made.record.create_time = clock_.Now();
    // Writing only where no key is guarantees a new key never replaces an existing one, even
    // if the id repeats (80 random bits make that a sign of a broken Random).
    KIRIM_ASSIGN_OR_RETURN(bool written, CompareAndSet(made.record, HashApiKey(made.secret), ""));
    if (written) return made;
  }
  return absl::InternalError("no free API key id after several attempts: is Random random?");
}

absl::Status RedisApiKeyStore::Import(absl::string_view secret, const std::string& tenant,
                                      const std::string& display_name,
                                      std::vector<v1::ApiKey::Scope> scopes) {
  KIRIM_ASSIGN_OR_RETURN(const std::string key_id, ApiKeyIdOf(secret));
  KIRIM_ASSIGN_OR_RETURN(scopes, CheckKeyAttributes(tenant, display_name, std::move(scopes)));
  const std::string sha256 = HashApiKey(secret);
  for (int attempt = 0; attempt < kMaxAttempts; ++attempt) {
    KIRIM_ASSIGN_OR_RETURN(std::optional<Stored> stored, Read(key_id));
    ApiKeyRecord want;
    if (stored.has_value()) {
      KIRIM_ASSIGN_OR_RETURN(
          want, ApplyImport(stored->record, stored->sha256, secret, tenant, display_name, scopes));
    } else {
      want = ApiKeyRecord{key_id, tenant, scopes, display_name, clock_.Now(), std::nullopt};
    }
    KIRIM_ASSIGN_OR_RETURN(bool written,
                           CompareAndSet(want, sha256, stored.has_value() ? stored->raw : ""));
    if (written) return absl::OkStatus();
  }
  return ConcurrentUpdateError(key_id);
}

absl::StatusOr<ApiKeyRecord> RedisApiKeyStore::Verify(absl::string_view presented) {
  absl::StatusOr<std::string> key_id = ApiKeyIdOf(presented);
  if (!key_id.ok()) return InvalidApiKeyError();
  KIRIM_ASSIGN_OR_RETURN(std::optional<Stored> stored, Read(*key_id));
  if (!stored.has_value()) return InvalidApiKeyError();
  // Hash before looking at revocation, so a revoked key costs the same work as a live one.
  const bool matches = ApiKeyHashMatches(stored->sha256, presented);
  if (!matches || stored->record.revoked()) return InvalidApiKeyError();
  return std::move(stored->record);
}

absl::StatusOr<std::vector<ApiKeyRecord>> RedisApiKeyStore::List(const std::string& tenant) {
  KIRIM_RETURN_IF_ERROR(ValidateTenant(tenant));
  KIRIM_ASSIGN_OR_RETURN(RedisValue ids, redis_.Command({"SMEMBERS", TenantIndexKey(tenant)}));
  std::vector<ApiKeyRecord> out;
  if (ids.elements.empty()) return out;
  redis::Argv mget = {"MGET"};
  for (const RedisValue& id : ids.elements) mget.push_back(KeyRecordKey(id.str));
  KIRIM_ASSIGN_OR_RETURN(RedisValue values, redis_.Command(mget));
  for (size_t i = 0; i < values.elements.size() && i < ids.elements.size(); ++i) {
    if (values.elements[i].is_nil()) continue;  // deleted by an operator; the index lags
    StoredApiKey s;
    if (!s.ParseFromString(values.elements[i].str)) {
      return absl::DataLossError(
          absl::StrCat("stored API key ", ApiKeyName(ids.elements[i].str), " does not parse"));
    }
    // The record, not the index, says whose key it is.
    if (s.tenant() != tenant) continue;
    out.push_back(FromStored(ids.elements[i].str, s));
  }
  SortNewestFirst(out);
  return out;
}

absl::StatusOr<ApiKeyRecord> RedisApiKeyStore::Revoke(const std::string& tenant,
                                                      const std::string& key_id) {
  KIRIM_RETURN_IF_ERROR(CheckKeyRef(tenant, key_id));
  for (int attempt = 0; attempt < kMaxAttempts; ++attempt) {
    KIRIM_ASSIGN_OR_RETURN(std::optional<Stored> stored, Read(key_id));
    if (!stored.has_value()) return ApiKeyNotFoundError(key_id);
    KIRIM_ASSIGN_OR_RETURN(ApiKeyRecord revoked, ApplyRevoke(stored->record, tenant, clock_.Now()));
    if (stored->record.revoked()) return revoked;  // nothing to write
    KIRIM_ASSIGN_OR_RETURN(bool written, CompareAndSet(revoked, stored->sha256, stored->raw));
    if (written) return revoked;
  }
  return ConcurrentUpdateError(key_id);
}

}  // namespace kirim
