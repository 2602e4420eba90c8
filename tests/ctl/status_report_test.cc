// How a failed call is shown (the code, the message, every google.rpc detail) and which exit
// code scripts get for it.
#include "client/ctl/status_report.h"

#include <sstream>

#include "client/ctl/exit_codes.h"
#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"
#include "gtest/gtest.h"

namespace kirim::ctl {
namespace {

TEST(ExitCodeTest, UnreachableOnlyForUnavailableAndDeadlineExceeded) {
  EXPECT_EQ(ExitCodeFor(grpc::StatusCode::OK), kExitOk);
  EXPECT_EQ(ExitCodeFor(grpc::StatusCode::UNAVAILABLE), kExitUnreachable);
  EXPECT_EQ(ExitCodeFor(grpc::StatusCode::DEADLINE_EXCEEDED), kExitUnreachable);
  for (grpc::StatusCode code :
       {grpc::StatusCode::CANCELLED, grpc::StatusCode::UNKNOWN, grpc::StatusCode::INVALID_ARGUMENT,
        grpc::StatusCode::NOT_FOUND, grpc::StatusCode::ALREADY_EXISTS,
        grpc::StatusCode::PERMISSION_DENIED, grpc::StatusCode::RESOURCE_EXHAUSTED,
        grpc::StatusCode::FAILED_PRECONDITION, grpc::StatusCode::ABORTED,
        grpc::StatusCode::OUT_OF_RANGE, grpc::StatusCode::UNIMPLEMENTED, grpc::StatusCode::INTERNAL,
        grpc::StatusCode::DATA_LOSS, grpc::StatusCode::UNAUTHENTICATED}) {
    EXPECT_EQ(ExitCodeFor(code), kExitRefused) << StatusCodeName(code);
  }
}

TEST(ExitCodeTest, TheCodesAreDistinctAndStable) {
  // Scripts hard-code these numbers (docs/kirimctl.md): a change here breaks them.
  EXPECT_EQ(kExitOk, 0);
  EXPECT_EQ(kExitRefused, 1);
  EXPECT_EQ(kExitUsage, 2);
  EXPECT_EQ(kExitUnreachable, 3);
  EXPECT_EQ(kExitNotVerified, 4);
  EXPECT_EQ(kExitPartlyRefused, 5);
  EXPECT_EQ(kExitNotDelivered, 6);
}

TEST(StatusCodeNameTest, NamesEveryCode) {
  EXPECT_STREQ(StatusCodeName(grpc::StatusCode::FAILED_PRECONDITION), "FAILED_PRECONDITION");
  EXPECT_STREQ(StatusCodeName(grpc::StatusCode::UNAUTHENTICATED), "UNAUTHENTICATED");
  EXPECT_STREQ(StatusCodeName(static_cast<grpc::StatusCode>(99)), "UNKNOWN");
}

TEST(ReportStatusTest, PrintsTheCodeTheMessageAndEveryDetail) {
  google::rpc::Status rpc;
  google::rpc::BadRequest bad;
  auto* v = bad.add_field_violations();
  v->set_field("to[0]");
  v->set_description("not an RFC 5322 mailbox");
  rpc.add_details()->PackFrom(bad);
  google::rpc::PreconditionFailure precondition;
  auto* p = precondition.add_violations();
  p->set_type("SUPPRESSED");
  p->set_subject("ana@example.net");
  p->set_description("suppressed (UNSUBSCRIBE)");
  rpc.add_details()->PackFrom(precondition);
  google::rpc::QuotaFailure quota;
  auto* q = quota.add_violations();
  q->set_subject("tenant:acme");
  q->set_description("daily quota of 1000 recipients");
  rpc.add_details()->PackFrom(quota);
  google::rpc::RetryInfo retry;
  retry.mutable_retry_delay()->set_seconds(3);
  rpc.add_details()->PackFrom(retry);

  std::ostringstream err;
  const int code = ReportStatus(
      grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "1 invalid field", rpc.SerializeAsString()),
      err);
  EXPECT_EQ(code, kExitRefused);
  EXPECT_EQ(err.str(),
            "kirimctl: INVALID_ARGUMENT: 1 invalid field\n"
            "  to[0]: not an RFC 5322 mailbox\n"
            "  SUPPRESSED ana@example.net: suppressed (UNSUBSCRIBE)\n"
            "  quota tenant:acme: daily quota of 1000 recipients\n"
            "  retry after 3s\n");
}

TEST(ReportStatusTest, UnreachableWithoutDetails) {
  std::ostringstream err;
  EXPECT_EQ(ReportStatus(grpc::Status(grpc::StatusCode::UNAVAILABLE, "failed to connect"), err),
            kExitUnreachable);
  EXPECT_EQ(err.str(), "kirimctl: UNAVAILABLE: failed to connect\n");
}

}  // namespace
}  // namespace kirim::ctl
