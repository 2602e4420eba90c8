// WatchEvents end to end: a real redis-server and real kirimd processes (api role, three queue
// shards, so cursors span several streams). Resuming from a cursor gives exactly the rest,
// across a kirimd restart; filters; tenants never see each other's events; a cancelled or
// refused watch frees its place promptly; stopping kirimd ends open watches.
#include <algorithm>
#include <map>
#include <set>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/e2e/e2e_util.h"
#include "tests/harness/kirimd_process.h"
#include "tests/harness/redis_server.h"

namespace kirim {
namespace {

using ::testing::ElementsAre;
using testing::KirimdProcess;
using testing::RedisServer;
using ::testing::UnorderedElementsAreArray;

// One open WatchEvents call (the stub must outlive the reader).
struct Watch {
  std::unique_ptr<v1::MailService::Stub> stub;
  grpc::ClientContext ctx;
  std::unique_ptr<grpc::ClientReader<v1::Event>> reader;

  // The next event, or nullopt when the stream ended.
  std::optional<v1::Event> Next() {
    v1::Event e;
    if (!reader->Read(&e)) return std::nullopt;
    return e;
  }
};

std::string Summary(const v1::Event& e) {
  return v1::Event::Type_Name(e.type()) + " " + e.message();
}

class EventsE2eTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(redis_.Start().ok()); }

  std::string Config(const std::string& extra = "") {
    return absl::StrCat("role: \"api\"\nredis { port: ", redis_.port(), " shards: 3 }\n", extra);
  }
  void StartKirimd(const std::string& extra = "") {
    absl::Status s = kirimd_.Start(Config(extra));
    ASSERT_TRUE(s.ok()) << s;
  }
  std::string Key(const std::string& tenant,
                  std::vector<v1::ApiKey::Scope> scopes = {v1::ApiKey::SEND, v1::ApiKey::READ}) {
    auto key = kirimd_.CreateKey(tenant, scopes);
    EXPECT_TRUE(key.ok()) << key.status();
    return key.ok() ? *key : "";
  }

  // Opens a watch and waits for its headers: from then on its starting position is fixed.
  std::unique_ptr<Watch> Open(const std::string& key, v1::WatchEventsRequest req = {}) {
    auto w = std::make_unique<Watch>();
    w->stub = kirimd_.MailStub();
    w->ctx.AddMetadata("authorization", "Bearer " + key);
    testing::SetDeadline(&w->ctx, absl::Seconds(60));
    w->reader = w->stub->WatchEvents(&w->ctx, req);
    w->reader->WaitForInitialMetadata();
    return w;
  }

