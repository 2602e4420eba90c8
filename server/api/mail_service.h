// MailService: the gRPC face of MailApi (callback API). Each handler goes through RpcGuard
// (authenticate, authorize), calls MailApi, and converts the result with ToGrpcStatus.
#ifndef KIRIM_SERVER_API_MAIL_SERVICE_H_
#define KIRIM_SERVER_API_MAIL_SERVICE_H_

#include "kirim/v1/mail_service.grpc.pb.h"
#include "server/api/mail_api.h"
#include "server/api/rpc_guard.h"

namespace kirim {

class MailService final : public v1::MailService::CallbackService {
 public:
  MailService(MailApi& api, RpcGuard& guard) : api_(api), guard_(guard) {}

  grpc::ServerUnaryReactor* SendEmail(grpc::CallbackServerContext* context,
                                      const v1::SendEmailRequest* request,
                                      v1::SendEmailResponse* response) override;
  grpc::ServerUnaryReactor* GetMessage(grpc::CallbackServerContext* context,
                                       const v1::GetMessageRequest* request,
                                       v1::Message* response) override;
  // Guarded, not built yet.
  grpc::ServerUnaryReactor* SendBatch(grpc::CallbackServerContext* context,
                                      const v1::SendBatchRequest*, v1::SendBatchResponse*) override;
  grpc::ServerUnaryReactor* CancelMessage(grpc::CallbackServerContext* context,
                                          const v1::CancelMessageRequest*, v1::Message*) override;
  grpc::ServerUnaryReactor* PreviewEmail(grpc::CallbackServerContext* context,
                                         const v1::SendEmailRequest*,
                                         v1::PreviewEmailResponse*) override;
  grpc::ServerWriteReactor<v1::Event>* WatchEvents(grpc::CallbackServerContext* context,
                                                   const v1::WatchEventsRequest*) override;

 private:
  static std::string Method(absl::string_view name) {
    return FullMethod(v1::MailService::service_full_name(), name);
  }
  MailApi& api_;
  RpcGuard& guard_;
};

}  // namespace kirim

#endif  // KIRIM_SERVER_API_MAIL_SERVICE_H_
