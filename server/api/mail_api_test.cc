#include "server/api/mail_api.h"

#include <cstdio>
#include <set>
#include <thread>

#include "gmock/gmock.h"
#include "google/rpc/error_details.pb.h"
#include "gtest/gtest.h"
#include "server/api/api_status.h"
#include "server/common/status_details.h"
#include "tests/common/fake_clock.h"
#include "tests/common/fake_random.h"
#include "tests/limits/fake_send_limiter.h"
#include "tests/queue/fake_message_queue.h"
#include "tests/suppression/fake_suppression_store.h"

namespace kirim {
namespace {

class MailApiTest : public ::testing::Test {
 protected:
  MailApiTest()
      : null_(std::fopen("/dev/null", "w")),
        logger_(clock_, LogLevel::kDebug, null_),
        limiter_(clock_),
        api_(queue_, limiter_, limits_, clock_, random_, logger_, MailApiOptions{}, &suppressions_) {}
  ~MailApiTest() override { std::fclose(null_); }

  v1::SendEmailRequest Request() {
    v1::SendEmailRequest r;
    r.set_from("Shop <shop@example.com>");
    r.add_to("ana@example.net");
    r.add_bcc("audit@example.com");
    r.set_subject("Order 42");
    r.set_text_body("Thanks");
    r.add_tags("orders");
    return r;
  }

  testing::FakeClock clock_;
  testing::FakeRandom random_;
  testing::FakeMessageQueue queue_{&clock_};
  FILE* null_;
  Logger logger_;
  testing::FakeSendLimiter limiter_;
  testing::FakeSuppressionStore suppressions_;
  LimitsTable limits_;  // default: unlimited
  MailApi api_;
  Principal alice_{"alice"};
};

TEST_F(MailApiTest, StoresTheMessageBeforeAnsweringWithItsId) {
  auto r = api_.SendEmail(alice_, Request());
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->name(), "messages/" + r->id());
  EXPECT_EQ(r->message_id_header(), "<" + r->id() + "@example.com>");
  EXPECT_EQ(queue_.ready_count(), 1u);

