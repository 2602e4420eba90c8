// RedisMessageQueue against a real redis-server (AOF on) on a free loopback port.
#include "server/queue/redis_message_queue.h"

#include "gtest/gtest.h"
#include "tests/harness/redis_server.h"

namespace kirim {
namespace {

using testing::RedisServer;

StoredMessage Record(const std::string& tenant, const std::string& id) {
  StoredMessage r;
  r.set_tenant(tenant);
  r.mutable_message()->set_id(id);
  r.mutable_message()->set_state(v1::QUEUED);
  r.mutable_request()->set_subject("hello " + id);
  return r;
}

class RedisMessageQueueTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(server_.Start().ok());
    client_ = server_.Client();
    Reset(absl::Minutes(15));
  }
  void Reset(absl::Duration lease_timeout) {
    RedisQueueOptions q;
    q.lease_timeout = lease_timeout;
    q.shards = 2;
    queue_ = std::make_unique<RedisMessageQueue>(*client_, client_.get(), q);
    ASSERT_TRUE(queue_->EnsureGroups().ok());
  }
  std::vector<Lease> TakeNow(const std::string& consumer, int max = 1) {
    auto leases = queue_->Take(consumer, max, absl::ZeroDuration());
    EXPECT_TRUE(leases.ok()) << leases.status();
    return leases.ok() ? *leases : std::vector<Lease>{};
  }

  RedisServer server_;
  std::unique_ptr<redis::HiredisClient> client_;
  std::unique_ptr<RedisMessageQueue> queue_;
};

TEST_F(RedisMessageQueueTest, EnqueueTakeCompleteRoundTrip) {
  ASSERT_TRUE(queue_->Enqueue(Record("t1", "A1"), Lane::kTransactional, std::nullopt).ok());
  std::vector<Lease> leases = TakeNow("w1");
  ASSERT_EQ(leases.size(), 1u);
  EXPECT_EQ(leases[0].tenant, "t1");
  EXPECT_EQ(leases[0].id, "A1");
  EXPECT_EQ(leases[0].record.request().subject(), "hello A1");

  // Nothing else is ready while the lease is held.
  EXPECT_TRUE(TakeNow("w2").empty());

  StoredMessage done = leases[0].record;
  done.mutable_message()->set_state(v1::DELIVERED);
  ASSERT_TRUE(queue_->Complete(leases[0], done).ok());
  auto got = queue_->Get("t1", "A1");
  ASSERT_TRUE(got.ok() && got->has_value());
  EXPECT_EQ((*got)->message().state(), v1::DELIVERED);
  // Acknowledged: never handed out again, even to a reclaimer with no lease timeout.
  Reset(absl::ZeroDuration());
  EXPECT_TRUE(TakeNow("w3").empty());
}

TEST_F(RedisMessageQueueTest, TransactionalIsTakenBeforeBulk) {
  // Bulk on shard 0 and the transactional message on shard 1: priority must hold across
  // shards, not only within one.
  int bulk_on_shard0 = 0;
  for (int i = 0; i < 8; ++i) {
    std::string id = "B" + std::to_string(i);
    bulk_on_shard0 += queue_->ShardOf(id) == 0;
    ASSERT_TRUE(queue_->Enqueue(Record("t1", id), Lane::kBulk, std::nullopt).ok());
  }
  std::string tx_id;
  for (int i = 0; tx_id.empty(); ++i) {
    if (queue_->ShardOf("T" + std::to_string(i)) == 1) tx_id = "T" + std::to_string(i);
  }
  ASSERT_GT(bulk_on_shard0, 0);
  ASSERT_TRUE(queue_->Enqueue(Record("t1", tx_id), Lane::kTransactional, std::nullopt).ok());
  std::vector<Lease> first = TakeNow("w1");
  ASSERT_EQ(first.size(), 1u);
  EXPECT_EQ(first[0].id, tx_id);
  EXPECT_EQ(first[0].lane, Lane::kTransactional);
}

TEST_F(RedisMessageQueueTest, ExpiredLeaseIsReclaimedByAnotherWorker) {
  ASSERT_TRUE(queue_->Enqueue(Record("t1", "R1"), Lane::kTransactional, std::nullopt).ok());
  ASSERT_EQ(TakeNow("dead-worker").size(), 1u);
  EXPECT_TRUE(TakeNow("w2").empty());  // lease still valid
  Reset(absl::ZeroDuration());         // every lease is now expired
  std::vector<Lease> reclaimed = TakeNow("w2");
  ASSERT_EQ(reclaimed.size(), 1u);
  EXPECT_EQ(reclaimed[0].id, "R1");
  EXPECT_EQ(reclaimed[0].record.request().subject(), "hello R1");
}

