// RedisStoreFixture<Store>: a gtest fixture for a Redis-backed store against a real
// redis-server on a free loopback port (RedisServer), with the store built over a client of it
// and a helper to see every key the store wrote.
//
//   class RedisTemplateStoreTest : public testing::RedisStoreFixture<RedisTemplateStore> {};
//   TEST_F(RedisTemplateStoreTest, ...) { store_->Create(...); EXPECT_THAT(AllKeys(), ...); }
#ifndef KIRIM_TESTS_HARNESS_REDIS_STORE_FIXTURE_H_
#define KIRIM_TESTS_HARNESS_REDIS_STORE_FIXTURE_H_

#include <memory>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "server/redis/redis_client.h"
#include "tests/harness/redis_server.h"

namespace kirim::testing {

template <typename Store>
class RedisStoreFixture : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(server_.Start().ok());
    client_ = server_.Client();
    store_ = std::make_unique<Store>(*client_);
  }

  // Every key in Redis.
  std::vector<std::string> AllKeys() {
    absl::StatusOr<redis::RedisValue> keys = client_->Command({"KEYS", "*"});
    EXPECT_TRUE(keys.ok()) << keys.status();
    std::vector<std::string> out;
    if (keys.ok()) {
      for (const redis::RedisValue& k : keys->elements) out.push_back(k.str);
    }
    return out;
  }

  RedisServer server_;
  std::unique_ptr<redis::HiredisClient> client_;
  std::unique_ptr<Store> store_;
};

}  // namespace kirim::testing

#endif  // KIRIM_TESTS_HARNESS_REDIS_STORE_FIXTURE_H_
