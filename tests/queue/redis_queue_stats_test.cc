// RedisQueueStats (server/queue/redis_queue_stats.h) against a real redis-server, fed by
// RedisMessageQueue's scripts (the statistics they keep in the same atomic step as each change):
// depth per lane (ready, scheduled, in flight, dead) summed over shards, deferred recipients per
// destination, per-tenant counters (isolated, summed for the operator) and refused sends.
#include "server/queue/redis_queue_stats.h"

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/common/proto_time.h"
#include "server/metrics/buckets.h"
#include "server/queue/message_id.h"
#include "server/queue/redis_message_queue.h"
#include "tests/common/fake_clock.h"
#include "tests/common/fake_random.h"
#include "tests/harness/redis_server.h"

namespace kirim {
namespace {

using ::kirim::testing::RedisServer;
using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::Pair;

const absl::Time kAccepted = absl::FromUnixSeconds(1767323045);
// Far enough ahead that nothing is due unless a test promotes at or after it.
const absl::Time kDue = absl::FromUnixSeconds(1900000000);

MATCHER_P4(DepthIs, ready, scheduled, in_flight, dead, "") {
  *result_listener << "ready=" << arg.ready << " scheduled=" << arg.scheduled
                   << " in_flight=" << arg.in_flight << " dead=" << arg.dead;
  return arg.ready == ready && arg.scheduled == scheduled && arg.in_flight == in_flight &&
         arg.dead == dead;
}

StoredMessage Record(const std::string& tenant, const std::string& id,
                     const std::vector<std::string>& recipients = {"bob@example.com"}) {
  StoredMessage r;
  r.set_tenant(tenant);
  r.mutable_message()->set_id(id);
  r.mutable_message()->set_state(v1::QUEUED);
  *r.mutable_message()->mutable_create_time() = ToProtoTime(kAccepted);
  for (const std::string& a : recipients) {
    v1::RecipientResult* rr = r.mutable_message()->add_recipients();
    rr->set_address(a);
    rr->set_state(v1::RECIPIENT_PENDING);
  }
  return r;
}

v1::Event EventOf(v1::Event::Type type, const std::string& id, absl::Time at = kAccepted) {
  v1::Event e;
  e.set_type(type);
  e.set_message(MessageName(id));
  *e.mutable_time() = ToProtoTime(at);
  return e;
}

// `record` with each recipient's state set from `states`, in order.
StoredMessage WithStates(StoredMessage record, const std::vector<v1::RecipientState>& states) {
  for (size_t i = 0; i < states.size(); ++i) {
    record.mutable_message()->mutable_recipients(static_cast<int>(i))->set_state(states[i]);
  }
  return record;
}

// Cancels the message as MailApi does: every recipient not final becomes CANCELLED.
absl::StatusOr<std::vector<v1::Event>> CancelAll(StoredMessage& record) {
  record.mutable_message()->set_state(v1::CANCELLED);
  for (auto& r : *record.mutable_message()->mutable_recipients()) {
    if (r.state() == v1::RECIPIENT_PENDING || r.state() == v1::RECIPIENT_DEFERRED) {
      r.set_state(v1::RECIPIENT_CANCELLED);
    }
  }
  return std::vector<v1::Event>{EventOf(v1::Event::CANCELLED, record.message().id())};
}

class RedisQueueStatsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(server_.Start().ok());
    client_ = server_.Client();
    UseQueue(2, absl::Minutes(15));
  }

  void UseQueue(int shards, absl::Duration lease_timeout, int64_t max_depth = 0) {
    RedisQueueOptions o;
    o.shards = shards;
    o.lease_timeout = lease_timeout;
    o.max_depth = max_depth;
    stats_.reset();  // it refers to the queue being replaced
    queue_ = std::make_unique<RedisMessageQueue>(*client_, client_.get(), o);
    ASSERT_TRUE(queue_->EnsureGroups().ok());
    stats_ = std::make_unique<RedisQueueStats>(*client_, *queue_);
  }

