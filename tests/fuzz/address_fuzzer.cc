// Fuzz target: email address parsing (server/address/address.h) and IDNA (idna.h).
//
// Input: one address as text, given to ParseMailbox, ParseAddrSpec and DomainToAscii.
// Invariants, for every address that parses:
//   - it passes ValidateMailbox, carries no control character, fits RFC 5321 §4.5.3.1's 254
//     octets, and NeedsSmtpUtf8 says exactly whether the addr-spec is non-ASCII;
//   - re-serialised ("quoted name" <addr-spec>) it parses back to the same mailbox, and its
//     addr-spec is a fixed point of ParseAddrSpec (what the API stores, the SMTP client reads);
//   - written into a header field with AppendAddressHeader it is one field: CRLF only at folds
//     followed by white space and at the end, no line over 998 octets; unfolded, the field
//     parses back to the same mailbox (its display name after RFC 2047 decoding);
//   - an addr-spec that ParseAddrSpec takes, ParseMailbox takes the same way.
// And for any text: DomainToAscii gives ASCII with as many labels, and every Punycode label
// decodes (RFC 3492 §6.2, written here independently) back to the code points it came from.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "server/address/address.h"
#include "server/address/idna.h"
#include "server/common/text.h"
#include "server/mime/encoding.h"
#include "server/mime/text_checks.h"
#include "server/mime/header.h"
#include "tests/fuzz/fuzz_input.h"

