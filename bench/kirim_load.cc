// kirim_load: a bounded gRPC load generator for kirim.v1.MailService/SendEmail, used by
// bench/run. It keeps --in_flight calls outstanding on the callback API until --n calls have
// completed (or --max_seconds have passed), then writes what it measured as "key value" lines.
//
//   KIRIM_API_KEY=... kirim_load --address=127.0.0.1:50051 --n=20000 --in_flight=64
//       --body_bytes=5120 --out=/tmp/ingest.txt      (one command line)
//
// Every call is one message to one recipient with a --body_bytes plain-text body of short
// ASCII lines (so Kirim sends it 7bit, the same size on the wire). The API key comes from
// $KIRIM_API_KEY, never a flag (it would show in `ps`); without it no metadata is sent, which
// is what the bench's echo server expects.
//
// Output keys: calls ok failed warmup in_flight start_ns end_ns seconds calls_per_s p50_ms
// p99_ms max_ms complete first_error. start_ns/end_ns are CLOCK_REALTIME nanoseconds, so the
// runner can compare them with timestamps taken by other processes on the same machine.
// Exit: 0 when every call succeeded, 1 when some failed or the time bound cut the run short,
// 2 usage, 3 the server could not be reached.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "grpcpp/grpcpp.h"
#include "kirim/v1/mail_service.grpc.pb.h"

ABSL_FLAG(std::string, address, "127.0.0.1:50051", "The MailService's gRPC address");
ABSL_FLAG(int64_t, n, 20000, "Measured calls (1..10,000,000)");
ABSL_FLAG(int64_t, warmup, 0, "Calls made (same in-flight level) before measuring, not counted");
ABSL_FLAG(int, in_flight, 64, "Calls kept outstanding (1..4096)");
ABSL_FLAG(int, channels, 1, "gRPC channels (TCP connections) the calls are spread over (1..64)");
ABSL_FLAG(int64_t, body_bytes, 5120, "Plain-text body size of each message");
ABSL_FLAG(double, max_seconds, 600, "Stop issuing calls after this long; the run is then incomplete");
ABSL_FLAG(double, call_timeout_seconds, 30, "Deadline of each call");
ABSL_FLAG(std::string, from, "Bench <bench@example.com>", "From mailbox");
ABSL_FLAG(std::string, to, "sink@example.net", "The one recipient of every message");
ABSL_FLAG(std::string, out, "", "Write the results here (default: stdout)");

namespace {

using Clock = std::chrono::steady_clock;

int64_t RealtimeNanos() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// A body of 76-character ASCII lines (CRLF-terminated by Kirim), exactly `bytes` long.
std::string MakeBody(int64_t bytes) {
  static const char kLine[] =
      "The quick brown fox jumps over the lazy dog; Kirim bench body line 0123456789";
  std::string body;
  body.reserve(bytes);
  while (static_cast<int64_t>(body.size()) < bytes) {
    body.append(kLine, std::min<size_t>(sizeof(kLine) - 1, bytes - body.size()));
    if (static_cast<int64_t>(body.size()) < bytes) body.push_back('\n');
  }
  return body;
}

// One phase (warm-up or measured) of `total` calls with `in_flight` outstanding.
class Phase {
 public:
  Phase(std::vector<std::unique_ptr<kirim::v1::MailService::Stub>>& stubs,
        const kirim::v1::SendEmailRequest& request, const std::string& authorization,
        int64_t total, Clock::time_point stop_issuing, std::chrono::milliseconds call_timeout)
      : stubs_(stubs),
        request_(request),
        authorization_(authorization),
        total_(total),
        stop_issuing_(stop_issuing),
        call_timeout_(call_timeout),
        latencies_us_(total, 0) {}

  // Starts `in_flight` calls, then blocks until every started call has finished or `wait_until`.
  // Returns false when calls were still outstanding at `wait_until`.
  bool Run(int in_flight, Clock::time_point wait_until) {
    start_ns_ = RealtimeNanos();
    for (int i = 0; i < in_flight; ++i) Issue();
    Finished();  // drops the starter token (see outstanding_)
    std::unique_lock<std::mutex> lock(mu_);
    return done_cv_.wait_until(lock, wait_until, [this] { return done_; });
  }

