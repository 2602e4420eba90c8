// RedisMessageQueue against a real redis-server (AOF on) on a free loopback port: the shared
// contract (message_queue_contract.h), plus what only Redis can show (key layout, shards,
// restarts, leftovers in the streams).
#include "server/queue/redis_message_queue.h"

#include <map>
#include <set>
#include <thread>

#include "absl/strings/match.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/common/status_details.h"
#include "server/common/status_macros.h"
#include "server/queue/message_id.h"
#include "tests/common/fake_clock.h"
#include "tests/common/fake_random.h"
#include "tests/harness/redis_server.h"
#include "tests/queue/message_queue_contract.h"

namespace kirim {
namespace {

using testing::MessageQueueContractTest;
using testing::RedisServer;

class RedisHarness final : public testing::MessageQueueHarness {
 public:
  absl::Status Start(const testing::QueueLimits& limits) override {
    if (client_ == nullptr) {
      KIRIM_RETURN_IF_ERROR(server_.Start());
      client_ = server_.Client();
      // Small stream nodes, so MAXLEN ~ trims close to the limit the contract sets.
      KIRIM_RETURN_IF_ERROR(
          client_->Command({"CONFIG", "SET", "stream-node-max-entries", "4"}).status());
    }
    RedisQueueOptions o;
    o.max_depth = limits.max_depth;
    if (limits.event_stream_max_len > 0) o.event_stream_max_len = limits.event_stream_max_len;
    queue_ = std::make_unique<RedisMessageQueue>(*client_, client_.get(), o);
    return queue_->EnsureGroups();
  }
  MessageQueue& queue() override { return *queue_; }

 private:
  RedisServer server_;
  std::unique_ptr<redis::HiredisClient> client_;
  std::unique_ptr<RedisMessageQueue> queue_;
};

std::unique_ptr<testing::MessageQueueHarness> MakeRedisHarness() {
  return std::make_unique<RedisHarness>();
}

INSTANTIATE_TEST_SUITE_P(Redis, MessageQueueContractTest, ::testing::Values(&MakeRedisHarness));

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
    ResetWith(q);
  }
  void ResetWith(const RedisQueueOptions& q) {
    queue_ = std::make_unique<RedisMessageQueue>(*client_, client_.get(), q);
    ASSERT_TRUE(queue_->EnsureGroups().ok());
  }
  std::string NewId(std::optional<int> selector = std::nullopt) {
    clock_.Advance(absl::Milliseconds(1));
    return NewMessageId(clock_, random_, selector);
  }
  // A fresh id on `shard` of a queue with `shards` shards.
  std::string IdOnShard(int shard, int shards) {
    return NewId(shard + shards * static_cast<int>(random_.Uint64() % (kShardSelectors / shards)));
  }
  std::vector<Lease> TakeNow(const std::string& consumer, int max = 1) {
    auto leases = queue_->Take(consumer, max, absl::ZeroDuration());
    EXPECT_TRUE(leases.ok()) << leases.status();
    return leases.ok() ? *leases : std::vector<Lease>{};
  }

