#include "server/keystore/key_cipher.h"

#include <string>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "gtest/gtest.h"
#include "server/keystore/dkim_key_store.h"
#include "tests/common/fake_random.h"

namespace kirim {
namespace {

using testing::FakeRandom;

const std::string kKek(32, 'k');
const std::string kOtherKek(32, 'o');

TEST(KeyCipherTest, SealOpensWithTheSameKeyAndSlot) {
  FakeRandom random;
  KeyCipher cipher = *KeyCipher::Create(kKek);
  absl::StatusOr<std::string> sealed = cipher.Seal("secret PEM", "dkim/a/b/c", random);
  ASSERT_TRUE(sealed.ok());
  EXPECT_FALSE(absl::StrContains(*sealed, "secret"));
  EXPECT_EQ(sealed->size(), 4 + 8 + 12 + 10 + 16);
  absl::StatusOr<std::string> opened = cipher.Open(*sealed, "dkim/a/b/c");
  ASSERT_TRUE(opened.ok()) << opened.status();
  EXPECT_EQ(*opened, "secret PEM");
}

TEST(KeyCipherTest, EachSealUsesAFreshNonce) {
  FakeRandom random;
  KeyCipher cipher = *KeyCipher::Create(kKek);
  EXPECT_NE(*cipher.Seal("same", "slot", random), *cipher.Seal("same", "slot", random));
}

TEST(KeyCipherTest, AnotherKekFailsClosedNamingBothKeyIds) {
  FakeRandom random;
  KeyCipher cipher = *KeyCipher::Create(kKek);
  KeyCipher other = *KeyCipher::Create(kOtherKek);
  std::string sealed = *cipher.Seal("secret PEM", "slot", random);
  absl::StatusOr<std::string> opened = other.Open(sealed, "slot");
  ASSERT_EQ(opened.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_TRUE(absl::StrContains(opened.status().message(), cipher.key_id_hex()));
  EXPECT_TRUE(absl::StrContains(opened.status().message(), other.key_id_hex()));
  EXPECT_NE(cipher.key_id_hex(), other.key_id_hex());
}

TEST(KeyCipherTest, TamperingTruncationAndAnotherSlotAreDataLoss) {
  FakeRandom random;
  KeyCipher cipher = *KeyCipher::Create(kKek);
  std::string sealed = *cipher.Seal("secret PEM", "dkim/acme/example.com/k1", random);
  std::string flipped = sealed;
  flipped[30] ^= 1;
  EXPECT_EQ(cipher.Open(flipped, "dkim/acme/example.com/k1").status().code(),
            absl::StatusCode::kDataLoss);
  EXPECT_EQ(cipher.Open(sealed.substr(0, 20), "dkim/acme/example.com/k1").status().code(),
            absl::StatusCode::kDataLoss);
  EXPECT_EQ(cipher.Open(sealed, "dkim/evil/example.com/k1").status().code(),
            absl::StatusCode::kDataLoss);
  EXPECT_EQ(cipher.Open("-----BEGIN PRIVATE KEY-----", "x").status().code(),
            absl::StatusCode::kDataLoss);
}

TEST(KeyCipherTest, KekFromBase64ChecksLengthWithoutEchoingTheValue) {
  EXPECT_TRUE(KeyCipher::FromBase64(absl::Base64Escape(kKek) + "\n").ok());
  EXPECT_TRUE(KeyCipher::FromBase64(absl::WebSafeBase64Escape(kKek)).ok());
  absl::StatusOr<KeyCipher> short_key = KeyCipher::FromBase64(absl::Base64Escape("tooshort"));
  ASSERT_EQ(short_key.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(absl::StrContains(short_key.status().message(), "32 bytes"));
  EXPECT_FALSE(absl::StrContains(short_key.status().message(), absl::Base64Escape("tooshort")));
  absl::StatusOr<KeyCipher> garbage = KeyCipher::FromBase64("not base64 at all!!");
  ASSERT_EQ(garbage.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_FALSE(absl::StrContains(garbage.status().message(), "at all"));
}

TEST(DkimKeyStoreTest, GeneratedKeysAreSealedAndOpenOnlyInTheirSlot) {
  FakeRandom random;
  KeyCipher cipher = *KeyCipher::Create(kKek);
  DkimKeyStore store(&cipher, random);
  for (dkim::Algorithm a : {dkim::Algorithm::kRsaSha256, dkim::Algorithm::kEd25519Sha256}) {
    absl::StatusOr<DkimKeyStore::NewKey> k = store.Generate("acme", "example.com", "s1", a);
    ASSERT_TRUE(k.ok()) << k.status();
    EXPECT_FALSE(absl::StrContains(k->sealed, "PRIVATE KEY"));
    EXPECT_TRUE(absl::StartsWith(k->dns_value, "v=DKIM1; k="));
    EXPECT_EQ(k->bits, a == dkim::Algorithm::kRsaSha256 ? 2048 : 0);
    absl::StatusOr<std::shared_ptr<const dkim::PrivateKey>> key =
        store.Open("acme", "example.com", "s1", k->sealed);
    ASSERT_TRUE(key.ok()) << key.status();
    EXPECT_EQ((*key)->algorithm(), a);
    EXPECT_EQ((*key)->DnsRecordValue(), k->dns_value);
    EXPECT_EQ(store.Open("acme", "example.org", "s1", k->sealed).status().code(),
              absl::StatusCode::kDataLoss);
  }
}

TEST(DkimKeyStoreTest, WrongKekFailsClosedWithAClearError) {
  FakeRandom random;
  KeyCipher cipher = *KeyCipher::Create(kKek);
  KeyCipher other = *KeyCipher::Create(kOtherKek);
  std::string sealed =
      DkimKeyStore(&cipher, random).Generate("acme", "example.com", "s1",
                                             dkim::Algorithm::kEd25519Sha256)->sealed;
  absl::Status s = DkimKeyStore(&other, random).Open("acme", "example.com", "s1", sealed).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_TRUE(absl::StrContains(s.message(), "DKIM key s1 of example.com"));
  EXPECT_TRUE(absl::StrContains(s.message(), "key-encryption key"));
}

TEST(DkimKeyStoreTest, WithoutAKekNothingIsGeneratedOrOpened) {
  FakeRandom random;
  DkimKeyStore store(nullptr, random);
  absl::Status s =
      store.Generate("acme", "example.com", "s1", dkim::Algorithm::kRsaSha256).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_TRUE(absl::StrContains(s.message(), "KIRIM_KEY_ENCRYPTION_KEY"));
  EXPECT_EQ(store.Open("acme", "example.com", "s1", "x").status().code(),
            absl::StatusCode::kFailedPrecondition);
}

}  // namespace
}  // namespace kirim
