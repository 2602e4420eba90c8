// Byte-level text predicates shared by address parsing and MIME generation: ASCII and UTF-8
// checks (RFC 3629) and the control-character test that keeps CR/LF out of header fields.
//
//   KIRIM_RETURN_IF_ERROR(CheckNoControlChars(subject, /*allow_tab=*/true));
//   if (!IsAscii(subject)) words = EncodeWords(subject);  // needs IsValidUtf8(subject)
//
// These live apart from both users because an address parser and a message builder must agree
// exactly on what counts as a control character; one definition keeps them from drifting.
#ifndef KIRIM_SERVER_COMMON_TEXT_H_
#define KIRIM_SERVER_COMMON_TEXT_H_

#include <cstddef>
#include <cstdint>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace kirim {

// True when every byte is below 0x80.
bool IsAscii(absl::string_view text);

// True when `text` is well-formed UTF-8 per RFC 3629 §4: no overlong forms, no surrogates
// (U+D800..U+DFFF), nothing above U+10FFFF, no truncated sequences.
bool IsValidUtf8(absl::string_view text);

// The number of bytes in the UTF-8 sequence that starts with `lead` (1 for ASCII and for
// stray continuation or invalid bytes, so a loop over invalid input still advances).
size_t Utf8SequenceLength(unsigned char lead);

// The Unicode code points of `text`; precondition: valid UTF-8 (see IsValidUtf8).
std::vector<uint32_t> CodePoints(absl::string_view text);

// Splits UTF-8 `text` into consecutive pieces, never inside a character, each as long as it
// can be while `cost(piece)` stays within budget: `first_budget` for the first piece,
// `budget` for the rest. A piece always holds at least one character, so the split ends even
// when one character alone is over budget. Used to cut encoded-words and RFC 2231 sections so
// each decodes to valid UTF-8 by itself.
std::vector<absl::string_view> SplitUtf8(absl::string_view text, size_t first_budget, size_t budget,
                                         absl::FunctionRef<size_t(absl::string_view)> cost);

// RFC 5322 §3.2.3 atext: the characters of an atom.
bool IsAtext(char c);

// InvalidArgument naming the first ASCII control character (0x00-0x1F, 0x7F) in `text`:
// "contains CR or LF", "contains NUL" or "contains a control character". HTAB passes when
// `allow_tab` (it is legal white space in unstructured header fields, RFC 5322 §3.2.2).
absl::Status CheckNoControlChars(absl::string_view text, bool allow_tab);

}  // namespace kirim

#endif  // KIRIM_SERVER_COMMON_TEXT_H_
