// Unit tests of StatisticsFor (server/queue/queue_stats.h): the "<field> <delta>" strings one
// change of a message contributes to the cluster-wide statistics. Every rule: one "n:<type> 1"
// per event, a latency bucket per DELIVERED event (accept → event), an SMTP bucket per new
// attempt, and a per-domain ±1 for each recipient entering or leaving the deferred state.
#include "server/queue/queue_stats.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/common/proto_time.h"

namespace kirim {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::UnorderedElementsAre;

const absl::Time kAccepted = absl::FromUnixSeconds(1767323045);

struct Rcpt {
  std::string address;
  v1::RecipientState state;
};

StoredMessage Message(const std::vector<Rcpt>& recipients) {
  StoredMessage m;
  m.set_tenant("acme");
  m.mutable_message()->set_id("01TESTMESSAGE0000000000000");
  *m.mutable_message()->mutable_create_time() = ToProtoTime(kAccepted);
  for (const Rcpt& r : recipients) {
    v1::RecipientResult* out = m.mutable_message()->add_recipients();
    out->set_address(r.address);
    out->set_state(r.state);
  }
  return m;
}

void AddAttempt(StoredMessage* m, absl::Time start, absl::Duration took) {
  v1::Attempt* a = m->mutable_message()->add_attempts();
  *a->mutable_start_time() = ToProtoTime(start);
  *a->mutable_end_time() = ToProtoTime(start + took);
}

v1::Event Event(v1::Event::Type type, absl::Time at = kAccepted) {
  v1::Event e;
  e.set_type(type);
  *e.mutable_time() = ToProtoTime(at);
  return e;
}

// ---- events ----

TEST(StatisticsForTest, NewMessageCountsItsQueuedEvent) {
  const StoredMessage after =
      Message({{"a@example.com", v1::RECIPIENT_PENDING}, {"b@example.org", v1::RECIPIENT_PENDING}});
  EXPECT_THAT(StatisticsFor(nullptr, after, {Event(v1::Event::QUEUED)}),
              ElementsAre("n:queued 1"));
}

TEST(StatisticsForTest, NoEventsAndNoChangeContributeNothing) {
  const StoredMessage m = Message({{"a@example.com", v1::RECIPIENT_PENDING}});
  EXPECT_THAT(StatisticsFor(nullptr, m, {}), IsEmpty());
  EXPECT_THAT(StatisticsFor(&m, m, {}), IsEmpty());
}

TEST(StatisticsForTest, EveryEventTypeIsCountedUnderItsLowerCaseName) {
  const StoredMessage m = Message({});
  std::vector<v1::Event> events;
  for (v1::Event::Type t :
       {v1::Event::QUEUED, v1::Event::DEFERRED, v1::Event::DELAYED, v1::Event::BOUNCED,
        v1::Event::EXPIRED, v1::Event::SUPPRESSED, v1::Event::CANCELLED, v1::Event::FAILED}) {
    events.push_back(Event(t));
  }
  EXPECT_THAT(StatisticsFor(&m, m, events),
              UnorderedElementsAre("n:queued 1", "n:deferred 1", "n:delayed 1", "n:bounced 1",
                                   "n:expired 1", "n:suppressed 1", "n:cancelled 1",
                                   "n:failed 1"));
}

TEST(StatisticsForTest, EachEventCountsOnce) {
  // One event per recipient: two bounces are two.
  const StoredMessage m = Message({});
  EXPECT_THAT(StatisticsFor(&m, m, {Event(v1::Event::BOUNCED), Event(v1::Event::BOUNCED)}),
              ElementsAre("n:bounced 1", "n:bounced 1"));
}

// ---- accept → delivered latency ----

TEST(StatisticsForTest, DeliveredCountsItsLatencyBucketFromAcceptance) {
  const StoredMessage before = Message({{"a@example.com", v1::RECIPIENT_PENDING}});
  const StoredMessage after = Message({{"a@example.com", v1::RECIPIENT_DELIVERED}});
  // 3 s after acceptance: DeliveryLatencyBuckets() is 0.1, 0.25, 0.5, 1, 2.5, 5, ... so (2.5, 5]
  // is bucket 5.
  EXPECT_THAT(
      StatisticsFor(&before, after, {Event(v1::Event::DELIVERED, kAccepted + absl::Seconds(3))}),
      UnorderedElementsAre("n:delivered 1", "n:lat:5 1"));
}

TEST(StatisticsForTest, LatencyOnABoundIsInThatBucket) {
  const StoredMessage m = Message({});
  EXPECT_THAT(StatisticsFor(&m, m, {Event(v1::Event::DELIVERED, kAccepted + absl::Seconds(5))}),
              UnorderedElementsAre("n:delivered 1", "n:lat:5 1"));
  EXPECT_THAT(
      StatisticsFor(&m, m, {Event(v1::Event::DELIVERED, kAccepted + absl::Milliseconds(100))}),
      UnorderedElementsAre("n:delivered 1", "n:lat:0 1"));
}

TEST(StatisticsForTest, LatencyBeyondTheLastBoundIsPlusInf) {
  const StoredMessage m = Message({});
  // Two days: past the 1 day bound, so the +Inf bucket (index 14 of 14 bounds).
  EXPECT_THAT(StatisticsFor(&m, m, {Event(v1::Event::DELIVERED, kAccepted + absl::Hours(48))}),
              UnorderedElementsAre("n:delivered 1", "n:lat:14 1"));
}

TEST(StatisticsForTest, EveryDeliveredEventCountsALatency) {
  const StoredMessage m = Message({});
  EXPECT_THAT(StatisticsFor(&m, m,
                            {Event(v1::Event::DELIVERED, kAccepted + absl::Seconds(3)),
                             Event(v1::Event::DELIVERED, kAccepted + absl::Minutes(2))}),
              UnorderedElementsAre("n:delivered 1", "n:lat:5 1", "n:delivered 1", "n:lat:9 1"));
}

TEST(StatisticsForTest, OnlyDeliveredCountsALatency) {
  const StoredMessage m = Message({});
  EXPECT_THAT(StatisticsFor(&m, m,
                            {Event(v1::Event::BOUNCED, kAccepted + absl::Seconds(3)),
                             Event(v1::Event::EXPIRED, kAccepted + absl::Seconds(3))}),
              UnorderedElementsAre("n:bounced 1", "n:expired 1"));
}

// ---- SMTP attempts ----

TEST(StatisticsForTest, OneNewAttemptCountsOneSmtpBucket) {
  StoredMessage before = Message({});
  AddAttempt(&before, kAccepted, absl::Seconds(40));  // an older attempt: already counted
  StoredMessage after = before;
  // 200 ms: SmtpPhaseBuckets() is 0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, ... so bucket 6.
  AddAttempt(&after, kAccepted + absl::Minutes(5), absl::Milliseconds(200));
  EXPECT_THAT(StatisticsFor(&before, after, {}), ElementsAre("n:smtp:6 1"));
}

TEST(StatisticsForTest, NoNewAttemptCountsNoSmtpBucket) {
  StoredMessage m = Message({});
  AddAttempt(&m, kAccepted, absl::Seconds(1));
  EXPECT_THAT(StatisticsFor(&m, m, {}), IsEmpty());
}

TEST(StatisticsForTest, AttemptsOfANewMessageAreAllNew) {
  StoredMessage m = Message({});
  AddAttempt(&m, kAccepted, absl::Milliseconds(1));  // on the 1 ms bound: bucket 0
  AddAttempt(&m, kAccepted, absl::Minutes(20));       // past 10 min: +Inf (index 16)
  EXPECT_THAT(StatisticsFor(nullptr, m, {}), UnorderedElementsAre("n:smtp:0 1", "n:smtp:16 1"));
}

// ---- deferred recipients per destination ----

TEST(StatisticsForTest, RecipientsEnteringDeferredCountPerDomain) {
  const StoredMessage before = Message({{"a@example.com", v1::RECIPIENT_PENDING},
                                        {"b@example.com", v1::RECIPIENT_PENDING},
                                        {"c@other.org", v1::RECIPIENT_PENDING},
                                        {"d@done.net", v1::RECIPIENT_PENDING}});
  const StoredMessage after = Message({{"a@example.com", v1::RECIPIENT_DEFERRED},
                                       {"b@example.com", v1::RECIPIENT_DEFERRED},
                                       {"c@other.org", v1::RECIPIENT_DEFERRED},
                                       {"d@done.net", v1::RECIPIENT_DELIVERED}});
  EXPECT_THAT(StatisticsFor(&before, after, {}),
              UnorderedElementsAre("d:example.com 1", "d:example.com 1", "d:other.org 1"));
}

TEST(StatisticsForTest, DeferredToDeliveredLeavesTheDomainAndCountsTheDelivery) {
  const StoredMessage before = Message({{"a@example.com", v1::RECIPIENT_DEFERRED}});
  const StoredMessage after = Message({{"a@example.com", v1::RECIPIENT_DELIVERED}});
  EXPECT_THAT(
      StatisticsFor(&before, after, {Event(v1::Event::DELIVERED, kAccepted + absl::Minutes(2))}),
      UnorderedElementsAre("n:delivered 1", "n:lat:9 1", "d:example.com -1"));
}

TEST(StatisticsForTest, LeavingDeferredForAnyOtherStateIsMinusOne) {
  for (v1::RecipientState to : {v1::RECIPIENT_BOUNCED, v1::RECIPIENT_EXPIRED,
                                v1::RECIPIENT_CANCELLED, v1::RECIPIENT_PENDING}) {
    const StoredMessage before = Message({{"a@example.com", v1::RECIPIENT_DEFERRED}});
    const StoredMessage after = Message({{"a@example.com", to}});
    EXPECT_THAT(StatisticsFor(&before, after, {}), ElementsAre("d:example.com -1"))
        << v1::RecipientState_Name(to);
  }
}

TEST(StatisticsForTest, StillDeferredIsNoChange) {
  // A retry that is deferred again: the deferral is counted, the domain's figure is not.
  const StoredMessage before = Message({{"a@example.com", v1::RECIPIENT_DEFERRED},
                                        {"b@example.org", v1::RECIPIENT_DELIVERED}});
  const StoredMessage after = before;
  EXPECT_THAT(StatisticsFor(&before, after, {Event(v1::Event::DEFERRED)}),
              ElementsAre("n:deferred 1"));
}

TEST(StatisticsForTest, NewMessageWithDeferredRecipientsEntersDeferred) {
  const StoredMessage after = Message({{"a@example.com", v1::RECIPIENT_DEFERRED},
                                       {"b@example.com", v1::RECIPIENT_PENDING}});
  EXPECT_THAT(StatisticsFor(nullptr, after, {}), ElementsAre("d:example.com 1"));
}

TEST(StatisticsForTest, DomainIsLowerCased) {
  const StoredMessage before =
      Message({{"Alice@MiXeD.Example", v1::RECIPIENT_PENDING}, {"bob@mixed.example", v1::RECIPIENT_PENDING}});
  const StoredMessage after = Message(
      {{"Alice@MiXeD.Example", v1::RECIPIENT_DEFERRED}, {"bob@mixed.example", v1::RECIPIENT_DEFERRED}});
  EXPECT_THAT(StatisticsFor(&before, after, {}),
              ElementsAre("d:mixed.example 1", "d:mixed.example 1"));
  EXPECT_THAT(StatisticsFor(&after, before, {}),
              ElementsAre("d:mixed.example -1", "d:mixed.example -1"));
}

TEST(StatisticsForTest, DomainIsAfterTheLastAt) {
  // A quoted local part may hold an "@".
  const StoredMessage after = Message({{"\"a@b\"@Example.COM", v1::RECIPIENT_DEFERRED}});
  EXPECT_THAT(StatisticsFor(nullptr, after, {}), ElementsAre("d:example.com 1"));
}

TEST(StatisticsForTest, ADeferralAttemptCombinesEveryRule) {
  // A worker's attempt: one recipient delivered, one deferred, one already bounced earlier.
  StoredMessage before = Message({{"a@example.com", v1::RECIPIENT_PENDING},
                                  {"b@slow.example", v1::RECIPIENT_PENDING},
                                  {"c@gone.example", v1::RECIPIENT_BOUNCED}});
  StoredMessage after = Message({{"a@example.com", v1::RECIPIENT_DELIVERED},
                                 {"b@slow.example", v1::RECIPIENT_DEFERRED},
                                 {"c@gone.example", v1::RECIPIENT_BOUNCED}});
  AddAttempt(&after, kAccepted + absl::Seconds(1), absl::Seconds(2));  // (1, 2.5]: bucket 9
  EXPECT_THAT(StatisticsFor(&before, after,
                            {Event(v1::Event::DELIVERED, kAccepted + absl::Seconds(3)),
                             Event(v1::Event::DEFERRED, kAccepted + absl::Seconds(3))}),
              UnorderedElementsAre("n:delivered 1", "n:lat:5 1", "n:deferred 1", "n:smtp:9 1",
                                   "d:slow.example 1"));
}

}  // namespace
}  // namespace kirim
