#include "server/dkim/dkim_key.h"

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/dkim/dkim_test_util.h"

namespace kirim::dkim {
namespace {

using testing::Ed25519Key;
using ::testing::HasSubstr;
using ::testing::Not;
using testing::RsaKey;
using ::testing::StartsWith;

struct PkeyFree {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
};
using PkeyPtr = std::unique_ptr<EVP_PKEY, PkeyFree>;

// The public key a verifier would build from the p= value.
PkeyPtr PublicKeyFromDns(const PrivateKey& key) {
  std::string der;
  EXPECT_TRUE(absl::Base64Unescape(key.PublicKeyBase64(), &der));
  const auto* bytes = reinterpret_cast<const unsigned char*>(der.data());
  if (key.algorithm() == Algorithm::kRsaSha256) {
    return PkeyPtr(d2i_PUBKEY(nullptr, &bytes, static_cast<long>(der.size())));
  }
  EXPECT_EQ(der.size(), 32u);
  return PkeyPtr(EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nullptr, bytes, der.size()));
}

// Checks `signature` with OpenSSL the way a DKIM verifier does (RFC 6376 §3.3.1, RFC 8463 §3).
bool VerifiesWithPublicKey(const PrivateKey& key, const std::string& data,
                           const std::string& signature) {
  PkeyPtr pub = PublicKeyFromDns(key);
  if (pub == nullptr) return false;
  std::string message = data;
  const EVP_MD* md = EVP_sha256();
  if (key.algorithm() == Algorithm::kEd25519Sha256) {
    unsigned char digest[32];
    unsigned int size = 0;
    EVP_Digest(data.data(), data.size(), digest, &size, EVP_sha256(), nullptr);
    message.assign(reinterpret_cast<char*>(digest), size);
    md = nullptr;
  }
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  const bool ok =
      EVP_DigestVerifyInit(ctx, nullptr, md, nullptr, pub.get()) == 1 &&
      EVP_DigestVerify(ctx, reinterpret_cast<const unsigned char*>(signature.data()),
                       signature.size(), reinterpret_cast<const unsigned char*>(message.data()),
                       message.size()) == 1;
  EVP_MD_CTX_free(ctx);
  return ok;
}

std::string WritePem(EVP_PKEY* pkey, const EVP_CIPHER* cipher, bool traditional) {
  BIO* bio = BIO_new(BIO_s_mem());
  char password[] = "secret";
  if (traditional) {
    PEM_write_bio_PrivateKey_traditional(bio, pkey, nullptr, nullptr, 0, nullptr, nullptr);
  } else {
    PEM_write_bio_PKCS8PrivateKey(bio, pkey, cipher, cipher ? password : nullptr, cipher ? 6 : 0,
                                  nullptr, nullptr);
  }
  char* data = nullptr;
  const long size = BIO_get_mem_data(bio, &data);
  std::string pem(data, static_cast<size_t>(size));
  BIO_free(bio);
  return pem;
}

PkeyPtr GenerateWithOpenSsl(const char* type, int rsa_bits) {
  EVP_PKEY_CTX* ctx = EVP_PKEY_CTX_new_from_name(nullptr, type, nullptr);
  EVP_PKEY* pkey = nullptr;
  EVP_PKEY_keygen_init(ctx);
  if (rsa_bits > 0) EVP_PKEY_CTX_set_rsa_keygen_bits(ctx, rsa_bits);
  EVP_PKEY_keygen(ctx, &pkey);
  EVP_PKEY_CTX_free(ctx);
  return PkeyPtr(pkey);
}

TEST(AlgorithmTagTest, Tags) {
  EXPECT_EQ(AlgorithmTag(Algorithm::kRsaSha256), "rsa-sha256");
  EXPECT_EQ(AlgorithmTag(Algorithm::kEd25519Sha256), "ed25519-sha256");
}

TEST(PrivateKeyTest, Rsa2048) {
  const PrivateKey& key = *RsaKey();
  EXPECT_EQ(key.algorithm(), Algorithm::kRsaSha256);
  EXPECT_EQ(key.bits(), 2048);
  EXPECT_FALSE(key.empty());
  const std::string p = key.PublicKeyBase64();
  EXPECT_EQ(key.DnsRecordValue(), "v=DKIM1; k=rsa; p=" + p);
  // DER SubjectPublicKeyInfo of a 2048-bit key: 294 bytes.
  std::string der;
  ASSERT_TRUE(absl::Base64Unescape(p, &der));
  EXPECT_EQ(der.size(), 294u);
  EXPECT_NE(PublicKeyFromDns(key), nullptr);
}

TEST(PrivateKeyTest, Ed25519) {
  const PrivateKey& key = *Ed25519Key();
  EXPECT_EQ(key.algorithm(), Algorithm::kEd25519Sha256);
  EXPECT_EQ(key.bits(), 0);
  const std::string p = key.PublicKeyBase64();
  EXPECT_EQ(p.size(), 44u);  // base64 of 32 raw bytes, RFC 8463 §4
  EXPECT_EQ(key.DnsRecordValue(), "v=DKIM1; k=ed25519; p=" + p);
}

TEST(PrivateKeyTest, GeneratedKeysDiffer) {
  absl::StatusOr<PrivateKey> other = PrivateKey::Generate(Algorithm::kEd25519Sha256);
  ASSERT_TRUE(other.ok()) << other.status();
  EXPECT_NE(other->PublicKeyBase64(), Ed25519Key()->PublicKeyBase64());
}

TEST(PrivateKeyTest, RsaBitsRange) {
  for (int bits : {0, 512, 1023, 4097, 8192}) {
    absl::StatusOr<PrivateKey> key = PrivateKey::Generate(Algorithm::kRsaSha256, bits);
    EXPECT_EQ(key.status().code(), absl::StatusCode::kInvalidArgument) << bits;
  }
  absl::StatusOr<PrivateKey> small = PrivateKey::Generate(Algorithm::kRsaSha256, 1024);
  ASSERT_TRUE(small.ok()) << small.status();
  EXPECT_EQ(small->bits(), 1024);
}

TEST(PrivateKeyTest, PemRoundTrip) {
  for (const auto& key : {RsaKey(), Ed25519Key()}) {
    absl::StatusOr<std::string> pem = key->ToPem();
    ASSERT_TRUE(pem.ok()) << pem.status();
    EXPECT_THAT(*pem, StartsWith("-----BEGIN PRIVATE KEY-----\n"));
    absl::StatusOr<PrivateKey> back = PrivateKey::FromPem(*pem);
    ASSERT_TRUE(back.ok()) << back.status();
    EXPECT_EQ(back->algorithm(), key->algorithm());
    EXPECT_EQ(back->bits(), key->bits());
    EXPECT_EQ(back->PublicKeyBase64(), key->PublicKeyBase64());
    // Both signature schemes are deterministic, so the same key gives the same signature.
    EXPECT_EQ(*back->Sign("data"), *key->Sign("data"));
  }
}

TEST(PrivateKeyTest, AcceptsTraditionalRsaPem) {
  PkeyPtr pkey = GenerateWithOpenSsl("RSA", 1024);
  const std::string pem = WritePem(pkey.get(), nullptr, /*traditional=*/true);
  ASSERT_THAT(pem, StartsWith("-----BEGIN RSA PRIVATE KEY-----"));
  absl::StatusOr<PrivateKey> key = PrivateKey::FromPem(pem);
  ASSERT_TRUE(key.ok()) << key.status();
  EXPECT_EQ(key->bits(), 1024);
}

TEST(PrivateKeyTest, SignaturesVerifyWithThePublishedKey) {
  const std::string data = "from:a@example.com\r\ndkim-signature:v=1; b=";
  for (const auto& key : {RsaKey(), Ed25519Key()}) {
    absl::StatusOr<std::string> signature = key->Sign(data);
    ASSERT_TRUE(signature.ok()) << signature.status();
    EXPECT_EQ(signature->size(), key->algorithm() == Algorithm::kRsaSha256 ? 256u : 64u);
    EXPECT_TRUE(VerifiesWithPublicKey(*key, data, *signature));
    EXPECT_FALSE(VerifiesWithPublicKey(*key, data + "x", *signature));
  }
}

TEST(PrivateKeyTest, Ed25519SignsTheSha256NotTheData) {
  // If Sign() skipped the RFC 8463 prehash, the signature would verify over the raw data.
  const std::string data = "some header data";
  absl::StatusOr<std::string> signature = Ed25519Key()->Sign(data);
  ASSERT_TRUE(signature.ok());
  PkeyPtr pub = PublicKeyFromDns(*Ed25519Key());
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  ASSERT_EQ(EVP_DigestVerifyInit(ctx, nullptr, nullptr, nullptr, pub.get()), 1);
  EXPECT_NE(EVP_DigestVerify(ctx, reinterpret_cast<const unsigned char*>(signature->data()),
                             signature->size(), reinterpret_cast<const unsigned char*>(data.data()),
                             data.size()),
            1);
  EVP_MD_CTX_free(ctx);
}

void ExpectRejectedWithoutEcho(const std::string& pem, const std::string& reason) {
  absl::StatusOr<PrivateKey> key = PrivateKey::FromPem(pem);
  ASSERT_FALSE(key.ok());
  EXPECT_EQ(key.status().code(), absl::StatusCode::kInvalidArgument);
  const std::string message(key.status().message());
  EXPECT_THAT(message, HasSubstr(reason));
  EXPECT_THAT(message, Not(HasSubstr("-----")));
  for (absl::string_view line : absl::StrSplit(pem, '\n', absl::SkipEmpty())) {
    if (line.size() >= 16) {
      EXPECT_THAT(message, Not(HasSubstr(std::string(line.substr(0, 16)))));
    }
  }
}

TEST(FromPemTest, GarbageIsInvalidArgument) {
  ExpectRejectedWithoutEcho("", "not a PEM private key");
  ExpectRejectedWithoutEcho("hello world, this is not a key at all", "not a PEM private key");
}

TEST(FromPemTest, CorruptedPemIsRejectedWithoutEchoingIt) {
  std::string pem = *Ed25519Key()->ToPem();
  const size_t body = pem.find('\n') + 1;
  pem.replace(body, 8, "!!!!!!!!");
  ExpectRejectedWithoutEcho(pem, "not a PEM private key");

  std::string rsa = *RsaKey()->ToPem();
  rsa.erase(rsa.size() / 2, 200);  // truncated DER
  ExpectRejectedWithoutEcho(rsa, "not a PEM private key");
}

TEST(FromPemTest, PublicKeyIsNotAPrivateKey) {
  PkeyPtr pkey = GenerateWithOpenSsl("ED25519", 0);
  BIO* bio = BIO_new(BIO_s_mem());
  PEM_write_bio_PUBKEY(bio, pkey.get());
  char* data = nullptr;
  const long size = BIO_get_mem_data(bio, &data);
  const std::string pem(data, static_cast<size_t>(size));
  BIO_free(bio);
  ExpectRejectedWithoutEcho(pem, "not a PEM private key");
}

TEST(FromPemTest, EncryptedKeyIsRejectedWithoutPrompting) {
  PkeyPtr pkey = GenerateWithOpenSsl("ED25519", 0);
  const std::string pem = WritePem(pkey.get(), EVP_aes_256_cbc(), false);
  ASSERT_THAT(pem, StartsWith("-----BEGIN ENCRYPTED PRIVATE KEY-----"));
  ExpectRejectedWithoutEcho(pem, "encrypted");
}

TEST(FromPemTest, UnsupportedKeyTypes) {
  EVP_PKEY* p256 = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256");
  ASSERT_NE(p256, nullptr);
  ExpectRejectedWithoutEcho(WritePem(p256, nullptr, false), "unsupported key type");
  EVP_PKEY_free(p256);

  PkeyPtr x25519 = GenerateWithOpenSsl("X25519", 0);
  ExpectRejectedWithoutEcho(WritePem(x25519.get(), nullptr, false), "unsupported key type");
}

TEST(FromPemTest, RsaTooSmall) {
  PkeyPtr small = GenerateWithOpenSsl("RSA", 512);
  ASSERT_NE(small, nullptr);
  ExpectRejectedWithoutEcho(WritePem(small.get(), nullptr, false), "RSA key size 512");
}

TEST(PrivateKeyTest, MovedFromKeyIsEmpty) {
  absl::StatusOr<PrivateKey> key = PrivateKey::Generate(Algorithm::kEd25519Sha256);
  ASSERT_TRUE(key.ok());
  PrivateKey moved = std::move(*key);
  EXPECT_FALSE(moved.empty());
  EXPECT_TRUE(key->empty());  // NOLINT(bugprone-use-after-move): the documented state
  EXPECT_EQ(key->Sign("x").status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(key->ToPem().status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(key->PublicKeyBase64(), "");
  EXPECT_EQ(key->DnsRecordValue(), "");
  EXPECT_TRUE(moved.Sign("x").ok());
}

}  // namespace
}  // namespace kirim::dkim
