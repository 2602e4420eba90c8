// Typed error details on absl::Status. Inside Kirim everything is absl::Status; richer details
// (which fields were bad, when to retry, which quota was hit) ride along as payloads keyed by
// their google.rpc type URL. The API edge (server/api/api_status.h) turns them into the standard
// `grpc-status-details-bin` trailer that every gRPC client library decodes.
//
//   FieldViolations v;
//   if (req.from().empty()) v.Add("from", "required");
//   if (!v.empty()) return v.ToStatus();      // INVALID_ARGUMENT + google.rpc.BadRequest
//   return WithRetryDelay(absl::UnavailableError("store down"), absl::Seconds(1));
#ifndef KIRIM_SERVER_COMMON_STATUS_DETAILS_H_
#define KIRIM_SERVER_COMMON_STATUS_DETAILS_H_

#include <string>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "google/rpc/error_details.pb.h"

namespace kirim {

// Collects every bad field of one request, so a caller fixes them all in one round.
class FieldViolations {
 public:
  void Add(std::string field, std::string description);
  bool empty() const { return request_.field_violations_size() == 0; }
  // INVALID_ARGUMENT whose message names the first field and which carries every violation as
  // google.rpc.BadRequest.
  absl::Status ToStatus() const;

 private:
  google::rpc::BadRequest request_;
};

// INVALID_ARGUMENT for a single field, with BadRequest details.
absl::Status InvalidField(std::string field, std::string description);

// Attaches google.rpc.RetryInfo (for UNAVAILABLE or RESOURCE_EXHAUSTED).
absl::Status WithRetryDelay(absl::Status status, absl::Duration delay);

// Attaches google.rpc.QuotaFailure with one violation.
absl::Status WithQuotaFailure(absl::Status status, std::string subject, std::string description);

// Attaches google.rpc.PreconditionFailure with one violation (for FAILED_PRECONDITION).
absl::Status WithPreconditionFailure(absl::Status status, std::string type, std::string subject,
                                     std::string description);

// google.rpc.ErrorInfo: a machine-readable reason, for refusals that share a code but call for
// different handling (domain kErrorDomain).
inline constexpr char kErrorDomain[] = "kirim";
// RESOURCE_EXHAUSTED because the message store (Redis) is out of memory: it reached maxmemory
// (policy noeviction) and refuses writes. Not UNAVAILABLE: Redis answers, it is full.
inline constexpr char kStoreOutOfMemory[] = "STORE_OUT_OF_MEMORY";

// Attaches google.rpc.ErrorInfo with `reason` and domain kErrorDomain.
absl::Status WithErrorReason(absl::Status status, std::string reason);
// The google.rpc.ErrorInfo reason `status` carries, "" if none.
std::string ErrorReason(const absl::Status& status);

// Attaches any google.rpc detail message under its type URL.
void SetStatusDetail(absl::Status* status, const google::protobuf::Message& detail);

}  // namespace kirim

#endif  // KIRIM_SERVER_COMMON_STATUS_DETAILS_H_
