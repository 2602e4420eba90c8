// Checks of generated mail text shared by the fuzz targets that write header fields (address,
// mime_builder): each aborts on a violation, like KIRIM_FUZZ_CHECK.
//
//   CheckCrlfLines(message, kMaxLineLength);         // CRLF everywhere, no line over 998
//   std::string subject = DecodeWords(Unfold(value));  // what a reader shows
#ifndef KIRIM_TESTS_FUZZ_MAIL_CHECKS_H_
#define KIRIM_TESTS_FUZZ_MAIL_CHECKS_H_

#include <cstddef>
#include <string>

#include "absl/strings/string_view.h"

namespace kirim::fuzz {

// Aborts unless `text` is lines that each end in CRLF, with no other CR or LF byte and none
// longer than `max_length` octets (CRLF excluded).
void CheckCrlfLines(absl::string_view text, size_t max_length);

// RFC 5322 §2.2.3 unfolding: removes every CRLF that is followed by white space.
std::string Unfold(absl::string_view text);

// A header value that starts with "=?" is RFC 2047 encoded-words separated by single spaces
// (EncodeWords joined): returns their decoded text, aborting if a word is malformed, longer
// than 75 characters or not valid UTF-8 by itself (RFC 2047 §2, §5 (3)). Any other value comes
// back unchanged.
std::string DecodeWords(absl::string_view value);

}  // namespace kirim::fuzz

#endif  // KIRIM_TESTS_FUZZ_MAIL_CHECKS_H_
