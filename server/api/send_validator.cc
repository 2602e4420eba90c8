#include "server/api/send_validator.h"

#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "server/common/status_details.h"
#include "server/common/proto_time.h"
#include "server/mime/mime_builder.h"

namespace kirim {
namespace {

constexpr int kMaxTags = 20;
constexpr size_t kMaxTagBytes = 128;
constexpr int kMaxMetadata = 50;
constexpr size_t kMaxMetadataKeyBytes = 128;
constexpr size_t kMaxMetadataValueBytes = 1024;
constexpr size_t kMaxSubjectBytes = 998;

bool HasLineBreakOrNul(absl::string_view s) {
  return s.find_first_of(std::string("\r\n\0", 3)) != absl::string_view::npos;
}

bool IsPrintableAscii(absl::string_view s) {
  for (unsigned char c : s) {
    if (c < 0x21 || c > 0x7e) return false;
  }
  return true;
}

// MIME type token: RFC 2045 §5.1 type "/" subtype, tokens only.
bool IsMimeType(absl::string_view s) {
  size_t slash = s.find('/');
  if (slash == absl::string_view::npos || slash == 0 || slash + 1 == s.size()) return false;
  for (size_t i = 0; i < s.size(); ++i) {
    unsigned char c = s[i];
    if (i == slash) continue;
    if (c <= 0x20 || c >= 0x7f || absl::string_view("()<>@,;:\\\"/[]?=").find(c) != absl::string_view::npos) {
      return false;
    }
  }
  return true;
}

std::string Indexed(absl::string_view field, int i) { return absl::StrCat(field, "[", i, "]"); }

}  // namespace

absl::StatusOr<ValidatedSend> ValidateSendEmail(const v1::SendEmailRequest& req,
                                                const SendLimits& limits, absl::Time now) {
  FieldViolations bad;
  ValidatedSend out;

  if (req.from().empty()) {
    bad.Add("from", "required");
  } else if (auto from = ParseMailbox(req.from()); !from.ok()) {
    bad.Add("from", std::string(from.status().message()));
  } else {
    out.from = *from;
    out.envelope_from = from->Address();
  }
  if (!req.envelope_from().empty()) {
    if (auto env = ParseAddrSpec(req.envelope_from()); !env.ok()) {
      bad.Add("envelope_from", std::string(env.status().message()));
    } else {
      out.envelope_from = env->Address();
    }
  }
  for (int i = 0; i < req.reply_to_size(); ++i) {
    if (auto m = ParseMailbox(req.reply_to(i)); !m.ok()) {
      bad.Add(Indexed("reply_to", i), std::string(m.status().message()));
    }
  }

  // Envelope recipients, deduplicated: the same mailbox in to and bcc gets one copy.
  std::set<std::string> seen;
  int total = 0;
  auto add_recipients = [&](absl::string_view field,
                            const google::protobuf::RepeatedPtrField<std::string>& list) {
    for (int i = 0; i < list.size(); ++i) {
      ++total;
      auto m = ParseMailbox(list[i]);
      if (!m.ok()) {
        bad.Add(Indexed(field, i), std::string(m.status().message()));
        continue;
      }
      std::string address = m->Address();
      std::string key = absl::StrCat(m->local_part, "@", absl::AsciiStrToLower(m->domain));
      if (seen.insert(key).second) out.envelope_recipients.push_back(address);
    }
  };
  add_recipients("to", req.to());
  add_recipients("cc", req.cc());
  add_recipients("bcc", req.bcc());
  if (total == 0) bad.Add("to", "at least one recipient (to, cc or bcc) is required");
  if (total > limits.max_recipients) {
    bad.Add("to", absl::StrCat("too many recipients: ", total, " (to + cc + bcc), the limit is ",
                               limits.max_recipients));
  }

  if (HasLineBreakOrNul(req.subject())) bad.Add("subject", "must not contain CR, LF or NUL");
  if (req.subject().size() > kMaxSubjectBytes) {
    bad.Add("subject", absl::StrCat("longer than ", kMaxSubjectBytes, " bytes"));
  }
  if (req.text_body().empty() && req.html_body().empty()) {
    bad.Add("text_body", "a text_body or an html_body is required");
  }

  if (req.headers_size() > limits.max_headers) {
    bad.Add("headers", absl::StrCat("too many headers: ", req.headers_size(), ", the limit is ",
                                    limits.max_headers));
  }
  for (const auto& [name, value] : req.headers()) {
    // A name with CR/LF must not be echoed raw into the field path either.
    std::string field = HasLineBreakOrNul(name) ? "headers" : absl::StrCat("headers.", name);
    if (auto s = ValidateHeaderName(name); !s.ok()) {
      bad.Add(field, std::string(s.message()));
    } else if (IsReservedHeader(name)) {
      bad.Add(field, "set by Kirim; use the request's own field instead");
    } else if (auto v = ValidateHeaderValue(value); !v.ok()) {
      bad.Add(field, std::string(v.message()));
    }
  }

  if (req.attachments_size() > limits.max_attachments) {
    bad.Add("attachments", absl::StrCat("too many attachments: ", req.attachments_size(),
                                        ", the limit is ", limits.max_attachments));
  }
  int64_t attachment_bytes = 0;
  for (int i = 0; i < req.attachments_size(); ++i) {
    const auto& a = req.attachments(i);
    std::string f = Indexed("attachments", i);
    if (a.filename().empty()) bad.Add(f + ".filename", "required");
    if (HasLineBreakOrNul(a.filename())) bad.Add(f + ".filename", "must not contain CR, LF or NUL");
    if (!a.content_type().empty() && !IsMimeType(a.content_type())) {
      bad.Add(f + ".content_type", "must be a MIME type like \"application/pdf\"");
    }
    if (!a.content_id().empty() && (!IsPrintableAscii(a.content_id()) ||
                                    a.content_id().find_first_of("<>") != std::string::npos)) {
      bad.Add(f + ".content_id", "printable ASCII without spaces or angle brackets");
    }
    if (static_cast<int64_t>(a.content().size()) > limits.max_attachment_bytes) {
      bad.Add(f + ".content", absl::StrCat("larger than ", limits.max_attachment_bytes, " bytes"));
    }
    attachment_bytes += static_cast<int64_t>(a.content().size());
  }

  if (req.tags_size() > kMaxTags) bad.Add("tags", absl::StrCat("at most ", kMaxTags, " tags"));
  for (int i = 0; i < req.tags_size(); ++i) {
    if (req.tags(i).empty() || req.tags(i).size() > kMaxTagBytes || !IsPrintableAscii(req.tags(i))) {
      bad.Add(Indexed("tags", i), absl::StrCat("1 to ", kMaxTagBytes, " printable ASCII characters"));
    }
  }
  if (req.metadata_size() > kMaxMetadata) {
    bad.Add("metadata", absl::StrCat("at most ", kMaxMetadata, " entries"));
  }
  for (const auto& [key, value] : req.metadata()) {
    if (key.empty() || key.size() > kMaxMetadataKeyBytes || value.size() > kMaxMetadataValueBytes) {
      bad.Add("metadata", absl::StrCat("keys 1 to ", kMaxMetadataKeyBytes, " bytes, values up to ",
                                       kMaxMetadataValueBytes));
      break;
    }
  }
  if (req.idempotency_key().size() > kMaxIdempotencyKeyBytes) {
    bad.Add("idempotency_key", absl::StrCat("at most ", kMaxIdempotencyKeyBytes, " bytes"));
  }
  if (!v1::Priority_IsValid(req.priority())) bad.Add("priority", "unknown priority");
  if (req.has_send_at()) {
    absl::Time at = FromProtoTime(req.send_at());
    if (at > now + limits.max_schedule_ahead) {
      bad.Add("send_at", absl::StrCat("at most ", absl::FormatDuration(limits.max_schedule_ahead),
                                      " ahead"));
    } else if (at > now) {
      out.send_at = at;
    }
  }

  // The built size: bodies may grow by quoted-printable, attachments by base64 (4/3 plus line
  // breaks). An estimate that errs large, so the worker never builds an oversize message.
  int64_t text_bytes = static_cast<int64_t>(req.text_body().size() + req.html_body().size());
  int64_t header_bytes = static_cast<int64_t>(req.subject().size()) + 2048;
  for (const auto& [name, value] : req.headers()) header_bytes += name.size() + value.size() + 4;
  out.estimated_bytes = text_bytes * 3 / 2 + attachment_bytes * 138 / 100 + header_bytes;
  if (out.estimated_bytes > limits.max_message_bytes) {
    bad.Add(attachment_bytes > text_bytes ? "attachments" : "text_body",
            absl::StrCat("the message would be about ", out.estimated_bytes,
                         " bytes, over the limit of ", limits.max_message_bytes));
  }

  if (!bad.empty()) return bad.ToStatus();
  return out;
}

}  // namespace kirim
