// Feeds built messages to Python's email package (policy.default, the strict modern parser)
// and checks that it finds no defects and decodes subject, names, bodies and attachments
// back to what went in: an independent reader, not our own decoder.
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/mime/mime_builder.h"
#include "server/mime/python_email.h"
#include "tests/common/fake_random.h"

namespace kirim {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

using Facts = ::kirim::testing::PythonFacts;
using ::kirim::testing::All;
using ::kirim::testing::One;
using ::kirim::testing::ParseWithPython;

Facts BuildAndParse(const MimeInput& in) {
  testing::FakeRandom random;
  absl::StatusOr<std::string> message = BuildMessage(in, random);
  EXPECT_TRUE(message.ok()) << message.status();
  return message.ok() ? ParseWithPython(*message) : Facts();
}

MimeInput RichInput() {
  MimeInput in;
  in.from = {"J\xc3\xb6rg M\xc3\xbcller \xe2\x80\x93 Versand", "noreply", "example.de"};
  in.reply_to = {{"Say \"hi\" \\o/", "help", "example.de"}};
  in.to = {{"Last, First", "a", "example.net"},
           {"", "plain", "example.org"},
           {"\xe6\x9d\x8e\xe5\xb0\x8f\xe9\xbe\x99 \xf0\x9f\x90\x89", "bruce", "example.cn"}};
  in.cc = {{"John Q. Public", "\"john q\"", "[192.0.2.1]"}};
  in.subject =
      "\xf0\x9f\x93\xa6 Ihre Bestellung wurde versandt \xe2\x80\x93 voraussichtliche "
      "Zustellung morgen zwischen 8 und 12 Uhr, Grüße";
  in.text_body =
      absl::StrCat("Hallo J\xc3\xb6rg,\n\nein sehr langer Absatz: ", std::string(300, 'x'),
                   "\nEnde ohne Zeilenumbruch");
  in.html_body = "<p>Hallo J\xc3\xb6rg,</p><img src=\"cid:logo\">";
  in.attachments = {{"logo.png", "image/png", std::string("\x89PNG\r\n\x1a\n\0", 9), "logo"},
                    {"report 2026.pdf", "application/pdf", "%PDF-1.4 ...", ""}};
  in.headers = {{"X-Campaign", "spring"}, {"X-Note", "caf\xc3\xa9 cr\xc3\xa8me"}};
  in.message_id = "<01J000ABC@example.de>";
  in.date = absl::FromUnixSeconds(1767323045);
  return in;
}

TEST(PythonParsesBuiltMessageTest, RichMessageHasNoDefectsAndDecodesBack) {
  const MimeInput in = RichInput();
  const Facts facts = BuildAndParse(in);
  EXPECT_THAT(All(facts, "defect"), IsEmpty());
  EXPECT_THAT(All(facts, "header-defect"), IsEmpty());
  EXPECT_EQ(One(facts, "subject"), in.subject);
  EXPECT_EQ(One(facts, "date"), "2026-01-02T03:04:05+00:00");
  EXPECT_EQ(One(facts, "message-id"), in.message_id);
  EXPECT_EQ(One(facts, "from"), in.from.display_name + "|noreply@example.de");
  EXPECT_EQ(One(facts, "reply-to"), "Say \"hi\" \\o/|help@example.de");
  EXPECT_THAT(All(facts, "to"), ElementsAre("Last, First|a@example.net", "|plain@example.org",
                                            in.to[2].display_name + "|bruce@example.cn"));
  EXPECT_THAT(All(facts, "cc"), ElementsAre("John Q. Public|\"john q\"@[192.0.2.1]"));
  EXPECT_EQ(One(facts, "text"), in.text_body);  // multipart: no line break is added
  EXPECT_EQ(One(facts, "html"), in.html_body);
  EXPECT_THAT(All(facts, "attachment"),
              ElementsAre("logo.png|<logo>|inline", "report 2026.pdf||attachment"));
  EXPECT_THAT(All(facts, "content"),
              ElementsAre(in.attachments[0].content, in.attachments[1].content));
}

// A display name too long for one encoded-word becomes several, and RFC 2047 §6.2 says the
// white space between them is ignored. Python 3.11's address parser keeps it instead
// (CPython gh-128110, fixed later), so this compares with spaces removed: what matters here is
// that no character is lost or split.
TEST(PythonParsesBuiltMessageTest, LongDisplayNameSpansSeveralEncodedWords) {
  MimeInput in = RichInput();
  std::string name;
  for (int i = 0; i < 8; ++i) name += "\xe6\x9d\x8e\xe5\xb0\x8f\xe9\xbe\x99 ";
  name += "J\xc3\xb6rg";
  in.to = {{name, "bruce", "example.cn"}};
  const Facts facts = BuildAndParse(in);
  EXPECT_THAT(All(facts, "defect"), IsEmpty());
  EXPECT_THAT(All(facts, "header-defect"), IsEmpty());
  const std::vector<std::string> to = All(facts, "to");
  ASSERT_EQ(to.size(), 1u);
  EXPECT_EQ(absl::StrReplaceAll(to[0], {{" ", ""}}),
            absl::StrCat(absl::StrReplaceAll(name, {{" ", ""}}), "|bruce@example.cn"));
}

TEST(PythonParsesBuiltMessageTest, SubjectsDecodeBack) {
  const std::vector<std::string> subjects = {
      "Hello",
      "",
      "Plain ASCII subject that is long enough to need folding at least once, maybe twice "
      "even, before it ends",
      "Literal =?utf-8?Q?not_encoded?= text",
      absl::StrCat("Link https://example.com/", std::string(120, 'p')),
      "tabs\tand  double  spaces",
      "\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e\xe3\x81\xae\xe4\xbb\xb6\xe5\x90\x8d\xe3\x81\xa7\xe3"
      "\x81\x99\xe3\x80\x82\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e\xe3\x81\xae\xe4\xbb\xb6\xe5\x90"
      "\x8d\xe3\x81\xa7\xe3\x81\x99\xe3\x80\x82\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e\xe3\x81\xae",
  };
  for (const std::string& subject : subjects) {
    SCOPED_TRACE(subject);
    MimeInput in = RichInput();
    in.subject = subject;
    const Facts facts = BuildAndParse(in);
    EXPECT_THAT(All(facts, "defect"), IsEmpty());
    EXPECT_THAT(All(facts, "header-defect"), IsEmpty());
    EXPECT_EQ(One(facts, "subject"), subject);
  }
}

TEST(PythonParsesBuiltMessageTest, SinglePartHtmlWithoutTrailingNewline) {
  MimeInput in = RichInput();
  in.text_body.clear();
  in.attachments.clear();
  in.html_body = "<p>\xc3\xa9t\xc3\xa9</p>";
  const Facts facts = BuildAndParse(in);
  EXPECT_THAT(All(facts, "defect"), IsEmpty());
  EXPECT_EQ(One(facts, "html"), in.html_body + "\n");  // single part: one line break added
}

// Non-ASCII file names are RFC 2231 in both Content-Type name* and Content-Disposition
// filename*, with no RFC 2047 fallback that Python would report as a defect.
TEST(PythonParsesBuiltMessageTest, NonAsciiFilenameUsesRfc2231) {
  MimeInput in = RichInput();
  std::string long_name;
  for (int i = 0; i < 20; ++i) long_name += "\xc3\xa9t\xc3\xa9 ";
  long_name += "\xf0\x9f\x99\x82.txt";
  in.attachments = {{"r\xc3\xa9sum\xc3\xa9.pdf", "application/pdf", "PDF", ""},
                    {long_name, "text/plain", "text", ""}};
  const Facts facts = BuildAndParse(in);
  EXPECT_THAT(All(facts, "defect"), IsEmpty());
  EXPECT_THAT(All(facts, "header-defect"), IsEmpty());
  EXPECT_THAT(All(facts, "attachment"),
              ElementsAre("r\xc3\xa9sum\xc3\xa9.pdf||attachment", long_name + "||attachment"));
}

}  // namespace
}  // namespace kirim
