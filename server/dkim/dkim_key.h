// A DKIM signing key: an OpenSSL EVP_PKEY holding an RSA or Ed25519 private key, with the
// pieces DKIM needs from it - the signature algorithm, the public-key TXT record and the
// signing operation itself.
//
//   KIRIM_ASSIGN_OR_RETURN(PrivateKey key, PrivateKey::Generate(Algorithm::kEd25519Sha256));
//   publish(key.DnsRecordValue());        // "v=DKIM1; k=ed25519; p=11qYAYKxCrfVS/7TyWQH..."
//   KIRIM_ASSIGN_OR_RETURN(std::string pem, key.ToPem());  // for the key store, which encrypts it
//   KIRIM_ASSIGN_OR_RETURN(std::string sig, key.Sign(canonical_headers));
//
// Implemented: RFC 6376 §3.3.1 rsa-sha256 (RSASSA-PKCS1-v1_5 with SHA-256) and §3.6.1 key
// records; RFC 8301 §3.2 key sizes (RSA below 1024 bits is refused); RFC 8463 §3 ed25519-sha256
// (PureEdDSA over the SHA-256 hash) and §4 its raw 32-byte p= value.
//
// The private key never leaves this class except through ToPem(), and no error message or log
// line carries key material: errors name what was wrong ("not a PEM private key"), never the
// input.
#ifndef KIRIM_SERVER_DKIM_DKIM_KEY_H_
#define KIRIM_SERVER_DKIM_DKIM_KEY_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

typedef struct evp_pkey_st EVP_PKEY;

namespace kirim::dkim {

enum class Algorithm { kRsaSha256, kEd25519Sha256 };

// The a= tag value: "rsa-sha256" or "ed25519-sha256".
absl::string_view AlgorithmTag(Algorithm algorithm);

// RSA modulus sizes accepted by Generate and FromPem. RFC 8301 §3.2: verifiers must accept
// 1024..4096 bits and signers must not use less than 1024.
inline constexpr int kMinRsaBits = 1024;
inline constexpr int kMaxRsaBits = 4096;

// Movable, not copyable; share one key between signers with std::shared_ptr<const PrivateKey>.
// All const methods are safe to call from several threads at once. A moved-from key is empty:
// Sign and ToPem fail with FailedPrecondition, the public-key accessors return "".
class PrivateKey {
 public:
  // A fresh key from OpenSSL's CSPRNG. `rsa_bits` is ignored for Ed25519; for RSA it must lie
  // in [kMinRsaBits, kMaxRsaBits], else InvalidArgument.
  static absl::StatusOr<PrivateKey> Generate(Algorithm algorithm, int rsa_bits = 2048);

  // Parses an unencrypted PEM private key ("BEGIN PRIVATE KEY", PKCS#8; the traditional
  // "BEGIN RSA PRIVATE KEY" is accepted too) and detects the algorithm from it.
  // InvalidArgument for anything else: not PEM, an encrypted key, a key type other than RSA or
  // Ed25519, an RSA size outside [kMinRsaBits, kMaxRsaBits].
  static absl::StatusOr<PrivateKey> FromPem(absl::string_view pkcs8_pem);

  PrivateKey(PrivateKey&&) noexcept;
  PrivateKey& operator=(PrivateKey&&) noexcept;
  ~PrivateKey();

  // PKCS#8 PEM ("-----BEGIN PRIVATE KEY-----"), unencrypted: the caller encrypts it at rest.
  absl::StatusOr<std::string> ToPem() const;

  // True for a moved-from key.
  bool empty() const { return pkey_ == nullptr; }
  Algorithm algorithm() const { return algorithm_; }
  // The RSA modulus size in bits; 0 for Ed25519.
  int bits() const;

  // The p= value. RSA: base64 of the DER SubjectPublicKeyInfo (RFC 6376 §3.6.1). Ed25519:
  // base64 of the raw 32-byte public key (RFC 8463 §4).
  std::string PublicKeyBase64() const;

  // The whole TXT record to publish at <selector>._domainkey.<domain>:
  // "v=DKIM1; k=rsa; p=..." or "v=DKIM1; k=ed25519; p=...". A 2048-bit RSA record is longer
  // than 255 octets, so the DNS publisher must split it into several character-strings.
  std::string DnsRecordValue() const;

  // The b= signature bytes (not base64) over `data`, which is the canonicalised header data:
  // rsa-sha256 = RSASSA-PKCS1-v1_5 over SHA-256(data); ed25519-sha256 = Ed25519 over
  // SHA-256(data) (RFC 8463 §3: the hash, not the data, is the message Ed25519 signs).
  absl::StatusOr<std::string> Sign(absl::string_view data) const;

 private:
  struct PkeyFree {
    void operator()(EVP_PKEY* pkey) const;
  };
  PrivateKey(std::unique_ptr<EVP_PKEY, PkeyFree> pkey, Algorithm algorithm);

  std::unique_ptr<EVP_PKEY, PkeyFree> pkey_;
  Algorithm algorithm_;
};

}  // namespace kirim::dkim

#endif  // KIRIM_SERVER_DKIM_DKIM_KEY_H_
