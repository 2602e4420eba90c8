#include "server/mime/mime_test_util.h"

#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "gtest/gtest.h"
#include "server/mime/encoding.h"
#include "server/common/text.h"

namespace kirim::testing {

void ExpectWellFormedLines(absl::string_view text, size_t max_length) {
  ASSERT_TRUE(absl::EndsWith(text, "\r\n")) << "does not end in CRLF";
  text.remove_suffix(2);
  int number = 0;
  for (absl::string_view line : absl::StrSplit(text, "\r\n")) {
    ++number;
    EXPECT_LE(line.size(), max_length) << "line " << number << ": " << line;
    EXPECT_FALSE(absl::StrContains(line, '\r') || absl::StrContains(line, '\n'))
        << "bare CR or LF in line " << number;
  }
}

std::string Unfold(absl::string_view text) {
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text.substr(i, 2) == "\r\n" && i + 2 < text.size() &&
        (text[i + 2] == ' ' || text[i + 2] == '\t')) {
      ++i;
      continue;
    }
    out.push_back(text[i]);
  }
  return out;
}

std::string DecodeHeaderText(absl::string_view value) {
  if (!absl::StartsWith(value, "=?")) return std::string(value);
  std::string out;
  for (absl::string_view word : absl::StrSplit(value, ' ', absl::SkipEmpty())) {
    EXPECT_LE(word.size(), kMaxEncodedWordLength) << word;
    absl::StatusOr<std::string> decoded = DecodeWord(word);
    EXPECT_TRUE(decoded.ok()) << word << ": " << decoded.status();
    if (!decoded.ok()) continue;
    EXPECT_TRUE(IsValidUtf8(*decoded)) << "split inside a character: " << word;
    out += *decoded;
  }
  return out;
}

std::string HeaderValue(absl::string_view message, absl::string_view name) {
  const std::string headers = Unfold(message.substr(0, message.find("\r\n\r\n") + 2));
  for (absl::string_view line : absl::StrSplit(headers, "\r\n")) {
    absl::string_view rest = line;
    if (absl::ConsumePrefix(&rest, name) && absl::ConsumePrefix(&rest, ":")) {
      absl::ConsumePrefix(&rest, " ");
      return std::string(rest);
    }
  }
  return "";
}

}  // namespace kirim::testing
