// API key strings: what a caller presents, and how its public id is read from it.
//
//   kirim_0123456789ABCDEF_Xy3...(43 chars)...
//   \____/\______________/ \__________________/
//   prefix  key id (16)      secret (43)
//
// The key id is 10 random bytes in Crockford base32 (uppercase, canonical only): public, it
// names the key ("apiKeys/{key_id}") and is what a store looks the key up by. The secret is 32
// random bytes (256 bits) in base64url without padding (RFC 4648 §5). Stores keep only a hash
// of the whole string, so the secret is shown once, when the key is made.
//
//   std::string key = GenerateApiKeyString(random);           // for a new key
//   absl::StatusOr<std::string> id = ApiKeyIdOf(presented);   // which stored key to check
//
// Parsing is strict (exact length, canonical characters, no case folding): the hash covers the
// exact string, so any string accepted here is one this code could have generated.
#ifndef KIRIM_SERVER_AUTH_API_KEY_FORMAT_H_
#define KIRIM_SERVER_AUTH_API_KEY_FORMAT_H_

#include <cstddef>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "server/common/random.h"

namespace kirim {

// Every key starts with it, so secret scanners and people can recognise a Kirim key.
inline constexpr absl::string_view kApiKeyPrefix = "kirim_";
inline constexpr size_t kApiKeyIdLength = 16;      // 10 bytes, base32
inline constexpr size_t kApiKeySecretLength = 43;  // 32 bytes, base64url, unpadded
inline constexpr size_t kApiKeyLength =
    kApiKeyPrefix.size() + kApiKeyIdLength + 1 + kApiKeySecretLength;

// A fresh key string from 42 bytes of `random` (the id first, then the secret). Production
// must pass a SecureRandom.
std::string GenerateApiKeyString(Random& random);

// The key id of a presented key string; InvalidArgument "malformed API key" otherwise. The
// error never echoes the input: it may be a real secret with a typo.
absl::StatusOr<std::string> ApiKeyIdOf(absl::string_view presented);

// True for a 16-character canonical Crockford base32 key id.
bool IsValidApiKeyId(absl::string_view key_id);

// "apiKeys/{key_id}", the resource name in kirim.v1.ApiKey.name.
std::string ApiKeyName(absl::string_view key_id);

// The key id of "apiKeys/{key_id}"; InvalidArgument if `name` is not of that form.
absl::StatusOr<std::string> ParseApiKeyName(absl::string_view name);

// "kirim_{key_id}", what kirim.v1.ApiKey.prefix shows to recognise a key.
std::string ApiKeyDisplayPrefix(absl::string_view key_id);

}  // namespace kirim

#endif  // KIRIM_SERVER_AUTH_API_KEY_FORMAT_H_
