// ListUnsubscribeHeaders: the exact field values (RFC 2369 §3.2, RFC 8058 §3.1) and the option
// validation kirimd runs at startup.
#include "server/unsubscribe/list_unsubscribe.h"

#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/unsubscribe/unsubscribe_token.h"

namespace kirim {
namespace {

using ::testing::ElementsAre;
using ::testing::Pair;
using ::testing::StartsWith;

using Headers = std::vector<std::pair<std::string, std::string>>;

constexpr char kKey[] = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
const absl::Time kNow = absl::FromUnixSeconds(1767323045);

class ListUnsubscribeTest : public ::testing::Test {
 protected:
  UnsubscribeSigner signer_ = *UnsubscribeSigner::FromBase64Key(kKey);
  ListUnsubscribeOptions options_{.base_url = "https://mail.example.com",
                                  .mailto = "unsubscribe@example.com"};
};

TEST_F(ListUnsubscribeTest, DefaultsAreValidWithABaseUrl) {
  EXPECT_TRUE(ValidateListUnsubscribeOptions(options_).ok());
  EXPECT_EQ(ListUnsubscribeOptions{}.validity, absl::Hours(24 * 60));
}

TEST_F(ListUnsubscribeTest, HttpsThenMailtoThenPost) {
  const std::string token =
      signer_.Issue({"acme", "ana@example.net", kNow + absl::Hours(24 * 60)});
  EXPECT_THAT(
      ListUnsubscribeHeaders(signer_, options_, "acme", "ana@example.net", kNow),
      ElementsAre(Pair("List-Unsubscribe",
                       absl::StrCat("<https://mail.example.com/unsubscribe?token=", token,
                                    ">, <mailto:unsubscribe@example.com?subject=unsubscribe%20",
                                    token, ">")),
                  Pair("List-Unsubscribe-Post", "List-Unsubscribe=One-Click")));
}

TEST_F(ListUnsubscribeTest, TheTokenNamesTheRecipientAndExpiresAfterTheValidity) {
  options_.mailto = "";
  options_.validity = absl::Hours(2);
  Headers headers = ListUnsubscribeHeaders(signer_, options_, "acme", "Ana@Example.NET", kNow);
  ASSERT_EQ(headers.size(), 2u);
  const std::string prefix = "<https://mail.example.com/unsubscribe?token=";
  ASSERT_THAT(headers[0].second, StartsWith(prefix));
  ASSERT_EQ(headers[0].second.back(), '>');
  const std::string token =
      headers[0].second.substr(prefix.size(), headers[0].second.size() - prefix.size() - 1);
  absl::StatusOr<UnsubscribeClaim> claim = signer_.Verify(token, kNow);
  ASSERT_TRUE(claim.ok()) << claim.status() << " " << headers[0].second;
  EXPECT_EQ(claim->tenant, "acme");
  EXPECT_EQ(claim->address, "Ana@Example.NET");
  EXPECT_EQ(claim->expires, kNow + absl::Hours(2));
  EXPECT_EQ(signer_.Verify(token, kNow + absl::Hours(2)).status().code(),
            absl::StatusCode::kFailedPrecondition);
}

TEST_F(ListUnsubscribeTest, WithoutMailtoOnlyTheHttpsUri) {
  options_.mailto = "";
  const std::string token = signer_.Issue({"acme", "ana@example.net", kNow + absl::Hours(24 * 60)});
  EXPECT_THAT(ListUnsubscribeHeaders(signer_, options_, "acme", "ana@example.net", kNow),
              ElementsAre(Pair("List-Unsubscribe",
                               absl::StrCat("<https://mail.example.com/unsubscribe?token=", token,
                                            ">")),
                          Pair("List-Unsubscribe-Post", "List-Unsubscribe=One-Click")));
}

TEST_F(ListUnsubscribeTest, BaseUrlPathAndTrailingSlash) {
  const std::string token = signer_.Issue({"acme", "ana@example.net", kNow + absl::Hours(24 * 60)});
  options_.mailto = "";
  for (const auto& [base, url] : std::vector<std::pair<std::string, std::string>>{
           {"https://mail.example.com/", "https://mail.example.com/unsubscribe"},
           {"https://example.com/kirim", "https://example.com/kirim/unsubscribe"},
           {"https://example.com/kirim/", "https://example.com/kirim/unsubscribe"},
           {"http://127.0.0.1:8080", "http://127.0.0.1:8080/unsubscribe"}}) {
    options_.base_url = base;
    ASSERT_TRUE(ValidateListUnsubscribeOptions(options_).ok()) << base;
    Headers headers = ListUnsubscribeHeaders(signer_, options_, "acme", "ana@example.net", kNow);
    ASSERT_EQ(headers.size(), 2u);
    EXPECT_EQ(headers[0].second, absl::StrCat("<", url, "?token=", token, ">")) << base;
  }
}

TEST_F(ListUnsubscribeTest, MailtoAddressIsEscaped) {
  // RFC 6068 §2: '"', ' ', '%', '?', '&', '=', ',' and non-ASCII may not stand bare in a
  // mailto: URI.
  const std::string token = signer_.Issue({"acme", "ana@example.net", kNow + absl::Hours(24 * 60)});
  for (const auto& [mailto, escaped] : std::vector<std::pair<std::string, std::string>>{
           {"un+sub.scribe@example.com", "un+sub.scribe@example.com"},
           {"\"un sub\"@example.com", "%22un%20sub%22@example.com"},
           {"a%b?c&d=e@example.com", "a%25b%3Fc%26d%3De@example.com"},
           // RFC 6068 §2: UTF-8 (RFC 6532 addresses) as percent-encoded octets.
           {"j\xc3\xbcrg@b\xc3\xbc" "cher.de", "j%C3%BCrg@b%C3%BCcher.de"}}) {
    options_.mailto = mailto;
    ASSERT_TRUE(ValidateListUnsubscribeOptions(options_).ok()) << mailto;
    Headers headers = ListUnsubscribeHeaders(signer_, options_, "acme", "ana@example.net", kNow);
    ASSERT_EQ(headers.size(), 2u);
    EXPECT_EQ(headers[0].second,
              absl::StrCat("<https://mail.example.com/unsubscribe?token=", token, ">, <mailto:",
                           escaped, "?subject=unsubscribe%20", token, ">"));
  }
}

TEST_F(ListUnsubscribeTest, LongestValuesStayWithinALine) {
  options_.base_url = "https://" + std::string(kMaxBaseUrlLength - 8, 'm');
  ASSERT_TRUE(ValidateListUnsubscribeOptions(options_).ok());
  Headers headers = ListUnsubscribeHeaders(
      signer_, options_, std::string(64, 't'), std::string(64, 'l') + "@" + std::string(189, 'd'),
      kNow);
  ASSERT_EQ(headers.size(), 2u);
  // Each URI is one unbreakable word: it must fit a 998-octet line after a fold (RFC 5322 §2.1.1).
  const size_t comma = headers[0].second.find(", ");
  ASSERT_NE(comma, std::string::npos);
  EXPECT_LT(comma, 990u);
  EXPECT_LT(headers[0].second.size() - comma, 990u);
}

TEST(ValidateListUnsubscribeOptionsTest, AcceptedBaseUrls) {
  for (const char* url :
       {"https://mail.example.com", "https://mail.example.com:8443", "https://MAIL.example.com/",
        "https://mail.example.com/kirim/v1", "https://192.0.2.1", "https://[2001:db8::1]:443",
        "https://example.com/a%20b", "http://127.0.0.1:8080", "http://localhost:1234",
        "http://[::1]:80", "http://LOCALHOST"}) {
    absl::Status status = ValidateListUnsubscribeOptions({.base_url = url});
    EXPECT_TRUE(status.ok()) << url << ": " << status;
  }
}

TEST(ValidateListUnsubscribeOptionsTest, RejectedBaseUrls) {
  for (const std::string& url : std::vector<std::string>{
           "", "mail.example.com", "//mail.example.com", "http://mail.example.com",
           "http://127.0.0.1.example.com", "http://localhost.example.com", "http://192.0.2.1",
           "ftp://mail.example.com", "HTTPS://mail.example.com", "https://", "https:///path",
           "https://user:pw@mail.example.com", "https://mail.example.com/?a=1",
           "https://mail.example.com?", "https://mail.example.com/#top",
           "https://mail.example.com/a b", "https://mail.example.com/<x>",
           "https://mail.example.com/a,b", "https://mail.example.com/a\"b",
           "https://mail.example.com/%zz", "https://mail.example.com/%4",
           "https://mail.example.com:", "https://mail.example.com:0",
           "https://mail.example.com:65536", "https://mail.example.com:+80",
           "https://mail.example.com:80:80", "https://mail..example.com", "https://.example.com",
           "https://mail_example.com", "https://[::1", "https://[]", "https://[::1]x",
           "https://[g::1]", "https://mail.example.com\r\nX-Evil: 1", "https://exämple.com",
           "https://" + std::string(kMaxBaseUrlLength - 7, 'm')}) {
    absl::Status status = ValidateListUnsubscribeOptions({.base_url = url});
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << url;
    EXPECT_THAT(std::string(status.message()), StartsWith("base_url: ")) << url;
  }
}

TEST(ValidateListUnsubscribeOptionsTest, Mailto) {
  const std::string base = "https://mail.example.com";
  EXPECT_TRUE(ValidateListUnsubscribeOptions({.base_url = base, .mailto = ""}).ok());
  EXPECT_TRUE(ValidateListUnsubscribeOptions({.base_url = base, .mailto = "u@example.com"}).ok());
  for (const std::string& mailto : std::vector<std::string>{
           "unsubscribe", "Name <u@example.com>", "<u@example.com>", "u@example.com\r\n",
           " u@example.com", "u@@example.com", "u@example.com, v@example.com"}) {
    absl::Status status = ValidateListUnsubscribeOptions({.base_url = base, .mailto = mailto});
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << mailto;
    EXPECT_THAT(std::string(status.message()), StartsWith("mailto: ")) << mailto;
  }
  // Valid, but too long once every byte is escaped.
  const std::string quoted = "\"" + std::string(62, '%') + "\"@" + std::string(60, 'd') + ".com";
  absl::Status status = ValidateListUnsubscribeOptions({.base_url = base, .mailto = quoted});
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(status.message()), StartsWith("mailto: longer than"));
}

TEST(ValidateListUnsubscribeOptionsTest, ValidityMustBePositive) {
  for (absl::Duration validity : {absl::ZeroDuration(), absl::Seconds(-1)}) {
    absl::Status status = ValidateListUnsubscribeOptions(
        {.base_url = "https://mail.example.com", .validity = validity});
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(std::string(status.message()), StartsWith("validity: "));
  }
}

}  // namespace
}  // namespace kirim
