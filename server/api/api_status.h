// The API edge's one mapping from absl::Status to grpc::Status. Codes map 1:1 (both follow
// google.rpc.Code); typed details attached with server/common/status_details.h travel in the
// standard `grpc-status-details-bin` trailer as a google.rpc.Status. UNAVAILABLE always carries
// google.rpc.RetryInfo (1 s unless the status set one).
//
//   reactor->Finish(ToGrpcStatus(status));
#ifndef KIRIM_SERVER_API_API_STATUS_H_
#define KIRIM_SERVER_API_API_STATUS_H_

#include "absl/status/status.h"
#include "grpcpp/support/status.h"
#include "server/common/status_details.h"

namespace kirim {

grpc::Status ToGrpcStatus(const absl::Status& status);

// Why a SendEmail was refused, as a metrics label (one of kRejectReasons in
// server/metrics/metrics.h), from its code and google.rpc details: a QuotaFailure tells a rate
// limit from the daily quota, an ErrorInfo STORE_OUT_OF_MEMORY is Redis at maxmemory,
// RESOURCE_EXHAUSTED with neither is a full queue, a
// PreconditionFailure of type DOMAIN_NOT_VERIFIED is the send policy, other
// FAILED_PRECONDITIONs are suppressions.
absl::string_view RejectReason(const absl::Status& status);

}  // namespace kirim

#endif  // KIRIM_SERVER_API_API_STATUS_H_
