// Retries end to end with short configured delays (no sleeps: the test waits on kirimd's log
// events): a real SMTP server answering 4xx then 2xx, always 4xx until the message expires, and
// 5xx for one recipient of three.
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "server/auth/api_key_format.h"
#include "server/common/random.h"
#include "tests/e2e/e2e_util.h"
#include "tests/harness/kirimd_process.h"
#include "tests/harness/redis_server.h"
#include "tests/harness/smtp_peer.h"

namespace kirim {
namespace {

using testing::KirimdProcess;
using testing::SmtpPeer;

class RetryE2eTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(redis_.Start().ok()); }

  void StartKirimd(const SmtpPeer& peer) {
    absl::Status s = kirimd_.Start(absl::StrCat(
        "redis { port: ", redis_.port(), " }\n",
        "delivery {\n  mode: RELAY poll_interval_ms: 100\n",
        "  relay { host: \"127.0.0.1\" port: ", peer.port(), " tls: NONE }\n",
        // Retries every 300 ms, expiry after 2 s: the whole life of a message in a moment.
        "  retry { first_retry_ms: 300 factor: 1 max_delay_ms: 300 max_age_ms: 2000 jitter: -1 }\n}\n"));
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
  KirimdProcess kirimd_;
};

TEST_F(RetryE2eTest, FourXxThenTwoXxIsDeliveredAfterRetries) {
  SmtpPeer peer;
  ASSERT_TRUE(peer.Start({.reply_data = "451 4.3.0 Try again later", .reply_data_count = 2}).ok());
  StartKirimd(peer);
  std::string id = Send({"ana@example.net"});
  ASSERT_TRUE(kirimd_.WaitForEvent("delivered", id).ok());
  v1::Message m = Get(id);
  EXPECT_EQ(m.state(), v1::DELIVERED);
  ASSERT_EQ(m.attempts_size(), 3);
  EXPECT_EQ(m.attempts(0).reply().code(), 451);
  EXPECT_EQ(m.attempts(1).reply().code(), 451);
  EXPECT_EQ(m.attempts(2).reply().code(), 250);
  EXPECT_EQ(peer.ReceivedCount(), 1);
}

TEST_F(RetryE2eTest, AlwaysFourXxExpiresAtMaxAgeWithTheLastReply) {
  SmtpPeer peer;
  ASSERT_TRUE(peer.Start({.reply_data = "452 4.2.2 Mailbox full"}).ok());
  StartKirimd(peer);
  std::string id = Send({"ana@example.net"});
  ASSERT_TRUE(kirimd_.WaitForEvent("failed", id).ok());
  v1::Message m = Get(id);
  EXPECT_EQ(m.state(), v1::FAILED);
  EXPECT_GE(m.attempts_size(), 2);
  EXPECT_EQ(m.recipients(0).state(), v1::RECIPIENT_EXPIRED);
  EXPECT_EQ(m.recipients(0).reply().code(), 452);
  EXPECT_EQ(m.recipients(0).reply().text(), "Mailbox full");
  EXPECT_EQ(peer.ReceivedCount(), 0);
}

TEST_F(RetryE2eTest, FiveXxForOneRecipientOfThreeGivesPerRecipientResults) {
  SmtpPeer peer;
  ASSERT_TRUE(peer.Start({.reply_rcpt = {"b@example.net=550 5.1.1 No such user here"}}).ok());
  StartKirimd(peer);
  std::string id = Send({"a@example.net", "b@example.net", "c@example.net"});
  ASSERT_TRUE(kirimd_.WaitForEvent("partially_delivered", id).ok());
  v1::Message m = Get(id);
  EXPECT_EQ(m.state(), v1::PARTIALLY_DELIVERED);
  EXPECT_EQ(m.recipients(0).state(), v1::RECIPIENT_DELIVERED);
  EXPECT_EQ(m.recipients(1).state(), v1::RECIPIENT_BOUNCED);
  EXPECT_EQ(m.recipients(1).reply().code(), 550);
  EXPECT_EQ(m.recipients(1).reply().enhanced_code(), "5.1.1");
  EXPECT_EQ(m.recipients(1).reply().text(), "No such user here");
  EXPECT_EQ(m.recipients(2).state(), v1::RECIPIENT_DELIVERED);
  auto received = peer.WaitForMessage();
  ASSERT_TRUE(received.ok());
  EXPECT_TRUE(absl::StrContains(received->meta, "\"rcpt_tos\": [\"a@example.net\", \"c@example.net\"]"))
      << received->meta;

  // The hard bounce is now suppressed for this tenant.
  grpc::ClientContext ctx;
  kirimd_.Authorize(&ctx);
  v1::ListSuppressionsResponse list;
  ASSERT_TRUE(kirimd_.AdminStub()->ListSuppressions(&ctx, v1::ListSuppressionsRequest(), &list).ok());
  ASSERT_EQ(list.suppressions_size(), 1);
  EXPECT_EQ(list.suppressions(0).address(), "b@example.net");
  EXPECT_EQ(list.suppressions(0).reason(), v1::Suppression::HARD_BOUNCE);
}

TEST_F(RetryE2eTest, ConsecutiveMessagesReuseOneSessionWithRsetBetween) {
  SmtpPeer peer;
  ASSERT_TRUE(peer.Start({}).ok());
  StartKirimd(peer);
  std::vector<std::string> ids;
  for (int i = 0; i < 3; ++i) {
    ids.push_back(Send({"ana@example.net"}));
    // One at a time, so each message finds the previous one's session idle in the pool.
    ASSERT_TRUE(kirimd_.WaitForEvent("delivered", ids.back()).ok());
  }
  EXPECT_EQ(peer.ReceivedCount(), 3);
  EXPECT_EQ(peer.EventCount("EHLO "), 1) << "one session for three messages";
  EXPECT_GE(peer.EventCount("RSET"), 2);
}

TEST_F(RetryE2eTest, APausedDestinationKeepsItsMailUntilResumedAndRetriedNow) {
  SmtpPeer peer;
  ASSERT_TRUE(peer.Start({}).ok());
  StartKirimd(peer);
  auto admin = kirimd_.AdminStub();
  auto call = [&](auto method, const auto& request, auto* response) {
    grpc::ClientContext ctx;
    kirimd_.Authorize(&ctx);
    return ((*admin).*method)(&ctx, request, response);
  };
  v1::PauseDestinationRequest pause;
  pause.set_name("destinations/Paused.Example");
  v1::Destination d;
  ASSERT_TRUE(call(&v1::AdminService::Stub::PauseDestination, pause, &d).ok());
  EXPECT_EQ(d.domain(), "paused.example");
  EXPECT_TRUE(d.paused());

  const std::string held = Send({"ana@paused.example"});
  const std::string mixed = Send({"bo@paused.example", "cy@flowing.example"});
  ASSERT_TRUE(kirimd_.WaitForEvent("held_paused", held).ok());
  ASSERT_TRUE(kirimd_.WaitForEvent("deferred", mixed).ok());
  v1::Message m = Get(mixed);
  EXPECT_EQ(m.recipients(0).reply().enhanced_code(), "4.3.2");
  EXPECT_EQ(m.recipients(1).state(), v1::RECIPIENT_DELIVERED) << "other destinations flow";
  v1::Message h = Get(held);
  EXPECT_EQ(h.state(), v1::DEFERRED);
  EXPECT_EQ(h.attempts_size(), 0) << "nothing was attempted for a paused destination";
  EXPECT_EQ(peer.ReceivedCount(), 1);

  // Listed: what is paused, and what has mail waiting (both messages hold a recipient at
  // paused.example), sorted, page by page.
  v1::PauseDestinationRequest pause_other;
  pause_other.set_name("destinations/idle.example");
  ASSERT_TRUE(call(&v1::AdminService::Stub::PauseDestination, pause_other, &d).ok());
  v1::ListDestinationsRequest page_request;
  page_request.set_page_size(1);
  v1::ListDestinationsResponse list;
  ASSERT_TRUE(call(&v1::AdminService::Stub::ListDestinations, page_request, &list).ok());
  ASSERT_EQ(list.destinations_size(), 1);
  EXPECT_EQ(list.destinations(0).name(), "destinations/idle.example");
  EXPECT_EQ(list.destinations(0).queue().scheduled(), 0);
  ASSERT_FALSE(list.next_page_token().empty());
  page_request.set_page_token(list.next_page_token());
  ASSERT_TRUE(call(&v1::AdminService::Stub::ListDestinations, page_request, &list).ok());
  ASSERT_EQ(list.destinations_size(), 1);
  EXPECT_EQ(list.destinations(0).name(), "destinations/paused.example");
  EXPECT_TRUE(list.destinations(0).paused());
  EXPECT_EQ(list.destinations(0).queue().scheduled(), 2);
  EXPECT_TRUE(list.next_page_token().empty());
  page_request.set_page_token("not a token!");
  EXPECT_EQ(call(&v1::AdminService::Stub::ListDestinations, page_request, &list).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);

  v1::ResumeDestinationRequest resume;
  resume.set_name("destinations/paused.example");
  ASSERT_TRUE(call(&v1::AdminService::Stub::ResumeDestination, resume, &d).ok());
  EXPECT_FALSE(d.paused());
  v1::RetryNowRequest retry;
  retry.set_destination("destinations/paused.example");
  v1::RetryNowResponse retried;
  ASSERT_TRUE(call(&v1::AdminService::Stub::RetryNow, retry, &retried).ok());
  EXPECT_EQ(retried.retried_count(), 2);
  ASSERT_TRUE(kirimd_.WaitForEvent("delivered", held).ok());
  ASSERT_TRUE(kirimd_.WaitForEvent("delivered", mixed).ok());
  EXPECT_EQ(peer.ReceivedCount(), 3);

  // RetryNow of a message that is not waiting retries nothing; a bad name names the field.
  retry.set_message("messages/" + held);
  ASSERT_TRUE(call(&v1::AdminService::Stub::RetryNow, retry, &retried).ok());
  EXPECT_EQ(retried.retried_count(), 0);
  retry.set_message("messages/nope");
  EXPECT_EQ(call(&v1::AdminService::Stub::RetryNow, retry, &retried).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(call(&v1::AdminService::Stub::ResumeDestination, resume, &d).error_code(),
            grpc::StatusCode::NOT_FOUND) << "not paused any more";
}

}  // namespace
}  // namespace kirim
