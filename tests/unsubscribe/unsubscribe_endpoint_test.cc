// The unsubscribe endpoint on a real HttpServer (127.0.0.1, port 0) driven by a real HTTP client
// (Python's urllib.request through tests/http/http_client.py), with a FakeSuppressionStore and
// simulated time: one-click POST suppresses, GET only shows the form, and forged, expired,
// malformed and store-down requests get 403, 410, 400 and 503 and change nothing.
#include "server/unsubscribe/unsubscribe_endpoint.h"

#include <cstdio>
#include <cstdlib>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "kirim/v1/admin_service.pb.h"
#include "server/common/logger.h"
#include "server/http/http_server.h"
#include "server/unsubscribe/list_unsubscribe.h"
#include "server/unsubscribe/unsubscribe_token.h"
#include "tests/common/fake_clock.h"
#include "tests/harness/subprocess.h"
#include "tests/http/http_fetch.h"
#include "tests/suppression/fake_suppression_store.h"

namespace kirim {
namespace {

using ::kirim::testing::FakeClock;
using ::kirim::testing::FakeSuppressionStore;
using ::kirim::testing::Fetch;
using ::kirim::testing::Reply;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using ::testing::StartsWith;

constexpr char kKey[] = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
constexpr char kOtherKey[] = "+/v7+/v7+/v7+/v7+/v7+/v7+/v7+/v7+/v7+/v7+/s=";
constexpr char kOneClickBody[] = "List-Unsubscribe=One-Click";
// A local part nothing else in a request or a log line contains.
constexpr char kAddress[] = "zebra.quokka@Example.COM";

// One request; `body` (when set) and `headers` as given.
Reply Send(const std::string& method, const std::string& url,
           std::optional<std::string> body = std::nullopt,
           const std::vector<std::string>& headers = {}) {
  testing::RequestOptions o;
  o.send_body = body.has_value();
  o.body = body.value_or("");
  o.headers = headers;
  return Fetch(method, url, o);
}

// What the endpoint logs, captured in memory.
class LogCapture {
 public:
  LogCapture() : file_(open_memstream(&buffer_, &size_)) {}
  ~LogCapture() {
    std::fclose(file_);
    std::free(buffer_);
  }
  FILE* file() { return file_; }
  // Everything logged so far (the Logger flushes every line).
  std::string Text() { return std::string(buffer_, size_); }

 private:
  char* buffer_ = nullptr;
  size_t size_ = 0;
  FILE* file_;
};

class UnsubscribeEndpointTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(
        RegisterUnsubscribeEndpoint(server_, signer_, suppressions_, clock_, logger_).ok());
    absl::Status started = server_.Start();
    ASSERT_TRUE(started.ok()) << started;
    ASSERT_GT(server_.port(), 0);
  }

  std::string Token(absl::Duration validity = absl::Hours(24),
                    const std::string& address = kAddress) {
    return signer_.Issue({"acme", address, clock_.Now() + validity});
  }
  std::string Url(const std::string& query) {
    return absl::StrCat("http://127.0.0.1:", server_.port(), kUnsubscribePath, query);
  }
  Reply OneClick(const std::string& query) {
    return Send("POST", Url(query), kOneClickBody,
                 {"Content-Type: application/x-www-form-urlencoded"});
  }
  // The tenant's entry for `address`, if suppressed.
  std::optional<SuppressionEntry> Entry(const std::string& tenant,
                                        const std::string& address = kAddress) {
    auto hits = suppressions_.Lookup(tenant, {address});
    EXPECT_TRUE(hits.ok()) << hits.status();
    return hits.ok() ? (*hits)[0] : std::nullopt;
  }
  std::vector<SuppressionEntry> AllEntries(const std::string& tenant) {
    auto page = suppressions_.List(tenant, 0, "");
    EXPECT_TRUE(page.ok()) << page.status();
    return page.ok() ? page->first : std::vector<SuppressionEntry>{};
  }

  // Declared before the server, so they outlive it.
  FakeClock clock_;
  FakeSuppressionStore suppressions_;
  LogCapture log_;
  Logger logger_{clock_, LogLevel::kDebug, log_.file()};
  UnsubscribeSigner signer_ = *UnsubscribeSigner::FromBase64Key(kKey);
  HttpServer server_{{.listen_address = "127.0.0.1:0", .num_threads = 2}};
};

