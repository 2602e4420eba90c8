#include "server/shaping/destination_policy.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"

namespace kirim {
namespace {

constexpr int kMaxConnections = 1'000'000;
constexpr double kMinRate = 0.001;
constexpr double kMaxRate = 1e6;
// RFC 1035 §2.3.4 caps a name at 255 octets; an address literal ("[192.0.2.1]") is shorter.
constexpr size_t kMaxDomainLength = 255;

}  // namespace

absl::Status ValidateDestinationLimits(const DestinationLimits& limits) {
  if (limits.max_connections < 1 || limits.max_connections > kMaxConnections) {
    return absl::InvalidArgumentError(absl::StrCat("destination limits: max_connections ",
                                                   limits.max_connections, " outside [1, ",
                                                   kMaxConnections, "]"));
  }
  if (limits.max_messages_per_connection < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("destination limits: max_messages_per_connection ",
                     limits.max_messages_per_connection, " below 1"));
  }
  const double rate = limits.messages_per_second;
  if (rate != 0 && !(rate >= kMinRate && rate <= kMaxRate)) {  // also refuses NaN
    return absl::InvalidArgumentError(absl::StrCat("destination limits: messages_per_second ", rate,
                                                   " is neither 0 nor in [", kMinRate, ", ",
                                                   kMaxRate, "]"));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> NormalizeDestination(absl::string_view domain) {
  if (!domain.empty() && domain.back() == '.') domain.remove_suffix(1);
  if (domain.empty() || domain.size() > kMaxDomainLength) {
    return absl::InvalidArgumentError(
        absl::StrCat("destination: domain of ", domain.size(), " octets"));
  }
  for (char c : domain) {
    const unsigned char u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u == 0x7f || c == '{' || c == '}') {
      return absl::InvalidArgumentError("destination: space, control character or brace in domain");
    }
  }
  return absl::AsciiStrToLower(domain);
}

DestinationPolicy::DestinationPolicy(DestinationLimits defaults) : defaults_(defaults) {}

void DestinationPolicy::Set(std::string domain, DestinationLimits limits) {
  absl::StatusOr<std::string> key = NormalizeDestination(domain);
  if (!key.ok()) return;
  absl::MutexLock lock(&mu_);
  overrides_[*std::move(key)] = limits;
}

DestinationLimits DestinationPolicy::For(const std::string& domain) const {
  absl::StatusOr<std::string> key = NormalizeDestination(domain);
  if (!key.ok()) return defaults_;
  absl::MutexLock lock(&mu_);
  auto it = overrides_.find(*key);
  return it == overrides_.end() ? defaults_ : it->second;
}

}  // namespace kirim
