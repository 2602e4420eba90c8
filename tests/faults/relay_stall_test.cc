// Fault: a relay that stalls mid-DATA, and one that drops the connection after DATA.
//
// - Stall mid-DATA: the relay answers 354, reads the first line of the content and then nothing
//   more. kirimd's SMTP timeouts (set small here) end the attempt: data_block when the content
//   cannot be written (a message larger than the socket buffers), data_end when it could be
//   and the reply to the final "." never comes. The relay never saw the final ".", so it did not
//   take the message: the retry delivers it exactly once.
// - Drop after DATA: the relay reads the whole content, final "." included, and closes the
//   connection without a reply. kirimd cannot know the relay took it: the attempt is deferred,
//   retried and delivered, and the relay has received it twice. That is the duplicate window of
//   at-least-once delivery (docs/delivery.md, "Duplicate window").
#include <iostream>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "tests/e2e/e2e_util.h"
#include "tests/faults/fault_util.h"
#include "tests/harness/kirimd_process.h"
#include "tests/harness/redis_server.h"
#include "tests/harness/smtp_peer.h"

namespace kirim::testing {
namespace {

class RelayStallTest : public ::testing::Test {
 protected:
  // Starts the peer with `peer_options` and a kirimd with small DATA timeouts.
  void Start(SmtpPeerOptions peer_options) {
    ASSERT_TRUE(redis_.Start().ok());
    ASSERT_TRUE(peer_.Start(peer_options).ok());
    RelayConfigOptions o;
    o.redis_port = redis_.port();
    o.relay_port = peer_.port();
    o.concurrency = 2;
    o.retry_ms = 300;
    o.phase_timeout_ms = 2000;  // data_block among them
    o.data_end_ms = 2000;
    ASSERT_TRUE(kirimd_.Start(RelayConfig(o)).ok());
  }

  // Sends one message with a body of `body_bytes`; returns {id, Message-ID header}.
  std::pair<std::string, std::string> SendOne(int body_bytes) {
    Sender sender(kirimd_, {.threads = 1, .target = 1, .max_calls = 1, .body_bytes = body_bytes,
                            .deadline = absl::Seconds(30)});
    sender.Start();
    EXPECT_TRUE(sender.WaitForDone(absl::Seconds(60)).ok());
    auto accepted = sender.accepted();
    EXPECT_EQ(accepted.size(), 1u);
    if (accepted.empty()) return {};
    return *accepted.begin();
  }

  // Waits until `id` is delivered; returns its GetMessage.
  v1::Message Delivered(const std::string& id) {
    EXPECT_TRUE(kirimd_.WaitForEvent("delivered", id, absl::Seconds(60)).ok());
    absl::StatusOr<v1::Message> m = kirimd_.GetMessage(id);
    EXPECT_TRUE(m.ok()) << m.status();
    return m.ok() ? *m : v1::Message();
  }

  RedisServer redis_;
  SmtpPeer peer_;
  KirimdProcess kirimd_;
};

// Small enough to fit in the socket buffers: the whole content is written, the reply to "."
// never comes.
TEST_F(RelayStallTest, AStallMidDataEndsInTheDataEndTimeoutAndTheRetryDeliversOnce) {
  ASSERT_NO_FATAL_FAILURE(Start({.stall_mid_data = 1, .store = false}));
  auto [id, header] = SendOne(1000);
  ASSERT_TRUE(peer_.WaitForEvent("STALLED-MID-DATA 1").ok());
  ASSERT_TRUE(kirimd_.WaitForEvent("deferred", id).ok());
  v1::Message m = Delivered(id);
  ASSERT_EQ(m.attempts_size(), 2);
  const std::string first = m.attempts(0).error();
  std::cout << "relay_stall (small message): first attempt: " << first << "\n";
  EXPECT_TRUE(absl::StrContains(first, "data_end")) << first;
  EXPECT_EQ(m.attempts(1).reply().code(), 250);
  EXPECT_EQ(peer_.ReceivedIds()[header], 1);  // the stalled copy was never complete
}

// Larger than what loopback's socket buffers take without the peer reading: the writes stall.
TEST_F(RelayStallTest, AStallMidDataOfALargeMessageEndsInTheDataBlockTimeout) {
  ASSERT_NO_FATAL_FAILURE(Start({.stall_mid_data = 1, .store = false}));
  auto [id, header] = SendOne(16 << 20);
  ASSERT_TRUE(peer_.WaitForEvent("STALLED-MID-DATA 1").ok());
  ASSERT_TRUE(kirimd_.WaitForEvent("deferred", id).ok());
  v1::Message m = Delivered(id);
  ASSERT_EQ(m.attempts_size(), 2);
  const std::string first = m.attempts(0).error();
  std::cout << "relay_stall (16 MiB message): first attempt: " << first << "\n";
  EXPECT_TRUE(absl::StrContains(first, "sending message content")) << first;
  EXPECT_EQ(m.attempts(1).reply().code(), 250);
  EXPECT_EQ(peer_.ReceivedIds()[header], 1);
}

TEST_F(RelayStallTest, AConnectionDroppedAfterDataIsRetriedAndReceivedTwice) {
  ASSERT_NO_FATAL_FAILURE(Start({.drop_after_data = 1, .store = false}));
  auto [id, header] = SendOne(1000);
  ASSERT_TRUE(peer_.WaitForEvent("DROPPED 1").ok());
  ASSERT_TRUE(kirimd_.WaitForEvent("deferred", id).ok());
  v1::Message m = Delivered(id);
  ASSERT_EQ(m.attempts_size(), 2);
  const std::string first = m.attempts(0).error();
  std::cout << "relay_stall (dropped after DATA): first attempt: " << first << "\n";
  EXPECT_TRUE(absl::StrContains(first, "data_end")) << first;
  EXPECT_EQ(m.attempts(1).reply().code(), 250);
  // The duplicate window: the relay had the whole message the first time too.
  EXPECT_EQ(peer_.ReceivedIds("DROPPED ")[header], 1);
  EXPECT_EQ(peer_.ReceivedIds()[header], 1);
}

}  // namespace
}  // namespace kirim::testing
