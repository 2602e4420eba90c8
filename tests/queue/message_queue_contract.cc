// The MessageQueue contract (see message_queue_contract.h and server/queue/message_queue.h).
#include "tests/queue/message_queue_contract.h"

#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "gmock/gmock.h"
#include "server/queue/message_id.h"
#include "tests/common/fake_clock.h"
#include "tests/common/fake_random.h"

namespace kirim::testing {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

const absl::Time kNow = absl::FromUnixSeconds(1800000000);

class Ids {
 public:
  std::string Next(std::optional<int> selector = std::nullopt) {
    absl::MutexLock lock(&mu_);
    clock_.Advance(absl::Milliseconds(1));
    return NewMessageId(clock_, random_, selector);
  }

 private:
  absl::Mutex mu_;
  FakeClock clock_;
  FakeRandom random_;
};

StoredMessage Record(const std::string& tenant, const std::string& id) {
  StoredMessage r;
  r.set_tenant(tenant);
  r.mutable_message()->set_id(id);
  r.mutable_message()->set_name(MessageName(id));
  r.mutable_message()->set_state(v1::QUEUED);
  r.mutable_message()->add_tags("orders");
  auto* rcpt = r.mutable_message()->add_recipients();
  rcpt->set_address("ana@example.net");
  rcpt->set_state(v1::RECIPIENT_PENDING);
  r.mutable_request()->set_subject("hello " + id);
  return r;
}

v1::Event Ev(v1::Event::Type type, const std::string& id, const std::string& recipient = "") {
  v1::Event e;
  e.set_type(type);
  e.set_message(MessageName(id));
  e.set_recipient(recipient);
  e.mutable_time()->set_seconds(absl::ToUnixSeconds(kNow));
  e.add_tags("orders");
  (*e.mutable_metadata())["order"] = "42";
  return e;
}

// "QUEUED messages/ID" for each event: what an assertion wants to compare.
std::vector<std::string> Summary(const std::vector<v1::Event>& events) {
  std::vector<std::string> out;
  for (const v1::Event& e : events) {
    out.push_back(v1::Event::Type_Name(e.type()) + " " + e.message() +
                  (e.recipient().empty() ? "" : " " + e.recipient()));
  }
  return out;
}

// Every event after `cursor`, read in small batches (exercising resumption) without waiting.
std::vector<v1::Event> ReadAll(MessageQueue& queue, const std::string& tenant, std::string cursor,
                               int batch = 3) {
  std::vector<v1::Event> all;
  for (int guard = 0; guard < 1000; ++guard) {
    auto got = queue.ReadEvents(tenant, cursor, batch, absl::ZeroDuration());
    EXPECT_TRUE(got.ok()) << got.status();
    if (!got.ok() || got->empty()) break;
    for (const v1::Event& e : *got) EXPECT_FALSE(e.cursor().empty());
    cursor = got->back().cursor();
    all.insert(all.end(), got->begin(), got->end());
  }
  return all;
}

std::vector<Lease> TakeAll(MessageQueue& queue) {
  auto leases = queue.Take("w1", 100, absl::ZeroDuration());
  EXPECT_TRUE(leases.ok()) << leases.status();
  return leases.ok() ? *leases : std::vector<Lease>{};
}

TEST_P(MessageQueueContractTest, EnqueueAppendsItsEventsInTheSameStepAndARefusalAppendsNone) {
  Ids ids;
  auto start = queue().LatestEventCursor("t1");
  ASSERT_TRUE(start.ok()) << start.status();
  const std::string id = ids.Next();
  ASSERT_TRUE(queue()
                  .Enqueue(Record("t1", id), Lane::kTransactional, std::nullopt,
                           {Ev(v1::Event::QUEUED, id)})
                  .ok());
  // The same id again is refused: its event must not appear (no phantom events).
  EXPECT_EQ(queue()
                .Enqueue(Record("t1", id), Lane::kTransactional, std::nullopt,
                         {Ev(v1::Event::QUEUED, id)})
                .code(),
            absl::StatusCode::kAlreadyExists);
  auto got = queue().ReadEvents("t1", *start, 10, absl::ZeroDuration());
  ASSERT_TRUE(got.ok()) << got.status();
  ASSERT_EQ(got->size(), 1u);
  const v1::Event& e = (*got)[0];
  EXPECT_EQ(e.type(), v1::Event::QUEUED);
  EXPECT_EQ(e.message(), MessageName(id));
  EXPECT_EQ(e.time().seconds(), absl::ToUnixSeconds(kNow));
  EXPECT_THAT(e.tags(), ElementsAre("orders"));
  EXPECT_EQ(e.metadata().at("order"), "42");
  EXPECT_FALSE(e.cursor().empty());
  // Its cursor is the end: nothing after it.
  auto after = queue().ReadEvents("t1", e.cursor(), 10, absl::ZeroDuration());
  ASSERT_TRUE(after.ok());
  EXPECT_THAT(*after, IsEmpty());
}

TEST_P(MessageQueueContractTest, EveryStateChangeAppendsItsEventsAndAnyCursorResumesExactlyOnce) {
  Ids ids;
  auto start = queue().LatestEventCursor("t1");
  ASSERT_TRUE(start.ok());
  const std::string a = ids.Next(), b = ids.Next(), c = ids.Next();
  ASSERT_TRUE(
      queue()
          .Enqueue(Record("t1", a), Lane::kTransactional, std::nullopt, {Ev(v1::Event::QUEUED, a)})
          .ok());
  ASSERT_TRUE(
      queue()
          .Enqueue(Record("t1", b), Lane::kTransactional, std::nullopt, {Ev(v1::Event::QUEUED, b)})
          .ok());
  ASSERT_TRUE(
      queue()
          .Enqueue(Record("t1", c), Lane::kBulk, kNow + absl::Hours(1), {Ev(v1::Event::QUEUED, c)})
          .ok());
  auto leases = queue().Take("w1", 2, absl::ZeroDuration());
  ASSERT_TRUE(leases.ok());
  ASSERT_EQ(leases->size(), 2u);
  for (const Lease& l : *leases) {
    StoredMessage r = l.record;
    if (l.id == a) {
      r.mutable_message()->set_state(v1::DELIVERED);
      ASSERT_TRUE(queue()
                      .Complete(l, r,
                                {Ev(v1::Event::DELIVERED, a, "ana@example.net"),
                                 Ev(v1::Event::DELIVERED, a, "bo@example.org")})
                      .ok());
    } else {
      r.mutable_message()->set_state(v1::DEFERRED);
      ASSERT_TRUE(
          queue()
              .Defer(l, r, kNow + absl::Minutes(5), {Ev(v1::Event::DEFERRED, b, "ana@example.net")})
              .ok());
    }
  }
  auto cancelled =
      queue().Cancel("t1", c, [&](StoredMessage& r) -> absl::StatusOr<std::vector<v1::Event>> {
        r.mutable_message()->set_state(v1::CANCELLED);
        return std::vector<v1::Event>{Ev(v1::Event::CANCELLED, c)};
      });
  ASSERT_TRUE(cancelled.ok()) << cancelled.status();

  std::vector<v1::Event> all = ReadAll(queue(), "t1", *start, /*batch=*/2);
  const std::vector<std::string> sum = Summary(all);
  ASSERT_EQ(all.size(), 7u) << ::testing::PrintToString(sum);
  EXPECT_THAT(sum, ElementsAre("QUEUED " + MessageName(a), "QUEUED " + MessageName(b),
                               "QUEUED " + MessageName(c),
                               "DELIVERED " + MessageName(a) + " ana@example.net",
                               "DELIVERED " + MessageName(a) + " bo@example.org",
                               "DEFERRED " + MessageName(b) + " ana@example.net",
                               "CANCELLED " + MessageName(c)));
  // Resuming from the k-th event's cursor gives exactly the events after it, for every k.
  for (size_t k = 0; k < all.size(); ++k) {
    std::vector<v1::Event> rest = ReadAll(queue(), "t1", all[k].cursor(), 3);
    std::vector<std::string> want(sum.begin() + static_cast<long>(k) + 1, sum.end());
    EXPECT_EQ(Summary(rest), want) << "resumed after event " << k;
  }
}

TEST_P(MessageQueueContractTest, AnEmptyCursorStartsFromNowAndTenantsNeverSeeEachOthersEvents) {
  Ids ids;
  const std::string old_id = ids.Next();
  ASSERT_TRUE(queue()
                  .Enqueue(Record("t1", old_id), Lane::kTransactional, std::nullopt,
                           {Ev(v1::Event::QUEUED, old_id)})
                  .ok());
  auto from_now = queue().ReadEvents("t1", "", 10, absl::ZeroDuration());
  ASSERT_TRUE(from_now.ok()) << from_now.status();
  EXPECT_THAT(*from_now, IsEmpty());

  auto t1 = queue().LatestEventCursor("t1");
  auto t2 = queue().LatestEventCursor("t2");
  ASSERT_TRUE(t1.ok() && t2.ok());
  const std::string mine = ids.Next(), theirs = ids.Next();
  ASSERT_TRUE(queue()
                  .Enqueue(Record("t1", mine), Lane::kTransactional, std::nullopt,
                           {Ev(v1::Event::QUEUED, mine)})
                  .ok());
  ASSERT_TRUE(queue()
                  .Enqueue(Record("t2", theirs), Lane::kTransactional, std::nullopt,
                           {Ev(v1::Event::QUEUED, theirs)})
                  .ok());
  EXPECT_THAT(Summary(ReadAll(queue(), "t1", *t1)), ElementsAre("QUEUED " + MessageName(mine)));
  EXPECT_THAT(Summary(ReadAll(queue(), "t2", *t2)), ElementsAre("QUEUED " + MessageName(theirs)));
}

TEST_P(MessageQueueContractTest, ABlockingReadWakesUpForTheNextEvent) {
  Ids ids;
  auto start = queue().LatestEventCursor("t1");
  ASSERT_TRUE(start.ok());
  const std::string id = ids.Next();
  absl::StatusOr<std::vector<v1::Event>> got;
  std::thread reader([&] { got = queue().ReadEvents("t1", *start, 10, absl::Seconds(20)); });
  ASSERT_TRUE(queue()
                  .Enqueue(Record("t1", id), Lane::kTransactional, std::nullopt,
                           {Ev(v1::Event::QUEUED, id)})
                  .ok());
  reader.join();  // returns on the event, not after 20 s (the test's timeout would say so)
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_THAT(Summary(*got), ElementsAre("QUEUED " + MessageName(id)));
}

TEST_P(MessageQueueContractTest, MalformedCursorsAreInvalidArgumentAndMaxZeroOnlyChecks) {
  for (const std::string& bad : {std::string("garbage!"),
                                 std::string("MDp4LTA"),             // "0:x-0"
                                 std::string("MDoxLTAsMToyLTA")}) {  // two shards
    auto r = queue().ReadEvents("t1", bad, 10, absl::ZeroDuration());
    EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument) << bad;
  }
  auto now = queue().LatestEventCursor("t1");
  ASSERT_TRUE(now.ok());
  auto checked = queue().ReadEvents("t1", *now, 0, absl::ZeroDuration());
  ASSERT_TRUE(checked.ok()) << checked.status();
  EXPECT_THAT(*checked, IsEmpty());
}

