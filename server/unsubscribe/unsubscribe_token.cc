#include "server/unsubscribe/unsubscribe_token.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <cstdint>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"

namespace kirim {
namespace {

constexpr char kVersion = 1;
constexpr size_t kMacBytes = 32;                 // SHA-256
constexpr size_t kFixedBytes = 1 + 8 + 1;        // version, expiry, tenant length

constexpr absl::string_view kKeyHelp = "(generate one with: openssl rand -base64 32)";

absl::Status Invalid() {
  return absl::PermissionDeniedError("unsubscribe token is not valid");
}

// Base64url without padding, and only in that one spelling: absl's decoder also takes padding
// and ignores some characters, which would give one claim many tokens.
bool DecodeCanonical(absl::string_view text, std::string* out) {
  return absl::WebSafeBase64Unescape(text, out) && absl::WebSafeBase64Escape(*out) == text;
}

}  // namespace

absl::StatusOr<UnsubscribeSigner> UnsubscribeSigner::FromBase64Key(absl::string_view key) {
  key = absl::StripAsciiWhitespace(key);
  std::string raw;
  if (!absl::Base64Unescape(key, &raw) && !absl::WebSafeBase64Unescape(key, &raw)) {
    OPENSSL_cleanse(raw.data(), raw.size());
    return absl::InvalidArgumentError(absl::StrCat("the unsubscribe key is not base64 ", kKeyHelp));
  }
  if (raw.size() < kMinKeyBytes) {
    const size_t got = raw.size();
    OPENSSL_cleanse(raw.data(), raw.size());
    return absl::InvalidArgumentError(absl::StrCat("the unsubscribe key must be at least ",
                                                   kMinKeyBytes, " bytes, got ", got, " ",
                                                   kKeyHelp));
  }
  return UnsubscribeSigner(std::move(raw));
}

std::string UnsubscribeSigner::Mac(absl::string_view payload) const {
  std::string mac(kMacBytes, '\0');
  unsigned int length = 0;
  if (HMAC(EVP_sha256(), key_.data(), static_cast<int>(key_.size()),
           reinterpret_cast<const unsigned char*>(payload.data()), payload.size(),
           reinterpret_cast<unsigned char*>(mac.data()), &length) == nullptr ||
      length != kMacBytes) {
    // Only on allocation failure; an all-zero MAC matches no genuine token.
    return std::string(kMacBytes, '\0');
  }
  return mac;
}

std::string UnsubscribeSigner::Issue(const UnsubscribeClaim& claim) const {
  std::string payload;
  payload.reserve(kFixedBytes + claim.tenant.size() + claim.address.size());
  payload.push_back(kVersion);
  const uint64_t expiry = static_cast<uint64_t>(absl::ToUnixSeconds(claim.expires));
  for (int shift = 56; shift >= 0; shift -= 8) {
    payload.push_back(static_cast<char>((expiry >> shift) & 0xff));
  }
  // A length that does not fit encodes as 0, which Verify rejects (see the header).
  const size_t tenant_length = claim.tenant.size() <= 255 ? claim.tenant.size() : 0;
  payload.push_back(static_cast<char>(tenant_length));
  absl::StrAppend(&payload, claim.tenant, claim.address);
  return absl::StrCat(absl::WebSafeBase64Escape(payload), ".",
                      absl::WebSafeBase64Escape(Mac(payload)));
}

absl::StatusOr<UnsubscribeClaim> UnsubscribeSigner::Verify(absl::string_view token,
                                                           absl::Time now) const {
  if (token.size() > kMaxTokenLength) return Invalid();
  const size_t dot = token.find('.');
  if (dot == absl::string_view::npos) return Invalid();
  std::string payload, mac;
  if (!DecodeCanonical(token.substr(0, dot), &payload) ||
      !DecodeCanonical(token.substr(dot + 1), &mac) || mac.size() != kMacBytes) {
    return Invalid();
  }
  const std::string expected = Mac(payload);
  if (CRYPTO_memcmp(expected.data(), mac.data(), kMacBytes) != 0) return Invalid();

  // Authentic from here on: what follows only guards against this build's own mistakes and
  // tokens from a future format version.
  if (payload.size() < kFixedBytes || payload[0] != kVersion) return Invalid();
  uint64_t expiry = 0;
  for (size_t i = 1; i <= 8; ++i) expiry = (expiry << 8) | static_cast<unsigned char>(payload[i]);
  const size_t tenant_length = static_cast<unsigned char>(payload[9]);
  if (tenant_length == 0 || payload.size() <= kFixedBytes + tenant_length) return Invalid();
  UnsubscribeClaim claim;
  claim.tenant = payload.substr(kFixedBytes, tenant_length);
  claim.address = payload.substr(kFixedBytes + tenant_length);
  claim.expires = absl::FromUnixSeconds(static_cast<int64_t>(expiry));
  if (now >= claim.expires) return absl::FailedPreconditionError("unsubscribe token expired");
  return claim;
}

}  // namespace kirim
