// The Python client end to end: `clients/generate python DIR` writes the stubs from proto/ (into
// a temp dir: nothing generated is in the source tree), then tests/clients/python_client.py
// (Debian's python3-grpcio) calls a real kirimd: health, send, watch, get, and an error whose
// google.rpc.Status details are decoded.
#include "absl/strings/match.h"
#include "gtest/gtest.h"
#include "tests/clients/client_run.h"

namespace kirim::testing {
namespace {

class PythonClientTest : public ClientTest {
 protected:
  // Generates the Python stubs into a fresh directory; returns it.
  std::string Generate() {
    const std::string dir = MakeTempDir("python_generated");
    ClientRun gen = RunClient({"/bin/bash", Runfile("clients/generate"), "python", dir});
    EXPECT_EQ(gen.exit_code, 0) << gen.Output();
    for (const char* module : {"kirim/v1/mail_service_pb2_grpc.py", "kirim/v1/message_pb2.py",
                               "google/rpc/error_details_pb2.py", "grpc/health/v1/health_pb2_grpc.py"}) {
      EXPECT_TRUE(absl::StrContains(gen.Output(), absl::StrCat("python: ", dir, "/", module)))
          << module << " not reported:\n" << gen.Output();
    }
    return dir;
  }

  ClientRun Client(const std::string& generated, const std::string& key) {
    return RunClient({"/usr/bin/python3", Runfile("tests/clients/python_client.py"), "--address",
                      kirimd_.address()},
                     {{"KIRIM_API_KEY", key}, {"KIRIM_CLIENT_GENERATED", generated}});
  }
};

TEST_F(PythonClientTest, GeneratedClientSendsGetsWatchesChecksHealthAndDecodesErrors) {
  const std::string generated = Generate();
  ClientRun run = Client(generated, kirimd_.admin_key());
  ASSERT_EQ(run.exit_code, 0) << run.Output();
  const std::string id = SentId(run);
  EXPECT_EQ(run.lines, (std::vector<std::string>{
                           "OK health SERVING",
                           "OK send " + id,
                           "OK watch " + id + " DELIVERED cursor=True",
                           "OK get " + id + " DELIVERED",
                           "OK error INVALID_ARGUMENT to[0]",
                           "python client: all checks passed",
                       }))
      << run.Output();
  ExpectDeliveredBySandbox(id);
}

TEST_F(PythonClientTest, AFailedCallFailsTheClient) {
  const std::string generated = Generate();
  ClientRun run = Client(generated, "kirim_not_a_key");
  EXPECT_EQ(run.exit_code, 1) << run.Output();
  EXPECT_TRUE(absl::StrContains(run.Output(), "FAIL send: StatusCode.UNAUTHENTICATED")) << run.Output();
  EXPECT_FALSE(absl::StrContains(run.Output(), "all checks passed")) << run.Output();
}

TEST_F(PythonClientTest, WithoutGeneratedCodeTheClientSaysToRunGenerate) {
  ClientRun run = Client(MakeTempDir("empty"), kirimd_.admin_key());
  EXPECT_NE(run.exit_code, 0) << run.Output();
  EXPECT_TRUE(absl::StrContains(run.Output(), "run clients/generate")) << run.Output();
}

}  // namespace
}  // namespace kirim::testing
