#include "server/api/admin_api.h"

#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/civil_time.h"
#include "server/common/proto_time.h"
#include "server/common/status_details.h"
#include "server/common/status_macros.h"

namespace kirim {
AdminApi::AdminApi(ApiKeyStore& keys, SendLimiter& limiter, const LimitsTable& limits,
                   const Clock& clock, Logger& logger, AdminApiOptions options)
    : keys_(keys),
      limiter_(limiter),
      limits_(limits),
      clock_(clock),
      logger_(logger),
      options_(std::move(options)) {}

absl::StatusOr<v1::CreateApiKeyResponse> AdminApi::CreateApiKey(
    const Principal& caller, const v1::CreateApiKeyRequest& request) {
  FieldViolations bad;
  const std::string tenant = request.tenant().empty() ? caller.tenant : request.tenant();
  if (tenant != caller.tenant && caller.tenant != options_.operator_tenant) {
    // Another tenant's keys would be another tenant's data: only the operator may do that.
    return absl::PermissionDeniedError("only an operator key may create keys for another tenant");
  }
  if (absl::Status s = ValidateTenant(tenant); !s.ok()) bad.Add("tenant", std::string(s.message()));
  if (absl::Status s = ValidateDisplayName(request.display_name()); !s.ok()) {
    bad.Add("display_name", std::string(s.message()));
  }
  std::vector<Scope> scopes;
  if (request.scopes_size() == 0) bad.Add("scopes", "at least one scope is required");
  for (int i = 0; i < request.scopes_size(); ++i) {
    const auto s = static_cast<Scope>(request.scopes(i));
    if (s == v1::ApiKey::SCOPE_UNSPECIFIED || !v1::ApiKey::Scope_IsValid(s)) {
      bad.Add(absl::StrCat("scopes[", i, "]"), "unknown scope");
    } else {
      scopes.push_back(s);
    }
  }
  if (!bad.empty()) return bad.ToStatus();
  KIRIM_ASSIGN_OR_RETURN(NewApiKey created_key, keys_.Create(tenant, request.display_name(), scopes));
  std::vector<std::string> scope_names;
  for (Scope s : scopes) scope_names.push_back(v1::ApiKey::Scope_Name(s));
  logger_.Info("admin", "api_key_created",
               {{"tenant", tenant},
                {"key_id", created_key.record.key_id},
                {"by_key_id", caller.key_id},
                {"scopes", absl::StrJoin(scope_names, ",")}});
  v1::CreateApiKeyResponse response;
  *response.mutable_api_key() = created_key.record.ToProto();
  response.set_secret(created_key.secret);
  return response;
}

absl::StatusOr<v1::ListApiKeysResponse> AdminApi::ListApiKeys(const Principal& caller,
                                                              const v1::ListApiKeysRequest&) {
  KIRIM_ASSIGN_OR_RETURN(std::vector<ApiKeyRecord> records, keys_.List(caller.tenant));
  v1::ListApiKeysResponse response;
  for (const ApiKeyRecord& r : records) *response.add_api_keys() = r.ToProto();
  return response;
}

absl::StatusOr<v1::ApiKey> AdminApi::RevokeApiKey(const Principal& caller,
                                                  const v1::RevokeApiKeyRequest& request) {
  absl::StatusOr<std::string> id = ParseApiKeyName(request.name());
  if (!id.ok()) return InvalidField("name", std::string(id.status().message()));
  KIRIM_ASSIGN_OR_RETURN(ApiKeyRecord revoked, keys_.Revoke(caller.tenant, *id));
  logger_.Info("admin", "api_key_revoked",
               {{"tenant", caller.tenant}, {"key_id", revoked.key_id}, {"by_key_id", caller.key_id}});
  return revoked.ToProto();
}

absl::StatusOr<v1::Quota> AdminApi::GetQuota(const Principal& caller, const v1::GetQuotaRequest&) {
  const TenantLimits limits = limits_.For(caller.tenant);
  KIRIM_ASSIGN_OR_RETURN(LimitDecision state, limiter_.Peek(caller.tenant, limits));
  v1::Quota q;
  q.set_rate_per_second(limits.rate_per_second);
  q.set_burst(limits.burst);
  q.set_daily_limit(limits.daily_quota);
  q.set_daily_remaining(state.daily_remaining);
  const absl::CivilDay today = absl::ToCivilDay(clock_.Now(), absl::UTCTimeZone());
  *q.mutable_daily_reset_time() = ToProtoTime(absl::FromCivil(today + 1, absl::UTCTimeZone()));
  return q;
}

}  // namespace kirim
