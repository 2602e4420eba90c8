#include "client/ctl/status_report.h"

#include "client/ctl/exit_codes.h"
#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"

namespace kirim::ctl {

const char* StatusCodeName(grpc::StatusCode code) {
  static const char* const kNames[] = {
      "OK",           "CANCELLED",          "UNKNOWN",             "INVALID_ARGUMENT",
      "DEADLINE_EXCEEDED", "NOT_FOUND",     "ALREADY_EXISTS",      "PERMISSION_DENIED",
      "RESOURCE_EXHAUSTED", "FAILED_PRECONDITION", "ABORTED",      "OUT_OF_RANGE",
      "UNIMPLEMENTED", "INTERNAL",          "UNAVAILABLE",         "DATA_LOSS",
      "UNAUTHENTICATED"};
  const int i = static_cast<int>(code);
  return i >= 0 && i < static_cast<int>(sizeof kNames / sizeof kNames[0]) ? kNames[i] : "UNKNOWN";
}

int ExitCodeFor(grpc::StatusCode code) {
  switch (code) {
    case grpc::StatusCode::OK:
      return kExitOk;
    case grpc::StatusCode::UNAVAILABLE:
    case grpc::StatusCode::DEADLINE_EXCEEDED:
      return kExitUnreachable;
    default:
      return kExitRefused;
  }
}

int ReportStatus(const grpc::Status& status, std::ostream& err) {
  err << "kirimctl: " << StatusCodeName(status.error_code()) << ": " << status.error_message()
      << "\n";
  google::rpc::Status details;
  if (!status.error_details().empty() && details.ParseFromString(status.error_details())) {
    for (const auto& any : details.details()) {
      google::rpc::BadRequest bad;
      google::rpc::PreconditionFailure precondition;
      google::rpc::QuotaFailure quota;
      google::rpc::RetryInfo retry;
      if (any.UnpackTo(&bad)) {
        for (const auto& v : bad.field_violations()) {
          err << "  " << v.field() << ": " << v.description() << "\n";
        }
      } else if (any.UnpackTo(&precondition)) {
        for (const auto& v : precondition.violations()) {
          err << "  " << v.type() << " " << v.subject();
          if (!v.description().empty()) err << ": " << v.description();
          err << "\n";
        }
      } else if (any.UnpackTo(&quota)) {
        for (const auto& v : quota.violations()) {
          err << "  quota " << v.subject();
          if (!v.description().empty()) err << ": " << v.description();
          err << "\n";
        }
      } else if (any.UnpackTo(&retry)) {
        const auto& d = retry.retry_delay();
        err << "  retry after ";
        if (d.nanos() == 0) {
          err << d.seconds() << "s\n";
        } else {
          err << (static_cast<double>(d.seconds()) + d.nanos() / 1e9) << "s\n";
        }
      }
    }
  }
  return ExitCodeFor(status.error_code());
}

}  // namespace kirim::ctl
