#include "server/api/api_status.h"

#include "absl/strings/cord.h"
#include "absl/strings/str_cat.h"
#include "google/protobuf/any.pb.h"
#include "google/rpc/status.pb.h"

namespace kirim {
namespace {

constexpr char kTypePrefix[] = "type.googleapis.com/";

template <typename Detail>
void SetDetail(absl::Status* status, const Detail& detail) {
  status->SetPayload(absl::StrCat(kTypePrefix, Detail::descriptor()->full_name()),
                     absl::Cord(detail.SerializeAsString()));
}

}  // namespace

void FieldViolations::Add(std::string field, std::string description) {
  auto* v = request_.add_field_violations();
  v->set_field(std::move(field));
  v->set_description(std::move(description));
}

absl::Status FieldViolations::ToStatus() const {
  if (empty()) return absl::OkStatus();
  const auto& first = request_.field_violations(0);
  std::string message = absl::StrCat(first.field(), ": ", first.description());
  if (request_.field_violations_size() > 1) {
    absl::StrAppend(&message, " (and ", request_.field_violations_size() - 1, " more)");
  }
  absl::Status status = absl::InvalidArgumentError(message);
  SetDetail(&status, request_);
  return status;
}

absl::Status InvalidField(std::string field, std::string description) {
  FieldViolations v;
  v.Add(std::move(field), std::move(description));
  return v.ToStatus();
}

absl::Status WithRetryDelay(absl::Status status, absl::Duration delay) {
  google::rpc::RetryInfo info;
  info.mutable_retry_delay()->set_seconds(absl::ToInt64Seconds(delay));
  info.mutable_retry_delay()->set_nanos(
      static_cast<int32_t>(absl::ToInt64Nanoseconds(delay % absl::Seconds(1))));
  SetDetail(&status, info);
  return status;
}

grpc::Status ToGrpcStatus(const absl::Status& status) {
  if (status.ok()) return grpc::Status::OK;
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