TEST_F(UnsubscribeEndpointTest, OneClickPostSuppressesForTheTokensTenant) {
  const absl::Time now = clock_.Now();
  Reply reply = OneClick(absl::StrCat("?token=", Token()));
  ASSERT_EQ(reply.exit_code, 0) << reply.output;
  EXPECT_EQ(reply.status, 200) << reply.output;
  EXPECT_EQ(reply.body, "unsubscribed\n");
  EXPECT_EQ(reply.headers["cache-control"], "no-store");
  EXPECT_EQ(reply.headers["referrer-policy"], "no-referrer");

  std::optional<SuppressionEntry> entry = Entry("acme");
  ASSERT_TRUE(entry.has_value());
  EXPECT_EQ(entry->address, "zebra.quokka@example.com");  // normalized by the store
  EXPECT_EQ(entry->reason, v1::Suppression::UNSUBSCRIBE);
  EXPECT_EQ(entry->detail, "one-click unsubscribe");
  EXPECT_EQ(entry->create_time, now);
  EXPECT_FALSE(Entry("globex").has_value());
  EXPECT_THAT(AllEntries("acme"), ::testing::SizeIs(1));
}

TEST_F(UnsubscribeEndpointTest, PostWithoutABodyAndRepeatedPostsAlsoWork) {
  const std::string token = Token();
  Reply bare = Send("POST", Url(absl::StrCat("?token=", token)));
  EXPECT_EQ(bare.status, 200) << bare.output;
  ASSERT_TRUE(Entry("acme").has_value());
  clock_.Advance(absl::Minutes(5));
  Reply again = OneClick(absl::StrCat("?token=", token));
  EXPECT_EQ(again.status, 200) << again.output;
  EXPECT_THAT(AllEntries("acme"), ::testing::SizeIs(1));
}

TEST_F(UnsubscribeEndpointTest, QueryIsFormDecodedAndOtherParametersIgnored) {
  std::string token = Token();
  const size_t dot = token.find('.');
  token.replace(dot, 1, "%2E");  // what an over-eager client might send
  Reply reply = OneClick(absl::StrCat("?utm_source=mail&token=", token, "&x="));
  EXPECT_EQ(reply.status, 200) << reply.output;
  EXPECT_TRUE(Entry("acme").has_value());
}

TEST_F(UnsubscribeEndpointTest, GetShowsAFormThatPostsTheSameAndSuppressesNothing) {
  const std::string token = Token();
  Reply reply = Send("GET", Url(absl::StrCat("?token=", token)));
  ASSERT_EQ(reply.exit_code, 0) << reply.output;
  EXPECT_EQ(reply.status, 200) << reply.output;
  EXPECT_EQ(reply.headers["content-type"], "text/html; charset=utf-8");
  EXPECT_EQ(reply.headers["cache-control"], "no-store");
  EXPECT_THAT(reply.headers["content-security-policy"], HasSubstr("default-src 'none'"));
  EXPECT_THAT(reply.body, HasSubstr(absl::StrCat("<form method=\"post\" action=\"?token=", token,
                                                 "\">")));
  EXPECT_THAT(reply.body,
              HasSubstr("<input type=\"hidden\" name=\"List-Unsubscribe\" value=\"One-Click\">"));
  EXPECT_THAT(reply.body, HasSubstr(kAddress));
  EXPECT_THAT(reply.body, Not(HasSubstr("<script")));

  Reply head = Send("HEAD", Url(absl::StrCat("?token=", token)));
  EXPECT_EQ(head.status, 200) << head.output;
  EXPECT_THAT(AllEntries("acme"), IsEmpty());
}

TEST_F(UnsubscribeEndpointTest, GetPageEscapesTheAddress) {
  // A quoted local part may hold HTML's special characters.
  const std::string address = "\"<script>alert('x')</script>&\"@example.com";
  Reply reply = Send("GET", Url(absl::StrCat("?token=", Token(absl::Hours(1), address))));
  EXPECT_EQ(reply.status, 200) << reply.output;
  EXPECT_THAT(reply.body, HasSubstr("&quot;&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&amp;"
                                    "&quot;@example.com"));
  EXPECT_THAT(reply.body, Not(HasSubstr("<script")));
}

