// Authenticator: who is calling. Every RPC handler asks it first and acts only for the
// returned tenant, so all stored objects and queries are tenant-scoped from the start.
//
//   absl::StatusOr<Principal> p = authenticator.Authenticate(context->client_metadata());
//   if (!p.ok()) return p.status();   // UNAUTHENTICATED
//
// Until API keys land (issue 3), SingleTenantAuthenticator admits every caller as the
// configured default tenant.
#ifndef KIRIM_SERVER_AUTH_AUTHENTICATOR_H_
#define KIRIM_SERVER_AUTH_AUTHENTICATOR_H_

#include <map>
#include <string>

#include "absl/status/statusor.h"
#include "grpcpp/support/string_ref.h"

namespace kirim {

struct Principal {
  // The tenant every object the caller touches belongs to.
  std::string tenant;
};

using ClientMetadata = std::multimap<grpc::string_ref, grpc::string_ref>;

class Authenticator {
 public:
  virtual ~Authenticator() = default;
  virtual absl::StatusOr<Principal> Authenticate(const ClientMetadata& metadata) = 0;
};

class SingleTenantAuthenticator final : public Authenticator {
 public:
  explicit SingleTenantAuthenticator(std::string tenant) : tenant_(std::move(tenant)) {}
  absl::StatusOr<Principal> Authenticate(const ClientMetadata&) override {
    return Principal{tenant_};
  }

 private:
  const std::string tenant_;
};

}  // namespace kirim

#endif  // KIRIM_SERVER_AUTH_AUTHENTICATOR_H_
