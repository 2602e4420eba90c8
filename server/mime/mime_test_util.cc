#include "server/mime/mime_test_util.h"

#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "gtest/gtest.h"
#include "server/mime/text_checks.h"

namespace kirim::testing {

void ExpectWellFormedLines(absl::string_view text, size_t max_length) {
  const absl::Status lines = CheckCrlfLines(text, max_length);
  EXPECT_TRUE(lines.ok()) << lines;
}

std::string DecodeHeaderText(absl::string_view value) {
  absl::StatusOr<std::string> decoded = ::kirim::DecodeHeaderText(value);
  EXPECT_TRUE(decoded.ok()) << decoded.status();
  return decoded.ok() ? *decoded : "";
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
