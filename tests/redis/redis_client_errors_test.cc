// ClassifyRedisError, and what a real redis-server at maxmemory answers: an OOM refusal is
// RESOURCE_EXHAUSTED carrying ErrorInfo STORE_OUT_OF_MEMORY (not UNAVAILABLE: Redis is up, it
// is full), and a refused write or script changed nothing.
#include "gtest/gtest.h"
#include "server/common/status_details.h"
#include "server/redis/redis_client.h"
#include "tests/harness/redis_server.h"

namespace kirim::redis {
namespace {

TEST(ClassifyRedisErrorTest, EachErrorReplyHasItsCode) {
  for (const char* busy : {"LOADING Redis is loading the dataset in memory", "BUSY script",
                           "READONLY You can't write against a read only replica.",
                           "MASTERDOWN Link with MASTER is down", "TRYAGAIN", "CLUSTERDOWN"}) {
    EXPECT_EQ(ClassifyRedisError(busy).code(), absl::StatusCode::kUnavailable) << busy;
  }
  const absl::Status oom =
      ClassifyRedisError("OOM command not allowed when used memory > 'maxmemory'.");
  EXPECT_EQ(oom.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(ErrorReason(oom), kStoreOutOfMemory);
  const absl::Status bug = ClassifyRedisError("ERR wrong number of arguments for 'hset' command");
  EXPECT_EQ(bug.code(), absl::StatusCode::kInternal);
  EXPECT_EQ(ErrorReason(bug), "");
}

TEST(RedisOutOfMemoryTest, AWriteAndAScriptRefusedAtMaxmemoryAreOutOfMemoryAndChangeNothing) {
  testing::RedisServer server(
      {.extra_args = {"--maxmemory-policy", "noeviction"}});
  ASSERT_TRUE(server.Start().ok());
  std::unique_ptr<HiredisClient> redis = server.Client();
  ASSERT_TRUE(redis->Command({"CONFIG", "SET", "maxmemory", "1"}).ok());

  absl::StatusOr<RedisValue> set = redis->Command({"SET", "k", "v"});
  EXPECT_EQ(set.status().code(), absl::StatusCode::kResourceExhausted) << set.status();
  EXPECT_EQ(ErrorReason(set.status()), kStoreOutOfMemory);
  // A script is refused at its first write; a read before it does not matter.
  absl::StatusOr<RedisValue> script = redis->Eval(
      "redis.call('EXISTS', KEYS[1]); redis.call('HSET', KEYS[1], 'a', 1); "
      "redis.call('XADD', KEYS[2], '*', 'f', 'v'); return 1",
      {"h", "s"}, {});
  EXPECT_EQ(script.status().code(), absl::StatusCode::kResourceExhausted) << script.status();
  EXPECT_EQ(ErrorReason(script.status()), kStoreOutOfMemory);
  // Reads still work, and nothing was written.
  absl::StatusOr<RedisValue> exists = redis->Command({"EXISTS", "k", "h", "s"});
  ASSERT_TRUE(exists.ok()) << exists.status();
  EXPECT_EQ(exists->integer, 0);

  ASSERT_TRUE(redis->Command({"CONFIG", "SET", "maxmemory", "0"}).ok());
  EXPECT_TRUE(redis->Command({"SET", "k", "v"}).ok());
}

}  // namespace
}  // namespace kirim::redis
