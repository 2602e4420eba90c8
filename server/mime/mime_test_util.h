// Checks shared by the MIME tests: line structure of generated text and decoding of header
// values, so each test states what it expects instead of re-parsing by hand. The checks
// themselves are in text_checks.h (the fuzz targets use them too); these report as gtest
// failures.
//
//   ExpectWellFormedLines(message, kMaxLineLength);
//   EXPECT_EQ(DecodeHeaderText(Unfold(value)), "Grüße");
#ifndef KIRIM_SERVER_MIME_MIME_TEST_UTIL_H_
#define KIRIM_SERVER_MIME_MIME_TEST_UTIL_H_

#include <cstddef>
#include <string>

#include "absl/strings/string_view.h"
#include "server/mime/text_checks.h"

namespace kirim::testing {

// Adds a test failure unless `text` is non-empty lines each ending in CRLF, with no other CR
// or LF byte, and none longer than `max_length` octets (CRLF excluded).
void ExpectWellFormedLines(absl::string_view text, size_t max_length);

using ::kirim::Unfold;

// Decodes a header value made of RFC 2047 encoded-words separated by single spaces (the form
// EncodeWords output takes once joined), adding a test failure for any word over 75
// characters or that does not decode to valid UTF-8 on its own. A value that is not encoded
// at all comes back unchanged.
std::string DecodeHeaderText(absl::string_view value);

// The value of the first field called `name` in the header block of `message`, unfolded; ""
// when absent.
std::string HeaderValue(absl::string_view message, absl::string_view name);

}  // namespace kirim::testing

#endif  // KIRIM_SERVER_MIME_MIME_TEST_UTIL_H_
