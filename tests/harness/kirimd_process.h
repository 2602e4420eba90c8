// A real kirimd process for end-to-end tests: a config written to a temp file, the binary
// built by Bazel (a data dependency), listening on 127.0.0.1:0, ready once it logs
// "serving" (the actual port is read from that log line). Tests wait for delivery by reading
// kirimd's JSON log lines, never by sleeping.
//
// Each instance installs a fresh bootstrap admin key ($KIRIM_ADMIN_KEY) unless the caller
// passes one; Authorize() puts it on a call. Likewise a fresh DKIM key-encryption key
// ($KIRIM_KEY_ENCRYPTION_KEY). The send policy is off unless the test sets one (config
// domains.send_policy or $KIRIM_SEND_POLICY): most tests send From an unregistered domain.
//
//   KirimdProcess kirimd;
//   ASSERT_OK(kirimd.Start(absl::StrCat("redis { port: ", redis.port(), " }")));
//   auto stub = kirimd.MailStub();
//   grpc::ClientContext ctx; kirimd.Authorize(&ctx);
//   ... stub->SendEmail(&ctx, ...) ...
//   ASSERT_OK(kirimd.WaitForEvent("delivered", id));
#ifndef KIRIM_TESTS_HARNESS_KIRIMD_PROCESS_H_
#define KIRIM_TESTS_HARNESS_KIRIMD_PROCESS_H_

#include <map>
#include <memory>
#include <string>

#include "grpc/health/v1/health.grpc.pb.h"
#include "grpcpp/grpcpp.h"
#include "kirim/v1/admin_service.grpc.pb.h"
#include "kirim/v1/domain_service.grpc.pb.h"
#include "kirim/v1/mail_service.grpc.pb.h"
#include "tests/harness/subprocess.h"

namespace kirim::testing {

class KirimdProcess {
 public:
  // `config_text`: a kirim.config.v1.Config in text format; listen_address is set here.
  absl::Status Start(const std::string& config_text,
                     const std::map<std::string, std::string>& env = {});
  // Stops kirimd and checks its log (ExpectJsonLog).
  int Stop();
  ~KirimdProcess();
  // Fails the running test (ADD_FAILURE) for each line kirimd printed since the last check that
  // is not one JSON object with "time", "level", "component" and "event" (docs/operations.md),
  // or that holds the admin key's secret or the key-encryption key.
  void ExpectJsonLog();
  void Kill() { process_.Kill(); }

  int port() const { return port_; }
  // The HTTP port (GET /metrics): the harness starts kirimd with http_listen_address
  // 127.0.0.1:0 unless the config sets one.
  int http_port() const { return http_port_; }
  // The plaintext health-only port, when the config sets health_listen_address (else 0).
  int health_port() const { return health_port_; }
  std::string address() const { return "127.0.0.1:" + std::to_string(port_); }
  Subprocess& process() { return process_; }

  std::shared_ptr<grpc::Channel> Channel();
  std::unique_ptr<v1::MailService::Stub> MailStub();
  std::unique_ptr<grpc::health::v1::Health::Stub> HealthStub();
  std::unique_ptr<v1::AdminService::Stub> AdminStub();
  std::unique_ptr<v1::DomainService::Stub> DomainStub();

  // The bootstrap admin key this kirimd installed.
  const std::string& admin_key() const { return admin_key_; }
  // The DKIM key-encryption key this kirimd was given (base64).
  const std::string& key_encryption_key() const { return kek_; }
  // Adds "authorization: Bearer <key>" (the admin key by default) and a 10 s deadline.
  void Authorize(grpc::ClientContext* ctx, const std::string& key = "") const;
  // Sends a plain text message from shop@example.com to `to` (with the admin key unless `key`
  // is given); returns its id.
  absl::StatusOr<std::string> SendText(const std::vector<std::string>& to,
                                       const std::string& key = "");
  // GetMessage of `id`.
  absl::StatusOr<v1::Message> GetMessage(const std::string& id, const std::string& key = "");

  // Creates an API key through AdminService with the admin key; returns the secret.
  absl::StatusOr<std::string> CreateKey(const std::string& tenant,
                                        const std::vector<v1::ApiKey::Scope>& scopes);

  // Waits for a log line with "event":"<event>" (and "message_id":"<id>" when id is set)
  // printed since line `from`.
  absl::StatusOr<std::string> WaitForEvent(const std::string& event, const std::string& id = "",
                                           absl::Duration timeout = absl::Seconds(30),
                                           size_t from = 0);

  // The path of a file in the test's runfiles (binaries, scripts).
  static std::string Binary(const std::string& path) { return Runfile(path); }

 private:
  Subprocess process_;
  int port_ = 0;
  int http_port_ = 0;
  int health_port_ = 0;
  size_t log_checked_ = 0;
  std::string dir_;
  std::string admin_key_;
  std::string kek_;
};

}  // namespace kirim::testing

#endif  // KIRIM_TESTS_HARNESS_KIRIMD_PROCESS_H_
