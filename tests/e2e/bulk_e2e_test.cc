// Bulk sending end to end: stored templates, SendBatch (one message per recipient, per-item
// refusals, retries that never double), kirimctl batch from a CSV file, PreviewEmail, and
// RFC 8058 one-click unsubscribe — the List-Unsubscribe link of a received message POSTed by a
// real HTTP client (Python's urllib) puts the recipient on the suppression list. Real peers:
// redis-server, aiosmtpd as the relay; messages are read back with Python's email package.
#include <fstream>
#include <set>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/e2e/e2e_util.h"
#include "tests/harness/kirimd_process.h"
#include "tests/harness/redis_server.h"
#include "tests/harness/smtp_peer.h"
#include "tests/harness/subprocess.h"

namespace kirim {
namespace {

using ::testing::HasSubstr;
using ::testing::UnorderedElementsAre;

// Prints "<header name>\t<value>" for the headers asked, then "text\t..." and "html\t..." with
// newlines as \n, decoded by Python's email package (policy=default).
constexpr char kReadMessage[] = R"PY(
import sys, email, email.policy
m = email.message_from_bytes(open(sys.argv[1], "rb").read(), policy=email.policy.default)
for name in sys.argv[2:]:
    print(name + "\t" + str(m.get(name, "")))
for kind in ("plain", "html"):
    part = m.get_body(preferencelist=(kind,))
    if part is not None and part.get_content_subtype() == kind:
        print(kind + "\t" + part.get_content().replace("\r\n", "\n").replace("\n", "\\n"))
)PY";

class BulkE2eTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(redis_.Start().ok());
    ASSERT_TRUE(relay_.Start({}).ok());
    http_port_ = testing::FreePort();
    absl::Status s = kirimd_.Start(
        absl::StrCat("redis { port: ", redis_.port(), " }\n",
                     "http_listen_address: \"127.0.0.1:", http_port_, "\"\n",
                     "unsubscribe { base_url: \"http://127.0.0.1:", http_port_,
                     "\" mailto: \"unsubscribe@example.com\" }\n",
                     "delivery { mode: RELAY poll_interval_ms: 200 retry { first_retry_ms: 3600000 }\n",
                     "  relay { host: \"127.0.0.1\" port: ", relay_.port(), " tls: NONE }\n}\n",
                     // A small burst, so a batch of more runs into the rate limit.
                     "limits { default_tenant_limits { rate_per_second: 50 burst: 3 } }\n"),
        {{"KIRIM_UNSUBSCRIBE_KEY", "dW5zdWJzY3JpYmUta2V5LWZvci10aGUtZTJlLXRlc3QhIQ=="}});
    ASSERT_TRUE(s.ok()) << s;
  }

  template <typename Rpc>
  grpc::Status Call(Rpc rpc) {
    grpc::ClientContext ctx;
    kirimd_.Authorize(&ctx);
    return rpc(&ctx);
  }

  // Header values and decoded bodies of a received message, by Python's email package.
  std::map<std::string, std::string> Read(const testing::ReceivedMessage& m,
                                          std::vector<std::string> headers) {
    const std::string path = testing::MakeTempDir("msg") + "/m.eml";
    std::ofstream(path, std::ios::binary) << m.content;
    testing::Subprocess py;
    std::vector<std::string> argv = {"/usr/bin/python3", "-c", kReadMessage, path};
    argv.insert(argv.end(), headers.begin(), headers.end());
    EXPECT_TRUE(py.Start(argv, {{"PYTHONDONTWRITEBYTECODE", "1"}}).ok());
    EXPECT_EQ(py.Wait(absl::Seconds(30)), 0) << absl::StrJoin(py.Lines(), "\n");
    std::map<std::string, std::string> out;
    for (const std::string& line : py.Lines()) {
      const size_t tab = line.find('\t');
      if (tab != std::string::npos) out[line.substr(0, tab)] = line.substr(tab + 1);
    }
    return out;
  }

  v1::SendBatchRequest Batch() {
    v1::SendBatchRequest b;
    b.set_from("Toko <news@example.com>");
    b.set_template_name("templates/welcome");
    for (const auto& [to, name] : std::vector<std::pair<std::string, std::string>>{
             {"ana@dest.test", "Ana <b>&</b> Bo"}, {"not an address", "X"}, {"cy@dest.test", ""}}) {
      auto* r = b.add_recipients();
      r->set_to(to);
      if (!name.empty()) (*r->mutable_variables())["name"] = name;
      (*r->mutable_metadata())["customer"] = to;
    }
    return b;
  }

  void CreateWelcomeTemplate() {
    v1::CreateTemplateRequest req;
    req.set_template_id("welcome");
    auto* t = req.mutable_template_();
    t->set_subject("Selamat datang, {{name}}");
    t->set_text_body("Hello {{name}}, your code is {{code}}.\n{{#vip}}VIP!\n{{/vip}}");
    t->set_html_body("<p>Hello {{name}}, code {{code}}</p>");
    (*t->mutable_default_variables())["code"] = "K-42";
    v1::Template created;
    grpc::Status s = Call([&](auto* ctx) { return kirimd_.AdminStub()->CreateTemplate(ctx, req, &created); });
    ASSERT_TRUE(s.ok()) << s.error_message();
    EXPECT_EQ(created.name(), "templates/welcome");
  }

  testing::RedisServer redis_;
  testing::SmtpPeer relay_;
  testing::KirimdProcess kirimd_;
  int http_port_ = 0;
};

