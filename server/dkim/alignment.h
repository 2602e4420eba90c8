// Which domains a DKIM signature may use for a message: the RFC 5322 From domain, and DMARC
// relaxed identifier alignment between it and the signing domain d= (RFC 7489 §3.1.1). A
// signature whose d= does not align passes DKIM but does nothing for DMARC, so the signer
// refuses to produce one.
//
//   KIRIM_ASSIGN_OR_RETURN(std::string from_domain, FromDomain(from_field.RawValue()));
//   if (!DomainsAlign(from_domain, "example.com")) ...  // "news.example.com" aligns
//
// Simplification: without a Public Suffix List there is no organizational domain, so
// alignment here is "equal or a subdomain of d=" (d= = "mail.example.com" does not align with
// From "example.com", which full DMARC would accept). ValidateSigningDomain asks for at least
// two labels so d= cannot be a bare TLD, but it cannot tell "co.uk" from "example.com".
#ifndef KIRIM_SERVER_DKIM_ALIGNMENT_H_
#define KIRIM_SERVER_DKIM_ALIGNMENT_H_

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace kirim::dkim {

// The lower-cased domain of the single address in a From field value (folding allowed):
// the addr-spec inside <...> if there is one, else the whole value, with quoted strings and
// comments ignored. FailedPrecondition if the value holds no address, more than one address
// (RFC 7489 §6.6.1: which one would DMARC check?), or a domain that is not a host name.
absl::StatusOr<std::string> FromDomain(absl::string_view from_value);

// DMARC relaxed alignment as described above; case-insensitive, trailing dots ignored.
bool DomainsAlign(absl::string_view from_domain, absl::string_view signing_domain);

// RFC 6376 §3.5 syntax checks, InvalidArgument naming the tag. d=: a host name of at least
// two labels (letters, digits, '-'; labels 1..63, name <= 253). s=: one or more such labels.
absl::Status ValidateSigningDomain(absl::string_view domain);
absl::Status ValidateSelector(absl::string_view selector);

}  // namespace kirim::dkim

#endif  // KIRIM_SERVER_DKIM_ALIGNMENT_H_
