#include "server/events/event_streams.h"

#include <deque>
#include <thread>

#include "absl/strings/str_cat.h"
#include "server/api/api_status.h"
#include "server/api/rpc_guard.h"
#include "server/common/status_details.h"

namespace kirim {

// One WatchEvents call. Lifetime: created by Open, deleted by its own OnDone, which gRPC calls
// once Finish has been sent and every started operation has completed. Finish is called
// exactly once, only after the reader thread has left its loop and no write is in flight.
class EventStreams::Stream final : public grpc::ServerWriteReactor<v1::Event> {
 public:
  Stream(EventStreams& owner, std::string tenant, EventSource source)
      : owner_(owner), tenant_(std::move(tenant)), source_(std::move(source)) {}

  void Begin() {
    StartSendInitialMetadata();
    reader_ = std::thread([this] { Read(); });
  }

  // Ends the stream from outside (server shutdown).
  void Stop(const grpc::Status& status) {
    absl::MutexLock lock(&mu_);
    if (stop_) return;
    stop_ = true;
    final_ = status;
    reason_ = "shutdown";
  }

  void OnWriteDone(bool ok) override {
    Action next;
    {
      absl::MutexLock lock(&mu_);
      writing_ = false;
      buffer_.pop_front();
      if (ok) {
        ++sent_;
      } else if (!stop_) {
        stop_ = true;  // the client is gone; the reader stops at its next turn
        reason_ = "client_gone";
      }
      next = NextLocked();
    }
    Run(next);
  }

  void OnCancel() override {
    Action next;
    {
      absl::MutexLock lock(&mu_);
      if (!stop_) {
        stop_ = true;
        reason_ = "cancelled";
      }
      next = NextLocked();
    }
    Run(next);
  }

  void OnDone() override {
    if (reader_.joinable()) {
      // Finish may have been called from the reader itself, as its very last act.
      if (reader_.get_id() == std::this_thread::get_id()) {
        reader_.detach();
      } else {
        reader_.join();
      }
    }
    std::string reason;
    int64_t sent;
    {
      absl::MutexLock lock(&mu_);
      reason = reason_;
      sent = sent_;
    }
    owner_.Forget(this, tenant_, sent, reason);
    delete this;
  }

 private:
  // What to do after releasing the lock: gRPC calls are never made while holding it.
  struct Action {
    const v1::Event* write = nullptr;
    bool finish = false;
    grpc::Status status;
  };

  Action NextLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    Action a;
    if (finished_ || writing_) return a;
    if (!stop_ && !buffer_.empty()) {
      writing_ = true;
      a.write = &buffer_.front();  // deque: stays put while later events are appended
      return a;
    }
    if (reader_done_ && (stop_ || buffer_.empty())) {
      finished_ = true;
      a.finish = true;
      a.status = final_;
    }
    return a;
  }

  void Run(const Action& a) {
    if (a.write != nullptr) {
      StartWrite(a.write);
    } else if (a.finish) {
      Finish(a.status);
    }
  }

  bool CanRead() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return stop_ || static_cast<int>(buffer_.size()) < owner_.options_.buffer;
  }

  void Read() {
    for (;;) {
      int room;
      {
        absl::MutexLock lock(&mu_);
        mu_.Await(absl::Condition(this, &Stream::CanRead));
        if (stop_) break;
        room = owner_.options_.buffer - static_cast<int>(buffer_.size());
      }
      absl::StatusOr<std::vector<v1::Event>> events = source_(room, owner_.options_.poll);
      Action next;
      {
        absl::MutexLock lock(&mu_);
        if (!events.ok()) {
          // Send what is buffered, then end with the error.
          if (!stop_) {
            final_ = ToGrpcStatus(events.status());
            reason_ = absl::StrCat("error: ", events.status().message());
          }
          break;
        }
        if (stop_) break;
        for (v1::Event& e : *events) buffer_.push_back(std::move(e));
        next = NextLocked();
      }
      Run(next);
    }
    Action last;
    {
      absl::MutexLock lock(&mu_);
      reader_done_ = true;
      last = NextLocked();
    }
    Run(last);  // may delete `this` (through OnDone): nothing may follow
  }

  EventStreams& owner_;
  const std::string tenant_;
  const EventSource source_;
  std::thread reader_;

  absl::Mutex mu_;
  std::deque<v1::Event> buffer_ ABSL_GUARDED_BY(mu_);
  bool writing_ ABSL_GUARDED_BY(mu_) = false;
  bool stop_ ABSL_GUARDED_BY(mu_) = false;
  bool reader_done_ ABSL_GUARDED_BY(mu_) = false;
  bool finished_ ABSL_GUARDED_BY(mu_) = false;
  grpc::Status final_ ABSL_GUARDED_BY(mu_) = grpc::Status::OK;
  std::string reason_ ABSL_GUARDED_BY(mu_) = "ended";
  int64_t sent_ ABSL_GUARDED_BY(mu_) = 0;
};

EventStreams::EventStreams(Logger& logger, EventStreamOptions options)
    : logger_(logger), options_(std::move(options)) {}

EventStreams::~EventStreams() {
  Shutdown();
  absl::MutexLock lock(&mu_);
  mu_.Await(absl::Condition(
      +[](std::set<Stream*>* streams) { return streams->empty(); }, &streams_));
}

grpc::ServerWriteReactor<v1::Event>* EventStreams::Open(std::string tenant, EventSource source) {
  Stream* stream;
  {
    absl::MutexLock lock(&mu_);
    if (shutting_down_) {
      return new FinishedWriter<v1::Event>(ToGrpcStatus(absl::UnavailableError(
          "the server is stopping; watch again (elsewhere) from your last cursor")));
    }
    if (static_cast<int>(streams_.size()) >= options_.max_streams) {
      logger_.Warning("events", "watch_refused", {{"tenant", tenant}, {"reason", "max_streams"}});
      return new FinishedWriter<v1::Event>(ToGrpcStatus(WithRetryDelay(
          absl::ResourceExhaustedError(absl::StrCat(
              "too many event streams open on this server (limit ", options_.max_streams, ")")),
          options_.retry_delay)));
    }
    stream = new Stream(*this, tenant, std::move(source));
    streams_.insert(stream);
  }
  logger_.Info("events", "watch_started", {{"tenant", tenant}});
  stream->Begin();
  return stream;
}

void EventStreams::Shutdown() {
  absl::MutexLock lock(&mu_);
  shutting_down_ = true;
  for (Stream* s : streams_) {
    s->Stop(ToGrpcStatus(absl::UnavailableError(
        "the server is stopping; watch again (elsewhere) from your last cursor")));
  }
}

int EventStreams::active() {
  absl::MutexLock lock(&mu_);
  return static_cast<int>(streams_.size());
}

bool EventStreams::AwaitIdle(absl::Duration timeout) {
  absl::MutexLock lock(&mu_);
  return mu_.AwaitWithTimeout(
      absl::Condition(
          +[](std::set<Stream*>* streams) { return streams->empty(); }, &streams_),
      timeout);
}

void EventStreams::Forget(Stream* stream, absl::string_view tenant, int64_t sent,
                          absl::string_view reason) {
  logger_.Info("events", "watch_ended",
               {{"tenant", tenant}, {"events", std::to_string(sent)}, {"reason", reason}});
  absl::MutexLock lock(&mu_);
  streams_.erase(stream);
}

}  // namespace kirim
