#include "server/auth/api_key_format.h"

#include "absl/status/status.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"

namespace kirim {
namespace {

constexpr absl::string_view kCrockford = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
constexpr absl::string_view kBase64Url =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
constexpr size_t kIdBytes = 10;      // 80 bits: exactly 16 base32 characters
constexpr size_t kSecretBytes = 32;  // 256 bits
constexpr absl::string_view kNamePrefix = "apiKeys/";

// 80 bits fit 16 characters with none left over, so unlike the message-id layout no character
// is partial and every character of the alphabet may appear anywhere.
std::string Crockford80(absl::string_view bytes) {
  std::string out;
  out.reserve(kApiKeyIdLength);
  unsigned int buffer = 0;
  int bits = 0;
  for (unsigned char b : bytes) {
    buffer = (buffer << 8) | b;
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      out.push_back(kCrockford[(buffer >> bits) & 31]);
    }
  }
  return out;
}

bool AllIn(absl::string_view text, absl::string_view alphabet) {
  for (char c : text) {
    if (alphabet.find(c) == absl::string_view::npos) return false;
  }
  return true;
}

}  // namespace

std::string GenerateApiKeyString(Random& random) {
  const std::string id = Crockford80(random.Bytes(kIdBytes));
  // absl's web-safe encoding is RFC 4648 §5 base64url and leaves out the padding.
  const std::string secret = absl::WebSafeBase64Escape(random.Bytes(kSecretBytes));
  return absl::StrCat(kApiKeyPrefix, id, "_", secret);
}

bool IsValidApiKeyId(absl::string_view key_id) {
  return key_id.size() == kApiKeyIdLength && AllIn(key_id, kCrockford);
}

absl::StatusOr<std::string> ApiKeyIdOf(absl::string_view presented) {
  absl::string_view rest = presented;
  // Split by position, not at '_': the secret's alphabet contains '_' too.
  if (presented.size() != kApiKeyLength || !absl::ConsumePrefix(&rest, kApiKeyPrefix) ||
      rest[kApiKeyIdLength] != '_') {
    return absl::InvalidArgumentError("malformed API key");
  }
  const absl::string_view id = rest.substr(0, kApiKeyIdLength);
  const absl::string_view secret = rest.substr(kApiKeyIdLength + 1);
  // 43 characters carry 258 bits for 256: the last one's low two bits are always zero, so a
  // string with them set was not generated here.
  if (!IsValidApiKeyId(id) || !AllIn(secret, kBase64Url) ||
      kBase64Url.find(secret.back()) % 4 != 0) {
    return absl::InvalidArgumentError("malformed API key");
  }
  return std::string(id);
}

std::string ApiKeyName(absl::string_view key_id) { return absl::StrCat(kNamePrefix, key_id); }

absl::StatusOr<std::string> ParseApiKeyName(absl::string_view name) {
  absl::string_view id = name;
  if (!absl::ConsumePrefix(&id, kNamePrefix) || !IsValidApiKeyId(id)) {
    return absl::InvalidArgumentError(
        "not an API key name: expected \"apiKeys/{key_id}\" with a 16-character key id");
  }
  return std::string(id);
}

std::string ApiKeyDisplayPrefix(absl::string_view key_id) {
  return absl::StrCat(kApiKeyPrefix, key_id);
}

}  // namespace kirim
