#include "server/mime/encoding.h"

#include <algorithm>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "server/common/text.h"

namespace kirim {
namespace {

constexpr absl::string_view kHexDigits = "0123456789ABCDEF";
constexpr absl::string_view kQPrefix = "=?utf-8?Q?";
constexpr absl::string_view kBPrefix = "=?utf-8?B?";
constexpr absl::string_view kWordSuffix = "?=";
// Room for the prefix, the suffix and one four-byte character Q-encoded (=XX four times).
constexpr size_t kMinWordLength = 10 + 2 + 12;

void AppendHexEscape(char prefix, unsigned char c, std::string* out) {
  out->push_back(prefix);
  out->push_back(kHexDigits[c >> 4]);
  out->push_back(kHexDigits[c & 0xF]);
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  const char lower = absl::ascii_tolower(static_cast<unsigned char>(c));
  if (lower >= 'a' && lower <= 'f') return lower - 'a' + 10;
  return -1;
}

// Decodes the "XX" of "=XX" at text[i], i+1; false when they are not two hex digits.
bool DecodeHexPair(absl::string_view text, size_t i, std::string* out) {
  if (i + 1 >= text.size()) return false;
  const int hi = HexValue(text[i]), lo = HexValue(text[i + 1]);
  if (hi < 0 || lo < 0) return false;
  out->push_back(static_cast<char>(hi * 16 + lo));
  return true;
}

// RFC 2047 §5 (3): the characters a "Q" word may carry literally in a phrase, the strictest of
// the three positions, so one encoding serves Subject and display names alike.
bool IsQLiteral(unsigned char c) {
  return absl::ascii_isalnum(c) || c == '!' || c == '*' || c == '+' || c == '-' || c == '/';
}

size_t QLength(absl::string_view text) {
  size_t n = 0;
  for (char c : text) {
    const auto u = static_cast<unsigned char>(c);
    n += (u == ' ' || IsQLiteral(u)) ? 1 : 3;
  }
  return n;
}

size_t BLength(size_t bytes) { return 4 * ((bytes + 2) / 3); }

std::string QEncode(absl::string_view text) {
  std::string out;
  for (char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if (u == ' ') {
      out.push_back('_');  // RFC 2047 §4.2 (2): more readable than =20
    } else if (IsQLiteral(u)) {
      out.push_back(c);
    } else {
      AppendHexEscape('=', u, &out);
    }
  }
  return out;
}

absl::StatusOr<std::string> QDecode(absl::string_view text) {
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '_') {
      out.push_back(' ');
    } else if (text[i] != '=') {
      out.push_back(text[i]);
    } else if (DecodeHexPair(text, i + 1, &out)) {
      i += 2;
    } else {
      return absl::InvalidArgumentError("malformed Q escape in encoded-word");
    }
  }
  return out;
}

// RFC 5987 §3.2.1 attr-char.
bool IsAttrChar(unsigned char c) {
  return absl::ascii_isalnum(c) ||
         absl::string_view("!#$&+-.^_`|~").find(static_cast<char>(c)) != absl::string_view::npos;
}

}  // namespace

std::string Base64Lines(absl::string_view data) {
  const std::string encoded = absl::Base64Escape(data);
  std::string out;
  out.reserve(encoded.size() + 2 * (encoded.size() / kMaxEncodedLineLength));
  for (size_t i = 0; i < encoded.size(); i += kMaxEncodedLineLength) {
    if (i > 0) out += "\r\n";
    out.append(encoded, i, kMaxEncodedLineLength);
  }
  return out;
}

std::string ToCrlf(absl::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\r') {
      if (i + 1 < text.size() && text[i + 1] == '\n') ++i;
      out += "\r\n";
    } else if (text[i] == '\n') {
      out += "\r\n";
    } else {
      out.push_back(text[i]);
    }
  }
  return out;
}

bool IsSevenBit(absl::string_view text) {
  size_t column = 0;
  for (char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if (u == 0 || u >= 0x80) return false;
    if (u == '\n') {
      column = 0;
    } else if (u != '\r' && ++column > kMaxLineLength) {
      return false;
    }
  }
  return true;
}

std::string QuotedPrintableEncode(absl::string_view text) {
  std::string out;
  bool first_line = true;
  for (absl::string_view line : absl::StrSplit(text, "\r\n")) {
    if (!first_line) out += "\r\n";
    first_line = false;
    size_t column = 0;
    for (size_t i = 0; i < line.size(); ++i) {
      const auto c = static_cast<unsigned char>(line[i]);
      const bool last = i + 1 == line.size();
      // RFC 2045 §6.7 (2)-(3): printable ASCII but '=' as is; white space too, unless it
      // ends the line, where a transport may strip it.
      const bool literal = (c >= 33 && c <= 126 && c != '=') || ((c == ' ' || c == '\t') && !last);
      const size_t width = literal ? 1 : 3;
      // A soft break needs one column for its '='; the line's final character does not.
      const size_t limit = last ? kMaxEncodedLineLength : kMaxEncodedLineLength - 1;
      if (column + width > limit) {
        out += "=\r\n";
        column = 0;
      }
      if (literal) {
        out.push_back(static_cast<char>(c));
      } else {
        AppendHexEscape('=', c, &out);
      }
      column += width;
    }
  }
  return out;
}

