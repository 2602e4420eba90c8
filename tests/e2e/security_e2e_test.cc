// Security end to end: every RPC of every kirim.v1 service, called through a generic stub
// driven by the proto descriptors (so a new RPC is covered automatically), refused correctly
// for no key, a malformed key, a revoked key, a key without the scope, and another tenant's
// resource; revocation seen at once by another replica; the per-address failure budget; and no
// secret in any log line of the run.
#include <functional>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/synchronization/notification.h"
#include "google/protobuf/descriptor.h"
#include "grpcpp/generic/generic_stub.h"
#include "gtest/gtest.h"
#include "kirim/v1/domain_service.pb.h"
#include "server/auth/access_policy.h"
#include "tests/e2e/e2e_util.h"
#include "tests/harness/kirimd_process.h"
#include "tests/harness/redis_server.h"
#include "tests/harness/smtp_peer.h"

namespace kirim {
namespace {

using google::protobuf::DescriptorPool;
using google::protobuf::MethodDescriptor;
using testing::KirimdProcess;
using testing::RedisServer;

constexpr char kRelayPassword[] = "relay-pw-Zq8!never-logged";
const char* const kServices[] = {"kirim.v1.MailService", "kirim.v1.DomainService",
                                 "kirim.v1.AdminService"};

struct CallResult {
  grpc::Status status;
  std::string response;  // serialized response bytes
};

// Calls `method` ("/pkg.Service/Method") with `request` bytes and an optional bearer key.
CallResult Call(grpc::GenericStub& stub, const std::string& method, const std::string& request,
                const std::string& authorization) {
  grpc::ClientContext ctx;
  testing::SetDeadline(&ctx);
  if (!authorization.empty()) ctx.AddMetadata("authorization", authorization);
  grpc::Slice slice(request);
  grpc::ByteBuffer req(&slice, 1), resp;
  absl::Notification done;
  CallResult result;
  stub.UnaryCall(&ctx, method, grpc::StubOptions(), &req, &resp, [&](grpc::Status s) {
    result.status = s;
    done.Notify();
  });
  done.WaitForNotification();
  std::vector<grpc::Slice> slices;
  if (result.status.ok() && resp.Dump(&slices).ok()) {
    for (const auto& s : slices) result.response.append(reinterpret_cast<const char*>(s.begin()), s.size());
  }
  return result;
}

std::vector<const MethodDescriptor*> AllMethods() {
  v1::SendEmailRequest::descriptor();  // make sure the kirim.v1 files are linked in
  v1::CreateDomainRequest::descriptor();
  v1::CreateApiKeyRequest::descriptor();
  std::vector<const MethodDescriptor*> out;
  for (const char* name : kServices) {
    const auto* service = DescriptorPool::generated_pool()->FindServiceByName(name);
    EXPECT_NE(service, nullptr) << name;
    if (service == nullptr) continue;
    for (int i = 0; i < service->method_count(); ++i) out.push_back(service->method(i));
  }
  return out;
}

std::string FullName(const MethodDescriptor* m) {
  return absl::StrCat("/", m->service()->full_name(), "/", m->name());
}

class SecurityE2eTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(redis_.Start().ok());
    ASSERT_TRUE(peer_.Start({.require_starttls = true, .auth = absl::StrCat("kirim:", kRelayPassword)}).ok());
    ASSERT_TRUE(kirimd_.Start(Config(100000), Env()).ok());
    stub_ = std::make_unique<grpc::GenericStub>(kirimd_.Channel());
  }

  std::string Config(int failures_per_minute) {
    return absl::StrCat(
        "redis { port: ", redis_.port(), " }\n",
        "security { auth_failures_per_minute: ", failures_per_minute, " }\n",
        "delivery { mode: RELAY poll_interval_ms: 200\n",
        "  relay { host: \"127.0.0.1\" port: ", peer_.port(), " ca_file: \"", peer_.ca_file(),
        "\" tls_server_name: \"mx.test\" username: \"kirim\" } }\n");
  }
  std::map<std::string, std::string> Env() { return {{"KIRIM_RELAY_PASSWORD", kRelayPassword}}; }

  std::string Key(const std::string& tenant, std::vector<v1::ApiKey::Scope> scopes) {
    auto key = kirimd_.CreateKey(tenant, scopes);
    EXPECT_TRUE(key.ok()) << key.status();
    created_secrets_.push_back(key.ok() ? *key : "");
    return key.ok() ? *key : "";
  }
  static std::string Bearer(const std::string& key) { return "Bearer " + key; }

