#include "client/ctl/message_flags.h"

#include "absl/flags/flag.h"
#include "absl/strings/match.h"
#include "absl/strings/strip.h"
#include "absl/strings/str_cat.h"
#include "client/ctl/attachments.h"
#include "client/ctl/files.h"
#include "server/common/proto_time.h"

ABSL_FLAG(std::string, from, "", "the From mailbox, e.g. 'Shop <shop@example.com>'");
ABSL_FLAG(std::vector<std::string>, to, {}, "To mailboxes (comma-separated or repeated)");
ABSL_FLAG(std::vector<std::string>, cc, {}, "Cc mailboxes");
ABSL_FLAG(std::vector<std::string>, bcc, {}, "Bcc addresses (envelope only)");
ABSL_FLAG(std::vector<std::string>, reply_to, {}, "Reply-To mailboxes");
ABSL_FLAG(std::string, subject, "", "the subject");
ABSL_FLAG(std::string, text, "", "the plain-text body");
ABSL_FLAG(std::string, text_file, "", "read the plain-text body from this file");
ABSL_FLAG(std::string, html, "", "the HTML body");
ABSL_FLAG(std::string, html_file, "", "read the HTML body from this file");
ABSL_FLAG(std::vector<std::string>, attach, {},
          "attach these files (repeated or comma-separated; type from the extension)");
ABSL_FLAG(std::string, priority, "",
          "transactional or bulk (default: transactional for send, bulk for batch)");
ABSL_FLAG(std::vector<std::string>, tags, {}, "tags for the message(s), for events and metrics");
ABSL_FLAG(std::string, idempotency_key, "",
          "the same key again within the window never sends twice");
ABSL_FLAG(std::string, send_at, "",
          "hold until this time: RFC 3339 (2026-03-01T09:00:00Z) or +duration (+2h)");

namespace kirim::ctl {
namespace {

absl::StatusOr<std::string> InlineOrFile(const char* name, const std::string& inline_value,
                                         const char* file_name, const std::string& path) {
  if (path.empty()) return inline_value;
  if (!inline_value.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("give --", name, " or --", file_name, ", not both"));
  }
  absl::StatusOr<std::string> content = ReadFile(path);
  if (!content.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("--", file_name, ": ", content.status().message()));
  }
  return content;
}

}  // namespace

const std::vector<std::string>& SendFlagNames() {
  static const auto* const kNames = new std::vector<std::string>{
      "from", "to",       "cc",       "bcc",  "reply_to",        "subject", "text", "text_file",
      "html", "html_file", "attach", "tags", "priority", "idempotency_key", "send_at"};
  return *kNames;
}

std::string SubjectFromFlags() { return absl::GetFlag(FLAGS_subject); }

absl::StatusOr<std::string> TextBodyFromFlags() {
  return InlineOrFile("text", absl::GetFlag(FLAGS_text), "text_file", absl::GetFlag(FLAGS_text_file));
}

absl::StatusOr<std::string> HtmlBodyFromFlags() {
  return InlineOrFile("html", absl::GetFlag(FLAGS_html), "html_file", absl::GetFlag(FLAGS_html_file));
}

absl::StatusOr<google::protobuf::RepeatedPtrField<v1::Attachment>> AttachmentsFromFlags() {
  google::protobuf::RepeatedPtrField<v1::Attachment> out;
  for (const std::string& path : absl::GetFlag(FLAGS_attach)) {
    if (path.empty()) continue;
    absl::StatusOr<v1::Attachment> a = AttachmentFromFile(path);
    if (!a.ok()) return a.status();
    *out.Add() = *std::move(a);
  }
  return out;
}

absl::StatusOr<v1::Priority> PriorityFromFlags(v1::Priority fallback) {
  const std::string priority = absl::GetFlag(FLAGS_priority);
  if (priority.empty()) return fallback;
  if (priority == "transactional") return v1::TRANSACTIONAL;
  if (priority == "bulk") return v1::BULK;
  return absl::InvalidArgumentError("--priority must be transactional or bulk");
}

absl::StatusOr<absl::Time> ParseSendAt(absl::string_view text, absl::Time now) {
  if (absl::ConsumePrefix(&text, "+")) {
    absl::Duration d;
    if (!absl::ParseDuration(text, &d) || d < absl::ZeroDuration()) {
      return absl::InvalidArgumentError(
          absl::StrCat("--send_at: \"+", text, "\" is not +<duration>, e.g. +90m"));
    }
    return now + d;
  }
  absl::Time t;
  std::string error;
  if (!absl::ParseTime(absl::RFC3339_full, text, &t, &error)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--send_at: \"", text, "\" is neither RFC 3339 (2026-03-01T09:00:00Z) nor +<duration>"));
  }
  return t;
}

absl::StatusOr<std::optional<absl::Time>> SendAtFromFlags(absl::Time now) {
  const std::string text = absl::GetFlag(FLAGS_send_at);
  if (text.empty()) return std::optional<absl::Time>();
  absl::StatusOr<absl::Time> t = ParseSendAt(text, now);
  if (!t.ok()) return t.status();
  return std::optional<absl::Time>(*t);
}

absl::StatusOr<v1::SendEmailRequest> SendRequestFromFlags(absl::Time now) {
  v1::SendEmailRequest req;
  req.set_from(absl::GetFlag(FLAGS_from));
  for (const auto& a : absl::GetFlag(FLAGS_reply_to)) req.add_reply_to(a);
  for (const auto& a : absl::GetFlag(FLAGS_to)) req.add_to(a);
  for (const auto& a : absl::GetFlag(FLAGS_cc)) req.add_cc(a);
  for (const auto& a : absl::GetFlag(FLAGS_bcc)) req.add_bcc(a);
  for (const auto& t : absl::GetFlag(FLAGS_tags)) req.add_tags(t);
  req.set_subject(SubjectFromFlags());
  absl::StatusOr<std::string> text = TextBodyFromFlags();
  if (!text.ok()) return text.status();
  req.set_text_body(*std::move(text));
  absl::StatusOr<std::string> html = HtmlBodyFromFlags();
  if (!html.ok()) return html.status();
  req.set_html_body(*std::move(html));
  absl::StatusOr<google::protobuf::RepeatedPtrField<v1::Attachment>> attachments =
      AttachmentsFromFlags();
  if (!attachments.ok()) return attachments.status();
  *req.mutable_attachments() = *std::move(attachments);
  req.set_idempotency_key(absl::GetFlag(FLAGS_idempotency_key));
  absl::StatusOr<v1::Priority> priority = PriorityFromFlags(v1::TRANSACTIONAL);
  if (!priority.ok()) return priority.status();
  req.set_priority(*priority);
  absl::StatusOr<std::optional<absl::Time>> send_at = SendAtFromFlags(now);
  if (!send_at.ok()) return send_at.status();
  if (send_at->has_value()) *req.mutable_send_at() = ToProtoTime(**send_at);
  return req;
}

}  // namespace kirim::ctl
