// AdminApi: the AdminService operations built so far — API keys and the sending quota — free
// of gRPC. Keys are tenant-scoped: an ADMIN key manages its own tenant's keys; only a key of the
// operator tenant (security.admin_tenant) may create keys for other tenants.
//
//   AdminApi admin(keys, limiter, limits, logger, {.operator_tenant = "default"});
//   absl::StatusOr<v1::CreateApiKeyResponse> r = admin.CreateApiKey(principal, request);
#ifndef KIRIM_SERVER_API_ADMIN_API_H_
#define KIRIM_SERVER_API_ADMIN_API_H_

#include <string>

#include "absl/status/statusor.h"
#include "kirim/v1/admin_service.pb.h"
#include "server/api/limits_table.h"
#include "server/auth/api_key_store.h"
#include "server/auth/authenticator.h"
#include "server/common/clock.h"
#include "server/common/logger.h"
#include "server/limits/send_limiter.h"

namespace kirim {

struct AdminApiOptions {
  // The tenant whose ADMIN keys may act on other tenants (the operator's).
  std::string operator_tenant = "default";
};

class AdminApi {
 public:
  AdminApi(ApiKeyStore& keys, SendLimiter& limiter, const LimitsTable& limits, const Clock& clock,
           Logger& logger, AdminApiOptions options);

  // The secret is in the response once and nowhere else (never logged, never stored).
  absl::StatusOr<v1::CreateApiKeyResponse> CreateApiKey(const Principal& caller,
                                                        const v1::CreateApiKeyRequest& request);
  absl::StatusOr<v1::ListApiKeysResponse> ListApiKeys(const Principal& caller,
                                                      const v1::ListApiKeysRequest& request);
  absl::StatusOr<v1::ApiKey> RevokeApiKey(const Principal& caller,
                                          const v1::RevokeApiKeyRequest& request);
  absl::StatusOr<v1::Quota> GetQuota(const Principal& caller, const v1::GetQuotaRequest& request);

 private:
  ApiKeyStore& keys_;
  SendLimiter& limiter_;
  const LimitsTable& limits_;
  const Clock& clock_;
  Logger& logger_;
  const AdminApiOptions options_;
};

}  // namespace kirim

#endif  // KIRIM_SERVER_API_ADMIN_API_H_
