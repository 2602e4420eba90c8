// Content and header-text encodings for MIME messages:
//   - RFC 2045 §6.8 base64 in 76-character lines (attachments, text that is mostly non-ASCII),
//   - RFC 2045 §6.7 quoted-printable (other text bodies that are not 7bit-clean),
//   - RFC 2047 §4-5 encoded-words, UTF-8, "B" or "Q" (non-ASCII header text),
//   - RFC 2231 §7 / RFC 5987 §3.2 percent-encoding (non-ASCII parameter values),
//   - RFC 2046 §4.1.1 canonical CRLF line endings and the RFC 2045 §2.7 7bit test,
//   - the choice between them for a text body (EncodeText).
//
//   EncodedText body = EncodeText(ToCrlf(text));
//   // body.encoding: 7bit if it can be, else quoted-printable or base64, whichever is shorter
//   // "=?utf-8?B?R3LDvMOfZQ==?=": B is shorter than Q here.
//   std::string subject = absl::StrJoin(EncodeWords("Grüße"), " ");
//
// The decoders exist so tests (and later, bounce parsing) can check round trips; they accept
// what the encoders produce and the usual variations, not every historical oddity.
#ifndef KIRIM_SERVER_MIME_ENCODING_H_
#define KIRIM_SERVER_MIME_ENCODING_H_

#include <cstddef>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace kirim {

// RFC 2045 §6.7 (5) and §6.8: encoded lines are at most 76 characters.
inline constexpr size_t kMaxEncodedLineLength = 76;
// RFC 2047 §2: an encoded-word is at most 75 characters.
inline constexpr size_t kMaxEncodedWordLength = 75;
// RFC 5322 §2.1.1: a line is at most 998 octets, CRLF excluded.
inline constexpr size_t kMaxLineLength = 998;

// Base64 with CRLF between 76-character lines and none after the last one.
std::string Base64Lines(absl::string_view data);

// Rewrites every CRLF, lone CR and lone LF as CRLF: the canonical form of text (RFC 2046
// §4.1.1) that both SMTP and the 7bit test below expect.
std::string ToCrlf(absl::string_view text);

// True when CRLF-normalized `text` is RFC 2045 §2.7 7bit data: ASCII without NUL, lines of at
// most 998 octets.
bool IsSevenBit(absl::string_view text);

// RFC 2045 §6.1 Content-Transfer-Encoding values Kirim writes for text.
enum class TransferEncoding { kSevenBit, kQuotedPrintable, kBase64 };

// "7bit", "quoted-printable" or "base64", for the Content-Transfer-Encoding field.
absl::string_view TransferEncodingName(TransferEncoding encoding);

struct EncodedText {
  TransferEncoding encoding = TransferEncoding::kSevenBit;
  std::string body;  // the encoded lines, CRLF between them
};

// Encodes CRLF-normalized text (see ToCrlf) for a MIME body: unchanged when it is 7bit
// (IsSevenBit), otherwise quoted-printable or base64 (RFC 2045 §6.7, §6.8), whichever is
// shorter, quoted-printable on a tie since people can read it. Mostly-ASCII text (accents,
// one long line) comes out quoted-printable; text where most characters are multi-byte UTF-8
// (CJK, Cyrillic, emoji), which quoted-printable triples, comes out base64. Either decodes to
// exactly `crlf_text`, final line break or not.
EncodedText EncodeText(std::string crlf_text);

// Quoted-printable. Each CRLF in `text` is a hard line break; any other CR or LF byte is
// encoded. Lines are broken softly ("=" CRLF) to stay within 76 characters, and white space
// before a line break or at the end is encoded so transports cannot strip it.
std::string QuotedPrintableEncode(absl::string_view text);
absl::StatusOr<std::string> QuotedPrintableDecode(absl::string_view encoded);

// Encodes UTF-8 `text` as RFC 2047 encoded-words of at most kMaxEncodedWordLength characters,
// the first at most `first_word_max` (clamped to [24, 75]) so it can share a line with a field
// name. Picks "Q" or "B", whichever is shorter for the whole text, and splits only between
// UTF-8 characters, so each word decodes to valid UTF-8 on its own (RFC 2047 §5 (3)). Q uses
// only the characters §5 (3) allows in a phrase, so the words are valid in every header
// position. Join the words with spaces: decoders drop white space between encoded-words.
std::vector<std::string> EncodeWords(absl::string_view text,
                                     size_t first_word_max = kMaxEncodedWordLength);

// Decodes one encoded-word such as "=?utf-8?Q?caf=C3=A9?=" (charset utf-8 or us-ascii, any
// letter case).
absl::StatusOr<std::string> DecodeWord(absl::string_view word);

// RFC 2231 §7 / RFC 5987 §3.2.1 ext-value octets: attr-char as is, every other byte as %XX.
std::string PercentEncode(absl::string_view text);

}  // namespace kirim

#endif  // KIRIM_SERVER_MIME_ENCODING_H_