TEST_P(MessageQueueContractTest, ACursorOlderThanRetentionIsOutOfRangeNotAGap) {
  ASSERT_TRUE(harness_->Start(QueueLimits{.max_depth = 0, .event_stream_max_len = 10}).ok());
  Ids ids;
  auto start = queue().LatestEventCursor("t1");
  ASSERT_TRUE(start.ok());
  for (int i = 0; i < 60; ++i) {
    const std::string id = ids.Next();
    ASSERT_TRUE(
        queue()
            .Enqueue(Record("t1", id), Lane::kBulk, std::nullopt, {Ev(v1::Event::QUEUED, id)})
            .ok());
  }
  auto stale = queue().ReadEvents("t1", *start, 10, absl::ZeroDuration());
  EXPECT_EQ(stale.status().code(), absl::StatusCode::kOutOfRange) << stale.status();
  // A reader that keeps up is unaffected.
  auto now = queue().LatestEventCursor("t1");
  ASSERT_TRUE(now.ok());
  const std::string id = ids.Next();
  ASSERT_TRUE(queue()
                  .Enqueue(Record("t1", id), Lane::kBulk, std::nullopt, {Ev(v1::Event::QUEUED, id)})
                  .ok());
  auto fresh = queue().ReadEvents("t1", *now, 10, absl::ZeroDuration());
  ASSERT_TRUE(fresh.ok()) << fresh.status();
  EXPECT_THAT(Summary(*fresh), ElementsAre("QUEUED " + MessageName(id)));
}

