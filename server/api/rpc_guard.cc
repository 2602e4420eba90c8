#include "server/api/rpc_guard.h"

#include "server/common/status_macros.h"

namespace kirim {

absl::StatusOr<Principal> RpcGuard::Admit(grpc::CallbackServerContext* context,
                                          absl::string_view full_method) {
  KIRIM_ASSIGN_OR_RETURN(Principal p, auth_.Authenticate(context->client_metadata(), context->peer()));
  KIRIM_RETURN_IF_ERROR(Authorize(p, full_method));
  return p;
}


}  // namespace kirim
