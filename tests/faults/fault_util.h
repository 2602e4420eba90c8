// Helpers shared by the fault-injection tests (tests/faults/): the Redis, SMTP peer and kirimd
// every test starts from, a load generator that keeps SendEmail calls in flight from several
// threads while a test breaks something, the relay config they share, and the exact tally of
// what the receiving peer got, by Message-ID.
//
//   FaultRig rig;
//   ASSERT_OK(rig.Start({.relay = {.concurrency = 4}}));
//   Sender sender(rig.kirimd(), {.threads = 8, .target = 5000});
//   sender.Start();
//   ASSERT_OK(WaitForFlowing(sender, 100, rig.peer()));
//   ... kill, stop or block something ...
//   ASSERT_OK(sender.WaitForDone(absl::Seconds(120)));
//   ASSERT_OK(AwaitAllDelivered(sender.accepted(), rig.peer(), rig.kirimd(), rig.kirimd()));
//   Tally t = Count(sender.accepted(), rig.peer().ReceivedIds());  // lost, duplicates, ghosts
//   EXPECT_TRUE(WithinBounds(t, {.max_duplicates = 4}));
//
// Test-only: every wait is bounded and wakes on an event (a call finishing, a line printed).
#ifndef KIRIM_TESTS_FAULTS_FAULT_UTIL_H_
#define KIRIM_TESTS_FAULTS_FAULT_UTIL_H_

#include <atomic>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "kirim/v1/mail_service.grpc.pb.h"
#include "tests/e2e/e2e_util.h"
#include "tests/harness/kirimd_process.h"
#include "tests/harness/redis_server.h"
#include "tests/harness/smtp_peer.h"

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

// What a fault may cost besides loss, which is never allowed: duplicate receptions (the
// at-least-once window, docs/delivery.md) and messages received though their call failed.
struct TallyBounds {
  int max_duplicates = 0;
  int max_ghosts = 0;
};
// Success when `t` lost nothing and stays within `bounds`; the failure names every bound that
// was broken, with the tally.
//   EXPECT_TRUE(WithinBounds(tally, {.max_duplicates = kConcurrency}));
::testing::AssertionResult WithinBounds(const Tally& t, TallyBounds bounds = {});

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

struct FaultRigOptions {
  RedisServerOptions redis;
  // By default the peer keeps only the Message-IDs it accepts ("ID <Message-ID>" lines, what
  // Count tallies), no maildir: runs of thousands of messages. Options given here replace
  // these whole, so say `.store = false` again.
  SmtpPeerOptions peer = {.store = false};
  // The kirimds' config; Start() fills in redis_port and relay_port.
  RelayConfigOptions relay;
  // The first kirimd's role: "" (all), "api" or "worker".
  std::string role;
};

// What every fault test starts from: a Redis, an SMTP peer and a kirimd relaying to it (more
// kirimds, e.g. workers, with StartKirimd). Kirimd stops first, Redis last, as when a test
// declares them in that order.
//
//   FaultRig rig;
//   ASSERT_OK(rig.Start({.relay = {.concurrency = 4}, .role = "api"}));
//   KirimdProcess worker;
//   ASSERT_OK(rig.StartKirimd(worker, "worker"));
class FaultRig {
 public:
  // Starts Redis, the peer and then kirimd().
  absl::Status Start(FaultRigOptions options = {});
  // Starts another kirimd on the same Redis and peer with the same config, in `role`.
  absl::Status StartKirimd(KirimdProcess& kirimd, const std::string& role = "") const;

  // Valid once Start() was called.
  RedisServer& redis() { return *redis_; }
  SmtpPeer& peer() { return peer_; }
  // The kirimd Start() started.
  KirimdProcess& kirimd() { return kirimd_; }

 private:
  // Made by Start(): a RedisServer takes its options when it is constructed.
  std::unique_ptr<RedisServer> redis_;
  SmtpPeer peer_;
  RelayConfigOptions relay_;
  // Last, so it stops before the peer and Redis go away.
  KirimdProcess kirimd_;
};

// Waits until `sender` has `accepted` calls accepted and the peer has received a message:
// messages flowing both ways, before a fault. 60 s for each.
absl::Status WaitForFlowing(Sender& sender, int accepted, SmtpPeer& peer);

// Waits until GetMessage shows every id in `ids` DELIVERED: one round of GetMessage calls,
// then, while some are not, waits for the next "delivered" line in `log` (the worker doing the
// work) and checks again. Bounded by `timeout`; the error names one message and its state.
absl::Status AwaitDelivered(KirimdProcess& api, const std::vector<std::string>& ids,
                            Subprocess& log, absl::Duration timeout);

// Waits until the peer has received every message of `accepted` (id -> Message-ID, as
// Sender::accepted) at least once, then until `api` shows each DELIVERED (AwaitDelivered, woken
// by the log of `worker`, the kirimd that delivers): nothing is left to send again. Count then
// says how often each came.
absl::Status AwaitAllDelivered(const std::map<std::string, std::string>& accepted, SmtpPeer& peer,
                               KirimdProcess& api, KirimdProcess& worker,
                               absl::Duration receive_timeout = absl::Seconds(120),
                               absl::Duration record_timeout = absl::Seconds(60));

// Whether a kirimd JSON log line is of `event` ("delivered", "deferred", ...).
bool IsLogEvent(absl::string_view line, absl::string_view event);
// The "message_id" field of a kirimd JSON log line; "" when it has none.
std::string LoggedMessageId(absl::string_view line);

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