TEST_P(MessageQueueContractTest, AnIdempotencyKeyIsClaimedOnceAndLaterUsesStoreNothing) {
  Ids ids;
  const int sel = ShardSelectorForKey("t1", "order-42");
  const std::string first = ids.Next(sel), second = ids.Next(sel);
  const IdempotencyKey key{"order-42", "hash-A", absl::Hours(24)};
  auto start = queue().LatestEventCursor("t1");
  ASSERT_TRUE(start.ok());
  auto none = queue().FindIdempotencyKey("t1", "order-42");
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->has_value());

  auto stored = queue().EnqueueIdempotent(Record("t1", first), Lane::kTransactional, std::nullopt,
                                          key, {Ev(v1::Event::QUEUED, first)});
  ASSERT_TRUE(stored.ok()) << stored.status();
  EXPECT_FALSE(stored->deduplicated);

  IdempotencyKey other_payload = key;
  other_payload.request_hash = "hash-B";
  auto again = queue().EnqueueIdempotent(Record("t1", second), Lane::kTransactional, std::nullopt,
                                         other_payload, {Ev(v1::Event::QUEUED, second)});
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_TRUE(again->deduplicated);
  EXPECT_EQ(again->existing.id, first);
  EXPECT_EQ(again->existing.request_hash, "hash-A");  // the caller compares, sees a conflict
  auto second_record = queue().Get("t1", second);
  ASSERT_TRUE(second_record.ok());
  EXPECT_FALSE(second_record->has_value()) << "a deduplicated enqueue stored its record";
  EXPECT_EQ(TakeAll(queue()).size(), 1u);
  EXPECT_THAT(Summary(ReadAll(queue(), "t1", *start)), ElementsAre("QUEUED " + MessageName(first)));

  auto found = queue().FindIdempotencyKey("t1", "order-42");
  ASSERT_TRUE(found.ok() && found->has_value());
  EXPECT_EQ((*found)->id, first);
  EXPECT_EQ((*found)->request_hash, "hash-A");
  // Keys belong to a tenant.
  auto elsewhere = queue().FindIdempotencyKey("t2", "order-42");
  ASSERT_TRUE(elsewhere.ok());
  EXPECT_FALSE(elsewhere->has_value());
}

