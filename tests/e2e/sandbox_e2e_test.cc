// End to end in sandbox mode: a real redis-server and a real kirimd process; messages become
// .eml files. Covers the run command's path, validation at the edge, health following Redis,
// kirimctl, and server reflection seen by a generic client.
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "gtest/gtest.h"
#include "tests/e2e/e2e_util.h"
#include "tests/harness/kirimd_process.h"
#include "tests/harness/redis_server.h"
#include "tests/harness/smtp_peer.h"

namespace kirim {
namespace {

using grpc::health::v1::HealthCheckResponse;
using testing::KirimdProcess;
using testing::RedisServer;

class SandboxE2eTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(redis_.Start().ok());
    sandbox_ = testing::MakeTempDir("sandbox");
    absl::Status s = kirimd_.Start(absl::StrCat(
        "redis { port: ", redis_.port(), " health_interval_ms: 100 }\n",
        "health_listen_address: \"127.0.0.1:0\"\n",
        "delivery { mode: SANDBOX sandbox_dir: \"", sandbox_, "\" poll_interval_ms: 200 }\n"));
    ASSERT_TRUE(s.ok()) << s;
    stub_ = kirimd_.MailStub();
    redis_client_ = redis_.Client();
  }

  v1::SendEmailRequest Request() {
    v1::SendEmailRequest r;
    r.set_from("\"Toko Kirim\" <toko@example.com>");
    r.add_to("Ana Pérez <ana@example.net>");
    r.add_bcc("audit@example.com");
    r.set_subject("Pesanan #42 — terima kasih");
    r.set_text_body("Halo Ana,\n.\nTerima kasih.\n");
    return r;
  }

  grpc::Status Send(const v1::SendEmailRequest& r, v1::SendEmailResponse* resp) {
    grpc::ClientContext ctx;
    kirimd_.Authorize(&ctx);
    return stub_->SendEmail(&ctx, r, resp);
  }

  RedisServer redis_;
  KirimdProcess kirimd_;
  std::string sandbox_;
  std::unique_ptr<v1::MailService::Stub> stub_;
  std::unique_ptr<redis::HiredisClient> redis_client_;
};

TEST_F(SandboxE2eTest, SentMessageBecomesAnEmlFileAndGetMessageSaysDelivered) {
  v1::SendEmailResponse resp;
  grpc::Status s = Send(Request(), &resp);
  ASSERT_TRUE(s.ok()) << s.error_message();
  ASSERT_TRUE(kirimd_.WaitForEvent("delivered", resp.id()).ok());

  std::string eml = testing::ReadFileToString(absl::StrCat(sandbox_, "/", resp.id(), ".eml"));
  EXPECT_NE(eml.find("From: Toko Kirim <toko@example.com>\r\n"), std::string::npos) << eml;
  EXPECT_NE(eml.find("Message-ID: " + resp.message_id_header() + "\r\n"), std::string::npos);
  EXPECT_EQ(eml.find("audit@example.com"), std::string::npos) << "Bcc must not be in the headers";
  std::string envelope = testing::ReadFileToString(absl::StrCat(sandbox_, "/", resp.id(), ".envelope.json"));
  EXPECT_EQ(envelope,
            "{\"mail_from\":\"toko@example.com\",\"rcpt_to\":[\"ana@example.net\",\"audit@example.com\"]}\n");

  grpc::ClientContext ctx;
  kirimd_.Authorize(&ctx);
  v1::GetMessageRequest get;
  get.set_name(resp.name());
  v1::Message m;
  ASSERT_TRUE(stub_->GetMessage(&ctx, get, &m).ok());
  EXPECT_EQ(m.state(), v1::DELIVERED);
  ASSERT_EQ(m.attempts_size(), 1);
  EXPECT_EQ(m.attempts(0).reply().code(), 250);
  EXPECT_TRUE(absl::StrContains(m.attempts(0).reply().text(), resp.id() + ".eml"));
  EXPECT_EQ(m.recipients_size(), 2);
}

