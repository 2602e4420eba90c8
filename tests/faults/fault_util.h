// Helpers shared by the fault-injection tests (tests/faults/): a load generator that keeps
// SendEmail calls in flight from several threads while a test breaks something, the relay
// config they share, and the exact tally of what the receiving peer got, by Message-ID.
//
//   Sender sender(api, {.threads = 8, .target = 5000});
//   sender.Start();
//   ASSERT_OK(sender.WaitForAccepted(100, absl::Seconds(60)));
//   ... kill, stop or block something ...
//   ASSERT_OK(sender.WaitForDone(absl::Seconds(120)));
//   ASSERT_OK(peer.WaitForIds(sender.AcceptedHeaders(), absl::Seconds(120)));
//   Tally t = Count(sender.accepted(), peer.ReceivedIds());   // lost, duplicates, ghosts
//
// Test-only: every wait is bounded and wakes on an event (a call finishing, a line printed).
#ifndef KIRIM_TESTS_FAULTS_FAULT_UTIL_H_
#define KIRIM_TESTS_FAULTS_FAULT_UTIL_H_

#include <atomic>
#include <map>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "kirim/v1/mail_service.grpc.pb.h"
#include "tests/e2e/e2e_util.h"
#include "tests/harness/kirimd_process.h"

namespace kirim::testing {

struct SenderOptions {
  // Threads, each with one SendEmail call in flight at a time.
  int threads = 8;
  // Stop once this many calls were accepted ...
  int target = 100;
  // ... or once this many calls were made, accepted or not (bounds a run against a broken
  // store); 0 = 4 * target.
  int max_calls = 0;
  // After a refused call a thread waits this long before its next call, as a client honouring
  // RetryInfo would (no busy loop while Redis is down).
  absl::Duration backoff_after_error = absl::Milliseconds(200);
  // Bytes of text body per message (at least "hello").
  int body_bytes = 0;
  // Each call's deadline.
  absl::Duration deadline = absl::Seconds(10);
};

// A failed SendEmail call, as the caller saw it.
struct SendFailure {
  grpc::StatusCode code;
  std::string message;
  absl::Time when;
};

class Sender {
 public:
  Sender(KirimdProcess& api, SenderOptions options);
  ~Sender() { Stop(); }

  void Start();
  // Stops the threads (the calls in flight finish) and joins them.
  void Stop();

  // Waits until at least `n` calls were accepted.
  absl::Status WaitForAccepted(int n, absl::Duration timeout);
  // Waits until at least `n` calls failed with `code`.
  absl::Status WaitForFailures(grpc::StatusCode code, int n, absl::Duration timeout);
  // Waits until the target (or max_calls) is reached and every thread has finished.
  absl::Status WaitForDone(absl::Duration timeout);

  // Accepted message id -> its Message-ID header value (from SendEmailResponse).
  std::map<std::string, std::string> accepted();
  // The Message-ID header values of every accepted message.
  std::set<std::string> AcceptedHeaders();
  std::vector<SendFailure> failures();
  int calls() const { return calls_.load(); }

 private:
  void Run(int thread);

  KirimdProcess& api_;
  const SenderOptions options_;
  std::atomic<int> calls_{0};
  absl::Notification stop_;
  std::vector<std::thread> threads_;
  absl::Mutex mu_;
  std::map<std::string, std::string> accepted_ ABSL_GUARDED_BY(mu_);
  std::vector<SendFailure> failures_ ABSL_GUARDED_BY(mu_);
  int running_ ABSL_GUARDED_BY(mu_) = 0;
};

// What the receiving peer got, compared with what the API accepted.
struct Tally {
  int accepted = 0;
  // Accepted but never received: lost.
  int lost = 0;
  // Receptions beyond the first of an accepted message.
  int duplicates = 0;
  // Messages received twice or more.
  int duplicated_messages = 0;
  // Received but never accepted (the caller was told it failed): should not exist.
  int ghosts = 0;
  std::string first_lost, first_ghost;
};
Tally Count(const std::map<std::string, std::string>& accepted,
            const std::map<std::string, int>& received);
std::ostream& operator<<(std::ostream& out, const Tally& t);

// Config for a kirimd that delivers in RELAY mode (plaintext) to 127.0.0.1:`relay_port`, with
// Redis on `redis_port`, fast retries (`retry_ms`, no jitter) and the given SMTP timeouts;
// lease_timeout_ms is the smallest config validation allows for those timeouts (sum / 4), at
// least 2 s. `extra` is appended (e.g. "role: \"api\"").
struct RelayConfigOptions {
  int redis_port = 0;
  int relay_port = 0;
  int concurrency = 4;
  int retry_ms = 300;
  // Every SMTP phase but data_end; generous enough for a loaded 2-core machine.
  int phase_timeout_ms = 5000;
  int data_end_ms = 10000;
  int connect_ms = 2000;
  std::string extra;
};
std::string RelayConfig(const RelayConfigOptions& o);
// The lease RelayConfig sets for `o`.
int LeaseFor(const RelayConfigOptions& o);

// Waits until GetMessage shows every id in `ids` DELIVERED: one round of GetMessage calls,
// then, while some are not, waits for the next "delivered" line in `log` (the worker doing the
// work) and checks again. Bounded by `timeout`; the error names one message and its state.
absl::Status AwaitDelivered(KirimdProcess& api, const std::vector<std::string>& ids,
                            Subprocess& log, absl::Duration timeout);

// The keys whose value differs between two Snapshot()s (added, removed or changed), for a
// readable failure message.
std::vector<std::string> ChangedKeys(const std::map<std::string, std::string>& before,
                                     const std::map<std::string, std::string>& after);

// The keys of a map.
template <typename K, typename V>
std::vector<K> Keys(const std::map<K, V>& m) {
  std::vector<K> out;
  for (const auto& [k, v] : m) out.push_back(k);
  return out;
}

}  // namespace kirim::testing

#endif  // KIRIM_TESTS_FAULTS_FAULT_UTIL_H_
