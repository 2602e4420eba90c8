#include "tests/harness/kirimd_process.h"

#include <fstream>

#include "absl/strings/escaping.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"
#include "gtest/gtest.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "server/auth/api_key_format.h"
#include "server/common/random.h"
#include "server/common/status_macros.h"

namespace kirim::testing {

absl::Status KirimdProcess::Start(const std::string& config_text,
                                  const std::map<std::string, std::string>& given_env) {
  if (dir_.empty()) dir_ = MakeTempDir("kirimd");
  std::map<std::string, std::string> env = given_env;
  if (auto it = env.find("KIRIM_ADMIN_KEY"); it != env.end()) {
    admin_key_ = it->second;
  } else {
    if (admin_key_.empty()) {
      SecureRandom random;
      admin_key_ = GenerateApiKeyString(random);
    }
    env["KIRIM_ADMIN_KEY"] = admin_key_;
  }
  // A key-encryption key of its own, so sending domains work (one per instance, kept across
  // restarts of the same instance).
  if (auto it = env.find("KIRIM_KEY_ENCRYPTION_KEY"); it != env.end()) {
    kek_ = it->second;
  } else {
    if (kek_.empty()) {
      SecureRandom random;
      kek_ = absl::Base64Escape(random.Bytes(32));
    }
    env["KIRIM_KEY_ENCRYPTION_KEY"] = kek_;
  }
  // Most end-to-end tests send From example.com without registering it: the send policy is
  // off unless the test chooses one (tests/e2e/domains_e2e_test.cc tests it).
  if (!env.count("KIRIM_SEND_POLICY") && !absl::StrContains(config_text, "send_policy")) {
    env["KIRIM_SEND_POLICY"] = "off";
  }
  const std::string config_path = dir_ + "/kirim.textproto";
  std::ofstream(config_path) << "listen_address: \"127.0.0.1:0\"\n"
                              << (absl::StrContains(config_text, "http_listen_address")
                                      ? ""
                                      : "http_listen_address: \"127.0.0.1:0\"\n")
                              << config_text << "\n";
  log_checked_ = 0;
  KIRIM_RETURN_IF_ERROR(process_.Start(
      {Runfile("server/kirimd/kirimd"), "--config=" + config_path, "--log_level=debug"}, env));
  KIRIM_ASSIGN_OR_RETURN(std::string line, process_.WaitForOutput("\"event\":\"serving\"", absl::Seconds(30)));
  // ... "address":"127.0.0.1:40123" ...
  size_t at = line.find("\"address\":\"");
  size_t colon = line.find(':', line.find("127.0.0.1", at));
  size_t end = line.find('"', colon);
  if (at == std::string::npos || !absl::SimpleAtoi(line.substr(colon + 1, end - colon - 1), &port_)) {
    return absl::InternalError("cannot read the port from: " + line);
  }
  // ... "http":"127.0.0.1:40125" ... "health":"127.0.0.1:40127" ... (or "off")
  auto port_of = [&line](const std::string& field) {
    int port = 0;
    const std::string key = "\"" + field + "\":\"127.0.0.1:";
    if (size_t h = line.find(key); h != std::string::npos) {
      h += key.size();
      absl::SimpleAtoi(line.substr(h, line.find('"', h) - h), &port);
    }
    return port;
  };
  http_port_ = port_of("http");
  health_port_ = port_of("health");
  return absl::OkStatus();
}

int KirimdProcess::Stop() {
  const int status = process_.Stop();
  ExpectJsonLog();
  return status;
}

KirimdProcess::~KirimdProcess() {
  if (process_.running()) process_.Stop();
  ExpectJsonLog();
}

void KirimdProcess::ExpectJsonLog() {
  const std::vector<std::string> lines = process_.Lines();
  if (log_checked_ > lines.size()) log_checked_ = 0;
  for (size_t i = log_checked_; i < lines.size(); ++i) {
    google::protobuf::Struct object;
    const bool json =
        google::protobuf::util::JsonStringToMessage(lines[i], &object).ok();
    bool fields = json;
    for (const char* f : {"time", "level", "component", "event"}) {
      fields = fields && object.fields().count(f) == 1;
    }
    if (!fields) ADD_FAILURE() << "kirimd log line is not a JSON object with time, level, "
                                  "component and event: "
                               << lines[i];
    // The secrets this instance was given never appear (the admin key's secret part, the KEK).
    for (const std::string& secret :
         {admin_key_.size() > 23 ? admin_key_.substr(23) : admin_key_, kek_}) {
      if (!secret.empty() && absl::StrContains(lines[i], secret)) {
        ADD_FAILURE() << "a secret is in kirimd's log: " << lines[i];
      }
    }
  }
  log_checked_ = lines.size();
}

std::shared_ptr<grpc::Channel> KirimdProcess::Channel() {
  return grpc::CreateChannel(address(), grpc::InsecureChannelCredentials());
}

std::unique_ptr<v1::MailService::Stub> KirimdProcess::MailStub() {
  return v1::MailService::NewStub(Channel());
}

std::unique_ptr<grpc::health::v1::Health::Stub> KirimdProcess::HealthStub() {
  return grpc::health::v1::Health::NewStub(Channel());
}

std::unique_ptr<v1::AdminService::Stub> KirimdProcess::AdminStub() {
  return v1::AdminService::NewStub(Channel());
}

std::unique_ptr<v1::DomainService::Stub> KirimdProcess::DomainStub() {
  return v1::DomainService::NewStub(Channel());
}

void KirimdProcess::Authorize(grpc::ClientContext* ctx, const std::string& key) const {
  ctx->set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(10)));
  ctx->AddMetadata("authorization", "Bearer " + (key.empty() ? admin_key_ : key));
}

