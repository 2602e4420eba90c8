// LimitExceededStatus: turns a refused LimitDecision into the status the API returns, in the
// shape every gRPC client library understands: RESOURCE_EXHAUSTED with google.rpc.QuotaFailure
// (which limit, for which tenant) and google.rpc.RetryInfo (when to try again) attached as
// payloads keyed by their type URL, which ToGrpcStatus (server/api/api_status.h) turns into
// the grpc-status-details-bin trailer. See google/rpc/error_details.proto.
//
//   KIRIM_ASSIGN_OR_RETURN(LimitDecision d, limiter.Acquire(tenant, limits, cost));
//   if (!d.allowed) return LimitExceededStatus(tenant, limits, d);
#ifndef KIRIM_SERVER_LIMITS_LIMIT_STATUS_H_
#define KIRIM_SERVER_LIMITS_LIMIT_STATUS_H_

#include <string>

#include "absl/status/status.h"
#include "server/limits/send_limiter.h"

namespace kirim {

inline constexpr char kQuotaFailureTypeUrl[] = "type.googleapis.com/google.rpc.QuotaFailure";
inline constexpr char kRetryInfoTypeUrl[] = "type.googleapis.com/google.rpc.RetryInfo";

// RESOURCE_EXHAUSTED for a refused decision (OK for an allowed one). QuotaFailure has one
// violation: subject "tenant:<tenant>", description naming the limit and its value. RetryInfo
// carries d.retry_after, and is left out when d.never: no delay makes that cost pass, and a
// client that honours RetryInfo must not loop on it.
absl::Status LimitExceededStatus(const std::string& tenant, const TenantLimits& limits,
                                 const LimitDecision& d);

}  // namespace kirim

#endif  // KIRIM_SERVER_LIMITS_LIMIT_STATUS_H_
