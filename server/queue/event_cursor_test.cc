#include "server/queue/event_cursor.h"

#include "absl/strings/escaping.h"
#include "gtest/gtest.h"

namespace kirim {
namespace {

TEST(EventCursorTest, RoundTripsEveryShardsPosition) {
  EventPositions p = {StreamId{1767323045000, 3}, StreamId{}, StreamId{1767323045001, 0}};
  std::string cursor = EncodeEventCursor(p);
  EXPECT_EQ(
      cursor.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"),
      std::string::npos)
      << "URL- and header-safe: " << cursor;
  std::string plain;
  ASSERT_TRUE(absl::WebSafeBase64Unescape(cursor, &plain));
  EXPECT_EQ(plain, "0:1767323045000-3,1:0-0,2:1767323045001-0");
  absl::StatusOr<EventPositions> back = DecodeEventCursor(cursor, 3);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(*back, p);
}

TEST(EventCursorTest, RefusesCursorsOfAnotherShapeNamingTheField) {
  const std::string two = EncodeEventCursor({StreamId{1, 0}, StreamId{2, 0}});
  for (const std::string& bad : {std::string("not base64!"), two /* 2 shards, 3 expected */,
                                 absl::WebSafeBase64Escape("0:1-0,0:2-0,1:3-0"),
                                 absl::WebSafeBase64Escape("0:1-0,1:x-0,2:1-0"),
                                 absl::WebSafeBase64Escape("0:1-0,1:1-0,3:1-0"),
                                 absl::WebSafeBase64Escape("0:1,1:1-0,2:1-0"),
                                 absl::WebSafeBase64Escape("0:-1-0,1:1-0,2:1-0"), std::string()}) {
    absl::StatusOr<EventPositions> p = DecodeEventCursor(bad, 3);
    ASSERT_FALSE(p.ok()) << bad;
    EXPECT_EQ(p.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_EQ(p.status().message().substr(0, 7), "cursor:");
  }
  EXPECT_TRUE(DecodeEventCursor(two, 2).ok());
}

TEST(EventCursorTest, StreamIdsOrderLikeRedis) {
  EXPECT_LT(*StreamId::Parse("5-9"), *StreamId::Parse("6-0"));
  EXPECT_LT(*StreamId::Parse("6-0"), *StreamId::Parse("6-1"));
  EXPECT_FALSE(StreamId::Parse("6").ok());
  EXPECT_FALSE(StreamId::Parse("+6-1").ok());
  EXPECT_EQ(StreamId::Parse("1767323045000-12")->ToString(), "1767323045000-12");
}

}  // namespace
}  // namespace kirim
