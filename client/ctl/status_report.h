// How kirimctl tells a person (stderr) and a script (the exit code) why a call failed: the gRPC
// code and message, then each google.rpc detail Kirim attaches (BadRequest field violations,
// PreconditionFailure, QuotaFailure, RetryInfo), decoded from the grpc-status-details-bin
// trailer.
//
//   grpc::Status status = stub.GetMessage(&ctx, req, &m);
//   if (!status.ok()) return ReportStatus(status, std::cerr);
//
// prints e.g.
//   kirimctl: INVALID_ARGUMENT: the request has 1 invalid field
//     to[0]: not an RFC 5322 mailbox
// and returns kExitRefused (kExitUnreachable for UNAVAILABLE and DEADLINE_EXCEEDED).
#ifndef KIRIM_CLIENT_CTL_STATUS_REPORT_H_
#define KIRIM_CLIENT_CTL_STATUS_REPORT_H_

#include <ostream>

#include "absl/strings/string_view.h"
#include "grpcpp/support/status.h"

namespace kirim::ctl {

// "INVALID_ARGUMENT" for grpc::StatusCode::INVALID_ARGUMENT ("UNKNOWN" outside the range).
const char* StatusCodeName(grpc::StatusCode code);

// The exit code for a call that ended with `code`: kExitOk for OK; kExitUnreachable when the
// server was not reached or did not answer in time (UNAVAILABLE, DEADLINE_EXCEEDED): retrying
// may help and nothing is known about the outcome; kExitRefused for every other code (the
// server answered and said no).
int ExitCodeFor(grpc::StatusCode code);

// Prints `status` and its details to `err`; returns ExitCodeFor(status.error_code()).
int ReportStatus(const grpc::Status& status, std::ostream& err);

}  // namespace kirim::ctl

#endif  // KIRIM_CLIENT_CTL_STATUS_REPORT_H_
