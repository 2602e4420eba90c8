// DKIM "relaxed" canonicalisation (RFC 6376 §3.4.2 headers, §3.4.4 body) and the split of a
// message into header fields and body that it works on. Relaxed survives what MTAs commonly
// do in transit: re-folding header lines, changing white space runs, trailing white space.
//
//   KIRIM_ASSIGN_OR_RETURN(auto split, SplitMessage(message));
//   auto& [fields, body] = split;
//   std::string data;
//   for (const HeaderField& f : fields) data += RelaxedHeader(f.name, f.RawValue());
//   // "Subject:  Hi\r\n there " -> "subject:Hi there\r\n"
//   std::string canonical_body = RelaxedBody(body);  // "a  b \r\n\r\n" -> "a b\r\n"
//
// WSP is SP and HTAB only (RFC 5234 B.1). The input is a wire-form message: CRLF line ends,
// not dot-stuffed.
#ifndef KIRIM_SERVER_DKIM_CANONICALIZATION_H_
#define KIRIM_SERVER_DKIM_CANONICALIZATION_H_

#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace kirim::dkim {

// One header field as it appears in the message.
struct HeaderField {
  // The field name as written (case kept), without any WSP before the colon.
  std::string name;
  // The whole field - name, colon, value and any folding CRLFs - without the final CRLF.
  std::string raw;

  // Everything after the first colon of `raw`, folding included.
  absl::string_view RawValue() const;
};

// RFC 6376 §3.4.2: "name:value\r\n" with the name lower-cased, the value unfolded (every CRLF
// removed), each WSP run turned into one SP, and WSP removed at both ends of the value and
// after the name.
std::string RelaxedHeader(absl::string_view name, absl::string_view raw_value);

// RFC 6376 §3.4.4: per line, WSP runs become one SP and trailing WSP is removed; empty lines
// at the end are removed. A body that ends up empty canonicalises to "" (§3.4.4 as corrected
// by the RFC 6376 errata, and what verifiers do); any other body ends in exactly one CRLF.
// A final line without CRLF is treated as if it had one, as SMTP transmission adds it (so
// "a \t" and "a \t\r\n" both give "a\r\n").
std::string RelaxedBody(absl::string_view body);

// Splits a CRLF message into its header fields, in order, and its body: the header block ends
// at the first empty line, whose CRLF belongs to neither part. A message without an empty line
// is all header and has an empty body. InvalidArgument for a header block that verifiers could
// read differently from us: a bare CR or LF, a continuation line before the first field, a
// line without a colon, or a field name with characters outside printable ASCII.
absl::StatusOr<std::pair<std::vector<HeaderField>, absl::string_view>> SplitMessage(
    absl::string_view message);

}  // namespace kirim::dkim

#endif  // KIRIM_SERVER_DKIM_CANONICALIZATION_H_
