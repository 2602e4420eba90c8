#include "server/api/api_status.h"

#include "google/rpc/status.pb.h"
#include "gtest/gtest.h"

namespace kirim {
namespace {

TEST(ApiStatusTest, BadRequestTravelsInGrpcStatusDetails) {
  FieldViolations v;
  v.Add("to[1]", "missing '@'");
  v.Add("subject", "must not contain CR, LF or NUL");
  grpc::Status g = ToGrpcStatus(v.ToStatus());
  EXPECT_EQ(g.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(g.error_message(), "to[1]: missing '@' (and 1 more)");
  google::rpc::Status rpc;
  ASSERT_TRUE(rpc.ParseFromString(g.error_details()));
  EXPECT_EQ(rpc.code(), 3);
  ASSERT_EQ(rpc.details_size(), 1);
  google::rpc::BadRequest bad;
  ASSERT_TRUE(rpc.details(0).UnpackTo(&bad));
  ASSERT_EQ(bad.field_violations_size(), 2);
  EXPECT_EQ(bad.field_violations(1).field(), "subject");
}

TEST(ApiStatusTest, RetryInfoAndPlainStatuses) {
  grpc::Status g = ToGrpcStatus(WithRetryDelay(absl::UnavailableError("down"), absl::Milliseconds(1500)));
  EXPECT_EQ(g.error_code(), grpc::StatusCode::UNAVAILABLE);
  google::rpc::Status rpc;
  ASSERT_TRUE(rpc.ParseFromString(g.error_details()));
  google::rpc::RetryInfo info;
  ASSERT_TRUE(rpc.details(0).UnpackTo(&info));
  EXPECT_EQ(info.retry_delay().seconds(), 1);
  EXPECT_EQ(info.retry_delay().nanos(), 500000000);

  grpc::Status bare_unavailable = ToGrpcStatus(absl::UnavailableError("redis down"));
  google::rpc::Status bare;
  ASSERT_TRUE(bare.ParseFromString(bare_unavailable.error_details()));
  ASSERT_EQ(bare.details_size(), 1);
  ASSERT_TRUE(bare.details(0).UnpackTo(&info));
  EXPECT_EQ(info.retry_delay().seconds(), 1);

  grpc::Status plain = ToGrpcStatus(absl::NotFoundError("no message"));
  EXPECT_EQ(plain.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_TRUE(plain.error_details().empty());
  EXPECT_TRUE(ToGrpcStatus(absl::OkStatus()).ok());
}

}  // namespace
}  // namespace kirim
