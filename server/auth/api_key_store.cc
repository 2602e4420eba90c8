#include "server/auth/api_key_store.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "openssl/crypto.h"
#include "openssl/sha.h"
#include "server/common/proto_time.h"
#include "server/common/status_macros.h"
#include "server/common/text.h"

namespace kirim {
namespace {

constexpr size_t kMaxTenantLength = 64;
constexpr size_t kMaxDisplayNameBytes = 256;

bool IsTenantChar(char c) { return absl::ascii_isalnum(c) || c == '_' || c == '-'; }

}  // namespace

bool ApiKeyRecord::HasScope(v1::ApiKey::Scope scope) const {
  return std::find(scopes.begin(), scopes.end(), scope) != scopes.end();
}

v1::ApiKey ApiKeyRecord::ToProto() const {
  v1::ApiKey out;
  out.set_name(ApiKeyName(key_id));
  out.set_display_name(display_name);
  out.set_tenant(tenant);
  for (v1::ApiKey::Scope s : scopes) out.add_scopes(s);
  *out.mutable_create_time() = ToProtoTime(create_time);
  if (revoke_time.has_value()) *out.mutable_revoke_time() = ToProtoTime(*revoke_time);
  out.set_prefix(ApiKeyDisplayPrefix(key_id));
  return out;
}

absl::Status ValidateTenant(absl::string_view tenant) {
  if (tenant.empty() || tenant.size() > kMaxTenantLength ||
      !std::all_of(tenant.begin(), tenant.end(), IsTenantChar)) {
    return absl::InvalidArgumentError(
        "invalid tenant: expected 1-64 characters of A-Z, a-z, 0-9, '_' and '-'");
  }
  return absl::OkStatus();
}

absl::Status CheckKeyRef(absl::string_view tenant, absl::string_view key_id) {
  KIRIM_RETURN_IF_ERROR(ValidateTenant(tenant));
  if (!IsValidApiKeyId(key_id)) {
    return absl::InvalidArgumentError(
        "malformed API key id: expected 16 characters of Crockford base32");
  }
  return absl::OkStatus();
}

absl::Status ValidateDisplayName(absl::string_view display_name) {
  if (display_name.size() > kMaxDisplayNameBytes) {
    return absl::InvalidArgumentError("display name longer than 256 bytes");
  }
  // Stored protos must hold valid UTF-8, and the name is shown in consoles and logs.
  if (!IsValidUtf8(display_name)) {
    return absl::InvalidArgumentError("display name is not valid UTF-8");
  }
  absl::Status control = CheckNoControlChars(display_name, /*allow_tab=*/false);
  if (!control.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("display name ", control.message()));
  }
  // C1 controls (U+0080..U+009F, UTF-8 C2 80..C2 9F) steer terminals just like C0 ones.
  for (size_t i = 0; i + 1 < display_name.size(); ++i) {
    if (static_cast<unsigned char>(display_name[i]) == 0xC2 &&
        static_cast<unsigned char>(display_name[i + 1]) <= 0x9F) {
      return absl::InvalidArgumentError("display name contains a control character");
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<v1::ApiKey::Scope>> CheckKeyAttributes(
    absl::string_view tenant, absl::string_view display_name,
    std::vector<v1::ApiKey::Scope> scopes) {
  KIRIM_RETURN_IF_ERROR(ValidateTenant(tenant));
  KIRIM_RETURN_IF_ERROR(ValidateDisplayName(display_name));
  if (scopes.empty()) return absl::InvalidArgumentError("an API key needs at least one scope");
  for (v1::ApiKey::Scope s : scopes) {
    if (s == v1::ApiKey::SCOPE_UNSPECIFIED || !v1::ApiKey::Scope_IsValid(s)) {
      return absl::InvalidArgumentError(
          absl::StrCat("invalid API key scope ", static_cast<int>(s)));
    }
  }
  std::sort(scopes.begin(), scopes.end());
  scopes.erase(std::unique(scopes.begin(), scopes.end()), scopes.end());
  return scopes;
}

absl::Status InvalidApiKeyError() { return absl::UnauthenticatedError("invalid API key"); }

absl::Status ApiKeyNotFoundError(absl::string_view key_id) {
  return absl::NotFoundError(absl::StrCat("API key not found: ", ApiKeyName(key_id)));
}

std::string HashApiKey(absl::string_view key) {
  std::string digest(SHA256_DIGEST_LENGTH, '\0');
  SHA256(reinterpret_cast<const unsigned char*>(key.data()), key.size(),
         reinterpret_cast<unsigned char*>(digest.data()));
  return digest;
}

bool ApiKeyHashMatches(absl::string_view stored_sha256, absl::string_view presented) {
  const std::string digest = HashApiKey(presented);
  // The length is not secret (always 32 for a sound record); only the content must be compared
  // without an early exit.
  return stored_sha256.size() == digest.size() &&
         CRYPTO_memcmp(stored_sha256.data(), digest.data(), digest.size()) == 0;
}

absl::StatusOr<ApiKeyRecord> ApplyImport(const ApiKeyRecord& stored,
                                         absl::string_view stored_sha256, absl::string_view secret,
                                         const std::string& tenant, const std::string& display_name,
                                         std::vector<v1::ApiKey::Scope> scopes) {
  if (!ApiKeyHashMatches(stored_sha256, secret)) {
    return absl::AlreadyExistsError(absl::StrCat(
        "another key already has the key id of the imported key: ", ApiKeyName(stored.key_id)));
  }
  if (stored.tenant != tenant) {
    // Moving a key between tenants would silently hand one tenant's access to another.
    return absl::FailedPreconditionError(absl::StrCat(
        "the imported key is installed for another tenant: ", ApiKeyName(stored.key_id),
        "; revoke it and import a new key"));
  }
  ApiKeyRecord updated = stored;
  updated.display_name = display_name;
  updated.scopes = std::move(scopes);
  return updated;
}

absl::StatusOr<ApiKeyRecord> ApplyRevoke(const ApiKeyRecord& stored, absl::string_view tenant,
                                         absl::Time now) {
  if (stored.tenant != tenant) return ApiKeyNotFoundError(stored.key_id);
  ApiKeyRecord updated = stored;
  // The first revocation time is the one that matters for audits; keep it.
  if (!updated.revoke_time.has_value()) updated.revoke_time = now;
  return updated;
}

void SortNewestFirst(std::vector<ApiKeyRecord>& records) {
  std::sort(records.begin(), records.end(), [](const ApiKeyRecord& a, const ApiKeyRecord& b) {
    if (a.create_time != b.create_time) return a.create_time > b.create_time;
    return a.key_id > b.key_id;
  });
}

}  // namespace kirim
