// KeyCipher: envelope encryption of secrets at rest (DKIM private keys in Redis) with
// AES-256-GCM under a key-encryption key (KEK) that never touches Redis: it comes from a file
// or an environment variable, i.e. a Kubernetes Secret.
//
//   KIRIM_ASSIGN_OR_RETURN(KeyCipher cipher, KeyCipher::FromBase64(kek_text));
//   KIRIM_ASSIGN_OR_RETURN(std::string sealed, cipher.Seal(pem, "t/example.com/k1", random));
//   KIRIM_ASSIGN_OR_RETURN(std::string pem2, cipher.Open(sealed, "t/example.com/k1"));
//
// Sealed format (binary): "KKC1" | key id (8 bytes) | nonce (12) | ciphertext | tag (16).
// The key id is the first 8 bytes of SHA-256("kirim-kek-id" | KEK): it names which KEK sealed a
// blob without revealing anything about it, so Open can say "sealed with another KEK" instead of
// a bare authentication failure. The associated data binds a blob to its slot (tenant, domain,
// selector): a blob copied to another slot does not open. Every failure fails closed: Open never
// returns unauthenticated bytes.
#ifndef KIRIM_SERVER_KEYSTORE_KEY_CIPHER_H_
#define KIRIM_SERVER_KEYSTORE_KEY_CIPHER_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "server/common/random.h"

namespace kirim {

class KeyCipher {
 public:
  static constexpr size_t kKeyBytes = 32;

  // `kek` is exactly 32 raw bytes.
  static absl::StatusOr<KeyCipher> Create(absl::string_view kek);
  // `text` is the base64 (standard or URL-safe, padding optional) of 32 bytes, surrounding
  // whitespace ignored: the form `openssl rand -base64 32` prints. The error never echoes it.
  static absl::StatusOr<KeyCipher> FromBase64(absl::string_view text);

  absl::StatusOr<std::string> Seal(absl::string_view plaintext, absl::string_view aad,
                                   Random& random) const;
  // FailedPrecondition when the blob was sealed with another KEK; DataLoss when it is
  // truncated, tampered with or bound to another slot.
  absl::StatusOr<std::string> Open(absl::string_view sealed, absl::string_view aad) const;

  // Hex of the 8-byte key id (safe to log).
  std::string key_id_hex() const;

 private:
  explicit KeyCipher(std::string kek);
  std::string kek_;
  std::string key_id_;
};

}  // namespace kirim

#endif  // KIRIM_SERVER_KEYSTORE_KEY_CIPHER_H_
