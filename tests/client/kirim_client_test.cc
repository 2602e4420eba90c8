// KirimClient over gmock stubs and simulated time: which errors are retried and how long the
// client waits (recorded by the injected sleep, which moves a FakeClock), the idempotency key of
// a logical send, what each attempt's ClientContext carries, and the decoding of error details.
#include "client/kirim_client.h"

#include <algorithm>
#include <set>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"
#include "grpcpp/test/client_context_test_peer.h"
#include "gtest/gtest.h"
#include "kirim/v1/admin_service_mock.grpc.pb.h"
#include "kirim/v1/mail_service_mock.grpc.pb.h"
#include "tests/common/fake_clock.h"
#include "tests/common/fake_random.h"

namespace kirim::client {
namespace {

using ::testing::_;
using ::testing::ElementsAre;
using ::testing::Property;
using ::testing::Invoke;
using ::testing::MatchesRegex;
using ::testing::Pair;
using ::testing::Return;
using ::testing::StrictMock;

// A gRPC error as kirimd sends it: google.rpc.Status with `details` in the trailer.
grpc::Status Error(grpc::StatusCode code, const std::string& message,
                   const std::vector<const google::protobuf::Message*>& details = {}) {
  if (details.empty()) return grpc::Status(code, message);
  google::rpc::Status rpc;
  rpc.set_code(code);
  rpc.set_message(message);
  for (const auto* d : details) rpc.add_details()->PackFrom(*d);
  return grpc::Status(code, message, rpc.SerializeAsString());
}

google::rpc::RetryInfo RetryAfter(absl::Duration delay) {
  google::rpc::RetryInfo info;
  const int64_t seconds = absl::IDivDuration(delay, absl::Seconds(1), &delay);
  info.mutable_retry_delay()->set_seconds(seconds);
  info.mutable_retry_delay()->set_nanos(static_cast<int32_t>(absl::ToInt64Nanoseconds(delay)));
  return info;
}

grpc::Status Unavailable(const std::string& message = "message store unavailable") {
  return Error(grpc::StatusCode::UNAVAILABLE, message);
}

v1::SendEmailRequest Request() {
  v1::SendEmailRequest r;
  r.set_from("shop@example.com");
  r.add_to("ana@example.net");
  r.set_subject("Order");
  r.set_text_body("Thanks");
  return r;
}

class KirimClientTest : public ::testing::Test {
 protected:
  // A client over fresh strict mocks; sleeping only records the wait and advances the clock.
  std::unique_ptr<KirimClient> Client(ClientOptions options = {}) {
    auto mail = std::make_unique<StrictMock<v1::MockMailServiceStub>>();
    auto admin = std::make_unique<StrictMock<v1::MockAdminServiceStub>>();
    mail_ = mail.get();
    admin_ = admin.get();
    return std::make_unique<KirimClient>(
        std::move(mail), std::move(admin), /*domains=*/nullptr, std::move(options),
        [this](absl::Duration d) {
          sleeps_.push_back(d);
          clock_.Advance(d);
        },
        [this] { return random_ ? random_() : fake_random_.Uint64(); },
        [this] { return clock_.Now(); });
  }

