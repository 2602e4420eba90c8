// RFC 5322 header fields for generated messages: validation of caller-supplied fields, and
// writers that fold, quote and encode so every field is safe to put on the wire.
//
//   std::string out;
//   KIRIM_RETURN_IF_ERROR(AppendHeader("Date", FormatDate(clock.Now()), &out));
//   KIRIM_RETURN_IF_ERROR(AppendAddressHeader("To", recipients, &out));
//   KIRIM_RETURN_IF_ERROR(AppendTextHeader("Subject", "Grüße", &out));
//   // Date: Fri, 02 Jan 2026 03:04:05 +0000
//   // To: "Last, First" <a@example.com>, =?utf-8?B?SsO2cmc=?= <j@example.de>
//   // Subject: =?utf-8?B?R3LDvMOfZQ==?=
//
// Implemented: RFC 5322 §2.1.1 line limits (fold near 78 columns, never past 998 octets),
// §2.2.3 folding (a CRLF only ever before existing white space), §3.2.4 quoted-strings, §3.3
// date-time, §3.4 address lists, §3.6.8 optional field names; RFC 2047 §5 encoded-words for
// non-ASCII text and display names; RFC 6532 §3.2 raw UTF-8 addr-specs; RFC 2045 §5.1 and RFC 2231 §3-4 parameters; RFC 2183 §2.3
// filename. Every error is InvalidArgument naming the field.
#ifndef KIRIM_SERVER_MIME_HEADER_H_
#define KIRIM_SERVER_MIME_HEADER_H_

#include <cstddef>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "server/address/address.h"

namespace kirim {

// RFC 5322 §2.1.1: lines SHOULD stay within 78 characters; the writers fold there.
inline constexpr size_t kFoldColumn = 78;

// A caller-chosen field name: RFC 5322 §3.6.8 ftext (printable ASCII 33..126 except ':'),
// 1 to 76 characters (so "Name: " plus one character of value fits in 78 columns).
absl::Status ValidateHeaderName(absl::string_view name);

// A caller-chosen field value: UTF-8 without CR, LF, NUL or other control characters (HTAB
// allowed), at most 998 octets.
absl::Status ValidateHeaderValue(absl::string_view value);

// True, ignoring case, for the fields Kirim writes itself or that only MTAs may write (From,
// To, Cc, Bcc, Subject, Date, Message-ID, MIME-Version, Content-Type,
// Content-Transfer-Encoding, Content-Disposition, Content-ID, DKIM-Signature, Received,
// Return-Path, Sender, Reply-To); callers may not set them as extra headers.
bool IsReservedHeader(absl::string_view name);

// Appends "name: value" CRLF, folded at white space near 78 columns, preferring the space
// after a ',' or ';' (list items, parameters). `value` is written as is, so it must already be
// valid for the field (ASCII; structured syntax is the caller's business). Fails if a line
// would still exceed 998 octets.
absl::Status AppendHeader(absl::string_view name, absl::string_view value, std::string* out);

// Appends an unstructured field (RFC 5322 §3.2.5) carrying UTF-8 `text`. The text becomes
// RFC 2047 encoded-words when it is non-ASCII, contains "=?" (which a reader would try to
// decode), or holds a word too long to fold within 78 columns; otherwise it is folded at the
// last white space that fits.
absl::Status AppendTextHeader(absl::string_view name, absl::string_view text, std::string* out);

// Appends an address-list field (From, To, ...; RFC 5322 §3.4), comma-separated. Display
// names are atoms when they can be, quoted-strings when they hold specials, and RFC 2047
// encoded-words when non-ASCII. Each mailbox is checked with ValidateMailbox. An
// internationalized address (NeedsSmtpUtf8) is written as raw UTF-8 (RFC 6532 §3.2), which
// makes the message one that only SMTPUTF8 may carry (RFC 6531 §3.2).
absl::Status AppendAddressHeader(absl::string_view name, absl::Span<const Mailbox> mailboxes,
                                 std::string* out);

// RFC 5322 §3.3 date-time in UTC, e.g. "Fri, 02 Jan 2026 03:04:05 +0000".
std::string FormatDate(absl::Time time);

// Parameters that name a file, each returned with its leading "; ": FilenameParameter for
// Content-Disposition (RFC 2183 §2.3), NameParameter for Content-Type. An ASCII name is a
// quoted-string (RFC 2045 §5.1). Any other name (non-ASCII, or one that needs encoding like
// AppendTextHeader's text) becomes RFC 2231 §4 `filename*=utf-8''r%C3%A9sum%C3%A9.pdf` (or
// `name*=...`), in numbered sections (RFC 2231 §3) when too long for one line. The RFC 2047
// `name="=?utf-8?...?="` that some mailers add for pre-RFC 2231 readers is not sent: RFC 2047
// §5 forbids encoded-words in a quoted-string, and strict parsers (Python's email package)
// report it as a defect. `filename` must be valid UTF-8 without control characters.
std::string FilenameParameter(absl::string_view filename);
std::string NameParameter(absl::string_view filename);

}  // namespace kirim

#endif  // KIRIM_SERVER_MIME_HEADER_H_
