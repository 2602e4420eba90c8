#include "server/api/mail_service.h"

#include <memory>

namespace kirim {

grpc::ServerUnaryReactor* MailService::SendEmail(grpc::CallbackServerContext* context,
                                                 const v1::SendEmailRequest* request,
                                                 v1::SendEmailResponse* response) {
  // ServeUnary, plus counting the calls the guard refuses (they never reach MailApi).
  auto* reactor = context->DefaultReactor();
  absl::StatusOr<Principal> caller = guard_.Admit(context, Method("SendEmail"));
  if (!caller.ok()) {
    api_.CountUnadmitted(caller.status());
    reactor->Finish(ToGrpcStatus(caller.status()));
    return reactor;
  }
  absl::StatusOr<v1::SendEmailResponse> result = api_.SendEmail(*caller, *request);
  if (result.ok()) *response = std::move(*result);
  reactor->Finish(ToGrpcStatus(result.status()));
  return reactor;
}

grpc::ServerUnaryReactor* MailService::GetMessage(grpc::CallbackServerContext* context,
                                                  const v1::GetMessageRequest* request,
                                                  v1::Message* response) {
  return ServeUnary(context, guard_, Method("GetMessage"), response,
                    [&](const Principal& p) { return api_.GetMessage(p, *request); });
}

grpc::ServerUnaryReactor* MailService::CancelMessage(grpc::CallbackServerContext* context,
                                                     const v1::CancelMessageRequest* request,
                                                     v1::Message* response) {
  return ServeUnary(context, guard_, Method("CancelMessage"), response,
                    [&](const Principal& p) { return api_.CancelMessage(p, *request); });
}

grpc::ServerWriteReactor<v1::Event>* MailService::WatchEvents(
    grpc::CallbackServerContext* context, const v1::WatchEventsRequest* request) {
  absl::StatusOr<Principal> caller = guard_.Admit(context, Method("WatchEvents"));
  if (!caller.ok()) return new FinishedWriter<v1::Event>(ToGrpcStatus(caller.status()));
  absl::StatusOr<EventWatch> watch = api_.StartWatch(*caller, *request);
  if (!watch.ok()) return new FinishedWriter<v1::Event>(ToGrpcStatus(watch.status()));
  // Only the stream's reader thread touches the watch after this.
  auto state = std::make_shared<EventWatch>(std::move(*watch));
  MailApi* api = &api_;
  return streams_.Open(caller->tenant, [api, state](int max, absl::Duration block) {
    return api->NextEvents(*state, max, block);
  });
}

grpc::ServerUnaryReactor* MailService::SendBatch(grpc::CallbackServerContext* context,
                                                 const v1::SendBatchRequest* request,
                                                 v1::SendBatchResponse* response) {
  return ServeUnary(context, guard_, Method("SendBatch"), response,
                    [&](const Principal& p) { return api_.SendBatch(p, *request); });
}

grpc::ServerUnaryReactor* MailService::PreviewEmail(grpc::CallbackServerContext* context,
                                                    const v1::SendEmailRequest* request,
                                                    v1::PreviewEmailResponse* response) {
  return ServeUnary(context, guard_, Method("PreviewEmail"), response,
                    [&](const Principal& p) { return api_.PreviewEmail(p, *request); });
}

}  // namespace kirim
