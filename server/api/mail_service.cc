#include "server/api/mail_service.h"

#include "server/api/api_status.h"

namespace kirim {
namespace {

// Authenticates, runs `call`, copies its value into `response` and finishes the RPC.
// MailApi blocks on one Redis round trip at most (bounded by the command timeout).
template <typename Response, typename Call>
grpc::ServerUnaryReactor* Serve(grpc::CallbackServerContext* context, Authenticator& auth,
                                Response* response, Call call) {
  auto* reactor = context->DefaultReactor();
  absl::StatusOr<Principal> caller = auth.Authenticate(context->client_metadata());
  if (!caller.ok()) {
    reactor->Finish(ToGrpcStatus(caller.status()));
    return reactor;
  }
  absl::StatusOr<Response> result = call(*caller);
  if (result.ok()) *response = std::move(*result);
  reactor->Finish(ToGrpcStatus(result.status()));
  return reactor;
}

}  // namespace

grpc::ServerUnaryReactor* MailService::SendEmail(grpc::CallbackServerContext* context,
                                                 const v1::SendEmailRequest* request,
                                                 v1::SendEmailResponse* response) {
  return Serve(context, auth_, response,
               [&](const Principal& p) { return api_.SendEmail(p, *request); });
}

grpc::ServerUnaryReactor* MailService::GetMessage(grpc::CallbackServerContext* context,
                                                  const v1::GetMessageRequest* request,
                                                  v1::Message* response) {
  return Serve(context, auth_, response,
               [&](const Principal& p) { return api_.GetMessage(p, *request); });
}

}  // namespace kirim
