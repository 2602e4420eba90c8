#include "server/common/status_details.h"

#include "absl/strings/cord.h"
#include "absl/strings/str_cat.h"

namespace kirim {

void SetStatusDetail(absl::Status* status, const google::protobuf::Message& detail) {
  status->SetPayload(absl::StrCat("type.googleapis.com/", detail.GetDescriptor()->full_name()),
                     absl::Cord(detail.SerializeAsString()));
}

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
  SetStatusDetail(&status, request_);
  return status;
}

absl::Status InvalidField(std::string field, std::string description) {
  FieldViolations v;
  v.Add(std::move(field), std::move(description));
  return v.ToStatus();
}

absl::Status WithRetryDelay(absl::Status status, absl::Duration delay) {
  if (delay < absl::ZeroDuration()) delay = absl::ZeroDuration();
  google::rpc::RetryInfo info;
  info.mutable_retry_delay()->set_seconds(absl::ToInt64Seconds(delay));
  info.mutable_retry_delay()->set_nanos(
      static_cast<int32_t>(absl::ToInt64Nanoseconds(delay % absl::Seconds(1))));
  SetStatusDetail(&status, info);
  return status;
}

absl::Status WithQuotaFailure(absl::Status status, std::string subject, std::string description) {
  google::rpc::QuotaFailure failure;
  auto* v = failure.add_violations();
  v->set_subject(std::move(subject));
  v->set_description(std::move(description));
  SetStatusDetail(&status, failure);
  return status;
}

absl::Status WithErrorReason(absl::Status status, std::string reason) {
  google::rpc::ErrorInfo info;
  info.set_reason(std::move(reason));
  info.set_domain(kErrorDomain);
  SetStatusDetail(&status, info);
  return status;
}

std::string ErrorReason(const absl::Status& status) {
  absl::optional<absl::Cord> payload =
      status.GetPayload("type.googleapis.com/google.rpc.ErrorInfo");
  google::rpc::ErrorInfo info;
  if (!payload.has_value() || !info.ParseFromString(std::string(*payload))) return "";
  return info.reason();
}

absl::Status WithPreconditionFailure(absl::Status status, std::string type, std::string subject,
                                     std::string description) {
  google::rpc::PreconditionFailure failure;
  auto* v = failure.add_violations();
  v->set_type(std::move(type));
  v->set_subject(std::move(subject));
  v->set_description(std::move(description));
  SetStatusDetail(&status, failure);
  return status;
}

}  // namespace kirim
