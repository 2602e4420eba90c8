// Tests of RejectReason (server/api/api_status.h): the metrics label of a refused SendEmail,
// built from statuses made the way production makes them (status_details.h helpers,
// LimitExceededStatus for the rate limit and the daily quota). Every label is one of
// kRejectReasons, so the rejected counter never grows an unexpected series.
#include <algorithm>
#include <iterator>
#include <string>

#include "absl/status/status.h"
#include "gtest/gtest.h"
#include "server/api/api_status.h"
#include "server/common/status_details.h"
#include "server/limits/limit_status.h"
#include "server/metrics/metrics.h"

namespace kirim {
namespace {

// RejectReason(status), checked to be a declared label.
std::string Reason(const absl::Status& status) {
  const absl::string_view r = RejectReason(status);
  EXPECT_NE(std::find(std::begin(kRejectReasons), std::end(kRejectReasons), r),
            std::end(kRejectReasons))
      << r << " is not in kRejectReasons";
  return std::string(r);
}

TenantLimits Limits() {
  TenantLimits l;
  l.rate_per_second = 10;
  l.burst = 20;
  l.daily_quota = 1000;
  return l;
}

LimitDecision Refused(const char* violated, bool never = false) {
  LimitDecision d;
  d.allowed = false;
  d.violated = violated;
  d.never = never;
  d.retry_after = never ? absl::ZeroDuration() : absl::Seconds(3);
  return d;
}

TEST(RejectReasonTest, InvalidRequest) {
  FieldViolations bad;
  bad.Add("from", "required");
  EXPECT_EQ(Reason(bad.ToStatus()), "invalid_argument");
  EXPECT_EQ(Reason(InvalidField("to", "too many")), "invalid_argument");
  EXPECT_EQ(Reason(absl::InvalidArgumentError("bare")), "invalid_argument");
}

TEST(RejectReasonTest, AuthenticationAndPermission) {
  EXPECT_EQ(Reason(absl::UnauthenticatedError("no key")), "unauthenticated");
  EXPECT_EQ(Reason(absl::PermissionDeniedError("scope")), "permission_denied");
}

TEST(RejectReasonTest, IdempotencyConflictAndOutage) {
  EXPECT_EQ(Reason(absl::AlreadyExistsError("key reused")), "already_exists");
  EXPECT_EQ(Reason(absl::UnavailableError("redis down")), "unavailable");
  EXPECT_EQ(Reason(WithRetryDelay(absl::UnavailableError("redis down"), absl::Seconds(1))),
            "unavailable");
}

TEST(RejectReasonTest, RateLimitIsRateLimited) {
  const absl::Status s = LimitExceededStatus("acme", Limits(), Refused("rate"));
  ASSERT_EQ(s.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(Reason(s), "rate_limited");
  // A message larger than the burst: no RetryInfo, still the rate limit.
  EXPECT_EQ(Reason(LimitExceededStatus("acme", Limits(), Refused("rate", /*never=*/true))),
            "rate_limited");
}

TEST(RejectReasonTest, DailyQuotaIsQuotaExceeded) {
  const absl::Status s = LimitExceededStatus("acme", Limits(), Refused("daily_quota"));
  ASSERT_EQ(s.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(Reason(s), "quota_exceeded");
  EXPECT_EQ(Reason(LimitExceededStatus("acme", Limits(), Refused("daily_quota", /*never=*/true))),
            "quota_exceeded");
}

TEST(RejectReasonTest, ResourceExhaustedWithoutQuotaFailureIsAFullQueue) {
  // What RedisMessageQueue returns at max_depth: no QuotaFailure attached.
  EXPECT_EQ(Reason(absl::ResourceExhaustedError("queue full: 10 messages waiting on shard 0")),
            "queue_full");
  // RetryInfo alone does not make it a limit.
  EXPECT_EQ(Reason(WithRetryDelay(absl::ResourceExhaustedError("queue full"), absl::Seconds(5))),
            "queue_full");
}

TEST(RejectReasonTest, RedisOutOfMemoryIsNotAFullQueue) {
  EXPECT_EQ(Reason(WithErrorReason(WithRetryDelay(absl::ResourceExhaustedError("out of memory"),
                                                  absl::Seconds(30)),
                                   kStoreOutOfMemory)),
            "store_out_of_memory");
}

TEST(RejectReasonTest, QuotaFailureNotNamingTheDailyQuotaIsRateLimited) {
  EXPECT_EQ(Reason(WithQuotaFailure(absl::ResourceExhaustedError("x"), "tenant:acme",
                                    "rate limit of 1 recipients/s with a burst of 1")),
            "rate_limited");
  EXPECT_EQ(Reason(WithQuotaFailure(absl::ResourceExhaustedError("x"), "tenant:acme",
                                    "daily quota of 5 recipients per UTC day")),
            "quota_exceeded");
}

TEST(RejectReasonTest, UnverifiedSenderDomainIsSenderNotVerified) {
  EXPECT_EQ(Reason(WithPreconditionFailure(absl::FailedPreconditionError("not verified"),
                                           "DOMAIN_NOT_VERIFIED", "domains/example.com",
                                           "SPF record missing")),
            "sender_not_verified");
}

TEST(RejectReasonTest, OtherFailedPreconditionsAreSuppressions) {
  // MailApi attaches one SUPPRESSED violation per refused recipient.
  EXPECT_EQ(Reason(WithPreconditionFailure(absl::FailedPreconditionError("all suppressed"),
                                           "SUPPRESSED", "bob@example.com", "HARD_BOUNCE")),
            "suppressed");
  EXPECT_EQ(Reason(absl::FailedPreconditionError("every recipient is suppressed")),
            "suppressed");
}

TEST(RejectReasonTest, AnythingElseIsOther) {
  EXPECT_EQ(Reason(absl::InternalError("bug")), "other");
  EXPECT_EQ(Reason(absl::DeadlineExceededError("slow")), "other");
  EXPECT_EQ(Reason(absl::NotFoundError("template")), "other");
  EXPECT_EQ(Reason(absl::UnknownError("?")), "other");
}

}  // namespace
}  // namespace kirim