TEST_F(BulkE2eTest, ABatchFromAStoredTemplateMakesOneMessagePerRecipientAndRefusesPerItem) {
  CreateWelcomeTemplate();
  v1::SendBatchResponse resp;
  v1::SendBatchRequest req = Batch();
  grpc::Status s = Call([&](auto* ctx) { return kirimd_.MailStub()->SendBatch(ctx, req, &resp); });
  ASSERT_TRUE(s.ok()) << s.error_message();
  ASSERT_EQ(resp.items_size(), 3);
  EXPECT_EQ(resp.accepted_count(), 1);
  EXPECT_EQ(resp.rejected_count(), 2);
  EXPECT_FALSE(resp.items(0).id().empty());
  EXPECT_EQ(resp.items(1).error_code(), static_cast<int>(grpc::StatusCode::INVALID_ARGUMENT));
  EXPECT_THAT(resp.items(1).error_message(), HasSubstr("recipients[1]"));
  EXPECT_THAT(resp.items(2).error_message(), HasSubstr("variables.name"));

  ASSERT_TRUE(kirimd_.WaitForEvent("delivered", resp.items(0).id()).ok());
  absl::StatusOr<testing::ReceivedMessage> m = relay_.WaitForMessage();
  ASSERT_TRUE(m.ok());
  auto got = Read(*m, {"Subject", "To", "List-Unsubscribe", "List-Unsubscribe-Post"});
  EXPECT_EQ(got["Subject"], "Selamat datang, Ana <b>&</b> Bo");
  EXPECT_EQ(got["To"], "ana@dest.test");
  // Text as given, HTML escaped; the default fills {{code}}; the false section is left out.
  EXPECT_EQ(got["plain"], "Hello Ana <b>&</b> Bo, your code is K-42.\\n");
  EXPECT_EQ(got["html"], "<p>Hello Ana &lt;b&gt;&amp;&lt;/b&gt; Bo, code K-42</p>");
  // Bulk mail carries one-click unsubscribe (RFC 8058).
  EXPECT_THAT(got["List-Unsubscribe"],
              HasSubstr(absl::StrCat("<http://127.0.0.1:", http_port_, "/unsubscribe?token=")));
  EXPECT_THAT(got["List-Unsubscribe"], HasSubstr("<mailto:unsubscribe@example.com?subject="));
  EXPECT_EQ(got["List-Unsubscribe-Post"], "List-Unsubscribe=One-Click");
  EXPECT_THAT(m->meta, HasSubstr("ana@dest.test"));
}

TEST_F(BulkE2eTest, ARetriedBatchWithTheSameKeyNeverDoublesIt) {
  CreateWelcomeTemplate();
  v1::SendBatchRequest req = Batch();
  req.set_idempotency_key("campaign-7/page-1");
  v1::SendBatchResponse first, second;
  ASSERT_TRUE(Call([&](auto* ctx) { return kirimd_.MailStub()->SendBatch(ctx, req, &first); }).ok());
  ASSERT_TRUE(Call([&](auto* ctx) { return kirimd_.MailStub()->SendBatch(ctx, req, &second); }).ok());
  ASSERT_EQ(first.accepted_count(), 1);
  ASSERT_EQ(second.accepted_count(), 1);
  EXPECT_EQ(second.items(0).id(), first.items(0).id());
  ASSERT_TRUE(kirimd_.WaitForEvent("deduplicated", first.items(0).id()).ok());
  // One message was accepted, however many calls: the tenant's counters agree.
  v1::Metrics metrics;
  ASSERT_TRUE(Call([&](auto* ctx) {
                return kirimd_.AdminStub()->GetMetrics(ctx, v1::GetMetricsRequest(), &metrics);
              }).ok());
  EXPECT_EQ(metrics.accepted_total(), 1);
}

