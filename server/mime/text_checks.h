// Checks of generated mail text, shared by the MIME tests (through mime_test_util's gtest
// wrappers) and the fuzz targets (which abort on an error): each says what is wrong instead of
// answering yes or no.
//
//   KIRIM_RETURN_IF_ERROR(CheckCrlfLines(message, kMaxLineLength));
//   absl::StatusOr<std::string> subject = DecodeHeaderText(Unfold(value));  // what a reader shows
#ifndef KIRIM_SERVER_MIME_TEXT_CHECKS_H_
#define KIRIM_SERVER_MIME_TEXT_CHECKS_H_

#include <cstddef>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace kirim {

// OK when `text` is lines that each end in CRLF, with no other CR or LF byte and none longer
// than `max_length` octets (CRLF excluded); otherwise an error naming the first bad line.
absl::Status CheckCrlfLines(absl::string_view text, size_t max_length);

// RFC 5322 §2.2.3 unfolding: removes every CRLF that is followed by white space.
std::string Unfold(absl::string_view text);

// A header value that starts with "=?" is RFC 2047 encoded-words separated by single spaces
// (EncodeWords joined, then unfolded): returns their decoded text, or an error naming the first
// word that is malformed, longer than 75 characters or not valid UTF-8 by itself (RFC 2047 §2,
// §5 (3)). Any other value comes back unchanged.
absl::StatusOr<std::string> DecodeHeaderText(absl::string_view value);

}  // namespace kirim

#endif  // KIRIM_SERVER_MIME_TEXT_CHECKS_H_
