// KirimClient over real gRPC on 127.0.0.1: an in-process MailService that fails on purpose
// (UNAVAILABLE with RetryInfo in grpc-status-details-bin, as kirimd answers when Redis is down),
// the same over TLS through Connect(), and a real kirimd with Redis: a send delivered in sandbox
// mode, and a refused request's BadRequest decoded.
#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/synchronization/mutex.h"
#include "client/kirim_client.h"
#include "gmock/gmock.h"
#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "tests/harness/kirimd_process.h"
#include "tests/harness/redis_server.h"
#include "tests/harness/subprocess.h"

namespace kirim::client {
namespace {

using ::testing::Each;
using ::testing::ElementsAre;
using ::testing::SizeIs;

// Answers the first `failures` SendEmail calls UNAVAILABLE with a RetryInfo of `delay`, then
// OK; records what every call carried.
class FlakyMailService final : public v1::MailService::Service {
 public:
  FlakyMailService(int failures, absl::Duration delay) : failures_(failures), delay_(delay) {}

  grpc::Status SendEmail(grpc::ServerContext* context, const v1::SendEmailRequest* request,
                         v1::SendEmailResponse* response) override {
    absl::MutexLock lock(&mu_);
    keys_.push_back(request->idempotency_key());
    auto auth = context->client_metadata().find("authorization");
    authorizations_.push_back(auth == context->client_metadata().end()
                                  ? ""
                                  : std::string(auth->second.data(), auth->second.size()));
    deadline_left_.push_back(absl::FromChrono(context->deadline()) - absl::Now());
    if (static_cast<int>(keys_.size()) <= failures_) {
      google::rpc::RetryInfo retry;
      retry.mutable_retry_delay()->set_seconds(absl::ToInt64Seconds(delay_));
      google::rpc::Status rpc;
      rpc.set_code(grpc::StatusCode::UNAVAILABLE);
      rpc.set_message("message store unavailable; nothing was stored");
      rpc.add_details()->PackFrom(retry);
      return grpc::Status(grpc::StatusCode::UNAVAILABLE, rpc.message(), rpc.SerializeAsString());
    }
    response->set_id("01JD3Y8Q7W9K2M4N6P8R0T2V4X");
    response->set_name("messages/01JD3Y8Q7W9K2M4N6P8R0T2V4X");
    return grpc::Status::OK;
  }

  std::vector<std::string> keys() {
    absl::MutexLock lock(&mu_);
    return keys_;
  }
  std::vector<std::string> authorizations() {
    absl::MutexLock lock(&mu_);
    return authorizations_;
  }
  std::vector<absl::Duration> deadline_left() {
    absl::MutexLock lock(&mu_);
    return deadline_left_;
  }

