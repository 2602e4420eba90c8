// The access policy: the one table saying which scope each RPC needs. Every handler asks it
// (through RpcGuard), and a test checks that every method of every kirim.v1 service has an
// entry, so a new RPC cannot ship unguarded.
//
//   absl::StatusOr<Scope> s = RequiredScope("/kirim.v1.MailService/SendEmail");   // SEND
//   if (!principal.Has(*s)) return absl::PermissionDeniedError(...);
#ifndef KIRIM_SERVER_AUTH_ACCESS_POLICY_H_
#define KIRIM_SERVER_AUTH_ACCESS_POLICY_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "server/auth/authenticator.h"

namespace kirim {

// The scope `full_method` ("/package.Service/Method") needs. NotFound for a method the table
// does not know (refused: unknown means unguarded).
absl::StatusOr<Scope> RequiredScope(absl::string_view full_method);

// Every method the table knows, for tests.
std::vector<std::string> PolicyMethods();

// OK, or PERMISSION_DENIED naming only the missing scope.
absl::Status Authorize(const Principal& principal, absl::string_view full_method);

}  // namespace kirim

#endif  // KIRIM_SERVER_AUTH_ACCESS_POLICY_H_
