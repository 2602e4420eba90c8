// ApiKeyAuthenticator: admits a call that carries `authorization: Bearer <API key>` with a
// valid, unrevoked key, as the key's tenant with the key's scopes.
//
// Refusals say no more than needed: a missing header, a malformed key, an unknown, revoked or
// wrong key are all UNAUTHENTICATED. Once a client address has failed `failures_per_minute`
// times within a minute, its further calls get RESOURCE_EXHAUSTED (with RetryInfo) without
// their key being checked at all, which makes guessing pointless. Each attempt counts as a
// failure until its key checks out, so parallel guesses cannot overrun the budget. The window
// is kept per process (each replica limits on its own) and is bounded in size. A key-store
// outage is UNAVAILABLE with RetryInfo and no detail.
//
//   ApiKeyAuthenticator auth(store, clock, /*failures_per_minute=*/20);
//   absl::StatusOr<Principal> p = auth.Authenticate(ctx->client_metadata(), ctx->peer());
#ifndef KIRIM_SERVER_AUTH_API_KEY_AUTHENTICATOR_H_
#define KIRIM_SERVER_AUTH_API_KEY_AUTHENTICATOR_H_

#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "server/auth/api_key_store.h"
#include "server/auth/authenticator.h"
#include "server/common/clock.h"

namespace kirim {

class ApiKeyAuthenticator final : public Authenticator {
 public:
  ApiKeyAuthenticator(ApiKeyStore& store, const Clock& clock, int failures_per_minute);

  absl::StatusOr<Principal> Authenticate(const ClientMetadata& metadata,
                                         absl::string_view peer) override;

  // The address part of a gRPC peer string ("ipv4:192.0.2.3:5555" -> "ipv4:192.0.2.3").
  static std::string PeerAddress(absl::string_view peer);

 private:
  struct Window {
    absl::Time start = absl::InfinitePast();
    int failures = 0;
  };
  // RESOURCE_EXHAUSTED when `address` is over its failure budget; otherwise counts this
  // attempt as a failure until ReleaseAttempt.
  absl::Status ReserveAttempt(const std::string& address, absl::Time now);
  void ReleaseAttempt(const std::string& address, absl::Time now);

  ApiKeyStore& store_;
  const Clock& clock_;
  const int failures_per_minute_;
  absl::Mutex mu_;
  absl::flat_hash_map<std::string, Window> windows_ ABSL_GUARDED_BY(mu_);
  absl::Time last_prune_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
};

}  // namespace kirim

#endif  // KIRIM_SERVER_AUTH_API_KEY_AUTHENTICATOR_H_
