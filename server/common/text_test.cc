#include "server/common/text.h"

#include <cstdint>
#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace kirim {
namespace {

TEST(IsAsciiTest, Basics) {
  EXPECT_TRUE(IsAscii(""));
  EXPECT_TRUE(IsAscii("plain text\r\n\t~\x7f"));
  EXPECT_FALSE(IsAscii("caf\xc3\xa9"));
  EXPECT_FALSE(IsAscii("\x80"));
}

TEST(IsValidUtf8Test, AcceptsWellFormed) {
  const char* good[] = {
      "",
      "ascii",
      "\xc3\xa9",
      "\xe2\x82\xac",      // é €
      "\xf0\x9f\x99\x82",  // U+1F642
      "\xed\x9f\xbf",      // U+D7FF, just below the surrogates
      "\xee\x80\x80",      // U+E000, just above them
      "\xf4\x8f\xbf\xbf",  // U+10FFFF
      "\xc2\x80",          // U+0080, the smallest two-byte form
  };
  for (const char* s : good) EXPECT_TRUE(IsValidUtf8(s)) << s;
}

TEST(IsValidUtf8Test, RejectsMalformed) {
  const char* bad[] = {
      "\x80",              // stray continuation
      "\xc3",              // truncated
      "\xe2\x82",          // truncated
      "\xc0\xaf",          // overlong '/'
      "\xc1\xbf",          // overlong
      "\xe0\x80\xaf",      // overlong three-byte
      "\xf0\x80\x80\xaf",  // overlong four-byte
      "\xed\xa0\x80",      // surrogate U+D800
      "\xf4\x90\x80\x80",  // U+110000
      "\xf5\x80\x80\x80",  // lead byte past F4
      "\xc3\x28",          // bad continuation
      "\xff",
  };
  for (const char* s : bad) EXPECT_FALSE(IsValidUtf8(s)) << s;
}

TEST(Utf8SequenceLengthTest, FromLeadByte) {
  EXPECT_EQ(Utf8SequenceLength('a'), 1);
  EXPECT_EQ(Utf8SequenceLength(0xC3), 2);
  EXPECT_EQ(Utf8SequenceLength(0xE2), 3);
  EXPECT_EQ(Utf8SequenceLength(0xF0), 4);
  EXPECT_EQ(Utf8SequenceLength(0x80), 1);  // continuation: advance one byte
  EXPECT_EQ(Utf8SequenceLength(0xFF), 1);
}

TEST(CodePointsTest, DecodesEachSequenceLength) {
  EXPECT_TRUE(CodePoints("").empty());
  // "aé€😀": one-, two-, three- and four-byte sequences.
  EXPECT_EQ(CodePoints("a\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80"),
            (std::vector<uint32_t>{0x61, 0xE9, 0x20AC, 0x1F600}));
  EXPECT_EQ(CodePoints("\xc2\x80\xf4\x8f\xbf\xbf"),  // the extremes: U+0080, U+10FFFF
            (std::vector<uint32_t>{0x80, 0x10FFFF}));
}

TEST(CheckNoControlCharsTest, NamesTheProblem) {
  EXPECT_TRUE(CheckNoControlChars("Hello, world", false).ok());
  EXPECT_TRUE(CheckNoControlChars("caf\xc3\xa9", false).ok());
  EXPECT_EQ(CheckNoControlChars("a\r\nb", false).message(), "contains CR or LF");
  EXPECT_EQ(CheckNoControlChars("a\nb", true).message(), "contains CR or LF");
  EXPECT_EQ(CheckNoControlChars(std::string("a\0b", 3), false).message(), "contains NUL");
  EXPECT_EQ(CheckNoControlChars("a\tb", false).message(), "contains a control character");
  EXPECT_TRUE(CheckNoControlChars("a\tb", true).ok());
  EXPECT_EQ(CheckNoControlChars("a\x7f", true).message(), "contains a control character");
  EXPECT_EQ(CheckNoControlChars("a\x01", true).code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace kirim
