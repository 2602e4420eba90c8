// Builds a complete RFC 5322 / MIME (RFC 2045-2049) message from the parts of a send request.
//
//   MimeInput in;
//   in.from = {"Kirim", "noreply", "example.com"};
//   in.to = {{"", "user", "example.net"}};
//   in.subject = "Grüße";
//   in.text_body = "Hello\n";
//   in.message_id = "<01J0000000@example.com>";
//   in.date = clock.Now();
//   KIRIM_ASSIGN_OR_RETURN(std::string message, BuildMessage(in, random));
//
// The message is header fields, an empty line, then the body, with CRLF line endings
// everywhere, no line over 998 octets (RFC 5322 §2.1.1) and header fields folded near 78
// columns. It is NOT dot-stuffed: the SMTP layer does that (RFC 5321 §4.5.2).
//
// Header fields, in order: Date (RFC 5322 §3.3, UTC), From, Reply-To, To, Cc (address lists
// only when non-empty; Bcc never appears), Subject, Message-ID, MIME-Version, the caller's
// extra fields, then the root part's Content-Type (and Content-Transfer-Encoding). Subject and
// display names are RFC 2047 encoded-words when non-ASCII; an internationalized address
// (NeedsSmtpUtf8, server/address/address.h) is written as raw UTF-8 (RFC 6532 §3.2), and such
// a message can only be relayed with SMTPUTF8 (RFC 6531), which the SMTP client asks for.
//
// Body structure (RFC 2046 §5.1, RFC 2387):
//   text only             text/plain; charset=utf-8
//   html only             text/html; charset=utf-8
//   text and html         multipart/alternative (text first, RFC 2046 §5.1.4)
//   inline attachments    multipart/related around the html part (attachments with a
//                         content_id; without an html body they are ordinary attachments)
//   other attachments     multipart/mixed around all of the above
//   attachments only      multipart/mixed of the attachments (no body part)
// For example, text + html + an inline image + a PDF:
//   multipart/mixed > [multipart/alternative > [text/plain,
//                      multipart/related > [text/html, image/png]], application/pdf]
// Text bodies get CRLF line endings (every CRLF, lone CR and lone LF becomes CRLF) and go out
// 7bit when that is possible (ASCII without NUL, lines of at most 998 octets), otherwise
// quoted-printable or base64, whichever is shorter (EncodeText in server/mime/encoding.h). A
// single-part body that does not end in a line break gets one; inside a multipart the text is
// kept exactly. Attachments are base64 (RFC 2045 §6.8) with Content-Disposition
// (RFC 2183) and, for non-ASCII names, RFC 2231 filenames. Boundaries are "=_kirim_" plus 24
// hex digits from `random`: "=_" cannot occur in quoted-printable or base64 output.
//
// Header validation for the API layer (ValidateHeaderName, ValidateHeaderValue,
// IsReservedHeader) lives in server/mime/header.h, part of this library's dependencies.
#ifndef KIRIM_SERVER_MIME_MIME_BUILDER_H_
#define KIRIM_SERVER_MIME_MIME_BUILDER_H_

#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "server/address/address.h"
#include "server/common/random.h"
#include "server/mime/header.h"

namespace kirim {

struct MimeAttachment {
  std::string filename;      // UTF-8; may be empty (no filename parameters then)
  std::string content_type;  // "type/subtype"; empty means application/octet-stream
  std::string content;       // raw bytes
  std::string content_id;    // for inline use by the html body ("logo" or "<logo@x>"); may be empty
};

struct MimeInput {
  Mailbox from;
  std::vector<Mailbox> reply_to, to, cc;  // bcc never appears in headers
  std::string subject;                    // UTF-8
  std::string text_body, html_body;       // UTF-8; at least one non-empty, or an attachment
  std::vector<MimeAttachment> attachments;
  // Caller's extra header fields, already checked with ValidateHeaderName/Value and
  // IsReservedHeader (checked again here, since a bad one would corrupt the message).
  std::vector<std::pair<std::string, std::string>> headers;
  std::string message_id;  // full header value incl. angle brackets, e.g. "<01J...@example.com>"
  absl::Time date;
};

// InvalidArgument (naming the field) when the input cannot make a valid message: a mailbox
// that fails ValidateMailbox, control characters or invalid UTF-8 in text, neither a body nor
// an attachment, a bad message_id, content_type or content_id, or a reserved or malformed
// extra header.
absl::StatusOr<std::string> BuildMessage(const MimeInput& in, Random& random);

}  // namespace kirim

#endif  // KIRIM_SERVER_MIME_MIME_BUILDER_H_