TEST_P(MessageQueueContractTest, AnIdempotentIdMustCarryItsKeysShardSelector) {
  Ids ids;
  const int sel = ShardSelectorForKey("t1", "k");
  const std::string wrong = ids.Next((sel + 1) % kShardSelectors);
  auto r = queue().EnqueueIdempotent(Record("t1", wrong), Lane::kTransactional, std::nullopt,
                                     IdempotencyKey{"k", "h", absl::Hours(1)});
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  auto got = queue().Get("t1", wrong);
  ASSERT_TRUE(got.ok());
  EXPECT_FALSE(got->has_value());
}

TEST_P(MessageQueueContractTest, RacingEnqueuesWithOneKeyStoreExactlyOne) {
  Ids ids;
  const int sel = ShardSelectorForKey("t1", "race");
  constexpr int kRacers = 8;
  std::vector<std::string> mine(kRacers);
  for (auto& id : mine) id = ids.Next(sel);
  std::vector<absl::StatusOr<EnqueueOutcome>> outcomes(kRacers, absl::UnknownError("not run"));
  std::vector<std::thread> threads;
  for (int i = 0; i < kRacers; ++i) {
    threads.emplace_back([&, i] {
      outcomes[i] =
          queue().EnqueueIdempotent(Record("t1", mine[i]), Lane::kTransactional, std::nullopt,
                                    IdempotencyKey{"race", "h", absl::Hours(1)});
    });
  }
  for (auto& t : threads) t.join();
  std::set<std::string> named;
  int stored = 0;
  for (int i = 0; i < kRacers; ++i) {
    ASSERT_TRUE(outcomes[i].ok()) << outcomes[i].status();
    if (!outcomes[i]->deduplicated) {
      ++stored;
      named.insert(mine[i]);
    } else {
      named.insert(outcomes[i]->existing.id);
    }
  }
  EXPECT_EQ(stored, 1);
  EXPECT_EQ(named.size(), 1u) << "every caller must learn the one winner's id";
  EXPECT_EQ(TakeAll(queue()).size(), 1u);
}