namespace kirim {
namespace {

bool SameMailbox(const Mailbox& a, const Mailbox& b) {
  return a.display_name == b.display_name && a.local_part == b.local_part && a.domain == b.domain;
}

// The mailbox as an RFC 5322 name-addr with the display name always quoted.
std::string Serialize(const Mailbox& m) {
  if (m.display_name.empty()) return m.Address();
  std::string out = "\"";
  for (char c : m.display_name) {
    if (c == '"' || c == '\\') out.push_back('\\');
    out.push_back(c);
  }
  return out + "\" <" + m.Address() + ">";
}

// RFC 3492 §6.2 decoding of `in` (without "xn--"); false on malformed input or overflow.
bool PunycodeDecode(absl::string_view in, std::vector<uint32_t>* out) {
  constexpr uint64_t kBase = 36, kTMin = 1, kTMax = 26, kSkew = 38, kDamp = 700;
  auto adapt = [&](uint64_t delta, uint64_t points, bool first) {
    delta = first ? delta / kDamp : delta / 2;
    delta += delta / points;
    uint64_t k = 0;
    while (delta > ((kBase - kTMin) * kTMax) / 2) {
      delta /= kBase - kTMin;
      k += kBase;
    }
    return k + (kBase - kTMin + 1) * delta / (delta + kSkew);
  };
  out->clear();
  const size_t dash = in.rfind('-');
  size_t pos = 0;
  if (dash != absl::string_view::npos) {
    for (char c : in.substr(0, dash)) out->push_back(static_cast<unsigned char>(c));
    pos = dash + 1;
  }
  uint64_t n = 0x80, i = 0, bias = 72;
  while (pos < in.size()) {
    const uint64_t old_i = i;
    uint64_t w = 1;
    for (uint64_t k = kBase;; k += kBase) {
      if (pos >= in.size()) return false;
      const char c = in[pos++];
      uint64_t digit;
      if (c >= 'a' && c <= 'z') {
        digit = c - 'a';
      } else if (c >= '0' && c <= '9') {
        digit = c - '0' + 26;
      } else {
        return false;
      }
      i += digit * w;
      if (i > 0xFFFFFFFFu) return false;
      const uint64_t t = k <= bias ? kTMin : k >= bias + kTMax ? kTMax : k - bias;
      if (digit < t) break;
      w *= kBase - t;
    }
    const uint64_t points = out->size() + 1;
    bias = adapt(i - old_i, points, old_i == 0);
    n += i / points;
    i %= points;
    if (n > 0x10FFFF) return false;
    out->insert(out->begin() + static_cast<ptrdiff_t>(i), static_cast<uint32_t>(n));
    ++i;
  }
  return true;
}

void CheckIdna(absl::string_view text) {
  absl::StatusOr<std::string> ascii = DomainToAscii(text);
  if (!ascii.ok()) {
    // Only invalid UTF-8, or a label whose Punycode would overflow (RFC 3492 §6.4), fails.
    KIRIM_FUZZ_CHECK(!IsValidUtf8(text) || absl::StrContains(ascii.status().message(), "too long"));
    return;
  }
  KIRIM_FUZZ_CHECK(IsAscii(*ascii));
  const std::vector<absl::string_view> labels = absl::StrSplit(text, '.');
  const std::vector<absl::string_view> a_labels = absl::StrSplit(*ascii, '.');
  KIRIM_FUZZ_CHECK(labels.size() == a_labels.size());
  for (size_t i = 0; i < labels.size(); ++i) {
    if (IsAscii(labels[i])) {
      KIRIM_FUZZ_CHECK(a_labels[i] == labels[i]);
      continue;
    }
    KIRIM_FUZZ_CHECK(absl::StartsWith(a_labels[i], "xn--"));
    std::vector<uint32_t> decoded;
    KIRIM_FUZZ_CHECK(PunycodeDecode(a_labels[i].substr(4), &decoded));
    KIRIM_FUZZ_CHECK(decoded == CodePoints(labels[i]));
  }
}

void CheckParsed(const Mailbox& m) {
  KIRIM_FUZZ_CHECK(ValidateMailbox(m).ok());
  KIRIM_FUZZ_CHECK(CheckNoControlChars(m.display_name, /*allow_tab=*/false).ok());
  KIRIM_FUZZ_CHECK(CheckNoControlChars(m.Address(), /*allow_tab=*/false).ok());
  KIRIM_FUZZ_CHECK(IsValidUtf8(m.display_name) && IsValidUtf8(m.Address()));
  KIRIM_FUZZ_CHECK(m.Address().size() <= 254);
  KIRIM_FUZZ_CHECK(NeedsSmtpUtf8(m) == !IsAscii(m.Address()));

  absl::StatusOr<Mailbox> again = ParseMailbox(Serialize(m));
  KIRIM_FUZZ_CHECK(again.ok() && SameMailbox(*again, m));
  absl::StatusOr<Mailbox> spec = ParseAddrSpec(m.Address());
  KIRIM_FUZZ_CHECK(spec.ok() && spec->display_name.empty() && spec->local_part == m.local_part &&
                   spec->domain == m.domain);

  std::string field;
  KIRIM_FUZZ_CHECK(AppendAddressHeader("To", {m}, &field).ok());
  KIRIM_FUZZ_CHECK_OK(CheckCrlfLines(field, kMaxLineLength));
  const std::string unfolded = Unfold(field);  // one line: a single field
  KIRIM_FUZZ_CHECK(absl::StartsWith(unfolded, "To: ") && unfolded.find('\n') + 1 == unfolded.size());
  absl::StatusOr<Mailbox> read =
      ParseMailbox(absl::string_view(unfolded).substr(4, unfolded.size() - 6));
  KIRIM_FUZZ_CHECK(read.ok() && read->local_part == m.local_part && read->domain == m.domain);
  KIRIM_FUZZ_CHECK(fuzz::Must(DecodeHeaderText(read->display_name)) == m.display_name);
}

}  // namespace
}  // namespace kirim

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const absl::string_view text(reinterpret_cast<const char*>(data), size);
  absl::StatusOr<kirim::Mailbox> mailbox = kirim::ParseMailbox(text);
  if (mailbox.ok()) {
    kirim::CheckParsed(*mailbox);
  } else {
    KIRIM_FUZZ_CHECK(mailbox.status().code() == absl::StatusCode::kInvalidArgument);
  }
  absl::StatusOr<kirim::Mailbox> spec = kirim::ParseAddrSpec(text);
  if (spec.ok()) {
    kirim::CheckParsed(*spec);
    KIRIM_FUZZ_CHECK(mailbox.ok() && kirim::SameMailbox(*mailbox, *spec));
  } else {
    KIRIM_FUZZ_CHECK(spec.status().code() == absl::StatusCode::kInvalidArgument);
  }
  kirim::CheckIdna(text);
  return 0;
}
