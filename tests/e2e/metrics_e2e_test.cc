// Observability end to end: a known workload against a real SMTP server (aiosmtpd) that accepts
// some recipients, refuses some for good (550) and some for now (451), then
//  - GET /metrics scraped by a real HTTP client (Python's urllib) shows exactly those counts,
//    and promtool (Debian's prometheus package) finds nothing wrong with the scrape;
//  - AdminService.GetMetrics gives the same figures, cluster-wide from Redis, per tenant and,
//    for the operator, for all tenants with the queue's depth and the stuck destinations;
//  - kirimctl metrics prints them as a table.
// Every kirimd log line is checked to be a JSON object by the harness.
#include <fstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/e2e/e2e_util.h"
#include "tests/harness/kirimd_process.h"
#include "tests/harness/redis_server.h"
#include "tests/harness/smtp_peer.h"
#include "tests/harness/subprocess.h"
#include "tests/metrics/exposition.h"

namespace kirim {
namespace {

using testing::Exposition;
using ::testing::HasSubstr;

constexpr int kDelivered = 5;
constexpr int kBounced = 2;
constexpr int kDeferred = 3;

class MetricsE2eTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(redis_.Start().ok());
    ASSERT_TRUE(peer_.Start({.reply_rcpt = {"gone1@dest.test=550 5.1.1 No such user",
                                            "gone2@dest.test=550 5.1.1 No such user",
                                            "a@slow.test=451 4.2.1 Mailbox busy, try later",
                                            "b@slow.test=451 4.2.1 Mailbox busy, try later",
                                            "c@slow.test=451 4.2.1 Mailbox busy, try later"}})
                    .ok());
    absl::Status s = kirimd_.Start(absl::StrCat(
        "redis { port: ", redis_.port(), " }\n",
        "delivery { mode: RELAY poll_interval_ms: 200 retry { first_retry_ms: 3600000 }\n",
        "  relay { host: \"127.0.0.1\" port: ", peer_.port(), " tls: NONE }\n}\n"));
    ASSERT_TRUE(s.ok()) << s;
  }

  // The workload: N delivered, M bounced, K deferred (each its own message), one invalid request
  // and one without a key. Returns when every outcome is recorded.
  void RunWorkload() {
    std::vector<std::pair<std::string, std::string>> sent;  // id, expected log event
    for (int i = 0; i < kDelivered; ++i) {
      sent.emplace_back(*kirimd_.SendText({absl::StrCat("ok", i, "@dest.test")}), "delivered");
    }
    for (const char* a : {"gone1@dest.test", "gone2@dest.test"}) {
      sent.emplace_back(*kirimd_.SendText({a}), "failed");
    }
    for (const char* a : {"a@slow.test", "b@slow.test", "c@slow.test"}) {
      sent.emplace_back(*kirimd_.SendText({a}), "deferred");
    }
    for (const auto& [id, event] : sent) {
      ASSERT_TRUE(kirimd_.WaitForEvent(event, id).ok()) << id << " " << event;
    }
    EXPECT_FALSE(kirimd_.SendText({"not an address"}).ok());
    EXPECT_FALSE(kirimd_.SendText({"x@dest.test"}, "kirim_notakey").ok());
  }

  std::string Scrape() {
    testing::Subprocess curl;
    EXPECT_TRUE(curl.Start({"/usr/bin/python3", "-c",
                            "import sys, urllib.request\n"
                            "r = urllib.request.urlopen(sys.argv[1], timeout=10)\n"
                            "sys.stdout.write(r.headers['Content-Type'] + '\\n' + r.read().decode())\n",
                            absl::StrCat("http://127.0.0.1:", kirimd_.http_port(), "/metrics")})
                    .ok());
    EXPECT_EQ(curl.Wait(absl::Seconds(30)), 0);
    std::vector<std::string> lines = curl.Lines();
    EXPECT_FALSE(lines.empty());
    if (lines.empty()) return "";
    EXPECT_EQ(lines[0], "text/plain; version=0.0.4; charset=utf-8");
    lines.erase(lines.begin());
    return absl::StrJoin(lines, "\n") + "\n";
  }

  testing::RedisServer redis_;
  testing::SmtpPeer peer_;
  testing::KirimdProcess kirimd_;
};

