// Direct-to-MX delivery end to end: a real DNS server (python3-dnslib) holds the zones, a real
// SMTP server (aiosmtpd, opportunistic STARTTLS) plays every MX host on 127.0.0.1, and 127.0.0.2
// (loopback, where nothing listens) plays an MX host that refuses connections.
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "server/auth/api_key_format.h"
#include "server/common/proto_time.h"
#include "server/common/random.h"
#include "tests/dns/dns_peer.h"
#include "tests/e2e/e2e_util.h"
#include "tests/harness/kirimd_process.h"
#include "tests/harness/redis_server.h"
#include "tests/harness/smtp_peer.h"

namespace kirim {
namespace {

constexpr char kZone[] = R"(
two.test.        300 IN MX 10 mx1.two.test.
two.test.        300 IN MX 20 mx2.two.test.
mx1.two.test.    300 IN A  127.0.0.2
mx2.two.test.    300 IN A  127.0.0.1
nullmx.test.     300 IN MX 0 .
amx.test.        300 IN A  127.0.0.1
)";

class DirectE2eTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(redis_.Start().ok());
    ASSERT_TRUE(dns_.Start({.zone = kZone}).ok());
    ASSERT_TRUE(peer_.Start({}).ok());  // offers STARTTLS, requires nothing
    absl::Status s = kirimd_.Start(absl::StrCat(
        "redis { port: ", redis_.port(), " }\n",
        "delivery { mode: DIRECT poll_interval_ms: 200 retry { first_retry_ms: 3600000 }\n",
        "  direct { port: ", peer_.port(), " dns_servers: \"", dns_.server(), "\" dns_timeout_ms: 500 }\n",
        "  timeouts { connect_ms: 2000 }\n}\n"));
    ASSERT_TRUE(s.ok()) << s;
  }

  std::string Send(std::vector<std::string> to) {
    absl::StatusOr<std::string> id = kirimd_.SendText(to);
    EXPECT_TRUE(id.ok()) << id.status();
    return id.ok() ? *id : "";
  }
  v1::Message Get(const std::string& id) {
    absl::StatusOr<v1::Message> m = kirimd_.GetMessage(id);
    EXPECT_TRUE(m.ok()) << m.status();
    return m.ok() ? *m : v1::Message();
  }

  testing::RedisServer redis_;
  testing::DnsPeer dns_;
  testing::SmtpPeer peer_;
  testing::KirimdProcess kirimd_;
};

TEST_F(DirectE2eTest, TheSecondMxGetsTheMailWhenTheFirstRefuses) {
  std::string id = Send({"ana@two.test"});
  ASSERT_TRUE(kirimd_.WaitForEvent("delivered", id).ok());
  auto received = peer_.WaitForMessage();
  ASSERT_TRUE(received.ok());
  EXPECT_TRUE(absl::StrContains(received->meta, "\"rcpt_tos\": [\"ana@two.test\"]")) << received->meta;
  EXPECT_TRUE(absl::StrContains(received->meta, "\"tls\": true")) << "opportunistic STARTTLS used";
  v1::Message m = Get(id);
  EXPECT_EQ(m.state(), v1::DELIVERED);
  // Both MX hosts were tried, in preference order.
  EXPECT_EQ(m.attempts(0).remote(), absl::StrCat("mx1.two.test[127.0.0.2]:", peer_.port(),
                                                 ", mx2.two.test[127.0.0.1]:", peer_.port()));
  EXPECT_TRUE(dns_.WaitForQuery("QUERY udp two.test. MX", absl::Seconds(1)).ok());
}

TEST_F(DirectE2eTest, NullMxBouncesWithoutTryingAndNoMxFallsBackToTheAddress) {
  std::string id = Send({"a@nullmx.test", "b@amx.test", "c@two.test"});
  ASSERT_TRUE(kirimd_.WaitForEvent("partially_delivered", id).ok());
  v1::Message m = Get(id);
  ASSERT_EQ(m.recipients_size(), 3);
  EXPECT_EQ(m.recipients(0).state(), v1::RECIPIENT_BOUNCED);
  EXPECT_EQ(m.recipients(0).reply().code(), 556);
  EXPECT_EQ(m.recipients(0).reply().enhanced_code(), "5.1.10");
  EXPECT_EQ(m.recipients(1).state(), v1::RECIPIENT_DELIVERED);  // implicit MX: amx.test's A
  EXPECT_EQ(m.recipients(2).state(), v1::RECIPIENT_DELIVERED);
  // One transaction per destination: amx.test and two.test each got their own.
  auto first = peer_.WaitForMessage();
  auto second = peer_.WaitForMessage();
  ASSERT_TRUE(first.ok() && second.ok());
  EXPECT_NE(first->meta, second->meta);
  EXPECT_EQ(peer_.ReceivedCount(), 2);
}

}  // namespace
}  // namespace kirim

