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

}  // namespace kirim

#endif  // KIRIM_SERVER_API_API_STATUS_H_