TEST_F(BulkE2eTest, TheOneClickUnsubscribeLinkSuppressesTheRecipient) {
  CreateWelcomeTemplate();
  v1::SendBatchRequest req = Batch();
  v1::SendBatchResponse resp;
  ASSERT_TRUE(Call([&](auto* ctx) { return kirimd_.MailStub()->SendBatch(ctx, req, &resp); }).ok());
  absl::StatusOr<testing::ReceivedMessage> m = relay_.WaitForMessage();
  ASSERT_TRUE(m.ok());
  const std::string header = Read(*m, {"List-Unsubscribe"})["List-Unsubscribe"];
  const size_t open = header.find("<http");
  ASSERT_NE(open, std::string::npos) << header;
  const std::string url = header.substr(open + 1, header.find('>', open) - open - 1);

  auto post = [&](const std::string& target) {
    testing::Subprocess client;
    EXPECT_TRUE(client
                    .Start({"/usr/bin/python3", "-c",
                            "import sys, urllib.request, urllib.error\n"
                            "req = urllib.request.Request(sys.argv[1], data=b'List-Unsubscribe=One-Click', "
                            "headers={'Content-Type': 'application/x-www-form-urlencoded'})\n"
                            "try:\n"
                            "    print(urllib.request.urlopen(req, timeout=10).status)\n"
                            "except urllib.error.HTTPError as e:\n"
                            "    print(e.code)\n",
                            target})
                    .ok());
    EXPECT_EQ(client.Wait(absl::Seconds(30)), 0);
    return client.Lines().empty() ? std::string() : client.Lines().back();
  };
  // A forged token is refused and suppresses nothing.
  std::string forged = url;
  forged[forged.size() - 3] = forged[forged.size() - 3] == 'A' ? 'B' : 'A';
  EXPECT_EQ(post(forged), "403");
  EXPECT_EQ(post(url), "200");

  v1::ListSuppressionsResponse list;
  ASSERT_TRUE(Call([&](auto* ctx) {
                return kirimd_.AdminStub()->ListSuppressions(ctx, v1::ListSuppressionsRequest(), &list);
              }).ok());
  ASSERT_EQ(list.suppressions_size(), 1);
  EXPECT_EQ(list.suppressions(0).address(), "ana@dest.test");
  EXPECT_EQ(list.suppressions(0).reason(), v1::Suppression::UNSUBSCRIBE);
  // The next send to that address is refused up front.
  EXPECT_FALSE(kirimd_.SendText({"ana@dest.test"}).ok());
}

TEST_F(BulkE2eTest, PreviewShowsTheBytesTheRouteAndTheRefusalsAndQueuesNothing) {
  v1::AddSuppressionRequest add;
  add.set_address("gone@dest.test");
  add.set_reason(v1::Suppression::MANUAL);
  v1::Suppression added;
  ASSERT_TRUE(Call([&](auto* ctx) { return kirimd_.AdminStub()->AddSuppression(ctx, add, &added); }).ok());
  auto redis = redis_.Client();
  const auto before = testing::Snapshot(*redis);
  v1::SendEmailRequest req;
  req.set_from("shop@example.com");
  req.add_to("ana@dest.test");
  req.add_to("gone@dest.test");
  req.set_subject("Preview me");
  req.set_text_body("hello");
  req.set_priority(v1::BULK);
  v1::PreviewEmailResponse resp;
  grpc::Status s = Call([&](auto* ctx) { return kirimd_.MailStub()->PreviewEmail(ctx, req, &resp); });
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_THAT(resp.mime(), HasSubstr("Subject: Preview me\r\n"));
  EXPECT_THAT(resp.mime(), HasSubstr("\r\n\r\nhello\r\n"));
  EXPECT_EQ(resp.route().kind(), v1::Route::RELAY);
  EXPECT_EQ(resp.route().host(), "127.0.0.1");
  EXPECT_EQ(resp.route().port(), relay_.port());
  EXPECT_EQ(resp.route().tls(), v1::Route::NONE);
  ASSERT_EQ(resp.refusals_size(), 1);
  EXPECT_EQ(resp.refusals(0).recipient(), "gone@dest.test");
  EXPECT_THAT(resp.refusals(0).reason(), HasSubstr("MANUAL"));
  EXPECT_EQ(testing::Snapshot(*redis), before);
  EXPECT_EQ(relay_.ReceivedCount(), 0);
}

