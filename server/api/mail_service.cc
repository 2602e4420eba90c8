#include "server/api/mail_service.h"

namespace kirim {

grpc::ServerUnaryReactor* MailService::SendEmail(grpc::CallbackServerContext* context,
                                                 const v1::SendEmailRequest* request,
                                                 v1::SendEmailResponse* response) {
  return ServeUnary(context, guard_, Method("SendEmail"), response,
                    [&](const Principal& p) { return api_.SendEmail(p, *request); });
}

grpc::ServerUnaryReactor* MailService::GetMessage(grpc::CallbackServerContext* context,
                                                  const v1::GetMessageRequest* request,
                                                  v1::Message* response) {
  return ServeUnary(context, guard_, Method("GetMessage"), response,
                    [&](const Principal& p) { return api_.GetMessage(p, *request); });
}

grpc::ServerUnaryReactor* MailService::SendBatch(grpc::CallbackServerContext* context,
                                                 const v1::SendBatchRequest*,
                                                 v1::SendBatchResponse*) {
  return Unimplemented(context, guard_, Method("SendBatch"));
}

grpc::ServerUnaryReactor* MailService::CancelMessage(grpc::CallbackServerContext* context,
                                                     const v1::CancelMessageRequest*, v1::Message*) {
  return Unimplemented(context, guard_, Method("CancelMessage"));
}

grpc::ServerUnaryReactor* MailService::PreviewEmail(grpc::CallbackServerContext* context,
                                                    const v1::SendEmailRequest*,
                                                    v1::PreviewEmailResponse*) {
  return Unimplemented(context, guard_, Method("PreviewEmail"));
}

grpc::ServerWriteReactor<v1::Event>* MailService::WatchEvents(grpc::CallbackServerContext* context,
                                                              const v1::WatchEventsRequest*) {
  absl::StatusOr<Principal> caller = guard_.Admit(context, Method("WatchEvents"));
  return new FinishedWriter<v1::Event>(ToGrpcStatus(
      caller.ok() ? absl::UnimplementedError("WatchEvents is not implemented yet") : caller.status()));
}

}  // namespace kirim
