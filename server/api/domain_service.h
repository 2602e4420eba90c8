// DomainService: the gRPC face of DomainApi (sending domains, DKIM keys, SPF/DKIM/DMARC
// records). Every RPC is guarded (API key, DOMAINS scope) before DomainApi sees it.
#ifndef KIRIM_SERVER_API_DOMAIN_SERVICE_H_
#define KIRIM_SERVER_API_DOMAIN_SERVICE_H_

#include "kirim/v1/domain_service.grpc.pb.h"
#include "server/api/domain_api.h"
#include "server/api/rpc_guard.h"

namespace kirim {

class DomainService final : public v1::DomainService::CallbackService {
 public:
  DomainService(DomainApi& api, RpcGuard& guard) : api_(api), guard_(guard) {}

  KIRIM_GUARDED_RPC(CreateDomain, v1::CreateDomainRequest, v1::Domain)
  KIRIM_GUARDED_RPC(GetDomain, v1::GetDomainRequest, v1::Domain)
  KIRIM_GUARDED_RPC(ListDomains, v1::ListDomainsRequest, v1::ListDomainsResponse)
  KIRIM_GUARDED_RPC(DeleteDomain, v1::DeleteDomainRequest, v1::DeleteDomainResponse)
  KIRIM_GUARDED_RPC(VerifyDomain, v1::VerifyDomainRequest, v1::Domain)
  KIRIM_GUARDED_RPC(RotateDkimKey, v1::RotateDkimKeyRequest, v1::Domain)

 private:
  static std::string Method(absl::string_view name) {
    return FullMethod(v1::DomainService::service_full_name(), name);
  }
  DomainApi& api_;
  RpcGuard& guard_;
};

}  // namespace kirim

#endif  // KIRIM_SERVER_API_DOMAIN_SERVICE_H_
