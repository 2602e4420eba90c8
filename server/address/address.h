// Email address parsing and validation: one RFC 5322 §3.4 mailbox ("Name <addr@example.com>")
// or a bare RFC 5321 §4.1.2 envelope path (addr-spec), checked strictly enough that the result
// can be written into a header field or an SMTP command without further escaping.
//
//   KIRIM_ASSIGN_OR_RETURN(Mailbox from, ParseMailbox("\"Last, First\" <a@example.com>"));
//   from.display_name;  // "Last, First"
//   from.Address();     // "a@example.com", for MAIL FROM
//   KIRIM_ASSIGN_OR_RETURN(Mailbox to, ParseMailbox("Jörg <jörg@bücher.de>"));
//   NeedsSmtpUtf8(to);  // true: MAIL FROM needs SMTPUTF8, the header carries it as UTF-8
//
// Implemented: RFC 5322 §3.4 name-addr / addr-spec (no comments, no groups, no obsolete
// routes), §3.2.3 atext and dot-atom, §3.2.4 quoted-string; RFC 5321 §4.1.2 Local-part,
// §4.1.3 address literals ([IPv4] and [IPv6:...]), §4.5.3.1 size limits (local part 64,
// addr-spec 254 octets); RFC 1035 §2.3.4 label (63) and name (253) limits; RFC 6532 UTF-8 in
// display names; RFC 6531 §3.3 / RFC 6532 §3.2 internationalized addresses: UTF-8 in the local
// part (dot-atom or quoted) and U-labels in the domain (RFC 5890 §2.3.2.1, LDH plus non-ASCII,
// length-checked in A-label form via server/address/idna.h). Such an address can only be sent
// with SMTPUTF8 and written raw into header fields; NeedsSmtpUtf8() tells callers. Non-ASCII
// must be valid UTF-8 (RFC 3629) and may not be a C1 control, U+2028/U+2029 or a bidi
// embedding/override/isolate control.
// Not implemented: IDNA2008 code point rules and UTS #46 mapping (a U-label is kept as written,
// only ASCII is lower-cased), and RFC 2047 decoding: "=?...?=" in a display name stays literal.
//
// Every error is InvalidArgument (the caller sent a bad address) with a short reason fit to
// show a user, e.g. "missing '@'" or "domain label longer than 63 characters".
#ifndef KIRIM_SERVER_ADDRESS_ADDRESS_H_
#define KIRIM_SERVER_ADDRESS_ADDRESS_H_

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace kirim {

struct Mailbox {
  // UTF-8, may be empty; the unquoted, unescaped form.
  std::string display_name;
  // As it appears in the addr-spec: a dot-atom, or a quoted-string WITH its quotes.
  std::string local_part;
  // Hostname with its ASCII letters lower-cased (U-labels stay UTF-8 as written), or an
  // address literal like "[127.0.0.1]".
  std::string domain;

  // local_part + "@" + domain: the RFC 5321 envelope form.
  std::string Address() const;
};

// True when the addr-spec has non-ASCII characters (a UTF-8 local part or a U-label): it can
// only travel where the SMTP server offers SMTPUTF8 (RFC 6531 §3.2), and a message carrying it
// in a header field is an internationalized message (RFC 6532 §3). The display name does not
// count: it is RFC 2047-encoded.
bool NeedsSmtpUtf8(const Mailbox& mailbox);

// Parses one mailbox: "addr@example.com", "Name <addr@example.com>", "<addr@example.com>" or
// "\"Last, First\" <a@b.c>". Surrounding spaces are ignored; a display name requires the
// angle brackets; anything after '>' is rejected. Any ASCII control character (CR, LF, NUL,
// HTAB, ...) anywhere is rejected, so a parsed Mailbox can never inject a header line.
absl::StatusOr<Mailbox> ParseMailbox(absl::string_view text);

// Validates a bare addr-spec (envelope form: no display name, no angle brackets, no
// surrounding white space). The returned Mailbox has an empty display_name.
absl::StatusOr<Mailbox> ParseAddrSpec(absl::string_view text);

// Checks a Mailbox that was assembled field by field (not by the parsers above) against the
// same rules, so code that writes it into a message can rely on them.
absl::Status ValidateMailbox(const Mailbox& mailbox);

}  // namespace kirim

#endif  // KIRIM_SERVER_ADDRESS_ADDRESS_H_
