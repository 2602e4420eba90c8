// RedisSuppressionStore against a real redis-server on a free loopback port: the shared
// contract, plus what only Redis can show (the layout, round trips, another replica racing a
// write, an index that lags, restarts).
#include "server/suppression/redis_suppression_store.h"

#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "kirim/storage/v1/suppression.pb.h"
#include "server/common/proto_time.h"
#include "server/common/status_macros.h"
#include "tests/harness/redis_server.h"
#include "tests/harness/redis_store_fixture.h"
#include "tests/suppression/suppression_store_contract.h"
#include "tests/redis/intercepting_redis_client.h"

namespace kirim::testing {
namespace {

using ::testing::ElementsAre;
using ::testing::UnorderedElementsAre;

const absl::Time kT0 = absl::FromUnixSeconds(1767323045);

class RedisHarness final : public SuppressionStoreHarness {
 public:
  absl::Status Start() override {
    KIRIM_RETURN_IF_ERROR(server_.Start());
    client_ = server_.Client();
    store_ = std::make_unique<RedisSuppressionStore>(*client_);
    return absl::OkStatus();
  }
  SuppressionStore& store() override { return *store_; }
  void TakeDown() override { server_.Stop(); }

 private:
  RedisServer server_;
  std::unique_ptr<redis::HiredisClient> client_;
  std::unique_ptr<RedisSuppressionStore> store_;
};

std::unique_ptr<SuppressionStoreHarness> MakeRedisHarness() {
  return std::make_unique<RedisHarness>();
}

INSTANTIATE_TEST_SUITE_P(Redis, SuppressionStoreContractTest,
                         ::testing::Values(&MakeRedisHarness));

class RedisSuppressionStoreTest : public RedisStoreFixture<RedisSuppressionStore> {};

TEST_F(RedisSuppressionStoreTest, EachTenantHasItsOwnHashTag) {
  ASSERT_TRUE(store_->Add("acme", {"Ana@Example.com", v1::Suppression::HARD_BOUNCE, "550 gone", kT0})
                  .ok());
  ASSERT_TRUE(store_->Add("globex", {"bo@example.com", v1::Suppression::MANUAL, "", kT0}).ok());
  EXPECT_EQ(store_->EntriesKey("acme"), "kirim:{sup:acme}:e");
  EXPECT_EQ(store_->IndexKey("acme"), "kirim:{sup:acme}:a");
  EXPECT_THAT(AllKeys(), UnorderedElementsAre("kirim:{sup:acme}:e", "kirim:{sup:acme}:a",
                                              "kirim:{sup:globex}:e", "kirim:{sup:globex}:a"));

  absl::StatusOr<redis::RedisValue> raw =
      client_->Command({"HGET", "kirim:{sup:acme}:e", "Ana@example.com"});
  ASSERT_TRUE(raw.ok() && !raw->is_nil());
  storage::v1::StoredSuppression stored;
  ASSERT_TRUE(stored.ParseFromString(raw->str));
  EXPECT_EQ(stored.reason(), v1::Suppression::HARD_BOUNCE);
  EXPECT_EQ(stored.detail(), "550 gone");
  EXPECT_EQ(FromProtoTime(stored.create_time()), kT0);
  absl::StatusOr<redis::RedisValue> index =
      client_->Command({"ZRANGE", "kirim:{sup:acme}:a", "0", "-1", "WITHSCORES"});
  ASSERT_TRUE(index.ok());
  ASSERT_EQ(index->elements.size(), 2u);
  EXPECT_EQ(index->elements[0].str, "Ana@example.com");
  EXPECT_EQ(index->elements[1].str, "0");

  // Another prefix keeps another deployment's list apart.
  RedisSuppressionStore staging(*client_, "staging");
  EXPECT_EQ(staging.EntriesKey("acme"), "staging:{sup:acme}:e");
  auto hits = staging.Lookup("acme", {"Ana@example.com"});
  ASSERT_TRUE(hits.ok()) << hits.status();
  EXPECT_FALSE((*hits)[0].has_value());
}

TEST_F(RedisSuppressionStoreTest, LookupIsOneRoundTripHoweverManyAddresses) {
  ASSERT_TRUE(store_->Add("acme", {"a@example.com", v1::Suppression::MANUAL, "", kT0}).ok());
  testing::InterceptingRedisClient counting(*client_);
  RedisSuppressionStore store(counting);
  std::vector<std::string> recipients;
  for (int i = 0; i < 100; ++i) recipients.push_back("r" + std::to_string(i) + "@example.com");
  recipients.push_back("a@EXAMPLE.com");
  auto hits = store.Lookup("acme", recipients);
  ASSERT_TRUE(hits.ok()) << hits.status();
  EXPECT_EQ(counting.round_trips, 1);
  EXPECT_TRUE(hits->back().has_value());
  // No cache: asking again asks Redis again (a removal holds at once on every replica).
  ASSERT_TRUE(store.Lookup("acme", {"a@example.com"}).ok());
  EXPECT_EQ(counting.round_trips, 2);
  // Nothing to ask, or a bad address: Redis is not asked at all.
  ASSERT_TRUE(store.Lookup("acme", {}).ok());
  EXPECT_FALSE(store.Lookup("acme", {"a@example.com", "bad"}).ok());
  EXPECT_EQ(counting.round_trips, 2);
  // A page is one round trip too.
  ASSERT_TRUE(store.List("acme", 10, "").ok());
  EXPECT_EQ(counting.round_trips, 3);
}

TEST_F(RedisSuppressionStoreTest, AConcurrentComplaintIsNeverOverwrittenByABounce) {
  // Replica B records a hard bounce; between its read and its write, replica A records the
  // recipient's complaint. A blind write would store B's weaker entry over it.
  testing::InterceptingRedisClient b_redis(*client_);
  RedisSuppressionStore b(b_redis);
  b_redis.before_eval = [&] {
    ASSERT_TRUE(store_->Add("acme", {"a@example.com", v1::Suppression::COMPLAINT, "fbl", kT0}).ok());
  };
  ASSERT_TRUE(b.Add("acme", {"a@example.com", v1::Suppression::HARD_BOUNCE, "550",
                             kT0 + absl::Minutes(1)})
                  .ok());
  EXPECT_EQ(b_redis.round_trips, 3);  // read, lost write, read again (nothing left to write)
  auto hits = store_->Lookup("acme", {"a@example.com"});
  ASSERT_TRUE(hits.ok()) << hits.status();
  ASSERT_TRUE((*hits)[0].has_value());
  EXPECT_EQ((*hits)[0]->reason, v1::Suppression::COMPLAINT);
  EXPECT_EQ((*hits)[0]->detail, "fbl");
}

TEST_F(RedisSuppressionStoreTest, AConcurrentRemoveDoesNotLoseAStrongerAdd) {
  ASSERT_TRUE(store_->Add("acme", {"a@example.com", v1::Suppression::MANUAL, "", kT0}).ok());
  testing::InterceptingRedisClient b_redis(*client_);
  RedisSuppressionStore b(b_redis);
  b_redis.before_eval = [&] { ASSERT_TRUE(*store_->Remove("acme", "a@example.com")); };
  ASSERT_TRUE(b.Add("acme", {"a@example.com", v1::Suppression::UNSUBSCRIBE, "link", kT0}).ok());
  EXPECT_EQ(b_redis.round_trips, 4);  // read, lost write, read again, write
  auto page = store_->List("acme", 10, "");
  ASSERT_TRUE(page.ok()) << page.status();
  ASSERT_EQ(page->first.size(), 1u);
  EXPECT_EQ(page->first[0].reason, v1::Suppression::UNSUBSCRIBE);
}

TEST_F(RedisSuppressionStoreTest, AnIndexThatLagsTheHashIsSkippedAndHealed) {
  for (const char* a : {"a@example.com", "b@example.com", "c@example.com"}) {
    ASSERT_TRUE(store_->Add("acme", {a, v1::Suppression::MANUAL, "", kT0}).ok());
  }
  // An operator deleted one entry by hand and left its index member behind.
  ASSERT_TRUE(client_->Command({"HDEL", "kirim:{sup:acme}:e", "b@example.com"}).ok());
  auto first = store_->List("acme", 2, "");
  ASSERT_TRUE(first.ok()) << first.status();
  std::vector<std::string> seen;
  for (const SuppressionEntry& e : first->first) seen.push_back(e.address);
  EXPECT_THAT(seen, ElementsAre("a@example.com"));  // a short page, not a wrong one
  ASSERT_FALSE(first->second.empty());
  auto second = store_->List("acme", 2, first->second);
  ASSERT_TRUE(second.ok()) << second.status();
  ASSERT_EQ(second->first.size(), 1u);
  EXPECT_EQ(second->first[0].address, "c@example.com");
  EXPECT_EQ(second->second, "");

  absl::StatusOr<bool> removed = store_->Remove("acme", "b@example.com");
  ASSERT_TRUE(removed.ok()) << removed.status();
  EXPECT_FALSE(*removed);
  EXPECT_EQ(client_->Command({"ZCARD", "kirim:{sup:acme}:a"})->integer, 2);
  // And the reverse: an entry whose index member is gone comes back into the index on Add.
  ASSERT_TRUE(client_->Command({"ZREM", "kirim:{sup:acme}:a", "c@example.com"}).ok());
  ASSERT_TRUE(store_->Add("acme", {"c@example.com", v1::Suppression::COMPLAINT, "", kT0}).ok());
  EXPECT_EQ(client_->Command({"ZCARD", "kirim:{sup:acme}:a"})->integer, 2);
}

TEST_F(RedisSuppressionStoreTest, AValueThatDoesNotParseIsDataLoss) {
  ASSERT_TRUE(client_->Command({"HSET", "kirim:{sup:acme}:e", "a@example.com", "\xff\xff"}).ok());
  ASSERT_TRUE(client_->Command({"ZADD", "kirim:{sup:acme}:a", "0", "a@example.com"}).ok());
  EXPECT_EQ(store_->Lookup("acme", {"a@example.com"}).status().code(),
            absl::StatusCode::kDataLoss);
  EXPECT_EQ(store_->List("acme", 0, "").status().code(), absl::StatusCode::kDataLoss);
  // Removing it is how an operator gets out.
  EXPECT_TRUE(*store_->Remove("acme", "a@example.com"));
  EXPECT_TRUE(store_->List("acme", 0, "").ok());
}

TEST_F(RedisSuppressionStoreTest, EntriesSurviveARedisRestart) {
  ASSERT_TRUE(store_->Add("acme", {"a@example.com", v1::Suppression::COMPLAINT, "fbl", kT0}).ok());
  server_.Stop();
  EXPECT_EQ(store_->Lookup("acme", {"a@example.com"}).status().code(),
            absl::StatusCode::kUnavailable);
  ASSERT_TRUE(server_.Start().ok());
  auto hits = store_->Lookup("acme", {"a@example.com"});
  ASSERT_TRUE(hits.ok()) << hits.status();
  ASSERT_TRUE((*hits)[0].has_value());
  EXPECT_EQ((*hits)[0]->detail, "fbl");
  // The scripts are loaded again after the restart emptied Redis's script cache.
  ASSERT_TRUE(store_->List("acme", 0, "").ok());
  EXPECT_TRUE(*store_->Remove("acme", "a@example.com"));
}

}  // namespace
}  // namespace kirim::testing
