#include "server/dkim/dkim_key.h"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include <utility>

#include "absl/status/status.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"

namespace kirim::dkim {
namespace {

struct BioFree {
  void operator()(BIO* bio) const { BIO_free(bio); }
};
struct PkeyCtxFree {
  void operator()(EVP_PKEY_CTX* ctx) const { EVP_PKEY_CTX_free(ctx); }
};
struct MdCtxFree {
  void operator()(EVP_MD_CTX* ctx) const { EVP_MD_CTX_free(ctx); }
};
using BioPtr = std::unique_ptr<BIO, BioFree>;
using PkeyCtxPtr = std::unique_ptr<EVP_PKEY_CTX, PkeyCtxFree>;
using MdCtxPtr = std::unique_ptr<EVP_MD_CTX, MdCtxFree>;

// OpenSSL's reason for the most recent failure, then an empty error queue so the failure does
// not surface later in unrelated code on this thread. Only the static reason string is used,
// never the error's data field, so nothing from the input can leak into a message.
std::string TakeOpenSslReason() {
  const unsigned long code = ERR_peek_last_error();
  const char* reason = code != 0 ? ERR_reason_error_string(code) : nullptr;
  ERR_clear_error();
  return reason != nullptr ? reason : "no details";
}

absl::Status OpenSslError(absl::string_view what) {
  return absl::InternalError(absl::StrCat(what, " failed (openssl: ", TakeOpenSslReason(), ")"));
}

// Passphrase callback for PEM reading: refuses, and notes that one was asked for. Without it
// OpenSSL would prompt on the terminal for an encrypted key.
int RefusePassphrase(char* /*buf*/, int /*size*/, int /*rwflag*/, void* asked) {
  *static_cast<bool*>(asked) = true;
  return -1;
}

}  // namespace

absl::string_view AlgorithmTag(Algorithm algorithm) {
  switch (algorithm) {
    case Algorithm::kRsaSha256:
      return "rsa-sha256";
    case Algorithm::kEd25519Sha256:
      return "ed25519-sha256";
  }
  return "";
}

void PrivateKey::PkeyFree::operator()(EVP_PKEY* pkey) const { EVP_PKEY_free(pkey); }

PrivateKey::PrivateKey(std::unique_ptr<EVP_PKEY, PkeyFree> pkey, Algorithm algorithm)
    : pkey_(std::move(pkey)), algorithm_(algorithm) {}
PrivateKey::PrivateKey(PrivateKey&&) noexcept = default;
PrivateKey& PrivateKey::operator=(PrivateKey&&) noexcept = default;
PrivateKey::~PrivateKey() = default;

absl::StatusOr<PrivateKey> PrivateKey::Generate(Algorithm algorithm, int rsa_bits) {
  const bool rsa = algorithm == Algorithm::kRsaSha256;
  if (rsa && (rsa_bits < kMinRsaBits || rsa_bits > kMaxRsaBits)) {
    return absl::InvalidArgumentError(absl::StrCat("RSA key size ", rsa_bits, " is outside [",
                                                   kMinRsaBits, ", ", kMaxRsaBits, "] bits"));
  }
  PkeyCtxPtr ctx(EVP_PKEY_CTX_new_id(rsa ? EVP_PKEY_RSA : EVP_PKEY_ED25519, nullptr));
  if (ctx == nullptr || EVP_PKEY_keygen_init(ctx.get()) <= 0 ||
      (rsa && EVP_PKEY_CTX_set_rsa_keygen_bits(ctx.get(), rsa_bits) <= 0)) {
    return OpenSslError("key generation setup");
  }
  EVP_PKEY* raw = nullptr;
  if (EVP_PKEY_keygen(ctx.get(), &raw) <= 0) return OpenSslError("key generation");
  return PrivateKey(std::unique_ptr<EVP_PKEY, PkeyFree>(raw), algorithm);
}

absl::StatusOr<PrivateKey> PrivateKey::FromPem(absl::string_view pkcs8_pem) {
  BioPtr bio(BIO_new_mem_buf(pkcs8_pem.data(), static_cast<int>(pkcs8_pem.size())));
  if (bio == nullptr) return OpenSslError("BIO_new_mem_buf");
  bool passphrase_asked = false;
  std::unique_ptr<EVP_PKEY, PkeyFree> pkey(
      PEM_read_bio_PrivateKey(bio.get(), nullptr, &RefusePassphrase, &passphrase_asked));
  if (pkey == nullptr) {
    const std::string reason = TakeOpenSslReason();
    if (passphrase_asked) {
      return absl::InvalidArgumentError(
          "DKIM private key is encrypted; pass the decrypted PKCS#8 PEM");
    }
    return absl::InvalidArgumentError(
        absl::StrCat("not a PEM private key (openssl: ", reason, ")"));
  }
  switch (EVP_PKEY_get_base_id(pkey.get())) {
    case EVP_PKEY_RSA: {
      const int bits = EVP_PKEY_get_bits(pkey.get());
      if (bits < kMinRsaBits || bits > kMaxRsaBits) {
        return absl::InvalidArgumentError(absl::StrCat("RSA key size ", bits, " is outside [",
                                                       kMinRsaBits, ", ", kMaxRsaBits, "] bits"));
      }
      return PrivateKey(std::move(pkey), Algorithm::kRsaSha256);
    }
    case EVP_PKEY_ED25519:
      return PrivateKey(std::move(pkey), Algorithm::kEd25519Sha256);
    default: {
      const char* type = OBJ_nid2sn(EVP_PKEY_get_base_id(pkey.get()));
      return absl::InvalidArgumentError(absl::StrCat("unsupported key type ",
                                                     type != nullptr ? type : "(unknown)",
                                                     "; DKIM keys are RSA or Ed25519"));
    }
  }
}

absl::StatusOr<std::string> PrivateKey::ToPem() const {
  if (pkey_ == nullptr) return absl::FailedPreconditionError("empty (moved-from) DKIM key");
  // Secure memory: the buffer holding the PEM is wiped when the BIO is freed.
  BioPtr bio(BIO_new(BIO_s_secmem()));
  if (bio == nullptr || PEM_write_bio_PKCS8PrivateKey(bio.get(), pkey_.get(), nullptr, nullptr, 0,
                                                      nullptr, nullptr) <= 0) {
    return OpenSslError("writing the PEM key");
  }
  char* data = nullptr;
  const long size = BIO_get_mem_data(bio.get(), &data);
  if (size <= 0 || data == nullptr) return OpenSslError("reading the PEM key");
  return std::string(data, static_cast<size_t>(size));
}

int PrivateKey::bits() const {
  if (pkey_ == nullptr || algorithm_ != Algorithm::kRsaSha256) return 0;
  return EVP_PKEY_get_bits(pkey_.get());
}

std::string PrivateKey::PublicKeyBase64() const {
  if (pkey_ == nullptr) return "";
  std::string bytes;
  if (algorithm_ == Algorithm::kRsaSha256) {
    const int size = i2d_PUBKEY(pkey_.get(), nullptr);
    if (size <= 0) return "";
    bytes.resize(static_cast<size_t>(size));
    unsigned char* out = reinterpret_cast<unsigned char*>(bytes.data());
    if (i2d_PUBKEY(pkey_.get(), &out) != size) return "";
  } else {
    size_t size = 0;
    if (EVP_PKEY_get_raw_public_key(pkey_.get(), nullptr, &size) <= 0) return "";
    bytes.resize(size);
    if (EVP_PKEY_get_raw_public_key(pkey_.get(), reinterpret_cast<unsigned char*>(bytes.data()),
                                    &size) <= 0) {
      return "";
    }
    bytes.resize(size);
  }
  return absl::Base64Escape(bytes);
}

std::string PrivateKey::DnsRecordValue() const {
  const std::string p = PublicKeyBase64();
  if (p.empty()) return "";
  return absl::StrCat("v=DKIM1; k=", algorithm_ == Algorithm::kRsaSha256 ? "rsa" : "ed25519",
                      "; p=", p);
}

absl::StatusOr<std::string> PrivateKey::Sign(absl::string_view data) const {
  if (pkey_ == nullptr) return absl::FailedPreconditionError("empty (moved-from) DKIM key");
  MdCtxPtr ctx(EVP_MD_CTX_new());
  if (ctx == nullptr) return OpenSslError("EVP_MD_CTX_new");

  absl::string_view message = data;
  unsigned char digest[EVP_MAX_MD_SIZE];
  if (algorithm_ == Algorithm::kRsaSha256) {
    EVP_PKEY_CTX* pctx = nullptr;  // owned by ctx
    if (EVP_DigestSignInit(ctx.get(), &pctx, EVP_sha256(), nullptr, pkey_.get()) <= 0 ||
        EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PADDING) <= 0) {
      return OpenSslError("RSA signing setup");
    }
  } else {
    // RFC 8463 §3: Ed25519 (pure, no prehash mode) signs the SHA-256 hash of the data.
    unsigned int digest_size = 0;
    if (EVP_Digest(data.data(), data.size(), digest, &digest_size, EVP_sha256(), nullptr) <= 0) {
      return OpenSslError("SHA-256");
    }
    message = absl::string_view(reinterpret_cast<const char*>(digest), digest_size);
    if (EVP_DigestSignInit(ctx.get(), nullptr, nullptr, nullptr, pkey_.get()) <= 0) {
      return OpenSslError("Ed25519 signing setup");
    }
  }
  const auto* in = reinterpret_cast<const unsigned char*>(message.data());
  size_t size = 0;
  if (EVP_DigestSign(ctx.get(), nullptr, &size, in, message.size()) <= 0) {
    return OpenSslError("signing");
  }
  std::string signature(size, '\0');
  if (EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(signature.data()), &size, in,
                     message.size()) <= 0) {
    return OpenSslError("signing");
  }
  signature.resize(size);
  return signature;
}

}  // namespace kirim::dkim
