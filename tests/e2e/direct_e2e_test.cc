// Direct-to-MX delivery end to end: a real DNS server (python3-dnslib) holds the zones, a real
// SMTP server (aiosmtpd, opportunistic STARTTLS) plays every MX host on 127.0.0.1, and 127.0.0.2
// (loopback, where nothing listens) plays an MX host that refuses connections.
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "server/auth/api_key_format.h"
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
    v1::SendEmailRequest r;
    r.set_from("shop@example.com");
    for (auto& a : to) r.add_to(a);
    r.set_subject("direct");
    r.set_text_body("hello");
    grpc::ClientContext ctx;
    kirimd_.Authorize(&ctx);
    v1::SendEmailResponse resp;
    grpc::Status st = kirimd_.MailStub()->SendEmail(&ctx, r, &resp);
    EXPECT_TRUE(st.ok()) << st.error_message();
    return resp.id();
  }
  v1::Message Get(const std::string& id) {
    grpc::ClientContext ctx;
    kirimd_.Authorize(&ctx);
    v1::GetMessageRequest req;
    req.set_name("messages/" + id);
    v1::Message m;
    EXPECT_TRUE(kirimd_.MailStub()->GetMessage(&ctx, req, &m).ok());
    return m;
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
