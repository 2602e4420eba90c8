// Test harness: run a real peer (redis-server, an SMTP server, kirimd) as a child process and
// wait for it by reading what it prints, never by sleeping.
//
//   Subprocess redis;
//   ASSERT_OK(redis.Start({"/usr/bin/redis-server", "--port", port}));
//   ASSERT_OK(redis.WaitForOutput("Ready to accept connections", absl::Seconds(20)));
//   ...
//   redis.Stop();  // SIGTERM, then SIGKILL after a grace period; also done by the destructor
//
// Test-only: deadlines use real time (absl::Now()); every wait is bounded and wakes on an event
// (a line printed, the output closing because the process exited).
#ifndef KIRIM_TESTS_HARNESS_SUBPROCESS_H_
#define KIRIM_TESTS_HARNESS_SUBPROCESS_H_

#include <sys/types.h>

#include <functional>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace kirim::testing {

// A TCP port on 127.0.0.1 that was free a moment ago (the kernel picked it).
int FreePort();

// A fresh directory under $TEST_TMPDIR (or /tmp).
std::string MakeTempDir(const std::string& name);

// The runfiles path of a file in this workspace, e.g. "tests/peers/smtp_server.py".
std::string Runfile(const std::string& path);

// A waitpid status in the shell's convention: the exit code, or 128 + the signal number if a
// signal ended the process. -1 stays -1 (Wait() or Stop() gave up).
int ExitCode(int wait_status);

class Subprocess {
 public:
  Subprocess() = default;
  ~Subprocess();
  Subprocess(const Subprocess&) = delete;
  Subprocess& operator=(const Subprocess&) = delete;

  // Starts argv[0] (a path) with stdout and stderr captured together. `env` adds to (or
  // overrides) the test's environment.
  absl::Status Start(const std::vector<std::string>& argv,
                     const std::map<std::string, std::string>& env = {});

  // Blocks until a line containing `needle` has been printed (since Start), the process exits,
  // or the deadline passes. Returns the matching line.
  absl::StatusOr<std::string> WaitForOutput(const std::string& needle, absl::Duration timeout);
  // Like WaitForOutput with a predicate over each line; counts lines printed after `from_line`.
  absl::StatusOr<std::string> WaitForLine(const std::function<bool(const std::string&)>& match,
                                          absl::Duration timeout, size_t from_line = 0);

  // Blocks until 127.0.0.1:`port` accepts a TCP connection, for peers that print nothing when
  // they listen (smtp-sink); prefer WaitForOutput on a line the peer prints. Between refused
  // attempts it waits on the process's output, so it wakes at once when the process prints or
  // exits. kUnavailable if the process exits first, kDeadlineExceeded at the deadline.
  absl::Status WaitForPort(int port, absl::Duration timeout);

  // Everything printed so far, one element per line. Output still in the pipe is read first,
  // so a line printed before something the caller saw happen is included.
  std::vector<std::string> Lines();
  size_t LineCount();

  // Sends `signal` (no wait).
  void Signal(int signal);
  // SIGTERM, then SIGKILL after `grace`; reaps the child. Returns its exit status (waitpid form).
  int Stop(absl::Duration grace = absl::Seconds(10));
  // SIGKILL and reap: a crash.
  void Kill();
  // Waits for the process to exit by itself; returns the waitpid status, or -1 on timeout.
  int Wait(absl::Duration timeout);
  bool running() const { return pid_ > 0; }
  pid_t pid() const { return pid_; }

 private:
  void ReadLoop(int fd);
  int Reap(absl::Duration timeout);
  // The last lines printed, for error messages.
  std::string TailLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void CatchUpLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  pid_t pid_ = -1;
  std::thread reader_;
  absl::Mutex mu_;
  std::vector<std::string> lines_ ABSL_GUARDED_BY(mu_);
  bool eof_ ABSL_GUARDED_BY(mu_) = false;
  int fd_ ABSL_GUARDED_BY(mu_) = -1;             // the output pipe, until EOF
  uint64_t chunks_read_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace kirim::testing

#endif  // KIRIM_TESTS_HARNESS_SUBPROCESS_H_
