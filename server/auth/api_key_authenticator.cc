#include "server/auth/api_key_authenticator.h"

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "server/common/status_details.h"

namespace kirim {
namespace {

constexpr absl::Duration kWindow = absl::Minutes(1);
// Bound on remembered addresses. Expired windows are dropped (at most every kPruneEvery); if
// the table is still full, it is cleared: forgetting budgets briefly is better than unbounded
// memory, and the 256-bit keys are not guessable anyway (the budget is defence in depth).
constexpr size_t kMaxTrackedAddresses = 100000;
constexpr absl::Duration kPruneEvery = absl::Seconds(10);

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

absl::Status ApiKeyAuthenticator::ReserveAttempt(const std::string& address, absl::Time now) {
  absl::MutexLock lock(&mu_);
  if (windows_.size() >= kMaxTrackedAddresses && now - last_prune_ >= kPruneEvery) {
    last_prune_ = now;
    for (auto it = windows_.begin(); it != windows_.end();) {
      if (now - it->second.start >= kWindow) {
        windows_.erase(it++);
      } else {
        ++it;
      }
    }
  }
  if (windows_.size() >= kMaxTrackedAddresses && !windows_.contains(address)) windows_.clear();
  Window& w = windows_[address];
  if (now - w.start >= kWindow) w = Window{now, 0};
  if (w.failures >= failures_per_minute_) {
    return WithRetryDelay(
        absl::ResourceExhaustedError("too many failed authentications from this address"),
        w.start + kWindow - now);
  }
  // Counted as a failure until the key checks out: parallel guesses cannot all slip past the
  // budget before any of them is recorded.
  ++w.failures;
  return absl::OkStatus();
}

void ApiKeyAuthenticator::ReleaseAttempt(const std::string& address, absl::Time now) {
  absl::MutexLock lock(&mu_);
  auto it = windows_.find(address);
  if (it != windows_.end() && now - it->second.start < kWindow && it->second.failures > 0) {
    --it->second.failures;
  }
}

absl::StatusOr<Principal> ApiKeyAuthenticator::Authenticate(const ClientMetadata& metadata,
                                                            absl::string_view peer) {
  const std::string address = PeerAddress(peer);
  const absl::Time now = clock_.Now();
  if (absl::Status budget = ReserveAttempt(address, now); !budget.ok()) return budget;

  // The reserved failure stands for every refusal below; only success or an outage of the
  // key store gives it back.
  auto fail = [](absl::string_view why) { return absl::UnauthenticatedError(why); };
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
    if (record.status().code() == absl::StatusCode::kUnavailable) {
      ReleaseAttempt(address, now);
      // The caller is not authenticated yet: say only that it may retry, not what broke.
      return WithRetryDelay(absl::UnavailableError("authentication is unavailable, retry"),
                            absl::Seconds(1));
    }
    // Malformed, unknown, revoked and wrong keys look the same from outside.
    return fail("invalid API key");
  }
  ReleaseAttempt(address, now);
  Principal p;
  p.tenant = record->tenant;
  p.scopes = record->scopes;
  p.key_id = record->key_id;
  return p;
}

}  // namespace kirim
