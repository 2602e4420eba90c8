// Errors at the API edge. Inside Kirim everything is absl::Status; richer details (which
// fields were bad, when to retry) ride along as payloads keyed by their google.rpc type URL,
// and ToGrpcStatus turns them into the standard `grpc-status-details-bin` trailer that every
// gRPC client library decodes (google.rpc.Status with google.protobuf.Any details).
//
//   FieldViolations v;
//   if (req.from().empty()) v.Add("from", "required");
//   if (!v.empty()) return v.ToStatus();           // INVALID_ARGUMENT + google.rpc.BadRequest
//   ...
//   reactor->Finish(ToGrpcStatus(status));          // the one place codes cross to gRPC
#ifndef KIRIM_SERVER_API_API_STATUS_H_
#define KIRIM_SERVER_API_API_STATUS_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "google/rpc/error_details.pb.h"
#include "grpcpp/support/status.h"

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

// The single mapping from absl::Status to grpc::Status, details included. Codes map 1:1 (both
// follow google.rpc.Code).
grpc::Status ToGrpcStatus(const absl::Status& status);

}  // namespace kirim

#endif  // KIRIM_SERVER_API_API_STATUS_H_