  RedisServer server_;
  std::unique_ptr<redis::HiredisClient> client_;
  std::unique_ptr<RedisMessageQueue> queue_;
  testing::FakeClock clock_;
  testing::FakeRandom random_;
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

// At maxmemory (noeviction) Redis refuses new messages, but a worker can still record what it
// did with the ones it holds (else their leases expire and they are sent again and again) and
// scheduled retries still become ready.
TEST_F(RedisMessageQueueTest, OutcomesAreRecordedWhileRedisIsOutOfMemory) {
  ASSERT_TRUE(client_->Command({"CONFIG", "SET", "maxmemory-policy", "noeviction"}).ok());
  for (const char* id : {"M1", "M2", "M3"}) {
    ASSERT_TRUE(queue_->Enqueue(Record("t1", id), Lane::kTransactional, std::nullopt).ok());
  }
  std::map<std::string, Lease> lease;  // by message id (shards do not keep enqueue order)
  for (int i = 0; i < 3; ++i) {
    std::vector<Lease> one = TakeNow("w1");
    ASSERT_EQ(one.size(), 1u);
    lease[one[0].id] = one[0];
  }
  ASSERT_EQ(lease.size(), 3u);
  absl::Time now = absl::FromUnixSeconds(1800000000);
  // M3 waits for a retry that is due now.
  StoredMessage retry = lease["M3"].record;
  retry.mutable_message()->set_state(v1::DEFERRED);
  ASSERT_TRUE(queue_->Defer(lease["M3"], retry, now).ok());

  ASSERT_TRUE(client_->Command({"CONFIG", "SET", "maxmemory", "1"}).ok());
  absl::Status full = queue_->Enqueue(Record("t1", "M4"), Lane::kTransactional, std::nullopt);
  EXPECT_EQ(full.code(), absl::StatusCode::kResourceExhausted) << full;
  EXPECT_EQ(ErrorReason(full), kStoreOutOfMemory);

  StoredMessage done = lease["M1"].record;
  done.mutable_message()->set_state(v1::DELIVERED);
  done.mutable_message()->add_attempts()->set_worker("w1");
  EXPECT_TRUE(queue_->Complete(lease["M1"], done).ok());
  StoredMessage later = lease["M2"].record;
  later.mutable_message()->set_state(v1::DEFERRED);
  later.mutable_message()->add_attempts()->set_worker("w1");
  EXPECT_TRUE(queue_->Defer(lease["M2"], later, now + absl::Hours(1)).ok());
  absl::StatusOr<int> promoted = queue_->PromoteDue(now, 100);
  ASSERT_TRUE(promoted.ok()) << promoted.status();
  EXPECT_EQ(*promoted, 1);

  ASSERT_TRUE(client_->Command({"CONFIG", "SET", "maxmemory", "0"}).ok());
  auto m1 = queue_->Get("t1", "M1");
  ASSERT_TRUE(m1.ok() && m1->has_value());
  EXPECT_EQ((*m1)->message().state(), v1::DELIVERED);
  EXPECT_EQ((*m1)->message().attempts_size(), 1);
  auto m2 = queue_->Get("t1", "M2");
  ASSERT_TRUE(m2.ok() && m2->has_value());
  EXPECT_EQ((*m2)->message().state(), v1::DEFERRED);
  // Leases ended: only the promoted retry (M3) is handed out, even to a reclaimer.
  Reset(absl::ZeroDuration());
  std::vector<Lease> next = TakeNow("w2");
  ASSERT_EQ(next.size(), 1u);
  EXPECT_EQ(next[0].id, "M3");
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

v1::Event QueuedEvent(const std::string& id) {
  v1::Event e;
  e.set_type(v1::Event::QUEUED);
  e.set_message(MessageName(id));
  return e;
}

TEST_F(RedisMessageQueueTest, EventsOfSeveralShardsResumeExactlyOnceAcrossARedisRestart) {
  RedisQueueOptions q;
  q.shards = 3;
  ResetWith(q);
  auto start = queue_->LatestEventCursor("t1");
  ASSERT_TRUE(start.ok()) << start.status();
  std::vector<std::string> ids;
  std::set<int> shards;
  for (int i = 0; i < 30; ++i) {
    ids.push_back(NewId());
    shards.insert(queue_->ShardOf(ids.back()));
    ASSERT_TRUE(queue_
                    ->Enqueue(Record("t1", ids.back()), Lane::kBulk, std::nullopt,
                              {QueuedEvent(ids.back())})
                    .ok());
  }
  ASSERT_EQ(shards.size(), 3u) << "the test needs events on every shard";
  // Read in batches of 4 from the start: every event once.
  std::vector<v1::Event> all;
  std::string cursor = *start;
  for (;;) {
    auto got = queue_->ReadEvents("t1", cursor, 4, absl::ZeroDuration());
    ASSERT_TRUE(got.ok()) << got.status();
    if (got->empty()) break;
    cursor = got->back().cursor();
    all.insert(all.end(), got->begin(), got->end());
  }
  std::multiset<std::string> seen;
  for (const auto& e : all) seen.insert(e.message());
  ASSERT_EQ(all.size(), 30u);
  for (const auto& id : ids) EXPECT_EQ(seen.count(MessageName(id)), 1u) << id;

  // A cursor from the middle, used after Redis restarted (AOF): exactly the rest.
  const std::string middle = all[11].cursor();
  server_.Stop();
  ASSERT_TRUE(server_.Start().ok());
  // Pooled connections died with the old server; each failing call drops one.
  for (int i = 0; i < 20 && !queue_->Ping().ok(); ++i) {
  }
  auto rest = queue_->ReadEvents("t1", middle, 100, absl::ZeroDuration());
  ASSERT_TRUE(rest.ok()) << rest.status();
  ASSERT_EQ(rest->size(), 18u);
  for (size_t i = 0; i < rest->size(); ++i) EXPECT_EQ((*rest)[i].message(), all[12 + i].message());

  // A blocking read over every shard wakes for the next event, whichever shard it lands on.
  const std::string late = IdOnShard(2, 3);
  absl::StatusOr<std::vector<v1::Event>> woke;
  std::thread reader(
      [&] { woke = queue_->ReadEvents("t1", all.back().cursor(), 10, absl::Seconds(20)); });
  ASSERT_TRUE(
      queue_->Enqueue(Record("t1", late), Lane::kBulk, std::nullopt, {QueuedEvent(late)}).ok());
  reader.join();
  ASSERT_TRUE(woke.ok()) << woke.status();
  ASSERT_EQ(woke->size(), 1u);
  EXPECT_EQ((*woke)[0].message(), MessageName(late));

  // Cursors name every shard: one from a 2-shard layout is refused.
  Reset(absl::Minutes(15));
  EXPECT_EQ(queue_->ReadEvents("t1", middle, 10, absl::ZeroDuration()).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST_F(RedisMessageQueueTest, EventsAndIdempotencyClaimsLiveInTheirMessagesSlot) {
  RedisQueueOptions q;
  q.shards = 8;
  ResetWith(q);
  for (const std::string key : {"a", "order-42", "a key {with} spaces:and|bars"}) {
    const std::string id = NewId(ShardSelectorForKey("acme", key));
    const int shard = queue_->ShardOf(id);
    EXPECT_EQ(queue_->ShardOfIdempotencyKey("acme", key), shard);
    const std::string tag = "{s" + std::to_string(shard) + "}";
    EXPECT_TRUE(absl::StrContains(queue_->MessageKey("acme", id), tag));
    EXPECT_TRUE(absl::StrContains(queue_->IdempotencyKeyName("acme", key), tag));
    EXPECT_TRUE(absl::StrContains(queue_->EventStreamKey(shard, "acme"), tag));
    auto r = queue_->EnqueueIdempotent(Record("acme", id), Lane::kBulk, std::nullopt,
                                       {key, "h", absl::Hours(24)}, {QueuedEvent(id)});
    ASSERT_TRUE(r.ok()) << r.status();
    // The claim expires with the window (24 h here), not before and not never.
    auto ttl = client_->Command({"PTTL", queue_->IdempotencyKeyName("acme", key)});
    ASSERT_TRUE(ttl.ok());
    EXPECT_GT(ttl->integer, absl::ToInt64Milliseconds(absl::Hours(23)));
    EXPECT_LE(ttl->integer, absl::ToInt64Milliseconds(absl::Hours(24)));
    auto len = client_->Command({"XLEN", queue_->EventStreamKey(shard, "acme")});
    ASSERT_TRUE(len.ok());
    EXPECT_GE(len->integer, 1);
  }
}

TEST_F(RedisMessageQueueTest, TakeDropsStreamEntriesOfCancelledMessages) {
  // An entry Cancel could not delete (say, written before `e` was tracked) must still never be
  // delivered: Take acknowledges and deletes it in the same script.
  const std::string id = NewId();
  ASSERT_TRUE(queue_->Enqueue(Record("t1", id), Lane::kTransactional, std::nullopt).ok());
  ASSERT_TRUE(client_->Command({"HSET", queue_->MessageKey("t1", id), "c", "1"}).ok());
  EXPECT_TRUE(TakeNow("w1", 10).empty());
  auto len =
      client_->Command({"XLEN", queue_->StreamKey(queue_->ShardOf(id), Lane::kTransactional)});
  ASSERT_TRUE(len.ok());
  EXPECT_EQ(len->integer, 0);
}

TEST_F(RedisMessageQueueTest, CancelLeavesNothingInTheStreamsOrTheScheduledSet) {
  const std::string ready = IdOnShard(0, 2), later = IdOnShard(0, 2);
  ASSERT_TRUE(queue_->Enqueue(Record("t1", ready), Lane::kBulk, std::nullopt).ok());
  ASSERT_TRUE(
      queue_->Enqueue(Record("t1", later), Lane::kTransactional, absl::FromUnixSeconds(1900000000))
          .ok());
  auto cancel = [](StoredMessage& r) -> absl::StatusOr<std::vector<v1::Event>> {
    r.mutable_message()->set_state(v1::CANCELLED);
    return std::vector<v1::Event>{};
  };
  ASSERT_TRUE(queue_->Cancel("t1", ready, cancel).ok());
  ASSERT_TRUE(queue_->Cancel("t1", later, cancel).ok());
  auto bulk = client_->Command({"XLEN", queue_->StreamKey(0, Lane::kBulk)});
  auto zcard = client_->Command({"ZCARD", queue_->ScheduledKey(0)});
  ASSERT_TRUE(bulk.ok() && zcard.ok());
  EXPECT_EQ(bulk->integer, 0);
  EXPECT_EQ(zcard->integer, 0);
  // Cancelled records expire like finished ones.
  auto ttl = client_->Command({"TTL", queue_->MessageKey("t1", ready)});
  ASSERT_TRUE(ttl.ok());
  EXPECT_GT(ttl->integer, 0);
}

TEST_F(RedisMessageQueueTest, CancelReadsAgainWhenAWorkerChangedTheMessageMeanwhile) {
  const std::string id = NewId();
  ASSERT_TRUE(queue_->Enqueue(Record("t1", id), Lane::kTransactional, std::nullopt).ok());
  int calls = 0;
  auto result =
      queue_->Cancel("t1", id, [&](StoredMessage& r) -> absl::StatusOr<std::vector<v1::Event>> {
        if (++calls == 1) {
          // Between our read and our write, a worker takes the message, tries once and defers it.
          std::vector<Lease> leases = TakeNow("w1");
          EXPECT_EQ(leases.size(), 1u);
          StoredMessage tried = leases[0].record;
          tried.mutable_message()->set_state(v1::DEFERRED);
          tried.mutable_message()->add_attempts()->set_worker("w1");
          EXPECT_TRUE(queue_->Defer(leases[0], tried, absl::FromUnixSeconds(1900000000)).ok());
        }
        r.mutable_message()->set_state(v1::CANCELLED);
        return std::vector<v1::Event>{};
      });
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(calls, 2);
  EXPECT_EQ(result->message().attempts_size(), 1) << "the cancel overwrote the worker's attempt";
  auto stored = queue_->Get("t1", id);
  ASSERT_TRUE(stored.ok() && stored->has_value());
  EXPECT_EQ((*stored)->message().state(), v1::CANCELLED);
  EXPECT_EQ((*stored)->message().attempts_size(), 1);
}

TEST_F(RedisMessageQueueTest, TheDepthLimitIsSharedOutOverTheShards) {
  RedisQueueOptions q;
  q.shards = 2;
  q.max_depth = 4;  // two per shard
  ResetWith(q);
  ASSERT_TRUE(
      queue_->Enqueue(Record("t1", IdOnShard(0, 2)), Lane::kTransactional, std::nullopt).ok());
  ASSERT_TRUE(
      queue_->Enqueue(Record("t1", IdOnShard(0, 2)), Lane::kBulk, absl::FromUnixSeconds(1900000000))
          .ok());
  absl::Status full = queue_->Enqueue(Record("t1", IdOnShard(0, 2)), Lane::kBulk, std::nullopt);
  EXPECT_EQ(full.code(), absl::StatusCode::kResourceExhausted) << full;
  EXPECT_TRUE(absl::StrContains(full.message(), "queue full")) << full;
  EXPECT_TRUE(queue_->Enqueue(Record("t1", IdOnShard(1, 2)), Lane::kBulk, std::nullopt).ok());
}

}  // namespace
}  // namespace kirim
