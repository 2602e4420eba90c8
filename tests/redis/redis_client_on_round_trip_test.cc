// Tests of RedisOptions::on_round_trip (server/redis/redis_client.h), the Redis latency hook,
// against a real redis-server: called once per Command, Pipeline and Eval (a script run), never
// for BlockingCommand (its wait is on purpose). Only counts are checked, never durations.
#include <memory>
#include <string>

#include "gtest/gtest.h"
#include "server/redis/redis_client.h"
#include "tests/harness/redis_server.h"

namespace kirim::redis {
namespace {

using ::kirim::testing::RedisServer;

constexpr char kScript[] = "return redis.call('INCRBY', KEYS[1], ARGV[1])";

class OnRoundTripTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(server_.Start().ok());
    client_ = NewClient();
  }

  std::unique_ptr<HiredisClient> NewClient() {
    RedisOptions o;
    o.port = server_.port();
    o.on_round_trip = [this](absl::Duration) { ++calls_; };
    return std::make_unique<HiredisClient>(o);
  }

  RedisServer server_;
  std::unique_ptr<HiredisClient> client_;
  int calls_ = 0;
};

TEST_F(OnRoundTripTest, OncePerCommand) {
  ASSERT_TRUE(client_->Command({"PING"}).ok());  // connecting included, still one
  EXPECT_EQ(calls_, 1);
  ASSERT_TRUE(client_->Command({"SET", "k", "v"}).ok());
  auto got = client_->Command({"GET", "k"});
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->str, "v");
  EXPECT_EQ(calls_, 3);
}

TEST_F(OnRoundTripTest, AnErrorReplyIsStillOneRoundTrip) {
  ASSERT_TRUE(client_->Command({"SET", "text", "abc"}).ok());
  calls_ = 0;
  EXPECT_EQ(client_->Command({"INCR", "text"}).status().code(), absl::StatusCode::kInternal);
  EXPECT_EQ(calls_, 1);
}

TEST_F(OnRoundTripTest, OncePerPipelineWhateverItsLength) {
  auto replies = client_->Pipeline(
      {{"SET", "a", "1"}, {"SET", "b", "2"}, {"INCR", "a"}, {"GET", "a"}, {"GET", "b"}});
  ASSERT_TRUE(replies.ok()) << replies.status();
  ASSERT_EQ(replies->size(), 5u);
  EXPECT_EQ((*replies)[3].str, "2");
  EXPECT_EQ(calls_, 1);
}

TEST_F(OnRoundTripTest, OncePerEvalOfALoadedScript) {
  ASSERT_TRUE(client_->Eval(kScript, {"n"}, {"1"}).ok());  // loads it
  calls_ = 0;
  auto v = client_->Eval(kScript, {"n"}, {"2"});
  ASSERT_TRUE(v.ok()) << v.status();
  EXPECT_EQ(v->integer, 3);
  EXPECT_EQ(calls_, 1);
}

// A script Redis does not have cached yet (first use, after a restart) runs as EVALSHA →
// NOSCRIPT → EVAL: still one script run, reported once.
TEST_F(OnRoundTripTest, OncePerEvalOfAScriptNotYetLoaded) {
  auto v = client_->Eval(kScript, {"n"}, {"5"});
  ASSERT_TRUE(v.ok()) << v.status();
  EXPECT_EQ(v->integer, 5);
  EXPECT_EQ(calls_, 1);
}

TEST_F(OnRoundTripTest, BlockingCommandIsNotARoundTrip) {
  ASSERT_TRUE(client_->Command({"XADD", "s", "*", "f", "v"}).ok());
  calls_ = 0;
  // An entry is already there, so the blocking read returns at once.
  auto v = client_->BlockingCommand({"XREAD", "COUNT", "1", "BLOCK", "10000", "STREAMS", "s", "0"},
                                    absl::Seconds(10));
  ASSERT_TRUE(v.ok()) << v.status();
  ASSERT_FALSE(v->is_nil());
  EXPECT_EQ(v->elements.size(), 1u);
  EXPECT_EQ(calls_, 0);
  // The next ordinary command is counted again.
  ASSERT_TRUE(client_->Command({"PING"}).ok());
  EXPECT_EQ(calls_, 1);
}

TEST_F(OnRoundTripTest, EachClientReportsItsOwnCalls) {
  int other_calls = 0;
  RedisOptions o;
  o.port = server_.port();
  o.on_round_trip = [&](absl::Duration) { ++other_calls; };
  HiredisClient other(o);
  ASSERT_TRUE(other.Command({"PING"}).ok());
  ASSERT_TRUE(client_->Command({"PING"}).ok());
  ASSERT_TRUE(client_->Command({"PING"}).ok());
  EXPECT_EQ(other_calls, 1);
  EXPECT_EQ(calls_, 2);
}

TEST_F(OnRoundTripTest, NoObserverIsFine) {
  RedisOptions o;
  o.port = server_.port();
  HiredisClient quiet(o);
  EXPECT_TRUE(quiet.Command({"PING"}).ok());
  EXPECT_TRUE(quiet.Eval(kScript, {"q"}, {"1"}).ok());
  EXPECT_EQ(calls_, 0);
}

}  // namespace
}  // namespace kirim::redis