 private:
  const int failures_;
  const absl::Duration delay_;
  absl::Mutex mu_;
  std::vector<std::string> keys_ ABSL_GUARDED_BY(mu_);
  std::vector<std::string> authorizations_ ABSL_GUARDED_BY(mu_);
  std::vector<absl::Duration> deadline_left_ ABSL_GUARDED_BY(mu_);
};

// `service` served on 127.0.0.1 on a port the kernel picks; `port` is set once it listens.
std::unique_ptr<grpc::Server> Serve(grpc::Service* service, int* port,
                                    std::shared_ptr<grpc::ServerCredentials> credentials =
                                        grpc::InsecureServerCredentials()) {
  grpc::ServerBuilder builder;
  builder.AddListeningPort("127.0.0.1:0", credentials, port);
  builder.RegisterService(service);
  return builder.BuildAndStart();
}

v1::SendEmailRequest Request(const std::string& to = "ana@example.net") {
  v1::SendEmailRequest r;
  r.set_from("shop@example.com");
  r.add_to(to);
  r.set_subject("Order");
  r.set_text_body("Thanks");
  return r;
}

TEST(FailingServerTest, RetriesWithOneKeyUntilTheServerAnswers) {
  constexpr int kFailures = 3;
  FlakyMailService service(kFailures, absl::Seconds(1));
  int port = 0;
  std::unique_ptr<grpc::Server> server = Serve(&service, &port);
  ASSERT_NE(server, nullptr);
  ASSERT_GT(port, 0);
  ClientOptions options;
  options.address = absl::StrCat("127.0.0.1:", port);
  options.api_key = "kirim_test_secret";
  options.deadline = absl::Seconds(20);
  std::vector<absl::Duration> waits;
  auto channel = grpc::CreateChannel(options.address, grpc::InsecureChannelCredentials());
  KirimClient client(v1::MailService::NewStub(channel), nullptr, nullptr, options,
                     [&](absl::Duration d) { waits.push_back(d); });

  absl::StatusOr<v1::SendEmailResponse> sent = client.SendEmail(Request());

  ASSERT_TRUE(sent.ok()) << sent.status();
  EXPECT_EQ(sent->id(), "01JD3Y8Q7W9K2M4N6P8R0T2V4X");
  std::vector<std::string> keys = service.keys();
  ASSERT_THAT(keys, SizeIs(kFailures + 1));
  EXPECT_THAT(keys[0], ::testing::MatchesRegex("[0-9a-f]{32}"));
  EXPECT_THAT(keys, Each(keys[0]));
  EXPECT_THAT(service.authorizations(), Each(std::string("Bearer kirim_test_secret")));
  // The RetryInfo came through the trailer: every wait honours it.
  ASSERT_THAT(waits, SizeIs(kFailures));
  for (absl::Duration w : waits) EXPECT_GE(w, absl::Seconds(1));
  // Each attempt carried a deadline (without one the server sees an infinite one). Not compared
  // with the 20 s: grpc-timeout is sent rounded up, and this is real time.
  for (absl::Duration left : service.deadline_left()) EXPECT_LT(left, absl::Hours(1));
  server->Shutdown();
}

TEST(FailingServerTest, GivesUpWithTheServersErrorAndDetails) {
  FlakyMailService service(/*failures=*/100, absl::Seconds(2));
  int port = 0;
  std::unique_ptr<grpc::Server> server = Serve(&service, &port);
  ASSERT_NE(server, nullptr);
  ClientOptions options;
  options.address = absl::StrCat("127.0.0.1:", port);
  options.max_attempts = 2;
  std::vector<absl::Duration> waits;
  auto channel = grpc::CreateChannel(options.address, grpc::InsecureChannelCredentials());
  KirimClient client(v1::MailService::NewStub(channel), nullptr, nullptr, options,
                     [&](absl::Duration d) { waits.push_back(d); });

  absl::StatusOr<v1::SendEmailResponse> sent = client.SendEmail(Request());

  EXPECT_EQ(sent.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(sent.status().message(), "message store unavailable; nothing was stored");
  EXPECT_EQ(DetailsOf(sent.status()).retry_delay, absl::Seconds(2));
  EXPECT_THAT(service.keys(), SizeIs(2));
  EXPECT_THAT(service.authorizations(), Each(std::string())) << "no api_key, no header";
  EXPECT_THAT(waits, ElementsAre(absl::Seconds(2)));
  server->Shutdown();
}

TEST(FailingServerTest, NothingListeningIsUnavailableAfterEveryAttempt) {
  const int port = testing::FreePort();  // free a moment ago; nothing listens on it
  ClientOptions options;
  options.address = absl::StrCat("127.0.0.1:", port);
  options.max_attempts = 3;
  options.deadline = absl::Seconds(5);
  std::vector<absl::Duration> waits;
  auto channel = grpc::CreateChannel(options.address, grpc::InsecureChannelCredentials());
  KirimClient client(v1::MailService::NewStub(channel), nullptr, nullptr, options,
                     [&](absl::Duration d) { waits.push_back(d); });

  absl::StatusOr<v1::Message> message = client.GetMessage("01ABC");

  EXPECT_EQ(message.status().code(), absl::StatusCode::kUnavailable) << message.status();
  EXPECT_THAT(waits, SizeIs(2));
}

// openssl(1) with `args`; its output in the error when it fails.
absl::Status Openssl(const std::vector<std::string>& args) {
  std::vector<std::string> argv = {"/usr/bin/openssl"};
  argv.insert(argv.end(), args.begin(), args.end());
  testing::Subprocess openssl;
  if (absl::Status s = openssl.Start(argv); !s.ok()) return s;
  if (int code = testing::ExitCode(openssl.Wait(absl::Seconds(60))); code != 0) {
    return absl::InternalError(
        absl::StrCat("openssl exited ", code, ":\n", absl::StrJoin(openssl.Lines(), "\n")));
  }
  return absl::OkStatus();
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

TEST(TlsTest, ConnectSpeaksTlsAndSendsTheKey) {
  // A self-signed P-256 certificate for kirim.test, trusted as its own root.
  const std::string dir = testing::MakeTempDir("client_tls");
  ASSERT_TRUE(Openssl({"req", "-x509", "-newkey", "ec", "-pkeyopt",
                       "ec_paramgen_curve:prime256v1", "-nodes", "-days", "2", "-subj",
                       "/CN=kirim.test", "-addext", "subjectAltName=DNS:kirim.test", "-keyout",
                       dir + "/server.key", "-out", dir + "/server.pem"})
                  .ok());
  const std::string cert = ReadFile(dir + "/server.pem");
  grpc::SslServerCredentialsOptions ssl;
  ssl.pem_key_cert_pairs.push_back({ReadFile(dir + "/server.key"), cert});
  FlakyMailService service(/*failures=*/0, absl::ZeroDuration());
  int port = 0;
  std::unique_ptr<grpc::Server> server = Serve(&service, &port, grpc::SslServerCredentials(ssl));
  ASSERT_NE(server, nullptr);
  ClientOptions options;
  options.address = absl::StrCat("127.0.0.1:", port);
  options.api_key = "kirim_tls_secret";
  options.tls = true;
  options.ca_pem = cert;
  options.server_name = "kirim.test";
  options.max_attempts = 1;  // a TLS failure must show, not be retried

  absl::StatusOr<std::unique_ptr<KirimClient>> client = KirimClient::Connect(options);
  ASSERT_TRUE(client.ok()) << client.status();
  absl::StatusOr<v1::SendEmailResponse> sent = (*client)->SendEmail(Request());

  ASSERT_TRUE(sent.ok()) << sent.status();
  EXPECT_THAT(service.authorizations(), ElementsAre("Bearer kirim_tls_secret"));

  // The same server, but the client expects another name: the handshake fails.
  options.server_name = "other.test";
  client = KirimClient::Connect(options);
  ASSERT_TRUE(client.ok()) << client.status();
  EXPECT_EQ((*client)->SendEmail(Request()).status().code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(service.keys(), SizeIs(1)) << "a call got through an unverified connection";
  server->Shutdown();
}

class KirimdTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(redis_.Start().ok());
    const std::string sandbox = testing::MakeTempDir("sandbox");
    absl::Status s = kirimd_.Start(absl::StrCat(
        "redis { port: ", redis_.port(), " }\n",
        "delivery { mode: SANDBOX sandbox_dir: \"", sandbox, "\" poll_interval_ms: 200 }\n"));
    ASSERT_TRUE(s.ok()) << s;
    ClientOptions options;
    options.address = kirimd_.address();
    options.api_key = kirimd_.admin_key();
    options.max_attempts = 1;  // kirimd is up: nothing here should need a retry (or a sleep)
    absl::StatusOr<std::unique_ptr<KirimClient>> client = KirimClient::Connect(options);
    ASSERT_TRUE(client.ok()) << client.status();
    client_ = std::move(*client);
  }

  testing::RedisServer redis_;
  testing::KirimdProcess kirimd_;
  std::unique_ptr<KirimClient> client_;
};

TEST_F(KirimdTest, SentMessageIsDeliveredAndGetMessageSaysSo) {
  absl::StatusOr<v1::SendEmailResponse> sent = client_->SendEmail(Request());
  ASSERT_TRUE(sent.ok()) << sent.status();
  EXPECT_FALSE(sent->deduplicated());

  ASSERT_TRUE(kirimd_.WaitForEvent("delivered", sent->id()).ok());
  absl::StatusOr<v1::Message> message = client_->GetMessage(sent->id());

  ASSERT_TRUE(message.ok()) << message.status();
  EXPECT_EQ(message->state(), v1::DELIVERED) << message->DebugString();
  EXPECT_EQ(message->name(), sent->name());
}

TEST_F(KirimdTest, ResendingWithTheSameKeyIsDeduplicated) {
  v1::SendEmailRequest request = Request();
  request.set_idempotency_key("client-test-order-42");
  absl::StatusOr<v1::SendEmailResponse> first = client_->SendEmail(request);
  absl::StatusOr<v1::SendEmailResponse> again = client_->SendEmail(request);

  ASSERT_TRUE(first.ok()) << first.status();
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(again->id(), first->id());
  EXPECT_TRUE(again->deduplicated());
}

TEST_F(KirimdTest, InvalidRequestsBadRequestIsDecoded) {
  v1::SendEmailRequest empty;

  absl::StatusOr<v1::SendEmailResponse> sent = client_->SendEmail(empty);

  EXPECT_EQ(sent.status().code(), absl::StatusCode::kInvalidArgument) << sent.status();
  std::vector<std::string> fields;
  for (const auto& v : DetailsOf(sent.status()).field_violations) {
    fields.push_back(v.field);
    EXPECT_FALSE(v.description.empty()) << v.field;
  }
  EXPECT_THAT(fields, ElementsAre("from", "to", "text_body"));
}

TEST_F(KirimdTest, WrongKeyIsUnauthenticatedAndNotRetried) {
  ClientOptions options = client_->options();
  options.api_key = "kirim_not_a_key";
  options.max_attempts = 5;
  std::vector<absl::Duration> waits;
  auto channel = grpc::CreateChannel(options.address, grpc::InsecureChannelCredentials());
  KirimClient client(v1::MailService::NewStub(channel), nullptr, nullptr, options,
                     [&](absl::Duration d) { waits.push_back(d); });

  EXPECT_EQ(client.SendEmail(Request()).status().code(), absl::StatusCode::kUnauthenticated);
  EXPECT_TRUE(waits.empty());
}

}  // namespace
}  // namespace kirim::client
