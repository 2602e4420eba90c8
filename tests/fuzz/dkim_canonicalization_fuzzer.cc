// Fuzz target: DKIM relaxed canonicalisation and the header/body split it works on
// (server/dkim/canonicalization.h).
//
// Input: a message. SplitMessage reads it; RelaxedBody also reads the whole input as a body.
// Invariants:
//   - SplitMessage: the fields and the body put back together are the message (the body a
//     view into it); each name is non-empty printable ASCII without ':', each raw field starts
//     with its name and holds CRLF only before folding white space, no bare CR or LF.
//   - RelaxedHeader of a split field: "name:value" CRLF with the name lower-case, one CRLF (at
//     the end), no HTAB, no WSP run, no WSP after the colon or before the CRLF; and it is
//     idempotent: canonicalising the canonical field again changes nothing (RFC 6376 §3.4.2).
//   - RelaxedBody (RFC 6376 §3.4.4): "" or text ending in exactly one CRLF, no HTAB, no WSP run,
//     no WSP before a CRLF; idempotent; blind to a missing final CRLF, to added empty (or
//     white-space-only) lines at the end and to HTAB versus SP.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "server/dkim/canonicalization.h"
#include "tests/fuzz/fuzz_input.h"

namespace kirim::dkim {
namespace {

bool IsWsp(char c) { return c == ' ' || c == '\t'; }

// No HTAB, no two WSP in a row, no WSP right before a CRLF.
void CheckCompressed(absl::string_view text) {
  KIRIM_FUZZ_CHECK(text.find('\t') == absl::string_view::npos);
  KIRIM_FUZZ_CHECK(!absl::StrContains(text, "  "));
  KIRIM_FUZZ_CHECK(!absl::StrContains(text, " \r\n"));
}

void CheckSplit(absl::string_view message, const std::vector<HeaderField>& fields,
                absl::string_view body) {
  KIRIM_FUZZ_CHECK(body.data() >= message.data() &&
                   body.data() + body.size() == message.data() + message.size());
  const absl::string_view head = message.substr(0, body.data() - message.data());
  std::string rebuilt;
  for (const HeaderField& f : fields) {
    KIRIM_FUZZ_CHECK(!f.name.empty() && absl::StartsWith(f.raw, f.name));
    for (char c : f.name) KIRIM_FUZZ_CHECK(c >= 33 && c <= 126 && c != ':');
    KIRIM_FUZZ_CHECK(f.RawValue().data() > f.raw.data());
    for (size_t i = 0; i < f.raw.size(); ++i) {
      if (f.raw[i] == '\n') KIRIM_FUZZ_CHECK(i > 0 && f.raw[i - 1] == '\r');
      if (f.raw[i] == '\r') {
        KIRIM_FUZZ_CHECK(i + 2 < f.raw.size() && f.raw[i + 1] == '\n' && IsWsp(f.raw[i + 2]));
      }
    }
    absl::StrAppend(&rebuilt, f.raw, "\r\n");
  }
  // With an empty line, the head is the fields and that line; without one (no body), the head
  // is the fields, the last one perhaps without its CRLF.
  KIRIM_FUZZ_CHECK(head == absl::StrCat(rebuilt, "\r\n") ||
                   (body.empty() && (head == rebuilt || absl::StrCat(head, "\r\n") == rebuilt)));
}

void CheckHeader(const HeaderField& field) {
  const std::string canonical = RelaxedHeader(field.name, field.RawValue());
  KIRIM_FUZZ_CHECK(absl::EndsWith(canonical, "\r\n"));
  const absl::string_view line(canonical.data(), canonical.size() - 2);
  KIRIM_FUZZ_CHECK(line.find_first_of("\r\n") == absl::string_view::npos);
  CheckCompressed(canonical);
  const size_t colon = line.find(':');
  KIRIM_FUZZ_CHECK(colon != absl::string_view::npos);
  const absl::string_view name = line.substr(0, colon), value = line.substr(colon + 1);
  KIRIM_FUZZ_CHECK(name == absl::AsciiStrToLower(field.name));
  KIRIM_FUZZ_CHECK(value.empty() || (!IsWsp(value.front()) && !IsWsp(value.back())));
  KIRIM_FUZZ_CHECK(RelaxedHeader(name, value) == canonical);
}

void CheckBody(absl::string_view body) {
  const std::string canonical = RelaxedBody(body);
  if (!canonical.empty()) {
    KIRIM_FUZZ_CHECK(absl::EndsWith(canonical, "\r\n") && !absl::EndsWith(canonical, "\r\n\r\n"));
    KIRIM_FUZZ_CHECK(canonical != "\r\n");
  }
  CheckCompressed(canonical);
  KIRIM_FUZZ_CHECK(RelaxedBody(canonical) == canonical);
  if (!absl::EndsWith(body, "\r\n")) {
    KIRIM_FUZZ_CHECK(RelaxedBody(absl::StrCat(body, "\r\n")) == canonical);
  }
  KIRIM_FUZZ_CHECK(RelaxedBody(absl::StrCat(body, "\r\n \t\r\n\r\n")) == canonical);
  std::string spaces(body);
  std::replace(spaces.begin(), spaces.end(), '\t', ' ');
  KIRIM_FUZZ_CHECK(RelaxedBody(spaces) == canonical);
}

}  // namespace
}  // namespace kirim::dkim

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const absl::string_view message(reinterpret_cast<const char*>(data), size);
  auto split = kirim::dkim::SplitMessage(message);
  if (split.ok()) {
    const auto& [fields, body] = *split;
    kirim::dkim::CheckSplit(message, fields, body);
    for (const kirim::dkim::HeaderField& field : fields) kirim::dkim::CheckHeader(field);
    kirim::dkim::CheckBody(body);
  } else {
    KIRIM_FUZZ_CHECK(split.status().code() == absl::StatusCode::kInvalidArgument);
  }
  kirim::dkim::CheckBody(message);
  return 0;
}
