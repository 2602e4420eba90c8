// Priority lanes under a real backlog: with 100,000 bulk messages ready in Redis, a new
// transactional message is the very next one a worker takes.
#include <algorithm>
#include <string>

#include "gtest/gtest.h"
#include "server/queue/redis_message_queue.h"
#include "tests/harness/redis_server.h"

namespace kirim {
namespace {

TEST(PriorityBacklogTest, ATransactionalMessageOvertakesOneHundredThousandBulk) {
  testing::RedisServer server;
  ASSERT_TRUE(server.Start().ok());
  auto client = server.Client();
  RedisMessageQueue queue(*client, client.get(), RedisQueueOptions{});
  ASSERT_TRUE(queue.EnsureGroups().ok());

  // A few bulk messages through the real API, then the rest of the backlog written directly
  // (the same stream entries Enqueue writes) so the test takes a second, not minutes.
  for (int i = 0; i < 3; ++i) {
    StoredMessage r;
    r.set_tenant("t1");
    r.mutable_message()->set_id("BULKAPI" + std::to_string(i));
    ASSERT_TRUE(queue.Enqueue(r, Lane::kBulk, std::nullopt).ok());
  }
  // In scripts of 10,000 entries: one script of 100,000 can outlast a command's deadline on a
  // loaded machine (it did under TSan).
  absl::StatusOr<redis::RedisValue> filled;
  for (int from = 1; from <= 99997; from += 10000) {
    filled = client->Eval(
        "for i = tonumber(ARGV[1]), tonumber(ARGV[2]) do "
        "redis.call('XADD', KEYS[1], '*', 'ref', 't1|BULK' .. i) end "
        "return redis.call('XLEN', KEYS[1])",
        {queue.StreamKey(0, Lane::kBulk)},
        {std::to_string(from), std::to_string(std::min(from + 9999, 99997))});
    ASSERT_TRUE(filled.ok()) << filled.status();
  }
  ASSERT_EQ(filled->integer, 100000);

  StoredMessage tx;
  tx.set_tenant("t1");
  tx.mutable_message()->set_id("TX1");
  ASSERT_TRUE(queue.Enqueue(tx, Lane::kTransactional, std::nullopt).ok());

  auto taken = queue.Take("w1", 1, absl::ZeroDuration());
  ASSERT_TRUE(taken.ok()) << taken.status();
  ASSERT_EQ(taken->size(), 1u);
  EXPECT_EQ((*taken)[0].id, "TX1");
  EXPECT_EQ((*taken)[0].lane, Lane::kTransactional);
  // And then the bulk lane, oldest first.
  auto next = queue.Take("w1", 1, absl::ZeroDuration());
  ASSERT_TRUE(next.ok() && next->size() == 1u);
  EXPECT_EQ((*next)[0].id, "BULKAPI0");
}

}  // namespace
}  // namespace kirim