TEST_F(SandboxE2eTest, InvalidRequestsAreRefusedNamingTheFieldAndStoreNothing) {
  // Let the worker create its consumer groups first, so the snapshot is stable.
  v1::SendEmailResponse warm;
  ASSERT_TRUE(Send(Request(), &warm).ok());
  ASSERT_TRUE(kirimd_.WaitForEvent("delivered", warm.id()).ok());
  const auto before = testing::Snapshot(*redis_client_);

  struct Case {
    std::string name;
    std::function<void(v1::SendEmailRequest*)> mutate;
    std::string field;
  };
  std::vector<Case> cases = {
      {"bad address", [](auto* r) { r->set_to(0, "ana(at)example.net"); }, "to[0]"},
      {"CRLF in subject", [](auto* r) { r->set_subject("Hi\r\nBcc: victim@example.org"); }, "subject"},
      {"CRLF in display name", [](auto* r) { r->set_from("Toko\r\nBcc: v@example.org <toko@example.com>"); }, "from"},
      {"CRLF in custom header", [](auto* r) { (*r->mutable_headers())["X-Campaign"] = "spring\r\nBcc: v@example.org"; }, "headers.X-Campaign"},
      {"no recipients", [](auto* r) { r->clear_to(); r->clear_bcc(); }, "to"},
      {"oversize", [](auto* r) { r->set_text_body(std::string(26 * 1024 * 1024, 'a')); }, "text_body"},
  };
  for (const Case& c : cases) {
    v1::SendEmailRequest r = Request();
    c.mutate(&r);
    v1::SendEmailResponse resp;
    grpc::Status s = Send(r, &resp);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << c.name << ": " << s.error_message();
    std::vector<std::string> fields = testing::BadRequestFields(s);
    EXPECT_EQ(fields, std::vector<std::string>{c.field}) << c.name;
    EXPECT_TRUE(resp.id().empty()) << c.name;
  }
  EXPECT_EQ(testing::Snapshot(*redis_client_), before) << "a refused request changed Redis";
}

TEST_F(SandboxE2eTest, RedisDownMeansNotServingAndUnavailableThenBothRecover) {
  auto health = kirimd_.HealthStub();
  ASSERT_TRUE(testing::WaitForHealth(*health, "", HealthCheckResponse::SERVING));
  redis_.Stop();
  EXPECT_TRUE(testing::WaitForHealth(*health, "", HealthCheckResponse::NOT_SERVING));
  EXPECT_TRUE(testing::WaitForHealth(*health, "kirim.v1.MailService", HealthCheckResponse::NOT_SERVING));
  // Liveness stays SERVING: restarting pods does not bring Redis back.
  EXPECT_TRUE(testing::WaitForHealth(*health, "liveness", HealthCheckResponse::SERVING));
  // The health-only port (Kubernetes probes) mirrors both.
  ASSERT_NE(kirimd_.health_port(), 0);
  auto probe_channel = grpc::CreateChannel(absl::StrCat("127.0.0.1:", kirimd_.health_port()),
                                           grpc::InsecureChannelCredentials());
  auto probe = grpc::health::v1::Health::NewStub(probe_channel);
  EXPECT_TRUE(testing::WaitForHealth(*probe, "", HealthCheckResponse::NOT_SERVING));
  EXPECT_TRUE(testing::WaitForHealth(*probe, "kirim.v1.MailService", HealthCheckResponse::NOT_SERVING));
  EXPECT_TRUE(testing::WaitForHealth(*probe, "liveness", HealthCheckResponse::SERVING));
  v1::SendEmailResponse resp;
  grpc::Status down = Send(Request(), &resp);
  EXPECT_EQ(down.error_code(), grpc::StatusCode::UNAVAILABLE) << down.error_message();

  ASSERT_TRUE(redis_.Start().ok());
  EXPECT_TRUE(testing::WaitForHealth(*health, "", HealthCheckResponse::SERVING));
  EXPECT_TRUE(testing::WaitForHealth(*probe, "kirim.v1.MailService", HealthCheckResponse::SERVING));
  // Nothing but health answers there.
  {
    grpc::ClientContext ctx;
    kirimd_.Authorize(&ctx);
    v1::SendEmailResponse ignored;
    EXPECT_EQ(v1::MailService::NewStub(probe_channel)->SendEmail(&ctx, Request(), &ignored).error_code(),
              grpc::StatusCode::UNIMPLEMENTED);
  }
  grpc::Status up = Send(Request(), &resp);
  ASSERT_TRUE(up.ok()) << up.error_message();
  EXPECT_TRUE(kirimd_.WaitForEvent("delivered", resp.id()).ok());
}

