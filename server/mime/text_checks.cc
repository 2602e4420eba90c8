#include "server/mime/text_checks.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "server/common/text.h"
#include "server/mime/encoding.h"

namespace kirim {

absl::Status CheckCrlfLines(absl::string_view text, size_t max_length) {
  if (!absl::EndsWith(text, "\r\n")) return absl::InvalidArgumentError("does not end in CRLF");
  size_t line_start = 0;
  int line = 1;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\n' && (i == 0 || text[i - 1] != '\r')) {
      return absl::InvalidArgumentError(absl::StrCat("bare LF in line ", line));
    }
    if (text[i] != '\r') continue;
    if (i + 1 == text.size() || text[i + 1] != '\n') {
      return absl::InvalidArgumentError(absl::StrCat("bare CR in line ", line));
    }
    if (i - line_start > max_length) {
      return absl::InvalidArgumentError(
          absl::StrCat("line ", line, " is ", i - line_start, " octets, over ", max_length, ": ",
                       text.substr(line_start, i - line_start)));
    }
    line_start = i + 2;
    ++line;
    ++i;  // past the LF
  }
  return absl::OkStatus();
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

absl::StatusOr<std::string> DecodeHeaderText(absl::string_view value) {
  if (!absl::StartsWith(value, "=?")) return std::string(value);
  std::string out;
  for (absl::string_view word : absl::StrSplit(value, ' ')) {
    if (word.size() > kMaxEncodedWordLength) {
      return absl::InvalidArgumentError(absl::StrCat("encoded-word over ", kMaxEncodedWordLength,
                                                     " characters: ", word));
    }
    absl::StatusOr<std::string> decoded = DecodeWord(word);
    if (!decoded.ok()) {
      return absl::InvalidArgumentError(absl::StrCat(word, ": ", decoded.status().message()));
    }
    if (!IsValidUtf8(*decoded)) {
      return absl::InvalidArgumentError(absl::StrCat("split inside a character: ", word));
    }
    out += *decoded;
  }
  return out;
}

}  // namespace kirim
