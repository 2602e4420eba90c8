// DkimKeyStore: the one module that holds DKIM private keys in the clear. It generates a key,
// hands back only the sealed form (KeyCipher, bound to tenant/domain/selector) and the public
// DNS record, and opens a sealed key again for the signer. Nothing else decrypts keys, and no
// key material ever reaches a log line, an error message or an RPC.
//
//   DkimKeyStore keys(&cipher, random);
//   KIRIM_ASSIGN_OR_RETURN(DkimKeyStore::NewKey k,
//                          keys.Generate("acme", "example.com", "k1", dkim::Algorithm::kRsaSha256));
//   stored.mutable_sealed_keys()->insert({"k1", k.sealed});    // publish k.dns_value
//   KIRIM_ASSIGN_OR_RETURN(auto key, keys.Open("acme", "example.com", "k1", k.sealed));
//
// Without a key-encryption key (cipher == nullptr) every call fails with FAILED_PRECONDITION
// saying how to configure one: Kirim never stores a private key unencrypted.
#ifndef KIRIM_SERVER_KEYSTORE_DKIM_KEY_STORE_H_
#define KIRIM_SERVER_KEYSTORE_DKIM_KEY_STORE_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "server/common/random.h"
#include "server/dkim/dkim_key.h"
#include "server/keystore/key_cipher.h"

namespace kirim {

class DkimKeyStore {
 public:
  struct NewKey {
    std::string sealed;     // safe to store
    std::string dns_value;  // "v=DKIM1; k=...; p=..."
    int bits = 0;           // RSA modulus bits, 0 for Ed25519
  };

  // `cipher` may be null (no key-encryption key configured). Both must outlive this.
  DkimKeyStore(const KeyCipher* cipher, Random& random) : cipher_(cipher), random_(random) {}

  absl::StatusOr<NewKey> Generate(absl::string_view tenant, absl::string_view domain,
                                  absl::string_view selector, dkim::Algorithm algorithm,
                                  int rsa_bits = 2048) const;

  // The private key sealed for (tenant, domain, selector). FAILED_PRECONDITION when the
  // configured key-encryption key is not the one it was sealed with; DATA_LOSS when the blob is
  // damaged or belongs to another slot.
  absl::StatusOr<std::shared_ptr<const dkim::PrivateKey>> Open(absl::string_view tenant,
                                                               absl::string_view domain,
                                                               absl::string_view selector,
                                                               absl::string_view sealed) const;

  bool configured() const { return cipher_ != nullptr; }

 private:
  absl::Status RequireCipher() const;

  const KeyCipher* const cipher_;
  Random& random_;
};

}  // namespace kirim

#endif  // KIRIM_SERVER_KEYSTORE_DKIM_KEY_STORE_H_
