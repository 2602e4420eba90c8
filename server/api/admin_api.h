// AdminApi: the AdminService operations built so far — API keys, the sending quota and the
// suppression list — free of gRPC. Keys are tenant-scoped: an ADMIN key manages its own tenant's
// keys; only a key of the operator tenant (security.admin_tenant) may create keys for other
// tenants. The suppression list is the caller's tenant's only, for every caller.
//
//   AdminApi admin(keys, suppressions, limiter, limits, clock, logger, {.operator_tenant = "ops"});
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
#include "server/queue/queue_controls.h"
#include "server/queue/queue_stats.h"
#include "server/templates/template_store.h"
#include "server/suppression/suppression_store.h"

namespace kirim {

struct AdminApiOptions {
  // The tenant whose ADMIN keys may act on other tenants (the operator's).
  std::string operator_tenant = "default";
  // GetMetrics: how many destination domains the operator's view lists.
  size_t top_destinations = 20;
  // Stored templates (may be null: the template RPCs answer UNIMPLEMENTED).
  TemplateStore* templates = nullptr;
};

class AdminApi {
 public:
  // `controls` (may be null: the queue-control RPCs then answer UNIMPLEMENTED).
  AdminApi(ApiKeyStore& keys, SuppressionStore& suppressions, SendLimiter& limiter,
           const LimitsTable& limits, const Clock& clock, Logger& logger, AdminApiOptions options,
           QueueControls* controls = nullptr, QueueStats* stats = nullptr);

  // Cluster-wide figures (Redis), for the caller's tenant; the operator tenant's ADMIN keys get
  // every tenant summed plus the shared queue's depth per lane and the destinations with the
  // most deferred recipients (queue_by_destination: `scheduled` = recipients waiting for a
  // retry). Latency summaries come from histogram buckets, interpolated like
  // histogram_quantile. UNIMPLEMENTED when `stats` is null.
  absl::StatusOr<v1::Metrics> GetMetrics(const Principal& caller,
                                         const v1::GetMetricsRequest& request);

  // Queue controls, for the caller's tenant: names are "destinations/{domain}".
  absl::StatusOr<v1::Destination> PauseDestination(const Principal& caller,
                                                   const v1::PauseDestinationRequest& request);
  absl::StatusOr<v1::Destination> ResumeDestination(const Principal& caller,
                                                    const v1::ResumeDestinationRequest& request);
  absl::StatusOr<v1::ListDestinationsResponse> ListDestinations(
      const Principal& caller, const v1::ListDestinationsRequest& request);
  absl::StatusOr<v1::RetryNowResponse> RetryNow(const Principal& caller,
                                                const v1::RetryNowRequest& request);

  // Templates of the caller's tenant, named "templates/{template_id}". CreateTemplate compiles
  // the template first (INVALID_ARGUMENT naming the part and position of a syntax error);
  // ALREADY_EXISTS for an id in use (delete it first to replace it).
  absl::StatusOr<v1::Template> CreateTemplate(const Principal& caller,
                                              const v1::CreateTemplateRequest& request);
  absl::StatusOr<v1::Template> GetTemplate(const Principal& caller,
                                           const v1::GetTemplateRequest& request);
  absl::StatusOr<v1::ListTemplatesResponse> ListTemplates(const Principal& caller,
                                                          const v1::ListTemplatesRequest& request);
  absl::StatusOr<v1::DeleteTemplateResponse> DeleteTemplate(
      const Principal& caller, const v1::DeleteTemplateRequest& request);

  // The secret is in the response once and nowhere else (never logged, never stored).
  absl::StatusOr<v1::CreateApiKeyResponse> CreateApiKey(const Principal& caller,
                                                        const v1::CreateApiKeyRequest& request);
  absl::StatusOr<v1::ListApiKeysResponse> ListApiKeys(const Principal& caller,
                                                      const v1::ListApiKeysRequest& request);
  absl::StatusOr<v1::ApiKey> RevokeApiKey(const Principal& caller,
                                          const v1::RevokeApiKeyRequest& request);
  absl::StatusOr<v1::Quota> GetQuota(const Principal& caller, const v1::GetQuotaRequest& request);

  // The caller's tenant's suppressions, in byte order of the address, paged (page_size 0: 100;
  // at most 1000; page_token as returned in next_page_token, "" after the last page).
  absl::StatusOr<v1::ListSuppressionsResponse> ListSuppressions(
      const Principal& caller, const v1::ListSuppressionsRequest& request);
  // Suppresses an address (an RFC 5321 addr-spec; its domain is lower-cased) for the caller's
  // tenant, stamped now, and returns the entry as stored: adding an address that is already
  // suppressed for a stronger reason keeps that reason (SuppressionStore::Add).
  absl::StatusOr<v1::Suppression> AddSuppression(const Principal& caller,
                                                 const v1::AddSuppressionRequest& request);
  // Unsuppresses "suppressions/{address}", whatever its reason. NOT_FOUND if the caller's
  // tenant has no such entry (another tenant's entry alike).
  absl::StatusOr<v1::RemoveSuppressionResponse> RemoveSuppression(
      const Principal& caller, const v1::RemoveSuppressionRequest& request);

 private:
  ApiKeyStore& keys_;
  SuppressionStore& suppressions_;
  SendLimiter& limiter_;
  const LimitsTable& limits_;
  const Clock& clock_;
  Logger& logger_;
  const AdminApiOptions options_;
  QueueControls* const controls_;
  QueueStats* const stats_;
};

}  // namespace kirim

#endif  // KIRIM_SERVER_API_ADMIN_API_H_
