// The rules every ApiKeyStore shares (server/auth/api_key_store.h), tested once here.
#include "server/auth/api_key_store.h"

#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace kirim {
namespace {

using ::testing::ElementsAre;

ApiKeyRecord Record(const std::string& id, absl::Time created) {
  return ApiKeyRecord{id, "acme", {v1::ApiKey::SEND}, "ci", created, std::nullopt};
}

TEST(ApiKeyRecordTest, ToProtoNamesTheKeyAndShowsOnlyItsPublicPrefix) {
  ApiKeyRecord r = Record("0123456789ABCDEF", absl::FromUnixSeconds(1767323045));
  r.scopes = {v1::ApiKey::SEND, v1::ApiKey::ADMIN};
  v1::ApiKey p = r.ToProto();
  EXPECT_EQ(p.name(), "apiKeys/0123456789ABCDEF");
  EXPECT_EQ(p.prefix(), "kirim_0123456789ABCDEF");
  EXPECT_EQ(p.tenant(), "acme");
  EXPECT_EQ(p.display_name(), "ci");
  EXPECT_THAT(p.scopes(), ElementsAre(v1::ApiKey::SEND, v1::ApiKey::ADMIN));
  EXPECT_EQ(p.create_time().seconds(), 1767323045);
  EXPECT_FALSE(p.has_revoke_time());

  r.revoke_time = absl::FromUnixSeconds(1767323045) + absl::Milliseconds(1500);
  p = r.ToProto();
  EXPECT_EQ(p.revoke_time().seconds(), 1767323046);
  EXPECT_EQ(p.revoke_time().nanos(), 500000000);
  EXPECT_TRUE(r.revoked());
  EXPECT_TRUE(r.HasScope(v1::ApiKey::ADMIN));
  EXPECT_FALSE(r.HasScope(v1::ApiKey::READ));
}

TEST(ValidateTenantTest, AcceptsOnlyShortSafeNames) {
  for (const std::string& ok :
       {std::string("a"), std::string(64, 'z'), std::string("Acme-prod_2")}) {
    EXPECT_TRUE(ValidateTenant(ok).ok()) << ok;
  }
  for (const std::string& bad :
       {std::string(), std::string(65, 'z'), std::string("a:b"), std::string("{t}"),
        std::string("a b"), std::string("a/b"), std::string("a.b"), std::string("caf\xc3\xa9"),
        std::string("a\0b", 3)}) {
    EXPECT_EQ(ValidateTenant(bad).code(), absl::StatusCode::kInvalidArgument) << bad;
  }
}

TEST(CheckKeyAttributesTest, SortsAndDeduplicatesScopes) {
  absl::StatusOr<std::vector<v1::ApiKey::Scope>> scopes = CheckKeyAttributes(
      "acme", "Déploiement CI",
      {v1::ApiKey::ADMIN, v1::ApiKey::SEND, v1::ApiKey::ADMIN, v1::ApiKey::DOMAINS});
  ASSERT_TRUE(scopes.ok()) << scopes.status();
  EXPECT_THAT(*scopes, ElementsAre(v1::ApiKey::SEND, v1::ApiKey::DOMAINS, v1::ApiKey::ADMIN));
  EXPECT_TRUE(CheckKeyAttributes("acme", std::string(256, 'n'), {v1::ApiKey::READ}).ok());
}

TEST(CheckKeyAttributesTest, RejectsBadAttributes) {
  const std::vector<v1::ApiKey::Scope> send = {v1::ApiKey::SEND};
  EXPECT_EQ(CheckKeyAttributes("a:b", "", send).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(CheckKeyAttributes("acme", "", {}).status(),
            absl::InvalidArgumentError("an API key needs at least one scope"));
  EXPECT_EQ(CheckKeyAttributes("acme", "", {v1::ApiKey::SCOPE_UNSPECIFIED}).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(CheckKeyAttributes("acme", "", {static_cast<v1::ApiKey::Scope>(-1)}).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(CheckKeyAttributes("acme", std::string(257, 'n'), send).status().code(),
            absl::StatusCode::kInvalidArgument);
  for (const std::string& bad : {std::string("a\r\nBcc: x"), std::string("tab\there"),
                                 std::string("nul\0", 4), std::string("\xc3\x28")}) {
    EXPECT_EQ(CheckKeyAttributes("acme", bad, send).status().code(),
              absl::StatusCode::kInvalidArgument)
        << bad;
  }
}

TEST(CheckKeyRefTest, ChecksTenantAndKeyId) {
  EXPECT_TRUE(CheckKeyRef("acme", "0123456789ABCDEF").ok());
  EXPECT_EQ(CheckKeyRef("acme", "0123456789abcdef").code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(CheckKeyRef("", "0123456789ABCDEF").code(), absl::StatusCode::kInvalidArgument);
}

TEST(HashApiKeyTest, IsRawSha256) {
  // FIPS 180-2 appendix B.1.
  EXPECT_EQ(absl::BytesToHexString(HashApiKey("abc")),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  const std::string stored = HashApiKey("kirim_key");
  EXPECT_TRUE(ApiKeyHashMatches(stored, "kirim_key"));
  EXPECT_FALSE(ApiKeyHashMatches(stored, "kirim_kez"));
  EXPECT_FALSE(ApiKeyHashMatches(stored.substr(0, 31), "kirim_key"));
  EXPECT_FALSE(ApiKeyHashMatches("", "kirim_key"));
}

TEST(ApplyImportTest, KeepsCreateTimeAndRevocationTakesNameAndScopes) {
  ApiKeyRecord stored = Record("0123456789ABCDEF", absl::FromUnixSeconds(100));
  stored.revoke_time = absl::FromUnixSeconds(200);
  absl::StatusOr<ApiKeyRecord> r =
      ApplyImport(stored, HashApiKey("the-key"), "the-key", "acme", "renamed", {v1::ApiKey::READ});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->create_time, absl::FromUnixSeconds(100));
  EXPECT_EQ(r->revoke_time, absl::FromUnixSeconds(200));
  EXPECT_EQ(r->display_name, "renamed");
  EXPECT_THAT(r->scopes, ElementsAre(v1::ApiKey::READ));

  EXPECT_EQ(ApplyImport(stored, HashApiKey("the-key"), "other-key", "acme", "", {}).status().code(),
            absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(ApplyImport(stored, HashApiKey("the-key"), "the-key", "globex", "", {}).status().code(),
            absl::StatusCode::kFailedPrecondition);
}

TEST(ApplyRevokeTest, RevokesOnceAndOnlyForTheOwner) {
  const ApiKeyRecord stored = Record("0123456789ABCDEF", absl::FromUnixSeconds(100));
  absl::StatusOr<ApiKeyRecord> r = ApplyRevoke(stored, "acme", absl::FromUnixSeconds(300));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->revoke_time, absl::FromUnixSeconds(300));
  absl::StatusOr<ApiKeyRecord> again = ApplyRevoke(*r, "acme", absl::FromUnixSeconds(400));
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(again->revoke_time, absl::FromUnixSeconds(300));
  EXPECT_EQ(ApplyRevoke(stored, "globex", absl::FromUnixSeconds(300)).status(),
            ApiKeyNotFoundError("0123456789ABCDEF"));
  EXPECT_EQ(ApiKeyNotFoundError("0123456789ABCDEF").message(),
            "API key not found: apiKeys/0123456789ABCDEF");
}

TEST(SortNewestFirstTest, OrdersByCreateTimeThenId) {
  std::vector<ApiKeyRecord> records = {Record("A", absl::FromUnixSeconds(1)),
                                       Record("C", absl::FromUnixSeconds(2)),
                                       Record("B", absl::FromUnixSeconds(2))};
  SortNewestFirst(records);
  std::vector<std::string> ids;
  for (const ApiKeyRecord& r : records) ids.push_back(r.key_id);
  EXPECT_THAT(ids, ElementsAre("C", "B", "A"));
}

}  // namespace
}  // namespace kirim
