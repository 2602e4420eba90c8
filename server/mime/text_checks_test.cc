// The checks the MIME tests and fuzz targets rely on must themselves catch what they claim to.
#include "server/mime/text_checks.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace kirim {
namespace {

using ::testing::HasSubstr;

TEST(CheckCrlfLinesTest, AcceptsCrlfLinesWithinTheLimit) {
  EXPECT_TRUE(CheckCrlfLines("ab\r\ncd\r\n", 2).ok());
}

TEST(CheckCrlfLinesTest, NamesTheFirstBadLine) {
  EXPECT_THAT(CheckCrlfLines("ab\r\ncd", 10).message(), HasSubstr("does not end in CRLF"));
  EXPECT_THAT(CheckCrlfLines("ab\r\nc\nd\r\n", 10).message(), HasSubstr("bare LF in line 2"));
  EXPECT_THAT(CheckCrlfLines("a\rb\r\n", 10).message(), HasSubstr("bare CR in line 1"));
  EXPECT_THAT(CheckCrlfLines("ab\r\nabc\r\n", 2).message(), HasSubstr("line 2 is 3 octets"));
}

TEST(UnfoldTest, RemovesCrlfBeforeWhiteSpaceOnly) {
  EXPECT_EQ(Unfold("Subject: a\r\n b\r\n\tc\r\nTo: x\r\n"), "Subject: a b\tc\r\nTo: x\r\n");
}

TEST(DecodeHeaderTextTest, DecodesWordsAndPassesPlainTextThrough) {
  EXPECT_EQ(DecodeHeaderText("=?utf-8?B?R3LDvA==?= =?utf-8?Q?=C3=9Fe?=").value(), "Grüße");
  EXPECT_EQ(DecodeHeaderText("plain =?x?= text").value(), "plain =?x?= text");
}

TEST(DecodeHeaderTextTest, RefusesWhatRfc2047Forbids) {
  // A character split across two words: each must decode to UTF-8 on its own (§5 (3)).
  EXPECT_THAT(DecodeHeaderText("=?utf-8?Q?Gr=C3?= =?utf-8?Q?=BC?=").status().message(),
              HasSubstr("split inside a character"));
  const std::string long_word = "=?utf-8?Q?" + std::string(70, 'a') + "?=";
  EXPECT_THAT(DecodeHeaderText(long_word).status().message(), HasSubstr("over 75"));
  EXPECT_FALSE(DecodeHeaderText("=?utf-8?Z?abc?=").ok());
  // Two spaces between words: EncodeWords joins with one.
  EXPECT_FALSE(DecodeHeaderText("=?utf-8?Q?a?=  =?utf-8?Q?b?=").ok());
}

}  // namespace
}  // namespace kirim
