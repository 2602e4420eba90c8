#include "client/kirim_client.h"

#include <openssl/rand.h>

#include <algorithm>
#include <random>
#include <utility>

#include "absl/strings/cord.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"
#include "grpcpp/support/channel_arguments.h"

namespace kirim::client {
namespace {

constexpr absl::string_view kTypeUrlPrefix = "type.googleapis.com/";

// The payload of detail type T on `status`, parsed into `out`.
template <typename T>
bool Detail(const absl::Status& status, T* out) {
  absl::optional<absl::Cord> payload =
      status.GetPayload(absl::StrCat(kTypeUrlPrefix, T::descriptor()->full_name()));
  return payload.has_value() && out->ParseFromString(std::string(*payload));
}

std::optional<absl::Duration> RetryDelay(const absl::Status& status) {
  google::rpc::RetryInfo info;
  if (!Detail(status, &info) || !info.has_retry_delay()) return std::nullopt;
  return absl::Seconds(info.retry_delay().seconds()) +
         absl::Nanoseconds(info.retry_delay().nanos());
}

// The one retry decision (see the header): UNAVAILABLE always; RESOURCE_EXHAUSTED only when the
// server said when; DEADLINE_EXCEEDED only when repeating the call is harmless.
bool Retryable(const absl::Status& status, bool idempotent) {
  switch (status.code()) {
    case absl::StatusCode::kUnavailable:
      return true;
    case absl::StatusCode::kResourceExhausted:
      return RetryDelay(status).has_value();
    case absl::StatusCode::kDeadlineExceeded:
      return idempotent;
    default:
      return false;
  }
}

uint64_t SecureRandom64() {
  uint64_t value = 0;
  if (RAND_bytes(reinterpret_cast<unsigned char*>(&value), sizeof value) != 1) {
    // OpenSSL could not seed: the OS source directly, still unpredictable enough for jitter and
    // keys that only need to be unique.
    std::random_device device;
    value = (static_cast<uint64_t>(device()) << 32) ^ device();
  }
  return value;
}

// Most one call may take: every attempt up to its deadline plus the largest backoffs.
absl::Duration DefaultBudget(const ClientOptions& o) {
  absl::Duration budget = o.deadline * o.max_attempts;
  absl::Duration base = o.initial_backoff;
  for (int retry = 1; retry < o.max_attempts; ++retry) {
    budget += std::min(base * (1 + o.jitter), o.max_backoff);
    base = std::min(base * 2, o.max_backoff);
  }
  return budget;
}

absl::Status Validate(const ClientOptions& o) {
  if (o.address.empty()) return absl::InvalidArgumentError("address: required");
  if (o.max_attempts < 1) return absl::InvalidArgumentError("max_attempts: must be at least 1");
  if (o.deadline <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError("deadline: must be positive");
  }
  if (o.initial_backoff < absl::ZeroDuration() || o.max_backoff < absl::ZeroDuration()) {
    return absl::InvalidArgumentError("initial_backoff, max_backoff: must not be negative");
  }
  if (!(o.jitter >= 0 && o.jitter <= 1)) {
    return absl::InvalidArgumentError("jitter: must be within [0, 1]");
  }
  if (o.total_timeout < absl::ZeroDuration()) {
    return absl::InvalidArgumentError("total_timeout: must not be negative");
  }
  if (o.cert_pem.empty() != o.key_pem.empty()) {
    return absl::InvalidArgumentError("cert_pem, key_pem: mTLS needs both");
  }
  if (!o.tls && (!o.ca_pem.empty() || !o.cert_pem.empty() || !o.server_name.empty())) {
    return absl::InvalidArgumentError(
        "tls: ca_pem, cert_pem, key_pem and server_name need tls = true");
  }
  return absl::OkStatus();
}

std::string ResourceName(absl::string_view collection, absl::string_view id_or_name) {
  return absl::StartsWith(id_or_name, collection) ? std::string(id_or_name)
                                                  : absl::StrCat(collection, id_or_name);
}

}  // namespace

ErrorDetails DetailsOf(const absl::Status& status) {
  ErrorDetails details;
  google::rpc::BadRequest bad;
  if (Detail(status, &bad)) {
    for (const auto& v : bad.field_violations()) {
      details.field_violations.push_back({v.field(), v.description()});
    }
  }
  details.retry_delay = RetryDelay(status);
  google::rpc::PreconditionFailure precondition;
  if (Detail(status, &precondition)) {
    for (const auto& v : precondition.violations()) {
      details.precondition_violations.push_back({v.type(), v.subject(), v.description()});
    }
  }
  google::rpc::QuotaFailure quota;
  if (Detail(status, &quota)) {
    for (const auto& v : quota.violations()) {
      details.quota_violations.push_back({v.subject(), v.description()});
    }
  }
  return details;
}

absl::Status FromGrpcStatus(const grpc::Status& grpc_status) {
  if (grpc_status.ok()) return absl::OkStatus();
  absl::Status status(static_cast<absl::StatusCode>(grpc_status.error_code()),
                      grpc_status.error_message());
  google::rpc::Status rpc;
  if (grpc_status.error_details().empty() || !rpc.ParseFromString(grpc_status.error_details())) {
    return status;
  }
  for (const auto& any : rpc.details()) {
    // Two details of one type merge, as protobuf does for concatenated encodings.
    absl::Cord payload = status.GetPayload(any.type_url()).value_or(absl::Cord());
    payload.Append(any.value());
    status.SetPayload(any.type_url(), std::move(payload));
  }
  return status;
}

absl::StatusOr<std::unique_ptr<KirimClient>> KirimClient::Connect(ClientOptions options) {
  if (absl::Status valid = Validate(options); !valid.ok()) return valid;
  std::shared_ptr<grpc::ChannelCredentials> credentials;
  grpc::ChannelArguments args;
  if (options.tls) {
    grpc::SslCredentialsOptions ssl;
    ssl.pem_root_certs = options.ca_pem;
    ssl.pem_cert_chain = options.cert_pem;
    ssl.pem_private_key = options.key_pem;
    credentials = grpc::SslCredentials(ssl);
    if (!options.server_name.empty()) args.SetSslTargetNameOverride(options.server_name);
  } else {
    credentials = grpc::InsecureChannelCredentials();
  }
  args.SetUserAgentPrefix("kirim-cpp-client");
  std::shared_ptr<grpc::Channel> channel =
      grpc::CreateCustomChannel(options.address, credentials, args);
  return std::make_unique<KirimClient>(v1::MailService::NewStub(channel),
                                       v1::AdminService::NewStub(channel),
                                       v1::DomainService::NewStub(channel), std::move(options));
}

KirimClient::KirimClient(std::unique_ptr<v1::MailService::StubInterface> mail,
                         std::unique_ptr<v1::AdminService::StubInterface> admin,
                         std::unique_ptr<v1::DomainService::StubInterface> domains,
                         ClientOptions options, std::function<void(absl::Duration)> sleep,
                         std::function<uint64_t()> random, std::function<absl::Time()> now)
    : mail_(std::move(mail)),
      admin_(std::move(admin)),
      domains_(std::move(domains)),
      options_(std::move(options)),
      sleep_(sleep ? std::move(sleep) : [](absl::Duration d) { absl::SleepFor(d); }),
      random_(random ? std::move(random) : SecureRandom64),
      now_(now ? std::move(now) : [] { return absl::Now(); }) {
  options_.max_attempts = std::max(options_.max_attempts, 1);
  options_.jitter = std::clamp(options_.jitter, 0.0, 1.0);
  budget_ = options_.total_timeout > absl::ZeroDuration() ? options_.total_timeout
                                                          : DefaultBudget(options_);
}

absl::Duration KirimClient::Backoff(int retry) {
  absl::Duration base = options_.initial_backoff;
  for (int i = 1; i < retry && base < options_.max_backoff; ++i) base *= 2;
  base = std::min(base, options_.max_backoff);
  // 53 random bits: a uniform double in [0, 1).
  const double unit = static_cast<double>(random_() >> 11) * 0x1.0p-53;
  const double factor = 1 + options_.jitter * (2 * unit - 1);
  return std::min(base * factor, options_.max_backoff);
}

std::string KirimClient::NewIdempotencyKey() {
  return absl::StrFormat("%016x%016x", random_(), random_());
}

absl::Status KirimClient::Invoke(bool idempotent,
                                 absl::FunctionRef<grpc::Status(grpc::ClientContext*)> attempt) {
  const absl::Time end = now_() + budget_;
  absl::Status last;
  for (int n = 1;; ++n) {
    const absl::Time start = now_();
    grpc::ClientContext context;
    context.set_deadline(absl::ToChronoTime(start + std::min(options_.deadline, end - start)));
    if (!options_.api_key.empty()) {
      context.AddMetadata("authorization", absl::StrCat("Bearer ", options_.api_key));
    }
    last = FromGrpcStatus(attempt(&context));
    if (last.ok() || n >= options_.max_attempts || !Retryable(last, idempotent)) return last;
    const absl::Duration wait = std::max(RetryDelay(last).value_or(absl::ZeroDuration()),
                                         Backoff(n));
    // No time left for another attempt after the wait: report the error now, not later.
    if (now_() + wait >= end) return last;
    sleep_(wait);
  }
}

template <typename Stub, typename Request, typename Response>
absl::StatusOr<Response> KirimClient::Call(
    Stub* stub, grpc::Status (Stub::*rpc)(grpc::ClientContext*, const Request&, Response*),
    const Request& request, bool idempotent) {
  if (stub == nullptr) {
    return absl::FailedPreconditionError("this client was built without a stub for that service");
  }
  Response response;
  absl::Status status = Invoke(idempotent, [&](grpc::ClientContext* context) {
    response.Clear();
    return (stub->*rpc)(context, request, &response);
  });
  if (!status.ok()) return status;
  return response;
}

absl::StatusOr<v1::SendEmailResponse> KirimClient::SendEmail(v1::SendEmailRequest request) {
  if (request.idempotency_key().empty()) request.set_idempotency_key(NewIdempotencyKey());
  return Call(mail_.get(), &v1::MailService::StubInterface::SendEmail, request,
              /*idempotent=*/true);
}

absl::StatusOr<v1::SendBatchResponse> KirimClient::SendBatch(v1::SendBatchRequest request) {
  if (request.idempotency_key().empty()) request.set_idempotency_key(NewIdempotencyKey());
  return Call(mail_.get(), &v1::MailService::StubInterface::SendBatch, request,
              /*idempotent=*/true);
}

absl::StatusOr<v1::PreviewEmailResponse> KirimClient::PreviewEmail(
    const v1::SendEmailRequest& request) {
  return Call(mail_.get(), &v1::MailService::StubInterface::PreviewEmail, request,
              /*idempotent=*/true);
}

absl::StatusOr<v1::Message> KirimClient::GetMessage(absl::string_view id_or_name) {
  v1::GetMessageRequest request;
  request.set_name(ResourceName("messages/", id_or_name));
  return Call(mail_.get(), &v1::MailService::StubInterface::GetMessage, request,
              /*idempotent=*/true);
}

absl::StatusOr<v1::Message> KirimClient::CancelMessage(absl::string_view id_or_name) {
  v1::CancelMessageRequest request;
  request.set_name(ResourceName("messages/", id_or_name));
  // A lost answer is not retried: the first attempt may have cancelled it.
  return Call(mail_.get(), &v1::MailService::StubInterface::CancelMessage, request,
              /*idempotent=*/false);
}

absl::StatusOr<v1::Quota> KirimClient::GetQuota() {
  return Call(admin_.get(), &v1::AdminService::StubInterface::GetQuota, v1::GetQuotaRequest(),
              /*idempotent=*/true);
}

absl::StatusOr<v1::Metrics> KirimClient::GetMetrics() {
  return Call(admin_.get(), &v1::AdminService::StubInterface::GetMetrics,
              v1::GetMetricsRequest(), /*idempotent=*/true);
}

absl::StatusOr<v1::Domain> KirimClient::GetDomain(absl::string_view domain_or_name) {
  v1::GetDomainRequest request;
  request.set_name(ResourceName("domains/", domain_or_name));
  return Call(domains_.get(), &v1::DomainService::StubInterface::GetDomain, request,
              /*idempotent=*/true);
}

}  // namespace kirim::client
