#include "server/api/api_status.h"

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

}  // namespace kirim
