#include "server/mime/encoding.h"

#include <algorithm>
#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/common/text.h"

namespace kirim {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::SizeIs;

// Deterministic bytes that cover every octet value, CR and LF included.
std::string Bytes(size_t n, unsigned seed) {
  std::string out;
  uint32_t x = seed * 2654435761u + 1;
  for (size_t i = 0; i < n; ++i) {
    x = x * 1103515245u + 12345u;
    out.push_back(static_cast<char>(x >> 16));
  }
  return out;
}

std::vector<std::string> Lines(absl::string_view text) { return absl::StrSplit(text, "\r\n"); }

TEST(Base64LinesTest, Examples) {
  EXPECT_EQ(Base64Lines(""), "");
  EXPECT_EQ(Base64Lines("hello"), "aGVsbG8=");
  // 57 bytes make exactly one full 76-character line; one more byte starts a second.
  EXPECT_EQ(Base64Lines(std::string(57, 'a')), absl::Base64Escape(std::string(57, 'a')));
  EXPECT_THAT(Lines(Base64Lines(std::string(58, 'a'))), SizeIs(2));
}

TEST(Base64LinesTest, RoundTripsWith76CharacterLines) {
  for (size_t n : {0, 1, 2, 3, 56, 57, 58, 113, 114, 115, 1000, 4096}) {
    const std::string data = Bytes(n, n);
    const std::string encoded = Base64Lines(data);
    const std::vector<std::string> lines = Lines(encoded);
    for (size_t i = 0; i + 1 < lines.size(); ++i) EXPECT_EQ(lines[i].size(), 76u) << n;
    EXPECT_LE(lines.back().size(), 76u);
    std::string decoded;
    ASSERT_TRUE(absl::Base64Unescape(absl::StrReplaceAll(encoded, {{"\r\n", ""}}), &decoded));
    EXPECT_EQ(decoded, data) << n;
  }
}

TEST(ToCrlfTest, NormalizesEveryLineEnding) {
  EXPECT_EQ(ToCrlf(""), "");
  EXPECT_EQ(ToCrlf("no newline"), "no newline");
  EXPECT_EQ(ToCrlf("a\nb"), "a\r\nb");
  EXPECT_EQ(ToCrlf("a\rb"), "a\r\nb");
  EXPECT_EQ(ToCrlf("a\r\nb"), "a\r\nb");
  EXPECT_EQ(ToCrlf("a\n\rb"), "a\r\n\r\nb");  // LF then a lone CR: two breaks
  EXPECT_EQ(ToCrlf("a\r\r\nb\n\n"), "a\r\n\r\nb\r\n\r\n");
  EXPECT_EQ(ToCrlf("\r"), "\r\n");
}

TEST(IsSevenBitTest, AsciiWithShortLinesOnly) {
  EXPECT_TRUE(IsSevenBit(""));
  EXPECT_TRUE(IsSevenBit("Hello\r\nWorld\r\n"));
  EXPECT_TRUE(IsSevenBit(std::string(998, 'a')));
  EXPECT_TRUE(IsSevenBit(absl::StrCat(std::string(998, 'a'), "\r\n", std::string(998, 'b'))));
  EXPECT_FALSE(IsSevenBit(std::string(999, 'a')));
  EXPECT_FALSE(IsSevenBit(absl::StrCat("ok\r\n", std::string(999, 'a'))));
  EXPECT_FALSE(IsSevenBit("caf\xc3\xa9"));
  EXPECT_FALSE(IsSevenBit(std::string("a\0b", 3)));
}

TEST(QuotedPrintableTest, Examples) {
  EXPECT_EQ(QuotedPrintableEncode(""), "");
  EXPECT_EQ(QuotedPrintableEncode("hello world"), "hello world");
  EXPECT_EQ(QuotedPrintableEncode("a=b"), "a=3Db");
  EXPECT_EQ(QuotedPrintableEncode("caf\xc3\xa9"), "caf=C3=A9");
  EXPECT_EQ(QuotedPrintableEncode("line one\r\nline two\r\n"), "line one\r\nline two\r\n");
  // White space that ends a line or the text is encoded so no transport can strip it.
  EXPECT_EQ(QuotedPrintableEncode("trailing \r\nx\t"), "trailing=20\r\nx=09");
  // CR or LF that is not part of a CRLF is data, not a line break.
  EXPECT_EQ(QuotedPrintableEncode("a\nb\rc"), "a=0Ab=0Dc");
  EXPECT_EQ(QuotedPrintableEncode(std::string("\0", 1)), "=00");
}

TEST(QuotedPrintableTest, SoftBreaksAt76) {
  // 76 characters fit without a soft break; 77 need one after 75 (plus '=').
  EXPECT_EQ(QuotedPrintableEncode(std::string(76, 'a')), std::string(76, 'a'));
  EXPECT_EQ(QuotedPrintableEncode(std::string(77, 'a')),
            absl::StrCat(std::string(75, 'a'), "=\r\n", "aa"));
  // An escape is never split across a soft break.
  EXPECT_EQ(QuotedPrintableEncode(absl::StrCat(std::string(74, 'a'), "\xc3\xa9")),
            absl::StrCat(std::string(74, 'a'), "=\r\n=C3=A9"));
  EXPECT_EQ(QuotedPrintableEncode(absl::StrCat(std::string(73, 'a'), "=")),
            absl::StrCat(std::string(73, 'a'), "=3D"));
}

TEST(QuotedPrintableTest, RoundTripsArbitraryBytes) {
  std::vector<std::string> inputs = {
      "",
      "\r\n",
      "\r\n\r\n",
      " ",
      "a \r\n b ",
      std::string(5000, 'x'),
      absl::StrCat(std::string(100, ' '), "\r\n", std::string(100, '\t')),
      "Grüße aus München\r\nZeile zwei ohne Umbruch am Ende",
  };
  for (unsigned seed = 0; seed < 50; ++seed) inputs.push_back(Bytes(seed * 37, seed));
  for (const std::string& input : inputs) {
    const std::string encoded = QuotedPrintableEncode(input);
    for (const std::string& line : Lines(encoded)) {
      EXPECT_LE(line.size(), kMaxEncodedLineLength);
      for (char c : line) {
        EXPECT_TRUE(c == '\t' || (c >= 32 && c <= 126)) << static_cast<int>(c);
      }
      if (!line.empty()) {
        EXPECT_NE(line.back(), ' ');
      }
    }
    absl::StatusOr<std::string> decoded = QuotedPrintableDecode(encoded);
    ASSERT_TRUE(decoded.ok()) << decoded.status();
    EXPECT_EQ(*decoded, input);
  }
}

// Decodes what EncodeText produced, whatever it chose.
std::string DecodeText(const EncodedText& e) {
  switch (e.encoding) {
    case TransferEncoding::kSevenBit:
      return e.body;
    case TransferEncoding::kQuotedPrintable:
      return QuotedPrintableDecode(e.body).value_or("<bad quoted-printable>");
    case TransferEncoding::kBase64: {
      std::string out;
      if (!absl::Base64Unescape(absl::StrReplaceAll(e.body, {{"\r\n", ""}}), &out)) return "<bad>";
      return out;
    }
  }
  return "";
}

struct EncodeTextCase {
  std::string name;
  std::string text;  // CRLF-normalized
  TransferEncoding expected;
};

TEST(EncodeTextTest, SevenBitWhenPossibleElseTheShorterEncoding) {
  const std::string cjk_line =
      "\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e\xe3\x81\xae\xe6\x9c\xac\xe6\x96\x87\xe3\x81\xa7\xe3\x81\x99";
  const EncodeTextCase cases[] = {
      {"empty", "", TransferEncoding::kSevenBit},
      {"ascii", "Hello\r\n", TransferEncoding::kSevenBit},
      {"998-octet line", std::string(998, 'a'), TransferEncoding::kSevenBit},
      {"control characters but NUL", "tab\tform feed\f bell\a del\x7f\r\n", TransferEncoding::kSevenBit},
      {"999-octet line", std::string(999, 'a'), TransferEncoding::kQuotedPrintable},
      {"NUL", std::string("a\0b\r\n", 5), TransferEncoding::kQuotedPrintable},
      {"a few accents", "Gr\xc3\xbc\xc3\x9f" "e aus dem sonnigen M\xc3\xbcnchen, bis bald!\r\n",
       TransferEncoding::kQuotedPrintable},
      {"short mostly accents", "\xc3\xa9t\xc3\xa9 \xc3\xa0 \xc3\xa9t\xc3\xa9\r\n", TransferEncoding::kBase64},
      {"CJK", absl::StrCat(cjk_line, "\r\n", cjk_line, "\r\n"), TransferEncoding::kBase64},
      {"Cyrillic", "\xd0\x9f\xd1\x80\xd0\xb8\xd0\xb2\xd0\xb5\xd1\x82, \xd0\xbc\xd0\xb8\xd1\x80\r\n",
       TransferEncoding::kBase64},
      {"emoji", "\xf0\x9f\x98\x80\xf0\x9f\x8e\x89\xf0\x9f\x91\x8d", TransferEncoding::kBase64},
      {"binary-ish", Bytes(3000, 7), TransferEncoding::kBase64},
  };
  for (const EncodeTextCase& c : cases) {
    SCOPED_TRACE(c.name);
    const EncodedText e = EncodeText(c.text);
    EXPECT_EQ(TransferEncodingName(e.encoding), TransferEncodingName(c.expected));
    EXPECT_EQ(DecodeText(e), c.text);
    // The choice is the shorter one, QP winning ties.
    if (e.encoding != TransferEncoding::kSevenBit) {
      const size_t qp = QuotedPrintableEncode(c.text).size();
      const size_t b64 = Base64Lines(c.text).size();
      EXPECT_EQ(e.body.size(), std::min(qp, b64));
      EXPECT_EQ(e.encoding == TransferEncoding::kBase64, b64 < qp);
    }
  }
}

TEST(EncodeTextTest, Names) {
  EXPECT_EQ(TransferEncodingName(TransferEncoding::kSevenBit), "7bit");
  EXPECT_EQ(TransferEncodingName(TransferEncoding::kQuotedPrintable), "quoted-printable");
  EXPECT_EQ(TransferEncodingName(TransferEncoding::kBase64), "base64");
}

TEST(QuotedPrintableTest, DecodeAcceptsCommonVariations) {
  EXPECT_EQ(*QuotedPrintableDecode("caf=c3=a9"), "caf\xc3\xa9");
  EXPECT_EQ(*QuotedPrintableDecode("soft=\r\nbreak"), "softbreak");
  EXPECT_EQ(*QuotedPrintableDecode("padded   \r\nline"), "padded\r\nline");
  EXPECT_EQ(*QuotedPrintableDecode("soft=  \r\nbreak"), "softbreak");
  EXPECT_FALSE(QuotedPrintableDecode("bad=ZZ").ok());
  EXPECT_FALSE(QuotedPrintableDecode("short=A").ok());
}

TEST(EncodeWordsTest, PicksTheShorterEncoding) {
  // Mostly ASCII: Q is shorter.
  EXPECT_THAT(EncodeWords("Grüße aus dem sch\xc3\xb6nen Berlin"),
              ElementsAre("=?utf-8?Q?Gr=C3=BC=C3=9Fe_aus_dem_sch=C3=B6nen_Berlin?="));
  // Mostly non-ASCII: B is shorter.
  EXPECT_THAT(EncodeWords("\xe6\x9d\x8e\xe5\xb0\x8f\xe9\xbe\x99"),  // 李小龙
              ElementsAre("=?utf-8?B?5p2O5bCP6b6Z?="));
  // Q escapes what RFC 2047 §5 (3) does not allow literally, '_' and '=' included.
  EXPECT_THAT(EncodeWords("a_b=?c plain words here"),
              ElementsAre("=?utf-8?Q?a=5Fb=3D=3Fc_plain_words_here?="));
  EXPECT_THAT(EncodeWords(""), IsEmpty());
}

TEST(EncodeWordsTest, WordsStayWithin75AndSplitBetweenCharacters) {
  const std::vector<std::string> texts = {
      std::string(300, 'a') + "\xc3\xa9",
      [] {
        std::string s;
        for (int i = 0; i < 80; ++i) s += "\xe2\x82\xac";
        return s;
      }(),  // €
      [] {
        std::string s;
        for (int i = 0; i < 60; ++i) s += "x\xf0\x9f\x99\x82";
        return s;
      }(),  // 🙂
      [] {
        std::string s;
        for (int i = 0; i < 90; ++i) s += "\xc3\xa4 ";
        return s;
      }(),  // "ä "
  };
  for (const std::string& text : texts) {
    for (size_t first : {size_t{0}, size_t{30}, size_t{69}, size_t{75}, size_t{200}}) {
      const std::vector<std::string> words = EncodeWords(text, first);
      ASSERT_FALSE(words.empty());
      EXPECT_LE(words.front().size(), std::max<size_t>(first, 24));
      std::string joined;
      for (const std::string& word : words) {
        EXPECT_LE(word.size(), kMaxEncodedWordLength) << word;
        absl::StatusOr<std::string> decoded = DecodeWord(word);
        ASSERT_TRUE(decoded.ok()) << word;
        EXPECT_TRUE(IsValidUtf8(*decoded)) << "split inside a character: " << word;
        joined += *decoded;
      }
      EXPECT_EQ(joined, text);
      // Greedy: all but the last word are (nearly) full, so no needless words.
      for (size_t i = 1; i + 1 < words.size(); ++i) EXPECT_GE(words[i].size(), 60u) << words[i];
    }
  }
}

TEST(DecodeWordTest, DecodesBothEncodings) {
  EXPECT_EQ(*DecodeWord("=?utf-8?Q?caf=C3=A9_au_lait?="), "caf\xc3\xa9 au lait");
  EXPECT_EQ(*DecodeWord("=?UTF-8?q?caf=c3=a9?="), "caf\xc3\xa9");
  EXPECT_EQ(*DecodeWord("=?utf-8?B?Y2Fmw6k=?="), "caf\xc3\xa9");
  EXPECT_EQ(*DecodeWord("=?us-ascii?Q?plain?="), "plain");
  EXPECT_FALSE(DecodeWord("plain").ok());
  EXPECT_FALSE(DecodeWord("=?iso-8859-1?Q?caf=E9?=").ok());
  EXPECT_FALSE(DecodeWord("=?utf-8?X?abc?=").ok());
  EXPECT_FALSE(DecodeWord("=?utf-8?B?***?=").ok());
  EXPECT_FALSE(DecodeWord("=?utf-8?Q?=G1?=").ok());
}

TEST(PercentEncodeTest, KeepsAttrCharsOnly) {
  EXPECT_EQ(PercentEncode("r\xc3\xa9sum\xc3\xa9.pdf"), "r%C3%A9sum%C3%A9.pdf");
  EXPECT_EQ(PercentEncode("a b'c*%\"()"), "a%20b%27c%2A%25%22%28%29");
  EXPECT_EQ(PercentEncode("AZaz09!#$&+-.^_`|~"), "AZaz09!#$&+-.^_`|~");
}

}  // namespace
}  // namespace kirim
