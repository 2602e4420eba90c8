// MailService: the gRPC face of MailApi (callback API). Each handler authenticates, calls
// MailApi, and converts the result with ToGrpcStatus, the one place where absl::Status becomes
// a gRPC status. RPCs that later issues implement answer UNIMPLEMENTED (the generated default).
#ifndef KIRIM_SERVER_API_MAIL_SERVICE_H_
#define KIRIM_SERVER_API_MAIL_SERVICE_H_

#include "kirim/v1/mail_service.grpc.pb.h"
#include "server/api/mail_api.h"
#include "server/auth/authenticator.h"

namespace kirim {

class MailService final : public v1::MailService::CallbackService {
 public:
  MailService(MailApi& api, Authenticator& auth) : api_(api), auth_(auth) {}

  grpc::ServerUnaryReactor* SendEmail(grpc::CallbackServerContext* context,
                                      const v1::SendEmailRequest* request,
                                      v1::SendEmailResponse* response) override;
  grpc::ServerUnaryReactor* GetMessage(grpc::CallbackServerContext* context,
                                       const v1::GetMessageRequest* request,
                                       v1::Message* response) override;

 private:
  MailApi& api_;
  Authenticator& auth_;
};

}  // namespace kirim

#endif  // KIRIM_SERVER_API_MAIL_SERVICE_H_
