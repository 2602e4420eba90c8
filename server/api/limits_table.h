// LimitsTable: each tenant's sending limits, from configuration (limits.tenants, falling back to
// limits.default_tenant_limits).
//
//   TenantLimits l = table.For(principal.tenant);
#ifndef KIRIM_SERVER_API_LIMITS_TABLE_H_
#define KIRIM_SERVER_API_LIMITS_TABLE_H_

#include <map>
#include <string>

#include "kirim/config/v1/config.pb.h"
#include "server/limits/send_limiter.h"

namespace kirim {

class LimitsTable {
 public:
  LimitsTable() = default;
  explicit LimitsTable(const config::v1::Limits& limits);
  TenantLimits For(const std::string& tenant) const;

  void SetDefault(TenantLimits limits) { default_ = limits; }
  void Set(const std::string& tenant, TenantLimits limits) { tenants_[tenant] = limits; }

 private:
  TenantLimits default_;
  std::map<std::string, TenantLimits> tenants_;
};

}  // namespace kirim

#endif  // KIRIM_SERVER_API_LIMITS_TABLE_H_
