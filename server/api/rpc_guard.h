// RpcGuard: the prologue every kirim.v1 RPC runs before its handler: authenticate the caller
// (API key), then authorize the method against the access policy. Handlers never see an
// unauthenticated call.
//
//   grpc::ServerUnaryReactor* SendEmail(ctx, req, resp) override {
//     return ServeUnary(ctx, guard_, Method("SendEmail"), resp,
//                       [&](const Principal& p) { return api_.SendEmail(p, *req); });
//   }
#ifndef KIRIM_SERVER_API_RPC_GUARD_H_
#define KIRIM_SERVER_API_RPC_GUARD_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "grpcpp/support/server_callback.h"
#include "grpcpp/server_context.h"
#include "server/api/api_status.h"
#include "server/auth/access_policy.h"
#include "server/auth/authenticator.h"

namespace kirim {

class RpcGuard {
 public:
  explicit RpcGuard(Authenticator& auth) : auth_(auth) {}

  // The caller, if it may call `full_method`.
  absl::StatusOr<Principal> Admit(grpc::CallbackServerContext* context,
                                  absl::string_view full_method);

 private:
  Authenticator& auth_;
};

// "/kirim.v1.MailService/SendEmail".
inline std::string FullMethod(absl::string_view service, absl::string_view method) {
  return absl::StrCat("/", service, "/", method);
}

// Admits the call, runs `call(principal)` and finishes the RPC with its value or status.
template <typename Response, typename Call>
grpc::ServerUnaryReactor* ServeUnary(grpc::CallbackServerContext* context, RpcGuard& guard,
                                     absl::string_view full_method, Response* response, Call call) {
  auto* reactor = context->DefaultReactor();
  absl::StatusOr<Principal> caller = guard.Admit(context, full_method);
  if (!caller.ok()) {
    reactor->Finish(ToGrpcStatus(caller.status()));
    return reactor;
  }
  absl::StatusOr<Response> result = call(*caller);
  if (result.ok()) *response = std::move(*result);
  reactor->Finish(ToGrpcStatus(result.status()));
  return reactor;
}

// A server-streaming reactor that finishes at once with `status` (for refusals and for
// streaming RPCs not built yet).
template <typename Message>
class FinishedWriter final : public grpc::ServerWriteReactor<Message> {
 public:
  explicit FinishedWriter(const grpc::Status& status) { this->Finish(status); }
  void OnDone() override { delete this; }
};

}  // namespace kirim

// Declares a unary handler, inside a CallbackService subclass with `guard_` and `api_` members and
// a static `Method(name)`, that admits the call and answers with api_.Name(principal, request).
#define KIRIM_GUARDED_RPC(Name, Request, Response)                                           \
  grpc::ServerUnaryReactor* Name(grpc::CallbackServerContext* context, const Request* request, \
                                 Response* response) override {                             \
    return ::kirim::ServeUnary(context, guard_, Method(#Name), response,                     \
                               [&](const ::kirim::Principal& p) { return api_.Name(p, *request); }); \
  }


#endif  // KIRIM_SERVER_API_RPC_GUARD_H_
