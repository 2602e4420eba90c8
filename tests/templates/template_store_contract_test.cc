// The TemplateStore contract against both stores: RedisTemplateStore on a real redis-server on a
// free loopback port, and FakeTemplateStore, so tests that use the fake test real behaviour.
// Then what only Redis can show: the layout, round trips, an index that lags, a value that does
// not parse, restarts.
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/common/proto_time.h"
#include "server/common/status_macros.h"
#include "server/templates/redis_template_store.h"
#include "tests/harness/redis_server.h"
#include "tests/harness/redis_store_fixture.h"
#include "tests/redis/intercepting_redis_client.h"
#include "tests/templates/fake_template_store.h"
#include "tests/templates/template_store_contract.h"

namespace kirim::testing {
namespace {

using ::testing::ElementsAre;
using ::testing::UnorderedElementsAre;

const absl::Time kT0 = absl::FromUnixSeconds(1767323045);

class RedisHarness final : public TemplateStoreHarness {
 public:
  absl::Status Start() override {
    KIRIM_RETURN_IF_ERROR(server_.Start());
    client_ = server_.Client();
    store_ = std::make_unique<RedisTemplateStore>(*client_);
    return absl::OkStatus();
  }
  TemplateStore& store() override { return *store_; }
  void TakeDown() override { server_.Stop(); }

 private:
  RedisServer server_;
  std::unique_ptr<redis::HiredisClient> client_;
  std::unique_ptr<RedisTemplateStore> store_;
};

class FakeHarness final : public TemplateStoreHarness {
 public:
  absl::Status Start() override { return absl::OkStatus(); }
  TemplateStore& store() override { return store_; }
  void TakeDown() override { store_.set_unavailable(true); }