namespace kirim {
namespace {

TEST(ShapingE2eTest, AConnectionLimitHoldsBackOnlyItsOwnDestination) {
  testing::RedisServer redis;
  ASSERT_TRUE(redis.Start().ok());
  testing::DnsPeer dns;
  ASSERT_TRUE(dns.Start({.zone = "slow.test. 300 IN A 127.0.0.1\nfast.test. 300 IN A 127.0.0.1\n"}).ok());
  testing::SmtpPeer peer;
  ASSERT_TRUE(peer.Start({.stall_data = 1}).ok());  // the first session hangs after its data
  testing::KirimdProcess kirimd;
  absl::Status s = kirimd.Start(absl::StrCat(
      "redis { port: ", redis.port(), " }\n",
      "delivery { mode: DIRECT poll_interval_ms: 100 concurrency: 4 lease_timeout_ms: 600000\n",
      "  retry { first_retry_ms: 3600000 }\n",
      "  direct { port: ", peer.port(), " dns_servers: \"", dns.server(), "\" dns_timeout_ms: 500 }\n",
      "  shaping { destinations { domain: \"slow.test\" max_connections: 1 } }\n}\n"));
  ASSERT_TRUE(s.ok()) << s;
  auto send = [&](const std::string& to) {
    absl::StatusOr<std::string> id = kirimd.SendText({to});
    EXPECT_TRUE(id.ok()) << id.status();
    return id.ok() ? *id : "";
  };
  send("a@slow.test");
  ASSERT_TRUE(peer.WaitForEvent("STALLED 1").ok());  // slow.test's one connection is busy

  const std::string held = send("b@slow.test");
  ASSERT_TRUE(kirimd.WaitForEvent("deferred", held).ok());
  const std::string other = send("c@fast.test");
  ASSERT_TRUE(kirimd.WaitForEvent("delivered", other).ok()) << "another destination keeps flowing";

  absl::StatusOr<v1::Message> got = kirimd.GetMessage(held);
  ASSERT_TRUE(got.ok()) << got.status();
  const v1::Message& m = *got;
  EXPECT_EQ(m.recipients(0).reply().code(), 451);
  EXPECT_EQ(m.recipients(0).reply().enhanced_code(), "4.4.5");
  EXPECT_TRUE(absl::StrContains(m.recipients(0).reply().text(), "connections")) << m.recipients(0).reply().text();
  // Retried when the destination has room, not after the hour-long backoff.
  EXPECT_LT(FromProtoTime(m.next_attempt_time()) - FromProtoTime(m.attempts(0).end_time()), absl::Minutes(5));
  // Two sessions (slow.test, fast.test), each saying EHLO before and after STARTTLS.
  EXPECT_EQ(peer.EventCount("EHLO "), 4);
  kirimd.Kill();
}

}  // namespace
}  // namespace kirim

namespace kirim {
namespace {

TEST(ShapingE2eTest, ADestinationAnswering421IsSlowedWhileAnotherKeepsFlowing) {
  testing::RedisServer redis;
  ASSERT_TRUE(redis.Start().ok());
  testing::DnsPeer dns;
  ASSERT_TRUE(dns.Start({.zone = "busy.test. 300 IN A 127.0.0.1\nok.test. 300 IN A 127.0.0.1\n"}).ok());
  testing::SmtpPeer peer;
  ASSERT_TRUE(peer.Start({.reply_rcpt = {"a@busy.test=421 4.7.0 Too many connections, slow down"}}).ok());
  testing::KirimdProcess kirimd;
  absl::Status s = kirimd.Start(absl::StrCat(
      "redis { port: ", redis.port(), " }\n",
      "delivery { mode: DIRECT poll_interval_ms: 100\n",
      "  retry { first_retry_ms: 3600000 }\n",
      "  direct { port: ", peer.port(), " dns_servers: \"", dns.server(), "\" dns_timeout_ms: 500 }\n",
      "  shaping { destinations { domain: \"busy.test\" max_connections: 8 messages_per_second: 20 } }\n}\n"));
  ASSERT_TRUE(s.ok()) << s;

  auto busy = kirimd.SendText({"a@busy.test"});
  ASSERT_TRUE(busy.ok());
  ASSERT_TRUE(kirimd.WaitForEvent("deferred", *busy).ok());
  auto ok = kirimd.SendText({"b@ok.test"});
  ASSERT_TRUE(ok.ok());
  ASSERT_TRUE(kirimd.WaitForEvent("delivered", *ok).ok()) << "the other destination keeps flowing";

  // busy.test's limits were halved (factor in per-mille), ok.test's untouched.
  auto client = redis.Client();
  auto factor = client->Command({"HGET", "kirim:{dst:busy.test}:throttle", "f"});
  ASSERT_TRUE(factor.ok()) << factor.status();
  EXPECT_EQ(factor->str, "500");
  auto untouched = client->Command({"EXISTS", "kirim:{dst:ok.test}:throttle"});
  ASSERT_TRUE(untouched.ok());
  EXPECT_EQ(untouched->integer, 0);
  auto m = kirimd.GetMessage(*busy);
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m->recipients(0).reply().code(), 421);
  kirimd.Kill();
}

}  // namespace
}  // namespace kirim

