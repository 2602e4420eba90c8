#include "server/auth/api_key_format.h"

#include <deque>
#include <string>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "gtest/gtest.h"
#include "tests/common/fake_random.h"

namespace kirim {
namespace {

// Hands out the given byte strings in order, to pin the encoding to known vectors.
class ScriptedRandom final : public Random {
 public:
  explicit ScriptedRandom(std::deque<std::string> chunks) : chunks_(std::move(chunks)) {}
  std::string Bytes(size_t n) override {
    std::string out = chunks_.front();
    chunks_.pop_front();
    EXPECT_EQ(out.size(), n);
    return out;
  }
  uint64_t Uint64() override { return 0; }

 private:
  std::deque<std::string> chunks_;
};

std::string Hex(absl::string_view hex) { return absl::HexStringToBytes(hex); }

TEST(GenerateApiKeyStringTest, KnownVectors) {
  ScriptedRandom random({Hex("00443214c74254b635cf"), Hex("000102030405060708090a0b0c0d0e0f"
                                                          "101112131415161718191a1b1c1d1e1f"),
                         Hex("84653a56d7c675be77df"), std::string(32, '\xff')});
  EXPECT_EQ(GenerateApiKeyString(random),
            "kirim_0123456789ABCDEF_AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8");
  // The second half of the alphabet, and a secret made only of '_' (base64url's 63).
  EXPECT_EQ(GenerateApiKeyString(random),
            "kirim_GHJKMNPQRSTVWXYZ_" + std::string(42, '_') + "8");
}

TEST(GenerateApiKeyStringTest, HasTheDocumentedShape) {
  testing::FakeRandom random(3);
  for (int i = 0; i < 200; ++i) {
    const std::string key = GenerateApiKeyString(random);
    ASSERT_EQ(key.size(), kApiKeyLength);
    ASSERT_EQ(key.size(), 66u);
    ASSERT_TRUE(absl::StartsWith(key, "kirim_")) << key;
    ASSERT_EQ(key[22], '_') << key;
    absl::StatusOr<std::string> id = ApiKeyIdOf(key);
    ASSERT_TRUE(id.ok()) << key;
    EXPECT_EQ(*id, key.substr(6, 16));
    std::string secret;
    ASSERT_TRUE(absl::WebSafeBase64Unescape(key.substr(23), &secret)) << key;
    EXPECT_EQ(secret.size(), 32u);
  }
}

TEST(GenerateApiKeyStringTest, DeterministicForASeedAndDifferentAcrossSeeds) {
  testing::FakeRandom a(7), b(7), c(8);
  const std::string first = GenerateApiKeyString(a);
  EXPECT_EQ(first, GenerateApiKeyString(b));
  EXPECT_NE(first, GenerateApiKeyString(a));  // the next key from the same source
  EXPECT_NE(first, GenerateApiKeyString(c));
}

TEST(ApiKeyIdOfTest, SplitsByPositionEvenWhenTheSecretHoldsUnderscores) {
  const std::string key = "kirim_ZZZZZZZZZZZZZZZZ_" + std::string(42, '_') + "8";
  absl::StatusOr<std::string> id = ApiKeyIdOf(key);
  ASSERT_TRUE(id.ok()) << id.status();
  EXPECT_EQ(*id, "ZZZZZZZZZZZZZZZZ");
  EXPECT_TRUE(ApiKeyIdOf("kirim_0000000000000000_-" + std::string(41, 'A') + "E").ok());
}

TEST(ApiKeyIdOfTest, RejectsAnythingElse) {
  testing::FakeRandom random(11);
  const std::string good = GenerateApiKeyString(random);
  ASSERT_TRUE(ApiKeyIdOf(good).ok());
  auto with = [&](size_t pos, char c) {
    std::string s = good;
    s[pos] = c;
    return s;
  };
  const std::string secret_tail = std::string(42, 'A') + "A";
  for (const std::string& bad : {
           std::string(),
           std::string("kirim_"),
           good.substr(0, 65),
           good + "A",
           good + "\n",
           " " + good.substr(1),
           "Kirim" + good.substr(5),              // prefix is case-sensitive
           with(5, '-'),                          // prefix separator
           with(22, '-'),                         // id/secret separator
           with(6, 'a'),                          // lowercase id: not canonical
           with(7, 'U'), with(8, 'I'), with(9, 'L'), with(10, 'O'),  // not in Crockford
           with(30, '+'), with(30, '/'), with(30, '='),  // standard base64, padding
           with(30, '.'),
           "kirim_0000000000000000_" + std::string(42, 'A') + "B",  // last char not canonical
           "kirim_0000000000000000_" + std::string(42, 'A') + "_",
           "kirim_000000000000000_" + secret_tail + "A",            // id one short
       }) {
    absl::StatusOr<std::string> id = ApiKeyIdOf(bad);
    EXPECT_EQ(id.status(), absl::InvalidArgumentError("malformed API key")) << bad;
  }
}

TEST(ApiKeyNameTest, RoundTrips) {
  EXPECT_EQ(ApiKeyName("0123456789ABCDEF"), "apiKeys/0123456789ABCDEF");
  EXPECT_EQ(ApiKeyDisplayPrefix("0123456789ABCDEF"), "kirim_0123456789ABCDEF");
  absl::StatusOr<std::string> id = ParseApiKeyName("apiKeys/0123456789ABCDEF");
  ASSERT_TRUE(id.ok()) << id.status();
  EXPECT_EQ(*id, "0123456789ABCDEF");
  for (absl::string_view bad : {"", "apiKeys/", "0123456789ABCDEF", "apikeys/0123456789ABCDEF",
                                "apiKeys/0123456789abcdef", "apiKeys/0123456789ABCDEF/x",
                                "messages/0123456789ABCDEF"}) {
    EXPECT_EQ(ParseApiKeyName(bad).status().code(), absl::StatusCode::kInvalidArgument) << bad;
  }
  EXPECT_TRUE(IsValidApiKeyId("ZZZZZZZZZZZZZZZZ"));
  EXPECT_FALSE(IsValidApiKeyId("ZZZZZZZZZZZZZZZ"));
}

}  // namespace
}  // namespace kirim
