// FakeMessageQueue against the MessageQueue contract, so tests that use it test real behaviour.
#include "tests/queue/fake_message_queue.h"

#include "tests/common/fake_clock.h"
#include "tests/common/fake_random.h"
#include "tests/queue/message_queue_contract.h"

namespace kirim::testing {
namespace {

class FakeHarness final : public MessageQueueHarness {
 public:
  absl::Status Start(const QueueLimits& limits) override {
    queue_.set_max_depth(limits.max_depth);
    queue_.set_event_stream_max_len(static_cast<size_t>(limits.event_stream_max_len));
    return absl::OkStatus();
  }
  MessageQueue& queue() override { return queue_; }

 private:
  FakeClock clock_;
  FakeMessageQueue queue_{&clock_};
};

std::unique_ptr<MessageQueueHarness> MakeFakeHarness() { return std::make_unique<FakeHarness>(); }

INSTANTIATE_TEST_SUITE_P(Fake, MessageQueueContractTest, ::testing::Values(&MakeFakeHarness));

TEST(FakeMessageQueueTest, IdempotencyClaimsExpireWithTheWindow) {
  FakeClock clock;
  FakeMessageQueue queue(&clock);
  StoredMessage r;
  r.set_tenant("t1");
  FakeRandom random;
  r.mutable_message()->set_id(NewMessageId(clock, random, ShardSelectorForKey("t1", "k")));
  ASSERT_TRUE(
      queue.EnqueueIdempotent(r, Lane::kBulk, std::nullopt, {"k", "h", absl::Hours(24)}).ok());
  clock.Advance(absl::Hours(24) - absl::Milliseconds(1));
  EXPECT_TRUE(queue.FindIdempotencyKey("t1", "k")->has_value());
  clock.Advance(absl::Milliseconds(1));
  EXPECT_FALSE(queue.FindIdempotencyKey("t1", "k")->has_value());
}

TEST(FakeMessageQueueTest, UnavailableFailsEveryCall) {
  FakeMessageQueue queue;
  queue.set_unavailable(true);
  EXPECT_EQ(queue.ReadEvents("t1", "", 1, absl::ZeroDuration()).status().code(),
            absl::StatusCode::kUnavailable);
  EXPECT_EQ(queue.LatestEventCursor("t1").status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(queue.FindIdempotencyKey("t1", "k").status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(queue.Cancel("t1", "x", nullptr).status().code(), absl::StatusCode::kUnavailable);
}

}  // namespace
}  // namespace kirim::testing
