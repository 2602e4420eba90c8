#include "server/api/admin_api.h"

#include <map>
#include <set>
#include <utility>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "server/queue/message_id.h"
#include "absl/strings/strip.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/civil_time.h"
#include "server/common/proto_time.h"
#include "server/common/status_details.h"
#include "server/common/status_macros.h"
#include "server/metrics/buckets.h"
#include "server/templates/template_engine.h"

namespace kirim {
AdminApi::AdminApi(ApiKeyStore& keys, SuppressionStore& suppressions, SendLimiter& limiter,
                   const LimitsTable& limits, const Clock& clock, Logger& logger,
                   AdminApiOptions options, QueueControls* controls, QueueStats* stats)
    : keys_(keys),
      suppressions_(suppressions),
      limiter_(limiter),
      limits_(limits),
      clock_(clock),
      logger_(logger),
      options_(std::move(options)),
      controls_(controls),
      stats_(stats) {}

namespace {

// "destinations/{domain}" -> the lower-cased domain.
absl::StatusOr<std::string> ParseDestinationName(absl::string_view name, const char* field) {
  absl::string_view domain = name;
  if (!absl::ConsumePrefix(&domain, "destinations/") || domain.empty() || domain.size() > 253 ||
      domain.find_first_of(" /@\t\r\n") != absl::string_view::npos) {
    return InvalidField(field, "expected \"destinations/{domain}\"");
  }
  return absl::AsciiStrToLower(domain);
}

v1::Destination DestinationOf(const std::string& domain, bool paused) {
  v1::Destination d;
  d.set_name("destinations/" + domain);
  d.set_domain(domain);
  d.set_paused(paused);
  return d;
}

}  // namespace

absl::StatusOr<v1::Destination> AdminApi::PauseDestination(const Principal& caller,
                                                           const v1::PauseDestinationRequest& request) {
  if (controls_ == nullptr) return absl::UnimplementedError("queue controls are not enabled");
  KIRIM_ASSIGN_OR_RETURN(std::string domain, ParseDestinationName(request.name(), "name"));
  KIRIM_RETURN_IF_ERROR(controls_->Pause(caller.tenant, domain));
  logger_.Info("admin", "destination_paused",
               {{"tenant", caller.tenant}, {"destination", domain}, {"by_key_id", caller.key_id}});
  return DestinationOf(domain, true);
}

absl::StatusOr<v1::Destination> AdminApi::ResumeDestination(
    const Principal& caller, const v1::ResumeDestinationRequest& request) {
  if (controls_ == nullptr) return absl::UnimplementedError("queue controls are not enabled");
  KIRIM_ASSIGN_OR_RETURN(std::string domain, ParseDestinationName(request.name(), "name"));
  KIRIM_ASSIGN_OR_RETURN(bool was_paused, controls_->Resume(caller.tenant, domain));
  if (!was_paused) return absl::NotFoundError(absl::StrCat("destination not paused: ", request.name()));
  logger_.Info("admin", "destination_resumed",
               {{"tenant", caller.tenant}, {"destination", domain}, {"by_key_id", caller.key_id}});
  return DestinationOf(domain, false);
}

absl::StatusOr<v1::ListDestinationsResponse> AdminApi::ListDestinations(
    const Principal& caller, const v1::ListDestinationsRequest& request) {
  if (controls_ == nullptr) return absl::UnimplementedError("queue controls are not enabled");
  FieldViolations bad;
  if (absl::Status s = ValidatePageSize(request.page_size()); !s.ok()) {
    bad.Add("page_size", std::string(s.message()));
  }
  // The token is the last domain of the previous page (base64url): the list is sorted.
  std::string after;
  if (!request.page_token().empty() &&
      (!absl::WebSafeBase64Unescape(request.page_token(), &after) || after.empty())) {
    bad.Add("page_token", "not a token this API returned");
  }
  if (!bad.empty()) return bad.ToStatus();
  KIRIM_ASSIGN_OR_RETURN(std::set<std::string> paused, controls_->Paused(caller.tenant));
  KIRIM_ASSIGN_OR_RETURN(auto waiting, controls_->Waiting(caller.tenant));
  // Every destination the tenant paused or has mail waiting for.
  std::map<std::string, v1::Destination> all;
  for (const std::string& d : paused) all[d] = DestinationOf(d, true);
  for (const auto& [domain, messages] : waiting) {
    auto [it, fresh] = all.try_emplace(domain, DestinationOf(domain, false));
    it->second.mutable_queue()->set_scheduled(messages);
  }
  const int page_size = request.page_size() == 0 ? 100 : std::min(request.page_size(), 1000);
  v1::ListDestinationsResponse response;
  for (auto it = all.upper_bound(after); it != all.end(); ++it) {
    if (response.destinations_size() == page_size) {
      response.set_next_page_token(
          absl::WebSafeBase64Escape(response.destinations(page_size - 1).domain()));
      break;
    }
    *response.add_destinations() = std::move(it->second);
  }
  return response;
}

absl::StatusOr<v1::RetryNowResponse> AdminApi::RetryNow(const Principal& caller,
                                                        const v1::RetryNowRequest& request) {
  if (controls_ == nullptr) return absl::UnimplementedError("queue controls are not enabled");
  v1::RetryNowResponse response;
  const absl::Time now = clock_.Now();
  if (request.has_message()) {
    absl::StatusOr<std::string> id = ParseMessageName(request.message());
    if (!id.ok()) return InvalidField("message", std::string(id.status().message()));
    KIRIM_ASSIGN_OR_RETURN(int n, controls_->RetryMessage(caller.tenant, *id, now));
    response.set_retried_count(n);
  } else if (request.has_destination()) {
    KIRIM_ASSIGN_OR_RETURN(std::string domain, ParseDestinationName(request.destination(), "destination"));
    KIRIM_ASSIGN_OR_RETURN(int n, controls_->RetryDestination(caller.tenant, domain, now));
    response.set_retried_count(n);
  } else {
    return InvalidField("target", "set message or destination");
  }
  return response;
}

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

namespace {

// "templates/{id}" -> the id; INVALID_ARGUMENT naming `name` otherwise.
absl::StatusOr<std::string> TemplateIdOf(absl::string_view name) {
  absl::StatusOr<std::string> id = ParseTemplateName(name);
  if (!id.ok()) return InvalidField("name", std::string(id.status().message()));
  return id;
}

absl::Status TemplatesDisabled() {
  return absl::UnimplementedError("stored templates are not enabled");
}

}  // namespace

absl::StatusOr<v1::Template> AdminApi::CreateTemplate(const Principal& caller,
                                                      const v1::CreateTemplateRequest& request) {
  if (options_.templates == nullptr) return TemplatesDisabled();
  FieldViolations bad;
  if (absl::Status s = ValidateTemplateId(request.template_id()); !s.ok()) {
    bad.Add("template_id", std::string(s.message()));
  }
  if (absl::Status s = CompiledTemplate::Compile(request.template_()).status(); !s.ok()) {
    bad.Add("template", std::string(s.message()));
  }
  if (!bad.empty()) return bad.ToStatus();
  KIRIM_ASSIGN_OR_RETURN(v1::Template t,
                         options_.templates->Create(caller.tenant, request.template_id(),
                                                    request.template_(), clock_.Now()));
  logger_.Info("admin", "template_created",
               {{"tenant", caller.tenant}, {"template", t.name()}, {"by_key_id", caller.key_id}});
  return t;
}

absl::StatusOr<v1::Template> AdminApi::GetTemplate(const Principal& caller,
                                                   const v1::GetTemplateRequest& request) {
  if (options_.templates == nullptr) return TemplatesDisabled();
  KIRIM_ASSIGN_OR_RETURN(std::string id, TemplateIdOf(request.name()));
  return options_.templates->Get(caller.tenant, id);
}

absl::StatusOr<v1::ListTemplatesResponse> AdminApi::ListTemplates(
    const Principal& caller, const v1::ListTemplatesRequest& request) {
  if (options_.templates == nullptr) return TemplatesDisabled();
  if (request.page_size() < 0) return InvalidField("page_size", "must not be negative");
  absl::StatusOr<std::pair<std::vector<v1::Template>, std::string>> page =
      options_.templates->List(caller.tenant, request.page_size(), request.page_token());
  if (absl::IsInvalidArgument(page.status())) {
    return InvalidField("page_token", std::string(page.status().message()));
  }
  KIRIM_RETURN_IF_ERROR(page.status());
  v1::ListTemplatesResponse response;
  for (v1::Template& t : page->first) *response.add_templates() = std::move(t);
  response.set_next_page_token(page->second);
  return response;
}

absl::StatusOr<v1::DeleteTemplateResponse> AdminApi::DeleteTemplate(
    const Principal& caller, const v1::DeleteTemplateRequest& request) {
  if (options_.templates == nullptr) return TemplatesDisabled();
  KIRIM_ASSIGN_OR_RETURN(std::string id, TemplateIdOf(request.name()));
  KIRIM_RETURN_IF_ERROR(options_.templates->Delete(caller.tenant, id));
  logger_.Info("admin", "template_deleted",
               {{"tenant", caller.tenant}, {"template", request.name()}, {"by_key_id", caller.key_id}});
  return v1::DeleteTemplateResponse();
}

absl::StatusOr<v1::Metrics> AdminApi::GetMetrics(const Principal& caller,
                                                  const v1::GetMetricsRequest&) {
  if (stats_ == nullptr) return absl::UnimplementedError("metrics are not enabled");
  // The operator's admin keys see every tenant and the shared queue; everyone else sees their
  // own tenant's counters only.
  const bool operator_view =
      caller.tenant == options_.operator_tenant && caller.Has(v1::ApiKey::ADMIN);
  KIRIM_ASSIGN_OR_RETURN(
      TenantCounters c,
      stats_->Counters(operator_view ? std::nullopt : std::optional<std::string>(caller.tenant)));
  v1::Metrics m;
  m.set_accepted_total(c.Count("queued"));
  m.set_rejected_total(c.Count("rejected"));
  m.set_delivered_total(c.Count("delivered"));
  m.set_deferred_total(c.Count("deferred"));
  m.set_bounced_total(c.Count("bounced"));
  m.set_expired_total(c.Count("expired"));
  m.set_suppressed_total(c.Count("suppressed"));
  auto summarize = [](const std::vector<double>& bounds, const std::vector<int64_t>& counts,
                      v1::LatencySummary* out) {
    int64_t total = 0;
    for (int64_t n : counts) total += n;
    out->set_count(total);
    out->set_p50_seconds(BucketQuantile(bounds, counts, 0.50));
    out->set_p90_seconds(BucketQuantile(bounds, counts, 0.90));
    out->set_p99_seconds(BucketQuantile(bounds, counts, 0.99));
  };
  summarize(DeliveryLatencyBuckets(), c.accept_to_delivered, m.mutable_accept_to_delivered());
  summarize(SmtpPhaseBuckets(), c.smtp_attempt, m.mutable_smtp_session());
  if (operator_view) {
    KIRIM_ASSIGN_OR_RETURN(auto depth, stats_->Depth());
    for (const auto& [lane, d] : depth) {
      v1::QueueDepth& q = (*m.mutable_queue_by_lane())[std::string(LaneName(lane))];
      q.set_ready(d.ready);
      q.set_scheduled(d.scheduled);
      q.set_in_flight(d.in_flight);
      q.set_dead(d.dead);
    }
    KIRIM_ASSIGN_OR_RETURN(auto destinations, stats_->Destinations(options_.top_destinations));
    for (const auto& [domain, deferred] : destinations) {
      (*m.mutable_queue_by_destination())[domain].set_scheduled(deferred);
    }
  }
  return m;
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

absl::StatusOr<v1::ListSuppressionsResponse> AdminApi::ListSuppressions(
    const Principal& caller, const v1::ListSuppressionsRequest& request) {
  FieldViolations bad;
  if (absl::Status s = ValidatePageSize(request.page_size()); !s.ok()) {
    bad.Add("page_size", std::string(s.message()));
  }
  if (absl::Status s = DecodeSuppressionPageToken(request.page_token()).status(); !s.ok()) {
    bad.Add("page_token", std::string(s.message()));
  }
  if (!bad.empty()) return bad.ToStatus();
  KIRIM_ASSIGN_OR_RETURN(auto page, suppressions_.List(caller.tenant, request.page_size(),
                                                       request.page_token()));
  v1::ListSuppressionsResponse response;
  for (const SuppressionEntry& e : page.first) *response.add_suppressions() = e.ToProto();
  response.set_next_page_token(page.second);
  return response;
}

absl::StatusOr<v1::Suppression> AdminApi::AddSuppression(const Principal& caller,
                                                         const v1::AddSuppressionRequest& request) {
  FieldViolations bad;
  absl::StatusOr<std::string> address = CanonicalAddress(request.address());
  if (!address.ok()) bad.Add("address", std::string(address.status().message()));
  if (absl::Status s = ValidateSuppressionReason(request.reason()); !s.ok()) {
    bad.Add("reason", std::string(s.message()));
  }
  if (absl::Status s = ValidateSuppressionDetail(request.detail()); !s.ok()) {
    bad.Add("detail", std::string(s.message()));
  }
  if (!bad.empty()) return bad.ToStatus();
  const SuppressionEntry entry{*address, request.reason(), request.detail(), clock_.Now()};
  KIRIM_RETURN_IF_ERROR(suppressions_.Add(caller.tenant, entry));
  logger_.Info("admin", "suppression_added",
               {{"tenant", caller.tenant},
                {"reason", v1::Suppression::Reason_Name(entry.reason)},
                {"by_key_id", caller.key_id}});
  // What is stored may be a stronger, older entry (SuppressionStore::Add). If the entry is
  // already gone again (a concurrent remove), the caller's add did happen: answer with it.
  KIRIM_ASSIGN_OR_RETURN(auto stored, suppressions_.Lookup(caller.tenant, {entry.address}));
  if (stored.size() == 1 && stored[0].has_value()) return stored[0]->ToProto();
  return entry.ToProto();
}

absl::StatusOr<v1::RemoveSuppressionResponse> AdminApi::RemoveSuppression(
    const Principal& caller, const v1::RemoveSuppressionRequest& request) {
  absl::StatusOr<std::string> address = ParseSuppressionName(request.name());
  if (!address.ok()) return InvalidField("name", std::string(address.status().message()));
  KIRIM_ASSIGN_OR_RETURN(bool removed, suppressions_.Remove(caller.tenant, *address));
  if (!removed) {
    return absl::NotFoundError(absl::StrCat("suppression not found: ", SuppressionName(*address)));
  }
  logger_.Info("admin", "suppression_removed",
               {{"tenant", caller.tenant}, {"by_key_id", caller.key_id}});
  return v1::RemoveSuppressionResponse();
}

}  // namespace kirim
