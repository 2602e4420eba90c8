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

}  // namespace
}  // namespace kirim
