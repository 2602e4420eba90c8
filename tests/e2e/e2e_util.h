// Helpers shared by the end-to-end tests.
#ifndef KIRIM_TESTS_E2E_E2E_UTIL_H_
#define KIRIM_TESTS_E2E_E2E_UTIL_H_

#include <map>
#include <string>

#include "absl/strings/match.h"

#include "absl/time/time.h"
#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "grpcpp/grpcpp.h"
#include "server/redis/redis_client.h"

namespace kirim::testing {

inline void SetDeadline(grpc::ClientContext* ctx, absl::Duration d = absl::Seconds(10)) {
  ctx->set_deadline(absl::ToChronoTime(absl::Now() + d));
}

// Every key in Redis with its DUMP, to prove a refused request changed nothing — except the
// tenants' statistics counters (<prefix>:{sN}:ev:<tenant>:n), where a refusal is counted
// ("rejected", for GetMetrics) by design.
inline std::map<std::string, std::string> Snapshot(redis::RedisClient& redis) {
  std::map<std::string, std::string> out;
  auto keys = redis.Command({"KEYS", "*"});
  if (!keys.ok()) return out;
  for (const auto& k : keys->elements) {
    if (absl::StrContains(k.str, ":ev:") && absl::EndsWith(k.str, ":n")) continue;
    auto dump = redis.Command({"DUMP", k.str});
    out[k.str] = dump.ok() ? dump->str : "?";
  }
  return out;
}

// The field paths of a google.rpc.BadRequest carried by `status`.
inline std::vector<std::string> BadRequestFields(const grpc::Status& status) {
  std::vector<std::string> fields;
  google::rpc::Status rpc;
  if (!rpc.ParseFromString(status.error_details())) return fields;
  for (const auto& any : rpc.details()) {
    google::rpc::BadRequest bad;
    if (any.UnpackTo(&bad)) {
      for (const auto& v : bad.field_violations()) fields.push_back(v.field());
    }
  }
  return fields;
}

// Watches grpc.health.v1 until the service reports `want` (event-driven, bounded).
inline bool WaitForHealth(grpc::health::v1::Health::Stub& stub, const std::string& service,
                          grpc::health::v1::HealthCheckResponse::ServingStatus want,
                          absl::Duration timeout = absl::Seconds(30)) {
  grpc::ClientContext ctx;
  SetDeadline(&ctx, timeout);
  grpc::health::v1::HealthCheckRequest req;
  req.set_service(service);
  auto reader = stub.Watch(&ctx, req);
  grpc::health::v1::HealthCheckResponse resp;
  while (reader->Read(&resp)) {
    if (resp.status() == want) {
      ctx.TryCancel();
      return true;
    }
  }
  return false;
}

}  // namespace kirim::testing

#endif  // KIRIM_TESTS_E2E_E2E_UTIL_H_