  int64_t completed() const { return completed_.load(); }
  int64_t ok() const { return ok_.load(); }
  int64_t failed() const { return failed_.load(); }
  int64_t start_ns() const { return start_ns_; }
  int64_t end_ns() const { return end_ns_.load(); }
  std::string first_error() {
    std::lock_guard<std::mutex> lock(mu_);
    return first_error_;
  }
  // Latencies of the completed calls, in microseconds, sorted.
  std::vector<int64_t> SortedLatencies() {
    std::vector<int64_t> v(latencies_us_.begin(), latencies_us_.begin() + completed());
    std::sort(v.begin(), v.end());
    return v;
  }

 private:
  struct Call {
    grpc::ClientContext context;
    kirim::v1::SendEmailResponse response;
    Clock::time_point start;
  };

  void Issue() {
    const int64_t index = issued_.fetch_add(1);
    if (index >= total_ || Clock::now() >= stop_issuing_) return;
    outstanding_.fetch_add(1);
    auto* call = new Call;
    call->context.set_deadline(std::chrono::system_clock::now() + call_timeout_);
    if (!authorization_.empty()) call->context.AddMetadata("authorization", authorization_);
    call->start = Clock::now();
    auto& stub = stubs_[index % stubs_.size()];
    stub->async()->SendEmail(&call->context, &request_, &call->response,
                             [this, call](grpc::Status status) { OnDone(call, status); });
  }

  void OnDone(Call* call, const grpc::Status& status) {
    const auto elapsed = Clock::now() - call->start;
    delete call;
    const int64_t slot = completed_.fetch_add(1);
    latencies_us_[slot] = std::chrono::duration_cast<std::chrono::microseconds>(elapsed).count();
    if (status.ok()) {
      ok_.fetch_add(1);
    } else {
      failed_.fetch_add(1);
      std::lock_guard<std::mutex> lock(mu_);
      if (first_error_.empty()) {
        first_error_ = absl::StrCat("code ", static_cast<int>(status.error_code()), ": ",
                                    status.error_message());
      }
    }
    end_ns_.store(RealtimeNanos());
    Issue();
    Finished();
  }

  void Finished() {
    if (outstanding_.fetch_sub(1) == 1) {
      std::lock_guard<std::mutex> lock(mu_);
      done_ = true;
      done_cv_.notify_all();
    }
  }

  std::vector<std::unique_ptr<kirim::v1::MailService::Stub>>& stubs_;
  const kirim::v1::SendEmailRequest& request_;
  const std::string authorization_;
  const int64_t total_;
  const Clock::time_point stop_issuing_;
  const std::chrono::milliseconds call_timeout_;

  std::atomic<int64_t> issued_{0};
  // Calls in flight, plus one "starter" token held while the first calls are issued, so an
  // early completion cannot make the count touch zero before they all are.
  std::atomic<int64_t> outstanding_{1};
  std::atomic<int64_t> completed_{0};
  std::atomic<int64_t> ok_{0};
  std::atomic<int64_t> failed_{0};
  std::atomic<int64_t> end_ns_{0};
  int64_t start_ns_ = 0;
  std::vector<int64_t> latencies_us_;