absl::StatusOr<std::vector<v1::Event>> MarkCancelled(StoredMessage& r) {
  r.mutable_message()->set_state(v1::CANCELLED);
  for (auto& rcpt : *r.mutable_message()->mutable_recipients())
    rcpt.set_state(v1::RECIPIENT_CANCELLED);
  return std::vector<v1::Event>{Ev(v1::Event::CANCELLED, r.message().id())};
}

TEST_P(MessageQueueContractTest, CancelTakesReadyAndScheduledMessagesOutForGood) {
  Ids ids;
  const std::string ready = ids.Next(), scheduled = ids.Next(), deferred = ids.Next(),
                    other = ids.Next();
  ASSERT_TRUE(queue().Enqueue(Record("t1", ready), Lane::kTransactional, std::nullopt).ok());
  ASSERT_TRUE(queue().Enqueue(Record("t1", scheduled), Lane::kBulk, kNow + absl::Hours(2)).ok());
  ASSERT_TRUE(queue().Enqueue(Record("t1", deferred), Lane::kBulk, std::nullopt).ok());
  // `deferred` goes through a lease and a Defer first.
  std::vector<Lease> leased = TakeAll(queue());
  ASSERT_EQ(leased.size(), 2u);
  for (const Lease& l : leased) {
    if (l.id == deferred) {
      StoredMessage r = l.record;
      r.mutable_message()->set_state(v1::DEFERRED);
      ASSERT_TRUE(queue().Defer(l, r, kNow + absl::Minutes(1)).ok());
    } else {
      ASSERT_EQ(l.id, ready);
    }
  }
  // The first lease (on `ready`) is still held: cancel must refuse it.
  auto busy = queue().Cancel("t1", ready, MarkCancelled);
  EXPECT_EQ(busy.status().code(), absl::StatusCode::kFailedPrecondition) << busy.status();
  auto unchanged = queue().Get("t1", ready);
  ASSERT_TRUE(unchanged.ok() && unchanged->has_value());
  EXPECT_EQ((*unchanged)->message().state(), v1::QUEUED);

  // A message that is ready and not yet taken.
  ASSERT_TRUE(queue().Enqueue(Record("t1", other), Lane::kTransactional, std::nullopt).ok());
  auto start = queue().LatestEventCursor("t1");
  ASSERT_TRUE(start.ok());
  for (const std::string& id : {other, scheduled, deferred}) {
    auto done = queue().Cancel("t1", id, MarkCancelled);
    ASSERT_TRUE(done.ok()) << id << ": " << done.status();
    EXPECT_EQ(done->message().state(), v1::CANCELLED);
    auto stored = queue().Get("t1", id);
    ASSERT_TRUE(stored.ok() && stored->has_value());
    EXPECT_EQ((*stored)->message().state(), v1::CANCELLED);
    EXPECT_EQ((*stored)->message().recipients(0).state(), v1::RECIPIENT_CANCELLED);
  }
  EXPECT_THAT(Summary(ReadAll(queue(), "t1", *start)),
              ElementsAre("CANCELLED " + MessageName(other), "CANCELLED " + MessageName(scheduled),
                          "CANCELLED " + MessageName(deferred)));
  // Never handed to a worker: not when ready, not when due.
  auto promoted = queue().PromoteDue(kNow + absl::Hours(3), 100);
  ASSERT_TRUE(promoted.ok());
  EXPECT_EQ(*promoted, 0);
  EXPECT_THAT(TakeAll(queue()), IsEmpty());
  // Once cancelled it is final for the caller's decision function, which refuses again.
  auto twice =
      queue().Cancel("t1", other, [](StoredMessage& r) -> absl::StatusOr<std::vector<v1::Event>> {
        if (r.message().state() == v1::CANCELLED)
          return absl::FailedPreconditionError("already cancelled");
        return std::vector<v1::Event>{};
      });
  EXPECT_EQ(twice.status().code(), absl::StatusCode::kFailedPrecondition);
}