  auto stored = queue_.Get("alice", r->id());
  ASSERT_TRUE(stored.ok() && stored->has_value());
  const StoredMessage& rec = **stored;
  EXPECT_EQ(rec.tenant(), "alice");
  EXPECT_EQ(rec.envelope_from(), "shop@example.com");
  ASSERT_EQ(rec.envelope_recipients_size(), 2);
  EXPECT_EQ(rec.envelope_recipients(1), "audit@example.com");
  EXPECT_EQ(rec.message().state(), v1::QUEUED);
  EXPECT_EQ(rec.message().priority(), v1::TRANSACTIONAL);
  EXPECT_EQ(rec.message().recipients_size(), 2);
  EXPECT_EQ(rec.message().create_time().seconds(), absl::ToUnixSeconds(clock_.Now()));
}

TEST_F(MailApiTest, InvalidRequestStoresNothing) {
  v1::SendEmailRequest bad = Request();
  bad.set_subject("x\r\nBcc: victim@example.org");
  EXPECT_EQ(api_.SendEmail(alice_, bad).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(queue_.record_count(), 0u);
}

TEST_F(MailApiTest, StoreDownIsUnavailableWithRetryInfo) {
  queue_.set_unavailable(true);
  auto r = api_.SendEmail(alice_, Request());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_TRUE(r.status().GetPayload("type.googleapis.com/google.rpc.RetryInfo").has_value());
}

TEST_F(MailApiTest, RecipientsCountAgainstTheRateAndRefusalsCarryRetryInfo) {
  limits_.Set("alice", TenantLimits{.rate_per_second = 1, .burst = 3, .daily_quota = 0});
  ASSERT_TRUE(api_.SendEmail(alice_, Request()).ok());  // 2 recipients (to + bcc)
  auto refused = api_.SendEmail(alice_, Request());     // needs 2, 1 left
  ASSERT_EQ(refused.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_TRUE(
      refused.status().GetPayload("type.googleapis.com/google.rpc.QuotaFailure").has_value());
  auto retry = refused.status().GetPayload("type.googleapis.com/google.rpc.RetryInfo");
  ASSERT_TRUE(retry.has_value());
  google::rpc::RetryInfo info;
  ASSERT_TRUE(info.ParseFromString(std::string(*retry)));
  EXPECT_EQ(info.retry_delay().seconds(), 1);  // one more token at 1/s
  EXPECT_EQ(queue_.record_count(), 1u);
  clock_.Advance(absl::Seconds(1));
  EXPECT_TRUE(api_.SendEmail(alice_, Request()).ok());
  // Another tenant has its own bucket.
  EXPECT_TRUE(api_.SendEmail(Principal{"bob"}, Request()).ok());
}

TEST_F(MailApiTest, AFailedStoreRefundsTheCharge) {
  limits_.Set("alice", TenantLimits{.rate_per_second = 0, .burst = 0, .daily_quota = 2});
  queue_.set_unavailable(true);
  EXPECT_EQ(api_.SendEmail(alice_, Request()).status().code(), absl::StatusCode::kUnavailable);
  queue_.set_unavailable(false);
  EXPECT_TRUE(api_.SendEmail(alice_, Request()).ok()) << "the failed call must not use the quota";
  EXPECT_EQ(api_.SendEmail(alice_, Request()).status().code(),
            absl::StatusCode::kResourceExhausted);
}

TEST_F(MailApiTest, InvalidRequestsAreNotCharged) {
  limits_.Set("alice", TenantLimits{.rate_per_second = 0, .burst = 0, .daily_quota = 2});
  v1::SendEmailRequest bad = Request();
  bad.clear_from();
  for (int i = 0; i < 5; ++i) api_.SendEmail(alice_, bad).IgnoreError();
  EXPECT_TRUE(api_.SendEmail(alice_, Request()).ok());
}

TEST_F(MailApiTest, ScheduledMessageWaits) {
  v1::SendEmailRequest req = Request();
  req.mutable_send_at()->set_seconds(absl::ToUnixSeconds(clock_.Now() + absl::Hours(2)));
  ASSERT_TRUE(api_.SendEmail(alice_, req).ok());
  EXPECT_EQ(queue_.ready_count(), 0u);
  EXPECT_EQ(queue_.scheduled_count(), 1u);
}

TEST_F(MailApiTest, GetMessageIsTenantScoped) {
  auto sent = api_.SendEmail(alice_, Request());
  ASSERT_TRUE(sent.ok());
  v1::GetMessageRequest get;
  get.set_name(sent->name());
  auto mine = api_.GetMessage(alice_, get);
  ASSERT_TRUE(mine.ok());
  EXPECT_EQ(mine->id(), sent->id());
  EXPECT_EQ(mine->state(), v1::QUEUED);
  // Another tenant asking for the same id learns nothing, not even that it exists.
  EXPECT_EQ(api_.GetMessage(Principal{"mallory"}, get).status().code(),
            absl::StatusCode::kNotFound);
  get.set_name("messages/not-an-id");
  EXPECT_EQ(api_.GetMessage(alice_, get).status().code(), absl::StatusCode::kInvalidArgument);
}

// --- events -------------------------------------------------------------------------------

TEST_F(MailApiTest, AcceptingAMessageLogsOneQueuedEventInTheSameStep) {
  v1::SendEmailRequest req = Request();
  (*req.mutable_metadata())["order"] = "42";
  auto sent = api_.SendEmail(alice_, req);
  ASSERT_TRUE(sent.ok()) << sent.status();
  std::vector<v1::Event> events = queue_.events("alice");
  ASSERT_EQ(events.size(), 1u) << "one event per message, not per recipient";
  EXPECT_EQ(events[0].type(), v1::Event::QUEUED);
  EXPECT_EQ(events[0].message(), sent->name());
  EXPECT_EQ(events[0].recipient(), "");
  EXPECT_EQ(events[0].time().seconds(), absl::ToUnixSeconds(clock_.Now()));
  EXPECT_THAT(events[0].tags(), ::testing::ElementsAre("orders"));
  EXPECT_EQ(events[0].metadata().at("order"), "42");
  // Refused sends log nothing.
  v1::SendEmailRequest bad = Request();
  bad.clear_from();
  EXPECT_FALSE(api_.SendEmail(alice_, bad).ok());
  queue_.set_max_depth(1);
  EXPECT_FALSE(api_.SendEmail(alice_, Request()).ok());
  EXPECT_EQ(queue_.events("alice").size(), 1u);
}

v1::WatchEventsRequest Watch(std::string cursor = "") {
  v1::WatchEventsRequest w;
  w.set_cursor(std::move(cursor));
  return w;
}

TEST_F(MailApiTest, AWatchStartsNowSeesOnlyItsTenantAndResumesFromAnyCursor) {
  ASSERT_TRUE(api_.SendEmail(alice_, Request()).ok());  // before the watch: not seen
  auto watch = api_.StartWatch(alice_, Watch());
  ASSERT_TRUE(watch.ok()) << watch.status();
  std::vector<std::string> sent;
  for (int i = 0; i < 5; ++i) {
    sent.push_back(api_.SendEmail(alice_, Request())->name());
    ASSERT_TRUE(api_.SendEmail(Principal{"bob"}, Request()).ok());
  }
  std::vector<v1::Event> seen;
  for (int i = 0; i < 10; ++i) {
    auto next = api_.NextEvents(*watch, 2, absl::ZeroDuration());
    ASSERT_TRUE(next.ok()) << next.status();
    seen.insert(seen.end(), next->begin(), next->end());
  }
  ASSERT_EQ(seen.size(), 5u);
  for (size_t i = 0; i < seen.size(); ++i) EXPECT_EQ(seen[i].message(), sent[i]);

  // A new watch from the second event's cursor: exactly the three after it.
  auto resumed = api_.StartWatch(alice_, Watch(seen[1].cursor()));
  ASSERT_TRUE(resumed.ok()) << resumed.status();
  auto rest = api_.NextEvents(*resumed, 100, absl::ZeroDuration());
  ASSERT_TRUE(rest.ok());
  ASSERT_EQ(rest->size(), 3u);
  EXPECT_EQ((*rest)[0].message(), sent[2]);
  EXPECT_EQ((*rest)[2].message(), sent[4]);
}

TEST_F(MailApiTest, WatchFiltersByTypeTagAndMessageAndStillMovesPastTheRest) {
  v1::SendEmailRequest news = Request();
  news.clear_tags();
  news.add_tags("news");
  auto start = queue_.LatestEventCursor("alice");
  ASSERT_TRUE(start.ok());
  auto order = api_.SendEmail(alice_, Request());
  auto letter = api_.SendEmail(alice_, news);
  ASSERT_TRUE(order.ok() && letter.ok());
  v1::CancelMessageRequest cancel;
  cancel.set_name(letter->name());
  ASSERT_TRUE(api_.CancelMessage(alice_, cancel).ok());

  auto read_all = [&](v1::WatchEventsRequest w) {
    w.set_cursor(*start);
    auto watch = api_.StartWatch(alice_, w);
    EXPECT_TRUE(watch.ok()) << watch.status();
    std::vector<std::string> out;
    for (int i = 0; i < 5 && watch.ok(); ++i) {
      auto next = api_.NextEvents(*watch, 1, absl::ZeroDuration());
      EXPECT_TRUE(next.ok()) << next.status();
      if (!next.ok()) break;
      for (const auto& e : *next) out.push_back(v1::Event::Type_Name(e.type()) + " " + e.message());
    }
    return out;
  };
  v1::WatchEventsRequest by_type;
  by_type.add_types(v1::Event::CANCELLED);
  EXPECT_THAT(read_all(by_type), ::testing::ElementsAre("CANCELLED " + letter->name()));
  v1::WatchEventsRequest by_tag;
  by_tag.set_tag("orders");
  EXPECT_THAT(read_all(by_tag), ::testing::ElementsAre("QUEUED " + order->name()));
  v1::WatchEventsRequest by_message;
  by_message.set_message(letter->name());
  EXPECT_THAT(read_all(by_message),
              ::testing::ElementsAre("QUEUED " + letter->name(), "CANCELLED " + letter->name()));
}

TEST_F(MailApiTest, BadWatchRequestsNameTheFieldAndStaleCursorsAreOutOfRange) {
  auto bad_cursor = api_.StartWatch(alice_, Watch("not-a-cursor"));
  ASSERT_EQ(bad_cursor.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(bad_cursor.status().message().substr(0, 7), "cursor:");
  v1::WatchEventsRequest bad_type;
  bad_type.add_types(v1::Event::TYPE_UNSPECIFIED);
  EXPECT_EQ(api_.StartWatch(alice_, bad_type).status().code(), absl::StatusCode::kInvalidArgument);

  queue_.set_event_stream_max_len(2);
  auto start = queue_.LatestEventCursor("alice");
  ASSERT_TRUE(start.ok());
  for (int i = 0; i < 4; ++i) ASSERT_TRUE(api_.SendEmail(alice_, Request()).ok());
  EXPECT_EQ(api_.StartWatch(alice_, Watch(*start)).status().code(), absl::StatusCode::kOutOfRange);
}

// --- idempotency --------------------------------------------------------------------------

TEST_F(MailApiTest, TheSameIdempotencyKeyAnswersWithTheOriginalAndQueuesNothing) {
  limits_.Set("alice", TenantLimits{.rate_per_second = 0, .burst = 0, .daily_quota = 2});
  v1::SendEmailRequest req = Request();  // 2 recipients: the whole quota
  req.set_idempotency_key("order-42");
  auto first = api_.SendEmail(alice_, req);
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_FALSE(first->deduplicated());
  // The retry is answered although the quota is used up: it costs nothing.
  auto retry = api_.SendEmail(alice_, req);
  ASSERT_TRUE(retry.ok()) << retry.status();
  EXPECT_TRUE(retry->deduplicated());
  EXPECT_EQ(retry->id(), first->id());
  EXPECT_EQ(retry->name(), first->name());
  EXPECT_EQ(retry->message_id_header(), first->message_id_header());
  EXPECT_EQ(queue_.record_count(), 1u);
  EXPECT_EQ(queue_.ready_count(), 1u);
  EXPECT_EQ(queue_.events("alice").size(), 1u);
  // Another tenant's identical key is its own.
  auto bobs = api_.SendEmail(Principal{"bob"}, req);
  ASSERT_TRUE(bobs.ok());
  EXPECT_FALSE(bobs->deduplicated());
  EXPECT_NE(bobs->id(), first->id());
  // After the window the key is free again.
  clock_.Advance(absl::Hours(24));
  limits_.Set("alice", TenantLimits{.rate_per_second = 0, .burst = 0, .daily_quota = 0});
  auto later = api_.SendEmail(alice_, req);
  ASSERT_TRUE(later.ok());
  EXPECT_FALSE(later->deduplicated());
  EXPECT_NE(later->id(), first->id());
}

TEST_F(MailApiTest, TheSameKeyForADifferentRequestIsAlreadyExistsNamingTheField) {
  v1::SendEmailRequest req = Request();
  req.set_idempotency_key("order-42");
  ASSERT_TRUE(api_.SendEmail(alice_, req).ok());
  req.set_subject("Order 43");
  auto clash = api_.SendEmail(alice_, req);
  ASSERT_EQ(clash.status().code(), absl::StatusCode::kAlreadyExists);
  EXPECT_NE(clash.status().message().find("idempotency_key"), absl::string_view::npos);
  auto bad = clash.status().GetPayload("type.googleapis.com/google.rpc.BadRequest");
  ASSERT_TRUE(bad.has_value());
  google::rpc::BadRequest details;
  ASSERT_TRUE(details.ParseFromString(std::string(*bad)));
  EXPECT_EQ(details.field_violations(0).field(), "idempotency_key");
  EXPECT_EQ(queue_.record_count(), 1u);
}

TEST_F(MailApiTest, RequestHashIgnoresTheKeyAndMapOrderButNotThePayload) {
  v1::SendEmailRequest a = Request();
  (*a.mutable_metadata())["x"] = "1";
  (*a.mutable_metadata())["y"] = "2";
  v1::SendEmailRequest b = Request();
  (*b.mutable_metadata())["y"] = "2";
  (*b.mutable_metadata())["x"] = "1";
  b.set_idempotency_key("anything");
  EXPECT_EQ(SendRequestHash(a), SendRequestHash(b));
  EXPECT_EQ(SendRequestHash(a).size(), 64u);
  b.mutable_send_at()->set_seconds(1);
  EXPECT_NE(SendRequestHash(a), SendRequestHash(b));
}

TEST_F(MailApiTest, RacingCallsWithOneKeyQueueOneAndAllLearnItsId) {
  limits_.Set("alice", TenantLimits{.rate_per_second = 0, .burst = 0, .daily_quota = 100});
  v1::SendEmailRequest req = Request();
  req.set_idempotency_key("race");
  constexpr int kCalls = 8;
  std::vector<absl::StatusOr<v1::SendEmailResponse>> results(kCalls, absl::UnknownError("not run"));
  std::vector<std::thread> threads;
  for (int i = 0; i < kCalls; ++i) {
    threads.emplace_back([&, i] { results[i] = api_.SendEmail(alice_, req); });
  }
  for (auto& t : threads) t.join();
  std::set<std::string> ids;
  int fresh = 0;
  for (auto& r : results) {
    ASSERT_TRUE(r.ok()) << r.status();
    ids.insert(r->id());
    fresh += !r->deduplicated();
  }
  EXPECT_EQ(fresh, 1);
  EXPECT_EQ(ids.size(), 1u);
  EXPECT_EQ(queue_.record_count(), 1u);
  // Only the stored message was charged: 98 of 100 recipients remain.
  req.set_idempotency_key("");
  for (int i = 0; i < 49; ++i) ASSERT_TRUE(api_.SendEmail(alice_, req).ok()) << i;
  EXPECT_EQ(api_.SendEmail(alice_, req).status().code(), absl::StatusCode::kResourceExhausted);
}

TEST_F(MailApiTest, AnUnreachableKeyStoreIsUnavailable) {
  v1::SendEmailRequest req = Request();
  req.set_idempotency_key("k");
  queue_.set_unavailable(true);
  auto r = api_.SendEmail(alice_, req);
  EXPECT_EQ(r.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_TRUE(r.status().GetPayload("type.googleapis.com/google.rpc.RetryInfo").has_value());
}

// --- backpressure -------------------------------------------------------------------------

TEST_F(MailApiTest, AFullQueueRefusesWithRetryInfoStoresNothingAndRefundsTheCharge) {
  limits_.Set("alice", TenantLimits{.rate_per_second = 0, .burst = 0, .daily_quota = 4});
  queue_.set_max_depth(1);
  ASSERT_TRUE(api_.SendEmail(alice_, Request()).ok());  // 2 of 4
  auto full = api_.SendEmail(alice_, Request());
  ASSERT_EQ(full.status().code(), absl::StatusCode::kResourceExhausted) << full.status();
  auto retry = full.status().GetPayload("type.googleapis.com/google.rpc.RetryInfo");
  ASSERT_TRUE(retry.has_value());
  google::rpc::RetryInfo info;
  ASSERT_TRUE(info.ParseFromString(std::string(*retry)));
  EXPECT_EQ(info.retry_delay().seconds(), 30);
  EXPECT_FALSE(full.status().GetPayload("type.googleapis.com/google.rpc.QuotaFailure").has_value())
      << "a full queue is not the tenant's quota";
  EXPECT_EQ(queue_.record_count(), 1u);
  // The refused call gave its 2 recipients back: 2 more fit, then the quota bites.
  queue_.set_max_depth(0);
  EXPECT_TRUE(api_.SendEmail(alice_, Request()).ok());
  EXPECT_EQ(api_.SendEmail(alice_, Request()).status().code(),
            absl::StatusCode::kResourceExhausted);
}

TEST_F(MailApiTest, RedisOutOfMemoryIsAClearResourceExhaustedNotAFullQueue) {
  limits_.Set("alice", TenantLimits{.rate_per_second = 0, .burst = 0, .daily_quota = 2});
  // What HiredisClient makes of Redis's "OOM command not allowed when used memory >
  // 'maxmemory'" reply to the enqueue script.
  queue_.set_enqueue_error(WithErrorReason(
      absl::ResourceExhaustedError("redis: OOM command not allowed when used memory > "
                                   "'maxmemory'. script: 1234, on @user_script:30."),
      kStoreOutOfMemory));
  auto refused = api_.SendEmail(alice_, Request());
  ASSERT_EQ(refused.status().code(), absl::StatusCode::kResourceExhausted) << refused.status();
  EXPECT_THAT(std::string(refused.status().message()),
              ::testing::HasSubstr("message store out of memory"));
  EXPECT_THAT(std::string(refused.status().message()), ::testing::HasSubstr("nothing was stored"));
  EXPECT_EQ(ErrorReason(refused.status()), kStoreOutOfMemory);
  EXPECT_TRUE(refused.status().GetPayload("type.googleapis.com/google.rpc.RetryInfo").has_value());
  EXPECT_FALSE(
      refused.status().GetPayload("type.googleapis.com/google.rpc.QuotaFailure").has_value());
  EXPECT_EQ(RejectReason(refused.status()), "store_out_of_memory");
  EXPECT_EQ(queue_.record_count(), 0u);
  // The charge was given back: the whole daily quota is still there.
  queue_.set_enqueue_error(absl::OkStatus());
  EXPECT_TRUE(api_.SendEmail(alice_, Request()).ok());
}

// --- cancel ---------------------------------------------------------------------------------

TEST_F(MailApiTest, CancelStopsAQueuedOrScheduledMessageForGood) {
  v1::SendEmailRequest later = Request();
  later.mutable_send_at()->set_seconds(absl::ToUnixSeconds(clock_.Now() + absl::Hours(2)));
  auto now_sent = api_.SendEmail(alice_, Request());
  auto scheduled = api_.SendEmail(alice_, later);
  ASSERT_TRUE(now_sent.ok() && scheduled.ok());
  clock_.Advance(absl::Minutes(1));
  for (const auto* sent : {&*now_sent, &*scheduled}) {
    v1::CancelMessageRequest req;
    req.set_name(sent->id());  // a bare id works too
    auto m = api_.CancelMessage(alice_, req);
    ASSERT_TRUE(m.ok()) << m.status();
    EXPECT_EQ(m->state(), v1::CANCELLED);
    EXPECT_EQ(m->update_time().seconds(), absl::ToUnixSeconds(clock_.Now()));
    for (const auto& r : m->recipients())
      EXPECT_EQ(r.state(), v1::RECIPIENT_CANCELLED) << r.address();
    v1::GetMessageRequest get;
    get.set_name(sent->name());
    EXPECT_EQ(api_.GetMessage(alice_, get)->state(), v1::CANCELLED);
  }
  EXPECT_EQ(queue_.ready_count(), 0u);
  EXPECT_EQ(queue_.scheduled_count(), 0u);
  std::vector<v1::Event> events = queue_.events("alice");
  ASSERT_EQ(events.size(), 4u);
  EXPECT_EQ(events[2].type(), v1::Event::CANCELLED);
  EXPECT_EQ(events[2].message(), now_sent->name());
  EXPECT_EQ(events[3].message(), scheduled->name());
}

TEST_F(MailApiTest, CancelRefusesWhatIsBeingSentOrFinishedAndWhatIsNotYours) {
  auto leased = api_.SendEmail(alice_, Request());
  ASSERT_TRUE(leased.ok());
  auto taken = queue_.Take("w1", 1, absl::ZeroDuration());
  ASSERT_TRUE(taken.ok() && taken->size() == 1u);
  v1::CancelMessageRequest req;
  req.set_name(leased->name());
  auto busy = api_.CancelMessage(alice_, req);
  EXPECT_EQ(busy.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(busy.status().message().find("being delivered"), absl::string_view::npos)
      << busy.status();

  StoredMessage done = (*taken)[0].record;
  done.mutable_message()->set_state(v1::DELIVERED);
  done.mutable_message()->mutable_recipients(0)->set_state(v1::RECIPIENT_DELIVERED);
  ASSERT_TRUE(queue_.Complete((*taken)[0], done).ok());
  auto final_state = api_.CancelMessage(alice_, req);
  EXPECT_EQ(final_state.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(final_state.status().message().find("already DELIVERED"), absl::string_view::npos)
      << final_state.status();

  auto mine = api_.SendEmail(alice_, Request());
  ASSERT_TRUE(mine.ok());
  req.set_name(mine->name());
  EXPECT_EQ(api_.CancelMessage(Principal{"mallory"}, req).status().code(),
            absl::StatusCode::kNotFound);
  req.set_name("messages/01KB5Z3Q8R0000000000000000");
  EXPECT_EQ(api_.CancelMessage(alice_, req).status().code(), absl::StatusCode::kNotFound);
  req.set_name("messages/nope");
  EXPECT_EQ(api_.CancelMessage(alice_, req).status().code(), absl::StatusCode::kInvalidArgument);
  req.set_name(mine->name());
  auto cancelled = api_.CancelMessage(alice_, req);
  ASSERT_TRUE(cancelled.ok());
  auto again = api_.CancelMessage(alice_, req);
  EXPECT_EQ(again.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(again.status().message().find("already CANCELLED"), absl::string_view::npos);
}

TEST_F(MailApiTest, CancelKeepsFinalRecipientResults) {
  auto sent = api_.SendEmail(alice_, Request());
  ASSERT_TRUE(sent.ok());
  auto taken = queue_.Take("w1", 1, absl::ZeroDuration());
  ASSERT_TRUE(taken.ok() && taken->size() == 1u);
  StoredMessage partly = (*taken)[0].record;
  partly.mutable_message()->set_state(v1::DEFERRED);
  partly.mutable_message()->mutable_recipients(0)->set_state(v1::RECIPIENT_DELIVERED);
  partly.mutable_message()->mutable_recipients(1)->set_state(v1::RECIPIENT_DEFERRED);
  ASSERT_TRUE(queue_.Defer((*taken)[0], partly, clock_.Now() + absl::Minutes(5)).ok());
  v1::CancelMessageRequest req;
  req.set_name(sent->name());
  auto m = api_.CancelMessage(alice_, req);
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_EQ(m->state(), v1::CANCELLED);
  EXPECT_EQ(m->recipients(0).state(), v1::RECIPIENT_DELIVERED);
  EXPECT_EQ(m->recipients(1).state(), v1::RECIPIENT_CANCELLED);
  EXPECT_FALSE(m->has_next_attempt_time());
}

TEST_F(MailApiTest, SuppressedRecipientsAreRefusedOneByOneWithTheirReason) {
  ASSERT_TRUE(suppressions_.Add("alice", {"audit@example.com", v1::Suppression::HARD_BOUNCE,
                                          "550 5.1.1 gone", clock_.Now()}).ok());
  limits_.Set("alice", TenantLimits{.rate_per_second = 0, .burst = 0, .daily_quota = 1});
  auto sent = api_.SendEmail(alice_, Request());  // to ana, bcc audit (suppressed)
  ASSERT_TRUE(sent.ok()) << sent.status() << " (only one recipient may be charged)";
  const StoredMessage rec = **queue_.Get("alice", sent->id());
  ASSERT_EQ(rec.message().recipients_size(), 2);
  EXPECT_EQ(rec.message().recipients(0).state(), v1::RECIPIENT_PENDING);
  EXPECT_EQ(rec.message().recipients(1).state(), v1::RECIPIENT_SUPPRESSED);
  EXPECT_EQ(rec.message().recipients(1).reply().text(), "suppressed (HARD_BOUNCE: 550 5.1.1 gone)");
  int suppressed_events = 0;
  for (const auto& e : queue_.events("alice")) {
    if (e.type() == v1::Event::SUPPRESSED) {
      ++suppressed_events;
      EXPECT_EQ(e.recipient(), "audit@example.com");
    }
  }
  EXPECT_EQ(suppressed_events, 1);
  // Another tenant's list does not apply.
  EXPECT_TRUE(api_.SendEmail(Principal{"bob"}, Request()).ok());
}

TEST_F(MailApiTest, AMessageToOnlySuppressedAddressesIsRefusedAndNotStored) {
  for (const char* a : {"ana@example.net", "audit@example.com"}) {
    ASSERT_TRUE(suppressions_.Add("alice", {a, v1::Suppression::UNSUBSCRIBE, "", clock_.Now()}).ok());
  }
  auto r = api_.SendEmail(alice_, Request());
  ASSERT_EQ(r.status().code(), absl::StatusCode::kFailedPrecondition);
  auto detail = r.status().GetPayload("type.googleapis.com/google.rpc.PreconditionFailure");
  ASSERT_TRUE(detail.has_value());
  google::rpc::PreconditionFailure failure;
  ASSERT_TRUE(failure.ParseFromString(std::string(*detail)));
  ASSERT_EQ(failure.violations_size(), 2);
  EXPECT_EQ(failure.violations(0).subject(), "ana@example.net");
  EXPECT_EQ(queue_.record_count(), 0u);
}

TEST_F(MailApiTest, AnUnreachableSuppressionListMeansNothingIsSent) {
  suppressions_.set_unavailable(true);
  EXPECT_EQ(api_.SendEmail(alice_, Request()).status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(queue_.record_count(), 0u);
}

}  // namespace
}  // namespace kirim
