// MessageSigner: the last step before a message's bytes go out — DKIM signatures are added and
// nothing changes the message after that. The worker calls it between composing and handing
// the message to the Deliverer. Production wires DomainSigner (domain_signer.h).
//
//   KIRIM_ASSIGN_OR_RETURN(std::string signed_bytes, signer.Sign("acme", "example.com", bytes));
#ifndef KIRIM_SERVER_DOMAINS_MESSAGE_SIGNER_H_
#define KIRIM_SERVER_DOMAINS_MESSAGE_SIGNER_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace kirim {

class MessageSigner {
 public:
  virtual ~MessageSigner() = default;
  // `content` is the complete composed message (CRLF, not dot-stuffed) whose From address is
  // in `from_domain`. Returns it, signed or (when the policy allows) as it was. An error means
  // the message must not be sent now (fail closed); the worker defers it.
  virtual absl::StatusOr<std::string> Sign(absl::string_view tenant, absl::string_view from_domain,
                                           std::string content) = 0;
};

}  // namespace kirim

#endif  // KIRIM_SERVER_DOMAINS_MESSAGE_SIGNER_H_
