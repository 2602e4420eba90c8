// The ASCII form of internationalized domain names: Punycode (RFC 3492) and the "xn--" A-label
// of a U-label (RFC 5890 §2.3.2.1), for checking DNS length limits and for the DNS lookups
// themselves, which only ever see A-labels.
//
//   KIRIM_ASSIGN_OR_RETURN(std::string label, ToALabel("bücher"));  // "xn--bcher-kva"
//   KIRIM_ASSIGN_OR_RETURN(std::string name, DomainToAscii("mail.bücher.de"));
//   // "mail.xn--bcher-kva.de"
//
// Implemented: RFC 3492 §6.3 encoding, RFC 5891 §4.4 ToASCII as far as Punycode goes. Not
// implemented: IDNA2008 code point validation (RFC 5892) and the UTS #46 mapping (case folding,
// NFC): a label is converted as given, so "BÜCHER" and "bücher" give different A-labels.
// Errors are InvalidArgument.
#ifndef KIRIM_SERVER_ADDRESS_IDNA_H_
#define KIRIM_SERVER_ADDRESS_IDNA_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace kirim {

// RFC 3492 Punycode of the code points of valid UTF-8 `text` (without the "xn--" prefix).
absl::StatusOr<std::string> PunycodeEncode(absl::string_view text);

// "xn--" + Punycode for a label with non-ASCII characters; an ASCII label comes back as is.
absl::StatusOr<std::string> ToALabel(absl::string_view label);

// Every label of a dot-separated domain through ToALabel.
absl::StatusOr<std::string> DomainToAscii(absl::string_view domain);

}  // namespace kirim

#endif  // KIRIM_SERVER_ADDRESS_IDNA_H_