TEST_F(UnsubscribeEndpointTest, ForgedOrAlteredTokensAre403AndChangeNothing) {
  UnsubscribeSigner other = *UnsubscribeSigner::FromBase64Key(kOtherKey);
  const std::string forged = other.Issue({"acme", kAddress, clock_.Now() + absl::Hours(1)});
  std::string altered = Token();
  altered.back() = altered.back() == 'A' ? 'Q' : 'A';
  for (const std::string& token : {forged, altered, std::string("garbage")}) {
    Reply post = OneClick(absl::StrCat("?token=", token));
    EXPECT_EQ(post.status, 403) << post.output;
    Reply get = Send("GET", Url(absl::StrCat("?token=", token)));
    EXPECT_EQ(get.status, 403) << get.output;
    EXPECT_THAT(get.body, Not(HasSubstr(token)));
  }
  EXPECT_THAT(AllEntries("acme"), IsEmpty());
}

TEST_F(UnsubscribeEndpointTest, ExpiredTokenIs410) {
  const std::string token = Token(absl::Hours(1));
  clock_.Advance(absl::Hours(1));
  Reply post = OneClick(absl::StrCat("?token=", token));
  EXPECT_EQ(post.status, 410) << post.output;
  Reply get = Send("GET", Url(absl::StrCat("?token=", token)));
  EXPECT_EQ(get.status, 410) << get.output;
  EXPECT_THAT(AllEntries("acme"), IsEmpty());
}

TEST_F(UnsubscribeEndpointTest, MissingOrMalformedQueryIs400) {
  const std::string token = Token();
  for (const std::string& query :
       {std::string(""), std::string("?"), std::string("?token="), std::string("?token"),
        std::string("?tok=") + token, absl::StrCat("?token=", token, "&token=", token),
        std::string("?token=%zz"), absl::StrCat("?token=", token, "%4")}) {
    Reply post = OneClick(query);
    EXPECT_EQ(post.status, 400) << query << "\n" << post.output;
    Reply get = Send("GET", Url(query));
    EXPECT_EQ(get.status, 400) << query << "\n" << get.output;
  }
  EXPECT_THAT(AllEntries("acme"), IsEmpty());
}

TEST_F(UnsubscribeEndpointTest, StoreDownIs503WithRetryAfterThenARetrySucceeds) {
  const std::string token = Token();
  suppressions_.set_unavailable(true);
  Reply down = OneClick(absl::StrCat("?token=", token));
  EXPECT_EQ(down.status, 503) << down.output;
  EXPECT_EQ(down.headers["retry-after"], absl::StrCat(kUnsubscribeRetryAfterSeconds));

  suppressions_.set_unavailable(false);
  EXPECT_THAT(AllEntries("acme"), IsEmpty());
  Reply retried = OneClick(absl::StrCat("?token=", token));
  EXPECT_EQ(retried.status, 200) << retried.output;
  EXPECT_TRUE(Entry("acme").has_value());
}

TEST_F(UnsubscribeEndpointTest, LogsNameTheTenantAndDomainButNeverTheTokenOrAddress) {
  const std::string token = Token();
  ASSERT_EQ(OneClick(absl::StrCat("?token=", token)).status, 200);
  suppressions_.set_unavailable(true);
  ASSERT_EQ(OneClick(absl::StrCat("?token=", token)).status, 503);
  ASSERT_EQ(Send("GET", Url(absl::StrCat("?token=", token))).status, 200);
  ASSERT_EQ(OneClick(absl::StrCat("?token=", token, "x")).status, 403);

  const std::string log = log_.Text();
  EXPECT_THAT(log, HasSubstr("\"component\":\"unsubscribe\",\"event\":\"unsubscribed\","
                             "\"tenant\":\"acme\",\"domain\":\"example.com\""));
  EXPECT_THAT(log, HasSubstr("\"event\":\"store_unavailable\""));
  EXPECT_THAT(log, HasSubstr("\"event\":\"rejected\""));
  EXPECT_THAT(log, Not(HasSubstr("zebra")));
  EXPECT_THAT(log, Not(HasSubstr(token.substr(0, 12))));
  EXPECT_THAT(log, Not(HasSubstr(token.substr(token.find('.') + 1, 12))));
}

TEST_F(UnsubscribeEndpointTest, RegisteringTwiceIsAlreadyExists) {
  EXPECT_EQ(RegisterUnsubscribeEndpoint(server_, signer_, suppressions_, clock_, logger_).code(),
            absl::StatusCode::kAlreadyExists);
}

}  // namespace
}  // namespace kirim