  // A fresh id on `shard` of the current queue.
  std::string IdOnShard(int shard) {
    clock_.Advance(absl::Milliseconds(1));
    const int shards = queue_->shards();
    const int selector =
        shard + shards * static_cast<int>(random_.Uint64() % (kShardSelectors / shards));
    std::string id = NewMessageId(clock_, random_, selector);
    EXPECT_EQ(queue_->ShardOf(id), shard);
    return id;
  }

  void Enqueue(const StoredMessage& r, Lane lane, std::optional<absl::Time> at = std::nullopt) {
    absl::Status s = queue_->Enqueue(r, lane, at, {EventOf(v1::Event::QUEUED, r.message().id())});
    ASSERT_TRUE(s.ok()) << s;
  }

  Lease TakeOne(const std::string& consumer) {
    auto leases = queue_->Take(consumer, 1, absl::ZeroDuration());
    EXPECT_TRUE(leases.ok()) << leases.status();
    EXPECT_EQ(leases.ok() ? leases->size() : 0u, 1u);
    return leases.ok() && leases->size() == 1 ? (*leases)[0] : Lease{};
  }

  std::map<Lane, LaneDepth> Depth() {
    auto d = stats_->Depth();
    EXPECT_TRUE(d.ok()) << d.status();
    if (!d.ok()) return {};
    EXPECT_EQ(d->size(), 2u);  // both lanes, always
    return *d;
  }

  std::vector<std::pair<std::string, int64_t>> Destinations(size_t top) {
    auto d = stats_->Destinations(top);
    EXPECT_TRUE(d.ok()) << d.status();
    return d.ok() ? *d : std::vector<std::pair<std::string, int64_t>>{};
  }

  TenantCounters Counters(std::optional<std::string> tenant) {
    auto c = stats_->Counters(std::move(tenant));
    EXPECT_TRUE(c.ok()) << c.status();
    return c.ok() ? *c : TenantCounters{};
  }

  RedisServer server_;
  std::unique_ptr<redis::HiredisClient> client_;
  std::unique_ptr<RedisMessageQueue> queue_;
  std::unique_ptr<RedisQueueStats> stats_;
  testing::FakeClock clock_;
  testing::FakeRandom random_;
};

// ---- Depth ----

TEST_F(RedisQueueStatsTest, EmptyQueueReportsBothLanesAtZero) {
  std::map<Lane, LaneDepth> d = Depth();
  EXPECT_THAT(d[Lane::kTransactional], DepthIs(0, 0, 0, 0));
  EXPECT_THAT(d[Lane::kBulk], DepthIs(0, 0, 0, 0));
  EXPECT_THAT(Destinations(10), IsEmpty());
}

TEST_F(RedisQueueStatsTest, ReadyAndScheduledArePerLaneAndSummedOverShards) {
  Enqueue(Record("acme", IdOnShard(0)), Lane::kTransactional);
  Enqueue(Record("acme", IdOnShard(1)), Lane::kTransactional);
  Enqueue(Record("acme", IdOnShard(1)), Lane::kTransactional, kDue);
  Enqueue(Record("acme", IdOnShard(0)), Lane::kBulk);
  Enqueue(Record("globex", IdOnShard(0)), Lane::kBulk, kDue);
  Enqueue(Record("globex", IdOnShard(1)), Lane::kBulk, kDue);

  std::map<Lane, LaneDepth> d = Depth();
  EXPECT_THAT(d[Lane::kTransactional], DepthIs(2, 1, 0, 0));
  EXPECT_THAT(d[Lane::kBulk], DepthIs(1, 2, 0, 0));
}

