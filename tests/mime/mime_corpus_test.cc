// A corpus of awkward messages, each built by BuildMessage and read back by Python's email
// package (policy=email.policy.default, see server/mime/python_email.h), an independent reader:
//   - Python reports no defect, in any part or header field (the one allowance: RFC 6532
//     UTF-8 local parts, which Python's RFC 5322 parser always flags, see kUtf8LocalPart),
//   - the MIME tree is the one mime_builder.h documents,
//   - subject, display names and addresses decode to exactly the input,
//   - text and html bodies decode to the input modulo the documented line-ending rules: every
//     CRLF, lone CR and lone LF is one line break, and a single-part body gains a final one,
//   - every attachment decodes to exactly its bytes (same size and SHA-256), with its file
//     name, Content-ID and disposition,
//   - text goes out 7bit when it can, otherwise quoted-printable or base64 (the shorter),
//   - no line exceeds 998 octets and every line ends in CRLF.
#include <openssl/evp.h>

#include <cstdint>
#include <functional>
#include <ostream>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/address/address.h"
#include "server/common/text.h"
#include "server/mime/encoding.h"
#include "server/mime/mime_builder.h"
#include "server/mime/mime_test_util.h"
#include "server/mime/python_email.h"
#include "tests/common/fake_random.h"

namespace kirim {
namespace {

using ::kirim::testing::All;
using ::kirim::testing::ExpectWellFormedLines;
using ::kirim::testing::One;
using ::kirim::testing::ParseWithPython;
using ::kirim::testing::PythonFacts;
using ::testing::ElementsAreArray;
using ::testing::IsEmpty;

// What Python's address parser says about every non-ASCII local part: RFC 6532 §3.2 allows
// them, the RFC 5322 grammar Python implements does not (CPython documents the defect as
// raised "only during unicode parsing", i.e. for exactly these messages).
constexpr char kUtf8LocalPart[] = "local-part contains non-ASCII characters)";

std::string Sha256Hex(absl::string_view data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  EVP_Digest(data.data(), data.size(), digest, &size, EVP_sha256(), nullptr);
  return absl::BytesToHexString(absl::string_view(reinterpret_cast<char*>(digest), size));
}

// The documented line-ending rule as Python reports text (CRLF turned into LF).
std::string LfLines(absl::string_view text) {
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\r' && i + 1 < text.size() && text[i + 1] == '\n') ++i;
    out.push_back(text[i] == '\r' ? '\n' : text[i]);
  }
  return out;
}

std::string Repeat(absl::string_view text, int n) {
  std::string out;
  for (int i = 0; i < n; ++i) absl::StrAppend(&out, text);
  return out;
}

// Every byte value, then a pseudo-random stretch with many CR, LF and NUL bytes.
std::string AllBytes() {
  std::string out;
  for (int i = 0; i < 256; ++i) out.push_back(static_cast<char>(i));
  for (int i = 0; i < 256; ++i) out.push_back(static_cast<char>(255 - i));
  uint32_t x = 12345;
  for (int i = 0; i < 20000; ++i) {
    x = x * 1103515245u + 12345u;
    const char c = static_cast<char>(x >> 16);
    out.push_back(i % 7 == 0 ? "\r\n\0."[i % 4] : c);
  }
  return out;
}

// Scripts and symbols used below.
const std::string kGerman = "Gr\xc3\xbc\xc3\x9f" "e aus M\xc3\xbcnchen";
const std::string kJapanese =
    "\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e\xe3\x81\xae\xe6\x96\x87\xe7\xab\xa0\xe3\x81\xa7\xe3\x81"
    "\x99\xe3\x80\x82";  // 日本語の文章です。
const std::string kChinese = "\xe4\xbd\xa0\xe5\xa5\xbd\xef\xbc\x8c\xe4\xb8\x96\xe7\x95\x8c";
const std::string kHebrew = "\xd7\xa9\xd7\x9c\xd7\x95\xd7\x9d \xd7\xa2\xd7\x95\xd7\x9c\xd7\x9d";
const std::string kArabic =
    "\xd9\x85\xd8\xb1\xd8\xad\xd8\xa8\xd8\xa7 \xd8\xa8\xd8\xa7\xd9\x84\xd8\xb9\xd8\xa7\xd9\x84\xd9"
    "\x85";
const std::string kGreek = "\xce\x9a\xce\xb1\xce\xbb\xce\xb7\xce\xbc\xce\xad\xcf\x81\xce\xb1";
const std::string kRussian = "\xd0\x9f\xd1\x80\xd0\xb8\xd0\xb2\xd0\xb5\xd1\x82";
const std::string kHindi = "\xe0\xa4\xa8\xe0\xa4\xae\xe0\xa4\xb8\xe0\xa5\x8d\xe0\xa4\xa4\xe0\xa5\x87";
const std::string kRlm = "\xe2\x80\x8f";  // U+200F RIGHT-TO-LEFT MARK
const std::string kEmoji = "\xf0\x9f\x98\x80\xf0\x9f\x8e\x89\xf0\x9f\x91\x8d\xf0\x9f\x8f\xbd";
const std::string kFamily =  // a ZWJ sequence: man, ZWJ, woman, ZWJ, girl
    "\xf0\x9f\x91\xa8\xe2\x80\x8d\xf0\x9f\x91\xa9\xe2\x80\x8d\xf0\x9f\x91\xa7";
const std::string kPng = std::string("\x89PNG\r\n\x1a\n\0\0\0\rIHDR", 16) + AllBytes().substr(0, 300);
const std::string kPdf = "%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n%%EOF\n";

struct CorpusCase {
  std::string name;
  std::function<void(MimeInput&)> edit;  // applied to BaseInput()
  std::string structure;                 // the MIME tree Python sees
  // Content-Transfer-Encoding of each text/plain and text/html body part, in message order.
  std::vector<std::string> text_encodings;
};

void PrintTo(const CorpusCase& c, std::ostream* os) { *os << c.name; }

MimeInput BaseInput() {
  MimeInput in;
  in.from = {"Kirim", "noreply", "example.com"};
  in.to = {{"", "user", "example.net"}};
  in.subject = "Corpus";
  in.text_body = "Hello.\n";
  in.message_id = "<01J0CORPUS@example.com>";
  in.date = absl::FromUnixSeconds(1767323045);
  return in;
}

const std::vector<CorpusCase>& Corpus() {
  static const auto* corpus = new std::vector<CorpusCase>{
      {"plain ASCII text", [](MimeInput&) {}, "text/plain", {"7bit"}},
      {"html only",
       [](MimeInput& in) {
         in.text_body.clear();
         in.html_body = "<!doctype html><p>Only <b>html</b> &amp; nothing else</p>";
       },
       "text/html",
       {"7bit"}},
      {"empty text body with an attachment",
       [](MimeInput& in) {
         in.text_body.clear();
         in.attachments = {{"report.pdf", "application/pdf", kPdf, ""}};
       },
       "multipart/mixed(application/pdf)",
       {}},
      {"text, html with two cid: images, and a regular attachment",
       [](MimeInput& in) {
         in.text_body = "See the logo.\n";
         in.html_body = "<p><img src=\"cid:logo\"> and <img src=\"cid:banner@example.com\"></p>";
         in.attachments = {{"terms.pdf", "application/pdf", kPdf, ""},
                           {"logo.png", "image/png", kPng, "logo"},
                           {"banner.gif", "image/gif", "GIF89a\x01\x00\x01\x00", "<banner@example.com>"}};
       },
       "multipart/mixed(multipart/alternative(text/plain,multipart/related(text/html,image/png,"
       "image/gif)),application/pdf)",
       {"7bit", "7bit"}},
      {"html only with inline images and an attachment",
       [](MimeInput& in) {
         in.text_body.clear();
         in.html_body = "<img src=\"cid:a\"><img src=\"cid:b\">";
         in.attachments = {{"a.png", "IMAGE/PNG", kPng, "a"},
                           {"archive.zip", "application/zip", AllBytes().substr(0, 999), ""},
                           {"", "image/jpeg", "\xff\xd8\xff\xe0", "b"}};
       },
       "multipart/mixed(multipart/related(text/html,image/png,image/jpeg),application/zip)",
       {"7bit"}},
      {"content id without html is an ordinary attachment",
       [](MimeInput& in) { in.attachments = {{"logo.png", "image/png", kPng, "logo"}}; },
       "multipart/mixed(text/plain,image/png)",
       {"7bit"}},
      {"non-ASCII file names",
       [](MimeInput& in) {
         in.attachments = {{"r\xc3\xa9sum\xc3\xa9.pdf", "application/pdf", kPdf, ""},
                           {kJapanese + ".txt", "text/plain", "x", ""},
                           {kEmoji + " party.png", "image/png", kPng, ""},
                           {kHebrew + ".doc", "application/msword", "doc", ""}};
       },
       "multipart/mixed(text/plain,application/pdf,text/plain,image/png,application/msword)",
       {"7bit"}},
      {"file names with quotes, backslashes, semicolons and encoded-word look-alikes",
       [](MimeInput& in) {
         in.attachments = {{"say \"hi\".txt", "text/plain", "1", ""},
                           {"back\\slash.txt", "text/plain", "2", ""},
                           {"a;b=c, d (e) <f> [g] @h:i.txt", "text/plain", "3", ""},
                           {"=?utf-8?q?not_encoded?=.txt", "text/plain", "4", ""},
                           {"100% 'quoted' & *starred*.txt", "text/plain", "5", ""},
                           {"double  space.txt", "text/plain", "6", ""}};
       },
       "multipart/mixed(text/plain,text/plain,text/plain,text/plain,text/plain,text/plain,"
       "text/plain)",
       {"7bit"}},
      {"very long file names",
       [](MimeInput& in) {
         in.attachments = {
             {Repeat("long name ", 24) + "end.txt", "text/plain", "a", ""},  // 247 octets
             {std::string(251, 'x') + ".bin", "", "b", ""},                 // one 255-octet word
             {Repeat("\xc3\xa9t\xc3\xa9 ", 35) + kEmoji + ".txt", "text/plain", "c", ""}};
       },
       "multipart/mixed(text/plain,text/plain,application/octet-stream,text/plain)",
       {"7bit"}},
      {"binary attachment with every byte value",
       [](MimeInput& in) { in.attachments = {{"all-bytes.bin", "", AllBytes(), ""}}; },
       "multipart/mixed(text/plain,application/octet-stream)",
       {"7bit"}},
      {"zero-byte attachments",
       [](MimeInput& in) {
         in.attachments = {{"empty.bin", "", "", ""}, {"empty.txt", "text/plain", "", ""}};
       },
       "multipart/mixed(text/plain,application/octet-stream,text/plain)",
       {"7bit"}},
      {"text attachment keeps its own line endings",
       [](MimeInput& in) {
         in.attachments = {{"mixed.txt", "text/plain", "a\r\nb\nc\rd\r\r\n\n.\r\nFrom x", ""}};
       },
       "multipart/mixed(text/plain,text/plain)",
       {"7bit"}},
      {"a line of exactly 998 octets stays 7bit",
       [](MimeInput& in) {
         in.text_body = absl::StrCat("before\n", std::string(998, 'a'), "\nafter\n");
       },
       "text/plain",
       {"7bit"}},
      {"lines of 999 octets and more need quoted-printable",
       [](MimeInput& in) {
         in.text_body = absl::StrCat(std::string(999, 'b'), "\n", std::string(5000, 'c'), "\n");
         in.html_body = absl::StrCat("<p>", std::string(50000, 'h'), "</p>");
       },
       "multipart/alternative(text/plain,text/html)",
       {"quoted-printable", "quoted-printable"}},
      {"lines starting with From and dots",
       [](MimeInput& in) {
         in.text_body = "From here on\n.\n..\n.hidden\nFrom: not a header\n>From quoted\n. \n";
         in.html_body = ".\n<p>\nFrom the html</p>\n..";
       },
       "multipart/alternative(text/plain,text/html)",
       {"7bit", "7bit"}},
      {"lone CR and LF inside bodies",
       [](MimeInput& in) {
         in.text_body = "a\rb\nc\r\nd\r\r\n\ne\n\rf";
         in.html_body = "<p>\r</p>\n\r\n\r";
       },
       "multipart/alternative(text/plain,text/html)",
       {"7bit", "7bit"}},
      {"trailing white space",
       [](MimeInput& in) {
         in.text_body = "spaces   \ntab\t\nboth \t \n   \n";
         in.html_body = "caf\xc3\xa9 au lait, s'il vous pla\xc3\xaet   \nfin\t\n";
       },
       "multipart/alternative(text/plain,text/html)",
       {"7bit", "quoted-printable"}},
      {"single part without a final newline",
       [](MimeInput& in) { in.text_body = "no newline at the end"; },
       "text/plain",
       {"7bit"}},
      {"multipart bodies without a final newline",
       [](MimeInput& in) {
         in.text_body = kGerman + ", schreibt Ihnen heute das ganze Team.";
         in.html_body = "<p>" + kJapanese + "</p>";
       },
       "multipart/alternative(text/plain,text/html)",
       {"quoted-printable", "base64"}},
      {"blank lines only",
       [](MimeInput& in) { in.text_body = "\n\n \n\n"; },
       "text/plain",
       {"7bit"}},
      {"NUL and other control characters in text",
       [](MimeInput& in) {
         static constexpr char kText[] =
             "A NUL byte \0 in an otherwise ordinary line, ESC \x1b[0m, form feed \x0c, DEL \x7f.\n";
         in.text_body = std::string(kText, sizeof(kText) - 1);
       },
       "text/plain",
       {"quoted-printable"}},
      {"boundary and encoded-word look-alikes in bodies",
       [](MimeInput& in) {
         in.text_body = "--=_kirim_000000000000000000000000\n--=_kirim_x--\n=?utf-8?q?x?=\n=3D=\n";
         in.html_body = "<pre>\n--=_kirim_000000000000000000000000--\n</pre>";
         in.attachments = {{"x.txt", "text/plain", "--=_kirim_000000000000000000000000\r\n", ""}};
       },
       "multipart/mixed(multipart/alternative(text/plain,text/html),text/plain)",
       {"7bit", "7bit"}},
      {"CJK text is base64, mostly-ASCII text quoted-printable",
       [](MimeInput& in) {
         in.text_body = Repeat(kJapanese + "\n", 20);
         in.html_body = absl::StrCat(
             "<p>", Repeat("A caf\xc3\xa9 with milk, please, and the usual croissant. ", 30),
             "</p>\n");
       },
       "multipart/alternative(text/plain,text/html)",
       {"base64", "quoted-printable"}},
      {"very long subject in mixed scripts",
       [](MimeInput& in) {
         in.subject = absl::StrCat("Order #12345 ", kGerman, " ", kGreek, " ", kRussian, " ",
                                   kJapanese, " ", kChinese, " ", kArabic, " ", kHebrew, " ",
                                   kHindi, " ", kEmoji, " ", Repeat("and more words ", 12),
                                   kFamily, " end");
       },
       "text/plain",
       {"7bit"}},
      {"emoji in subject, names, body and file name",
       [](MimeInput& in) {
         in.subject = kEmoji + kFamily;
         in.from.display_name = kEmoji;
         in.to = {{kFamily + " Family", "family", "example.net"}};
         in.text_body = Repeat(kEmoji + kFamily + "\n", 3);
         in.attachments = {{kEmoji + ".txt", "text/plain", kEmoji, ""}};
       },
       "multipart/mixed(text/plain,text/plain)",
       {"base64"}},
      {"right-to-left text",
       [](MimeInput& in) {
         in.subject = kHebrew + " " + kArabic + " (RTL) 123";
         in.from.display_name = kArabic;
         in.to = {{kHebrew, "shalom", "example.co.il"}};
         in.text_body = absl::StrCat(kRlm, kHebrew, "\n", kArabic, " 42\n");
         in.html_body = absl::StrCat("<p dir=\"rtl\">", kArabic, "</p>");
       },
       "multipart/alternative(text/plain,text/html)",
       {"base64", "base64"}},
      {"display names that need quoting",
       [](MimeInput& in) {
         in.from.display_name = "Doe, John (Sales)";
         in.reply_to = {{"Say \"hi\" \\o/", "help", "example.com"}};
         in.to = {{"a@b.c", "at", "example.net"},
                  {"John Q. Public", "jqp", "example.net"},
                  {".leading.dot", "dot", "example.net"},
                  {"<>[]:;", "specials", "example.net"},
                  {"two  spaces", "spaces", "example.net"},
                  {"=?utf-8?q?looks_encoded?=", "lookalike", "example.net"}};
         in.cc = {{"", "\"quoted local\"", "[192.0.2.1]"}, {"Ops", "ops", "[IPv6:2001:db8::1]"}};
       },
       "text/plain",
       {"7bit"}},
      {"many recipients fold within limits",
       [](MimeInput& in) {
         in.to.clear();
         for (int i = 0; i < 40; ++i) {
           in.to.push_back({absl::StrCat("Recipient ", i, i % 3 == 0 ? " " + kGerman : ""),
                            absl::StrCat("r", i), "example.net"});
         }
         for (int i = 0; i < 20; ++i) in.cc.push_back({"", absl::StrCat("c", i), "example.org"});
       },
       "text/plain",
       {"7bit"}},
      {"UTF-8 addresses (SMTPUTF8, RFC 6532 headers)",
       [](MimeInput& in) {
         in.from = {"J\xc3\xb6rg", "j\xc3\xb6rg", "b\xc3\xbc" "cher.de"};
         in.reply_to = {{"", "\xe7\x94\xa8\xe6\x88\xb7", "\xe4\xbe\x8b\xe5\xad\x90.\xe4\xb8\xad\xe5\x9b\xbd"}};
         in.to = {{kGreek, "\"\xcf\x89 \xcf\x89\"", "example.gr"},
                  {"", "plain", "example.com"},
                  {kHebrew, kHebrew.substr(0, 8), "example.co.il"}};
         in.cc = {{"", "\xd0\xbf\xd0\xbe\xd1\x87\xd1\x82\xd0\xb0", "\xd0\xbf\xd1\x80\xd0\xb8\xd0\xbc\xd0\xb5\xd1\x80.\xd1\x80\xd1\x84"}};
         in.subject = kGerman;
       },
       "text/plain",
       {"7bit"}},
      {"UTF-8 domain with an ASCII local part",
       [](MimeInput& in) { in.to = {{"B\xc3\xbc" "cher", "info", "b\xc3\xbc" "cher.de"}}; },
       "text/plain",
       {"7bit"}},
      {"empty subject and extra header fields",
       [](MimeInput& in) {
         in.subject.clear();
         in.headers = {{"X-Note", kGerman + " " + kEmoji},
                       {"List-Unsubscribe", "<mailto:u@example.com?subject=unsubscribe>"},
                       {"X-Long", Repeat("word ", 150)}};
       },
       "text/plain",
       {"7bit"}},
  };
  return *corpus;
}

class MimeCorpusTest : public ::testing::TestWithParam<CorpusCase> {};

// Attachments in the order Python walks them: inline ones (inside multipart/related, next to
// the html) first, then the rest, each group in input order.
std::vector<const MimeAttachment*> WalkOrder(const MimeInput& in) {
  std::vector<const MimeAttachment*> inline_parts, others;
  for (const MimeAttachment& a : in.attachments) {
    (!in.html_body.empty() && !a.content_id.empty() ? inline_parts : others).push_back(&a);
  }
  inline_parts.insert(inline_parts.end(), others.begin(), others.end());
  return inline_parts;
}

std::string ExpectedBody(const MimeInput& in, const std::string& body) {
  std::string expected = LfLines(body);
  const bool single_part =
      in.attachments.empty() && (in.text_body.empty() || in.html_body.empty());
  if (single_part && !absl::EndsWith(expected, "\n")) expected += "\n";
  return expected;
}

std::vector<std::string> Addresses(const std::vector<Mailbox>& mailboxes) {
  std::vector<std::string> out;
  for (const Mailbox& m : mailboxes) out.push_back(absl::StrCat(m.display_name, "|", m.Address()));
  return out;
}

TEST_P(MimeCorpusTest, PythonReadsBackExactlyWhatWentIn) {
  const CorpusCase& c = GetParam();
  MimeInput in = BaseInput();
  c.edit(in);
  testing::FakeRandom random;
  absl::StatusOr<std::string> message = BuildMessage(in, random);
  ASSERT_TRUE(message.ok()) << message.status();
  ExpectWellFormedLines(*message, kMaxLineLength);
  const PythonFacts facts = ParseWithPython(*message);

  // Internationalized addresses make an RFC 6532 message; nothing else puts 8-bit bytes in it.
  bool utf8_addresses = false, utf8_local_parts = false;
  for (const std::vector<Mailbox>* list : {&in.reply_to, &in.to, &in.cc}) {
    for (const Mailbox& m : *list) {
      utf8_addresses |= NeedsSmtpUtf8(m);
      utf8_local_parts |= !IsAscii(m.local_part);
    }
  }
  utf8_addresses |= NeedsSmtpUtf8(in.from);
  utf8_local_parts |= !IsAscii(in.from.local_part);
  EXPECT_EQ(One(facts, "parsed-as"), utf8_addresses ? "utf-8" : "bytes");

  EXPECT_THAT(All(facts, "defect"), IsEmpty());
  for (const std::string& defect : All(facts, "header-defect")) {
    EXPECT_TRUE(utf8_local_parts && absl::EndsWith(defect, kUtf8LocalPart)) << defect;
  }
  EXPECT_EQ(One(facts, "structure"), c.structure);

  EXPECT_EQ(One(facts, "subject"), in.subject);
  EXPECT_EQ(One(facts, "message-id"), in.message_id);
  EXPECT_THAT(All(facts, "from"), ElementsAreArray(Addresses({in.from})));
  EXPECT_THAT(All(facts, "reply-to"), ElementsAreArray(Addresses(in.reply_to)));
  EXPECT_THAT(All(facts, "to"), ElementsAreArray(Addresses(in.to)));
  EXPECT_THAT(All(facts, "cc"), ElementsAreArray(Addresses(in.cc)));

  if (in.text_body.empty()) {
    EXPECT_THAT(All(facts, "text"), IsEmpty());
  } else {
    EXPECT_EQ(One(facts, "text"), ExpectedBody(in, in.text_body));
  }
  if (in.html_body.empty()) {
    EXPECT_THAT(All(facts, "html"), IsEmpty());
  } else {
    EXPECT_EQ(One(facts, "html"), ExpectedBody(in, in.html_body));
  }

  const std::vector<std::string> types = All(facts, "leaf-type"), ctes = All(facts, "leaf-cte"),
                                 dispositions = All(facts, "leaf-disposition"),
                                 filenames = All(facts, "leaf-filename"),
                                 cids = All(facts, "leaf-cid"), sizes = All(facts, "leaf-size"),
                                 hashes = All(facts, "leaf-sha256");
  ASSERT_EQ(ctes.size(), types.size());
  ASSERT_EQ(hashes.size(), types.size());
  std::vector<std::string> text_encodings;
  const std::vector<const MimeAttachment*> attachments = WalkOrder(in);
  size_t next = 0;
  for (size_t i = 0; i < types.size(); ++i) {
    SCOPED_TRACE(absl::StrCat("part ", i, " ", types[i]));
    if (dispositions[i].empty()) {  // a body part
      EXPECT_TRUE(types[i] == "text/plain" || types[i] == "text/html");
      text_encodings.push_back(ctes[i]);
      continue;
    }
    ASSERT_LT(next, attachments.size());
    const MimeAttachment& a = *attachments[next++];
    EXPECT_EQ(ctes[i], "base64");
    EXPECT_EQ(types[i], a.content_type.empty() ? "application/octet-stream"
                                               : absl::AsciiStrToLower(a.content_type));
    EXPECT_EQ(filenames[i], a.filename);
    const bool is_inline = !in.html_body.empty() && !a.content_id.empty();
    EXPECT_EQ(dispositions[i], is_inline ? "inline" : "attachment");
    std::string cid = a.content_id;
    if (!cid.empty() && cid.front() != '<') cid = absl::StrCat("<", cid, ">");
    EXPECT_EQ(cids[i], cid);
    EXPECT_EQ(sizes[i], absl::StrCat(a.content.size()));
    EXPECT_EQ(hashes[i], Sha256Hex(a.content));
  }
  EXPECT_EQ(next, attachments.size()) << "attachments missing from what Python read";
  EXPECT_THAT(text_encodings, ElementsAreArray(c.text_encodings));
}

INSTANTIATE_TEST_SUITE_P(Corpus, MimeCorpusTest, ::testing::ValuesIn(Corpus()),
                         [](const ::testing::TestParamInfo<CorpusCase>& info) {
                           std::string name;
                           for (char ch : info.param.name) {
                             if (absl::ascii_isalnum(static_cast<unsigned char>(ch))) {
                               name.push_back(ch);
                             } else if (!name.empty() && name.back() != '_') {
                               name.push_back('_');
                             }
                           }
                           return name;
                         });

TEST(MimeCorpusTest, CorpusIsLargeEnough) { EXPECT_GE(Corpus().size(), 20u); }

}  // namespace
}  // namespace kirim
