#include "server/auth/access_policy.h"

#include <algorithm>

#include "absl/strings/str_cat.h"

namespace kirim {
namespace {

struct Entry {
  const char* method;
  Scope scope;
};

// Sorted by method. SEND: put mail in; READ: look at it; DOMAINS: sending-domain
// authentication; ADMIN: keys, suppression, queue controls (and everything else).
// READ methods must answer with the caller's tenant's data only (GetMetrics and
// ListDestinations included, when they are built): the scope says what, the tenant says whose.
constexpr Entry kPolicy[] = {
    {"/kirim.v1.AdminService/AddSuppression", v1::ApiKey::ADMIN},
    {"/kirim.v1.AdminService/CreateApiKey", v1::ApiKey::ADMIN},
    {"/kirim.v1.AdminService/CreateTemplate", v1::ApiKey::SEND},
    {"/kirim.v1.AdminService/DeleteTemplate", v1::ApiKey::SEND},
    {"/kirim.v1.AdminService/GetMetrics", v1::ApiKey::READ},
    {"/kirim.v1.AdminService/GetQuota", v1::ApiKey::READ},
    {"/kirim.v1.AdminService/GetTemplate", v1::ApiKey::READ},
    {"/kirim.v1.AdminService/ListApiKeys", v1::ApiKey::ADMIN},
    {"/kirim.v1.AdminService/ListDestinations", v1::ApiKey::READ},
    {"/kirim.v1.AdminService/ListSuppressions", v1::ApiKey::ADMIN},
    {"/kirim.v1.AdminService/ListTemplates", v1::ApiKey::READ},
    {"/kirim.v1.AdminService/PauseDestination", v1::ApiKey::ADMIN},
    {"/kirim.v1.AdminService/RemoveSuppression", v1::ApiKey::ADMIN},
    {"/kirim.v1.AdminService/ResumeDestination", v1::ApiKey::ADMIN},
    {"/kirim.v1.AdminService/RetryNow", v1::ApiKey::ADMIN},
    {"/kirim.v1.AdminService/RevokeApiKey", v1::ApiKey::ADMIN},
    {"/kirim.v1.DomainService/CreateDomain", v1::ApiKey::DOMAINS},
    {"/kirim.v1.DomainService/DeleteDomain", v1::ApiKey::DOMAINS},
    {"/kirim.v1.DomainService/GetDomain", v1::ApiKey::DOMAINS},
    {"/kirim.v1.DomainService/ListDomains", v1::ApiKey::DOMAINS},
    {"/kirim.v1.DomainService/RotateDkimKey", v1::ApiKey::DOMAINS},
    {"/kirim.v1.DomainService/VerifyDomain", v1::ApiKey::DOMAINS},
    {"/kirim.v1.MailService/CancelMessage", v1::ApiKey::SEND},
    {"/kirim.v1.MailService/GetMessage", v1::ApiKey::READ},
    {"/kirim.v1.MailService/PreviewEmail", v1::ApiKey::SEND},
    {"/kirim.v1.MailService/SendBatch", v1::ApiKey::SEND},
    {"/kirim.v1.MailService/SendEmail", v1::ApiKey::SEND},
    {"/kirim.v1.MailService/WatchEvents", v1::ApiKey::READ},
};

}  // namespace

bool Principal::Has(Scope scope) const {
  return std::find(scopes.begin(), scopes.end(), scope) != scopes.end() ||
         std::find(scopes.begin(), scopes.end(), v1::ApiKey::ADMIN) != scopes.end();
}

absl::StatusOr<Scope> RequiredScope(absl::string_view full_method) {
  for (const Entry& e : kPolicy) {
    if (full_method == e.method) return e.scope;
  }
  return absl::NotFoundError(absl::StrCat("no access policy for ", full_method));
}

std::vector<std::string> PolicyMethods() {
  std::vector<std::string> out;
  for (const Entry& e : kPolicy) out.emplace_back(e.method);
  return out;
}

absl::Status Authorize(const Principal& principal, absl::string_view full_method) {
  absl::StatusOr<Scope> scope = RequiredScope(full_method);
  if (!scope.ok()) return absl::PermissionDeniedError("method not allowed");
  if (!principal.Has(*scope)) {
    return absl::PermissionDeniedError(
        absl::StrCat("the API key lacks the ", v1::ApiKey::Scope_Name(*scope), " scope"));
  }
  return absl::OkStatus();
}

}  // namespace kirim