absl::StatusOr<std::string> QuotedPrintableDecode(absl::string_view encoded) {
  std::string out;
  const std::vector<absl::string_view> lines = absl::StrSplit(encoded, "\r\n");
  for (size_t n = 0; n < lines.size(); ++n) {
    // RFC 2045 §6.7 (3): trailing white space on an encoded line was added in transit.
    const absl::string_view line = absl::StripTrailingAsciiWhitespace(lines[n]);
    bool soft_break = false;
    for (size_t i = 0; i < line.size(); ++i) {
      if (line[i] != '=') {
        out.push_back(line[i]);
      } else if (i + 1 == line.size()) {
        soft_break = true;
      } else if (DecodeHexPair(line, i + 1, &out)) {
        i += 2;
      } else {
        return absl::InvalidArgumentError("malformed quoted-printable escape");
      }
    }
    if (!soft_break && n + 1 < lines.size()) out += "\r\n";
  }
  return out;
}

absl::string_view TransferEncodingName(TransferEncoding encoding) {
  switch (encoding) {
    case TransferEncoding::kSevenBit:
      return "7bit";
    case TransferEncoding::kQuotedPrintable:
      return "quoted-printable";
    case TransferEncoding::kBase64:
      return "base64";
  }
  return "7bit";
}

EncodedText EncodeText(std::string crlf_text) {
  EncodedText out;
  if (IsSevenBit(crlf_text)) {
    out.body = std::move(crlf_text);
    return out;
  }
  out.encoding = TransferEncoding::kQuotedPrintable;
  out.body = QuotedPrintableEncode(crlf_text);
  // Base64Lines' exact length, without building it unless it wins.
  const size_t chars = 4 * ((crlf_text.size() + 2) / 3);
  const size_t base64_size = chars + (chars == 0 ? 0 : 2 * ((chars - 1) / kMaxEncodedLineLength));
  if (base64_size < out.body.size()) {
    out.encoding = TransferEncoding::kBase64;
    out.body = Base64Lines(crlf_text);
  }
  return out;
}

std::vector<std::string> EncodeWords(absl::string_view text, size_t first_word_max) {
  const bool use_b = BLength(text.size()) < QLength(text);
  const absl::string_view prefix = use_b ? kBPrefix : kQPrefix;
  const size_t overhead = prefix.size() + kWordSuffix.size();
  const size_t first_max = std::clamp(first_word_max, kMinWordLength, kMaxEncodedWordLength);
  std::vector<std::string> words;
  for (absl::string_view chunk :
       SplitUtf8(text, first_max - overhead, kMaxEncodedWordLength - overhead,
                 [use_b](absl::string_view piece) {
                   return use_b ? BLength(piece.size()) : QLength(piece);
                 })) {
    words.push_back(
        absl::StrCat(prefix, use_b ? absl::Base64Escape(chunk) : QEncode(chunk), kWordSuffix));
  }
  return words;
}

absl::StatusOr<std::string> DecodeWord(absl::string_view word) {
  if (!absl::ConsumePrefix(&word, "=?") || !absl::ConsumeSuffix(&word, "?=")) {
    return absl::InvalidArgumentError("not an encoded-word");
  }
  const std::vector<absl::string_view> parts = absl::StrSplit(word, absl::MaxSplits('?', 2));
  if (parts.size() != 3) return absl::InvalidArgumentError("not an encoded-word");
  if (!absl::EqualsIgnoreCase(parts[0], "utf-8") && !absl::EqualsIgnoreCase(parts[0], "us-ascii")) {
    return absl::InvalidArgumentError(absl::StrCat("unsupported charset ", parts[0]));
  }
  if (absl::EqualsIgnoreCase(parts[1], "Q")) return QDecode(parts[2]);
  std::string out;
  if (absl::EqualsIgnoreCase(parts[1], "B") && absl::Base64Unescape(parts[2], &out)) return out;
  return absl::InvalidArgumentError("malformed encoded-word");
}

std::string PercentEncode(absl::string_view text) {
  std::string out;
  for (char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if (IsAttrChar(u)) {
      out.push_back(c);
    } else {
      AppendHexEscape('%', u, &out);
    }
  }
  return out;
}

}  // namespace kirim
