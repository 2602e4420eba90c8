// RedisApiKeyStore against a real redis-server on a free loopback port: the shared contract,
// plus what only Redis can show (another replica, what is actually stored, restarts).
#include "server/auth/redis_api_key_store.h"

#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "kirim/storage/v1/api_key.pb.h"
#include "server/common/status_macros.h"
#include "tests/auth/api_key_store_contract.h"
#include "tests/common/fake_clock.h"
#include "tests/common/fake_random.h"
#include "tests/harness/redis_server.h"
#include "tests/redis/intercepting_redis_client.h"

namespace kirim::testing {
namespace {

using ::testing::UnorderedElementsAre;

redis::RedisOptions OptionsFor(const RedisServer& server) {
  redis::RedisOptions o;
  o.port = server.port();
  return o;
}

class RedisHarness final : public ApiKeyStoreHarness {
 public:
  absl::Status Start() override {
    KIRIM_RETURN_IF_ERROR(server_.Start());
    client_ = std::make_unique<redis::HiredisClient>(OptionsFor(server_));
    store_ = std::make_unique<RedisApiKeyStore>(*client_, clock_, random_);
    return absl::OkStatus();
  }
  ApiKeyStore& store() override { return *store_; }
  FakeClock& clock() override { return clock_; }
  void TakeDown() override { server_.Stop(); }

 private:
  RedisServer server_;
  FakeClock clock_;
  FakeRandom random_;
  std::unique_ptr<redis::HiredisClient> client_;
  std::unique_ptr<RedisApiKeyStore> store_;
};

std::unique_ptr<ApiKeyStoreHarness> MakeRedisHarness() { return std::make_unique<RedisHarness>(); }

INSTANTIATE_TEST_SUITE_P(Redis, ApiKeyStoreContractTest, ::testing::Values(&MakeRedisHarness));

class RedisApiKeyStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(server_.Start().ok());
    client_ = std::make_unique<redis::HiredisClient>(OptionsFor(server_));
    store_ = std::make_unique<RedisApiKeyStore>(*client_, clock_, random_);
  }

  std::vector<std::string> AllKeys() {
    std::vector<std::string> keys;
    std::string cursor = "0";
    do {
      absl::StatusOr<redis::RedisValue> page = client_->Command({"SCAN", cursor, "COUNT", "100"});
      EXPECT_TRUE(page.ok()) << page.status();
      if (!page.ok() || page->elements.size() != 2) break;
      cursor = page->elements[0].str;
      for (const redis::RedisValue& k : page->elements[1].elements) keys.push_back(k.str);
    } while (cursor != "0");
    return keys;
  }

  // Everything Redis holds for `key`: its DUMP and its readable content, whatever the type.
  std::string Contents(const std::string& key) {
    std::string out;
    absl::StatusOr<redis::RedisValue> dump = client_->Command({"DUMP", key});
    EXPECT_TRUE(dump.ok()) << dump.status();
    if (dump.ok()) out += dump->str;
    absl::StatusOr<redis::RedisValue> type = client_->Command({"TYPE", key});
    EXPECT_TRUE(type.ok()) << type.status();
    if (!type.ok()) return out;
    if (type->str != "string" && type->str != "set") {
      ADD_FAILURE() << "unexpected type " << type->str << " at " << key;
      return out;
    }
    absl::StatusOr<redis::RedisValue> value =
        client_->Command({type->str == "string" ? "GET" : "SMEMBERS", key});
    EXPECT_TRUE(value.ok()) << value.status();
    if (!value.ok()) return out;
    out += value->str;
    for (const redis::RedisValue& member : value->elements) out += member.str;
    return out;
  }

  RedisServer server_;
  FakeClock clock_;
  FakeRandom random_;
  std::unique_ptr<redis::HiredisClient> client_;
  std::unique_ptr<RedisApiKeyStore> store_;
};

