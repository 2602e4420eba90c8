#include "server/mime/mime_builder.h"

#include <functional>
#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/civil_time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/mime/encoding.h"
#include "server/mime/mime_test_util.h"
#include "tests/common/fake_random.h"

namespace kirim {
namespace {

using ::kirim::testing::DecodeHeaderText;
using ::kirim::testing::ExpectWellFormedLines;
using ::kirim::testing::HeaderValue;
using ::testing::HasSubstr;
using ::testing::Not;

// 2026-01-02T03:04:05Z, a Friday.
const absl::Time kDate = absl::FromUnixSeconds(1767323045);

MimeInput BasicInput() {
  MimeInput in;
  in.from = {"Kirim", "noreply", "example.com"};
  in.to = {{"", "user", "example.net"}};
  in.subject = "Hello";
  in.text_body = "Hi there.\n";
  in.message_id = "<01J000@example.com>";
  in.date = kDate;
  return in;
}

std::string Build(const MimeInput& in) {
  testing::FakeRandom random;
  absl::StatusOr<std::string> message = BuildMessage(in, random);
  EXPECT_TRUE(message.ok()) << message.status();
  if (!message.ok()) return "";
  ExpectWellFormedLines(*message, kMaxLineLength);
  return *std::move(message);
}

absl::Status BuildError(const MimeInput& in) {
  testing::FakeRandom random;
  return BuildMessage(in, random).status();
}

// The body of a single-part message (everything after the blank line).
std::string BodyOf(absl::string_view message) {
  return std::string(message.substr(message.find("\r\n\r\n") + 4));
}

// The encoded body of the first part of a multipart message whose headers contain `marker`:
// from after that part's blank line up to the next boundary delimiter.
std::string PartBody(absl::string_view message, absl::string_view marker) {
  const size_t at = message.find(marker);
  if (at == absl::string_view::npos) {
    ADD_FAILURE() << "no part with " << marker;
    return "";
  }
  const size_t start = message.find("\r\n\r\n", at) + 4;
  return std::string(message.substr(start, message.find("\r\n--=_kirim_", start) - start));
}

TEST(BuildMessageTest, TextOnlyExact) {
  EXPECT_EQ(Build(BasicInput()),
            "Date: Fri, 02 Jan 2026 03:04:05 +0000\r\n"
            "From: Kirim <noreply@example.com>\r\n"
            "To: user@example.net\r\n"
            "Subject: Hello\r\n"
            "Message-ID: <01J000@example.com>\r\n"
            "MIME-Version: 1.0\r\n"
            "Content-Type: text/plain; charset=utf-8\r\n"
            "Content-Transfer-Encoding: 7bit\r\n"
            "\r\n"
            "Hi there.\r\n");
}

TEST(BuildMessageTest, AllAddressFieldsAndExtraHeadersInOrder) {
  MimeInput in = BasicInput();
  in.reply_to = {{"Support", "help", "example.com"}};
  in.cc = {{"Last, First", "cc", "example.org"}};
  in.headers = {{"X-Campaign", "spring"}, {"List-Unsubscribe", "<mailto:u@example.com>"}};
  EXPECT_EQ(Build(in),
            "Date: Fri, 02 Jan 2026 03:04:05 +0000\r\n"
            "From: Kirim <noreply@example.com>\r\n"
            "Reply-To: Support <help@example.com>\r\n"
            "To: user@example.net\r\n"
            "Cc: \"Last, First\" <cc@example.org>\r\n"
            "Subject: Hello\r\n"
            "Message-ID: <01J000@example.com>\r\n"
            "MIME-Version: 1.0\r\n"
            "X-Campaign: spring\r\n"
            "List-Unsubscribe: <mailto:u@example.com>\r\n"
            "Content-Type: text/plain; charset=utf-8\r\n"
            "Content-Transfer-Encoding: 7bit\r\n"
            "\r\n"
            "Hi there.\r\n");
}

TEST(BuildMessageTest, TextAndHtmlExact) {
  MimeInput in = BasicInput();
  in.html_body = "<p>Hi there.</p>";
  EXPECT_EQ(Build(in),
            "Date: Fri, 02 Jan 2026 03:04:05 +0000\r\n"
            "From: Kirim <noreply@example.com>\r\n"
            "To: user@example.net\r\n"
            "Subject: Hello\r\n"
            "Message-ID: <01J000@example.com>\r\n"
            "MIME-Version: 1.0\r\n"
            "Content-Type: multipart/alternative;\r\n"
            " boundary=\"=_kirim_c15c0289ec2d0a9167ec8e65\"\r\n"
            "\r\n"
            "--=_kirim_c15c0289ec2d0a9167ec8e65\r\n"
            "Content-Type: text/plain; charset=utf-8\r\n"
            "Content-Transfer-Encoding: 7bit\r\n"
            "\r\n"
            "Hi there.\r\n"
            "\r\n"
            "--=_kirim_c15c0289ec2d0a9167ec8e65\r\n"
            "Content-Type: text/html; charset=utf-8\r\n"
            "Content-Transfer-Encoding: 7bit\r\n"
            "\r\n"
            "<p>Hi there.</p>\r\n"
            "--=_kirim_c15c0289ec2d0a9167ec8e65--\r\n");
}

TEST(BuildMessageTest, AttachmentExact) {
  MimeInput in = BasicInput();
  in.subject = "Grüße";
  in.text_body = "See attached";
  in.attachments = {{"r\xc3\xa9sum\xc3\xa9.txt", "Text/Plain", "hello", ""}};
  EXPECT_EQ(Build(in),
            "Date: Fri, 02 Jan 2026 03:04:05 +0000\r\n"
            "From: Kirim <noreply@example.com>\r\n"
            "To: user@example.net\r\n"
            "Subject: =?utf-8?B?R3LDvMOfZQ==?=\r\n"
            "Message-ID: <01J000@example.com>\r\n"
            "MIME-Version: 1.0\r\n"
            "Content-Type: multipart/mixed; boundary=\"=_kirim_c15c0289ec2d0a9167ec8e65\"\r\n"
            "\r\n"
            "--=_kirim_c15c0289ec2d0a9167ec8e65\r\n"
            "Content-Type: text/plain; charset=utf-8\r\n"
            "Content-Transfer-Encoding: 7bit\r\n"
            "\r\n"
            "See attached\r\n"
            "--=_kirim_c15c0289ec2d0a9167ec8e65\r\n"
            "Content-Type: text/plain; name*=utf-8''r%C3%A9sum%C3%A9.txt\r\n"
            "Content-Transfer-Encoding: base64\r\n"
            "Content-Disposition: attachment; filename*=utf-8''r%C3%A9sum%C3%A9.txt\r\n"
            "\r\n"
            "aGVsbG8=\r\n"
            "--=_kirim_c15c0289ec2d0a9167ec8e65--\r\n");
}

TEST(BuildMessageTest, InlineImagesGoInRelatedAroundHtml) {
  MimeInput in = BasicInput();
  in.html_body = "<img src=\"cid:logo\">";
  in.attachments = {{"logo.png", "image/png", "PNG", "logo"},
                    {"terms.pdf", "application/pdf", "PDF", ""},
                    {"banner.png", "image/png", "PNG2", "<banner@example.com>"}};
  const std::string message = Build(in);
  // mixed > alternative > (text, related > (html, logo, banner)), terms.
  const std::vector<absl::string_view> order = {
      "Content-Type: multipart/mixed",
      "Content-Type: multipart/alternative",
      "Content-Type: text/plain",
      "Content-Type: multipart/related; type=\"text/html\"",
      "Content-Type: text/html",
      "Content-Type: image/png; name=\"logo.png\"",
      "Content-Disposition: inline; filename=\"logo.png\"",
      "Content-ID: <logo>",
      "Content-ID: <banner@example.com>",
      "Content-Disposition: attachment; filename=\"terms.pdf\"",
  };
  size_t at = 0;
  for (absl::string_view marker : order) {
    const size_t found = absl::string_view(message).find(marker, at);
    ASSERT_NE(found, std::string::npos) << "missing or out of order: " << marker << "\n" << message;
    at = found;
  }
  // Three multiparts, three different boundaries, each closed once.
  for (absl::string_view boundary :
       {"c15c0289ec2d0a9167ec8e65", "5e5532fbeea293f80bc942ee", "b9b501d1d854bb7180021590"}) {
    EXPECT_THAT(message, HasSubstr(absl::StrCat("--=_kirim_", boundary, "--\r\n")));
  }
}

TEST(BuildMessageTest, InlineAttachmentWithoutHtmlIsAnOrdinaryAttachment) {
  MimeInput in = BasicInput();
  in.attachments = {{"logo.png", "image/png", "PNG", "logo"}};
  const std::string message = Build(in);
  EXPECT_THAT(message, HasSubstr("Content-Type: multipart/mixed"));
  EXPECT_THAT(message, Not(HasSubstr("multipart/related")));
  EXPECT_THAT(message, HasSubstr("Content-Disposition: attachment; filename=\"logo.png\""));
  EXPECT_THAT(message, HasSubstr("Content-ID: <logo>"));
}

TEST(BuildMessageTest, HtmlOnlyWithEmptyTextBody) {
  MimeInput in = BasicInput();
  in.text_body = "";
  in.html_body = "<p>Only html</p>";
  const std::string message = Build(in);
  EXPECT_EQ(HeaderValue(message, "Content-Type"), "text/html; charset=utf-8");
  EXPECT_THAT(message, Not(HasSubstr("text/plain")));
  EXPECT_THAT(message, Not(HasSubstr("multipart")));
  EXPECT_EQ(BodyOf(message), "<p>Only html</p>\r\n");
}

TEST(BuildMessageTest, BodyWithoutTrailingNewline) {
  MimeInput in = BasicInput();
  in.text_body = "no newline at the end";
  EXPECT_EQ(BodyOf(Build(in)), "no newline at the end\r\n");
  // Inside a multipart the delimiter's CRLF ends the line, so the text stays exact.
  in.html_body = "<p>x</p>";
  EXPECT_THAT(Build(in), HasSubstr("\r\n\r\nno newline at the end\r\n--=_kirim_"));
}

TEST(BuildMessageTest, LineEndingsBecomeCrlf) {
  MimeInput in = BasicInput();
  in.text_body = "unix\nold mac\rwindows\r\nmixed\n\r\n";
  EXPECT_EQ(BodyOf(Build(in)), "unix\r\nold mac\r\nwindows\r\nmixed\r\n\r\n");
}

TEST(BuildMessageTest, MostlyAsciiBodyIsQuotedPrintable) {
  MimeInput in = BasicInput();
  in.text_body = "Grüße aus dem sonnigen München\nZweite Zeile \n";
  const std::string message = Build(in);
  EXPECT_EQ(HeaderValue(message, "Content-Transfer-Encoding"), "quoted-printable");
  EXPECT_EQ(BodyOf(message), "Gr=C3=BC=C3=9Fe aus dem sonnigen M=C3=BCnchen\r\nZweite Zeile=20\r\n");
  EXPECT_EQ(*QuotedPrintableDecode(BodyOf(message)), ToCrlf(in.text_body));
}

// Quoted-printable would write every byte of these characters as =XX: base64 is shorter.
TEST(BuildMessageTest, MostlyMultiByteBodyIsBase64) {
  MimeInput in = BasicInput();
  in.text_body = "\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e\xe3\x81\xae\xe6\x9c\xac\xe6\x96\x87\n";
  const std::string message = Build(in);
  EXPECT_EQ(HeaderValue(message, "Content-Transfer-Encoding"), "base64");
  EXPECT_EQ(HeaderValue(message, "Content-Type"), "text/plain; charset=utf-8");
  std::string decoded;
  ASSERT_TRUE(absl::Base64Unescape(absl::StripSuffix(BodyOf(message), "\r\n"), &decoded));
  EXPECT_EQ(decoded, ToCrlf(in.text_body));
  // A single-part body gets its final line break in base64 too.
  in.text_body.pop_back();
  ASSERT_TRUE(absl::Base64Unescape(absl::StripSuffix(BodyOf(Build(in)), "\r\n"), &decoded));
  EXPECT_EQ(decoded, ToCrlf(in.text_body) + "\r\n");
}

TEST(BuildMessageTest, AttachmentsWithoutABody) {
  MimeInput in = BasicInput();
  in.text_body.clear();
  in.attachments = {{"a.txt", "text/plain", "A", ""}, {"empty.bin", "", "", "cid-without-html"}};
  const std::string message = Build(in);
  EXPECT_THAT(HeaderValue(message, "Content-Type"), HasSubstr("multipart/mixed"));
  EXPECT_THAT(message, Not(HasSubstr("charset=utf-8")));
  EXPECT_THAT(message, HasSubstr("Content-Disposition: attachment; filename=\"a.txt\""));
  EXPECT_THAT(message, HasSubstr("Content-Disposition: attachment; filename=\"empty.bin\""));
}

TEST(BuildMessageTest, LongSingleLineBodies) {
  MimeInput in = BasicInput();
  in.text_body = std::string(998, 'a');
  EXPECT_EQ(HeaderValue(Build(in), "Content-Transfer-Encoding"), "7bit");

  in.text_body = std::string(20000, 'a');
  in.html_body = absl::StrCat("<p>", std::string(5000, 'b'), " \xe2\x82\xac</p>");
  const std::string message = Build(in);
  ExpectWellFormedLines(message, kMaxEncodedLineLength);
  const std::string text = PartBody(message, "text/plain");
  const std::string html = PartBody(message, "text/html");
  EXPECT_EQ(*QuotedPrintableDecode(text), in.text_body);
  EXPECT_EQ(*QuotedPrintableDecode(html), in.html_body);
}

TEST(BuildMessageTest, BinaryAttachmentRoundTripsThroughBase64) {
  std::string data;
  for (int i = 0; i < 10000; ++i) data.push_back(static_cast<char>((i * 131) ^ (i >> 3)));
  MimeInput in = BasicInput();
  in.attachments = {{"blob.bin", "", data, ""}};
  const std::string message = Build(in);
  ExpectWellFormedLines(message, kMaxEncodedLineLength);
  EXPECT_THAT(message, HasSubstr("Content-Type: application/octet-stream; name=\"blob.bin\""));
  std::string decoded;
  ASSERT_TRUE(absl::Base64Unescape(
      absl::StrReplaceAll(PartBody(message, "name=\"blob.bin\""), {{"\r\n", ""}}), &decoded));
  EXPECT_EQ(decoded, data);
}

TEST(BuildMessageTest, EncodesNonAsciiHeaderText) {
  MimeInput in = BasicInput();
  in.from = {"J\xc3\xb6rg M\xc3\xbcller", "j", "example.de"};
  in.subject =
      "\xf0\x9f\x93\xa6 Ihre Bestellung wurde versandt \xe2\x80\x93 Sendungsnummer "
      "123456789 \xe2\x80\x93 voraussichtliche Zustellung morgen zwischen 8 und 12 Uhr";
  in.headers = {{"X-Note", "caf\xc3\xa9"}, {"X-Plain", "=?not-decoded?="}};
  const std::string message = Build(in);
  ExpectWellFormedLines(message.substr(0, message.find("\r\n\r\n") + 2), kFoldColumn);
  EXPECT_EQ(DecodeHeaderText(HeaderValue(message, "Subject")), in.subject);
  EXPECT_EQ(HeaderValue(message, "From"), "=?utf-8?B?SsO2cmcgTcO8bGxlcg==?= <j@example.de>");
  EXPECT_EQ(DecodeHeaderText(HeaderValue(message, "X-Note")), "caf\xc3\xa9");
  // ASCII caller values may be structured, so they are passed through untouched.
  EXPECT_EQ(HeaderValue(message, "X-Plain"), "=?not-decoded?=");
}

TEST(BuildMessageTest, ManyRecipientsFoldWithinLimits) {
  MimeInput in = BasicInput();
  in.to.clear();
  for (int i = 0; i < 500; ++i) {
    in.to.push_back({absl::StrCat("Recipient Number ", i), absl::StrCat("r", i), "example.net"});
  }
  const std::string message = Build(in);
  ExpectWellFormedLines(message.substr(0, message.find("\r\n\r\n") + 2), kFoldColumn);
  EXPECT_THAT(
      HeaderValue(message, "To"),
      HasSubstr("Recipient Number 0 <r0@example.net>, Recipient Number 1 <r1@example.net>"));
}

TEST(BuildMessageTest, BoundariesComeFromRandom) {
  MimeInput in = BasicInput();
  in.html_body = "<p>x</p>";
  testing::FakeRandom a(1), b(2);
  absl::StatusOr<std::string> first = BuildMessage(in, a), second = BuildMessage(in, b);
  ASSERT_TRUE(first.ok() && second.ok());
  EXPECT_NE(*first, *second);
  EXPECT_THAT(*first, HasSubstr("boundary=\"=_kirim_"));
}

struct ErrorCase {
  std::string name;
  std::function<void(MimeInput&)> mutate;
  std::string reason;
};

TEST(BuildMessageTest, RejectsBadInput) {
  const std::vector<ErrorCase> cases = {
      {"no body", [](MimeInput& in) { in.text_body.clear(); }, "text_body or html_body"},
      {"empty message id", [](MimeInput& in) { in.message_id.clear(); }, "message_id"},
      {"message id without brackets", [](MimeInput& in) { in.message_id = "a@b"; }, "message_id"},
      {"message id without @", [](MimeInput& in) { in.message_id = "<ab>"; }, "message_id"},
      {"message id with CRLF", [](MimeInput& in) { in.message_id = "<a@b>\r\nBcc: x@example.net"; },
       "message_id"},
      {"infinite date", [](MimeInput& in) { in.date = absl::InfiniteFuture(); }, "date"},
      {"bad from", [](MimeInput& in) { in.from.domain = "localhost"; }, "From: "},
      {"injected to", [](MimeInput& in) { in.to[0].display_name = "x\r\nBcc: victim@example.net"; },
       "To: display name contains CR or LF"},
      {"bad cc",
       [](MimeInput& in) {
         in.cc = {{"", "", "example.com"}};
       },
       "Cc: "},
      {"bad reply-to",
       [](MimeInput& in) {
         in.reply_to = {{"", "a", ""}};
       },
       "Reply-To: "},
      {"subject with CRLF", [](MimeInput& in) { in.subject = "Hi\r\nBcc: x@example.net"; },
       "Subject: contains CR or LF"},
      {"subject not UTF-8", [](MimeInput& in) { in.subject = "\xff"; }, "Subject: "},
      {"text not UTF-8", [](MimeInput& in) { in.text_body = "\xc3("; }, "text_body"},
      {"html not UTF-8", [](MimeInput& in) { in.html_body = "\xed\xa0\x80"; }, "html_body"},
      {"reserved header",
       [](MimeInput& in) {
         in.headers = {{"bcc", "x@example.net"}};
       },
       "header bcc: set by Kirim"},
      {"header name with colon",
       [](MimeInput& in) {
         in.headers = {{"X-A:", "v"}};
       },
       "header X-A:"},
      {"header value with LF",
       [](MimeInput& in) {
         in.headers = {{"X-A", "v\nTo: y"}};
       },
       "header X-A: header value contains CR or LF"},
      {"bad content type",
       [](MimeInput& in) {
         in.attachments = {{"a.txt", "text", "x", ""}};
       },
       "attachments[0]: content_type must be type/subtype"},
      {"content type with parameters",
       [](MimeInput& in) {
         in.attachments = {{"a.txt", "text/plain; charset=x", "x", ""}};
       },
       "attachments[0]: content_type"},
      {"multipart attachment",
       [](MimeInput& in) {
         in.attachments = {{"a", "multipart/mixed", "x", ""}};
       },
       "attachments[0]: content_type multipart/*"},
      {"bad content id",
       [](MimeInput& in) {
         in.attachments = {{"a.png", "image/png", "x", "has space"}};
       },
       "attachments[0]: content_id"},
      {"unclosed content id",
       [](MimeInput& in) {
         in.attachments = {{"a.png", "image/png", "x", "<logo"}};
       },
       "attachments[0]: content_id"},
      {"filename with CRLF",
       [](MimeInput& in) {
         in.attachments = {{"a\r\n.txt", "", "x", ""}};
       },
       "attachments[0] filename: contains CR or LF"},
      {"filename too long",
       [](MimeInput& in) {
         in.attachments = {{std::string(256, 'f'), "", "x", ""}};
       },
       "attachments[0]: filename longer than 255"},
      {"second attachment",
       [](MimeInput& in) {
         in.attachments = {{"ok.txt", "", "x", ""}, {"\xff", "", "x", ""}};
       },
       "attachments[1]: filename is not valid UTF-8"},
  };
  for (const ErrorCase& c : cases) {
    SCOPED_TRACE(c.name);
    MimeInput in = BasicInput();
    c.mutate(in);
    const absl::Status status = BuildError(in);
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << status;
    EXPECT_THAT(status.message(), HasSubstr(c.reason));
  }
}

}  // namespace
}  // namespace kirim
