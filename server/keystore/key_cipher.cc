#include "server/keystore/key_cipher.h"

#include <openssl/evp.h>
#include <openssl/sha.h>

#include <memory>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace kirim {
namespace {

constexpr absl::string_view kMagic = "KKC1";
constexpr size_t kIdBytes = 8;
constexpr size_t kNonceBytes = 12;
constexpr size_t kTagBytes = 16;

struct CtxFree {
  void operator()(EVP_CIPHER_CTX* c) const { EVP_CIPHER_CTX_free(c); }
};
using CtxPtr = std::unique_ptr<EVP_CIPHER_CTX, CtxFree>;

const unsigned char* U(absl::string_view s) {
  return reinterpret_cast<const unsigned char*>(s.data());
}

std::string KeyId(absl::string_view kek) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  std::string input = absl::StrCat("kirim-kek-id", kek);
  SHA256(U(input), input.size(), digest);
  OPENSSL_cleanse(input.data(), input.size());
  return std::string(reinterpret_cast<char*>(digest), kIdBytes);
}

}  // namespace

KeyCipher::KeyCipher(std::string kek) : kek_(std::move(kek)), key_id_(KeyId(kek_)) {}

absl::StatusOr<KeyCipher> KeyCipher::Create(absl::string_view kek) {
  if (kek.size() != kKeyBytes) {
    return absl::InvalidArgumentError(absl::StrCat(
        "the key-encryption key must be ", kKeyBytes, " bytes, got ", kek.size()));
  }
  return KeyCipher(std::string(kek));
}

absl::StatusOr<KeyCipher> KeyCipher::FromBase64(absl::string_view text) {
  text = absl::StripAsciiWhitespace(text);
  std::string raw;
  if (!absl::Base64Unescape(text, &raw) && !absl::WebSafeBase64Unescape(text, &raw)) {
    return absl::InvalidArgumentError(
        "the key-encryption key is not base64 (generate one with: openssl rand -base64 32)");
  }
  absl::StatusOr<KeyCipher> cipher = Create(raw);
  OPENSSL_cleanse(raw.data(), raw.size());
  if (!cipher.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(
        cipher.status().message(), " (generate one with: openssl rand -base64 32)"));
  }
  return cipher;
}

std::string KeyCipher::key_id_hex() const { return absl::BytesToHexString(key_id_); }

absl::StatusOr<std::string> KeyCipher::Seal(absl::string_view plaintext, absl::string_view aad,
                                            Random& random) const {
  const std::string nonce = random.Bytes(kNonceBytes);
  std::string out = absl::StrCat(kMagic, key_id_, nonce);
  const size_t header = out.size();
  out.resize(header + plaintext.size() + kTagBytes);
  auto* body = reinterpret_cast<unsigned char*>(out.data() + header);
  CtxPtr ctx(EVP_CIPHER_CTX_new());
  int len = 0, total = 0;
  if (ctx == nullptr ||
      EVP_EncryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, U(kek_), U(nonce)) != 1 ||
      EVP_EncryptUpdate(ctx.get(), nullptr, &len, U(aad), static_cast<int>(aad.size())) != 1 ||
      EVP_EncryptUpdate(ctx.get(), body, &len, U(plaintext), static_cast<int>(plaintext.size())) != 1) {
    return absl::InternalError("AES-256-GCM encryption failed");
  }
  total = len;
  if (EVP_EncryptFinal_ex(ctx.get(), body + total, &len) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, kTagBytes, body + total + len) != 1) {
    return absl::InternalError("AES-256-GCM encryption failed");
  }
  return out;
}

absl::StatusOr<std::string> KeyCipher::Open(absl::string_view sealed, absl::string_view aad) const {
  const size_t header = kMagic.size() + kIdBytes + kNonceBytes;
  if (sealed.size() < header + kTagBytes || !absl::StartsWith(sealed, kMagic)) {
    return absl::DataLossError("sealed key is truncated or not in Kirim's format");
  }
  const absl::string_view id = sealed.substr(kMagic.size(), kIdBytes);
  if (id != key_id_) {
    return absl::FailedPreconditionError(absl::StrCat(
        "sealed with key-encryption key ", absl::BytesToHexString(id),
        " but the configured key-encryption key is ", key_id_hex(),
        ": configure the key it was sealed with"));
  }
  const absl::string_view nonce = sealed.substr(kMagic.size() + kIdBytes, kNonceBytes);
  const absl::string_view body = sealed.substr(header, sealed.size() - header - kTagBytes);
  std::string tag(sealed.substr(sealed.size() - kTagBytes));
  std::string out(body.size(), '\0');
  CtxPtr ctx(EVP_CIPHER_CTX_new());
  int len = 0, total = 0;
  bool ok = ctx != nullptr &&
            EVP_DecryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, U(kek_), U(nonce)) == 1 &&
            EVP_DecryptUpdate(ctx.get(), nullptr, &len, U(aad), static_cast<int>(aad.size())) == 1 &&
            EVP_DecryptUpdate(ctx.get(), reinterpret_cast<unsigned char*>(out.data()), &len,
                              U(body), static_cast<int>(body.size())) == 1;
  total = len;
  ok = ok && EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, kTagBytes, tag.data()) == 1 &&
       EVP_DecryptFinal_ex(ctx.get(), reinterpret_cast<unsigned char*>(out.data()) + total,
                           &len) == 1;
  if (!ok) {
    OPENSSL_cleanse(out.data(), out.size());
    return absl::DataLossError(
        "sealed key failed authentication: it was tampered with, truncated or moved to "
        "another domain or selector");
  }
  return out;
}

}  // namespace kirim
