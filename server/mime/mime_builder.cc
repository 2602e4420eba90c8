#include "server/mime/mime_builder.h"

#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/types/span.h"
#include "server/common/status_macros.h"
#include "server/mime/encoding.h"
#include "server/common/text.h"

namespace kirim {
namespace {

// Common file systems cap names here; a longer one is a caller bug, not a file name.
constexpr size_t kMaxFilename = 255;

// One MIME entity: header fields (each ending in CRLF) and the encoded body. The body carries
// no final CRLF of its own making: the enclosing boundary delimiter, or the end of the
// message, supplies the line break that ends its last line (RFC 2046 §5.1.1).
struct Part {
  std::string headers;
  std::string body;
};

absl::Status Invalid(absl::string_view what, absl::string_view reason) {
  return absl::InvalidArgumentError(absl::StrCat(what, ": ", reason));
}

absl::Status Annotate(absl::string_view what, const absl::Status& status) {
  return status.ok() ? status : Invalid(what, status.message());
}

// RFC 2045 §5.1 token.
bool IsToken(absl::string_view text) {
  if (text.empty()) return false;
  for (char c : text) {
    if (c < 33 || c > 126 ||
        absl::string_view("()<>@,;:\\\"/[]?=").find(c) != absl::string_view::npos) {
      return false;
    }
  }
  return true;
}

// The text of an RFC 5322 §3.6.4 msg-id between its angle brackets, held to printable ASCII
// without white space or brackets: enough to keep the field intact, without judging the id.
bool IsMsgIdText(absl::string_view text) {
  if (text.empty()) return false;
  for (char c : text) {
    if (c < 33 || c > 126 || c == '<' || c == '>') return false;
  }
  return true;
}

absl::Status ValidateMessageId(absl::string_view id) {
  if (!absl::ConsumePrefix(&id, "<") || !absl::ConsumeSuffix(&id, ">") || !IsMsgIdText(id) ||
      !absl::StrContains(id, '@')) {
    return Invalid("message_id", "must look like <id@domain>");
  }
  return absl::OkStatus();
}

// Accepts "logo" or "<logo>"; the field needs the brackets (RFC 2045 §7), HTML's "cid:" URLs
// (RFC 2392) do not, so callers write either.
absl::StatusOr<std::string> FormatContentId(absl::string_view id) {
  if (absl::ConsumePrefix(&id, "<") && !absl::ConsumeSuffix(&id, ">")) id = absl::string_view();
  if (!IsMsgIdText(id)) {
    return absl::InvalidArgumentError(
        "content_id must be printable ASCII without spaces or angle brackets");
  }
  return absl::StrCat("<", id, ">");
}

absl::StatusOr<std::string> NormalizeContentType(absl::string_view type) {
  if (type.empty()) return std::string("application/octet-stream");
  const std::vector<absl::string_view> parts = absl::StrSplit(type, absl::MaxSplits('/', 1));
  if (parts.size() != 2 || !IsToken(parts[0]) || !IsToken(parts[1])) {
    return absl::InvalidArgumentError("content_type must be type/subtype");
  }
  std::string lower = absl::AsciiStrToLower(type);
  // RFC 2045 §6.4: these may not be base64-encoded, and attachments always are.
  if (absl::StartsWith(lower, "multipart/") || absl::StartsWith(lower, "message/")) {
    return absl::InvalidArgumentError("content_type multipart/* or message/* cannot be attached");
  }
  return lower;
}

// `whole_message`: the part is the message's only one, whose text then always ends in a line
// break (the last line of a message body is a line like any other, RFC 5322 §2.3), whatever
// the encoding. Inside a multipart the CRLF before the next boundary is the boundary's
// (RFC 2046 §5.1.1), so the text is kept exactly as given.
absl::StatusOr<Part> TextPart(absl::string_view subtype, absl::string_view what,
                              absl::string_view utf8, bool whole_message) {
  if (!IsValidUtf8(utf8)) return Invalid(what, "not valid UTF-8");
  std::string text = ToCrlf(utf8);
  if (whole_message && !absl::EndsWith(text, "\r\n")) text += "\r\n";
  EncodedText encoded = EncodeText(std::move(text));
  Part part;
  KIRIM_RETURN_IF_ERROR(AppendHeader(
      "Content-Type", absl::StrCat("text/", subtype, "; charset=utf-8"), &part.headers));
  KIRIM_RETURN_IF_ERROR(AppendHeader("Content-Transfer-Encoding",
                                     TransferEncodingName(encoded.encoding), &part.headers));
  part.body = std::move(encoded.body);
  return part;
}

absl::StatusOr<Part> AttachmentPart(const MimeAttachment& attachment, size_t index,
                                    bool is_inline) {
  const std::string what = absl::StrCat("attachments[", index, "]");
  absl::StatusOr<std::string> type = NormalizeContentType(attachment.content_type);
  KIRIM_RETURN_IF_ERROR(Annotate(what, type.status()));
  const absl::string_view filename = attachment.filename;
  KIRIM_RETURN_IF_ERROR(Annotate(absl::StrCat(what, " filename"),
                                 CheckNoControlChars(filename, /*allow_tab=*/false)));
  if (!IsValidUtf8(filename)) return Invalid(what, "filename is not valid UTF-8");
  if (filename.size() > kMaxFilename) return Invalid(what, "filename longer than 255 octets");

  std::string content_type = *std::move(type);
  std::string disposition = is_inline ? "inline" : "attachment";
  if (!filename.empty()) {
    absl::StrAppend(&content_type, NameParameter(filename));
    absl::StrAppend(&disposition, FilenameParameter(filename));
  }
  Part part;
  KIRIM_RETURN_IF_ERROR(AppendHeader("Content-Type", content_type, &part.headers));
  KIRIM_RETURN_IF_ERROR(AppendHeader("Content-Transfer-Encoding", "base64", &part.headers));
  KIRIM_RETURN_IF_ERROR(AppendHeader("Content-Disposition", disposition, &part.headers));
  if (!attachment.content_id.empty()) {
    absl::StatusOr<std::string> id = FormatContentId(attachment.content_id);
    KIRIM_RETURN_IF_ERROR(Annotate(what, id.status()));
    KIRIM_RETURN_IF_ERROR(AppendHeader("Content-ID", *id, &part.headers));
  }
  part.body = Base64Lines(attachment.content);
  return part;
}

// `type` is the full media type with any parameters but the boundary, e.g.
// "multipart/related; type=\"text/html\"".
absl::StatusOr<Part> Multipart(absl::string_view type, std::vector<Part> children, Random& random) {
  const std::string boundary = absl::StrCat("=_kirim_", absl::BytesToHexString(random.Bytes(12)));
  Part part;
  KIRIM_RETURN_IF_ERROR(AppendHeader(
      "Content-Type", absl::StrCat(type, "; boundary=\"", boundary, "\""), &part.headers));
  for (const Part& child : children) {
    absl::StrAppend(&part.body, "--", boundary, "\r\n", child.headers, "\r\n", child.body, "\r\n");
  }
  absl::StrAppend(&part.body, "--", boundary, "--");
  return part;
}

absl::StatusOr<Part> BuildBody(const MimeInput& in, Random& random) {
  if (in.text_body.empty() && in.html_body.empty() && in.attachments.empty()) {
    return absl::InvalidArgumentError("text_body or html_body is required");
  }
  const bool has_html = !in.html_body.empty();
  const bool single_part = in.attachments.empty() && (in.text_body.empty() || !has_html);
  std::vector<Part> related, mixed;
  for (size_t i = 0; i < in.attachments.size(); ++i) {
    const bool is_inline = has_html && !in.attachments[i].content_id.empty();
    KIRIM_ASSIGN_OR_RETURN(Part part, AttachmentPart(in.attachments[i], i, is_inline));
    (is_inline ? related : mixed).push_back(std::move(part));
  }

  std::vector<Part> alternatives;
  if (!in.text_body.empty()) {
    KIRIM_ASSIGN_OR_RETURN(Part text, TextPart("plain", "text_body", in.text_body, single_part));
    alternatives.push_back(std::move(text));
  }
  if (has_html) {
    KIRIM_ASSIGN_OR_RETURN(Part html, TextPart("html", "html_body", in.html_body, single_part));
    if (!related.empty()) {
      related.insert(related.begin(), std::move(html));
      // RFC 2387 §3.1: "type" names the root part's media type.
      KIRIM_ASSIGN_OR_RETURN(
          html, Multipart("multipart/related; type=\"text/html\"", std::move(related), random));
    }
    alternatives.push_back(std::move(html));
  }

  // No body at all (attachments only): multipart/mixed holds just the attachments.
  if (alternatives.size() == 1) {
    if (mixed.empty()) return std::move(alternatives.front());
    mixed.insert(mixed.begin(), std::move(alternatives.front()));
  } else if (alternatives.size() == 2) {
    KIRIM_ASSIGN_OR_RETURN(Part content,
                           Multipart("multipart/alternative", std::move(alternatives), random));
    if (mixed.empty()) return content;
    mixed.insert(mixed.begin(), std::move(content));
  }
  return Multipart("multipart/mixed", std::move(mixed), random);
}

absl::Status AppendExtraHeader(absl::string_view name, absl::string_view value, std::string* out) {
  const std::string what = absl::StrCat("header ", name);
  KIRIM_RETURN_IF_ERROR(Annotate(what, ValidateHeaderName(name)));
  if (IsReservedHeader(name)) return Invalid(what, "set by Kirim, not by the caller");
  KIRIM_RETURN_IF_ERROR(Annotate(what, ValidateHeaderValue(value)));
  // ASCII values may be structured (List-Unsubscribe, ...), so they go out untouched; only
  // non-ASCII ones, which no structured field allows, become encoded-words.
  if (IsAscii(value)) return AppendHeader(name, value, out);
  return AppendTextHeader(name, value, out);
}

}  // namespace

absl::StatusOr<std::string> BuildMessage(const MimeInput& in, Random& random) {
  if (in.date == absl::InfinitePast() || in.date == absl::InfiniteFuture()) {
    return Invalid("date", "must be a finite time");
  }
  KIRIM_RETURN_IF_ERROR(ValidateMessageId(in.message_id));
  KIRIM_ASSIGN_OR_RETURN(const Part root, BuildBody(in, random));

  std::string message;
  KIRIM_RETURN_IF_ERROR(AppendHeader("Date", FormatDate(in.date), &message));
  KIRIM_RETURN_IF_ERROR(AppendAddressHeader("From", absl::MakeConstSpan(&in.from, 1), &message));
  // Address lists are written only when non-empty (RFC 5322 §3.6.3 allows a message with no
  // destination fields, e.g. one sent only to Bcc recipients).
  if (!in.reply_to.empty()) {
    KIRIM_RETURN_IF_ERROR(AppendAddressHeader("Reply-To", in.reply_to, &message));
  }
  if (!in.to.empty()) KIRIM_RETURN_IF_ERROR(AppendAddressHeader("To", in.to, &message));
  if (!in.cc.empty()) KIRIM_RETURN_IF_ERROR(AppendAddressHeader("Cc", in.cc, &message));
  KIRIM_RETURN_IF_ERROR(AppendTextHeader("Subject", in.subject, &message));
  KIRIM_RETURN_IF_ERROR(AppendHeader("Message-ID", in.message_id, &message));
  KIRIM_RETURN_IF_ERROR(AppendHeader("MIME-Version", "1.0", &message));
  for (const auto& [name, value] : in.headers) {
    KIRIM_RETURN_IF_ERROR(AppendExtraHeader(name, value, &message));
  }
  absl::StrAppend(&message, root.headers, "\r\n", root.body);
  // A multipart's close-delimiter and base64's last line need the final line break.
  if (!absl::EndsWith(message, "\r\n")) message += "\r\n";
  return message;
}

}  // namespace kirim
