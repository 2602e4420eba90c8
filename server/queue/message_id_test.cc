#include "server/queue/message_id.h"

#include <set>

#include "gtest/gtest.h"
#include "tests/common/fake_clock.h"
#include "tests/common/fake_random.h"

namespace kirim {
namespace {

TEST(MessageIdTest, IsValidAndSortsByTime) {
  testing::FakeClock clock;
  testing::FakeRandom random;
  std::string first = NewMessageId(clock, random);
  clock.Advance(absl::Milliseconds(1));
  std::string second = NewMessageId(clock, random);
  EXPECT_TRUE(IsValidMessageId(first)) << first;
  EXPECT_EQ(first.size(), 26u);
  EXPECT_LT(first, second);
}

TEST(MessageIdTest, EncodesTheTimestampInTheFirstTenCharacters) {
  // 1767323045000 ms: the ULID time prefix must be the same for any randomness.
  testing::FakeClock clock;
  testing::FakeRandom a(1), b(2);
  EXPECT_EQ(NewMessageId(clock, a).substr(0, 10), NewMessageId(clock, b).substr(0, 10));
  EXPECT_NE(NewMessageId(clock, a).substr(10), NewMessageId(clock, b).substr(10));
}

TEST(MessageIdTest, UniqueUnderTheSameMillisecond) {
  testing::FakeClock clock;
  testing::FakeRandom random;
  std::set<std::string> ids;
  for (int i = 0; i < 1000; ++i) ids.insert(NewMessageId(clock, random));
  EXPECT_EQ(ids.size(), 1000u);
}

TEST(MessageIdTest, ParsesNamesAndRejectsGarbage) {
  testing::FakeClock clock;
  testing::FakeRandom random;
  std::string id = NewMessageId(clock, random);
  EXPECT_EQ(*ParseMessageName("messages/" + id), id);
  EXPECT_EQ(*ParseMessageName(id), id);
  EXPECT_FALSE(ParseMessageName("messages/").ok());
  EXPECT_FALSE(ParseMessageName("messages/../../etc").ok());
  EXPECT_FALSE(ParseMessageName(id + "X").ok());
  EXPECT_FALSE(ParseMessageName("domains/" + id).ok());
  std::string lower = id;
  lower[12] = 'u';  // 'U' and 'u' are not in the Crockford alphabet
  EXPECT_FALSE(IsValidMessageId(lower));
}

TEST(MessageIdTest, ThePickedShardSelectorIsInTheIdAndTheRestStaysRandom) {
  testing::FakeClock clock;
  testing::FakeRandom random;
  for (int sel : {0, 1, 31, 32, 513, 1023}) {
    std::string id = NewMessageId(clock, random, sel);
    EXPECT_TRUE(IsValidMessageId(id)) << id;
    EXPECT_EQ(ShardSelectorOf(id), sel) << id;
  }
  // Same time, same selector: still distinct ids (70 random bits remain).
  std::set<std::string> ids;
  for (int i = 0; i < 1000; ++i) ids.insert(NewMessageId(clock, random, 7));
  EXPECT_EQ(ids.size(), 1000u);
  // Without a pick the selector is the id's own random tail, spread over every value.
  std::set<int> seen;
  for (int i = 0; i < 20000; ++i) seen.insert(ShardSelectorOf(NewMessageId(clock, random)));
  EXPECT_GT(seen.size(), 1000u);
}

TEST(MessageIdTest, ShardSelectorsAreFixedFunctions) {
  // Pinned values: every process (and every release) must map ids and keys to the same shard.
  EXPECT_EQ(ShardSelectorOf("01KB5Z3Q8R0000000000000000"), 0);
  EXPECT_EQ(ShardSelectorOf("01KB5Z3Q8R00000000000000ZZ"), 1023);
  EXPECT_EQ(ShardSelectorOf("01KB5Z3Q8R00000000000000A1"), 10 * 32 + 1);
  EXPECT_EQ(ShardSelectorForKey("acme", "order-42"), 492);  // FNV-1a("acme\0order-42") % 1024
  EXPECT_NE(ShardSelectorForKey("acme", "order-42"), ShardSelectorForKey("acme", "order-43"));
  EXPECT_NE(ShardSelectorForKey("ab", "c"), ShardSelectorForKey("a", "bc"));
  const int sel = ShardSelectorForKey("acme", "order-42");
  EXPECT_GE(sel, 0);
  EXPECT_LT(sel, kShardSelectors);
  // Not an id: a stable hash, still in range.
  EXPECT_EQ(ShardSelectorOf("A1"), ShardSelectorOf("A1"));
  EXPECT_LT(ShardSelectorOf("messages/../x"), kShardSelectors);
}

}  // namespace
}  // namespace kirim