TEST_F(RedisApiKeyStoreTest, KeysLiveUnderOneHashTagAndHoldOnlyTheHash) {
  absl::StatusOr<NewApiKey> made = store_->Create("acme", "ci", {v1::ApiKey::SEND});
  ASSERT_TRUE(made.ok()) << made.status();
  const std::string record_key = "kirim:{keys}:k:" + made->record.key_id;
  EXPECT_EQ(store_->KeyRecordKey(made->record.key_id), record_key);
  EXPECT_EQ(store_->TenantIndexKey("acme"), "kirim:{keys}:t:acme");
  EXPECT_THAT(AllKeys(), UnorderedElementsAre(record_key, "kirim:{keys}:t:acme"));

  storage::v1::StoredApiKey stored;
  ASSERT_TRUE(stored.ParseFromString(client_->Command({"GET", record_key})->str));
  EXPECT_EQ(stored.sha256(), HashApiKey(made->secret));
  EXPECT_EQ(stored.sha256().size(), 32u);
  EXPECT_EQ(stored.tenant(), "acme");
  EXPECT_FALSE(stored.has_revoke_time());

  // Another prefix keeps another deployment's keys apart.
  RedisApiKeyStore other(*client_, clock_, random_, "staging");
  EXPECT_EQ(other.KeyRecordKey("X"), "staging:{keys}:k:X");
  EXPECT_EQ(other.Verify(made->secret).status().code(), absl::StatusCode::kUnauthenticated);
}

TEST_F(RedisApiKeyStoreTest, RedisNeverHoldsASecret) {
  std::vector<std::string> keys;
  for (const char* tenant : {"acme", "acme", "globex"}) {
    absl::StatusOr<NewApiKey> made = store_->Create(tenant, "k", {v1::ApiKey::READ});
    ASSERT_TRUE(made.ok()) << made.status();
    keys.push_back(made->secret);
  }
  FakeRandom operator_random(31337);
  keys.push_back(GenerateApiKeyString(operator_random));
  ASSERT_TRUE(store_->Import(keys.back(), "ops", "bootstrap", {v1::ApiKey::ADMIN}).ok());
  ASSERT_TRUE(store_->Revoke("acme", *ApiKeyIdOf(keys[0])).ok());

  const std::vector<std::string> redis_keys = AllKeys();
  ASSERT_EQ(redis_keys.size(), 4u + 3u);  // four records, three tenant sets
  for (const std::string& key : keys) {
    const std::string secret_part = key.substr(kApiKeyLength - kApiKeySecretLength);
    std::string secret_bytes;
    ASSERT_TRUE(absl::WebSafeBase64Unescape(secret_part, &secret_bytes));
    ASSERT_EQ(secret_bytes.size(), 32u);
    for (const std::string& redis_key : redis_keys) {
      const std::string contents = redis_key + Contents(redis_key);
      EXPECT_FALSE(absl::StrContains(contents, key)) << redis_key;
      EXPECT_FALSE(absl::StrContains(contents, secret_part)) << redis_key;
      EXPECT_FALSE(absl::StrContains(contents, secret_bytes)) << redis_key;
    }
  }
}

TEST_F(RedisApiKeyStoreTest, RevocationReachesAnotherReplicaAtOnce) {
  // A second kirimd: its own connections, clock and store object, the same Redis.
  redis::HiredisClient replica_client(OptionsFor(server_));
  FakeClock replica_clock;
  FakeRandom replica_random(2);
  RedisApiKeyStore replica(replica_client, replica_clock, replica_random);

  absl::StatusOr<NewApiKey> made = store_->Create("acme", "ci", {v1::ApiKey::SEND});
  ASSERT_TRUE(made.ok()) << made.status();
  absl::StatusOr<ApiKeyRecord> seen = replica.Verify(made->secret);
  ASSERT_TRUE(seen.ok()) << seen.status();
  EXPECT_EQ(seen->tenant, "acme");

  ASSERT_TRUE(store_->Revoke("acme", made->record.key_id).ok());
  EXPECT_EQ(replica.Verify(made->secret).status(), absl::UnauthenticatedError("invalid API key"));
  absl::StatusOr<std::vector<ApiKeyRecord>> listed = replica.List("acme");
  ASSERT_TRUE(listed.ok()) << listed.status();
  ASSERT_EQ(listed->size(), 1u);
  EXPECT_TRUE((*listed)[0].revoked());
}

TEST_F(RedisApiKeyStoreTest, VerifyIsOneRoundTripEveryTime) {
  absl::StatusOr<NewApiKey> made = store_->Create("acme", "ci", {v1::ApiKey::SEND});
  ASSERT_TRUE(made.ok()) << made.status();
  testing::InterceptingRedisClient counting(*client_);
  RedisApiKeyStore store(counting, clock_, random_);
  ASSERT_TRUE(store.Verify(made->secret).ok());
  EXPECT_EQ(counting.round_trips, 1);
  // No cache: the second call asks Redis again (that is what makes revocation immediate).
  ASSERT_TRUE(store.Verify(made->secret).ok());
  EXPECT_EQ(counting.round_trips, 2);
  // A malformed key is turned away without asking Redis at all.
  EXPECT_FALSE(store.Verify("kirim_garbage").ok());
  EXPECT_EQ(counting.round_trips, 2);
}

