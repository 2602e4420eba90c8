// Authenticator: who is calling. Every RPC (except health and reflection) is admitted through
// it, then checked against the access policy, so all stored objects and queries are scoped to
// the caller's tenant.
//
//   absl::StatusOr<Principal> p = authenticator.Authenticate(ctx->client_metadata(), ctx->peer());
//   if (!p.ok()) return p.status();   // UNAUTHENTICATED (or RESOURCE_EXHAUSTED when a peer
//                                     // keeps failing, UNAVAILABLE when the key store is down)
#ifndef KIRIM_SERVER_AUTH_AUTHENTICATOR_H_
#define KIRIM_SERVER_AUTH_AUTHENTICATOR_H_

#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "grpcpp/support/string_ref.h"
#include "kirim/v1/admin_service.pb.h"

namespace kirim {

using Scope = v1::ApiKey::Scope;

struct Principal {
  // The tenant every object the caller touches belongs to.
  std::string tenant;
  // What the caller's key may do. ADMIN implies every other scope.
  std::vector<Scope> scopes;
  // The key's public id (for logs; never the secret).
  std::string key_id;

  bool Has(Scope scope) const;
};

using ClientMetadata = std::multimap<grpc::string_ref, grpc::string_ref>;

class Authenticator {
 public:
  virtual ~Authenticator() = default;
  // `peer` is gRPC's peer string ("ipv4:127.0.0.1:53012"), used to slow down guessing.
  virtual absl::StatusOr<Principal> Authenticate(const ClientMetadata& metadata,
                                                 absl::string_view peer) = 0;
};

}  // namespace kirim

#endif  // KIRIM_SERVER_AUTH_AUTHENTICATOR_H_
