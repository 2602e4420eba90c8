#include "server/smtp/reply.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace kirim::smtp {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

// Feeds lines until the parser reports completion; fails the test on a parse error or if the
// reply is still incomplete after the last line.
Reply Parse(const std::vector<std::string>& lines) {
  ReplyParser parser;
  for (size_t i = 0; i < lines.size(); ++i) {
    absl::StatusOr<bool> done = parser.AddLine(lines[i]);
    EXPECT_TRUE(done.ok()) << done.status();
    if (!done.ok()) return Reply();
    EXPECT_EQ(*done, i + 1 == lines.size()) << "at line " << i;
  }
  return parser.Take();
}

absl::Status ParseError(const std::vector<std::string>& lines) {
  ReplyParser parser;
  for (const std::string& line : lines) {
    absl::StatusOr<bool> done = parser.AddLine(line);
    if (!done.ok()) return done.status();
  }
  return absl::OkStatus();
}

TEST(ReplyParserTest, SingleLineWithEnhancedCode) {
  Reply r = Parse({"535 5.7.8 Authentication credentials invalid"});
  EXPECT_EQ(r.code, 535);
  EXPECT_EQ(r.enhanced_code, "5.7.8");
  EXPECT_THAT(r.lines, ElementsAre("Authentication credentials invalid"));
  EXPECT_EQ(r.ToString(), "535 5.7.8 Authentication credentials invalid");
}

TEST(ReplyParserTest, SingleLineWithoutEnhancedCode) {
  Reply r = Parse({"220 mx.test ESMTP ready"});
  EXPECT_EQ(r.code, 220);
  EXPECT_EQ(r.enhanced_code, "");
  EXPECT_THAT(r.lines, ElementsAre("mx.test ESMTP ready"));
  EXPECT_EQ(r.Text(), "mx.test ESMTP ready");
}

TEST(ReplyParserTest, MultiLineEhlo) {
  Reply r = Parse({"250-mx.test Hello", "250-PIPELINING", "250-SIZE 1000000", "250 AUTH PLAIN"});
  EXPECT_EQ(r.code, 250);
  EXPECT_THAT(r.lines, ElementsAre("mx.test Hello", "PIPELINING", "SIZE 1000000", "AUTH PLAIN"));
  EXPECT_EQ(r.Text(), "mx.test Hello\nPIPELINING\nSIZE 1000000\nAUTH PLAIN");
}

TEST(ReplyParserTest, EnhancedCodeStrippedFromEveryLine) {
  // The Gmail shape: the enhanced code repeated on each line (RFC 2034 §4).
  Reply r = Parse({"550-5.1.1 The email account that you tried to reach does not exist.",
                   "550 5.1.1 Please try double-checking the recipient's email address."});
  EXPECT_EQ(r.enhanced_code, "5.1.1");
  EXPECT_THAT(r.lines, ElementsAre("The email account that you tried to reach does not exist.",
                                   "Please try double-checking the recipient's email address."));
  EXPECT_EQ(r.ToString(),
            "550 5.1.1 The email account that you tried to reach does not exist. Please try "
            "double-checking the recipient's email address.");
}

TEST(ReplyParserTest, BareCodeAndCodeWithSpaceOnly) {
  Reply bare = Parse({"250"});
  EXPECT_EQ(bare.code, 250);
  EXPECT_THAT(bare.lines, ElementsAre(""));
  EXPECT_EQ(bare.ToString(), "250");
  Reply space = Parse({"354 "});
  EXPECT_EQ(space.code, 354);
  EXPECT_THAT(space.lines, ElementsAre(""));
}

TEST(ReplyParserTest, EnhancedCodeOnlyWhenClassMatchesReplyCode) {
  // "250 5.0.0" is not a valid enhanced code for a 2yz reply; keep it as text.
  Reply r = Parse({"250 5.0.0 odd"});
  EXPECT_EQ(r.enhanced_code, "");
  EXPECT_THAT(r.lines, ElementsAre("5.0.0 odd"));
  // A version-like token is not an enhanced code either.
  Reply v = Parse({"220 2.0 server"});
  EXPECT_EQ(v.enhanced_code, "");
  Reply just = Parse({"250 2.0.0"});
  EXPECT_EQ(just.enhanced_code, "2.0.0");
  EXPECT_THAT(just.lines, ElementsAre(""));
  Reply long_detail = Parse({"451 4.3.1234 too long"});
  EXPECT_EQ(long_detail.enhanced_code, "");
}