 private:
  FakeTemplateStore store_;
};

std::unique_ptr<TemplateStoreHarness> MakeRedisHarness() {
  return std::make_unique<RedisHarness>();
}
std::unique_ptr<TemplateStoreHarness> MakeFakeHarness() { return std::make_unique<FakeHarness>(); }

INSTANTIATE_TEST_SUITE_P(Redis, TemplateStoreContractTest, ::testing::Values(&MakeRedisHarness));
INSTANTIATE_TEST_SUITE_P(Fake, TemplateStoreContractTest, ::testing::Values(&MakeFakeHarness));

v1::Template Tpl(std::string subject) {
  v1::Template t;
  t.set_subject(std::move(subject));
  t.set_html_body("<p>{{name}}</p>");
  return t;
}

std::vector<std::string> Names(const std::vector<v1::Template>& templates) {
  std::vector<std::string> out;
  for (const v1::Template& t : templates) out.push_back(t.name());
  return out;
}

class RedisTemplateStoreTest : public RedisStoreFixture<RedisTemplateStore> {};

TEST_F(RedisTemplateStoreTest, EachTenantHasItsOwnHashTag) {
  ASSERT_TRUE(store_->Create("acme", "welcome", Tpl("hi"), kT0).ok());
  ASSERT_TRUE(store_->Create("globex", "welcome", Tpl("yo"), kT0).ok());
  EXPECT_EQ(store_->TemplateKey("acme", "welcome"), "kirim:{tpl:acme}:welcome");
  EXPECT_EQ(store_->IndexKey("acme"), "kirim:{tpl:acme}");
  EXPECT_THAT(AllKeys(), UnorderedElementsAre("kirim:{tpl:acme}:welcome", "kirim:{tpl:acme}",
                                              "kirim:{tpl:globex}:welcome", "kirim:{tpl:globex}"));

  absl::StatusOr<redis::RedisValue> raw = client_->Command({"GET", "kirim:{tpl:acme}:welcome"});
  ASSERT_TRUE(raw.ok() && !raw->is_nil());
  v1::Template stored;
  ASSERT_TRUE(stored.ParseFromString(raw->str));
  EXPECT_EQ(stored.name(), "templates/welcome");
  EXPECT_EQ(stored.subject(), "hi");
  EXPECT_EQ(FromProtoTime(stored.create_time()), kT0);
  absl::StatusOr<redis::RedisValue> index =
      client_->Command({"ZRANGE", "kirim:{tpl:acme}", "0", "-1", "WITHSCORES"});
  ASSERT_TRUE(index.ok());
  ASSERT_EQ(index->elements.size(), 2u);
  EXPECT_EQ(index->elements[0].str, "welcome");
  EXPECT_EQ(index->elements[1].str, "0");

  // Another prefix keeps another deployment's templates apart.
  RedisTemplateStore staging(*client_, "staging");
  EXPECT_EQ(staging.TemplateKey("acme", "welcome"), "staging:{tpl:acme}:welcome");
  EXPECT_EQ(staging.Get("acme", "welcome").status().code(), absl::StatusCode::kNotFound);
  auto page = staging.List("acme", 0, "");
  ASSERT_TRUE(page.ok()) << page.status();
  EXPECT_TRUE(page->first.empty());
}

TEST_F(RedisTemplateStoreTest, EveryCallIsOneRoundTrip) {
  testing::InterceptingRedisClient counting(*client_);
  RedisTemplateStore store(counting);
  ASSERT_TRUE(store.Create("acme", "welcome", Tpl("hi"), kT0).ok());
  EXPECT_EQ(counting.round_trips, 1);
  EXPECT_EQ(store.Create("acme", "welcome", Tpl("hi"), kT0).status().code(),
            absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(counting.round_trips, 2);
  ASSERT_TRUE(store.Get("acme", "welcome").ok());
  EXPECT_EQ(counting.round_trips, 3);
  ASSERT_TRUE(store.List("acme", 10, "").ok());
  EXPECT_EQ(counting.round_trips, 4);
  ASSERT_TRUE(store.Delete("acme", "welcome").ok());
  EXPECT_EQ(counting.round_trips, 5);
  // Bad arguments never reach Redis.
  EXPECT_FALSE(store.Get("acme", "Bad").ok());
  EXPECT_FALSE(store.List("acme", 0, "%%").ok());
  EXPECT_EQ(counting.round_trips, 5);
}

TEST_F(RedisTemplateStoreTest, AnIndexThatLagsTheValuesIsSkippedAndHealed) {
  for (const char* id : {"a", "b", "c"}) {
    ASSERT_TRUE(store_->Create("acme", id, Tpl(id), kT0).ok());
  }
  // An operator deleted one template by hand and left its index member behind.
  ASSERT_TRUE(client_->Command({"DEL", "kirim:{tpl:acme}:b"}).ok());
  auto first = store_->List("acme", 2, "");
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_THAT(Names(first->first), ElementsAre("templates/a"));  // a short page, not a wrong one
  ASSERT_FALSE(first->second.empty());
  auto second = store_->List("acme", 2, first->second);
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_THAT(Names(second->first), ElementsAre("templates/c"));
  EXPECT_EQ(second->second, "");

  EXPECT_EQ(store_->Get("acme", "b").status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(store_->Delete("acme", "b").code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(client_->Command({"ZCARD", "kirim:{tpl:acme}"})->integer, 2);
  // The id is free again.
  ASSERT_TRUE(store_->Create("acme", "b", Tpl("b again"), kT0).ok());
  EXPECT_EQ(client_->Command({"ZCARD", "kirim:{tpl:acme}"})->integer, 3);
}

TEST_F(RedisTemplateStoreTest, AValueThatDoesNotParseIsDataLoss) {
  ASSERT_TRUE(client_->Command({"SET", "kirim:{tpl:acme}:bad", "\xff\xff"}).ok());
  ASSERT_TRUE(client_->Command({"ZADD", "kirim:{tpl:acme}", "0", "bad"}).ok());
  EXPECT_EQ(store_->Get("acme", "bad").status().code(), absl::StatusCode::kDataLoss);
  EXPECT_EQ(store_->List("acme", 0, "").status().code(), absl::StatusCode::kDataLoss);
  // Deleting it is how an operator gets out.
  ASSERT_TRUE(store_->Delete("acme", "bad").ok());
  EXPECT_TRUE(store_->List("acme", 0, "").ok());
}

TEST_F(RedisTemplateStoreTest, TemplatesSurviveARedisRestart) {
  ASSERT_TRUE(store_->Create("acme", "welcome", Tpl("hi"), kT0).ok());
  server_.Stop();
  EXPECT_EQ(store_->Get("acme", "welcome").status().code(), absl::StatusCode::kUnavailable);
  ASSERT_TRUE(server_.Start().ok());
  auto got = store_->Get("acme", "welcome");
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->subject(), "hi");
  // The scripts are loaded again after the restart emptied Redis's script cache.
  auto page = store_->List("acme", 0, "");
  ASSERT_TRUE(page.ok()) << page.status();
  EXPECT_THAT(Names(page->first), ElementsAre("templates/welcome"));
  EXPECT_TRUE(store_->Delete("acme", "welcome").ok());
  EXPECT_TRUE(store_->Create("acme", "other", Tpl("x"), kT0).ok());
}

}  // namespace
}  // namespace kirim::testing