  v1::SendEmailResponse Send(const std::string& key, const std::string& tag = "orders") {
    v1::SendEmailRequest r;
    r.set_from("shop@acme.example");
    r.add_to("ana@example.net");
    r.add_to("bo@example.org");
    r.set_subject("Order");
    r.set_text_body("Thanks");
    r.add_tags(tag);
    (*r.mutable_metadata())["order"] = "42";
    grpc::ClientContext ctx;
    kirimd_.Authorize(&ctx, key);
    v1::SendEmailResponse resp;
    grpc::Status s = kirimd_.MailStub()->SendEmail(&ctx, r, &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return resp;
  }

  void Cancel(const std::string& key, const std::string& name) {
    grpc::ClientContext ctx;
    kirimd_.Authorize(&ctx, key);
    v1::CancelMessageRequest r;
    r.set_name(name);
    v1::Message m;
    grpc::Status s = kirimd_.MailStub()->CancelMessage(&ctx, r, &m);
    EXPECT_TRUE(s.ok()) << s.error_message();
  }

  // Reads events until one matches `sentinel` (returned separately); everything before it.
  std::vector<std::string> ReadUntil(Watch& w, const std::string& sentinel) {
    std::vector<std::string> before;
    while (auto e = w.Next()) {
      if (Summary(*e) == sentinel) return before;
      before.push_back(Summary(*e));
    }
    ADD_FAILURE() << "the stream ended before " << sentinel
                  << " after: " << absl::StrJoin(before, "; ");
    return before;
  }

  RedisServer redis_;
  KirimdProcess kirimd_;
};

TEST_F(EventsE2eTest, ResumingFromACursorGivesExactlyTheRestEvenAfterARestart) {
  StartKirimd();
  const std::string key = Key("acme");
  auto watch = Open(key);
  std::vector<std::string> names;
  for (int i = 0; i < 6; ++i) names.push_back(Send(key).name());

  std::vector<v1::Event> first;
  for (int i = 0; i < 6; ++i) {
    auto e = watch->Next();
    ASSERT_TRUE(e.has_value()) << "stream ended after " << i << " events";
    EXPECT_EQ(e->type(), v1::Event::QUEUED);
    EXPECT_EQ(e->recipient(), "");
    EXPECT_THAT(e->tags(), ElementsAre("orders"));
    EXPECT_EQ(e->metadata().at("order"), "42");
    EXPECT_FALSE(e->cursor().empty());
    first.push_back(*e);
  }
  std::vector<std::string> queued;
  for (const auto& n : names) queued.push_back("QUEUED " + n);
  std::vector<std::string> seen;
  for (const auto& e : first) seen.push_back(Summary(e));
  EXPECT_THAT(seen, UnorderedElementsAreArray(queued)) << "each message once, nothing else";

  // The client goes away after the second event; more happens meanwhile; kirimd restarts.
  const std::string cursor = first[1].cursor();
  const size_t mark = kirimd_.process().LineCount();
  watch->ctx.TryCancel();
  ASSERT_TRUE(kirimd_.WaitForEvent("watch_ended", "", absl::Seconds(10), mark).ok());
  watch.reset();
  std::vector<std::string> later;
  for (int i = 0; i < 3; ++i) later.push_back("QUEUED " + Send(key).name());
  Cancel(key, names[0]);
  later.push_back("CANCELLED " + names[0]);
  kirimd_.Stop();
  StartKirimd();

  v1::WatchEventsRequest resume;
  resume.set_cursor(cursor);
  auto resumed = Open(key, resume);
  const std::string sentinel = "QUEUED " + Send(key).name();
  std::vector<std::string> rest = ReadUntil(*resumed, sentinel);
  // Exactly what the first watch delivered after the cursor, then what happened since: no
  // gap, no repeat. (Shards are merged by time, so only the set is fixed.)
  std::vector<std::string> want(seen.begin() + 2, seen.end());
  want.insert(want.end(), later.begin(), later.end());
  EXPECT_THAT(rest, UnorderedElementsAreArray(want)) << absl::StrJoin(rest, "; ");
}

TEST_F(EventsE2eTest, FiltersSelectEventsAndAnotherTenantsNeverAppear) {
  StartKirimd();
  const std::string acme = Key("acme");
  const std::string globex = Key("globex");
  v1::WatchEventsRequest by_tag, by_type, everything;
  by_tag.set_tag("orders");
  by_type.add_types(v1::Event::CANCELLED);
  auto tagged = Open(acme, by_tag);
  auto cancels = Open(acme, by_type);
  auto all_acme = Open(acme, everything);
  auto all_globex = Open(globex, everything);

  const std::string order = Send(acme, "orders").name();
  const std::string letter = Send(acme, "news").name();
  const std::string theirs = Send(globex, "orders").name();
  Cancel(acme, order);
  Cancel(acme, letter);
  // Sentinels that each watch's filter lets through.
  const std::string last = Send(acme, "orders").name();
  Cancel(acme, last);
  const std::string their_last = Send(globex, "orders").name();

  EXPECT_THAT(ReadUntil(*tagged, "CANCELLED " + last),
              ElementsAre("QUEUED " + order, "CANCELLED " + order, "QUEUED " + last));
  EXPECT_THAT(ReadUntil(*cancels, "CANCELLED " + last),
              ElementsAre("CANCELLED " + order, "CANCELLED " + letter));
  EXPECT_THAT(ReadUntil(*all_acme, "CANCELLED " + last),
              ElementsAre("QUEUED " + order, "QUEUED " + letter, "CANCELLED " + order,
                          "CANCELLED " + letter, "QUEUED " + last));
  EXPECT_THAT(ReadUntil(*all_globex, "QUEUED " + their_last), ElementsAre("QUEUED " + theirs));
}

TEST_F(EventsE2eTest, AMessageFilterReplaysOneMessageFromACursor) {
  StartKirimd();
  const std::string acme = Key("acme");
  auto watch = Open(acme);
  const std::string a = Send(acme).name();
  auto first = watch->Next();
  ASSERT_TRUE(first.has_value());
  const std::string b = Send(acme).name();
  Cancel(acme, a);
  Cancel(acme, b);
  const std::string done = Send(acme).name();
  ReadUntil(*watch, "QUEUED " + done);  // everything is in the log now

  // From before `b`: only b's two events, then nothing (the whole backlog is one read).
  v1::WatchEventsRequest only_b;
  only_b.set_message(b);
  only_b.set_cursor(first->cursor());
  const size_t mark = kirimd_.process().LineCount();
  auto replay = Open(acme, only_b);
  auto e1 = replay->Next();
  auto e2 = replay->Next();
  ASSERT_TRUE(e1.has_value() && e2.has_value());
  EXPECT_EQ(Summary(*e1), "QUEUED " + b);
  EXPECT_EQ(Summary(*e2), "CANCELLED " + b);
  replay->ctx.TryCancel();
  auto ended = kirimd_.WaitForEvent("watch_ended", "", absl::Seconds(10), mark);
  ASSERT_TRUE(ended.ok()) << ended.status();
  EXPECT_NE(ended->find("\"events\":\"2\""), std::string::npos) << *ended;
}

TEST_F(EventsE2eTest, BadWatchesAreRefusedLikeAnyCall) {
  StartKirimd();
  const std::string send_only = Key("acme", {v1::ApiKey::SEND});
  const std::string reader = Key("acme");
  auto status_of = [&](const std::string& key, v1::WatchEventsRequest req) {
    auto w = Open(key, std::move(req));
    EXPECT_FALSE(w->Next().has_value());
    return w->reader->Finish();
  };
  EXPECT_EQ(status_of("not-a-key", {}).error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(status_of(send_only, {}).error_code(), grpc::StatusCode::PERMISSION_DENIED);
  v1::WatchEventsRequest bad_cursor;
  bad_cursor.set_cursor("Zm9v");
  grpc::Status s = status_of(reader, bad_cursor);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(testing::BadRequestFields(s), std::vector<std::string>{"cursor"});
  v1::WatchEventsRequest bad_message;
  bad_message.set_message("messages/../x");
  EXPECT_EQ(testing::BadRequestFields(status_of(reader, bad_message)),
            std::vector<std::string>{"message"});
}

TEST_F(EventsE2eTest, ACancelledWatchFreesItsPlacePromptly) {
  StartKirimd("limits { max_event_streams: 2 }");
  const std::string key = Key("acme");
  auto a = Open(key);
  auto b = Open(key);
  auto c = Open(key);
  EXPECT_FALSE(c->Next().has_value());
  grpc::Status refused = c->reader->Finish();
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED) << refused.error_message();

  const size_t mark = kirimd_.process().LineCount();
  const absl::Time cancelled = absl::Now();
  a->ctx.TryCancel();
  ASSERT_TRUE(kirimd_.WaitForEvent("watch_ended", "", absl::Seconds(10), mark).ok());
  EXPECT_LT(absl::Now() - cancelled, absl::Seconds(3)) << "the stream outlived its client";
  auto d = Open(key);
  const std::string name = Send(key).name();
  auto e = d->Next();
  ASSERT_TRUE(e.has_value()) << d->reader->Finish().error_message();
  EXPECT_EQ(Summary(*e), "QUEUED " + name);
  auto also = b->Next();
  ASSERT_TRUE(also.has_value());
  EXPECT_EQ(Summary(*also), "QUEUED " + name);
}

TEST_F(EventsE2eTest, StoppingKirimdEndsOpenWatchesAtOnce) {
  StartKirimd();
  const std::string key = Key("acme");
  auto w = Open(key);
  // The client reads on, as a real one does: the end of the stream reaches it while kirimd stops.
  grpc::Status ended;
  std::thread client([&] {
    while (w->Next().has_value()) {
    }
    ended = w->reader->Finish();
  });
  const absl::Time start = absl::Now();
  EXPECT_EQ(kirimd_.Stop(), 0);
  EXPECT_LT(absl::Now() - start, absl::Seconds(4))
      << "an open watch held up shutdown:\n"
      << absl::StrJoin(kirimd_.process().Lines(), "\n");
  client.join();
  EXPECT_EQ(ended.error_code(), grpc::StatusCode::UNAVAILABLE) << ended.error_message();
}

}  // namespace
}  // namespace kirim
