#include "server/dkim/alignment.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace kirim::dkim {
namespace {

using ::testing::HasSubstr;

std::string DomainOf(const char* from_value) {
  absl::StatusOr<std::string> domain = FromDomain(from_value);
  EXPECT_TRUE(domain.ok()) << from_value << ": " << domain.status();
  return domain.value_or("");
}

TEST(FromDomainTest, BareAndAngleAddresses) {
  EXPECT_EQ(DomainOf(" a@Example.COM"), "example.com");
  EXPECT_EQ(DomainOf(" Name <a@mail.example.org>"), "mail.example.org");
  EXPECT_EQ(DomainOf(" <a@example.org> "), "example.org");
  EXPECT_EQ(DomainOf(" a@example.org."), "example.org");
}

TEST(FromDomainTest, IgnoresQuotedStringsAndComments) {
  EXPECT_EQ(DomainOf(" \"Smith, J <x@evil.example>\" <j@good.example>"), "good.example");
  EXPECT_EQ(DomainOf(" \"a \\\" @ b\" <j@good.example>"), "good.example");
  EXPECT_EQ(DomainOf(" j@good.example (Bob @ work (really))"), "good.example");
}

TEST(FromDomainTest, FoldedAndEncodedDisplayName) {
  EXPECT_EQ(DomainOf(" =?utf-8?B?SsO2cmc=?=\r\n <j@example.de>"), "example.de");
  EXPECT_EQ(DomainOf(" J\xc3\xb6rg M\xc3\xbcller <j@example.de>"), "example.de");
}

TEST(FromDomainTest, Errors) {
  for (const char* value :
       {" nobody", " Name <>", " <a@example.com", " a@b.example, c@d.example",
        " A <a@b.example>, C <c@d.example>", " a@[192.0.2.1]", " a@", " a@exa mple.com"}) {
    absl::StatusOr<std::string> domain = FromDomain(value);
    EXPECT_FALSE(domain.ok()) << value << " -> " << domain.value_or("");
    EXPECT_EQ(domain.status().code(), absl::StatusCode::kFailedPrecondition) << value;
  }
  EXPECT_THAT(FromDomain(" a@b.example, c@d.example").status().message(),
              HasSubstr("more than one address"));
}

TEST(DomainsAlignTest, RelaxedAlignment) {
  EXPECT_TRUE(DomainsAlign("example.com", "example.com"));
  EXPECT_TRUE(DomainsAlign("example.com", "EXAMPLE.com"));
  EXPECT_TRUE(DomainsAlign("example.com.", "example.com"));
  EXPECT_TRUE(DomainsAlign("news.example.com", "example.com"));
  EXPECT_TRUE(DomainsAlign("a.b.example.com", "example.com"));
  EXPECT_FALSE(DomainsAlign("evilexample.com", "example.com"));
  EXPECT_FALSE(DomainsAlign("example.com", "news.example.com"));
  EXPECT_FALSE(DomainsAlign("example.org", "example.com"));
  EXPECT_FALSE(DomainsAlign("example.com", ""));
}

TEST(ValidateNamesTest, SigningDomain) {
  EXPECT_TRUE(ValidateSigningDomain("example.com").ok());
  EXPECT_TRUE(ValidateSigningDomain("mail-1.example.co.uk").ok());
  for (const std::string& bad : std::vector<std::string>{
           "", "com", "-a.example.com", "a-.example.com", "a_b.example.com", "a..example.com",
           "example.com;", "exa mple.com", std::string(64, 'a') + ".com"}) {
    absl::Status status = ValidateSigningDomain(bad);
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << bad;
    EXPECT_THAT(status.message(), HasSubstr("d=")) << bad;
  }
}

TEST(ValidateNamesTest, Selector) {
  EXPECT_TRUE(ValidateSelector("s1").ok());
  EXPECT_TRUE(ValidateSelector("2026.rsa").ok());
  for (const char* bad : {"", "a;b", "a b", "a=b", ".a"}) {
    EXPECT_EQ(ValidateSelector(bad).code(), absl::StatusCode::kInvalidArgument) << bad;
  }
}

}  // namespace
}  // namespace kirim::dkim
