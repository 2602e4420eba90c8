// The MessageQueue contract for events, idempotency claims, cancellation and the depth limit,
// as one test suite run against every implementation (Redis and the fake), so the fake that
// the API and worker tests rely on behaves like production.
//
//   class MyHarness : public MessageQueueHarness { ... };
//   std::unique_ptr<MessageQueueHarness> MakeMyHarness() { return std::make_unique<MyHarness>(); }
//   INSTANTIATE_TEST_SUITE_P(My, MessageQueueContractTest, ::testing::Values(&MakeMyHarness));
//
// The test bodies live in message_queue_contract.cc (an alwayslink library).
#ifndef KIRIM_TESTS_QUEUE_MESSAGE_QUEUE_CONTRACT_H_
#define KIRIM_TESTS_QUEUE_MESSAGE_QUEUE_CONTRACT_H_

#include <memory>

#include "absl/status/status.h"
#include "gtest/gtest.h"
#include "server/queue/message_queue.h"

namespace kirim::testing {

// What a contract test configures on the queue under test.
struct QueueLimits {
  // Ready + leased + scheduled messages at which Enqueue refuses (0 = none).
  int64_t max_depth = 0;
  // Events retained per tenant (0 = the implementation's default).
  int64_t event_stream_max_len = 0;
};

class MessageQueueHarness {
 public:
  virtual ~MessageQueueHarness() = default;
  // Brings up the backend (once) and (re)creates the queue with `limits` over the same data.
  virtual absl::Status Start(const QueueLimits& limits) = 0;
  virtual MessageQueue& queue() = 0;
};

using MessageQueueHarnessFactory = std::unique_ptr<MessageQueueHarness> (*)();

class MessageQueueContractTest : public ::testing::TestWithParam<MessageQueueHarnessFactory> {
 protected:
  void SetUp() override {
    harness_ = GetParam()();
    ASSERT_TRUE(harness_->Start(QueueLimits{}).ok());
  }
  MessageQueue& queue() { return harness_->queue(); }

  std::unique_ptr<MessageQueueHarness> harness_;
};

}  // namespace kirim::testing

#endif  // KIRIM_TESTS_QUEUE_MESSAGE_QUEUE_CONTRACT_H_