  // Sends one message as `key`'s tenant and waits until it is delivered.
  std::string SendAs(const std::string& key) {
    v1::SendEmailRequest r;
    r.set_from("Tenant A <a@example.com>");
    r.add_to("someone@example.net");
    r.set_subject("private to tenant a");
    r.set_text_body("secret business");
    grpc::ClientContext ctx;
    kirimd_.Authorize(&ctx, key);
    v1::SendEmailResponse resp;
    grpc::Status s = kirimd_.MailStub()->SendEmail(&ctx, r, &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    EXPECT_TRUE(kirimd_.WaitForEvent("delivered", resp.id()).ok());
    return resp.id();
  }

  RedisServer redis_;
  testing::SmtpPeer peer_;
  KirimdProcess kirimd_;
  std::unique_ptr<grpc::GenericStub> stub_;
  std::vector<std::string> created_secrets_;
};

TEST_F(SecurityE2eTest, EveryRpcRefusesMissingMalformedRevokedAndUnscopedKeys) {
  const std::string tenant_admin = Key("tenant-a", {v1::ApiKey::ADMIN});
  const std::string revoked = Key("tenant-a", {v1::ApiKey::ADMIN});
  {
    grpc::ClientContext ctx;
    kirimd_.Authorize(&ctx, tenant_admin);  // keys are managed within their tenant
    v1::RevokeApiKeyRequest req;
    req.set_name("apiKeys/" + revoked.substr(6, 16));
    v1::ApiKey resp;
    ASSERT_TRUE(kirimd_.AdminStub()->RevokeApiKey(&ctx, req, &resp).ok());
  }
  // For each scope, a key with every other non-admin scope.
  std::map<v1::ApiKey::Scope, std::string> lacking;
  for (auto scope : {v1::ApiKey::SEND, v1::ApiKey::READ, v1::ApiKey::DOMAINS, v1::ApiKey::ADMIN}) {
    std::vector<v1::ApiKey::Scope> others;
    for (auto s : {v1::ApiKey::SEND, v1::ApiKey::READ, v1::ApiKey::DOMAINS}) {
      if (s != scope) others.push_back(s);
    }
    lacking[scope] = Key("tenant-a", others);
  }

  const auto methods = AllMethods();
  ASSERT_GE(methods.size(), 28u);
  for (const MethodDescriptor* m : methods) {
    const std::string name = FullName(m);
    auto scope = RequiredScope(name);
    ASSERT_TRUE(scope.ok()) << name << " has no access policy";
    struct Case {
      const char* what;
      std::string authorization;
      grpc::StatusCode want;
    } cases[] = {
        {"no key", "", grpc::StatusCode::UNAUTHENTICATED},
        {"not bearer", "Basic dXNlcjpwYXNz", grpc::StatusCode::UNAUTHENTICATED},
        {"malformed key", "Bearer kirim_123", grpc::StatusCode::UNAUTHENTICATED},
        {"revoked key", Bearer(revoked), grpc::StatusCode::UNAUTHENTICATED},
        {"wrong scope", Bearer(lacking[*scope]), grpc::StatusCode::PERMISSION_DENIED},
    };
    for (const Case& c : cases) {
      CallResult r = Call(*stub_, name, "", c.authorization);
      EXPECT_EQ(r.status.error_code(), c.want)
          << name << " with " << c.what << ": " << r.status.error_message();
      // Nothing beyond the refusal: no tenant, no key material.
      EXPECT_FALSE(absl::StrContains(r.status.error_message(), "tenant-a")) << name;
      EXPECT_FALSE(absl::StrContains(r.status.error_message(), revoked.substr(6))) << name;
    }
  }
}

TEST_F(SecurityE2eTest, AnotherTenantsResourcesAreNotFoundAndNeverListed) {
  const std::string a_key = Key("tenant-a", {v1::ApiKey::ADMIN});
  const std::string b_key = Key("tenant-b", {v1::ApiKey::ADMIN});
  const std::string a_message = SendAs(a_key);
  const std::string a_key_id = a_key.substr(6, 16);

  // Requests naming tenant A's resources, made with tenant B's all-powerful key, must be
  // answered exactly like requests naming resources that never existed: no existence leak.
  const std::string ghost_message = "01KB00000000000000000000ZZ";
  const std::string ghost_key_id = "ZZZZZZZZZZZZZZZZ";
  auto requests = [](const std::string& message, const std::string& key_id) {
    v1::GetMessageRequest get;
    get.set_name("messages/" + message);
    v1::CancelMessageRequest cancel;
    cancel.set_name("messages/" + message);
    v1::RevokeApiKeyRequest revoke;
    revoke.set_name("apiKeys/" + key_id);
    v1::RetryNowRequest retry;
    retry.set_message("messages/" + message);
    v1::WatchEventsRequest watch;
    watch.set_message("messages/" + message);
    return std::map<std::string, std::string>{
        {"/kirim.v1.MailService/GetMessage", get.SerializeAsString()},
        {"/kirim.v1.MailService/CancelMessage", cancel.SerializeAsString()},
        {"/kirim.v1.AdminService/RevokeApiKey", revoke.SerializeAsString()},
        {"/kirim.v1.AdminService/RetryNow", retry.SerializeAsString()},
        {"/kirim.v1.MailService/WatchEvents", watch.SerializeAsString()},
    };
  };
  const auto real = requests(a_message, a_key_id);
  const auto ghost = requests(ghost_message, ghost_key_id);
  EXPECT_EQ(Call(*stub_, "/kirim.v1.MailService/GetMessage", real.at("/kirim.v1.MailService/GetMessage"),
                 Bearer(b_key)).status.error_code(),
            grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(Call(*stub_, "/kirim.v1.AdminService/RevokeApiKey", real.at("/kirim.v1.AdminService/RevokeApiKey"),
                 Bearer(b_key)).status.error_code(),
            grpc::StatusCode::NOT_FOUND);
  for (const MethodDescriptor* m : AllMethods()) {
    const std::string name = FullName(m);
    const bool targeted = real.count(name) > 0;
    CallResult r = Call(*stub_, name, targeted ? real.at(name) : "", Bearer(b_key));
    if (targeted) {
      CallResult g = Call(*stub_, name, ghost.at(name), Bearer(b_key));
      std::string masked = r.status.error_message();
      for (auto [from, to] : {std::pair{a_message, ghost_message}, std::pair{a_key_id, ghost_key_id}}) {
        for (size_t at; (at = masked.find(from)) != std::string::npos;) masked.replace(at, from.size(), to);
      }
      EXPECT_EQ(r.status.error_code(), g.status.error_code()) << name;
      EXPECT_EQ(masked, g.status.error_message()) << name;
      EXPECT_EQ(r.response, g.response) << name;
    }
    // Whatever the answer, tenant A's data never appears in it.
    for (const std::string& secret : {std::string("tenant-a"), std::string("private to tenant a"),
                                      std::string("a@example.com")}) {
      EXPECT_FALSE(absl::StrContains(r.status.error_message(), secret)) << name;
      EXPECT_FALSE(absl::StrContains(r.response, secret)) << name << " leaked " << secret;
    }
    if (!targeted) {
      EXPECT_FALSE(absl::StrContains(r.response, a_message)) << name;
      EXPECT_FALSE(absl::StrContains(r.response, a_key_id)) << name;
    }
  }
  // Tenant A still sees its own.
  CallResult mine = Call(*stub_, "/kirim.v1.MailService/GetMessage", real.at("/kirim.v1.MailService/GetMessage"), Bearer(a_key));
  EXPECT_TRUE(mine.status.ok()) << mine.status.error_message();
  EXPECT_TRUE(absl::StrContains(mine.response, a_message));
}

TEST_F(SecurityE2eTest, RevocationTakesEffectAtOnceOnEveryReplica) {
  KirimdProcess second;
  ASSERT_TRUE(second.Start(Config(100000), {{"KIRIM_RELAY_PASSWORD", kRelayPassword},
                                            {"KIRIM_ADMIN_KEY", kirimd_.admin_key()}})
                  .ok());
  const std::string tenant_admin = Key("tenant-a", {v1::ApiKey::ADMIN});
  const std::string key = Key("tenant-a", {v1::ApiKey::READ});
  grpc::GenericStub second_stub(second.Channel());
  const std::string method = "/kirim.v1.AdminService/GetQuota";
  ASSERT_TRUE(Call(second_stub, method, "", Bearer(key)).status.ok());

  grpc::ClientContext ctx;
  kirimd_.Authorize(&ctx, tenant_admin);
  v1::RevokeApiKeyRequest req;
  req.set_name("apiKeys/" + key.substr(6, 16));
  v1::ApiKey resp;
  ASSERT_TRUE(kirimd_.AdminStub()->RevokeApiKey(&ctx, req, &resp).ok());
  EXPECT_TRUE(resp.has_revoke_time());
  // The very next call on the other replica is refused.
  EXPECT_EQ(Call(second_stub, method, "", Bearer(key)).status.error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
}

TEST_F(SecurityE2eTest, RepeatedFailuresFromOneAddressAreRefusedOutright) {
  KirimdProcess strict;
  ASSERT_TRUE(strict.Start(Config(5), Env()).ok());
  grpc::GenericStub stub(strict.Channel());
  const std::string method = "/kirim.v1.AdminService/GetQuota";
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(Call(stub, method, "", "Bearer kirim_guess").status.error_code(),
              grpc::StatusCode::UNAUTHENTICATED);
  }
  CallResult blocked = Call(stub, method, "", Bearer(strict.admin_key()));
  EXPECT_EQ(blocked.status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED)
      << "even a valid key is not checked once the address is over its budget";
  google::rpc::Status details;
  ASSERT_TRUE(details.ParseFromString(blocked.status.error_details()));
  google::rpc::RetryInfo retry;
  ASSERT_TRUE(details.details_size() == 1 && details.details(0).UnpackTo(&retry));
  EXPECT_GT(retry.retry_delay().seconds() + retry.retry_delay().nanos(), 0);
  EXPECT_LE(retry.retry_delay().seconds(), 60);
  // Health and reflection stay open.
  auto health = strict.HealthStub();
  EXPECT_TRUE(testing::WaitForHealth(*health, "", grpc::health::v1::HealthCheckResponse::SERVING));
}

TEST_F(SecurityE2eTest, NoSecretEverAppearsInTheLogs) {
  // A run that touches every secret: the admin key, created keys, relay AUTH (right and wrong),
  // failed authentications with real-looking keys, revocation, DKIM keys generated and sealed.
  const std::string key = Key("tenant-a", {v1::ApiKey::SEND, v1::ApiKey::READ});
  SendAs(key);
  {
    v1::CreateDomainRequest req;
    req.set_domain("example.com");
    grpc::ClientContext ctx;
    kirimd_.Authorize(&ctx);
    v1::Domain d;
    ASSERT_TRUE(kirimd_.DomainStub()->CreateDomain(&ctx, req, &d).ok());
  }
  Call(*stub_, "/kirim.v1.MailService/GetMessage", "", "Bearer " + key + "x");
  Call(*stub_, "/kirim.v1.MailService/GetMessage", "", "Bearer " + kirimd_.admin_key().substr(0, 40));
  KirimdProcess wrong_relay;
  ASSERT_TRUE(wrong_relay.Start(Config(100000), {{"KIRIM_RELAY_PASSWORD", "wrong-Pw-also-secret"},
                                                 {"KIRIM_ADMIN_KEY", kirimd_.admin_key()}})
                  .ok());
  {
    v1::SendEmailRequest r;
    r.set_from("a@example.com");
    r.add_to("b@example.net");
    r.set_text_body("x");
    grpc::ClientContext ctx;
    wrong_relay.Authorize(&ctx, key);
    v1::SendEmailResponse resp;
    ASSERT_TRUE(wrong_relay.MailStub()->SendEmail(&ctx, r, &resp).ok());
    // Either process may deliver it; both use the relay, one with the wrong password.
  }
  kirimd_.Stop();
  wrong_relay.Stop();

  std::vector<std::string> secrets = created_secrets_;
  secrets.push_back(kirimd_.admin_key());
  secrets.push_back(kirimd_.key_encryption_key());
  secrets.push_back("PRIVATE KEY");
  secrets.push_back(kRelayPassword);
  secrets.push_back("wrong-Pw-also-secret");
  for (const std::string& k : created_secrets_) secrets.push_back(k.substr(23));  // the secret part
  std::vector<std::string> lines = kirimd_.process().Lines();
  for (const auto& l : wrong_relay.process().Lines()) lines.push_back(l);
  ASSERT_GT(lines.size(), 10u);
  for (const std::string& line : lines) {
    for (const std::string& secret : secrets) {
      ASSERT_FALSE(secret.empty());
      EXPECT_FALSE(absl::StrContains(line, secret)) << "secret in log line: " << line;
    }
    EXPECT_FALSE(absl::StrContains(line, "secret business")) << "message body in log: " << line;
  }
}

}  // namespace
}  // namespace kirim
