// EventStreams: the server side of WatchEvents. Each open stream is a gRPC callback-API
// ServerWriteReactor fed by its own reader thread, so the blocking reads (XREAD BLOCK) never run
// on a gRPC callback thread:
//
//   reader thread:  source(room, poll) ──▶ bounded buffer ──▶ StartWrite, one at a time
//   gRPC threads:   OnWriteDone (next write) · OnCancel (stop) · OnDone (join, forget)
//
// Bounded: at most `max_streams` streams per process (more are refused with
// RESOURCE_EXHAUSTED + RetryInfo), at most `buffer` events held per stream (a slow client
// pauses its reader; the event log keeps the rest), and a single read blocks at most `poll`, so
// a stream whose client went away ends (and frees its thread and Redis connection) within about
// `poll`. The response headers go out as soon as the stream opens: a client that has seen them
// knows its starting position is fixed. A failing read ends the stream with that error after
// the buffered events are sent; the client resumes from the last cursor it received.
//
//   EventStreams streams(logger, {.max_streams = 64});
//   return streams.Open(tenant, [=](int max, absl::Duration block) { return Next(max, block); });
//   ...
//   streams.Shutdown();   // before the gRPC server shuts down: ends every stream (UNAVAILABLE)
#ifndef KIRIM_SERVER_EVENTS_EVENT_STREAMS_H_
#define KIRIM_SERVER_EVENTS_EVENT_STREAMS_H_

#include <functional>
#include <set>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "grpcpp/support/server_callback.h"
#include "kirim/v1/message.pb.h"
#include "server/common/logger.h"

namespace kirim {

struct EventStreamOptions {
  // Streams open at once in this process; more are refused with RESOURCE_EXHAUSTED.
  int max_streams = 256;
  // Events read ahead of a slow client, per stream.
  int buffer = 256;
  // The longest single blocking read: how long a cancelled stream may keep its thread.
  absl::Duration poll = absl::Milliseconds(500);
  // The RetryInfo delay when refusing a stream over max_streams.
  absl::Duration retry_delay = absl::Seconds(5);
};

// The next events of one stream: at most `max` (>= 1), waiting up to `block` for some. An
// empty result is not the end. Called from the stream's reader thread only.
using EventSource =
    std::function<absl::StatusOr<std::vector<v1::Event>>(int max, absl::Duration block)>;

class EventStreams {
 public:
  EventStreams(Logger& logger, EventStreamOptions options);
  // Shuts down and waits for every stream to be done: destroy after the gRPC server stopped.
  ~EventStreams();

  EventStreams(const EventStreams&) = delete;
  EventStreams& operator=(const EventStreams&) = delete;

  // A reactor that streams `source`'s events until the client cancels, the source fails, or
  // Shutdown. `tenant` only labels the log lines.
  grpc::ServerWriteReactor<v1::Event>* Open(std::string tenant, EventSource source);

  // Ends every open stream with UNAVAILABLE ("resume from your last cursor") and refuses new
  // ones. Does not wait.
  void Shutdown();

  // Streams not yet done (their OnDone has not run).
  int active();
  // Waits up to `timeout` until no stream is open; true if none is.
  bool AwaitIdle(absl::Duration timeout);

 private:
  class Stream;
  void Forget(Stream* stream, absl::string_view tenant, int64_t sent, absl::string_view reason);

  Logger& logger_;
  const EventStreamOptions options_;
  absl::Mutex mu_;
  bool shutting_down_ ABSL_GUARDED_BY(mu_) = false;
  std::set<Stream*> streams_ ABSL_GUARDED_BY(mu_);
};

}  // namespace kirim

#endif  // KIRIM_SERVER_EVENTS_EVENT_STREAMS_H_
