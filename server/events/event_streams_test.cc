// EventStreams behind a real in-process gRPC server (loopback, port 0) with a scripted source:
// ordering, prompt cleanup when a client cancels, the stream limit, bounded read-ahead for a
// client that does not read, errors, and shutdown.
#include "server/events/event_streams.h"

#include <atomic>
#include <cstdio>
#include <deque>

#include "absl/synchronization/mutex.h"
#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "kirim/v1/mail_service.grpc.pb.h"
#include "tests/common/fake_clock.h"

namespace kirim {
namespace {

// Events the test pushes; a read waits (up to its block) for one. Counts the reads.
class ScriptedSource {
 public:
  void Push(v1::Event e) {
    absl::MutexLock lock(&mu_);
    pending_.push_back(std::move(e));
  }
  void FailNext(absl::Status s) {
    absl::MutexLock lock(&mu_);
    fail_ = std::move(s);
  }
  // Every read returns one fresh event of `bytes` bytes at once (an endless, fast log).
  void set_endless(size_t bytes) {
    absl::MutexLock lock(&mu_);
    endless_ = bytes;
  }
  int reads() {
    absl::MutexLock lock(&mu_);
    return reads_;
  }
  bool AwaitReads(int n, absl::Duration timeout) {
    absl::MutexLock lock(&mu_);
    auto reached = [this, n]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return reads_ >= n; };
    return mu_.AwaitWithTimeout(absl::Condition(&reached), timeout);
  }

  absl::StatusOr<std::vector<v1::Event>> Read(int max, absl::Duration block) {
    absl::MutexLock lock(&mu_);
    ++reads_;
    if (endless_ > 0) {
      v1::Event e;
      e.set_type(v1::Event::QUEUED);
      e.set_message(std::string(endless_, 'x'));
      return std::vector<v1::Event>{e};
    }
    auto ready = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
      return !pending_.empty() || !fail_.ok();
    };
    mu_.AwaitWithTimeout(absl::Condition(&ready), block);
    if (pending_.empty() && !fail_.ok()) return fail_;
    std::vector<v1::Event> out;
    while (!pending_.empty() && static_cast<int>(out.size()) < max) {
      out.push_back(pending_.front());
      pending_.pop_front();
    }
    return out;
  }

 private:
  absl::Mutex mu_;
  std::deque<v1::Event> pending_ ABSL_GUARDED_BY(mu_);
  absl::Status fail_ ABSL_GUARDED_BY(mu_);
  size_t endless_ ABSL_GUARDED_BY(mu_) = 0;
  int reads_ ABSL_GUARDED_BY(mu_) = 0;
};

class WatchOnlyService final : public v1::MailService::CallbackService {
 public:
  WatchOnlyService(EventStreams& streams, ScriptedSource& source)
      : streams_(streams), source_(source) {}
  grpc::ServerWriteReactor<v1::Event>* WatchEvents(grpc::CallbackServerContext*,
                                                   const v1::WatchEventsRequest*) override {
    ScriptedSource* source = &source_;
    return streams_.Open(
        "t1", [source](int max, absl::Duration block) { return source->Read(max, block); });
  }

 private:
  EventStreams& streams_;
  ScriptedSource& source_;
};

v1::Event Numbered(int i) {
  v1::Event e;
  e.set_type(v1::Event::QUEUED);
  e.set_message("messages/" + std::to_string(i));
  return e;
}

class EventStreamsTest : public ::testing::Test {
 protected:
  EventStreamsTest()
      : null_(std::fopen("/dev/null", "w")), logger_(clock_, LogLevel::kDebug, null_) {}
  ~EventStreamsTest() override {
    if (streams_ != nullptr) streams_->Shutdown();
    if (server_ != nullptr) server_->Shutdown(absl::ToChronoTime(absl::Now() + absl::Seconds(2)));
    server_.reset();
    streams_.reset();
    std::fclose(null_);
  }

  void StartServer(EventStreamOptions options) {
    streams_ = std::make_unique<EventStreams>(logger_, options);
    service_ = std::make_unique<WatchOnlyService>(*streams_, source_);
    grpc::ServerBuilder builder;
    int port = 0;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
    builder.RegisterService(service_.get());
    server_ = builder.BuildAndStart();
    ASSERT_NE(server_, nullptr);
    grpc::ChannelArguments args;
    args.SetMaxReceiveMessageSize(64 * 1024 * 1024);
    stub_ = v1::MailService::NewStub(grpc::CreateCustomChannel(
        "127.0.0.1:" + std::to_string(port), grpc::InsecureChannelCredentials(), args));
  }

  // An open stream: its headers have arrived, so the server side is running.
  struct Watch {
    grpc::ClientContext ctx;
    std::unique_ptr<grpc::ClientReader<v1::Event>> reader;
  };
  std::unique_ptr<Watch> Open() {
    auto w = std::make_unique<Watch>();
    w->ctx.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(30)));
    w->reader = stub_->WatchEvents(&w->ctx, v1::WatchEventsRequest());
    w->reader->WaitForInitialMetadata();
    return w;
  }

  testing::FakeClock clock_;
  FILE* null_;
  Logger logger_;
  ScriptedSource source_;
  std::unique_ptr<EventStreams> streams_;
  std::unique_ptr<WatchOnlyService> service_;
  std::unique_ptr<grpc::Server> server_;
  std::unique_ptr<v1::MailService::Stub> stub_;
};

