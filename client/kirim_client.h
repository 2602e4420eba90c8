// KirimClient: Kirim's C++ client library, a small layer over the generated kirim.v1 stubs that
// adds what every caller would otherwise write by hand: a deadline on each attempt, the API key,
// retries of transient failures with jittered exponential backoff that honour the server's
// google.rpc.RetryInfo, and an idempotency key per logical send so a retry never sends twice.
//
//   kirim::client::ClientOptions options;
//   options.address = "kirim.internal:50051";
//   if (const char* key = std::getenv("KIRIM_API_KEY")) options.api_key = key;
//   auto client = kirim::client::KirimClient::Connect(options);
//   if (!client.ok()) return ...;
//   kirim::v1::SendEmailRequest request;
//   request.set_from("shop@example.com");
//   request.add_to("ana@example.net");
//   request.set_subject("Hello");
//   request.set_text_body("Hi Ana");
//   absl::StatusOr<kirim::v1::SendEmailResponse> sent = (*client)->SendEmail(request);
//   if (!sent.ok()) {
//     for (const auto& v : kirim::client::DetailsOf(sent.status()).field_violations) ...
//   }
//
// Retries. An attempt that fails with one of these codes is tried again, up to max_attempts:
//   UNAVAILABLE          always (Kirim stored nothing; kirimd attaches RetryInfo).
//   RESOURCE_EXHAUSTED   only when the error carries google.rpc.RetryInfo (a rate limit, a full
//                        queue); without it (the daily quota, a message over gRPC's size limit)
//                        waiting would not help, so the error is returned at once.
//   DEADLINE_EXCEEDED    only for calls that are safe to repeat: reads, PreviewEmail, and sends
//                        (which always carry an idempotency key).
// Every other code (INVALID_ARGUMENT, FAILED_PRECONDITION, ALREADY_EXISTS, ...) is the caller's to
// handle and is returned at once. Before retry n (n = 1, 2, ...) the client waits
//   max(RetryInfo delay, min(max_backoff, initial_backoff * 2^(n-1) * (1 ± jitter)))
// i.e. the server's delay is a floor that is never shortened, even beyond max_backoff. When that
// wait would end past the total budget (ClientOptions::total_timeout) the client gives up at once
// with the last error instead of sleeping; each attempt's deadline is also cut to what is left of
// the budget. Giving up returns the last attempt's error unchanged.
//
// Idempotency. SendEmail and SendBatch set request.idempotency_key to a random 128-bit hex string
// (unless the caller set one) once per call, before the first attempt, so every retry carries
// the same key and kirimd answers a repeat with the original message id (deduplicated = true)
// instead of queueing it twice. Callers that may themselves repeat a send across processes
// (a job runner) should set their own stable key, e.g. "order-42-receipt".
//
// Errors are absl::Status with the gRPC code and message; the google.rpc details from the
// `grpc-status-details-bin` trailer ride along as payloads keyed by their type URL (as inside
// kirimd, server/common/status_details.h), and DetailsOf() decodes the common ones.
//
// Thread-safety: a KirimClient may be shared by threads, provided the injected seams are
// thread-safe (the defaults are).
#ifndef KIRIM_CLIENT_KIRIM_CLIENT_H_
#define KIRIM_CLIENT_KIRIM_CLIENT_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "grpcpp/client_context.h"
#include "grpcpp/support/status.h"
#include "kirim/v1/admin_service.grpc.pb.h"
#include "kirim/v1/domain_service.grpc.pb.h"
#include "kirim/v1/mail_service.grpc.pb.h"

namespace kirim::client {

struct ClientOptions {
  // host:port of kirimd's gRPC listener (any gRPC target, e.g. "dns:///kirim.internal:50051").
  std::string address = "127.0.0.1:50051";
  // Sent as "authorization: Bearer <key>" on every call; empty sends none. Never logged.
  std::string api_key;
  // Connect with TLS. ca_pem: PEM roots to verify the server (empty: gRPC's default roots).
  bool tls = false;
  std::string ca_pem;
  // mTLS: the client's certificate chain and private key, PEM (both or neither).
  std::string cert_pem;
  std::string key_pem;
  // TLS: the name the server's certificate must carry (empty: the host of `address`).
  std::string server_name;
  // The deadline of each attempt.
  absl::Duration deadline = absl::Seconds(10);
  // Attempts per call, the first included (1 = no retries).
  int max_attempts = 5;
  // The wait before the first retry; it doubles with each retry, up to max_backoff.
  absl::Duration initial_backoff = absl::Milliseconds(200);
  absl::Duration max_backoff = absl::Seconds(10);
  // Each backoff is scaled by a uniform factor in [1 - jitter, 1 + jitter], so clients that
  // failed together do not retry together. In [0, 1].
  double jitter = 0.2;
  // Total time budget of one call across its attempts and waits (0: max_attempts * deadline +
  // the largest possible backoffs).
  absl::Duration total_timeout = absl::ZeroDuration();
};

// The google.rpc error details of a failed call, decoded (google/rpc/error_details.proto).
struct ErrorDetails {
  struct FieldViolation {
    std::string field;  // a field path, e.g. "to[0]"
    std::string description;
  };
  struct PreconditionViolation {
    std::string type;  // e.g. "DOMAIN_NOT_VERIFIED"
    std::string subject;
    std::string description;
  };
  struct QuotaViolation {
    std::string subject;
    std::string description;
  };

