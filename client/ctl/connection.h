// Connection: the channel to kirimd built from Settings (plaintext, TLS or mTLS), the API key,
// and the one way commands prepare a call: a deadline of settings.timeout and the key as
// "authorization: Bearer <key>". Stubs are the generated StubInterfaces, so a test can put a
// mock in their place.
//
//   absl::StatusOr<std::unique_ptr<Connection>> c = Connection::Open(settings);
//   grpc::ClientContext ctx;
//   (*c)->Prepare(&ctx);
//   grpc::Status s = (*c)->mail().GetMessage(&ctx, request, &message);
#ifndef KIRIM_CLIENT_CTL_CONNECTION_H_
#define KIRIM_CLIENT_CTL_CONNECTION_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "client/ctl/settings.h"
#include "grpcpp/grpcpp.h"
#include "kirim/v1/admin_service.grpc.pb.h"
#include "kirim/v1/domain_service.grpc.pb.h"
#include "kirim/v1/mail_service.grpc.pb.h"

namespace kirim::ctl {

class Connection {
 public:
  // Reads the API key file and the TLS files named by `settings` (InvalidArgument naming the
  // file when one cannot be read) and creates the channel. Nothing is dialled yet: the first
  // call connects.
  static absl::StatusOr<std::unique_ptr<Connection>> Open(const Settings& settings);

  // For tests: stubs given from outside (mocks), the channel left null.
  Connection(std::string api_key, absl::Duration timeout,
             std::unique_ptr<v1::MailService::StubInterface> mail,
             std::unique_ptr<v1::AdminService::StubInterface> admin,
             std::unique_ptr<v1::DomainService::StubInterface> domains);

  // A unary call: a deadline `timeout` from now, and the API key.
  void Prepare(grpc::ClientContext* ctx) const;
  // A stream: the API key only. Its caller bounds the wait for the response headers itself.
  void Authorize(grpc::ClientContext* ctx) const;
  absl::Duration timeout() const { return timeout_; }

  v1::MailService::StubInterface& mail() { return *mail_; }
  v1::AdminService::StubInterface& admin() { return *admin_; }
  v1::DomainService::StubInterface& domains() { return *domains_; }

 private:
  std::string api_key_;
  absl::Duration timeout_;
  std::unique_ptr<v1::MailService::StubInterface> mail_;
  std::unique_ptr<v1::AdminService::StubInterface> admin_;
  std::unique_ptr<v1::DomainService::StubInterface> domains_;
};

}  // namespace kirim::ctl

#endif  // KIRIM_CLIENT_CTL_CONNECTION_H_