TEST(ReplyParserTest, MismatchedCodesAreAnError) {
  absl::Status s = ParseError({"250-first", "251 second"});
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(s.message(), HasSubstr("250"));
}

TEST(ReplyParserTest, MalformedLinesAreErrors) {
  EXPECT_EQ(ParseError({""}).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ParseError({"25"}).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ParseError({"ABC hello"}).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ParseError({"250x"}).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ParseError({"650 out of range"}).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ParseError({"150 no such class"}).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ParseError({"HTTP/1.1 400 Bad Request"}).code(), absl::StatusCode::kInvalidArgument);
}

TEST(ReplyParserTest, ErrorMessageDoesNotEchoControlBytes) {
  absl::Status s = ParseError({std::string("xx\x1b[31m\x01", 8)});
  EXPECT_THAT(s.message(), ::testing::Not(HasSubstr("\x1b")));
}

TEST(ReplyParserTest, LongLinesUpToTheLenientLimit) {
  std::string ok = "250 " + std::string(ReplyParser::kMaxLineLength - 4, 'a');
  EXPECT_EQ(Parse({ok}).lines[0].size(), ReplyParser::kMaxLineLength - 4);
  std::string too_long = ok + "a";
  EXPECT_EQ(ParseError({too_long}).code(), absl::StatusCode::kInvalidArgument);
}

TEST(ReplyParserTest, TooManyLines) {
  ReplyParser parser;
  for (size_t i = 0; i < ReplyParser::kMaxLines; ++i) {
    ASSERT_TRUE(parser.AddLine("250-x").ok());
  }
  EXPECT_EQ(parser.AddLine("250 x").status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(ReplyParserTest, AddAfterCompleteNeedsTake) {
  ReplyParser parser;
  ASSERT_TRUE(*parser.AddLine("250 ok"));
  EXPECT_EQ(parser.AddLine("250 again").status().code(), absl::StatusCode::kFailedPrecondition);
  Reply first = parser.Take();
  EXPECT_EQ(first.code, 250);
  // Take() resets: the next reply starts fresh, with a different code allowed.
  ASSERT_FALSE(*parser.AddLine("354-go"));
  ASSERT_TRUE(*parser.AddLine("354 ahead"));
  Reply second = parser.Take();
  EXPECT_EQ(second.code, 354);
  EXPECT_THAT(second.lines, ElementsAre("go", "ahead"));
}

TEST(ReplyParserTest, TakeOnEmptyParserGivesNoReply) {
  ReplyParser parser;
  Reply r = parser.Take();
  EXPECT_EQ(r.code, 0);
  EXPECT_TRUE(r.lines.empty());
}

TEST(ClassifyTest, ReplyClasses) {
  auto cls = [](int code) {
    Reply r;
    r.code = code;
    return Classify(r);
  };
  EXPECT_EQ(cls(220), ReplyClass::kPositive);
  EXPECT_EQ(cls(250), ReplyClass::kPositive);
  EXPECT_EQ(cls(334), ReplyClass::kPositive);
  EXPECT_EQ(cls(354), ReplyClass::kPositive);
  EXPECT_EQ(cls(421), ReplyClass::kTransient);
  EXPECT_EQ(cls(451), ReplyClass::kTransient);
  EXPECT_EQ(cls(550), ReplyClass::kPermanent);
  EXPECT_EQ(cls(554), ReplyClass::kPermanent);
}

TEST(ClassifyTest, MalformedOrMissingIsTransient) {
  for (int code : {0, 99, 100, 199, 600, 999, -250}) {
    Reply r;
    r.code = code;
    EXPECT_EQ(Classify(r), ReplyClass::kTransient) << code;
  }
}

}  // namespace
}  // namespace kirim::smtp
