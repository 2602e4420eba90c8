// Fuzz target: building a message (server/mime/mime_builder.h, header.h, encoding.h) from
// arbitrary request fields.
//
// Input: fields separated by 0x1F (tests/fuzz/fuzz_input.h), in this order:
//   from display name, from local part, from domain,
//   to display name, to local part, to domain   (no To field when all three are empty),
//   subject, text body, html body, extra header name, extra header value, message id,
//   then up to three attachments of four fields each: filename, content type, content id,
//   content.
// An empty from/to local part or domain becomes a valid default ("sender", "example.com"...)
// and an empty message id "<fuzz@example.com>", so inputs spend their bytes on the text.
// Invariants, for every message built:
//   - CRLF line ends everywhere (no bare CR or LF), no line over 998 octets (RFC 5322 §2.1.1);
//   - the header block splits (as the DKIM signer splits it) into exactly the fields Kirim
//     writes, in order: Date, From, [To], Subject, Message-ID, MIME-Version, [the extra
//     field], Content-Type, [Content-Transfer-Encoding]; nothing a subject, name, filename or
//     header value holds can add a field; no header line is white space only;
//   - the Subject and the extra field unfold (and decode, RFC 2047) to exactly what was given;
//   - a single-part body decodes (7bit, quoted-printable or base64) to its text with CRLF line
//     ends and a final line break.
// Failures must be InvalidArgument (the caller's fault), never anything else.
#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "server/common/text.h"
#include "server/dkim/canonicalization.h"
#include "server/mime/encoding.h"
#include "server/mime/text_checks.h"
#include "server/mime/mime_builder.h"
#include "tests/common/fake_random.h"
#include "tests/fuzz/fuzz_input.h"

namespace kirim {
namespace {

constexpr size_t kMaxAttachments = 3;

std::string OrDefault(absl::string_view field, absl::string_view fallback) {
  return std::string(field.empty() ? fallback : field);
}

// The value of the only field called `name`, unfolded, without the space after the colon.
std::string FieldValue(const std::vector<dkim::HeaderField>& fields, absl::string_view name) {
  for (const dkim::HeaderField& f : fields) {
    if (f.name != name) continue;
    std::string value = Unfold(f.RawValue());
    if (!value.empty()) {
      KIRIM_FUZZ_CHECK(value.front() == ' ');
      value.erase(0, 1);
    }
    return value;
  }
  KIRIM_FUZZ_CHECK(false && "field missing");
  return "";
}

void CheckFieldNames(const MimeInput& in, const std::vector<dkim::HeaderField>& fields,
                     bool single_part) {
  std::vector<std::string> expected = {"Date", "From"};
  if (!in.to.empty()) expected.push_back("To");
  for (const char* name : {"Subject", "Message-ID", "MIME-Version"}) expected.push_back(name);
  for (const auto& header : in.headers) expected.push_back(header.first);
  expected.push_back("Content-Type");
  if (single_part) expected.push_back("Content-Transfer-Encoding");  // multiparts have none
  std::vector<std::string> names;
  for (const dkim::HeaderField& f : fields) names.push_back(f.name);
  KIRIM_FUZZ_CHECK(names == expected);
  for (const dkim::HeaderField& f : fields) {
    for (absl::string_view line : absl::StrSplit(f.raw, "\r\n")) {
      KIRIM_FUZZ_CHECK(line.find_first_not_of(" \t") != absl::string_view::npos);
    }
  }
}

// The body of a single-part message decodes to its text.
void CheckSinglePart(const std::vector<dkim::HeaderField>& fields, absl::string_view body,
                     absl::string_view text) {
  std::string expected = ToCrlf(text);
  if (!absl::EndsWith(expected, "\r\n")) expected += "\r\n";
  const std::string encoding = FieldValue(fields, "Content-Transfer-Encoding");
  std::string decoded;
  if (encoding == "7bit") {
    decoded = std::string(body);
  } else if (encoding == "quoted-printable") {
    absl::StatusOr<std::string> qp = QuotedPrintableDecode(body);
    KIRIM_FUZZ_CHECK(qp.ok());
    decoded = *std::move(qp);
  } else {
    KIRIM_FUZZ_CHECK(encoding == "base64");
    KIRIM_FUZZ_CHECK(absl::Base64Unescape(absl::StrReplaceAll(body, {{"\r\n", ""}}), &decoded));
  }
  KIRIM_FUZZ_CHECK(decoded == expected);
}

void CheckMessage(const MimeInput& in, const std::string& message) {
  KIRIM_FUZZ_CHECK_OK(CheckCrlfLines(message, kMaxLineLength));
  auto split = dkim::SplitMessage(message);
  KIRIM_FUZZ_CHECK(split.ok());
  const auto& [fields, body] = *split;
  const bool single_part = in.attachments.empty() && (in.text_body.empty() || in.html_body.empty());
  CheckFieldNames(in, fields, single_part);
  KIRIM_FUZZ_CHECK(fuzz::Must(DecodeHeaderText(FieldValue(fields, "Subject"))) == in.subject);
  for (const auto& [name, value] : in.headers) {
    const std::string written = FieldValue(fields, name);
    KIRIM_FUZZ_CHECK((IsAscii(value) ? written : fuzz::Must(DecodeHeaderText(written))) == value);
  }
  if (single_part) CheckSinglePart(fields, body, in.text_body.empty() ? in.html_body : in.text_body);
}

}  // namespace
}  // namespace kirim

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using kirim::OrDefault;
  kirim::fuzz::FuzzInput input(data, size);
  kirim::MimeInput in;
  in.from.display_name = std::string(input.Field());
  in.from.local_part = OrDefault(input.Field(), "sender");
  in.from.domain = OrDefault(input.Field(), "example.com");
  const absl::string_view to_name = input.Field(), to_local = input.Field(),
                          to_domain = input.Field();
  if (!to_name.empty() || !to_local.empty() || !to_domain.empty()) {
    in.to.push_back({std::string(to_name), OrDefault(to_local, "rcpt"),
                     OrDefault(to_domain, "example.net")});
  }
  in.subject = std::string(input.Field());
  in.text_body = std::string(input.Field());
  in.html_body = std::string(input.Field());
  const absl::string_view header_name = input.Field(), header_value = input.Field();
  if (!header_name.empty()) in.headers.emplace_back(header_name, header_value);
  in.message_id = OrDefault(input.Field(), "<fuzz@example.com>");
  for (size_t i = 0; i < kirim::kMaxAttachments; ++i) {
    kirim::MimeAttachment a;
    a.filename = std::string(input.Field());
    a.content_type = std::string(input.Field());
    a.content_id = std::string(input.Field());
    a.content = std::string(input.Field());
    if (a.filename.empty() && a.content_type.empty() && a.content_id.empty() && a.content.empty()) {
      break;
    }
    in.attachments.push_back(std::move(a));
  }
  in.date = absl::FromUnixSeconds(1767323045);

  kirim::testing::FakeRandom random;
  absl::StatusOr<std::string> message = kirim::BuildMessage(in, random);
  if (message.ok()) {
    kirim::CheckMessage(in, *message);
  } else {
    KIRIM_FUZZ_CHECK(message.status().code() == absl::StatusCode::kInvalidArgument);
  }
  return 0;
}
