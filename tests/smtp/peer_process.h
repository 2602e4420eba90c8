// Helpers for integration tests that run real peers (SMTP servers, openssl, ...) as child
// processes on loopback: start a child with its stdout captured, read what it reports, wait for
// it to listen, and stop it. Generic on purpose: nothing here knows about SMTP.
//
//   Subprocess server;
//   ASSERT_OK(server.Start({"/usr/bin/python3", RunfilePath("tests/peers/smtp_server.py"),
//                           "--port", "0"}));
//   absl::StatusOr<std::string> line = server.ReadLineFromStdout(absl::Seconds(30));  // "PORT 4711"
//   ...
//   server.Stop();  // SIGTERM, then SIGKILL if it does not exit in time; also done by ~Subprocess
//
// Readiness is always an event (a line the child prints, a port that accepts connections, the
// child's exit), each with a bounded deadline; nothing sleeps in the hope that a peer is ready.
//
// Test-only: uses real time (std::chrono::steady_clock) for deadlines.
#ifndef KIRIM_TESTS_SMTP_PEER_PROCESS_H_
#define KIRIM_TESTS_SMTP_PEER_PROCESS_H_

#include <signal.h>
#include <sys/types.h>

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace kirim::testing {

// A TCP port on 127.0.0.1 that was free when asked (bind to port 0, read it back, close). Another
// process may take it before the peer binds it; prefer peers that bind port 0 and report it.
absl::StatusOr<int> PickFreePort();

// The path of a data dependency: $TEST_SRCDIR/$TEST_WORKSPACE/<workspace_relative>.
std::string RunfilePath(absl::string_view workspace_relative);

// Creates a new, empty directory under $TEST_TMPDIR (or /tmp outside Bazel).
absl::StatusOr<std::string> MakeTempDir(absl::string_view prefix);

// Reads a whole file.
absl::StatusOr<std::string> ReadFileToString(const std::string& path);

// One child process with its stdout on a pipe (stdin is /dev/null, stderr is inherited so the
// peer's diagnostics land in the test log). The child leads its own process group, and signals
// go to that group, so helpers it spawns are stopped with it.
class Subprocess {
 public:
  Subprocess() = default;
  Subprocess(const Subprocess&) = delete;
  Subprocess& operator=(const Subprocess&) = delete;
  // Stops the child if it still runs.
  ~Subprocess();

  // Starts argv[0] (looked up in PATH if it has no slash). `env` entries ("NAME=value") are
  // added to, or replace, the test's own environment.
  absl::Status Start(const std::vector<std::string>& argv,
                     const std::vector<std::string>& env = {});

  // The next line the child wrote to stdout, without "\n". kDeadlineExceeded if none arrived in
  // time, kUnavailable if stdout closed (the child exited) first.
  absl::StatusOr<std::string> ReadLineFromStdout(absl::Duration timeout);

  // Sends `signal` to the child's process group.
  absl::Status Kill(int signal = SIGTERM);

  // Waits for the child to exit; returns its exit code, or 128 + signal number if a signal
  // ended it (the shell convention). kDeadlineExceeded if it is still running at the deadline.
  absl::StatusOr<int> Wait(absl::Duration timeout);

  // Kill(SIGTERM), Wait(grace), and SIGKILL if that was not enough. Returns the exit code.
  absl::StatusOr<int> Stop(absl::Duration grace = absl::Seconds(10));

  // True between a successful Start() and the observed exit.
  bool running() const { return pid_ > 0; }
  pid_t pid() const { return pid_; }

 private:
  pid_t pid_ = -1;
  int pidfd_ = -1;      // becomes readable when the child exits (Linux >= 5.3)
  int stdout_fd_ = -1;  // read end of the child's stdout
  std::string buffer_;  // stdout bytes read but not yet returned
  int exit_code_ = -1;
};

// Waits until a TCP connection to 127.0.0.1:port succeeds. Fails early if `process` exits,
// kDeadlineExceeded at the deadline. For peers that cannot report readiness themselves.
absl::Status WaitForPort(int port, Subprocess& process, absl::Duration timeout);

}  // namespace kirim::testing

#endif  // KIRIM_TESTS_SMTP_PEER_PROCESS_H_