TEST_F(SandboxE2eTest, KirimctlSendsAndGets) {
  testing::Subprocess send;
  const std::map<std::string, std::string> env = {{"KIRIM_API_KEY", kirimd_.admin_key()}};
  ASSERT_TRUE(send.Start({testing::Runfile("client/kirimctl"), "--address=" + kirimd_.address(),
                          "send", "--from=Dev <dev@example.com>", "--to=you@example.net",
                          "--subject=Hello from kirimctl", "--text=It works"},
                         env)
                  .ok());
  int status = send.Wait(absl::Seconds(30));
  ASSERT_EQ(status, 0) << absl::StrJoin(send.Lines(), "\n");
  std::string id = send.Lines().at(0);
  ASSERT_EQ(id.size(), 26u) << id;
  ASSERT_TRUE(kirimd_.WaitForEvent("delivered", id).ok());
  EXPECT_TRUE(absl::StrContains(testing::ReadFileToString(absl::StrCat(sandbox_, "/", id, ".eml")),
                                "Subject: Hello from kirimctl\r\n"));

  testing::Subprocess get;
  ASSERT_TRUE(get.Start({testing::Runfile("client/kirimctl"), "--address=" + kirimd_.address(),
                         "get", id},
                        env)
                  .ok());
  ASSERT_EQ(get.Wait(absl::Seconds(30)), 0);
  EXPECT_TRUE(get.WaitForOutput("state:    DELIVERED", absl::Seconds(1)).ok())
      << absl::StrJoin(get.Lines(), "\n");

  testing::Subprocess bad;
  ASSERT_TRUE(bad.Start({testing::Runfile("client/kirimctl"), "--address=" + kirimd_.address(),
                         "send", "--from=dev@example.com", "--to=not-an-address", "--text=x"},
                        env)
                  .ok());
  EXPECT_EQ(WEXITSTATUS(bad.Wait(absl::Seconds(30))), 1);
  EXPECT_TRUE(bad.WaitForOutput("to[0]:", absl::Seconds(1)).ok()) << absl::StrJoin(bad.Lines(), "\n");
}

TEST_F(SandboxE2eTest, AGenericClientListsTheServicesByReflection) {
  testing::Subprocess client;
  ASSERT_TRUE(client.Start({"/usr/bin/python3", testing::Runfile("tests/peers/reflection_client.py"),
                            kirimd_.address(), "kirim.v1.MailService"})
                  .ok());
  ASSERT_EQ(client.Wait(absl::Seconds(60)), 0) << absl::StrJoin(client.Lines(), "\n");
  std::string out = absl::StrJoin(client.Lines(), "\n");
  EXPECT_TRUE(absl::StrContains(out, "service kirim.v1.MailService")) << out;
  EXPECT_TRUE(absl::StrContains(out, "service grpc.health.v1.Health")) << out;
  EXPECT_TRUE(absl::StrContains(out, "method SendEmail")) << out;
  EXPECT_TRUE(absl::StrContains(out, "method WatchEvents")) << out;
}

}  // namespace
}  // namespace kirim