TEST_F(RedisQueueStatsTest, RefusedEnqueueChangesNoFigure) {
  const std::string id = IdOnShard(0);
  Enqueue(Record("acme", id), Lane::kBulk, kDue);
  // The same id again (scheduled or not): refused before any write.
  EXPECT_EQ(queue_->Enqueue(Record("acme", id), Lane::kBulk, kDue,
                            {EventOf(v1::Event::QUEUED, id)}).code(),
            absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(queue_->Enqueue(Record("acme", id), Lane::kTransactional, std::nullopt,
                            {EventOf(v1::Event::QUEUED, id)}).code(),
            absl::StatusCode::kAlreadyExists);
  // A full queue (one message per shard).
  UseQueue(2, absl::Minutes(15), /*max_depth=*/2);
  const std::string full = IdOnShard(0);
  EXPECT_EQ(queue_->Enqueue(Record("acme", full), Lane::kBulk, kDue,
                            {EventOf(v1::Event::QUEUED, full)}).code(),
            absl::StatusCode::kResourceExhausted);

  std::map<Lane, LaneDepth> d = Depth();
  EXPECT_THAT(d[Lane::kTransactional], DepthIs(0, 0, 0, 0));
  EXPECT_THAT(d[Lane::kBulk], DepthIs(0, 1, 0, 0));
  EXPECT_EQ(Counters("acme").Count("queued"), 1);
}

TEST_F(RedisQueueStatsTest, TakeMovesReadyToInFlightAndCompleteRemovesIt) {
  Enqueue(Record("acme", IdOnShard(0)), Lane::kTransactional);
  Enqueue(Record("acme", IdOnShard(1)), Lane::kTransactional);
  Enqueue(Record("acme", IdOnShard(1)), Lane::kBulk);

  Lease first = TakeOne("w1");
  EXPECT_THAT(Depth()[Lane::kTransactional], DepthIs(1, 0, 1, 0));
  Lease second = TakeOne("w2");
  EXPECT_THAT(Depth()[Lane::kTransactional], DepthIs(0, 0, 2, 0));
  EXPECT_THAT(Depth()[Lane::kBulk], DepthIs(1, 0, 0, 0));

  ASSERT_TRUE(queue_->Complete(first, first.record).ok());
  EXPECT_THAT(Depth()[Lane::kTransactional], DepthIs(0, 0, 1, 0));
  ASSERT_TRUE(queue_->Complete(second, second.record).ok());
  EXPECT_THAT(Depth()[Lane::kTransactional], DepthIs(0, 0, 0, 0));

  Lease bulk = TakeOne("w1");
  EXPECT_EQ(bulk.lane, Lane::kBulk);
  EXPECT_THAT(Depth()[Lane::kBulk], DepthIs(0, 0, 1, 0));
  ASSERT_TRUE(queue_->Complete(bulk, bulk.record).ok());
  EXPECT_THAT(Depth()[Lane::kBulk], DepthIs(0, 0, 0, 0));
}

TEST_F(RedisQueueStatsTest, DeferSchedulesAndPromoteDueMakesReadyAgain) {
  Enqueue(Record("acme", IdOnShard(0)), Lane::kBulk);
  Enqueue(Record("acme", IdOnShard(1)), Lane::kTransactional, kDue);
  Lease lease = TakeOne("w1");  // the bulk one: the transactional one is not due yet
  ASSERT_EQ(lease.lane, Lane::kBulk);
  EXPECT_THAT(Depth()[Lane::kBulk], DepthIs(0, 0, 1, 0));

  ASSERT_TRUE(queue_->Defer(lease, lease.record, kDue + absl::Minutes(10)).ok());
  EXPECT_THAT(Depth()[Lane::kBulk], DepthIs(0, 1, 0, 0));
  EXPECT_THAT(Depth()[Lane::kTransactional], DepthIs(0, 1, 0, 0));

  // Only what is due moves, and the scheduled figure follows.
  ASSERT_EQ(*queue_->PromoteDue(kDue - absl::Seconds(1), 100), 0);
  EXPECT_THAT(Depth()[Lane::kTransactional], DepthIs(0, 1, 0, 0));
  ASSERT_EQ(*queue_->PromoteDue(kDue, 100), 1);
  EXPECT_THAT(Depth()[Lane::kTransactional], DepthIs(1, 0, 0, 0));
  EXPECT_THAT(Depth()[Lane::kBulk], DepthIs(0, 1, 0, 0));
  ASSERT_EQ(*queue_->PromoteDue(kDue + absl::Minutes(10), 100), 1);
  EXPECT_THAT(Depth()[Lane::kBulk], DepthIs(1, 0, 0, 0));
}

TEST_F(RedisQueueStatsTest, PromotingAVanishedMessageForgetsItsScheduledEntry) {
  const std::string id = IdOnShard(1);
  Enqueue(Record("acme", id), Lane::kTransactional, kDue);
  // Retention expired the record while it waited.
  ASSERT_TRUE(client_->Command({"DEL", queue_->MessageKey("acme", id)}).ok());
  ASSERT_TRUE(queue_->PromoteDue(kDue, 100).ok());
  EXPECT_THAT(Depth()[Lane::kTransactional], DepthIs(0, 0, 0, 0));
}

TEST_F(RedisQueueStatsTest, CancelTakesAMessageOutOfReadyOrScheduled) {
  const std::string ready = IdOnShard(0), scheduled = IdOnShard(1), leased = IdOnShard(1);
  Enqueue(Record("acme", leased), Lane::kTransactional);
  Lease held = TakeOne("w1");
  ASSERT_EQ(held.id, leased);
  Enqueue(Record("acme", ready), Lane::kTransactional);
  Enqueue(Record("acme", scheduled), Lane::kBulk, kDue);
  EXPECT_THAT(Depth()[Lane::kTransactional], DepthIs(1, 0, 1, 0));
  EXPECT_THAT(Depth()[Lane::kBulk], DepthIs(0, 1, 0, 0));

  ASSERT_TRUE(queue_->Cancel("acme", ready, CancelAll).ok());
  ASSERT_TRUE(queue_->Cancel("acme", scheduled, CancelAll).ok());
  // A leased message cannot be cancelled, and its figures stay.
  EXPECT_EQ(queue_->Cancel("acme", leased, CancelAll).status().code(),
            absl::StatusCode::kFailedPrecondition);

  EXPECT_THAT(Depth()[Lane::kTransactional], DepthIs(0, 0, 1, 0));
  EXPECT_THAT(Depth()[Lane::kBulk], DepthIs(0, 0, 0, 0));
  EXPECT_EQ(Counters("acme").Count("cancelled"), 2);
  // Nothing left to promote either.
  EXPECT_EQ(*queue_->PromoteDue(kDue, 100), 0);
}

// Takes the one pending message over from its holder, as a worker does once the lease expired
// (this queue's lease timeout is 0: every lease is expired).
Lease Reclaim(RedisMessageQueue& queue, const std::string& consumer) {
  auto leases = queue.Take(consumer, 1, absl::ZeroDuration());
  EXPECT_TRUE(leases.ok()) << leases.status();
  EXPECT_EQ(leases.ok() ? leases->size() : 0u, 1u);
  return leases.ok() && leases->size() == 1 ? (*leases)[0] : Lease{};
}

TEST_F(RedisQueueStatsTest, LeaseTakenOverThreeTimesIsDead) {
  UseQueue(1, absl::Minutes(15));
  const std::string id = IdOnShard(0);
  Enqueue(Record("acme", id), Lane::kTransactional);
  Enqueue(Record("acme", IdOnShard(0)), Lane::kBulk);
  TakeOne("w0");  // delivered once
  EXPECT_THAT(Depth()[Lane::kTransactional], DepthIs(0, 0, 1, 0));

  UseQueue(1, absl::ZeroDuration());
  Reclaim(*queue_, "w1");  // taken over once
  EXPECT_THAT(Depth()[Lane::kTransactional], DepthIs(0, 0, 1, 0));
  Reclaim(*queue_, "w2");  // twice (whether that is dead: see the DISABLED test below)
  Lease last = Reclaim(*queue_, "w3");  // three times: a poison suspect
  ASSERT_EQ(last.id, id);
  EXPECT_THAT(Depth()[Lane::kTransactional], DepthIs(0, 0, 1, 1));
  // The other lane is not affected.
  EXPECT_THAT(Depth()[Lane::kBulk], DepthIs(1, 0, 0, 0));

  // Once acknowledged it is neither in flight nor dead.
  ASSERT_TRUE(queue_->Complete(last, last.record).ok());
  EXPECT_THAT(Depth()[Lane::kTransactional], DepthIs(0, 0, 0, 0));
}

// XPENDING's delivery count includes the first delivery: two take-overs are not yet dead.
TEST_F(RedisQueueStatsTest, LeaseTakenOverTwiceIsNotYetDead) {
  UseQueue(1, absl::Minutes(15));
  Enqueue(Record("acme", IdOnShard(0)), Lane::kTransactional);
  TakeOne("w0");
  UseQueue(1, absl::ZeroDuration());
  Reclaim(*queue_, "w1");
  Reclaim(*queue_, "w2");
  EXPECT_THAT(Depth()[Lane::kTransactional], DepthIs(0, 0, 1, 0));
}

// Without the consumer groups (Redis lost its data, or kirimd started while Redis was down)
// the waiting messages still count: only XPENDING needs the groups.
TEST_F(RedisQueueStatsTest, WaitingMessagesCountEvenBeforeTheGroupsExist) {
  ASSERT_TRUE(client_->Command({"FLUSHALL"}).ok());
  Enqueue(Record("acme", IdOnShard(0)), Lane::kTransactional);
  Enqueue(Record("acme", IdOnShard(1)), Lane::kBulk, kDue);
  std::map<Lane, LaneDepth> d = Depth();
  EXPECT_THAT(d[Lane::kTransactional], DepthIs(1, 0, 0, 0));
  EXPECT_THAT(d[Lane::kBulk], DepthIs(0, 1, 0, 0));
}

TEST_F(RedisQueueStatsTest, EmptyRedisWithoutGroupsIsZeroNotAnError) {
  ASSERT_TRUE(client_->Command({"FLUSHALL"}).ok());
  std::map<Lane, LaneDepth> d = Depth();
  EXPECT_THAT(d[Lane::kTransactional], DepthIs(0, 0, 0, 0));
  EXPECT_THAT(d[Lane::kBulk], DepthIs(0, 0, 0, 0));
}

// ---- Destinations ----

TEST_F(RedisQueueStatsTest, DestinationsCountDeferredRecipientsMostFirstAcrossShards) {
  using S = v1::RecipientState;
  const S kDeferred = v1::RECIPIENT_DEFERRED, kDelivered = v1::RECIPIENT_DELIVERED;
  Enqueue(Record("acme", IdOnShard(0),
                 {"a@Gmail.com", "b@gmail.com", "c@yahoo.com", "d@example.org"}),
          Lane::kTransactional);
  Enqueue(Record("globex", IdOnShard(1), {"e@gmail.com", "f@yahoo.com"}), Lane::kBulk);
  Lease one = TakeOne("w1");
  Lease two = TakeOne("w2");
  ASSERT_EQ(one.tenant, "acme");
  ASSERT_EQ(two.tenant, "globex");
  ASSERT_TRUE(queue_
                  ->Defer(one, WithStates(one.record, {kDeferred, kDeferred, kDeferred, kDelivered}),
                          kDue)
                  .ok());
  ASSERT_TRUE(queue_->Defer(two, WithStates(two.record, {kDeferred, kDeferred}), kDue).ok());

  EXPECT_THAT(Destinations(10), ElementsAre(Pair("gmail.com", 3), Pair("yahoo.com", 2)));
  EXPECT_THAT(Destinations(1), ElementsAre(Pair("gmail.com", 3)));
  EXPECT_THAT(Destinations(0), IsEmpty());

  // globex's retry: gmail delivered, yahoo bounced.
  ASSERT_EQ(*queue_->PromoteDue(kDue, 100), 2);
  Lease again = TakeOne("w1");  // acme's (transactional)
  Lease again2 = TakeOne("w2");
  ASSERT_EQ(again2.tenant, "globex");
  ASSERT_TRUE(queue_
                  ->Complete(again2, WithStates(again2.record, {kDelivered, v1::RECIPIENT_BOUNCED}))
                  .ok());
  EXPECT_THAT(Destinations(10), ElementsAre(Pair("gmail.com", 2), Pair("yahoo.com", 1)));

  // acme's: everything delivered. Both domains disappear, and no zero is left behind.
  ASSERT_TRUE(
      queue_->Complete(again, WithStates(again.record, {kDelivered, kDelivered, kDelivered}))
          .ok());
  EXPECT_THAT(Destinations(10), IsEmpty());
  for (int s = 0; s < 2; ++s) {
    auto len = client_->Command({"HLEN", queue_->DestinationsKey(s)});
    ASSERT_TRUE(len.ok());
    EXPECT_EQ(len->integer, 0) << "shard " << s;
  }
}

TEST_F(RedisQueueStatsTest, DestinationsWithEqualCountsAreInNameOrder) {
  Enqueue(Record("acme", IdOnShard(0), {"x@b.example", "y@a.example", "z@c.example"}),
          Lane::kTransactional);
  Lease l = TakeOne("w1");
  ASSERT_TRUE(queue_
                  ->Defer(l,
                          WithStates(l.record, {v1::RECIPIENT_DEFERRED, v1::RECIPIENT_DEFERRED,
                                                v1::RECIPIENT_DEFERRED}),
                          kDue)
                  .ok());
  EXPECT_THAT(Destinations(10), ElementsAre(Pair("a.example", 1), Pair("b.example", 1),
                                            Pair("c.example", 1)));
  EXPECT_THAT(Destinations(2), ElementsAre(Pair("a.example", 1), Pair("b.example", 1)));
}

TEST_F(RedisQueueStatsTest, CancellingADeferredMessageTakesItsDomainsOut) {
  const std::string id = IdOnShard(1);
  Enqueue(Record("acme", id, {"a@slow.example"}), Lane::kBulk);
  Lease l = TakeOne("w1");
  ASSERT_TRUE(queue_->Defer(l, WithStates(l.record, {v1::RECIPIENT_DEFERRED}), kDue).ok());
  EXPECT_THAT(Destinations(10), ElementsAre(Pair("slow.example", 1)));
  ASSERT_TRUE(queue_->Cancel("acme", id, CancelAll).ok());
  EXPECT_THAT(Destinations(10), IsEmpty());
  EXPECT_THAT(Depth()[Lane::kBulk], DepthIs(0, 0, 0, 0));
}

TEST_F(RedisQueueStatsTest, DeferredAgainDoesNotCountTwice) {
  Enqueue(Record("acme", IdOnShard(0), {"a@slow.example"}), Lane::kTransactional);
  Lease l = TakeOne("w1");
  ASSERT_TRUE(queue_->Defer(l, WithStates(l.record, {v1::RECIPIENT_DEFERRED}), kDue).ok());
  ASSERT_EQ(*queue_->PromoteDue(kDue, 10), 1);
  Lease retry = TakeOne("w1");
  ASSERT_EQ(retry.record.message().recipients(0).state(), v1::RECIPIENT_DEFERRED);
  ASSERT_TRUE(queue_->Defer(retry, retry.record, kDue + absl::Hours(1),
                            {EventOf(v1::Event::DEFERRED, retry.id)})
                  .ok());
  EXPECT_THAT(Destinations(10), ElementsAre(Pair("slow.example", 1)));
  EXPECT_EQ(Counters("acme").Count("deferred"), 1);
}

// ---- Counters ----

TEST_F(RedisQueueStatsTest, CountersAreTheTenantsOwnAndSummedForAll) {
  Enqueue(Record("acme", IdOnShard(0)), Lane::kTransactional);
  Enqueue(Record("acme", IdOnShard(1)), Lane::kBulk);  // the other shard: summed
  Enqueue(Record("globex", IdOnShard(1)), Lane::kBulk);

  TenantCounters acme = Counters("acme");
  EXPECT_EQ(acme.Count("queued"), 2);
  EXPECT_EQ(Counters("globex").Count("queued"), 1);
  EXPECT_EQ(Counters(std::nullopt).Count("queued"), 3);
  TenantCounters nobody = Counters("initech");
  EXPECT_THAT(nobody.events, IsEmpty());
  EXPECT_EQ(nobody.accept_to_delivered.size(), DeliveryLatencyBuckets().size() + 1);
  EXPECT_EQ(nobody.smtp_attempt.size(), SmtpPhaseBuckets().size() + 1);
  // Latency buckets are not mistaken for event types.
  EXPECT_THAT(acme.events, ElementsAre(Pair("queued", 2)));
}

TEST_F(RedisQueueStatsTest, DeliveryCountsItsLatencyAndAttemptBuckets) {
  const std::string id = IdOnShard(1);
  Enqueue(Record("acme", id), Lane::kTransactional);
  Enqueue(Record("globex", IdOnShard(0)), Lane::kBulk);
  Lease l = TakeOne("w1");
  ASSERT_EQ(l.id, id);
  StoredMessage done = WithStates(l.record, {v1::RECIPIENT_DELIVERED});
  v1::Attempt* a = done.mutable_message()->add_attempts();
  *a->mutable_start_time() = ToProtoTime(kAccepted + absl::Seconds(1));
  *a->mutable_end_time() = ToProtoTime(kAccepted + absl::Seconds(1) + absl::Milliseconds(200));
  // Delivered 3 s after acceptance: bucket (2.5, 5] = 5; the attempt took 0.2 s: (0.1, 0.25] = 6.
  ASSERT_TRUE(queue_
                  ->Complete(l, done,
                             {EventOf(v1::Event::DELIVERED, id, kAccepted + absl::Seconds(3))})
                  .ok());

  TenantCounters acme = Counters("acme");
  EXPECT_EQ(acme.Count("delivered"), 1);
  std::vector<int64_t> latency(DeliveryLatencyBuckets().size() + 1, 0);
  latency[5] = 1;
  std::vector<int64_t> smtp(SmtpPhaseBuckets().size() + 1, 0);
  smtp[6] = 1;
  EXPECT_EQ(acme.accept_to_delivered, latency);
  EXPECT_EQ(acme.smtp_attempt, smtp);
  EXPECT_THAT(acme.events, ElementsAre(Pair("delivered", 1), Pair("queued", 1)));

  TenantCounters globex = Counters("globex");
  EXPECT_EQ(globex.Count("delivered"), 0);
  EXPECT_EQ(globex.accept_to_delivered, std::vector<int64_t>(latency.size(), 0));
  EXPECT_EQ(globex.smtp_attempt, std::vector<int64_t>(smtp.size(), 0));

  TenantCounters all = Counters(std::nullopt);
  EXPECT_EQ(all.Count("queued"), 2);
  EXPECT_EQ(all.accept_to_delivered, latency);
  EXPECT_EQ(all.smtp_attempt, smtp);
}

TEST_F(RedisQueueStatsTest, CountRejectedIsPerTenant) {
  Enqueue(Record("acme", IdOnShard(0)), Lane::kTransactional);
  ASSERT_TRUE(stats_->CountRejected("acme").ok());
  ASSERT_TRUE(stats_->CountRejected("acme").ok());
  ASSERT_TRUE(stats_->CountRejected("globex").ok());
  EXPECT_EQ(Counters("acme").Count("rejected"), 2);
  EXPECT_EQ(Counters("acme").Count("queued"), 1);
  EXPECT_EQ(Counters("globex").Count("rejected"), 1);
  EXPECT_EQ(Counters("globex").Count("queued"), 0);
  EXPECT_EQ(Counters(std::nullopt).Count("rejected"), 3);
}

TEST_F(RedisQueueStatsTest, AnotherKeyPrefixOnTheSameRedisIsNotCounted) {
  RedisQueueOptions other;
  other.key_prefix = "staging";
  other.shards = 2;
  RedisMessageQueue staging(*client_, client_.get(), other);
  ASSERT_TRUE(staging.EnsureGroups().ok());
  RedisQueueStats staging_stats(*client_, staging);
  const std::string id = IdOnShard(0);
  ASSERT_TRUE(staging
                  .Enqueue(Record("acme", id), Lane::kTransactional, kDue,
                           {EventOf(v1::Event::QUEUED, id)})
                  .ok());
  ASSERT_TRUE(staging_stats.CountRejected("acme").ok());

  EXPECT_THAT(Counters(std::nullopt).events, IsEmpty());
  EXPECT_THAT(Counters("acme").events, IsEmpty());
  EXPECT_THAT(Depth()[Lane::kTransactional], DepthIs(0, 0, 0, 0));
  auto theirs = staging_stats.Counters(std::nullopt);
  ASSERT_TRUE(theirs.ok());
  EXPECT_EQ(theirs->Count("queued"), 1);
  EXPECT_EQ(theirs->Count("rejected"), 1);
}

}  // namespace
}  // namespace kirim
