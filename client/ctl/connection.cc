#include "client/ctl/connection.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "client/ctl/files.h"

namespace kirim::ctl {
namespace {

// A file a setting names; the error says which setting.
absl::StatusOr<std::string> ReadSettingFile(absl::string_view setting, const std::string& path) {
  absl::StatusOr<std::string> content = ReadFile(path);
  if (!content.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(setting, ": ", content.status().message()));
  }
  return content;
}

absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> Credentials(const Settings& s) {
  if (!s.tls) return grpc::InsecureChannelCredentials();
  grpc::SslCredentialsOptions options;
  if (!s.ca_file.empty()) {
    absl::StatusOr<std::string> ca = ReadSettingFile("ca_file", s.ca_file);
    if (!ca.ok()) return ca.status();
    options.pem_root_certs = *std::move(ca);
  }
  if (!s.cert_file.empty()) {
    absl::StatusOr<std::string> cert = ReadSettingFile("cert_file", s.cert_file);
    if (!cert.ok()) return cert.status();
    absl::StatusOr<std::string> key = ReadSettingFile("key_file", s.key_file);
    if (!key.ok()) return key.status();
    options.pem_cert_chain = *std::move(cert);
    options.pem_private_key = *std::move(key);
  }
  return grpc::SslCredentials(options);
}

}  // namespace

absl::StatusOr<std::unique_ptr<Connection>> Connection::Open(const Settings& settings) {
  std::string api_key = settings.api_key;
  if (!settings.api_key_file.empty()) {
    absl::StatusOr<std::string> key = ReadSettingFile("api_key_file", settings.api_key_file);
    if (!key.ok()) return key.status();
    api_key = std::string(absl::StripAsciiWhitespace(*key));
  }
  absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> credentials = Credentials(settings);
  if (!credentials.ok()) return credentials.status();
  grpc::ChannelArguments args;
  if (!settings.server_name.empty()) args.SetSslTargetNameOverride(settings.server_name);
  std::shared_ptr<grpc::Channel> channel =
      grpc::CreateCustomChannel(settings.address, *credentials, args);
  return std::make_unique<Connection>(std::move(api_key), settings.timeout,
                                      v1::MailService::NewStub(channel),
                                      v1::AdminService::NewStub(channel),
                                      v1::DomainService::NewStub(channel));
}

Connection::Connection(std::string api_key, absl::Duration timeout,
                       std::unique_ptr<v1::MailService::StubInterface> mail,
                       std::unique_ptr<v1::AdminService::StubInterface> admin,
                       std::unique_ptr<v1::DomainService::StubInterface> domains)
    : api_key_(std::move(api_key)),
      timeout_(timeout),
      mail_(std::move(mail)),
      admin_(std::move(admin)),
      domains_(std::move(domains)) {}

void Connection::Prepare(grpc::ClientContext* ctx) const {
  ctx->set_deadline(absl::ToChronoTime(absl::Now() + timeout_));
  Authorize(ctx);
}

void Connection::Authorize(grpc::ClientContext* ctx) const {
  if (!api_key_.empty()) ctx->AddMetadata("authorization", "Bearer " + api_key_);
}

}  // namespace kirim::ctl
