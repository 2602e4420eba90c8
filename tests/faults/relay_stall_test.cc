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
  // The message a faulty relay failed once, as kirimd recorded it.
  struct Outcome {
    std::string header;       // its Message-ID
    std::string first_error;  // the first attempt's error
  };

  // Starts the peer with `peer_options` and a kirimd with small DATA timeouts, sends one
  // message with a body of `body_bytes`, waits for the peer's `fault_event` and kirimd's
  // deferral, then for the delivery: exactly two attempts, the second one accepted (250).
  void FailOnceThenDeliver(SmtpPeerOptions peer_options, int body_bytes,
                           const std::string& fault_event, Outcome* outcome) {
    ASSERT_TRUE(rig_.Start({.peer = peer_options,
                            .relay = {.concurrency = 2,
                                      .retry_ms = 300,
                                      .phase_timeout_ms = 2000,  // data_block among them
                                      .data_end_ms = 2000}})
                    .ok());
    auto [id, header] = SendOne(body_bytes);
    ASSERT_TRUE(rig_.peer().WaitForEvent(fault_event).ok());
    ASSERT_TRUE(rig_.kirimd().WaitForEvent("deferred", id).ok());
    v1::Message m = Delivered(id);
    ASSERT_EQ(m.attempts_size(), 2);
    EXPECT_EQ(m.attempts(1).reply().code(), 250);
    *outcome = {header, m.attempts(0).error()};
  }

  // Sends one message with a body of `body_bytes`; returns {id, Message-ID header}.
  std::pair<std::string, std::string> SendOne(int body_bytes) {
    Sender sender(rig_.kirimd(), {.threads = 1, .target = 1, .max_calls = 1,
                                  .body_bytes = body_bytes, .deadline = absl::Seconds(30)});
    sender.Start();
    EXPECT_TRUE(sender.WaitForDone(absl::Seconds(60)).ok());
    auto accepted = sender.accepted();
    EXPECT_EQ(accepted.size(), 1u);
    if (accepted.empty()) return {};
    return *accepted.begin();
  }

  // Waits until `id` is delivered; returns its GetMessage.
  v1::Message Delivered(const std::string& id) {
    EXPECT_TRUE(rig_.kirimd().WaitForEvent("delivered", id, absl::Seconds(60)).ok());
    absl::StatusOr<v1::Message> m = rig_.kirimd().GetMessage(id);
    EXPECT_TRUE(m.ok()) << m.status();
    return m.ok() ? *m : v1::Message();
  }

  SmtpPeer& peer() { return rig_.peer(); }

  FaultRig rig_;
};

// Small enough to fit in the socket buffers: the whole content is written, the reply to "."
// never comes.
TEST_F(RelayStallTest, AStallMidDataEndsInTheDataEndTimeoutAndTheRetryDeliversOnce) {
  Outcome o;
  ASSERT_NO_FATAL_FAILURE(FailOnceThenDeliver({.stall_mid_data = 1, .store = false}, 1000,
                                              "STALLED-MID-DATA 1", &o));
  std::cout << "relay_stall (small message): first attempt: " << o.first_error << "\n";
  EXPECT_TRUE(absl::StrContains(o.first_error, "data_end")) << o.first_error;
  EXPECT_EQ(peer().ReceivedIds()[o.header], 1);  // the stalled copy was never complete
}

// Larger than what loopback's socket buffers take without the peer reading: the writes stall.
TEST_F(RelayStallTest, AStallMidDataOfALargeMessageEndsInTheDataBlockTimeout) {
  Outcome o;
  ASSERT_NO_FATAL_FAILURE(FailOnceThenDeliver({.stall_mid_data = 1, .store = false}, 16 << 20,
                                              "STALLED-MID-DATA 1", &o));
  std::cout << "relay_stall (16 MiB message): first attempt: " << o.first_error << "\n";
  EXPECT_TRUE(absl::StrContains(o.first_error, "sending message content")) << o.first_error;
  EXPECT_EQ(peer().ReceivedIds()[o.header], 1);
}

TEST_F(RelayStallTest, AConnectionDroppedAfterDataIsRetriedAndReceivedTwice) {
  Outcome o;
  ASSERT_NO_FATAL_FAILURE(FailOnceThenDeliver({.drop_after_data = 1, .store = false}, 1000,
                                              "DROPPED 1", &o));
  std::cout << "relay_stall (dropped after DATA): first attempt: " << o.first_error << "\n";
  EXPECT_TRUE(absl::StrContains(o.first_error, "data_end")) << o.first_error;
  // The duplicate window: the relay had the whole message the first time too.
  EXPECT_EQ(peer().ReceivedIds("DROPPED ")[o.header], 1);
  EXPECT_EQ(peer().ReceivedIds()[o.header], 1);
}

}  // namespace
}  // namespace kirim::testing