  std::mutex mu_;
  std::condition_variable done_cv_;
  bool done_ = false;
  std::string first_error_;
};

double PercentileMs(const std::vector<int64_t>& sorted_us, double q) {
  if (sorted_us.empty()) return 0;
  // Nearest-rank percentile.
  size_t rank = static_cast<size_t>(q * sorted_us.size() + 0.999999);
  rank = std::clamp<size_t>(rank, 1, sorted_us.size());
  return sorted_us[rank - 1] / 1000.0;
}

}  // namespace

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage("Bounded SendEmail load generator for bench/run.");
  absl::ParseCommandLine(argc, argv);
  const int64_t n = absl::GetFlag(FLAGS_n);
  const int64_t warmup = absl::GetFlag(FLAGS_warmup);
  const int in_flight = absl::GetFlag(FLAGS_in_flight);
  const int channels = absl::GetFlag(FLAGS_channels);
  const double max_seconds = absl::GetFlag(FLAGS_max_seconds);
  if (n < 1 || n > 10'000'000 || warmup < 0 || warmup > 1'000'000 || in_flight < 1 ||
      in_flight > 4096 || channels < 1 || channels > 64 || max_seconds <= 0 ||
      absl::GetFlag(FLAGS_body_bytes) < 1) {
    std::cerr << "kirim_load: a flag is out of range (see --help)\n";
    return 2;
  }

  std::string authorization;
  if (const char* key = std::getenv("KIRIM_API_KEY"); key != nullptr && *key != '\0') {
    authorization = absl::StrCat("Bearer ", key);
  }

  std::vector<std::unique_ptr<kirim::v1::MailService::Stub>> stubs;
  const auto connect_by = std::chrono::system_clock::now() + std::chrono::seconds(10);
  for (int i = 0; i < channels; ++i) {
    grpc::ChannelArguments args;
    // A distinct argument per channel keeps gRPC from sharing one subchannel (connection).
    args.SetInt("kirim.bench.channel", i);
    args.SetMaxReceiveMessageSize(-1);
    auto channel = grpc::CreateCustomChannel(absl::GetFlag(FLAGS_address),
                                             grpc::InsecureChannelCredentials(), args);
    if (!channel->WaitForConnected(connect_by)) {
      std::cerr << "kirim_load: cannot connect to " << absl::GetFlag(FLAGS_address) << "\n";
      return 3;
    }
    stubs.push_back(kirim::v1::MailService::NewStub(channel));
  }

  kirim::v1::SendEmailRequest request;
  request.set_from(absl::GetFlag(FLAGS_from));
  request.add_to(absl::GetFlag(FLAGS_to));
  request.set_subject("Kirim bench message");
  request.set_text_body(MakeBody(absl::GetFlag(FLAGS_body_bytes)));

  const auto call_timeout = std::chrono::milliseconds(
      static_cast<int64_t>(absl::GetFlag(FLAGS_call_timeout_seconds) * 1000));
  const auto begin = Clock::now();
  const auto stop_issuing =
      begin + std::chrono::milliseconds(static_cast<int64_t>(max_seconds * 1000));
  // Calls already issued get their own deadline to finish; past that the run is abandoned.
  const auto give_up = stop_issuing + call_timeout + std::chrono::seconds(5);

  if (warmup > 0) {
    Phase phase(stubs, request, authorization, warmup, stop_issuing, call_timeout);
    if (!phase.Run(in_flight, give_up) || phase.failed() > 0) {
      std::cerr << "kirim_load: warm-up failed: " << phase.failed() << " of " << phase.completed()
                << " calls failed; first error: " << phase.first_error() << "\n";
      std::fflush(nullptr);
      std::_Exit(1);  // calls may still be outstanding: do not run destructors under them
    }
  }

  Phase phase(stubs, request, authorization, n, stop_issuing, call_timeout);
  const bool finished = phase.Run(in_flight, give_up);
  const std::vector<int64_t> lat = phase.SortedLatencies();
  const int64_t completed = static_cast<int64_t>(lat.size());
  const double seconds = (phase.end_ns() - phase.start_ns()) / 1e9;
  const bool complete = finished && completed == n;

  std::string report;
  absl::StrAppendFormat(&report, "calls %d\nok %d\nfailed %d\nwarmup %d\nin_flight %d\n",
                        completed, phase.ok(), phase.failed(), warmup, in_flight);
  absl::StrAppendFormat(&report, "start_ns %d\nend_ns %d\nseconds %.6f\n", phase.start_ns(),
                        phase.end_ns(), seconds);
  absl::StrAppendFormat(&report, "calls_per_s %.1f\n", seconds > 0 ? phase.ok() / seconds : 0.0);
  absl::StrAppendFormat(&report, "p50_ms %.3f\np99_ms %.3f\nmax_ms %.3f\n",
                        PercentileMs(lat, 0.50), PercentileMs(lat, 0.99),
                        lat.empty() ? 0.0 : lat.back() / 1000.0);
  absl::StrAppendFormat(&report, "complete %d\nfirst_error %s\n", complete ? 1 : 0,
                        phase.first_error());

  const std::string out = absl::GetFlag(FLAGS_out);
  if (out.empty()) {
    std::cout << report;
  } else {
    std::ofstream(out) << report;
  }
  std::fflush(nullptr);
  const int code = complete && phase.failed() == 0 ? 0 : 1;
  // Abandoned calls may still reference the phase: leave without running destructors.
  if (!finished) std::_Exit(code);
  return code;
}
