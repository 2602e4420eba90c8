#include "server/address/address.h"

#include <cstdint>
#include <ostream>
#include <string>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace kirim {
namespace {

using ::testing::HasSubstr;

struct ValidCase {
  std::string input;
  std::string display_name;
  std::string local_part;
  std::string domain;
};

struct InvalidCase {
  std::string input;
  std::string reason;  // a substring of the status message
};

// gtest prints parameters with this; without it, failures show raw bytes.
void PrintTo(const ValidCase& c, std::ostream* os) { *os << "\"" << c.input << "\""; }
void PrintTo(const InvalidCase& c, std::ostream* os) { *os << "\"" << c.input << "\""; }

const std::string k64(64, 'l');
const std::string k63(63, 'd');

std::string Repeat(absl::string_view text, int n) {
  std::string out;
  for (int i = 0; i < n; ++i) absl::StrAppend(&out, text);
  return out;
}

// UTF-8 of one code point.
std::string Utf8(uint32_t cp) {
  std::string out;
  if (cp < 0x80) {
    out.push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
  return out;
}

// A U-label of `n` distinct CJK characters: 27 make a 63-octet A-label, 28 one of 66.
std::string CjkLabel(int n) {
  std::string out;
  for (int i = 0; i < n; ++i) out += Utf8(0x4E00 + 37 * i);
  return out;
}

const std::string kOe = "\xc3\xb6";    // ö
const std::string kUe = "\xc3\xbc";    // ü
const std::string kCn = "\xe4\xbe\x8b\xe5\xad\x90.\xe4\xb8\xad\xe5\x9b\xbd";  // 例子.中国

// 254 octets in all: "a@" + 63 + "." + 63 + "." + 63 + "." + 60.
const std::string kLongest = absl::StrCat("a@", k63, ".", k63, ".", k63, ".", std::string(60, 'e'));

// Valid for both ParseMailbox and ParseAddrSpec.
const ValidCase kValidAddrSpecs[] = {
    {"addr@example.com", "", "addr", "example.com"},
    {"Addr@Example.COM", "", "Addr", "example.com"},
    {"first.last+tag@sub.example.co.uk", "", "first.last+tag", "sub.example.co.uk"},
    {"!#$%&'*+-/=?^_`{|}~@example.com", "", "!#$%&'*+-/=?^_`{|}~", "example.com"},
    {"\"john doe\"@example.com", "", "\"john doe\"", "example.com"},
    {"\"a@b\"@example.com", "", "\"a@b\"", "example.com"},
    {"\"a\\\"b\\\\c\"@example.com", "", "\"a\\\"b\\\\c\"", "example.com"},
    {"\"..\"@example.com", "", "\"..\"", "example.com"},
    {"a@xn--bcher-kva.example", "", "a", "xn--bcher-kva.example"},
    {"a@a-b.c-d.example", "", "a", "a-b.c-d.example"},
    {"a@123.example.com", "", "a", "123.example.com"},
    {"a@b.c", "", "a", "b.c"},
    {"user@[192.0.2.1]", "", "user", "[192.0.2.1]"},
    {"user@[0.0.0.0]", "", "user", "[0.0.0.0]"},
    {"user@[IPv6:2001:DB8::1]", "", "user", "[IPv6:2001:db8::1]"},
    {"user@[ipv6:::1]", "", "user", "[IPv6:::1]"},
    {"user@[IPv6:::ffff:192.0.2.1]", "", "user", "[IPv6:::ffff:192.0.2.1]"},
    {absl::StrCat(k64, "@example.com"), "", k64, "example.com"},
    {absl::StrCat("a@", k63, ".com"), "", "a", absl::StrCat(k63, ".com")},
    {kLongest, "", "a", kLongest.substr(2)},
    // RFC 6531 §3.3 / RFC 6532 §3.2: UTF-8 local parts and U-label domains.
    {"j" + kOe + "rg@example.de", "", "j" + kOe + "rg", "example.de"},
    {"a@b" + kUe + "cher.de", "", "a", "b" + kUe + "cher.de"},
    {"J" + kOe + "rg@B" + kUe + "cher.DE", "", "J" + kOe + "rg", "b" + kUe + "cher.de"},
    {"\xe7\x94\xa8\xe6\x88\xb7@" + kCn, "", "\xe7\x94\xa8\xe6\x88\xb7", kCn},
    {"\xf0\x9f\x98\x80.x@example.com", "", "\xf0\x9f\x98\x80.x", "example.com"},
    {"\"j" + kOe + " rg\"@example.de", "", "\"j" + kOe + " rg\"", "example.de"},
    {"\xd7\xa9\xd7\x9c\xd7\x95\xd7\x9d@example.co.il", "",
     "\xd7\xa9\xd7\x9c\xd7\x95\xd7\x9d", "example.co.il"},  // RTL letters, no controls
    {Repeat(kOe, 32) + "@example.de", "", Repeat(kOe, 32), "example.de"},  // 64 octets
    // The label limit is on the A-label: 80 octets of UTF-8 but "xn--" + 42 characters.
    {"a@" + Repeat(kUe, 40) + ".de", "", "a", Repeat(kUe, 40) + ".de"},
    {"a@" + CjkLabel(27) + ".cn", "", "a", CjkLabel(27) + ".cn"},
};

const ValidCase kValidMailboxes[] = {
    {"  addr@example.com  ", "", "addr", "example.com"},
    {"Name <addr@example.com>", "Name", "addr", "example.com"},
    {"Name<addr@example.com>", "Name", "addr", "example.com"},
    {"<addr@example.com>", "", "addr", "example.com"},
    {"Name < addr@example.com >", "Name", "addr", "example.com"},
    {"\"Last, First\" <a@b.c>", "Last, First", "a", "b.c"},
    {"John Q. Public <jqp@example.org>", "John Q. Public", "jqp", "example.org"},
    {"  John    Smith   <js@example.org>", "John Smith", "js", "example.org"},
    {"\"Quote \\\"me\\\" \\\\ now\" <q@example.org>", "Quote \"me\" \\ now", "q", "example.org"},
    {"John \"the man\" Doe <j@example.com>", "John the man Doe", "j", "example.com"},
    {"\"\" <a@example.com>", "", "a", "example.com"},
    {"\"a <b> c\" <a@example.com>", "a <b> c", "a", "example.com"},
    {"Jörg Müller <jm@example.de>", "Jörg Müller", "jm", "example.de"},
    {"\"李 小龙\" <bruce@example.cn>", "李 小龙", "bruce", "example.cn"},
    {"🙂 <smile@example.com>", "🙂", "smile", "example.com"},
    // RFC 2047 decoding is deliberately not done: the text is kept as typed.
    {"=?utf-8?Q?J=C3=B6rg?= <j@example.de>", "=?utf-8?Q?J=C3=B6rg?=", "j", "example.de"},
    {"Name <\"odd>local\"@example.com>", "Name", "\"odd>local\"", "example.com"},
    {"Ops <ops@[192.0.2.1]>", "Ops", "ops", "[192.0.2.1]"},
    {"J" + kOe + "rg <j" + kOe + "rg@b" + kUe + "cher.de>", "J" + kOe + "rg", "j" + kOe + "rg",
     "b" + kUe + "cher.de"},
};

const InvalidCase kInvalidAddrSpecs[] = {
    {"", "empty address"},
    {"addr.example.com", "missing '@'"},
    {"\"quoted\"", "missing '@'"},
    {"@example.com", "empty local part"},
    {"\"\"@example.com", "empty local part"},
    {"addr@", "empty domain"},
    {"a@b@example.com", "more than one '@'"},
    {".a@example.com", "local part starts with '.'"},
    {"a.@example.com", "local part ends with '.'"},
    {"a..b@example.com", "local part contains '..'"},
    {"a(b)@example.com", "invalid character '(' in local part"},
    {"a,b@example.com", "invalid character ',' in local part"},
    {"a\\b@example.com", "invalid character '\\' in local part"},
    {"\"a\"b@example.com", "unexpected text after quoted local part"},
    {"\"abc@example.com", "unterminated quoted string"},
    {"\"abc\\\"@example.com", "unterminated quoted string"},
    {absl::StrCat(k64, "l@example.com"), "local part longer than 64 octets"},
    {absl::StrCat("\"", k63, "\"@example.com"), "local part longer than 64 octets"},
    {absl::StrCat(kLongest, "e"), "address longer than 254 octets"},
    {"a@example", "domain needs at least two labels"},
    {"a@localhost", "domain needs at least two labels"},
    {"a@-example.com", "domain label starts or ends with '-'"},
    {"a@example-.com", "domain label starts or ends with '-'"},
    {"a@exa_mple.com", "invalid character '_' in domain"},
    {"a@exa mple.com", "invalid character ' ' in domain"},
    {"a@example..com", "empty domain label"},
    {"a@example.com.", "empty domain label"},
    {"a@.example.com", "empty domain label"},
    {absl::StrCat("a@", k63, "d.com"), "domain label longer than 63 characters"},
    {"a@1.2.3.4", "top-level domain is all-numeric"},
    {"a@[1.2.3.4", "unterminated address literal"},
    {"a@[1.2.3.4]x", "unterminated address literal"},
    {"a@[256.1.1.1]", "invalid IPv4 address literal"},
    {"a@[01.2.3.4]", "invalid IPv4 address literal"},
    {"a@[1.2.3]", "invalid IPv4 address literal"},
    {"a@[]", "invalid IPv4 address literal"},
    {"a@[IPv6:zz::1]", "invalid IPv6 address literal"},
    {"a@[IPv6:1.2.3.4]", "invalid IPv6 address literal"},
    {"a@[foo:bar]", "unsupported address literal"},
    {"a\r\n@example.com", "contains CR or LF"},
    {"a@example.com\n", "contains CR or LF"},
    {"a@example.com\r", "contains CR or LF"},
    {std::string("a\0@example.com", 14), "contains NUL"},
    {"a\t@example.com", "contains a control character"},
    {"a\x7f@example.com", "contains a control character"},
    {"a\x1b@example.com", "contains a control character"},
    {"j\xc3@example.de", "address is not valid UTF-8"},
    {"a@b\xfc" "cher.de", "address is not valid UTF-8"},  // Latin-1, not UTF-8
    {"a@\xed\xa0\x80.de", "address is not valid UTF-8"},  // a surrogate
    {"a\xc2\x85@example.com", "contains a Unicode control"},  // U+0085 NEL
    {"a@exa\xc2\x9bmple.com", "contains a Unicode control"},  // U+009B CSI
    {"a\xe2\x80\xa8@example.com", "line separator"},          // U+2028
    {"a@exa\xe2\x80\xaemple.com", "bidi control"},            // U+202E RLO
    {"a\xe2\x81\xa6@example.com", "bidi control"},            // U+2066 LRI
    {"j" + kOe + " rg@example.de", "invalid character ' ' in local part"},
    {"j" + kOe + "..rg@example.de", "local part contains '..'"},
    {Repeat(kOe, 32) + "x@example.de", "local part longer than 64 octets"},
    {"a@-b" + kUe + "cher.de", "domain label starts or ends with '-'"},
    {"a@b" + kUe + "cher-.de", "domain label starts or ends with '-'"},
    {"a@b" + kUe + "_cher.de", "invalid character '_' in domain"},
    {"a@ab--" + kUe + ".de", "'--' in the third and fourth positions"},
    {"a@" + CjkLabel(28) + ".cn", "domain label longer than 63 characters (as an A-label)"},
    {"a@b" + kUe + "cher", "domain needs at least two labels"},
    {"a@b" + kUe + "cher.de@x.de", "more than one '@'"},
};

const InvalidCase kInvalidMailboxes[] = {
    {"   ", "empty address"},
    {"<>", "empty address"},
    {"Name <>", "empty address"},
    {"Name addr@example.com", "a display name needs the address in angle brackets"},
    {"Name <addr@example.com", "missing '>'"},
    {"Name addr@example.com>", "'>' without '<'"},
    {"Name <addr@example.com> trailing", "unexpected text after '>'"},
    {"Name <addr@example.com>>", "unexpected text after '>'"},
    {"<a@example.com>, <b@example.com>", "unexpected text after '>'"},
    {"a@example.com, b@example.com", "more than one address"},
    {"Last, First <a@example.com>", "display name contains ',' (quote it)"},
    {"Name (comment) <a@example.com>", "display name contains '('"},
    {"Name: <a@example.com>", "display name contains ':'"},
    {"a>b <a@example.com>", "display name contains '>'"},
    {"\"unterminated <a@example.com>", "unterminated quoted string"},
    {"Name <Name <a@example.com>>", "unexpected text after '>'"},
    {"Name <a@example.com>\r\nBcc: victim@example.net", "contains CR or LF"},
    {"Name\n <a@example.com>", "contains CR or LF"},
    {"Na\tme <a@example.com>", "contains a control character"},
    {"J\xc3\xb6rg <j\xc3\xb6rg@b\xfc" "cher.de>", "address is not valid UTF-8"},
    {"J\xc3\xb6rg j\xc3\xb6rg@example.de", "a display name needs the address in angle brackets"},
    {"\xff\xfe <a@example.com>", "display name is not valid UTF-8"},
    {"\"\xc3\" <a@example.com>", "display name is not valid UTF-8"},
    {"Name <a@localhost>", "domain needs at least two labels"},
};

void ExpectParsed(const absl::StatusOr<Mailbox>& m, const ValidCase& c) {
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_EQ(m->display_name, c.display_name);
  EXPECT_EQ(m->local_part, c.local_part);
  EXPECT_EQ(m->domain, c.domain);
  EXPECT_TRUE(ValidateMailbox(*m).ok());
}

void ExpectRejected(const absl::StatusOr<Mailbox>& m, absl::string_view reason) {
  ASSERT_FALSE(m.ok()) << m->Address();
  EXPECT_EQ(m.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(m.status().message(), HasSubstr(reason));
}

class ValidAddrSpecTest : public ::testing::TestWithParam<ValidCase> {};

TEST_P(ValidAddrSpecTest, ParseAddrSpecAccepts) {
  ExpectParsed(ParseAddrSpec(GetParam().input), GetParam());
}

TEST_P(ValidAddrSpecTest, ParseMailboxAcceptsTheSame) {
  ExpectParsed(ParseMailbox(GetParam().input), GetParam());
}

INSTANTIATE_TEST_SUITE_P(Table, ValidAddrSpecTest, ::testing::ValuesIn(kValidAddrSpecs));

class ValidMailboxTest : public ::testing::TestWithParam<ValidCase> {};

TEST_P(ValidMailboxTest, ParseMailboxAccepts) {
  ExpectParsed(ParseMailbox(GetParam().input), GetParam());
}

INSTANTIATE_TEST_SUITE_P(Table, ValidMailboxTest, ::testing::ValuesIn(kValidMailboxes));

class InvalidAddrSpecTest : public ::testing::TestWithParam<InvalidCase> {};

TEST_P(InvalidAddrSpecTest, ParseAddrSpecRejects) {
  ExpectRejected(ParseAddrSpec(GetParam().input), GetParam().reason);
}

// Whatever is not an addr-spec is not a mailbox either (the reason may differ: the mailbox
// parser sees the text as a whole).
TEST_P(InvalidAddrSpecTest, ParseMailboxRejects) {
  ExpectRejected(ParseMailbox(GetParam().input), "");
}

INSTANTIATE_TEST_SUITE_P(Table, InvalidAddrSpecTest, ::testing::ValuesIn(kInvalidAddrSpecs));

class InvalidMailboxTest : public ::testing::TestWithParam<InvalidCase> {};

TEST_P(InvalidMailboxTest, ParseMailboxRejects) {
  ExpectRejected(ParseMailbox(GetParam().input), GetParam().reason);
}

INSTANTIATE_TEST_SUITE_P(Table, InvalidMailboxTest, ::testing::ValuesIn(kInvalidMailboxes));

TEST(ParseAddrSpecTest, RejectsMailboxSyntax) {
  EXPECT_FALSE(ParseAddrSpec(" a@example.com").ok());
  EXPECT_FALSE(ParseAddrSpec("a@example.com ").ok());
  EXPECT_FALSE(ParseAddrSpec("<a@example.com>").ok());
  EXPECT_FALSE(ParseAddrSpec("Name <a@example.com>").ok());
}

TEST(MailboxTest, AddressJoinsLocalPartAndDomain) {
  Mailbox m{"Name", "\"john doe\"", "example.com"};
  EXPECT_EQ(m.Address(), "\"john doe\"@example.com");
}

TEST(NeedsSmtpUtf8Test, OnlyForNonAsciiInTheAddrSpec) {
  EXPECT_TRUE(NeedsSmtpUtf8(*ParseMailbox("j\xc3\xb6rg@example.de")));
  EXPECT_TRUE(NeedsSmtpUtf8(*ParseMailbox("a@b\xc3\xbc" "cher.de")));
  EXPECT_TRUE(NeedsSmtpUtf8(*ParseMailbox("\"j\xc3\xb6 rg\"@example.de")));
  EXPECT_FALSE(NeedsSmtpUtf8(*ParseMailbox("J\xc3\xb6rg <j@example.de>")));
  EXPECT_FALSE(NeedsSmtpUtf8(*ParseMailbox("a@xn--bcher-kva.de")));
  EXPECT_FALSE(NeedsSmtpUtf8(*ParseMailbox("a@[192.0.2.1]")));
}

TEST(ValidateMailboxTest, AcceptsHandBuiltMailbox) {
  EXPECT_TRUE(ValidateMailbox({"Jörg", "j", "example.de"}).ok());
  EXPECT_TRUE(ValidateMailbox({"Jörg", "jörg", "bücher.de"}).ok());
  EXPECT_TRUE(ValidateMailbox({"", "j", "Example.DE"}).ok());
  EXPECT_TRUE(ValidateMailbox({"Last, First", "\"a b\"", "[192.0.2.1]"}).ok());
}

TEST(ValidateMailboxTest, RejectsWhatTheParserWould) {
  const Mailbox bad[] = {
      {"Name\r\nBcc: x@example.net", "a", "example.com"},
      {"\xff", "a", "example.com"},
      {"", "a@b", "example.com"},
      {"", "a", "example.com\r\nX: y"},
      {"", "a", "localhost"},
      {"", "", "example.com"},
      {"", "j\xc3", "example.de"},
      {"", "a", "b\xfc" "cher.de"},
      {"", "a\xe2\x80\xae", "example.de"},
  };
  for (const Mailbox& m : bad) {
    SCOPED_TRACE(m.Address());
    absl::Status s = ValidateMailbox(m);
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  }
  EXPECT_THAT(ValidateMailbox({"a\nb", "a", "example.com"}).message(),
              HasSubstr("display name contains CR or LF"));
}

}  // namespace
}  // namespace kirim