TEST_F(EventStreamsTest, StreamsEventsInOrder) {
  StartServer({.max_streams = 4, .buffer = 8, .poll = absl::Milliseconds(50)});
  auto w = Open();
  for (int i = 0; i < 20; ++i) source_.Push(Numbered(i));
  for (int i = 0; i < 20; ++i) {
    v1::Event e;
    ASSERT_TRUE(w->reader->Read(&e)) << i;
    EXPECT_EQ(e.message(), "messages/" + std::to_string(i));
  }
  EXPECT_EQ(streams_->active(), 1);
}

TEST_F(EventStreamsTest, ACancellingClientFreesItsStreamPromptly) {
  StartServer({.max_streams = 4, .buffer = 8, .poll = absl::Milliseconds(100)});
  auto w = Open();
  source_.Push(Numbered(1));
  v1::Event e;
  ASSERT_TRUE(w->reader->Read(&e));
  const absl::Time cancelled = absl::Now();
  w->ctx.TryCancel();
  ASSERT_TRUE(streams_->AwaitIdle(absl::Seconds(10))) << "the stream outlived its client";
  EXPECT_LT(absl::Now() - cancelled, absl::Seconds(3));
  // Its reader thread stopped reading too.
  const int reads = source_.reads();
  EXPECT_FALSE(source_.AwaitReads(reads + 1, absl::Milliseconds(300)));
}

TEST_F(EventStreamsTest, OverTheLimitStreamsAreRefusedWithRetryInfoUntilOneCloses) {
  StartServer({.max_streams = 2,
               .buffer = 8,
               .poll = absl::Milliseconds(50),
               .retry_delay = absl::Seconds(7)});
  auto a = Open();
  auto b = Open();
  auto c = Open();
  v1::Event e;
  EXPECT_FALSE(c->reader->Read(&e));
  grpc::Status refused = c->reader->Finish();
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED) << refused.error_message();
  google::rpc::Status details;
  ASSERT_TRUE(details.ParseFromString(refused.error_details()));
  google::rpc::RetryInfo retry;
  bool has_retry = false;
  for (const auto& any : details.details()) has_retry |= any.UnpackTo(&retry);
  ASSERT_TRUE(has_retry);
  EXPECT_EQ(retry.retry_delay().seconds(), 7);

  a->ctx.TryCancel();
  b->ctx.TryCancel();
  ASSERT_TRUE(streams_->AwaitIdle(absl::Seconds(10)));
  auto d = Open();
  source_.Push(Numbered(9));
  ASSERT_TRUE(d->reader->Read(&e));
  EXPECT_EQ(e.message(), "messages/9");
}

TEST_F(EventStreamsTest, AClientThatDoesNotReadPausesTheReaderInsteadOfGrowingMemory) {
  StartServer({.max_streams = 4, .buffer = 4, .poll = absl::Milliseconds(50)});
  source_.set_endless(1024 * 1024);  // each event fills far more than an HTTP/2 window
  auto w = Open();
  // One write in flight and `buffer` events waiting; then reading must stop.
  ASSERT_TRUE(source_.AwaitReads(5, absl::Seconds(10)));
  EXPECT_FALSE(source_.AwaitReads(12, absl::Seconds(1)))
      << "kept reading for a stalled client: " << source_.reads();
  // Once the client reads, the stream moves again.
  const int before = source_.reads();
  v1::Event e;
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(w->reader->Read(&e));
  EXPECT_GT(source_.reads(), before);
}

TEST_F(EventStreamsTest, AFailingSourceEndsTheStreamWithItsErrorAfterTheBufferedEvents) {
  StartServer({.max_streams = 4, .buffer = 8, .poll = absl::Milliseconds(50)});
  auto w = Open();
  source_.Push(Numbered(1));
  source_.Push(Numbered(2));
  v1::Event e;
  ASSERT_TRUE(w->reader->Read(&e));
  ASSERT_TRUE(w->reader->Read(&e));
  source_.FailNext(absl::OutOfRangeError("cursor: trimmed"));
  EXPECT_FALSE(w->reader->Read(&e));
  grpc::Status s = w->reader->Finish();
  EXPECT_EQ(s.error_code(), grpc::StatusCode::OUT_OF_RANGE);
  EXPECT_EQ(s.error_message(), "cursor: trimmed");
  EXPECT_TRUE(streams_->AwaitIdle(absl::Seconds(10)));
}

TEST_F(EventStreamsTest, ShutdownEndsOpenStreamsAsUnavailableAndRefusesNewOnes) {
  StartServer({.max_streams = 4, .buffer = 8, .poll = absl::Milliseconds(50)});
  auto w = Open();
  streams_->Shutdown();
  v1::Event e;
  EXPECT_FALSE(w->reader->Read(&e));
  EXPECT_EQ(w->reader->Finish().error_code(), grpc::StatusCode::UNAVAILABLE);
  auto late = Open();
  EXPECT_FALSE(late->reader->Read(&e));
  EXPECT_EQ(late->reader->Finish().error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_TRUE(streams_->AwaitIdle(absl::Seconds(10)));
}

}  // namespace
}  // namespace kirim