  // google.rpc.BadRequest: INVALID_ARGUMENT (every bad field at once), ALREADY_EXISTS (a reused
  // idempotency_key).
  std::vector<FieldViolation> field_violations;
  // google.rpc.RetryInfo: how long the server asks to wait; absent when it did not say.
  std::optional<absl::Duration> retry_delay;
  // google.rpc.PreconditionFailure: FAILED_PRECONDITION (an unverified sending domain).
  std::vector<PreconditionViolation> precondition_violations;
  // google.rpc.QuotaFailure: RESOURCE_EXHAUSTED over a rate limit or the daily quota.
  std::vector<QuotaViolation> quota_violations;
};

// The details `status` carries (empty for OK and for errors without details).
ErrorDetails DetailsOf(const absl::Status& status);

// A gRPC status as absl::Status: the same code and message, each google.rpc.Status detail from
// the trailer attached as a payload under its type URL. For callers that mix in raw stubs.
absl::Status FromGrpcStatus(const grpc::Status& status);

class KirimClient {
 public:
  // A client over one channel to options.address. Never blocks on the network: an unreachable
  // server shows up as UNAVAILABLE from the first call (after its retries). INVALID_ARGUMENT
  // for inconsistent options.
  static absl::StatusOr<std::unique_ptr<KirimClient>> Connect(ClientOptions options);

  // Over any stubs: tests pass mocks or fakes. A null admin or domain stub makes those calls
  // FAILED_PRECONDITION. Seams (each defaulted when empty): `sleep` waits between attempts,
  // `random` returns uniform 64-bit values (jitter, idempotency keys; default OpenSSL
  // RAND_bytes), `now` is the wall clock used for deadlines and the budget (with a real channel
  // it must be the real clock).
  KirimClient(std::unique_ptr<v1::MailService::StubInterface> mail,
              std::unique_ptr<v1::AdminService::StubInterface> admin,
              std::unique_ptr<v1::DomainService::StubInterface> domains, ClientOptions options,
              std::function<void(absl::Duration)> sleep = {},
              std::function<uint64_t()> random = {}, std::function<absl::Time()> now = {});

  KirimClient(const KirimClient&) = delete;
  KirimClient& operator=(const KirimClient&) = delete;

  // Queues one message. Sets request.idempotency_key (unless set) once, then retries with it.
  absl::StatusOr<v1::SendEmailResponse> SendEmail(v1::SendEmailRequest request);
  // One template, many recipients (docs/bulk.md). Same key rule, for the batch key: kirimd
  // derives each recipient's key from it, so a retried batch never doubles.
  absl::StatusOr<v1::SendBatchResponse> SendBatch(v1::SendBatchRequest request);
  // What SendEmail would send, queueing nothing.
  absl::StatusOr<v1::PreviewEmailResponse> PreviewEmail(const v1::SendEmailRequest& request);
  // "messages/{id}" or the bare id.
  absl::StatusOr<v1::Message> GetMessage(absl::string_view id_or_name);
  // Cancels a message not yet sent; FAILED_PRECONDITION once it is sending or final. A lost
  // answer is not retried (DEADLINE_EXCEEDED is returned): the cancel may have happened.
  absl::StatusOr<v1::Message> CancelMessage(absl::string_view id_or_name);
  // The caller's sending limits and what is left of today's quota.
  absl::StatusOr<v1::Quota> GetQuota();
  // The caller's tenant's figures (READ scope; operator ADMIN keys see every tenant).
  absl::StatusOr<v1::Metrics> GetMetrics();
  // "domains/{domain}" or the bare domain.
  absl::StatusOr<v1::Domain> GetDomain(absl::string_view domain_or_name);

  const ClientOptions& options() const { return options_; }

 private:
  // One logical call: attempts `attempt` (with a fresh ClientContext carrying the deadline and
  // the API key) until it succeeds, fails for good, or the attempts or budget run out.
  // `idempotent`: DEADLINE_EXCEEDED may be retried.
  absl::Status Invoke(bool idempotent,
                      absl::FunctionRef<grpc::Status(grpc::ClientContext*)> attempt);
  // Invoke of one unary stub method; FAILED_PRECONDITION when `stub` is null.
  template <typename Stub, typename Request, typename Response>
  absl::StatusOr<Response> Call(Stub* stub,
                                grpc::Status (Stub::*rpc)(grpc::ClientContext*, const Request&,
                                                          Response*),
                                const Request& request, bool idempotent);
  // The jittered exponential backoff before retry `retry` (1-based).
  absl::Duration Backoff(int retry);
  std::string NewIdempotencyKey();

  std::unique_ptr<v1::MailService::StubInterface> mail_;
  std::unique_ptr<v1::AdminService::StubInterface> admin_;
  std::unique_ptr<v1::DomainService::StubInterface> domains_;
  ClientOptions options_;
  absl::Duration budget_;
  std::function<void(absl::Duration)> sleep_;
  std::function<uint64_t()> random_;
  std::function<absl::Time()> now_;
};

}  // namespace kirim::client

#endif  // KIRIM_CLIENT_KIRIM_CLIENT_H_