namespace kirim {
namespace {

TEST(SenderRoutesE2eTest, OneSendingDomainGoesThroughTheRelayTheOthersDirect) {
  testing::RedisServer redis;
  ASSERT_TRUE(redis.Start().ok());
  testing::DnsPeer dns;
  ASSERT_TRUE(dns.Start({.zone = "dest.test. 300 IN A 127.0.0.1\n"}).ok());
  testing::SmtpPeer relay, mx;
  ASSERT_TRUE(relay.Start({}).ok());
  ASSERT_TRUE(mx.Start({}).ok());
  testing::KirimdProcess kirimd;
  absl::Status s = kirimd.Start(absl::StrCat(
      "redis { port: ", redis.port(), " }\n",
      "delivery { mode: DIRECT poll_interval_ms: 100\n",
      "  direct { port: ", mx.port(), " dns_servers: \"", dns.server(), "\" dns_timeout_ms: 500 }\n",
      "  relay { host: \"127.0.0.1\" port: ", relay.port(), " tls: NONE }\n",
      "  sender_routes { sender_domain: \"Relayed.Example\" mode: RELAY }\n}\n"));
  ASSERT_TRUE(s.ok()) << s;
  auto send = [&](const std::string& from, const std::string& to) {
    v1::SendEmailRequest r;
    r.set_from(from);
    r.add_to(to);
    r.set_text_body("hello");
    grpc::ClientContext ctx;
    kirimd.Authorize(&ctx);
    v1::SendEmailResponse resp;
    EXPECT_TRUE(kirimd.MailStub()->SendEmail(&ctx, r, &resp).ok());
    return resp.id();
  };
  const std::string via_relay = send("billing@relayed.example", "x@dest.test");
  ASSERT_TRUE(kirimd.WaitForEvent("delivered", via_relay).ok());
  const std::string direct = send("news@direct.example", "y@dest.test");
  ASSERT_TRUE(kirimd.WaitForEvent("delivered", direct).ok());

  auto at_relay = relay.WaitForMessage();
  auto at_mx = mx.WaitForMessage();
  ASSERT_TRUE(at_relay.ok() && at_mx.ok());
  EXPECT_TRUE(absl::StrContains(at_relay->meta, "\"mail_from\": \"billing@relayed.example\"")) << at_relay->meta;
  EXPECT_TRUE(absl::StrContains(at_mx->meta, "\"mail_from\": \"news@direct.example\"")) << at_mx->meta;
  EXPECT_EQ(relay.ReceivedCount(), 1);
  EXPECT_EQ(mx.ReceivedCount(), 1);
  EXPECT_EQ(kirimd.GetMessage(via_relay)->attempts(0).remote(), absl::StrCat("127.0.0.1:", relay.port()));
  kirimd.Kill();
}

}  // namespace
}  // namespace kirim

namespace kirim {
namespace {

TEST(ShapingE2eTest, AnMxHostLimitCoversEveryDomainItServes) {
  testing::RedisServer redis;
  ASSERT_TRUE(redis.Start().ok());
  testing::DnsPeer dns;
  ASSERT_TRUE(dns.Start({.zone = "one.test. 300 IN MX 10 mx.shared.test.\n"
                                 "two.test. 300 IN MX 10 mx.shared.test.\n"
                                 "mx.shared.test. 300 IN A 127.0.0.1\n"
                                 "other.test. 300 IN A 127.0.0.1\n"})
                  .ok());
  testing::SmtpPeer peer;
  ASSERT_TRUE(peer.Start({.stall_data = 1}).ok());
  testing::KirimdProcess kirimd;
  absl::Status s = kirimd.Start(absl::StrCat(
      "redis { port: ", redis.port(), " }\n",
      "delivery { mode: DIRECT poll_interval_ms: 100 concurrency: 4 lease_timeout_ms: 600000\n",
      "  retry { first_retry_ms: 3600000 }\n",
      "  direct { port: ", peer.port(), " dns_servers: \"", dns.server(), "\" dns_timeout_ms: 500 }\n",
      "  shaping { destinations { domain: \"mx:mx.shared.test\" max_connections: 1 } }\n}\n"));
  ASSERT_TRUE(s.ok()) << s;
  ASSERT_TRUE(kirimd.SendText({"a@one.test"}).ok());
  ASSERT_TRUE(peer.WaitForEvent("STALLED 1").ok());  // the shared MX host's one connection

  auto other_domain_same_mx = kirimd.SendText({"b@two.test"});
  ASSERT_TRUE(other_domain_same_mx.ok());
  ASSERT_TRUE(kirimd.WaitForEvent("deferred", *other_domain_same_mx).ok());
  auto held = kirimd.GetMessage(*other_domain_same_mx);
  ASSERT_TRUE(held.ok());
  EXPECT_EQ(held->recipients(0).reply().enhanced_code(), "4.4.5");

  auto elsewhere = kirimd.SendText({"c@other.test"});
  ASSERT_TRUE(elsewhere.ok());
  EXPECT_TRUE(kirimd.WaitForEvent("delivered", *elsewhere).ok()) << "a different MX host flows";
  kirimd.Kill();
}

}  // namespace
}  // namespace kirim