TEST_P(MessageQueueContractTest,
       CancelOfAnUnknownOrForeignMessageIsNotFoundAndARefusalChangesNothing) {
  Ids ids;
  const std::string id = ids.Next();
  ASSERT_TRUE(queue().Enqueue(Record("t1", id), Lane::kTransactional, std::nullopt).ok());
  EXPECT_EQ(queue().Cancel("t2", id, MarkCancelled).status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(queue().Cancel("t1", ids.Next(), MarkCancelled).status().code(),
            absl::StatusCode::kNotFound);
  auto start = queue().LatestEventCursor("t1");
  ASSERT_TRUE(start.ok());
  auto refused =
      queue().Cancel("t1", id, [](StoredMessage& r) -> absl::StatusOr<std::vector<v1::Event>> {
        r.mutable_message()->set_state(v1::CANCELLED);  // edits are discarded on refusal
        return absl::FailedPreconditionError("no");
      });
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kFailedPrecondition);
  auto still = queue().Get("t1", id);
  ASSERT_TRUE(still.ok() && still->has_value());
  EXPECT_EQ((*still)->message().state(), v1::QUEUED);
  EXPECT_THAT(ReadAll(queue(), "t1", *start), IsEmpty());
  EXPECT_EQ(TakeAll(queue()).size(), 1u);
}

TEST_P(MessageQueueContractTest, AtTheDepthLimitEnqueueRefusesAndStoresNothing) {
  ASSERT_TRUE(harness_->Start(QueueLimits{.max_depth = 2, .event_stream_max_len = 0}).ok());
  Ids ids;
  const std::string a = ids.Next(), b = ids.Next(), c = ids.Next();
  ASSERT_TRUE(queue().Enqueue(Record("t1", a), Lane::kTransactional, std::nullopt).ok());
  ASSERT_TRUE(queue().Enqueue(Record("t1", b), Lane::kBulk, kNow + absl::Hours(1)).ok());
  auto start = queue().LatestEventCursor("t1");
  ASSERT_TRUE(start.ok());
  absl::Status full =
      queue().Enqueue(Record("t1", c), Lane::kBulk, std::nullopt, {Ev(v1::Event::QUEUED, c)});
  EXPECT_EQ(full.code(), absl::StatusCode::kResourceExhausted) << full;
  auto idem =
      queue().EnqueueIdempotent(Record("t1", ids.Next(ShardSelectorForKey("t1", "k"))), Lane::kBulk,
                                std::nullopt, IdempotencyKey{"k", "h", absl::Hours(1)});
  EXPECT_EQ(idem.status().code(), absl::StatusCode::kResourceExhausted);
  auto claim = queue().FindIdempotencyKey("t1", "k");
  ASSERT_TRUE(claim.ok());
  EXPECT_FALSE(claim->has_value()) << "a refused enqueue claimed its key";
  auto gone = queue().Get("t1", c);
  ASSERT_TRUE(gone.ok());
  EXPECT_FALSE(gone->has_value());
  EXPECT_THAT(ReadAll(queue(), "t1", *start), IsEmpty());

  // Finishing one frees a place.
  std::vector<Lease> leases = TakeAll(queue());
  ASSERT_EQ(leases.size(), 1u);
  StoredMessage done = leases[0].record;
  done.mutable_message()->set_state(v1::DELIVERED);
  ASSERT_TRUE(queue().Complete(leases[0], done).ok());
  EXPECT_TRUE(queue().Enqueue(Record("t1", c), Lane::kBulk, std::nullopt).ok());
}

}  // namespace
}  // namespace kirim::testing
