#include "server/auth/api_key_authenticator.h"

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "server/common/status_details.h"

namespace kirim {
namespace {

constexpr absl::Duration kWindow = absl::Minutes(1);
// Bound on remembered addresses: beyond it, expired windows are dropped first.
constexpr size_t kMaxTrackedAddresses = 100000;

}  // namespace

ApiKeyAuthenticator::ApiKeyAuthenticator(ApiKeyStore& store, const Clock& clock,
                                         int failures_per_minute)
    : store_(store), clock_(clock), failures_per_minute_(failures_per_minute) {}

std::string ApiKeyAuthenticator::PeerAddress(absl::string_view peer) {
  // "ipv4:1.2.3.4:5", "ipv6:[::1]:5", "unix:/path": drop the port so one client is one entry.
  size_t colon = peer.rfind(':');
  size_t first = peer.find(':');
  if (colon == absl::string_view::npos || colon == first) return std::string(peer);
  return std::string(peer.substr(0, colon));
}

absl::Status ApiKeyAuthenticator::CheckBudget(const std::string& address, absl::Time now) {
  absl::MutexLock lock(&mu_);
  auto it = windows_.find(address);
  if (it == windows_.end() || now - it->second.start >= kWindow) return absl::OkStatus();
  if (it->second.failures < failures_per_minute_) return absl::OkStatus();
  return WithRetryDelay(
      absl::ResourceExhaustedError("too many failed authentications from this address"),
      it->second.start + kWindow - now);
}

void ApiKeyAuthenticator::RecordFailure(const std::string& address, absl::Time now) {
  absl::MutexLock lock(&mu_);
  if (windows_.size() >= kMaxTrackedAddresses) {
    for (auto it = windows_.begin(); it != windows_.end();) {
      if (now - it->second.start >= kWindow) {
        windows_.erase(it++);
      } else {
        ++it;
      }
    }
  }
  Window& w = windows_[address];
  if (w.failures == 0 || now - w.start >= kWindow) w = Window{now, 0};
  ++w.failures;
}

absl::StatusOr<Principal> ApiKeyAuthenticator::Authenticate(const ClientMetadata& metadata,
                                                            absl::string_view peer) {
  const std::string address = PeerAddress(peer);
  const absl::Time now = clock_.Now();
  if (absl::Status budget = CheckBudget(address, now); !budget.ok()) return budget;

  auto fail = [&](absl::string_view why) {
    RecordFailure(address, now);
    return absl::UnauthenticatedError(why);
  };
  auto it = metadata.find("authorization");
  if (it == metadata.end()) return fail("missing API key: send \"authorization: Bearer <key>\"");
  absl::string_view value(it->second.data(), it->second.size());
  constexpr absl::string_view kBearer = "bearer ";
  if (value.size() <= kBearer.size() ||
      !absl::EqualsIgnoreCase(value.substr(0, kBearer.size()), kBearer)) {
    return fail("missing API key: send \"authorization: Bearer <key>\"");
  }
  absl::string_view key = absl::StripAsciiWhitespace(value.substr(kBearer.size()));

  absl::StatusOr<ApiKeyRecord> record = store_.Verify(key);
  if (!record.ok()) {
    if (record.status().code() == absl::StatusCode::kUnavailable) return record.status();
    // Malformed, unknown, revoked and wrong keys look the same from outside.
    return fail("invalid API key");
  }
  Principal p;
  p.tenant = record->tenant;
  p.scopes = record->scopes;
  p.key_id = record->key_id;
  return p;
}

}  // namespace kirim