TEST_F(RedisMessageQueueTest, DeferSchedulesAndPromoteDueMakesReady) {
  ASSERT_TRUE(queue_->Enqueue(Record("t1", "D1"), Lane::kBulk, std::nullopt).ok());
  std::vector<Lease> leases = TakeNow("w1");
  ASSERT_EQ(leases.size(), 1u);
  absl::Time now = absl::FromUnixSeconds(1800000000);
  StoredMessage deferred = leases[0].record;
  deferred.mutable_message()->set_state(v1::DEFERRED);
  ASSERT_TRUE(queue_->Defer(leases[0], deferred, now + absl::Minutes(1)).ok());
  EXPECT_TRUE(TakeNow("w1").empty());
  EXPECT_EQ(*queue_->PromoteDue(now, 100), 0);
  EXPECT_EQ(*queue_->PromoteDue(now + absl::Minutes(1), 100), 1);
  std::vector<Lease> again = TakeNow("w1");
  ASSERT_EQ(again.size(), 1u);
  EXPECT_EQ(again[0].lane, Lane::kBulk);
  EXPECT_EQ(again[0].record.message().state(), v1::DEFERRED);
}

TEST_F(RedisMessageQueueTest, ScheduledEnqueueWaitsForItsTime) {
  absl::Time at = absl::FromUnixSeconds(1800000000);
  ASSERT_TRUE(queue_->Enqueue(Record("t1", "S1"), Lane::kTransactional, at).ok());
  EXPECT_TRUE(TakeNow("w1").empty());
  EXPECT_EQ(*queue_->PromoteDue(at - absl::Milliseconds(1), 10), 0);
  EXPECT_EQ(*queue_->PromoteDue(at, 10), 1);
  EXPECT_EQ(TakeNow("w1").size(), 1u);
}

TEST_F(RedisMessageQueueTest, TenantsCannotSeeEachOthersMessages) {
  ASSERT_TRUE(queue_->Enqueue(Record("t1", "X1"), Lane::kTransactional, std::nullopt).ok());
  auto mine = queue_->Get("t1", "X1");
  auto theirs = queue_->Get("t2", "X1");
  ASSERT_TRUE(mine.ok() && theirs.ok());
  EXPECT_TRUE(mine->has_value());
  EXPECT_FALSE(theirs->has_value());
}

TEST_F(RedisMessageQueueTest, DuplicateIdIsRefusedAndQueuedOnce) {
  ASSERT_TRUE(queue_->Enqueue(Record("t1", "U1"), Lane::kTransactional, std::nullopt).ok());
  EXPECT_EQ(queue_->Enqueue(Record("t1", "U1"), Lane::kTransactional, std::nullopt).code(),
            absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(TakeNow("w1", 10).size(), 1u);
}

TEST_F(RedisMessageQueueTest, RedisDownIsUnavailableAndDataSurvivesARestart) {
  ASSERT_TRUE(queue_->Enqueue(Record("t1", "P1"), Lane::kTransactional, std::nullopt).ok());
  server_.Stop();
  EXPECT_EQ(queue_->Ping().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(queue_->Enqueue(Record("t1", "P2"), Lane::kTransactional, std::nullopt).code(),
            absl::StatusCode::kUnavailable);
  ASSERT_TRUE(server_.Start().ok());
  EXPECT_TRUE(queue_->Ping().ok());  // reconnects by itself
  std::vector<Lease> leases = TakeNow("w1", 10);
  ASSERT_EQ(leases.size(), 1u);
  EXPECT_EQ(leases[0].id, "P1");
}

TEST_F(RedisMessageQueueTest, RecreatesLostConsumerGroups) {
  ASSERT_TRUE(client_->Command({"FLUSHALL"}).ok());
  ASSERT_TRUE(queue_->Enqueue(Record("t1", "G1"), Lane::kTransactional, std::nullopt).ok());
  EXPECT_EQ(TakeNow("w1").size(), 1u);
}

}  // namespace
}  // namespace kirim
