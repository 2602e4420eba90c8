// `kirimctl watch` over mock stubs: the order that makes watching one message race-free (the
// stream opens, then GetMessage), the end when the message is final (exit 0 or 6), the filters
// that only decide what is printed, NDJSON, and a stream that ends early. The same against a
// real kirimd is tests/ctl/kirimctl_e2e_test.cc.
#include "client/ctl/watch_command.h"

#include <sstream>

#include "absl/flags/flag.h"
#include "absl/flags/reflection.h"
#include "client/ctl/exit_codes.h"
#include "gmock/gmock.h"
#include "google/protobuf/util/json_util.h"
#include "grpcpp/test/mock_stream.h"
#include "gtest/gtest.h"
#include "kirim/v1/admin_service_mock.grpc.pb.h"
#include "kirim/v1/domain_service_mock.grpc.pb.h"
#include "kirim/v1/mail_service_mock.grpc.pb.h"

ABSL_DECLARE_FLAG(std::vector<std::string>, types);
ABSL_DECLARE_FLAG(std::string, tag);

namespace kirim::ctl {
namespace {

using ::testing::_;
using ::testing::DoAll;
using ::testing::HasSubstr;
using ::testing::InSequence;
using ::testing::Return;
using ::testing::SetArgPointee;

v1::Message Msg(v1::MessageState state, std::vector<std::pair<std::string, v1::RecipientState>> rcpts) {
  v1::Message m;
  m.set_id("01KB5Z3Q8R6W9ZP0J4T2YV3N1M");
  m.set_name("messages/01KB5Z3Q8R6W9ZP0J4T2YV3N1M");
  m.set_state(state);
  for (const auto& [address, s] : rcpts) {
    auto* r = m.add_recipients();
    r->set_address(address);
    r->set_state(s);
  }
  return m;
}

v1::Event Ev(v1::Event::Type type, const std::string& recipient, int code = 0) {
  v1::Event e;
  e.set_type(type);
  e.set_message("messages/01KB5Z3Q8R6W9ZP0J4T2YV3N1M");
  e.set_recipient(recipient);
  e.mutable_time()->set_seconds(1767323045);
  e.set_cursor("c-" + std::to_string(type));
  if (code != 0) {
    e.mutable_reply()->set_code(code);
    e.mutable_reply()->set_enhanced_code(code >= 500 ? "5.1.1" : "2.0.0");
    e.mutable_reply()->set_text(code >= 500 ? "No such user" : "Ok");
  }
  return e;
}

class WatchTest : public ::testing::Test {
 protected:
  WatchTest() {
    auto mail = std::make_unique<v1::MockMailServiceStub>();
    mail_ = mail.get();
    connection_ = std::make_unique<Connection>("kirim_test", absl::Seconds(5), std::move(mail),
                                               std::make_unique<v1::MockAdminServiceStub>(),
                                               std::make_unique<v1::MockDomainServiceStub>());
  }

  // The stream the next WatchEvents returns (owned by the command once returned).
  grpc::testing::MockClientReader<v1::Event>* ExpectStream(v1::WatchEventsRequest* seen) {
    auto* reader = new grpc::testing::MockClientReader<v1::Event>();
    EXPECT_CALL(*mail_, WatchEventsRaw(_, _))
        .WillOnce([reader, seen](grpc::ClientContext*, const v1::WatchEventsRequest& r) {
          *seen = r;
          return reader;
        });
    return reader;
  }

  int Run(std::vector<std::string> args) {
    settings_.output = json_ ? OutputFormat::kJson : OutputFormat::kTable;
    const Invocation in{command_, args, settings_, *connection_, out_, err_};
    return command_.run(in);
  }