TEST_F(BulkE2eTest, KirimctlBatchSendsACsvAndARerunSendsNothingNew) {
  const std::string csv = testing::MakeTempDir("csv") + "/recipients.csv";
  std::ofstream(csv) << "to,name,meta:customer\r\n"
                        "ana@dest.test,\"Ana, the \"\"first\"\"\",c-1\r\n"
                        "bo@dest.test,Bo,c-2\r\n"
                        "not-an-address,Cy,c-3\r\n";
  auto run = [&](testing::Subprocess& p) {
    EXPECT_TRUE(p.Start({testing::Runfile("client/kirimctl"), "--address=" + kirimd_.address(),
                         "batch", "--file=" + csv, "--from=news@example.com",
                         "--subject=Hi {{name}}", "--text=Hello {{name}}", "--batch_size=2"},
                        {{"KIRIM_API_KEY", kirimd_.admin_key()}})
                    .ok());
    return WEXITSTATUS(p.Wait(absl::Seconds(60)));
  };
  testing::Subprocess first;
  EXPECT_EQ(run(first), 5) << absl::StrJoin(first.Lines(), "\n");  // one refused
  EXPECT_TRUE(first.WaitForOutput("accepted 2 of 3, refused 1", absl::Seconds(1)).ok())
      << absl::StrJoin(first.Lines(), "\n");
  EXPECT_TRUE(first.WaitForOutput("row 3 (not-an-address)", absl::Seconds(1)).ok());
  testing::Subprocess again;
  EXPECT_EQ(run(again), 5);
  std::set<std::string> subjects;
  for (int i = 0; i < 2; ++i) {
    absl::StatusOr<testing::ReceivedMessage> m = relay_.WaitForMessage();
    ASSERT_TRUE(m.ok());
    subjects.insert(Read(*m, {"Subject"})["Subject"]);
  }
  EXPECT_THAT(subjects, UnorderedElementsAre("Hi Ana, the \"first\"", "Hi Bo"));
  v1::Metrics metrics;
  ASSERT_TRUE(Call([&](auto* ctx) {
                return kirimd_.AdminStub()->GetMetrics(ctx, v1::GetMetricsRequest(), &metrics);
              }).ok());
  EXPECT_EQ(metrics.accepted_total(), 2);  // the rerun was deduplicated
}

// kirimctl batch paces itself: recipients refused by the rate limit are sent again (the same
// page, so the accepted ones are deduplicated), until every one is accepted, exactly once.
TEST_F(BulkE2eTest, KirimctlBatchWaitsOutTheRateLimitAndSendsEachRecipientOnce) {
  const std::string csv = testing::MakeTempDir("csv") + "/recipients.csv";
  {
    std::ofstream out(csv);
    out << "to,name\n";
    for (int i = 0; i < 8; ++i) out << "r" << i << "@dest.test,R" << i << "\n";
  }
  testing::Subprocess ctl;
  ASSERT_TRUE(ctl.Start({testing::Runfile("client/kirimctl"), "--address=" + kirimd_.address(),
                         "batch", "--file=" + csv, "--from=news@example.com",
                         "--subject=Hi {{name}}", "--text=Hello", "--batch_size=8"},
                        {{"KIRIM_API_KEY", kirimd_.admin_key()}})
                  .ok());
  EXPECT_EQ(WEXITSTATUS(ctl.Wait(absl::Seconds(120))), 0) << absl::StrJoin(ctl.Lines(), "\n");
  EXPECT_TRUE(ctl.WaitForOutput("accepted 8 of 8, refused 0", absl::Seconds(1)).ok())
      << absl::StrJoin(ctl.Lines(), "\n");
  v1::Metrics metrics;
  ASSERT_TRUE(Call([&](auto* ctx) {
                return kirimd_.AdminStub()->GetMetrics(ctx, v1::GetMetricsRequest(), &metrics);
              }).ok());
  EXPECT_EQ(metrics.accepted_total(), 8);
}

}  // namespace
}  // namespace kirim
