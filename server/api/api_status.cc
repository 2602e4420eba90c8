#include "server/api/api_status.h"

#include "absl/strings/match.h"
#include "google/rpc/error_details.pb.h"

#include "google/protobuf/any.pb.h"
#include "google/rpc/status.pb.h"

namespace kirim {

grpc::Status ToGrpcStatus(const absl::Status& input) {
  if (input.ok()) return grpc::Status::OK;
  absl::Status status = input;
  // UNAVAILABLE always means "retry": say when, so every client backs off the same way.
  if (status.code() == absl::StatusCode::kUnavailable &&
      !status.GetPayload("type.googleapis.com/google.rpc.RetryInfo").has_value()) {
    status = WithRetryDelay(std::move(status), absl::Seconds(1));
  }
  const auto code = static_cast<grpc::StatusCode>(status.code());
  const std::string message(status.message());
  google::rpc::Status rpc;
  status.ForEachPayload([&](absl::string_view type_url, const absl::Cord& payload) {
    auto* any = rpc.add_details();
    any->set_type_url(std::string(type_url));
    any->set_value(std::string(payload));
  });
  if (rpc.details_size() == 0) return grpc::Status(code, message);
  rpc.set_code(static_cast<int>(status.code()));
  rpc.set_message(message);
  return grpc::Status(code, message, rpc.SerializeAsString());
}

absl::string_view RejectReason(const absl::Status& status) {
  switch (status.code()) {
    case absl::StatusCode::kInvalidArgument: return "invalid_argument";
    case absl::StatusCode::kUnauthenticated: return "unauthenticated";
    case absl::StatusCode::kPermissionDenied: return "permission_denied";
    case absl::StatusCode::kAlreadyExists: return "already_exists";
    case absl::StatusCode::kUnavailable: return "unavailable";
    case absl::StatusCode::kResourceExhausted: {
      if (ErrorReason(status) == kStoreOutOfMemory) return "store_out_of_memory";
      absl::optional<absl::Cord> quota =
          status.GetPayload("type.googleapis.com/google.rpc.QuotaFailure");
      if (!quota.has_value()) return "queue_full";
      google::rpc::QuotaFailure failure;
      if (failure.ParseFromString(std::string(*quota)) && failure.violations_size() > 0 &&
          absl::StartsWith(failure.violations(0).description(), "daily quota")) {
        return "quota_exceeded";
      }
      return "rate_limited";
    }
    case absl::StatusCode::kFailedPrecondition: {
      absl::optional<absl::Cord> pre =
          status.GetPayload("type.googleapis.com/google.rpc.PreconditionFailure");
      google::rpc::PreconditionFailure failure;
      if (pre.has_value() && failure.ParseFromString(std::string(*pre)) &&
          failure.violations_size() > 0 &&
          failure.violations(0).type() == "DOMAIN_NOT_VERIFIED") {
        return "sender_not_verified";
      }
      return "suppressed";
    }
    default: return "other";
  }
}

}  // namespace kirim
