#include "server/limits/limit_status.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "server/common/status_details.h"
#include "server/limits/limit_rules.h"

namespace kirim {
namespace {

std::string Describe(const TenantLimits& limits, const std::string& violated) {
  if (violated == limit_rules::kViolatedDailyQuota) {
    return absl::StrCat("daily quota of ", limits.daily_quota, " recipients per UTC day");
  }
  return absl::StrFormat("rate limit of %g recipients/s with a burst of %d",
                         limits.rate_per_second, limits.burst);
}

}  // namespace

absl::Status LimitExceededStatus(const std::string& tenant, const TenantLimits& limits,
                                 const LimitDecision& d) {
  if (d.allowed) return absl::OkStatus();
  const std::string limit = Describe(limits, d.violated);
  const std::string message =
      d.never ? absl::StrCat("tenant ", tenant, ": a message this large can never pass the ",
                             limit, "; split it or raise the limit")
              : absl::StrCat("tenant ", tenant, " exceeded its ", limit, "; retry in ",
                             absl::FormatDuration(d.retry_after));
  absl::Status status = WithQuotaFailure(absl::ResourceExhaustedError(message),
                                         absl::StrCat("tenant:", tenant), limit);
  // A request that can never pass gets no RetryInfo: retrying it is pointless.
  return d.never ? status : WithRetryDelay(std::move(status), d.retry_after);
}

}  // namespace kirim
