#include "server/api/limits_table.h"

namespace kirim {
namespace {

TenantLimits FromConfig(const config::v1::TenantLimits& c) {
  TenantLimits l;
  l.rate_per_second = c.rate_per_second();
  l.burst = c.burst();
  l.daily_quota = c.daily_quota();
  return l;
}

}  // namespace

LimitsTable::LimitsTable(const config::v1::Limits& limits)
    : default_(FromConfig(limits.default_tenant_limits())) {
  for (const auto& t : limits.tenants()) tenants_[t.tenant()] = FromConfig(t);
}

TenantLimits LimitsTable::For(const std::string& tenant) const {
  auto it = tenants_.find(tenant);
  return it == tenants_.end() ? default_ : it->second;
}

}  // namespace kirim
