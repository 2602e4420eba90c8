// The ApiKeyStore contract (see api_key_store_contract.h and server/auth/api_key_store.h).
#include "tests/auth/api_key_store_contract.h"

#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_replace.h"
#include "gmock/gmock.h"
#include "tests/common/fake_random.h"

namespace kirim::testing {
namespace {

using ::testing::ElementsAre;
using Scope = v1::ApiKey::Scope;

// The same key id with another, well-formed secret: the wrong-password case.
std::string WithOtherSecret(std::string key) {
  char& c = key[key.size() - 10];  // inside the secret, not its constrained last character
  c = c == 'A' ? 'B' : 'A';
  return key;
}

// A well-formed key no store has seen.
std::string StrangerKey() {
  FakeRandom random(424242);
  return GenerateApiKeyString(random);
}

std::vector<std::string> Ids(const std::vector<ApiKeyRecord>& records) {
  std::vector<std::string> ids;
  for (const ApiKeyRecord& r : records) ids.push_back(r.key_id);
  return ids;
}

TEST_P(ApiKeyStoreContractTest, CreatedKeyVerifiesWithItsTenantAndScopes) {
  absl::StatusOr<NewApiKey> made =
      store().Create("acme", "CI deploys", {v1::ApiKey::SEND, v1::ApiKey::READ, v1::ApiKey::SEND});
  ASSERT_TRUE(made.ok()) << made.status();
  EXPECT_EQ(*ApiKeyIdOf(made->secret), made->record.key_id);
  EXPECT_THAT(made->record.scopes, ElementsAre(v1::ApiKey::SEND, v1::ApiKey::READ));
  EXPECT_EQ(made->record.create_time, clock().Now());
  EXPECT_FALSE(made->record.revoked());

  absl::StatusOr<ApiKeyRecord> who = store().Verify(made->secret);
  ASSERT_TRUE(who.ok()) << who.status();
  EXPECT_EQ(who->key_id, made->record.key_id);
  EXPECT_EQ(who->tenant, "acme");
  EXPECT_EQ(who->display_name, "CI deploys");
  EXPECT_THAT(who->scopes, ElementsAre(v1::ApiKey::SEND, v1::ApiKey::READ));
  EXPECT_EQ(who->create_time, made->record.create_time);
  EXPECT_FALSE(who->revoked());
}

TEST_P(ApiKeyStoreContractTest, EveryBadKeyGetsTheSameAnswer) {
  absl::StatusOr<NewApiKey> made = store().Create("acme", "", {v1::ApiKey::SEND});
  ASSERT_TRUE(made.ok()) << made.status();
  const absl::Status expected = absl::UnauthenticatedError("invalid API key");
  // Wrong secret under a real key id, an unknown key id, and strings that are not keys at all.
  for (const std::string& bad :
       {WithOtherSecret(made->secret), StrangerKey(), std::string(), std::string("kirim_"),
        made->secret + "x", made->secret.substr(0, made->secret.size() - 1),
        std::string("Bearer ") + made->secret}) {
    EXPECT_EQ(store().Verify(bad).status(), expected) << bad;
  }
  // The real key still works: failures lock nothing out.
  EXPECT_TRUE(store().Verify(made->secret).ok());
}

TEST_P(ApiKeyStoreContractTest, RevokedKeyFailsAtOnceAndRevokeIsIdempotent) {
  absl::StatusOr<NewApiKey> made = store().Create("acme", "old", {v1::ApiKey::ADMIN});
  ASSERT_TRUE(made.ok()) << made.status();
  ASSERT_TRUE(store().Verify(made->secret).ok());
  clock().Advance(absl::Minutes(5));
  const absl::Time revoked_at = clock().Now();

  absl::StatusOr<ApiKeyRecord> revoked = store().Revoke("acme", made->record.key_id);
  ASSERT_TRUE(revoked.ok()) << revoked.status();
  EXPECT_EQ(revoked->revoke_time, revoked_at);
  EXPECT_EQ(revoked->create_time, made->record.create_time);
  EXPECT_EQ(store().Verify(made->secret).status(), absl::UnauthenticatedError("invalid API key"));

  clock().Advance(absl::Minutes(5));
  absl::StatusOr<ApiKeyRecord> again = store().Revoke("acme", made->record.key_id);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(again->revoke_time, revoked_at);  // the first revocation is the one on record
}

TEST_P(ApiKeyStoreContractTest, ListIsPerTenantNewestFirstAndMarksRevoked) {
  std::vector<NewApiKey> made;
  for (const char* name : {"first", "second", "third"}) {
    absl::StatusOr<NewApiKey> k = store().Create("acme", name, {v1::ApiKey::READ});
    ASSERT_TRUE(k.ok()) << k.status();
    made.push_back(*k);
    clock().Advance(absl::Seconds(1));
  }
  ASSERT_TRUE(store().Create("globex", "theirs", {v1::ApiKey::SEND}).ok());
  ASSERT_TRUE(store().Revoke("acme", made[1].record.key_id).ok());

  absl::StatusOr<std::vector<ApiKeyRecord>> listed = store().List("acme");
  ASSERT_TRUE(listed.ok()) << listed.status();
  EXPECT_THAT(Ids(*listed),
              ElementsAre(made[2].record.key_id, made[1].record.key_id, made[0].record.key_id));
  EXPECT_FALSE((*listed)[0].revoked());
  EXPECT_TRUE((*listed)[1].revoked());
  EXPECT_FALSE((*listed)[2].revoked());
  EXPECT_EQ((*listed)[2].display_name, "first");
  // What an RPC would return carries no secret, not even its secret part.
  for (const ApiKeyRecord& r : *listed) {
    const std::string text = r.ToProto().DebugString();
    for (const NewApiKey& k : made) {
      EXPECT_FALSE(absl::StrContains(text, k.secret.substr(kApiKeyLength - kApiKeySecretLength)))
          << text;
    }
  }

  absl::StatusOr<std::vector<ApiKeyRecord>> none = store().List("initech");
  ASSERT_TRUE(none.ok()) << none.status();
  EXPECT_TRUE(none->empty());
}

TEST_P(ApiKeyStoreContractTest, AnotherTenantsKeyIsNotFound) {
  absl::StatusOr<NewApiKey> made = store().Create("acme", "", {v1::ApiKey::SEND});
  ASSERT_TRUE(made.ok()) << made.status();
  const std::string& id = made->record.key_id;

  absl::Status theirs = store().Revoke("globex", id).status();
  EXPECT_EQ(theirs.code(), absl::StatusCode::kNotFound);
  EXPECT_TRUE(store().Verify(made->secret).ok());  // untouched

  // A missing key reads the same, so the answer says nothing about other tenants' keys.
  const std::string missing_id = *ApiKeyIdOf(StrangerKey());
  absl::Status missing = store().Revoke("globex", missing_id).status();
  EXPECT_EQ(missing.code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(theirs.message(), absl::StrReplaceAll(missing.message(), {{missing_id, id}}));

  EXPECT_EQ(store().Revoke("acme", "not-a-key-id").status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST_P(ApiKeyStoreContractTest, ImportIsIdempotentAndKeepsCreateTime) {
  FakeRandom random(7);
  const std::string key = GenerateApiKeyString(random);
  const absl::Time installed = clock().Now();
  ASSERT_TRUE(store().Import(key, "ops", "bootstrap", {v1::ApiKey::ADMIN}).ok());

  clock().Advance(absl::Hours(1));
  // A restart with an edited config: same key, new name and scopes.
  absl::Status again =
      store().Import(key, "ops", "bootstrap admin", {v1::ApiKey::ADMIN, v1::ApiKey::READ});
  ASSERT_TRUE(again.ok()) << again;

  absl::StatusOr<ApiKeyRecord> who = store().Verify(key);
  ASSERT_TRUE(who.ok()) << who.status();
  EXPECT_EQ(who->key_id, *ApiKeyIdOf(key));
  EXPECT_EQ(who->tenant, "ops");
  EXPECT_EQ(who->create_time, installed);
  EXPECT_EQ(who->display_name, "bootstrap admin");
  EXPECT_THAT(who->scopes, ElementsAre(v1::ApiKey::READ, v1::ApiKey::ADMIN));
  absl::StatusOr<std::vector<ApiKeyRecord>> listed = store().List("ops");
  ASSERT_TRUE(listed.ok()) << listed.status();
  EXPECT_EQ(listed->size(), 1u);
}

TEST_P(ApiKeyStoreContractTest, ImportedKeyOnceRevokedStaysRevoked) {
  FakeRandom random(8);
  const std::string key = GenerateApiKeyString(random);
  ASSERT_TRUE(store().Import(key, "ops", "bootstrap", {v1::ApiKey::ADMIN}).ok());
  ASSERT_TRUE(store().Revoke("ops", *ApiKeyIdOf(key)).ok());

  // The next start imports the leaked key again: it must not come back to life.
  EXPECT_TRUE(store().Import(key, "ops", "bootstrap", {v1::ApiKey::ADMIN}).ok());
  EXPECT_EQ(store().Verify(key).status(), absl::UnauthenticatedError("invalid API key"));
  absl::StatusOr<std::vector<ApiKeyRecord>> listed = store().List("ops");
  ASSERT_TRUE(listed.ok()) << listed.status();
  ASSERT_EQ(listed->size(), 1u);
  EXPECT_TRUE((*listed)[0].revoked());
}

TEST_P(ApiKeyStoreContractTest, ImportRefusesConflicts) {
  FakeRandom random(9);
  const std::string key = GenerateApiKeyString(random);
  ASSERT_TRUE(store().Import(key, "ops", "bootstrap", {v1::ApiKey::ADMIN}).ok());

  EXPECT_EQ(store().Import("kirim_nope", "ops", "", {v1::ApiKey::ADMIN}),
            absl::InvalidArgumentError("malformed API key"));
  EXPECT_EQ(store().Import(key, "acme", "", {v1::ApiKey::ADMIN}).code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(store().Import(WithOtherSecret(key), "ops", "", {v1::ApiKey::ADMIN}).code(),
            absl::StatusCode::kAlreadyExists);
  // None of that changed the installed key.
  absl::StatusOr<ApiKeyRecord> who = store().Verify(key);
  ASSERT_TRUE(who.ok()) << who.status();
  EXPECT_EQ(who->tenant, "ops");
  EXPECT_EQ(who->display_name, "bootstrap");
  EXPECT_EQ(store().Verify(WithOtherSecret(key)).status().code(),
            absl::StatusCode::kUnauthenticated);
}

TEST_P(ApiKeyStoreContractTest, BadArgumentsAreInvalidArgument) {
  constexpr auto kInvalid = absl::StatusCode::kInvalidArgument;
  const std::vector<Scope> send = {v1::ApiKey::SEND};
  for (const std::string& tenant :
       {std::string(), std::string(65, 'a'), std::string("a:b"), std::string("{keys}"),
        std::string("a b"), std::string("caf\xc3\xa9")}) {
    EXPECT_EQ(store().Create(tenant, "", send).status().code(), kInvalid) << tenant;
    EXPECT_EQ(store().List(tenant).status().code(), kInvalid) << tenant;
    EXPECT_EQ(store().Revoke(tenant, "0123456789ABCDEF").status().code(), kInvalid) << tenant;
  }
  EXPECT_EQ(store().Create("acme", "", {}).status().code(), kInvalid);
  EXPECT_EQ(store().Create("acme", "", {v1::ApiKey::SCOPE_UNSPECIFIED}).status().code(), kInvalid);
  EXPECT_EQ(store().Create("acme", "", {static_cast<Scope>(99)}).status().code(), kInvalid);
  EXPECT_EQ(store().Create("acme", "two\nlines", send).status().code(), kInvalid);
  EXPECT_EQ(store().Create("acme", std::string(257, 'n'), send).status().code(), kInvalid);
  EXPECT_EQ(store().Create("acme", "\xff", send).status().code(), kInvalid);
  EXPECT_EQ(store().Import(StrangerKey(), "a:b", "", send).code(), kInvalid);

  absl::StatusOr<std::vector<ApiKeyRecord>> listed = store().List("acme");
  ASSERT_TRUE(listed.ok()) << listed.status();
  EXPECT_TRUE(listed->empty());  // nothing half-made
}

TEST_P(ApiKeyStoreContractTest, BackendDownIsUnavailable) {
  absl::StatusOr<NewApiKey> made = store().Create("acme", "", {v1::ApiKey::SEND});
  ASSERT_TRUE(made.ok()) << made.status();
  harness_->TakeDown();
  constexpr auto kUnavailable = absl::StatusCode::kUnavailable;
  // Not UNAUTHENTICATED: a caller must retry, not conclude its key is bad.
  EXPECT_EQ(store().Verify(made->secret).status().code(), kUnavailable);
  EXPECT_EQ(store().Create("acme", "", {v1::ApiKey::SEND}).status().code(), kUnavailable);
  EXPECT_EQ(store().Import(StrangerKey(), "acme", "", {v1::ApiKey::SEND}).code(), kUnavailable);
  EXPECT_EQ(store().List("acme").status().code(), kUnavailable);
  EXPECT_EQ(store().Revoke("acme", made->record.key_id).status().code(), kUnavailable);
}

}  // namespace
}  // namespace kirim::testing
