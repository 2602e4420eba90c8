#include "server/dkim/canonicalization.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace kirim::dkim {
namespace {

using ::testing::HasSubstr;
using ::testing::IsEmpty;

// RFC 6376 §3.4.5, the worked example, in both directions.
constexpr char kRfcExample[] =
    "A: X\r\n"
    "B : Y\t\r\n"
    "\tZ  \r\n"
    "\r\n"
    " C \r\n"
    "D \t E\r\n"
    "\r\n"
    "\r\n";

TEST(RfcExampleTest, RelaxedHeadersAndBody) {
  auto split = SplitMessage(kRfcExample);
  ASSERT_TRUE(split.ok()) << split.status();
  const auto& [fields, body] = *split;
  ASSERT_EQ(fields.size(), 2u);
  EXPECT_EQ(fields[0].name, "A");
  EXPECT_EQ(fields[1].name, "B");
  EXPECT_EQ(fields[1].raw, "B : Y\t\r\n\tZ  ");
  std::string headers;
  for (const HeaderField& f : fields) headers += RelaxedHeader(f.name, f.RawValue());
  EXPECT_EQ(headers, "a:X\r\nb:Y Z\r\n");
  EXPECT_EQ(body, " C \r\nD \t E\r\n\r\n\r\n");
  EXPECT_EQ(RelaxedBody(body), " C\r\nD E\r\n");
}

TEST(RelaxedHeaderTest, LowercasesNameAndTrimsValue) {
  EXPECT_EQ(RelaxedHeader("SUBJECT", " Hello  World "), "subject:Hello World\r\n");
  EXPECT_EQ(RelaxedHeader("Message-ID", "<a@b>"), "message-id:<a@b>\r\n");
}

TEST(RelaxedHeaderTest, TrimsWspAroundName) {
  EXPECT_EQ(RelaxedHeader("To \t", " a@b"), "to:a@b\r\n");
}

TEST(RelaxedHeaderTest, UnfoldsContinuationLines) {
  EXPECT_EQ(RelaxedHeader("To", " a@example.com,\r\n b@example.com,\r\n\t c@example.com"),
            "to:a@example.com, b@example.com, c@example.com\r\n");
}

TEST(RelaxedHeaderTest, FoldAtStartOfValue) {
  EXPECT_EQ(RelaxedHeader("Subject", "\r\n Hi"), "subject:Hi\r\n");
}

TEST(RelaxedHeaderTest, TabsBecomeSpaces) {
  EXPECT_EQ(RelaxedHeader("Subject", "\ta\t\tb \t c\t"), "subject:a b c\r\n");
}

TEST(RelaxedHeaderTest, EmptyAndWhiteSpaceOnlyValues) {
  EXPECT_EQ(RelaxedHeader("Subject", ""), "subject:\r\n");
  EXPECT_EQ(RelaxedHeader("Subject", " \t \r\n  "), "subject:\r\n");
}

TEST(RelaxedHeaderTest, Utf8PassesThrough) {
  EXPECT_EQ(RelaxedHeader("Subject",
                          " Gr\xc3\xbc\xc3\x9f"
                          "e  \xf0\x9f\x93\xa6 "),
            "subject:Gr\xc3\xbc\xc3\x9f"
            "e \xf0\x9f\x93\xa6\r\n");
}

TEST(RelaxedBodyTest, EmptyBodyIsEmpty) {
  EXPECT_EQ(RelaxedBody(""), "");
  EXPECT_EQ(RelaxedBody("\r\n"), "");
  EXPECT_EQ(RelaxedBody("\r\n\r\n\r\n"), "");
  EXPECT_EQ(RelaxedBody(" \t\r\n\t\r\n"), "");
}

TEST(RelaxedBodyTest, AddsMissingFinalCrlf) {
  EXPECT_EQ(RelaxedBody("abc"), "abc\r\n");
  EXPECT_EQ(RelaxedBody("a\r\nb"), "a\r\nb\r\n");
}

TEST(RelaxedBodyTest, FinalLineWithoutCrlfLosesTrailingWsp) {
  EXPECT_EQ(RelaxedBody("abc \t"), "abc\r\n");
  EXPECT_EQ(RelaxedBody("abc\r\n \t"), "abc\r\n");
}

TEST(RelaxedBodyTest, StripsTrailingWspPerLine) {
  EXPECT_EQ(RelaxedBody("a \r\nb\t\r\nc \t \r\n"), "a\r\nb\r\nc\r\n");
}

TEST(RelaxedBodyTest, CompressesInnerAndLeadingWsp) {
  EXPECT_EQ(RelaxedBody("  a \t b\r\n\tc\r\n"), " a b\r\n c\r\n");
}

TEST(RelaxedBodyTest, KeepsInnerEmptyLinesDropsTrailingOnes) {
  EXPECT_EQ(RelaxedBody("a\r\n\r\n \r\nb\r\n\r\n \r\n\r\n"), "a\r\n\r\n\r\nb\r\n");
}

TEST(RelaxedBodyTest, ExactlyOneCrlfKept) { EXPECT_EQ(RelaxedBody("a\r\n"), "a\r\n"); }

TEST(RelaxedBodyTest, BareLfAndCrAreOrdinaryCharacters) {
  EXPECT_EQ(RelaxedBody("a\nb\rc\r\n"), "a\nb\rc\r\n");
}

TEST(RelaxedBodyTest, LongLineUnchanged) {
  const std::string line(990, 'x');
  EXPECT_EQ(RelaxedBody(line + "\r\n"), line + "\r\n");
}

TEST(SplitMessageTest, HeadersAndBody) {
  auto split = SplitMessage("From: a@b.c\r\nSubject: Hi\r\n\r\nBody\r\n\r\nMore\r\n");
  ASSERT_TRUE(split.ok()) << split.status();
  ASSERT_EQ(split->first.size(), 2u);
  EXPECT_EQ(split->first[0].name, "From");
  EXPECT_EQ(split->first[0].raw, "From: a@b.c");
  EXPECT_EQ(split->first[0].RawValue(), " a@b.c");
  EXPECT_EQ(split->first[1].raw, "Subject: Hi");
  EXPECT_EQ(split->second, "Body\r\n\r\nMore\r\n");
}

TEST(SplitMessageTest, KeepsFoldingInRaw) {
  auto split = SplitMessage("To: a@b.c,\r\n d@e.f\r\nX: 1\r\n\r\n");
  ASSERT_TRUE(split.ok()) << split.status();
  ASSERT_EQ(split->first.size(), 2u);
  EXPECT_EQ(split->first[0].raw, "To: a@b.c,\r\n d@e.f");
  EXPECT_EQ(split->first[0].RawValue(), " a@b.c,\r\n d@e.f");
  EXPECT_THAT(split->second, IsEmpty());
}

TEST(SplitMessageTest, ColonInValueStaysInValue) {
  auto split = SplitMessage("Subject: Re: a:b\r\n\r\n");
  ASSERT_TRUE(split.ok()) << split.status();
  EXPECT_EQ(split->first[0].RawValue(), " Re: a:b");
}

TEST(SplitMessageTest, NoEmptyLineMeansNoBody) {
  for (const char* message : {"From: a@b.c\r\nTo: d@e.f\r\n", "From: a@b.c\r\nTo: d@e.f"}) {
    auto split = SplitMessage(message);
    ASSERT_TRUE(split.ok()) << split.status();
    ASSERT_EQ(split->first.size(), 2u) << message;
    EXPECT_EQ(split->first[1].raw, "To: d@e.f");
    EXPECT_THAT(split->second, IsEmpty());
  }
}

TEST(SplitMessageTest, EmptyMessages) {
  auto empty = SplitMessage("");
  ASSERT_TRUE(empty.ok());
  EXPECT_THAT(empty->first, IsEmpty());
  auto only_separator = SplitMessage("\r\nbody");
  ASSERT_TRUE(only_separator.ok());
  EXPECT_THAT(only_separator->first, IsEmpty());
  EXPECT_EQ(only_separator->second, "body");
}

TEST(SplitMessageTest, BodyMayContainAnything) {
  auto split = SplitMessage("From: a@b.c\r\n\r\nbare\nlf and\rcr\r\nNot: a header\r\n");
  ASSERT_TRUE(split.ok()) << split.status();
  EXPECT_EQ(split->first.size(), 1u);
  EXPECT_EQ(split->second, "bare\nlf and\rcr\r\nNot: a header\r\n");
}

TEST(SplitMessageTest, NameWithWspBeforeColon) {
  auto split = SplitMessage("Subject \t: x\r\n\r\n");
  ASSERT_TRUE(split.ok()) << split.status();
  EXPECT_EQ(split->first[0].name, "Subject");
  EXPECT_EQ(RelaxedHeader(split->first[0].name, split->first[0].RawValue()), "subject:x\r\n");
}

TEST(SplitMessageTest, RejectsAmbiguousHeaderBlocks) {
  struct Case {
    const char* message;
    const char* error;
  };
  for (const Case& c : {
           Case{"From: a@b.c\nTo: d@e.f\r\n\r\n", "bare CR or LF"},
           Case{"From: a@b.c\rTo: d@e.f\r\n\r\n", "bare CR or LF"},
           Case{" folded: first\r\n\r\n", "continuation"},
           Case{"From: a@b.c\r\nno colon here\r\n\r\n", "line 2 has no colon"},
           Case{": empty name\r\n\r\n", "empty field name"},
           Case{"Na me: x\r\n\r\n", "invalid characters"},
           Case{"N\xc3\xa4me: x\r\n\r\n", "invalid characters"},
       }) {
    auto split = SplitMessage(c.message);
    ASSERT_FALSE(split.ok()) << c.message;
    EXPECT_EQ(split.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(split.status().message(), HasSubstr(c.error));
  }
}

}  // namespace
}  // namespace kirim::dkim