TEST_F(MetricsE2eTest, AScrapeAfterAKnownWorkloadCountsExactlyAndPassesPromtool) {
  RunWorkload();
  const std::string text = Scrape();
  Exposition e = Exposition::Parse(text);
  EXPECT_THAT(e.errors(), ::testing::IsEmpty());
  const std::string tx = "transactional";
  EXPECT_EQ(e.Value("kirim_messages_accepted_total", {{"lane", tx}}),
            kDelivered + kBounced + kDeferred);
  EXPECT_EQ(e.Value("kirim_messages_accepted_total", {{"lane", "bulk"}}), 0);
  EXPECT_EQ(e.Value("kirim_messages_rejected_total", {{"reason", "invalid_argument"}}), 1);
  EXPECT_EQ(e.Value("kirim_messages_rejected_total", {{"reason", "unauthenticated"}}), 1);
  EXPECT_EQ(e.Value("kirim_recipients_total", {{"lane", tx}, {"outcome", "delivered"}}),
            kDelivered);
  EXPECT_EQ(e.Value("kirim_recipients_total", {{"lane", tx}, {"outcome", "bounced"}}), kBounced);
  EXPECT_EQ(e.Value("kirim_recipients_total", {{"lane", tx}, {"outcome", "deferred"}}), kDeferred);
  EXPECT_EQ(e.Value("kirim_recipients_total", {{"lane", tx}, {"outcome", "expired"}}), 0);
  // One RCPT per message: 2xx for the delivered, 5xx for the bounced, 4xx for the deferred.
  EXPECT_EQ(e.Value("kirim_smtp_replies_total", {{"phase", "rcpt"}, {"class", "2xx"}}), kDelivered);
  EXPECT_EQ(e.Value("kirim_smtp_replies_total", {{"phase", "rcpt"}, {"class", "5xx"}}), kBounced);
  EXPECT_EQ(e.Value("kirim_smtp_replies_total", {{"phase", "rcpt"}, {"class", "4xx"}}), kDeferred);
  EXPECT_EQ(e.Value("kirim_smtp_replies_total", {{"phase", "data_end"}, {"class", "2xx"}}),
            kDelivered);
  EXPECT_EQ(e.Value("kirim_delivery_latency_seconds_count", {{"lane", tx}}), kDelivered);
  EXPECT_GT(*e.Value("kirim_redis_round_trip_seconds_count"), 0);
  // The deferred messages wait (first retry in an hour); slow.test is where mail is stuck.
  EXPECT_EQ(e.Value("kirim_queue_messages", {{"lane", tx}, {"state", "scheduled"}}), kDeferred);
  EXPECT_EQ(e.Value("kirim_queue_messages", {{"lane", tx}, {"state", "in_flight"}}), 0);
  EXPECT_EQ(e.Value("kirim_destination_deferred_recipients", {{"domain", "slow.test"}}),
            kDeferred);
  EXPECT_FALSE(e.Value("kirim_destination_deferred_recipients", {{"domain", "dest.test"}}));
  EXPECT_EQ(e.Value("kirim_build_info", {{"version", "0.6.0"}, {"role", "all"}}), 1);

  // promtool, on the scrape as served.
  const std::string path = testing::MakeTempDir("scrape") + "/metrics.txt";
  std::ofstream(path) << text;
  testing::Subprocess promtool;
  ASSERT_TRUE(promtool.Start({"/bin/sh", "-c", "/usr/bin/promtool check metrics < " + path}).ok());
  EXPECT_EQ(promtool.Wait(absl::Seconds(60)), 0) << absl::StrJoin(promtool.Lines(), "\n");
}

TEST_F(MetricsE2eTest, GetMetricsGivesTheSameFiguresPerTenantAndForTheOperator) {
  RunWorkload();
  // A second tenant that sends one message.
  absl::StatusOr<std::string> acme = kirimd_.CreateKey("acme", {v1::ApiKey::SEND, v1::ApiKey::READ});
  ASSERT_TRUE(acme.ok());
  absl::StatusOr<std::string> id = kirimd_.SendText({"ok9@dest.test"}, *acme);
  ASSERT_TRUE(id.ok());
  ASSERT_TRUE(kirimd_.WaitForEvent("delivered", *id).ok());

  auto get = [&](const std::string& key) {
    grpc::ClientContext ctx;
    kirimd_.Authorize(&ctx, key);
    v1::Metrics m;
    grpc::Status s = kirimd_.AdminStub()->GetMetrics(&ctx, v1::GetMetricsRequest(), &m);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return m;
  };
  const v1::Metrics all = get("");  // the operator's admin key
  EXPECT_EQ(all.accepted_total(), kDelivered + kBounced + kDeferred + 1);
  EXPECT_EQ(all.rejected_total(), 1);  // the invalid one; the keyless call has no tenant
  EXPECT_EQ(all.delivered_total(), kDelivered + 1);
  EXPECT_EQ(all.bounced_total(), kBounced);
  EXPECT_EQ(all.deferred_total(), kDeferred);
  EXPECT_EQ(all.accept_to_delivered().count(), kDelivered + 1);
  EXPECT_GT(all.accept_to_delivered().p99_seconds(), 0);
  EXPECT_EQ(all.smtp_session().count(), kDelivered + kBounced + kDeferred + 1);
  ASSERT_EQ(all.queue_by_lane().count("transactional"), 1u);
  EXPECT_EQ(all.queue_by_lane().at("transactional").scheduled(), kDeferred);
  EXPECT_EQ(all.queue_by_lane().at("transactional").ready(), 0);
  ASSERT_EQ(all.queue_by_destination().count("slow.test"), 1u);
  EXPECT_EQ(all.queue_by_destination().at("slow.test").scheduled(), kDeferred);

  const v1::Metrics mine = get(*acme);  // a tenant sees its own figures only
  EXPECT_EQ(mine.accepted_total(), 1);
  EXPECT_EQ(mine.delivered_total(), 1);
  EXPECT_EQ(mine.bounced_total(), 0);
  EXPECT_EQ(mine.deferred_total(), 0);
  EXPECT_TRUE(mine.queue_by_lane().empty());
  EXPECT_TRUE(mine.queue_by_destination().empty());

  // kirimctl metrics: the same figures as a table.
  testing::Subprocess ctl;
  ASSERT_TRUE(ctl.Start({testing::Runfile("client/kirimctl"), "--address=" + kirimd_.address(),
                         "metrics"},
                        {{"KIRIM_API_KEY", kirimd_.admin_key()}})
                  .ok());
  ASSERT_EQ(ctl.Wait(absl::Seconds(30)), 0) << absl::StrJoin(ctl.Lines(), "\n");
  const std::string out = absl::StrJoin(ctl.Lines(), "\n");
  EXPECT_THAT(out, HasSubstr(absl::StrCat("delivered          ", kDelivered + 1)));
  EXPECT_THAT(out, HasSubstr(absl::StrCat("deferred           ", kDeferred)));
  EXPECT_THAT(out, HasSubstr("slow.test"));
}

}  // namespace
}  // namespace kirim
