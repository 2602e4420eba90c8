#include "server/common/text.h"

#include <algorithm>

#include "absl/strings/ascii.h"

namespace kirim {

bool IsAscii(absl::string_view text) {
  for (char c : text) {
    if (static_cast<unsigned char>(c) >= 0x80) return false;
  }
  return true;
}

size_t Utf8SequenceLength(unsigned char lead) {
  if (lead >= 0xF0 && lead <= 0xF4) return 4;
  if (lead >= 0xE0 && lead <= 0xEF) return 3;
  if (lead >= 0xC2 && lead <= 0xDF) return 2;
  return 1;
}

std::vector<uint32_t> CodePoints(absl::string_view text) {
  std::vector<uint32_t> out;
  for (size_t i = 0; i < text.size();) {
    const auto lead = static_cast<unsigned char>(text[i]);
    const size_t len = Utf8SequenceLength(lead);
    uint32_t cp = len == 1 ? lead : lead & (0xFF >> (len + 1));
    for (size_t k = 1; k < len; ++k) {
      cp = (cp << 6) | (static_cast<unsigned char>(text[i + k]) & 0x3F);
    }
    out.push_back(cp);
    i += len;
  }
  return out;
}

bool IsValidUtf8(absl::string_view text) {
  size_t i = 0;
  while (i < text.size()) {
    const auto lead = static_cast<unsigned char>(text[i]);
    if (lead < 0x80) {
      ++i;
      continue;
    }
    const size_t len = Utf8SequenceLength(lead);
    if (len == 1 || i + len > text.size()) return false;  // stray or truncated
    // RFC 3629 §4: the second byte's range depends on the lead byte; this is what rules out
    // overlong forms (E0, F0), surrogates (ED) and code points past U+10FFFF (F4).
    const auto second = static_cast<unsigned char>(text[i + 1]);
    unsigned char lo = 0x80, hi = 0xBF;
    if (lead == 0xE0) lo = 0xA0;
    if (lead == 0xED) hi = 0x9F;
    if (lead == 0xF0) lo = 0x90;
    if (lead == 0xF4) hi = 0x8F;
    if (second < lo || second > hi) return false;
    for (size_t k = 2; k < len; ++k) {
      const auto cont = static_cast<unsigned char>(text[i + k]);
      if (cont < 0x80 || cont > 0xBF) return false;
    }
    i += len;
  }
  return true;
}

std::vector<absl::string_view> SplitUtf8(absl::string_view text, size_t first_budget, size_t budget,
                                         absl::FunctionRef<size_t(absl::string_view)> cost) {
  std::vector<absl::string_view> pieces;
  size_t start = 0;
  while (start < text.size()) {
    const size_t limit = pieces.empty() ? first_budget : budget;
    size_t end = start;
    while (end < text.size()) {
      const size_t next =
          std::min(end + Utf8SequenceLength(static_cast<unsigned char>(text[end])), text.size());
      if (end > start && cost(text.substr(start, next - start)) > limit) break;
      end = next;
    }
    pieces.push_back(text.substr(start, end - start));
    start = end;
  }
  return pieces;
}

bool IsAtext(char c) {
  return absl::ascii_isalnum(static_cast<unsigned char>(c)) ||
         absl::string_view("!#$%&'*+-/=?^_`{|}~").find(c) != absl::string_view::npos;
}

absl::Status CheckNoControlChars(absl::string_view text, bool allow_tab) {
  for (char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if (u == '\r' || u == '\n') return absl::InvalidArgumentError("contains CR or LF");
    if (u == 0) return absl::InvalidArgumentError("contains NUL");
    if (u == '\t' && allow_tab) continue;
    if (u < 0x20 || u == 0x7F) return absl::InvalidArgumentError("contains a control character");
  }
  return absl::OkStatus();
}

}  // namespace kirim
