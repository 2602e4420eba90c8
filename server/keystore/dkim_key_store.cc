#include "server/keystore/dkim_key_store.h"

#include <openssl/crypto.h>

#include <utility>

#include "absl/strings/str_cat.h"
#include "server/common/status_macros.h"

namespace kirim {
namespace {

// The associated data that binds a sealed key to its slot.
std::string Slot(absl::string_view tenant, absl::string_view domain, absl::string_view selector) {
  return absl::StrCat("dkim/", tenant, "/", domain, "/", selector);
}

// Overwrites a PEM before its memory is released.
struct ScrubbedString {
  std::string value;
  ~ScrubbedString() { OPENSSL_cleanse(value.data(), value.size()); }
};

}  // namespace

absl::Status DkimKeyStore::RequireCipher() const {
  if (cipher_ != nullptr) return absl::OkStatus();
  return absl::FailedPreconditionError(
      "no key-encryption key is configured, so Kirim cannot store or use DKIM keys: set "
      "domains.key_encryption_key_file or $KIRIM_KEY_ENCRYPTION_KEY (32 random bytes in base64: "
      "openssl rand -base64 32)");
}

absl::StatusOr<DkimKeyStore::NewKey> DkimKeyStore::Generate(absl::string_view tenant,
                                                            absl::string_view domain,
                                                            absl::string_view selector,
                                                            dkim::Algorithm algorithm,
                                                            int rsa_bits) const {
  KIRIM_RETURN_IF_ERROR(RequireCipher());
  KIRIM_ASSIGN_OR_RETURN(dkim::PrivateKey key, dkim::PrivateKey::Generate(algorithm, rsa_bits));
  ScrubbedString pem;
  KIRIM_ASSIGN_OR_RETURN(pem.value, key.ToPem());
  NewKey out;
  KIRIM_ASSIGN_OR_RETURN(out.sealed,
                         cipher_->Seal(pem.value, Slot(tenant, domain, selector), random_));
  out.dns_value = key.DnsRecordValue();
  out.bits = key.bits();
  return out;
}

absl::StatusOr<std::shared_ptr<const dkim::PrivateKey>> DkimKeyStore::Open(
    absl::string_view tenant, absl::string_view domain, absl::string_view selector,
    absl::string_view sealed) const {
  KIRIM_RETURN_IF_ERROR(RequireCipher());
  absl::StatusOr<std::string> opened = cipher_->Open(sealed, Slot(tenant, domain, selector));
  if (!opened.ok()) {
    return absl::Status(opened.status().code(),
                        absl::StrCat("DKIM key ", selector, " of ", domain, ": ",
                                     opened.status().message()));
  }
  ScrubbedString pem{std::move(*opened)};
  KIRIM_ASSIGN_OR_RETURN(dkim::PrivateKey key, dkim::PrivateKey::FromPem(pem.value));
  return std::make_shared<const dkim::PrivateKey>(std::move(key));
}

}  // namespace kirim
