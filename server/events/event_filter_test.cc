#include "server/events/event_filter.h"

#include "google/rpc/error_details.pb.h"
#include "gtest/gtest.h"

namespace kirim {
namespace {

constexpr char kId[] = "01KB5Z3Q8R0000000000000000";
constexpr char kOther[] = "01KB5Z3Q8R0000000000000001";

v1::Event Ev(v1::Event::Type type, const std::string& id, std::vector<std::string> tags = {}) {
  v1::Event e;
  e.set_type(type);
  e.set_message("messages/" + id);
  for (auto& t : tags) e.add_tags(t);
  return e;
}

TEST(EventFilterTest, AnEmptyRequestMatchesEveryRealEvent) {
  auto f = EventFilter::FromRequest(v1::WatchEventsRequest());
  ASSERT_TRUE(f.ok());
  EXPECT_TRUE(f->Matches(Ev(v1::Event::QUEUED, kId)));
  EXPECT_TRUE(f->Matches(Ev(v1::Event::BOUNCED, kOther, {"x"})));
  EXPECT_FALSE(f->Matches(v1::Event())) << "placeholders of unreadable entries are never sent";
}

TEST(EventFilterTest, TypesTagAndMessageAllHaveToMatch) {
  v1::WatchEventsRequest r;
  r.add_types(v1::Event::DELIVERED);
  r.add_types(v1::Event::BOUNCED);
  r.set_tag("orders");
  r.set_message(kId);  // a bare id is accepted too
  auto f = EventFilter::FromRequest(r);
  ASSERT_TRUE(f.ok()) << f.status();
  EXPECT_TRUE(f->Matches(Ev(v1::Event::DELIVERED, kId, {"news", "orders"})));
  EXPECT_TRUE(f->Matches(Ev(v1::Event::BOUNCED, kId, {"orders"})));
  EXPECT_FALSE(f->Matches(Ev(v1::Event::QUEUED, kId, {"orders"})));
  EXPECT_FALSE(f->Matches(Ev(v1::Event::DELIVERED, kId, {"news"})));
  EXPECT_FALSE(f->Matches(Ev(v1::Event::DELIVERED, kId)));
  EXPECT_FALSE(f->Matches(Ev(v1::Event::DELIVERED, kOther, {"orders"})));
}

TEST(EventFilterTest, BadFiltersAreRefusedNamingEachField) {
  v1::WatchEventsRequest r;
  r.add_types(v1::Event::QUEUED);
  r.add_types(v1::Event::TYPE_UNSPECIFIED);
  r.add_types(static_cast<v1::Event::Type>(99));
  r.set_message("messages/../../etc");
  auto f = EventFilter::FromRequest(r);
  ASSERT_EQ(f.status().code(), absl::StatusCode::kInvalidArgument);
  auto payload = f.status().GetPayload("type.googleapis.com/google.rpc.BadRequest");
  ASSERT_TRUE(payload.has_value());
  google::rpc::BadRequest bad;
  ASSERT_TRUE(bad.ParseFromString(std::string(*payload)));
  ASSERT_EQ(bad.field_violations_size(), 3);
  EXPECT_EQ(bad.field_violations(0).field(), "types[1]");
  EXPECT_EQ(bad.field_violations(1).field(), "types[2]");
  EXPECT_EQ(bad.field_violations(2).field(), "message");
}

}  // namespace
}  // namespace kirim
