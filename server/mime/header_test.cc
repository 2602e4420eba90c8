#include "server/mime/header.h"

#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/civil_time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/mime/encoding.h"
#include "server/mime/mime_test_util.h"
#include "server/common/text.h"

namespace kirim {
namespace {

using ::kirim::testing::DecodeHeaderText;
using ::kirim::testing::ExpectWellFormedLines;
using ::kirim::testing::Unfold;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

// "Name: value" CRLF from one Append* call, unfolded, with the name stripped.
std::string ValueOf(absl::string_view field, absl::string_view name) {
  std::string unfolded = Unfold(field);
  return unfolded.substr(name.size() + 2, unfolded.size() - name.size() - 4);
}

TEST(ValidateHeaderNameTest, AcceptsFtext) {
  for (const std::string& name :
       {std::string("X-Campaign"), std::string("List-Unsubscribe"), std::string("x"),
        std::string("!#$%&'*+-.^_`|~"), std::string(76, 'X')}) {
    EXPECT_TRUE(ValidateHeaderName(name).ok()) << name;
  }
}

TEST(ValidateHeaderNameTest, RejectsEverythingElse) {
  const std::string bad[] = {"",         std::string(77, 'X'),  "X Foo", "X:Foo", "X-F\xc3\xb6o",
                             "X\r\nBcc", std::string("X\0", 2), "X\tY",  "X\x7f"};
  for (const std::string& name : bad) {
    EXPECT_EQ(ValidateHeaderName(name).code(), absl::StatusCode::kInvalidArgument) << name;
  }
  EXPECT_THAT(ValidateHeaderName("").message(), HasSubstr("empty"));
  EXPECT_THAT(ValidateHeaderName(std::string(77, 'X')).message(), HasSubstr("76"));
}

TEST(ValidateHeaderValueTest, AcceptsPrintableUtf8) {
  for (const std::string& value :
       {std::string(""), std::string("spring sale"), std::string("tab\tok"), std::string("Grüße"),
        std::string(998, 'v')}) {
    EXPECT_TRUE(ValidateHeaderValue(value).ok()) << value;
  }
}

TEST(ValidateHeaderValueTest, RejectsInjectionAndOversize) {
  EXPECT_THAT(ValidateHeaderValue("a\r\nBcc: x@example.net").message(), HasSubstr("CR or LF"));
  EXPECT_THAT(ValidateHeaderValue("a\nb").message(), HasSubstr("CR or LF"));
  EXPECT_THAT(ValidateHeaderValue("a\rb").message(), HasSubstr("CR or LF"));
  EXPECT_THAT(ValidateHeaderValue(std::string("a\0b", 3)).message(), HasSubstr("NUL"));
  EXPECT_THAT(ValidateHeaderValue("a\x01").message(), HasSubstr("control character"));
  EXPECT_THAT(ValidateHeaderValue("\xc3").message(), HasSubstr("UTF-8"));
  EXPECT_THAT(ValidateHeaderValue(std::string(999, 'v')).message(), HasSubstr("998"));
}

TEST(IsReservedHeaderTest, CaseInsensitive) {
  for (const char* name :
       {"From", "to", "CC", "bcc", "Subject", "date", "Message-Id", "mime-version", "content-type",
        "Content-Transfer-Encoding", "CONTENT-DISPOSITION", "Content-ID", "dkim-signature",
        "Received", "Return-Path", "Sender", "reply-to"}) {
    EXPECT_TRUE(IsReservedHeader(name)) << name;
  }
  for (const char* name :
       {"X-Mailer", "List-Unsubscribe", "Content-Language", "Froms", "", "X-To"}) {
    EXPECT_FALSE(IsReservedHeader(name)) << name;
  }
}

TEST(FormatDateTest, Rfc5322UtcForm) {
  const absl::TimeZone utc = absl::UTCTimeZone();
  EXPECT_EQ(FormatDate(absl::FromCivil(absl::CivilSecond(2026, 1, 2, 3, 4, 5), utc)),
            "Fri, 02 Jan 2026 03:04:05 +0000");
  EXPECT_EQ(FormatDate(absl::FromCivil(absl::CivilSecond(1999, 12, 31, 23, 59, 59), utc)),
            "Fri, 31 Dec 1999 23:59:59 +0000");
  // Sub-second parts are dropped, not rounded.
  EXPECT_EQ(FormatDate(absl::FromUnixMillis(1767323045999)), "Fri, 02 Jan 2026 03:04:05 +0000");
}

TEST(AppendHeaderTest, ShortValueOnOneLine) {
  std::string out;
  ASSERT_TRUE(AppendHeader("MIME-Version", "1.0", &out).ok());
  ASSERT_TRUE(AppendHeader("X-Empty", "", &out).ok());
  EXPECT_EQ(out, "MIME-Version: 1.0\r\nX-Empty:\r\n");
}

TEST(AppendHeaderTest, FoldsAtWhiteSpaceNear78) {
  const std::string value =
      "<https://example.com/unsubscribe/0123456789abcdef>, "
      "<mailto:unsubscribe@example.com?subject=unsubscribe>";
  std::string out;
  ASSERT_TRUE(AppendHeader("List-Unsubscribe", value, &out).ok());
  EXPECT_EQ(out,
            "List-Unsubscribe: <https://example.com/unsubscribe/0123456789abcdef>,\r\n"
            " <mailto:unsubscribe@example.com?subject=unsubscribe>\r\n");
  EXPECT_EQ(ValueOf(out, "List-Unsubscribe"), value);
}

TEST(AppendHeaderTest, KeepsEveryLineWithinLimits) {
  std::vector<std::string> words;
  for (int i = 0; i < 200; ++i) words.push_back(std::string(1 + (i * 7) % 30, 'a' + i % 26));
  const std::string value = absl::StrJoin(words, " ");
  std::string out;
  ASSERT_TRUE(AppendHeader("X-Words", value, &out).ok());
  ExpectWellFormedLines(out, kFoldColumn);
  EXPECT_EQ(ValueOf(out, "X-Words"), value);
}

TEST(AppendHeaderTest, KeepsWhiteSpaceRunsAndNeverLeavesABlankLine) {
  const std::string value = absl::StrCat(std::string(70, 'a'), "     ", std::string(70, 'b'),
                                         " \t ", std::string(70, 'c'));
  std::string out;
  ASSERT_TRUE(AppendHeader("X-Runs", value, &out).ok());
  EXPECT_EQ(ValueOf(out, "X-Runs"), value);
  for (absl::string_view line : absl::StrSplit(out, "\r\n", absl::SkipEmpty())) {
    EXPECT_FALSE(absl::StripAsciiWhitespace(line).empty()) << "blank continuation line";
  }
}

TEST(AppendHeaderTest, LongWordStaysWholeUpTo998) {
  const std::string token(900, 't');
  std::string out;
  ASSERT_TRUE(AppendHeader("X-Token", token, &out).ok());
  EXPECT_EQ(out, absl::StrCat("X-Token: ", token, "\r\n"));  // never folded after the colon
  EXPECT_THAT(AppendHeader("X-Token", std::string(990, 't'), &out).message(), HasSubstr("998"));
}

TEST(AppendHeaderTest, RejectsWhatWouldCorruptTheMessage) {
  std::string out;
  EXPECT_THAT(AppendHeader("X-A", "a\r\nBcc: x@example.net", &out).message(),
              HasSubstr("X-A: contains CR or LF"));
  EXPECT_THAT(AppendHeader("X-A", "caf\xc3\xa9", &out).message(), HasSubstr("non-ASCII"));
  EXPECT_FALSE(AppendHeader("X A", "v", &out).ok());
  EXPECT_FALSE(AppendHeader("", "v", &out).ok());
  EXPECT_EQ(out, "");
}

TEST(AppendTextHeaderTest, PlainAsciiIsFoldedNotEncoded) {
  const std::string subject =
      "Your order 12345 has shipped and is on its way to the address you gave us";
  std::string out;
  ASSERT_TRUE(AppendTextHeader("Subject", subject, &out).ok());
  EXPECT_EQ(out,
            "Subject: Your order 12345 has shipped and is on its way to the address you\r\n"
            " gave us\r\n");
}

TEST(AppendTextHeaderTest, EmptyText) {
  std::string out;
  ASSERT_TRUE(AppendTextHeader("Subject", "", &out).ok());
  EXPECT_EQ(out, "Subject:\r\n");
}

TEST(AppendTextHeaderTest, NonAsciiBecomesEncodedWords) {
  std::string out;
  ASSERT_TRUE(AppendTextHeader("Subject", "Grüße", &out).ok());
  EXPECT_EQ(out, "Subject: =?utf-8?B?R3LDvMOfZQ==?=\r\n");
}

TEST(AppendTextHeaderTest, EncodesTextThatLooksEncodedOrCannotFold) {
  std::string out;
  ASSERT_TRUE(AppendTextHeader("Subject", "Literal =?utf-8?Q?x?= text", &out).ok());
  EXPECT_THAT(out, StartsWith("Subject: =?utf-8?"));
  EXPECT_EQ(DecodeHeaderText(ValueOf(out, "Subject")), "Literal =?utf-8?Q?x?= text");

  const std::string url = absl::StrCat("See https://example.com/", std::string(100, 'p'));
  out.clear();
  ASSERT_TRUE(AppendTextHeader("Subject", url, &out).ok());
  ExpectWellFormedLines(out, kFoldColumn);
  EXPECT_EQ(DecodeHeaderText(ValueOf(out, "Subject")), url);
}

TEST(AppendTextHeaderTest, LongNonAsciiTextRoundTrips) {
  const std::vector<std::string> texts = {
      "Grüße aus M\xc3\xbcnchen \xe2\x80\x93 ein ziemlich langer Betreff, der "
      "gefaltet werden muss, weil er nicht in eine Zeile passt",
      [] {
        std::string s;
        for (int i = 0; i < 50; ++i) s += "\xe6\x97\xa5\xe6\x9c\xac";
        return s;
      }(),
      [] {
        std::string s;
        for (int i = 0; i < 40; ++i) s += "\xf0\x9f\x93\xa6 box ";
        return s;
      }(),
  };
  for (const std::string& text : texts) {
    std::string out;
    ASSERT_TRUE(AppendTextHeader("Subject", text, &out).ok());
    ExpectWellFormedLines(out, kFoldColumn);
    EXPECT_EQ(DecodeHeaderText(ValueOf(out, "Subject")), text);
  }
}

TEST(AppendTextHeaderTest, RejectsControlsAndBadUtf8) {
  std::string out;
  EXPECT_THAT(AppendTextHeader("Subject", "Hi\r\nBcc: x@example.net", &out).message(),
              HasSubstr("Subject: contains CR or LF"));
  EXPECT_THAT(AppendTextHeader("Subject", "\xff", &out).message(),
              HasSubstr("Subject: not valid UTF-8"));
  EXPECT_TRUE(AppendTextHeader("Subject", "tab\tis fine", &out).ok());
}

TEST(AppendAddressHeaderTest, DisplayNameForms) {
  const std::vector<Mailbox> mailboxes = {
      {"", "plain", "example.com"},
      {"Kirim Sender", "noreply", "example.com"},
      {"Last, First", "a", "example.net"},
      {"John Q. Public", "jqp", "example.org"},
      {"Say \"hi\" \\o/", "q", "example.org"},
  };
  std::string out;
  ASSERT_TRUE(AppendAddressHeader("To", mailboxes, &out).ok());
  EXPECT_EQ(out,
            "To: plain@example.com, Kirim Sender <noreply@example.com>,\r\n"
            " \"Last, First\" <a@example.net>, \"John Q. Public\" <jqp@example.org>,\r\n"
            " \"Say \\\"hi\\\" \\\\o/\" <q@example.org>\r\n");
}

TEST(AppendAddressHeaderTest, NonAsciiDisplayNamesAreEncoded) {
  std::string out;
  const Mailbox from[] = {{"J\xc3\xb6rg M\xc3\xbcller", "j", "example.de"}};
  ASSERT_TRUE(AppendAddressHeader("From", from, &out).ok());
  EXPECT_EQ(out, "From: =?utf-8?B?SsO2cmcgTcO8bGxlcg==?= <j@example.de>\r\n");
}

// RFC 6532 §3.2: an internationalized addr-spec has no encoded form and goes out as UTF-8;
// its display name is still RFC 2047.
TEST(AppendAddressHeaderTest, Utf8AddressesAreRawDisplayNamesStillEncoded) {
  std::string out;
  const Mailbox to[] = {{"J\xc3\xb6rg", "j\xc3\xb6rg", "b\xc3\xbc" "cher.de"},
                        {"", "\xe7\x94\xa8\xe6\x88\xb7", "\xe4\xbe\x8b\xe5\xad\x90.\xe4\xb8\xad\xe5\x9b\xbd"},
                        {"Plain", "p", "example.com"}};
  ASSERT_TRUE(AppendAddressHeader("To", to, &out).ok());
  EXPECT_EQ(out,
            "To: =?utf-8?B?SsO2cmc=?= <j\xc3\xb6rg@b\xc3\xbc" "cher.de>, "
            "\xe7\x94\xa8\xe6\x88\xb7@\xe4\xbe\x8b\xe5\xad\x90.\xe4\xb8\xad\xe5\x9b\xbd,\r\n"
            " Plain <p@example.com>\r\n");
}

TEST(AppendAddressHeaderTest, RawUtf8StaysOutOfOtherFields) {
  std::string out;
  const Mailbox bad[] = {{"", "j\xc3", "example.de"}};  // not UTF-8: ValidateMailbox refuses
  EXPECT_THAT(AppendAddressHeader("To", bad, &out).message(), HasSubstr("To: address is not valid"));
  EXPECT_THAT(AppendHeader("X-A", "j\xc3\xb6rg@example.de", &out).message(),
              HasSubstr("non-ASCII"));
  EXPECT_EQ(out, "");
}

TEST(AppendAddressHeaderTest, ManyLongNamesFoldAndDecode) {
  std::vector<Mailbox> mailboxes;
  std::string name;
  for (int i = 0; i < 12; ++i) {
    name += "\xd0\x96\xd0\xb5\xd0\xbd\xd1\x8f ";  // "Женя "
    mailboxes.push_back({name, absl::StrCat("user", i), "example.ru"});
  }
  std::string out;
  ASSERT_TRUE(AppendAddressHeader("Cc", mailboxes, &out).ok());
  ExpectWellFormedLines(out, kFoldColumn);
  // Each mailbox's phrase decodes back to its display name.
  const std::vector<std::string> entries = absl::StrSplit(ValueOf(out, "Cc"), ", ");
  ASSERT_EQ(entries.size(), mailboxes.size());
  for (size_t i = 0; i < entries.size(); ++i) {
    const std::string suffix = absl::StrCat(" <", mailboxes[i].Address(), ">");
    ASSERT_TRUE(absl::EndsWith(entries[i], suffix)) << entries[i];
    EXPECT_EQ(DecodeHeaderText(entries[i].substr(0, entries[i].size() - suffix.size())),
              mailboxes[i].display_name);
  }
}

// Found by tests/fuzz:address: "\"a<995 spaces>b\" <x@example.com>" parses, but a run of white
// space can only be folded before its last character, so the field came out one line of over
// 998 octets and AppendAddressHeader refused a mailbox ParseMailbox had accepted. A run longer
// than a line is encoded instead, like a word too long to fold.
TEST(AppendAddressHeaderTest, WhiteSpaceRunLongerThanALineIsEncoded) {
  const std::string name = absl::StrCat("a", std::string(995, ' '), "b");
  const Mailbox to[] = {{name, "x", "example.com"}};
  std::string out;
  ASSERT_TRUE(AppendAddressHeader("To", to, &out).ok());
  ExpectWellFormedLines(out, kFoldColumn);
  const std::string value = ValueOf(out, "To");
  ASSERT_TRUE(absl::EndsWith(value, " <x@example.com>")) << value;
  EXPECT_EQ(DecodeHeaderText(value.substr(0, value.size() - 16)), name);

  // Like a word: 78 characters are encoded, 77 (which fit a continuation line) go as they are.
  const std::string subject = absl::StrCat("a", std::string(78, ' '), "b");
  out.clear();
  ASSERT_TRUE(AppendTextHeader("Subject", subject, &out).ok());
  ExpectWellFormedLines(out, kFoldColumn);
  EXPECT_EQ(DecodeHeaderText(ValueOf(out, "Subject")), subject);
  out.clear();
  ASSERT_TRUE(AppendTextHeader("Subject", absl::StrCat("a", std::string(77, ' '), "b"), &out).ok());
  EXPECT_THAT(out, Not(HasSubstr("=?")));
  ExpectWellFormedLines(out, kMaxLineLength);
}

TEST(AppendAddressHeaderTest, RejectsInvalidMailboxes) {
  std::string out;
  const Mailbox injected[] = {{"Eve\r\nBcc: victim@example.net", "eve", "example.com"}};
  EXPECT_THAT(AppendAddressHeader("From", injected, &out).message(),
              HasSubstr("From: display name contains CR or LF"));
  const Mailbox bad_domain[] = {{"", "a", "localhost"}};
  EXPECT_THAT(AppendAddressHeader("To", bad_domain, &out).message(), HasSubstr("To: domain"));
  EXPECT_THAT(AppendAddressHeader("To", {}, &out).message(), HasSubstr("no addresses"));
  EXPECT_EQ(out, "");
}

TEST(FilenameParameterTest, AsciiIsQuoted) {
  EXPECT_EQ(FilenameParameter("report.pdf"), "; filename=\"report.pdf\"");
  EXPECT_EQ(NameParameter("report.pdf"), "; name=\"report.pdf\"");
  EXPECT_EQ(FilenameParameter("my \"best\" file.txt"), "; filename=\"my \\\"best\\\" file.txt\"");
}

TEST(FilenameParameterTest, NonAsciiUsesRfc2231) {
  EXPECT_EQ(FilenameParameter("r\xc3\xa9sum\xc3\xa9.pdf"),
            "; filename*=utf-8''r%C3%A9sum%C3%A9.pdf");
  EXPECT_EQ(NameParameter("r\xc3\xa9sum\xc3\xa9.pdf"), "; name*=utf-8''r%C3%A9sum%C3%A9.pdf");
  // Text a reader would take for an encoded-word is encoded too.
  EXPECT_EQ(NameParameter("=?x?="), "; name*=utf-8''%3D%3Fx%3F%3D");
}

TEST(FilenameParameterTest, LongNamesAreSplitIntoSections) {
  std::string filename;
  for (int i = 0; i < 30; ++i) filename += "\xc3\xa9t\xc3\xa9 ";
  filename += ".txt";
  const std::string parameter = FilenameParameter(filename);
  EXPECT_THAT(parameter, StartsWith("; filename*0*=utf-8''%C3%A9t%C3%A9%20"));
  EXPECT_THAT(parameter, HasSubstr("; filename*1*="));
  std::string out;
  ASSERT_TRUE(
      AppendHeader("Content-Disposition", absl::StrCat("attachment", parameter), &out).ok());
  ExpectWellFormedLines(out, kFoldColumn);

  // Sections end between characters: each one's octets are whole UTF-8 sequences.
  std::string rejoined;
  for (absl::string_view section : absl::StrSplit(parameter, "; ", absl::SkipEmpty())) {
    section.remove_prefix(section.find('=') + 1);
    absl::ConsumePrefix(&section, "utf-8''");
    std::string octets;
    for (size_t i = 0; i < section.size(); ++i) {
      if (section[i] == '%') {
        octets.push_back(
            static_cast<char>(std::stoi(std::string(section.substr(i + 1, 2)), nullptr, 16)));
        i += 2;
      } else {
        octets.push_back(section[i]);
      }
    }
    EXPECT_TRUE(IsValidUtf8(octets)) << section;
    rejoined += octets;
  }
  EXPECT_EQ(rejoined, filename);
}

}  // namespace
}  // namespace kirim
