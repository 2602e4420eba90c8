#include "server/api/mail_api.h"

#include <cstdio>

#include "google/rpc/error_details.pb.h"
#include "gtest/gtest.h"
#include "tests/common/fake_clock.h"
#include "tests/common/fake_random.h"
#include "tests/limits/fake_send_limiter.h"
#include "tests/queue/fake_message_queue.h"

namespace kirim {
namespace {

class MailApiTest : public ::testing::Test {
 protected:
  MailApiTest()
      : null_(std::fopen("/dev/null", "w")),
        logger_(clock_, LogLevel::kDebug, null_),
        limiter_(clock_),
        api_(queue_, limiter_, limits_, clock_, random_, logger_, MailApiOptions{}) {}
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
  testing::FakeMessageQueue queue_;
  FILE* null_;
  Logger logger_;
  testing::FakeSendLimiter limiter_;
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
  EXPECT_TRUE(refused.status().GetPayload("type.googleapis.com/google.rpc.QuotaFailure").has_value());
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
  EXPECT_EQ(api_.SendEmail(alice_, Request()).status().code(), absl::StatusCode::kResourceExhausted);
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
  EXPECT_EQ(api_.GetMessage(Principal{"mallory"}, get).status().code(), absl::StatusCode::kNotFound);
  get.set_name("messages/not-an-id");
  EXPECT_EQ(api_.GetMessage(alice_, get).status().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace kirim
