// Reading the google.rpc error details an absl::Status carries (as Kirim's api layer attaches
// them, server/common/status_details.h), for unit tests.
//
//   EXPECT_THAT(BadFields(status), ElementsAre("to[0]"));
//   EXPECT_EQ(Precondition(status).type(), "DOMAIN_NOT_VERIFIED");
#ifndef KIRIM_TESTS_COMMON_STATUS_PAYLOADS_H_
#define KIRIM_TESTS_COMMON_STATUS_PAYLOADS_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "google/rpc/error_details.pb.h"
#include "gtest/gtest.h"

namespace kirim::testing {

inline constexpr char kBadRequestUrl[] = "type.googleapis.com/google.rpc.BadRequest";
inline constexpr char kPreconditionFailureUrl[] =
    "type.googleapis.com/google.rpc.PreconditionFailure";

// The fields a BadRequest detail names, in order; empty when the status carries none.
inline std::vector<std::string> BadFields(const absl::Status& status) {
  std::vector<std::string> fields;
  absl::optional<absl::Cord> payload = status.GetPayload(kBadRequestUrl);
  if (!payload.has_value()) return fields;
  google::rpc::BadRequest bad;
  EXPECT_TRUE(bad.ParseFromString(std::string(*payload)));
  for (const auto& v : bad.field_violations()) fields.push_back(v.field());
  return fields;
}

// The one PreconditionFailure violation `status` carries (a default one, and a test failure,
// when none).
inline google::rpc::PreconditionFailure::Violation Precondition(const absl::Status& status) {
  absl::optional<absl::Cord> payload = status.GetPayload(kPreconditionFailureUrl);
  if (!payload.has_value()) {
    ADD_FAILURE() << "no PreconditionFailure in " << status;
    return {};
  }
  google::rpc::PreconditionFailure failure;
  EXPECT_TRUE(failure.ParseFromString(std::string(*payload)));
  EXPECT_EQ(failure.violations_size(), 1);
  return failure.violations_size() > 0 ? failure.violations(0)
                                       : google::rpc::PreconditionFailure::Violation();
}

}  // namespace kirim::testing

#endif  // KIRIM_TESTS_COMMON_STATUS_PAYLOADS_H_
