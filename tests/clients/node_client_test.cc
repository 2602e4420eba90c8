// The Node.js client end to end: tests/clients/node_client.js, through clients/node
// (@grpc/grpc-js with @grpc/proto-loader, proto/ loaded at run time), calls a real kirimd:
// health, send, watch, get, and an error whose google.rpc.Status details are decoded. The npm
// packages are the ones script/bootstrap installed in clients/node/node_modules, a data
// dependency; node runs with --preserve-symlinks so it resolves them inside the runfiles.
// Also: `clients/generate node DIR` writes the TypeScript declarations.
#include "absl/strings/match.h"
#include "gtest/gtest.h"
#include "tests/clients/client_run.h"

namespace kirim::testing {
namespace {

class NodeClientTest : public ClientTest {
 protected:
  ClientRun Client(const std::string& key, const std::vector<std::string>& extra = {}) {
    std::vector<std::string> argv = {"/usr/bin/node", "--preserve-symlinks",
                                     "--preserve-symlinks-main",
                                     Runfile("tests/clients/node_client.js"), "--address",
                                     kirimd_.address()};
    argv.insert(argv.end(), extra.begin(), extra.end());
    return RunClient(argv, {{"KIRIM_API_KEY", key}});
  }
};

TEST_F(NodeClientTest, ClientSendsGetsWatchesChecksHealthAndDecodesErrors) {
  ClientRun run = Client(kirimd_.admin_key());
  ASSERT_EQ(run.exit_code, 0) << run.Output();
  const std::string id = SentId(run);
  EXPECT_EQ(run.lines, (std::vector<std::string>{
                           "OK health SERVING",
                           "OK send " + id,
                           "OK watch " + id + " DELIVERED cursor=true",
                           "OK get " + id + " DELIVERED",
                           "OK error INVALID_ARGUMENT to[0]",
                           "node client: all checks passed",
                       }))
      << run.Output();
  ExpectDeliveredBySandbox(id);
}

TEST_F(NodeClientTest, AFailedCallFailsTheClient) {
  ClientRun run = Client("kirim_not_a_key");
  EXPECT_EQ(run.exit_code, 1) << run.Output();
  EXPECT_TRUE(absl::StrContains(run.Output(), "FAIL send: UNAUTHENTICATED")) << run.Output();
  EXPECT_FALSE(absl::StrContains(run.Output(), "all checks passed")) << run.Output();
}

TEST_F(NodeClientTest, WithoutTheClientModuleTheClientFails) {
  ClientRun run = Client(kirimd_.admin_key(), {"--client", MakeTempDir("no_client")});
  EXPECT_EQ(run.exit_code, 1) << run.Output();
  EXPECT_TRUE(absl::StrContains(run.Output(), "cannot load the client")) << run.Output();
}

TEST_F(NodeClientTest, GenerateWritesTypeScriptDeclarations) {
  const std::string dir = MakeTempDir("node_types");
  // Offline: with the packages script/bootstrap installed, generating runs no npm.
  ClientRun gen = RunClient({"/bin/bash", Runfile("clients/generate"), "node", dir},
                            {{"KIRIM_NO_INSTALL", "1"}});
  ASSERT_EQ(gen.exit_code, 0) << gen.Output();
  EXPECT_TRUE(absl::StrContains(gen.Output(), "TypeScript declarations")) << gen.Output();
  std::string request = FileContents(dir + "/kirim/v1/SendEmailRequest.ts");
  EXPECT_TRUE(absl::StrContains(request, "'text_body'?: (string);")) << request;
  std::string service = FileContents(dir + "/kirim/v1/MailService.ts");
  EXPECT_TRUE(absl::StrContains(service, "WatchEvents(")) << service;
  EXPECT_TRUE(absl::StrContains(FileContents(dir + "/grpc/health/v1/Health.ts"), "Check("));
}

}  // namespace
}  // namespace kirim::testing