TEST_F(RedisApiKeyStoreTest, KeysSurviveARedisRestart) {
  absl::StatusOr<NewApiKey> made = store_->Create("acme", "ci", {v1::ApiKey::SEND});
  ASSERT_TRUE(made.ok()) << made.status();
  server_.Stop();
  EXPECT_EQ(store_->Verify(made->secret).status().code(), absl::StatusCode::kUnavailable);
  ASSERT_TRUE(server_.Start().ok());
  absl::StatusOr<ApiKeyRecord> who = store_->Verify(made->secret);
  ASSERT_TRUE(who.ok()) << who.status();
  EXPECT_EQ(who->tenant, "acme");
  // The write script is loaded again after the restart emptied Redis's script cache.
  EXPECT_TRUE(store_->Revoke("acme", made->record.key_id).ok());
}

TEST_F(RedisApiKeyStoreTest, ImportRacingARevokeNeverUndoesIt) {
  FakeRandom operator_random(5);
  const std::string key = GenerateApiKeyString(operator_random);
  ASSERT_TRUE(store_->Import(key, "ops", "bootstrap", {v1::ApiKey::ADMIN}).ok());

  // Replica B restarts and re-imports the key; between its read and its write, replica A
  // revokes it. A blind read-modify-write would store B's stale, unrevoked copy.
  testing::InterceptingRedisClient b_redis(*client_);
  FakeClock b_clock;
  FakeRandom b_random(3);
  RedisApiKeyStore b(b_redis, b_clock, b_random);
  b_redis.before_eval = [&] { ASSERT_TRUE(store_->Revoke("ops", *ApiKeyIdOf(key)).ok()); };
  ASSERT_TRUE(b.Import(key, "ops", "bootstrap v2", {v1::ApiKey::ADMIN}).ok());
  EXPECT_EQ(b_redis.round_trips, 4);  // read, lost write, read again, write
  EXPECT_EQ(store_->Verify(key).status().code(), absl::StatusCode::kUnauthenticated);
  absl::StatusOr<std::vector<ApiKeyRecord>> listed = store_->List("ops");
  ASSERT_TRUE(listed.ok()) << listed.status();
  ASSERT_EQ(listed->size(), 1u);
  EXPECT_TRUE((*listed)[0].revoked());
  EXPECT_EQ((*listed)[0].display_name, "bootstrap v2");  // B's change still landed, on top
}

TEST_F(RedisApiKeyStoreTest, RevokeRacingAnImportKeepsBoth) {
  FakeRandom operator_random(6);
  const std::string key = GenerateApiKeyString(operator_random);
  ASSERT_TRUE(store_->Import(key, "ops", "bootstrap", {v1::ApiKey::ADMIN}).ok());
  testing::InterceptingRedisClient b_redis(*client_);
  RedisApiKeyStore b(b_redis, clock_, random_);
  b_redis.before_eval = [&] {
    ASSERT_TRUE(store_->Import(key, "ops", "renamed", {v1::ApiKey::ADMIN}).ok());
  };
  absl::StatusOr<ApiKeyRecord> revoked = b.Revoke("ops", *ApiKeyIdOf(key));
  ASSERT_TRUE(revoked.ok()) << revoked.status();
  EXPECT_EQ(revoked->display_name, "renamed");
  EXPECT_EQ(store_->Verify(key).status().code(), absl::StatusCode::kUnauthenticated);
}

TEST_F(RedisApiKeyStoreTest, NewKeyNeverReplacesAnExistingOne) {
  // Two stores whose Randoms repeat each other: the second one's first key id is taken.
  FakeRandom random_a(77), random_b(77);
  RedisApiKeyStore a(*client_, clock_, random_a);
  RedisApiKeyStore b(*client_, clock_, random_b);
  absl::StatusOr<NewApiKey> first = a.Create("acme", "a", {v1::ApiKey::SEND});
  ASSERT_TRUE(first.ok()) << first.status();
  absl::StatusOr<NewApiKey> second = b.Create("globex", "b", {v1::ApiKey::ADMIN});
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_NE(second->record.key_id, first->record.key_id);

  absl::StatusOr<ApiKeyRecord> who = a.Verify(first->secret);
  ASSERT_TRUE(who.ok()) << who.status();
  EXPECT_EQ(who->tenant, "acme");
  EXPECT_THAT(who->scopes, ::testing::ElementsAre(v1::ApiKey::SEND));
  EXPECT_TRUE(a.Verify(second->secret).ok());
}

}  // namespace
}  // namespace kirim::testing
