// DomainService: sending-domain authentication config (issue 5). Every RPC is guarded now, so
// the access table is complete; each answers UNIMPLEMENTED to callers allowed to call it.
#ifndef KIRIM_SERVER_API_DOMAIN_SERVICE_H_
#define KIRIM_SERVER_API_DOMAIN_SERVICE_H_

#include "kirim/v1/domain_service.grpc.pb.h"
#include "server/api/rpc_guard.h"

namespace kirim {

class DomainService final : public v1::DomainService::CallbackService {
 public:
  explicit DomainService(RpcGuard& guard) : guard_(guard) {}

  KIRIM_GUARDED_UNIMPLEMENTED(CreateDomain, v1::CreateDomainRequest, v1::Domain)
  KIRIM_GUARDED_UNIMPLEMENTED(GetDomain, v1::GetDomainRequest, v1::Domain)
  KIRIM_GUARDED_UNIMPLEMENTED(ListDomains, v1::ListDomainsRequest, v1::ListDomainsResponse)
  KIRIM_GUARDED_UNIMPLEMENTED(DeleteDomain, v1::DeleteDomainRequest, v1::DeleteDomainResponse)
  KIRIM_GUARDED_UNIMPLEMENTED(VerifyDomain, v1::VerifyDomainRequest, v1::Domain)
  KIRIM_GUARDED_UNIMPLEMENTED(RotateDkimKey, v1::RotateDkimKeyRequest, v1::Domain)

 private:
  static std::string Method(absl::string_view name) {
    return FullMethod(v1::DomainService::service_full_name(), name);
  }
  RpcGuard& guard_;
};

}  // namespace kirim

#endif  // KIRIM_SERVER_API_DOMAIN_SERVICE_H_