  testing::FakeClock clock_;
  testing::FakeRandom fake_random_;
  std::function<uint64_t()> random_;  // overrides fake_random_ when set
  std::vector<absl::Duration> sleeps_;
  StrictMock<v1::MockMailServiceStub>* mail_ = nullptr;
  StrictMock<v1::MockAdminServiceStub>* admin_ = nullptr;
};

TEST_F(KirimClientTest, IdempotencyKeyIsMadeOnceAndSentOnEveryRetry) {
  auto client = Client();
  std::vector<std::string> keys;
  EXPECT_CALL(*mail_, SendEmail(_, _, _))
      .Times(3)
      .WillRepeatedly(Invoke([&](grpc::ClientContext*, const v1::SendEmailRequest& r,
                                 v1::SendEmailResponse* resp) {
        keys.push_back(r.idempotency_key());
        if (keys.size() < 3) return Unavailable();
        resp->set_id("01JD3Y8Q7W9K2M4N6P8R0T2V4X");
        return grpc::Status::OK;
      }));

  absl::StatusOr<v1::SendEmailResponse> sent = client->SendEmail(Request());

  ASSERT_TRUE(sent.ok()) << sent.status();
  EXPECT_EQ(sent->id(), "01JD3Y8Q7W9K2M4N6P8R0T2V4X");
  ASSERT_EQ(keys.size(), 3u);
  EXPECT_THAT(keys[0], MatchesRegex("[0-9a-f]{32}"));
  EXPECT_EQ(keys[1], keys[0]);
  EXPECT_EQ(keys[2], keys[0]);
  EXPECT_EQ(sleeps_.size(), 2u);
}

TEST_F(KirimClientTest, EachLogicalSendGetsItsOwnKey) {
  auto client = Client();
  std::vector<std::string> keys;
  EXPECT_CALL(*mail_, SendEmail(_, _, _))
      .Times(2)
      .WillRepeatedly(Invoke([&](grpc::ClientContext*, const v1::SendEmailRequest& r,
                                 v1::SendEmailResponse*) {
        keys.push_back(r.idempotency_key());
        return grpc::Status::OK;
      }));

  ASSERT_TRUE(client->SendEmail(Request()).ok());
  ASSERT_TRUE(client->SendEmail(Request()).ok());

  ASSERT_EQ(keys.size(), 2u);
  EXPECT_NE(keys[0], keys[1]);
}

TEST_F(KirimClientTest, CallersIdempotencyKeyIsKept) {
  auto client = Client();
  v1::SendEmailRequest request = Request();
  request.set_idempotency_key("order-42-receipt");
  EXPECT_CALL(*mail_, SendEmail(_, Property(&v1::SendEmailRequest::idempotency_key,
                                         "order-42-receipt"), _))
      .WillOnce(Return(Unavailable()))
      .WillOnce(Return(grpc::Status::OK));

  EXPECT_TRUE(client->SendEmail(request).ok());
}

TEST_F(KirimClientTest, SendBatchSetsOneBatchKeyForEveryAttempt) {
  auto client = Client();
  std::vector<std::string> keys;
  EXPECT_CALL(*mail_, SendBatch(_, _, _))
      .Times(2)
      .WillRepeatedly(Invoke([&](grpc::ClientContext*, const v1::SendBatchRequest& r,
                                 v1::SendBatchResponse* resp) {
        keys.push_back(r.idempotency_key());
        if (keys.size() == 1) return Unavailable();
        resp->set_accepted_count(1);
        return grpc::Status::OK;
      }));

  v1::SendBatchRequest batch;
  batch.set_from("shop@example.com");
  batch.add_recipients()->set_to("ana@example.net");
  absl::StatusOr<v1::SendBatchResponse> sent = client->SendBatch(batch);

  ASSERT_TRUE(sent.ok()) << sent.status();
  EXPECT_EQ(sent->accepted_count(), 1);
  ASSERT_EQ(keys.size(), 2u);
  EXPECT_THAT(keys[0], MatchesRegex("[0-9a-f]{32}"));
  EXPECT_EQ(keys[1], keys[0]);
}

TEST_F(KirimClientTest, RetriesUnavailableThenReturnsTheAnswer) {
  auto client = Client();
  EXPECT_CALL(*mail_, GetMessage(_, Property(&v1::GetMessageRequest::name, "messages/01ABC"), _))
      .WillOnce(Return(Unavailable()))
      .WillOnce(Invoke([](grpc::ClientContext*, const v1::GetMessageRequest&, v1::Message* m) {
        m->set_name("messages/01ABC");
        m->set_state(v1::DELIVERED);
        return grpc::Status::OK;
      }));

  absl::StatusOr<v1::Message> message = client->GetMessage("01ABC");

  ASSERT_TRUE(message.ok()) << message.status();
  EXPECT_EQ(message->state(), v1::DELIVERED);
  EXPECT_EQ(sleeps_.size(), 1u);
}

TEST_F(KirimClientTest, ResourceExhaustedWithRetryInfoWaitsAtLeastThatDelay) {
  auto client = Client();
  google::rpc::RetryInfo retry = RetryAfter(absl::Milliseconds(3500));
  google::rpc::QuotaFailure quota;
  quota.add_violations()->set_description("rate limit: 10 recipients per second");
  EXPECT_CALL(*mail_, SendEmail(_, _, _))
      .WillOnce(Return(Error(grpc::StatusCode::RESOURCE_EXHAUSTED, "rate limited",
                             {&retry, &quota})))
      .WillOnce(Return(grpc::Status::OK));

  EXPECT_TRUE(client->SendEmail(Request()).ok());

  ASSERT_EQ(sleeps_.size(), 1u);
  EXPECT_GE(sleeps_[0], absl::Milliseconds(3500));
}

TEST_F(KirimClientTest, RetryInfoLongerThanMaxBackoffIsStillHonoured) {
  ClientOptions options;
  options.max_backoff = absl::Seconds(1);
  auto client = Client(options);
  google::rpc::RetryInfo retry = RetryAfter(absl::Seconds(5));
  EXPECT_CALL(*mail_, GetMessage(_, _, _))
      .WillOnce(Return(Error(grpc::StatusCode::UNAVAILABLE, "draining", {&retry})))
      .WillOnce(Return(grpc::Status::OK));

  EXPECT_TRUE(client->GetMessage("01ABC").ok());

  EXPECT_THAT(sleeps_, ElementsAre(absl::Seconds(5)));
}

TEST_F(KirimClientTest, ResourceExhaustedWithoutRetryInfoIsNotRetried) {
  auto client = Client();
  google::rpc::QuotaFailure quota;
  auto* v = quota.add_violations();
  v->set_subject("tenants/acme");
  v->set_description("daily quota of 1000 recipients used up");
  EXPECT_CALL(*mail_, SendEmail(_, _, _))
      .WillOnce(Return(Error(grpc::StatusCode::RESOURCE_EXHAUSTED, "daily quota", {&quota})));

  absl::StatusOr<v1::SendEmailResponse> sent = client->SendEmail(Request());

  EXPECT_EQ(sent.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_TRUE(sleeps_.empty());
  ErrorDetails details = DetailsOf(sent.status());
  EXPECT_FALSE(details.retry_delay.has_value());
  ASSERT_EQ(details.quota_violations.size(), 1u);
  EXPECT_EQ(details.quota_violations[0].subject, "tenants/acme");
  EXPECT_EQ(details.quota_violations[0].description, "daily quota of 1000 recipients used up");
}

TEST_F(KirimClientTest, InvalidArgumentIsNotRetriedAndItsBadRequestIsDecoded) {
  auto client = Client();
  google::rpc::BadRequest bad;
  auto* from = bad.add_field_violations();
  from->set_field("from");
  from->set_description("required");
  auto* to = bad.add_field_violations();
  to->set_field("to[0]");
  to->set_description("not an RFC 5322 mailbox");
  EXPECT_CALL(*mail_, SendEmail(_, _, _))
      .WillOnce(Return(Error(grpc::StatusCode::INVALID_ARGUMENT, "from: required", {&bad})));

  absl::StatusOr<v1::SendEmailResponse> sent = client->SendEmail(Request());

  EXPECT_EQ(sent.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(sent.status().message(), "from: required");
  EXPECT_TRUE(sleeps_.empty());
  ErrorDetails details = DetailsOf(sent.status());
  ASSERT_EQ(details.field_violations.size(), 2u);
  EXPECT_EQ(details.field_violations[0].field, "from");
  EXPECT_EQ(details.field_violations[0].description, "required");
  EXPECT_EQ(details.field_violations[1].field, "to[0]");
  EXPECT_EQ(details.field_violations[1].description, "not an RFC 5322 mailbox");
}

TEST_F(KirimClientTest, FailedPreconditionIsNotRetriedAndItsViolationIsDecoded) {
  auto client = Client();
  google::rpc::PreconditionFailure failure;
  auto* v = failure.add_violations();
  v->set_type("DOMAIN_NOT_VERIFIED");
  v->set_subject("domains/example.com");
  v->set_description("publish the DKIM record");
  EXPECT_CALL(*mail_, SendEmail(_, _, _))
      .WillOnce(Return(Error(grpc::StatusCode::FAILED_PRECONDITION, "not verified", {&failure})));

  absl::StatusOr<v1::SendEmailResponse> sent = client->SendEmail(Request());

  EXPECT_EQ(sent.status().code(), absl::StatusCode::kFailedPrecondition);
  ErrorDetails details = DetailsOf(sent.status());
  ASSERT_EQ(details.precondition_violations.size(), 1u);
  EXPECT_EQ(details.precondition_violations[0].type, "DOMAIN_NOT_VERIFIED");
  EXPECT_EQ(details.precondition_violations[0].subject, "domains/example.com");
  EXPECT_EQ(details.precondition_violations[0].description, "publish the DKIM record");
}

TEST_F(KirimClientTest, GivesUpAfterMaxAttemptsWithTheLastError) {
  ClientOptions options;
  options.max_attempts = 3;
  auto client = Client(options);
  google::rpc::RetryInfo retry = RetryAfter(absl::Seconds(1));
  EXPECT_CALL(*mail_, SendEmail(_, _, _))
      .WillOnce(Return(Unavailable("down 1")))
      .WillOnce(Return(Unavailable("down 2")))
      .WillOnce(Return(Error(grpc::StatusCode::UNAVAILABLE, "down 3", {&retry})));

  absl::StatusOr<v1::SendEmailResponse> sent = client->SendEmail(Request());

  EXPECT_EQ(sent.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(sent.status().message(), "down 3");
  EXPECT_EQ(DetailsOf(sent.status()).retry_delay, absl::Seconds(1));
  EXPECT_EQ(sleeps_.size(), 2u) << "no wait after the last attempt";
}

TEST_F(KirimClientTest, BackoffGrowsAndIsJitteredWithinBounds) {
  ClientOptions options;
  options.max_attempts = 7;
  options.initial_backoff = absl::Milliseconds(100);
  options.max_backoff = absl::Seconds(1);
  options.jitter = 0.2;
  auto client = Client(options);
  EXPECT_CALL(*mail_, GetMessage(_, _, _)).Times(7).WillRepeatedly(Return(Unavailable()));

  EXPECT_FALSE(client->GetMessage("01ABC").ok());

  const std::vector<absl::Duration> bases = {
      absl::Milliseconds(100), absl::Milliseconds(200), absl::Milliseconds(400),
      absl::Milliseconds(800), absl::Seconds(1),        absl::Seconds(1)};
  ASSERT_EQ(sleeps_.size(), bases.size());
  std::set<double> factors;
  for (size_t i = 0; i < bases.size(); ++i) {
    EXPECT_GE(sleeps_[i], bases[i] * 0.8) << "retry " << i + 1;
    EXPECT_LE(sleeps_[i], std::min(bases[i] * 1.2, absl::Seconds(1))) << "retry " << i + 1;
    factors.insert(absl::FDivDuration(sleeps_[i], bases[i]));
  }
  EXPECT_GT(factors.size(), 1u) << "every wait had the same jitter";
}

TEST_F(KirimClientTest, JitterSpansBothEndsOfItsRange) {
  ClientOptions options;
  options.max_attempts = 3;
  options.initial_backoff = absl::Seconds(1);
  options.max_backoff = absl::Seconds(10);
  options.jitter = 0.5;
  std::vector<uint64_t> draws = {0, ~uint64_t{0}};
  random_ = [&] {
    uint64_t v = draws.front();
    draws.erase(draws.begin());
    return v;
  };
  auto client = Client(options);
  EXPECT_CALL(*mail_, GetMessage(_, _, _)).Times(3).WillRepeatedly(Return(Unavailable()));

  EXPECT_FALSE(client->GetMessage("01ABC").ok());

  ASSERT_EQ(sleeps_.size(), 2u);
  EXPECT_EQ(sleeps_[0], absl::Milliseconds(500));  // 1 s * (1 - 0.5)
  EXPECT_GT(sleeps_[1], absl::Milliseconds(2999));  // 2 s * (1 + 0.5), less one ulp
  EXPECT_LE(sleeps_[1], absl::Seconds(3));
}

TEST_F(KirimClientTest, DeadlineIsSetOnEachAttempt) {
  ClientOptions options;
  options.deadline = absl::Seconds(3);
  auto client = Client(options);
  std::vector<absl::Time> starts;
  std::vector<std::chrono::system_clock::time_point> deadlines;
  auto record = [&](grpc::ClientContext* ctx, const v1::SendEmailRequest&,
                    v1::SendEmailResponse*) {
    starts.push_back(clock_.Now());
    deadlines.push_back(ctx->deadline());
    return deadlines.size() < 3 ? Unavailable() : grpc::Status::OK;
  };
  EXPECT_CALL(*mail_, SendEmail(_, _, _)).Times(3).WillRepeatedly(Invoke(record));

  EXPECT_TRUE(client->SendEmail(Request()).ok());

  ASSERT_EQ(deadlines.size(), 3u);
  for (size_t i = 0; i < 3; ++i) {
    EXPECT_TRUE(deadlines[i] == absl::ToChronoTime(starts[i] + absl::Seconds(3))) << i;
  }
  EXPECT_LT(starts[0], starts[1]) << "the clock moves only by the waits";
}

TEST_F(KirimClientTest, TheTotalBudgetCutsTheLastAttemptsDeadline) {
  ClientOptions options;
  options.deadline = absl::Seconds(3);
  options.total_timeout = absl::Seconds(5);
  options.jitter = 0;
  auto client = Client(options);
  const absl::Time start = clock_.Now();
  std::vector<absl::Time> deadlines;
  // Each attempt times out: the simulated clock runs to its deadline.
  EXPECT_CALL(*mail_, GetMessage(_, _, _))
      .Times(2)
      .WillRepeatedly(Invoke([&](grpc::ClientContext* ctx, const v1::GetMessageRequest&,
                                 v1::Message*) {
        deadlines.push_back(absl::FromChrono(ctx->deadline()));
        clock_.Set(deadlines.back());
        return Error(grpc::StatusCode::DEADLINE_EXCEEDED, "Deadline Exceeded");
      }));

  absl::StatusOr<v1::Message> message = client->GetMessage("01ABC");

  EXPECT_EQ(message.status().code(), absl::StatusCode::kDeadlineExceeded);
  // 3 s, a 200 ms wait, then only 1.8 s of the 5 s budget are left.
  EXPECT_THAT(deadlines, ElementsAre(start + absl::Seconds(3), start + absl::Seconds(5)));
  EXPECT_THAT(sleeps_, ElementsAre(absl::Milliseconds(200)));
}

TEST_F(KirimClientTest, RetryDelayBeyondTheBudgetGivesUpAtOnce) {
  ClientOptions options;
  options.total_timeout = absl::Seconds(10);
  auto client = Client(options);
  google::rpc::RetryInfo retry = RetryAfter(absl::Minutes(1));
  EXPECT_CALL(*mail_, SendEmail(_, _, _))
      .WillOnce(Return(Error(grpc::StatusCode::RESOURCE_EXHAUSTED, "rate limited", {&retry})));

  absl::StatusOr<v1::SendEmailResponse> sent = client->SendEmail(Request());

  EXPECT_EQ(sent.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(DetailsOf(sent.status()).retry_delay, absl::Minutes(1));
  EXPECT_TRUE(sleeps_.empty()) << "slept although no attempt could follow";
}

TEST_F(KirimClientTest, DeadlineExceededIsRetriedForSendsButNotForCancel) {
  auto client = Client();
  std::vector<std::string> keys;
  EXPECT_CALL(*mail_, SendEmail(_, _, _))
      .Times(2)
      .WillRepeatedly(Invoke([&](grpc::ClientContext*, const v1::SendEmailRequest& r,
                                 v1::SendEmailResponse* resp) {
        keys.push_back(r.idempotency_key());
        if (keys.size() == 1) return Error(grpc::StatusCode::DEADLINE_EXCEEDED, "slow");
        resp->set_deduplicated(true);  // the first attempt had got through
        return grpc::Status::OK;
      }));
  EXPECT_CALL(*mail_, CancelMessage(_, Property(&v1::CancelMessageRequest::name, "messages/01ABC"),
                                    _))
      .WillOnce(Return(Error(grpc::StatusCode::DEADLINE_EXCEEDED, "slow")));

  absl::StatusOr<v1::SendEmailResponse> sent = client->SendEmail(Request());
  absl::StatusOr<v1::Message> cancelled = client->CancelMessage("messages/01ABC");

  ASSERT_TRUE(sent.ok()) << sent.status();
  EXPECT_TRUE(sent->deduplicated());
  ASSERT_EQ(keys.size(), 2u);
  EXPECT_EQ(keys[0], keys[1]);
  EXPECT_EQ(cancelled.status().code(), absl::StatusCode::kDeadlineExceeded);
}

TEST_F(KirimClientTest, CancelIsRetriedOnUnavailable) {
  auto client = Client();
  EXPECT_CALL(*mail_, CancelMessage(_, _, _))
      .WillOnce(Return(Unavailable()))
      .WillOnce(Return(grpc::Status::OK));

  EXPECT_TRUE(client->CancelMessage("01ABC").ok());
}

TEST_F(KirimClientTest, AuthorizationMetadataIsOnEveryAttempt) {
  ClientOptions options;
  options.api_key = "kirim_test_secret";
  auto client = Client(options);
  std::vector<std::multimap<std::string, std::string>> sent;
  EXPECT_CALL(*admin_, GetQuota(_, _, _))
      .Times(2)
      .WillRepeatedly(Invoke([&](grpc::ClientContext* ctx, const v1::GetQuotaRequest&,
                                 v1::Quota* quota) {
        sent.push_back(grpc::testing::ClientContextTestPeer(ctx).GetSendInitialMetadata());
        quota->set_daily_limit(1000);
        return sent.size() == 1 ? Unavailable() : grpc::Status::OK;
      }));

  absl::StatusOr<v1::Quota> quota = client->GetQuota();

  ASSERT_TRUE(quota.ok()) << quota.status();
  EXPECT_EQ(quota->daily_limit(), 1000);
  ASSERT_EQ(sent.size(), 2u);
  for (const auto& metadata : sent) {
    EXPECT_THAT(metadata, ElementsAre(Pair("authorization", "Bearer kirim_test_secret")));
  }
}

TEST_F(KirimClientTest, NoApiKeyNoAuthorization) {
  auto client = Client();
  EXPECT_CALL(*admin_, GetMetrics(_, _, _))
      .WillOnce(Invoke([](grpc::ClientContext* ctx, const v1::GetMetricsRequest&, v1::Metrics*) {
        EXPECT_TRUE(grpc::testing::ClientContextTestPeer(ctx).GetSendInitialMetadata().empty());
        return grpc::Status::OK;
      }));

  EXPECT_TRUE(client->GetMetrics().ok());
}

TEST_F(KirimClientTest, MissingStubIsFailedPrecondition) {
  auto client = Client();

  EXPECT_EQ(client->GetDomain("example.com").status().code(),
            absl::StatusCode::kFailedPrecondition);
}

TEST(FromGrpcStatusTest, KeepsCodeMessageAndEveryDetail) {
  google::rpc::BadRequest first;
  first.add_field_violations()->set_field("from");
  google::rpc::BadRequest second;
  second.add_field_violations()->set_field("to");
  google::rpc::RetryInfo retry = RetryAfter(absl::Milliseconds(1500));

  absl::Status status = FromGrpcStatus(
      Error(grpc::StatusCode::INVALID_ARGUMENT, "bad", {&first, &retry, &second}));

  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(status.message(), "bad");
  ErrorDetails details = DetailsOf(status);
  ASSERT_EQ(details.field_violations.size(), 2u);
  EXPECT_EQ(details.field_violations[0].field, "from");
  EXPECT_EQ(details.field_violations[1].field, "to");
  EXPECT_EQ(details.retry_delay, absl::Milliseconds(1500));
}

TEST(FromGrpcStatusTest, UnreadableDetailsLeaveCodeAndMessage) {
  absl::Status status =
      FromGrpcStatus(grpc::Status(grpc::StatusCode::INTERNAL, "oops", "\xff not a proto"));

  EXPECT_EQ(status.code(), absl::StatusCode::kInternal);
  EXPECT_EQ(status.message(), "oops");
  ErrorDetails details = DetailsOf(status);
  EXPECT_TRUE(details.field_violations.empty());
  EXPECT_FALSE(details.retry_delay.has_value());
  EXPECT_TRUE(FromGrpcStatus(grpc::Status::OK).ok());
}

TEST(ConnectTest, RefusesInconsistentOptions) {
  ClientOptions no_attempts;
  no_attempts.max_attempts = 0;
  ClientOptions half_mtls;
  half_mtls.tls = true;
  half_mtls.cert_pem = "-----BEGIN CERTIFICATE-----";
  ClientOptions ca_without_tls;
  ca_without_tls.ca_pem = "-----BEGIN CERTIFICATE-----";
  ClientOptions wild_jitter;
  wild_jitter.jitter = 1.5;

  for (const ClientOptions& options : {no_attempts, half_mtls, ca_without_tls, wild_jitter}) {
    EXPECT_EQ(KirimClient::Connect(options).status().code(), absl::StatusCode::kInvalidArgument);
  }
}

TEST(ConnectTest, DoesNotTouchTheNetwork) {
  ClientOptions options;
  options.address = "127.0.0.1:1";  // nothing listens there

  absl::StatusOr<std::unique_ptr<KirimClient>> client = KirimClient::Connect(options);

  ASSERT_TRUE(client.ok()) << client.status();
  EXPECT_EQ((*client)->options().address, "127.0.0.1:1");
}

}  // namespace
}  // namespace kirim::client
