#include "tests/fuzz/mail_checks.h"

#include "absl/strings/match.h"
#include "absl/strings/str_split.h"
#include "server/common/text.h"
#include "server/mime/encoding.h"
#include "tests/fuzz/fuzz_input.h"

namespace kirim::fuzz {

void CheckCrlfLines(absl::string_view text, size_t max_length) {
  KIRIM_FUZZ_CHECK(absl::EndsWith(text, "\r\n"));
  size_t line_start = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\n') KIRIM_FUZZ_CHECK(i > 0 && text[i - 1] == '\r');
    if (text[i] != '\r') continue;
    KIRIM_FUZZ_CHECK(i + 1 < text.size() && text[i + 1] == '\n');
    KIRIM_FUZZ_CHECK(i - line_start <= max_length);
    line_start = i + 2;
  }
}

std::string Unfold(absl::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\r' && i + 2 < text.size() && text[i + 1] == '\n' &&
        (text[i + 2] == ' ' || text[i + 2] == '\t')) {
      ++i;
      continue;
    }
    out.push_back(text[i]);
  }
  return out;
}

std::string DecodeWords(absl::string_view value) {
  if (!absl::StartsWith(value, "=?")) return std::string(value);
  std::string out;
  for (absl::string_view word : absl::StrSplit(value, ' ')) {
    KIRIM_FUZZ_CHECK(word.size() <= kMaxEncodedWordLength);
    absl::StatusOr<std::string> decoded = DecodeWord(word);
    KIRIM_FUZZ_CHECK(decoded.ok() && IsValidUtf8(*decoded));
    out += *decoded;
  }
  return out;
}

}  // namespace kirim::fuzz