  absl::FlagSaver saver_;
  Command command_ = WatchCommand();
  Settings settings_;
  bool json_ = false;
  v1::MockMailServiceStub* mail_;
  std::unique_ptr<Connection> connection_;
  std::ostringstream out_, err_;
};

TEST_F(WatchTest, TheMessageIsReadOnlyAfterTheStreamHasOpened) {
  InSequence order;
  v1::WatchEventsRequest seen;
  auto* reader = ExpectStream(&seen);
  EXPECT_CALL(*reader, WaitForInitialMetadata());
  // Already delivered when read: done, without reading the stream.
  EXPECT_CALL(*mail_, GetMessage(_, _, _))
      .WillOnce(DoAll(SetArgPointee<2>(Msg(v1::DELIVERED, {{"a@x.test", v1::RECIPIENT_DELIVERED}})),
                      Return(grpc::Status::OK)));
  EXPECT_CALL(*reader, Finish()).WillOnce(Return(grpc::Status(grpc::StatusCode::CANCELLED, "")));
  EXPECT_CALL(*reader, Read(_)).Times(0);
  EXPECT_EQ(Run({"01KB5Z3Q8R6W9ZP0J4T2YV3N1M"}), kExitOk);
  EXPECT_EQ(seen.message(), "messages/01KB5Z3Q8R6W9ZP0J4T2YV3N1M");
  EXPECT_EQ(seen.cursor(), "");  // from now
  EXPECT_EQ(err_.str(), "message 01KB5Z3Q8R6W9ZP0J4T2YV3N1M DELIVERED\n");
}

TEST_F(WatchTest, AlreadyCancelledIsNotDelivered) {
  v1::WatchEventsRequest seen;
  auto* reader = ExpectStream(&seen);
  EXPECT_CALL(*reader, WaitForInitialMetadata());
  EXPECT_CALL(*mail_, GetMessage(_, _, _))
      .WillOnce(DoAll(SetArgPointee<2>(Msg(v1::CANCELLED, {{"a@x.test", v1::RECIPIENT_CANCELLED}})),
                      Return(grpc::Status::OK)));
  EXPECT_CALL(*reader, Finish()).WillOnce(Return(grpc::Status::OK));
  EXPECT_EQ(Run({"01KB5Z3Q8R6W9ZP0J4T2YV3N1M"}), kExitNotDelivered);
}

TEST_F(WatchTest, EndsWhenEveryOpenRecipientHadItsFinalEventAndTheMessageIsFinal) {
  InSequence order;
  v1::WatchEventsRequest seen;
  auto* reader = ExpectStream(&seen);
  EXPECT_CALL(*reader, WaitForInitialMetadata());
  EXPECT_CALL(*mail_, GetMessage(_, _, _))
      .WillOnce(DoAll(SetArgPointee<2>(Msg(v1::QUEUED, {{"a@x.test", v1::RECIPIENT_PENDING},
                                                        {"b@x.test", v1::RECIPIENT_PENDING}})),
                      Return(grpc::Status::OK)));
  EXPECT_CALL(*reader, Read(_))
      .WillOnce(DoAll(SetArgPointee<0>(Ev(v1::Event::DEFERRED, "a@x.test", 451)), Return(true)))
      .WillOnce(DoAll(SetArgPointee<0>(Ev(v1::Event::DELIVERED, "a@x.test", 250)), Return(true)))
      .WillOnce(DoAll(SetArgPointee<0>(Ev(v1::Event::BOUNCED, "b@x.test", 550)), Return(true)));
  // Read again only once both recipients are settled.
  EXPECT_CALL(*mail_, GetMessage(_, _, _))
      .WillOnce(DoAll(SetArgPointee<2>(Msg(v1::PARTIALLY_DELIVERED,
                                           {{"a@x.test", v1::RECIPIENT_DELIVERED},
                                            {"b@x.test", v1::RECIPIENT_BOUNCED}})),
                      Return(grpc::Status::OK)));
  EXPECT_CALL(*reader, Finish()).WillOnce(Return(grpc::Status(grpc::StatusCode::CANCELLED, "")));
  EXPECT_EQ(Run({"01KB5Z3Q8R6W9ZP0J4T2YV3N1M"}), kExitNotDelivered);
  EXPECT_EQ(out_.str(),
            "TIME                       TYPE        MESSAGE                     RECIPIENT                     REPLY\n"
            "2026-01-02T03:04:05+00:00  DEFERRED    01KB5Z3Q8R6W9ZP0J4T2YV3N1M  a@x.test                      451 2.0.0 Ok\n"
            "2026-01-02T03:04:05+00:00  DELIVERED   01KB5Z3Q8R6W9ZP0J4T2YV3N1M  a@x.test                      250 2.0.0 Ok\n"
            "2026-01-02T03:04:05+00:00  BOUNCED     01KB5Z3Q8R6W9ZP0J4T2YV3N1M  b@x.test                      550 5.1.1 No such user\n");
  EXPECT_EQ(err_.str(), "message 01KB5Z3Q8R6W9ZP0J4T2YV3N1M PARTIALLY_DELIVERED\n");
}

TEST_F(WatchTest, TypeAndTagFiltersOnlyDecideWhatIsPrintedForOneMessage) {
  absl::SetFlag(&FLAGS_types, {"bounced"});
  json_ = true;
  v1::WatchEventsRequest seen;
  auto* reader = ExpectStream(&seen);
  EXPECT_CALL(*reader, WaitForInitialMetadata());
  EXPECT_CALL(*mail_, GetMessage(_, _, _))
      .WillOnce(DoAll(SetArgPointee<2>(Msg(v1::DEFERRED, {{"b@x.test", v1::RECIPIENT_DEFERRED}})),
                      Return(grpc::Status::OK)))
      .WillOnce(DoAll(SetArgPointee<2>(Msg(v1::FAILED, {{"b@x.test", v1::RECIPIENT_BOUNCED}})),
                      Return(grpc::Status::OK)));
  EXPECT_CALL(*reader, Read(_))
      .WillOnce(DoAll(SetArgPointee<0>(Ev(v1::Event::DEFERRED, "b@x.test", 451)), Return(true)))
      .WillOnce(DoAll(SetArgPointee<0>(Ev(v1::Event::BOUNCED, "b@x.test", 550)), Return(true)));
  EXPECT_CALL(*reader, Finish()).WillOnce(Return(grpc::Status::OK));
  EXPECT_EQ(Run({"messages/01KB5Z3Q8R6W9ZP0J4T2YV3N1M"}), kExitNotDelivered);
  EXPECT_EQ(seen.types_size(), 0);  // the server must still send the final events
  // One NDJSON line: the bounce.
  const std::string out = out_.str();
  ASSERT_EQ(std::count(out.begin(), out.end(), '\n'), 1) << out;
  v1::Event parsed;
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(out.substr(0, out.size() - 1), &parsed).ok())
      << out;
  EXPECT_EQ(parsed.type(), v1::Event::BOUNCED);
  EXPECT_EQ(parsed.reply().code(), 550);
}

TEST_F(WatchTest, AStreamThatEndsBeforeTheMessageIsFinalIsUnreachable) {
  v1::WatchEventsRequest seen;
  auto* reader = ExpectStream(&seen);
  EXPECT_CALL(*reader, WaitForInitialMetadata());
  EXPECT_CALL(*mail_, GetMessage(_, _, _))
      .WillOnce(DoAll(SetArgPointee<2>(Msg(v1::QUEUED, {{"a@x.test", v1::RECIPIENT_PENDING}})),
                      Return(grpc::Status::OK)));
  EXPECT_CALL(*reader, Read(_)).WillOnce(Return(false));
  EXPECT_CALL(*reader, Finish())
      .WillOnce(Return(grpc::Status(grpc::StatusCode::UNAVAILABLE, "kirimd is shutting down")));
  EXPECT_EQ(Run({"01KB5Z3Q8R6W9ZP0J4T2YV3N1M"}), kExitUnreachable);
  EXPECT_THAT(err_.str(), HasSubstr("UNAVAILABLE: kirimd is shutting down"));
}

TEST_F(WatchTest, AnUnknownMessageIsRefused) {
  v1::WatchEventsRequest seen;
  auto* reader = ExpectStream(&seen);
  EXPECT_CALL(*reader, WaitForInitialMetadata());
  EXPECT_CALL(*mail_, GetMessage(_, _, _))
      .WillOnce(Return(grpc::Status(grpc::StatusCode::NOT_FOUND, "message not found")));
  EXPECT_CALL(*reader, Finish()).WillOnce(Return(grpc::Status::OK));
  EXPECT_EQ(Run({"01KB5Z3Q8R6W9ZP0J4T2YV3N1M"}), kExitRefused);
  EXPECT_THAT(err_.str(), HasSubstr("NOT_FOUND"));
}

TEST_F(WatchTest, TheWholeStreamTakesTheServerSideFiltersAndStopsAfterCount) {
  absl::SetFlag(&FLAGS_types, {"delivered", "BOUNCED"});
  absl::SetFlag(&FLAGS_tag, "campaign-7");
  absl::SetFlag(&FLAGS_count, 2);
  v1::WatchEventsRequest seen;
  auto* reader = ExpectStream(&seen);
  EXPECT_CALL(*reader, WaitForInitialMetadata());
  EXPECT_CALL(*mail_, GetMessage(_, _, _)).Times(0);
  EXPECT_CALL(*reader, Read(_))
      .WillOnce(DoAll(SetArgPointee<0>(Ev(v1::Event::DELIVERED, "a@x.test", 250)), Return(true)))
      .WillOnce(DoAll(SetArgPointee<0>(Ev(v1::Event::BOUNCED, "b@x.test", 550)), Return(true)));
  EXPECT_CALL(*reader, Finish()).WillOnce(Return(grpc::Status(grpc::StatusCode::CANCELLED, "")));
  EXPECT_EQ(Run({}), kExitOk);
  EXPECT_EQ(seen.tag(), "campaign-7");
  ASSERT_EQ(seen.types_size(), 2);
  EXPECT_EQ(seen.message(), "");
  const std::string out = out_.str();
  EXPECT_EQ(std::count(out.begin(), out.end(), '\n'), 3);  // header + 2
}

TEST_F(WatchTest, UsageErrors) {
  EXPECT_EQ(Run({"a", "b"}), kExitUsage);
  absl::SetFlag(&FLAGS_types, {"opened"});
  EXPECT_EQ(Run({}), kExitUsage);
  EXPECT_THAT(err_.str(), HasSubstr("unknown event type \"opened\""));
  absl::SetFlag(&FLAGS_types, {});
  absl::SetFlag(&FLAGS_count, 3);
  EXPECT_EQ(Run({"01KB5Z3Q8R6W9ZP0J4T2YV3N1M"}), kExitUsage);
}

TEST(MessageTrackerTest, AsksAgainOnlyWhenEveryOpenRecipientIsSettled) {
  MessageTracker t(Msg(v1::DEFERRED, {{"a@x.test", v1::RECIPIENT_DELIVERED},
                                      {"b@x.test", v1::RECIPIENT_DEFERRED},
                                      {"c@x.test", v1::RECIPIENT_PENDING}}));
  EXPECT_FALSE(t.final());
  EXPECT_FALSE(t.OnEvent(Ev(v1::Event::DELIVERED, "a@x.test")));  // settled before
  EXPECT_FALSE(t.OnEvent(Ev(v1::Event::DEFERRED, "b@x.test")));
  EXPECT_FALSE(t.OnEvent(Ev(v1::Event::DELAYED, "")));
  EXPECT_FALSE(t.OnEvent(Ev(v1::Event::EXPIRED, "b@x.test")));
  EXPECT_TRUE(t.OnEvent(Ev(v1::Event::BOUNCED, "c@x.test")));
  EXPECT_TRUE(t.Update(Msg(v1::FAILED, {})));
}

TEST(MessageTrackerTest, CancelledSettlesEverything) {
  MessageTracker t(Msg(v1::QUEUED, {{"a@x.test", v1::RECIPIENT_PENDING}}));
  EXPECT_TRUE(t.OnEvent(Ev(v1::Event::CANCELLED, "")));
}

TEST(MessageTrackerTest, NotFinalAfterAllStartsOver) {
  MessageTracker t(Msg(v1::QUEUED, {{"a@x.test", v1::RECIPIENT_PENDING}}));
  EXPECT_TRUE(t.OnEvent(Ev(v1::Event::DELIVERED, "a@x.test")));
  EXPECT_FALSE(t.Update(Msg(v1::SENDING, {{"a@x.test", v1::RECIPIENT_PENDING}})));
  EXPECT_TRUE(t.OnEvent(Ev(v1::Event::DELIVERED, "a@x.test")));
}

TEST(FinalStateTest, OnlyDeliveredIsSuccess) {
  EXPECT_EQ(ExitCodeForFinalState(v1::DELIVERED), kExitOk);
  for (v1::MessageState s : {v1::FAILED, v1::PARTIALLY_DELIVERED, v1::CANCELLED}) {
    EXPECT_TRUE(IsFinalState(s));
    EXPECT_EQ(ExitCodeForFinalState(s), kExitNotDelivered);
  }
  for (v1::MessageState s : {v1::QUEUED, v1::SENDING, v1::DEFERRED, v1::MESSAGE_STATE_UNSPECIFIED}) {
    EXPECT_FALSE(IsFinalState(s));
  }
}

}  // namespace
}  // namespace kirim::ctl
