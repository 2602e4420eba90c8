#include "server/limits/limit_status.h"

#include "google/rpc/error_details.pb.h"
#include "gtest/gtest.h"

namespace kirim {
namespace {

template <typename Detail>
bool ParseDetail(const absl::Status& s, const char* type_url, Detail* out) {
  auto payload = s.GetPayload(type_url);
  return payload.has_value() && out->ParseFromString(std::string(*payload));
}

TEST(LimitExceededStatusTest, RateRefusalCarriesQuotaFailureAndRetryInfo) {
  LimitDecision d;
  d.violated = "rate";
  d.retry_after = absl::Milliseconds(1500);
  absl::Status s = LimitExceededStatus("acme", {.rate_per_second = 10, .burst = 5}, d);
  EXPECT_EQ(s.code(), absl::StatusCode::kResourceExhausted);

  google::rpc::QuotaFailure failure;
  ASSERT_TRUE(ParseDetail(s, kQuotaFailureTypeUrl, &failure));
  ASSERT_EQ(failure.violations_size(), 1);
  EXPECT_EQ(failure.violations(0).subject(), "tenant:acme");
  EXPECT_EQ(failure.violations(0).description(), "rate limit of 10 recipients/s with a burst of 5");

  google::rpc::RetryInfo retry;
  ASSERT_TRUE(ParseDetail(s, kRetryInfoTypeUrl, &retry));
  EXPECT_EQ(retry.retry_delay().seconds(), 1);
  EXPECT_EQ(retry.retry_delay().nanos(), 500000000);
}

TEST(LimitExceededStatusTest, DailyQuotaNamesTheQuota) {
  LimitDecision d;
  d.violated = "daily_quota";
  d.retry_after = absl::Hours(3);
  absl::Status s = LimitExceededStatus("acme", {.daily_quota = 100}, d);
  google::rpc::QuotaFailure failure;
  ASSERT_TRUE(ParseDetail(s, kQuotaFailureTypeUrl, &failure));
  EXPECT_EQ(failure.violations(0).description(), "daily quota of 100 recipients per UTC day");
  google::rpc::RetryInfo retry;
  ASSERT_TRUE(ParseDetail(s, kRetryInfoTypeUrl, &retry));
  EXPECT_EQ(retry.retry_delay().seconds(), 3 * 3600);
  EXPECT_EQ(retry.retry_delay().nanos(), 0);
}

TEST(LimitExceededStatusTest, NeverOmitsRetryInfo) {
  LimitDecision d;
  d.violated = "rate";
  d.never = true;
  absl::Status s = LimitExceededStatus("acme", {.rate_per_second = 1, .burst = 5}, d);
  EXPECT_EQ(s.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_NE(s.message().find("never"), absl::string_view::npos) << s;
  EXPECT_TRUE(s.GetPayload(kQuotaFailureTypeUrl).has_value());
  EXPECT_FALSE(s.GetPayload(kRetryInfoTypeUrl).has_value());
}

TEST(LimitExceededStatusTest, AllowedIsOk) {
  LimitDecision d;
  d.allowed = true;
  EXPECT_TRUE(LimitExceededStatus("acme", {}, d).ok());
}

}  // namespace
}  // namespace kirim
