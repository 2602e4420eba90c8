// ApiKeyStore: the API keys callers authenticate with, each acting for one tenant with a set of
// scopes. The store keeps only a SHA-256 of each key string (format: api_key_format.h), so the
// secret exists in exactly two places: the CreateApiKey response and the caller's hands.
//
//   absl::StatusOr<NewApiKey> made = store.Create("acme", "CI deploys", {v1::ApiKey::SEND});
//   show_once(made->secret);                          // "kirim_<key_id>_<secret>"
//   absl::StatusOr<ApiKeyRecord> who = store.Verify(presented);
//   if (!who.ok()) return who.status();               // UNAUTHENTICATED or UNAVAILABLE
//   act_for(who->tenant, who->scopes);
//
// Every call is tenant-scoped except Verify, which learns the tenant from the key. Revocation
// takes effect on the next Verify in every replica: implementations must not cache.
//
// Production wires RedisApiKeyStore (redis_api_key_store.h); tests use
// kirim::testing::FakeApiKeyStore (tests/auth/fake_api_key_store.h). Both apply the shared
// rules declared at the end of this header, so they cannot drift apart.
#ifndef KIRIM_SERVER_AUTH_API_KEY_STORE_H_
#define KIRIM_SERVER_AUTH_API_KEY_STORE_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "kirim/v1/admin_service.pb.h"
#include "server/auth/api_key_format.h"

namespace kirim {

// What a store knows about a key; never the secret or its hash.
struct ApiKeyRecord {
  std::string key_id;
  std::string tenant;
  // Sorted, without duplicates.
  std::vector<v1::ApiKey::Scope> scopes;
  std::string display_name;
  absl::Time create_time;
  // Set once the key is revoked; such a key never verifies again.
  std::optional<absl::Time> revoke_time;

  bool revoked() const { return revoke_time.has_value(); }
  bool HasScope(v1::ApiKey::Scope scope) const;
  // The public view: name "apiKeys/{key_id}", prefix "kirim_{key_id}".
  v1::ApiKey ToProto() const;
};

struct NewApiKey {
  ApiKeyRecord record;
  // The full key string, shown once: no store can return it again.
  std::string secret;
};

class ApiKeyStore {
 public:
  virtual ~ApiKeyStore() = default;

  // Makes a key with a fresh id and secret. InvalidArgument for a bad tenant (1-64 of
  // [A-Za-z0-9_-]), display name (at most 256 bytes of UTF-8, no control characters) or scope
  // list (at least one, none SCOPE_UNSPECIFIED or unknown).
  virtual absl::StatusOr<NewApiKey> Create(const std::string& tenant,
                                           const std::string& display_name,
                                           std::vector<v1::ApiKey::Scope> scopes) = 0;

  // Installs an operator-supplied key string (the bootstrap admin key from a Kubernetes Secret),
  // so it can run at every start. Idempotent: the same key again is OK, keeps its create_time
  // and revocation (a revoked key stays revoked) and takes the given display name and scopes
  // (the operator's config is the source of truth). InvalidArgument if `secret` is malformed
  // or an argument is bad as in Create; FailedPrecondition if the key is installed for another
  // tenant; AlreadyExists if a different key has the same key id.
  virtual absl::Status Import(absl::string_view secret, const std::string& tenant,
                              const std::string& display_name,
                              std::vector<v1::ApiKey::Scope> scopes) = 0;

  // The record of a valid, unrevoked key. UNAUTHENTICATED "invalid API key" alike for a
  // malformed, unknown, revoked or wrong-secret key, so a caller learns nothing about which
  // (no oracle); the hash comparison is constant-time. UNAVAILABLE when the store is down.
  virtual absl::StatusOr<ApiKeyRecord> Verify(absl::string_view presented) = 0;

  // The tenant's keys, revoked ones included (marked by revoke_time), newest first.
  virtual absl::StatusOr<std::vector<ApiKeyRecord>> List(const std::string& tenant) = 0;

  // Revokes the key for every replica at once and returns its record. Revoking a revoked key
  // returns it unchanged. NOT_FOUND if the tenant has no such key (another tenant's key id is
  // NOT_FOUND too, with the same message); InvalidArgument for a malformed key id.
  virtual absl::StatusOr<ApiKeyRecord> Revoke(const std::string& tenant,
                                              const std::string& key_id) = 0;
};

// ---- Shared rules for ApiKeyStore implementations (not for callers of the interface). ----

// InvalidArgument unless `tenant` is 1-64 characters of [A-Za-z0-9_-]: tenants become parts of
// storage keys, so no separator or hash-tag character may appear.
absl::Status ValidateTenant(absl::string_view tenant);

// At most 256 bytes of valid UTF-8 without C0 or C1 control characters.
absl::Status ValidateDisplayName(absl::string_view display_name);

// Checks Revoke arguments: InvalidArgument for a bad tenant or a malformed key id.
absl::Status CheckKeyRef(absl::string_view tenant, absl::string_view key_id);

// Checks Create/Import arguments (see Create) and returns the scopes sorted and deduplicated.
absl::StatusOr<std::vector<v1::ApiKey::Scope>> CheckKeyAttributes(
    absl::string_view tenant, absl::string_view display_name,
    std::vector<v1::ApiKey::Scope> scopes);

// The one UNAUTHENTICATED status Verify returns, whatever the reason.
absl::Status InvalidApiKeyError();

// The one NOT_FOUND status Revoke returns, for a missing key and another tenant's key alike.
absl::Status ApiKeyNotFoundError(absl::string_view key_id);

// SHA-256 of the full key string, 32 raw bytes: what a store keeps instead of the key.
std::string HashApiKey(absl::string_view key);

// Whether `presented` hashes to `stored_sha256`, compared in constant time (CRYPTO_memcmp) so
// the time taken says nothing about how many bytes matched.
bool ApiKeyHashMatches(absl::string_view stored_sha256, absl::string_view presented);

// Import over an already stored key with the same id: the record to store, or the error Import
// returns (see there). `scopes` as returned by CheckKeyAttributes.
absl::StatusOr<ApiKeyRecord> ApplyImport(const ApiKeyRecord& stored,
                                         absl::string_view stored_sha256, absl::string_view secret,
                                         const std::string& tenant, const std::string& display_name,
                                         std::vector<v1::ApiKey::Scope> scopes);

// Revoke of a stored key on behalf of `tenant`: the record to store (revoked at `now`, or as it
// was if already revoked), or ApiKeyNotFoundError for another tenant's key.
absl::StatusOr<ApiKeyRecord> ApplyRevoke(const ApiKeyRecord& stored, absl::string_view tenant,
                                         absl::Time now);

// List's order: newest first, ties by key id so the order is stable.
void SortNewestFirst(std::vector<ApiKeyRecord>& records);

}  // namespace kirim

#endif  // KIRIM_SERVER_AUTH_API_KEY_STORE_H_