namespace {
absl::Status FromGrpc(const grpc::Status& s) {
  return absl::Status(static_cast<absl::StatusCode>(s.error_code()), s.error_message());
}
}  // namespace

absl::StatusOr<std::string> KirimdProcess::SendText(const std::vector<std::string>& to,
                                                    const std::string& key) {
  v1::SendEmailRequest r;
  r.set_from("shop@example.com");
  for (const auto& a : to) r.add_to(a);
  r.set_subject("test message");
  r.set_text_body("hello");
  grpc::ClientContext ctx;
  Authorize(&ctx, key);
  v1::SendEmailResponse resp;
  grpc::Status s = MailStub()->SendEmail(&ctx, r, &resp);
  if (!s.ok()) return FromGrpc(s);
  return resp.id();
}

absl::StatusOr<v1::Message> KirimdProcess::GetMessage(const std::string& id,
                                                      const std::string& key) {
  grpc::ClientContext ctx;
  Authorize(&ctx, key);
  v1::GetMessageRequest req;
  req.set_name("messages/" + id);
  v1::Message m;
  grpc::Status s = MailStub()->GetMessage(&ctx, req, &m);
  if (!s.ok()) return FromGrpc(s);
  return m;
}

absl::StatusOr<std::string> KirimdProcess::CreateKey(const std::string& tenant,
                                                     const std::vector<v1::ApiKey::Scope>& scopes) {
  grpc::ClientContext ctx;
  Authorize(&ctx);
  v1::CreateApiKeyRequest req;
  req.set_tenant(tenant);
  req.set_display_name("test key");
  for (auto s : scopes) req.add_scopes(s);
  v1::CreateApiKeyResponse resp;
  grpc::Status s = AdminStub()->CreateApiKey(&ctx, req, &resp);
  if (!s.ok()) return FromGrpc(s);
  return resp.secret();
}

absl::StatusOr<std::string> KirimdProcess::WaitForEvent(const std::string& event,
                                                        const std::string& id,
                                                        absl::Duration timeout, size_t from) {
  const std::string want_event = absl::StrCat("\"event\":\"", event, "\"");
  const std::string want_id = absl::StrCat("\"message_id\":\"", id, "\"");
  return process_.WaitForLine(
      [&](const std::string& l) {
        return absl::StrContains(l, want_event) && (id.empty() || absl::StrContains(l, want_id));
      },
      timeout, from);
}

}  // namespace kirim::testing
