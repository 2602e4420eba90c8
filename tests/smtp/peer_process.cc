#include "tests/smtp/peer_process.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <sstream>

#include "absl/strings/str_cat.h"

extern char** environ;

namespace kirim::testing {
namespace {

using SteadyClock = std::chrono::steady_clock;

// Remaining milliseconds until `end`, for poll(): at least 0, rounded up.
int MillisUntil(SteadyClock::time_point end) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(end - SteadyClock::now());
  if (left.count() < 0) return 0;
  return static_cast<int>(std::min<int64_t>(left.count() + 1, 1 << 30));
}

SteadyClock::time_point DeadlineAfter(absl::Duration timeout) {
  // A year stands for "forever" without overflowing the time_point arithmetic.
  if (timeout > absl::Hours(24 * 365)) return SteadyClock::time_point::max();
  return SteadyClock::now() + std::chrono::duration_cast<SteadyClock::duration>(
                                  absl::ToChronoNanoseconds(timeout));
}

absl::Status ErrnoError(absl::string_view what) {
  return absl::InternalError(absl::StrCat(what, ": ", std::strerror(errno)));
}

int ExitCodeOf(int wait_status) {
  if (WIFEXITED(wait_status)) return WEXITSTATUS(wait_status);
  if (WIFSIGNALED(wait_status)) return 128 + WTERMSIG(wait_status);
  return -1;
}

}  // namespace

absl::StatusOr<int> PickFreePort() {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return ErrnoError("socket");
  struct sockaddr_in addr;
  std::memset(&addr, 0, sizeof addr);
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof addr;
  if (bind(fd, reinterpret_cast<struct sockaddr*>(&addr), sizeof addr) != 0 ||
      getsockname(fd, reinterpret_cast<struct sockaddr*>(&addr), &len) != 0) {
    absl::Status s = ErrnoError("bind/getsockname");
    close(fd);
    return s;
  }
  close(fd);
  return static_cast<int>(ntohs(addr.sin_port));
}

std::string RunfilePath(absl::string_view workspace_relative) {
  const char* srcdir = std::getenv("TEST_SRCDIR");
  const char* workspace = std::getenv("TEST_WORKSPACE");
  if (srcdir == nullptr) return std::string(workspace_relative);
  return absl::StrCat(srcdir, "/", workspace != nullptr ? workspace : "kirim", "/",
                      workspace_relative);
}

absl::StatusOr<std::string> MakeTempDir(absl::string_view prefix) {
  const char* base = std::getenv("TEST_TMPDIR");
  std::string templ = absl::StrCat(base != nullptr ? base : "/tmp", "/", prefix, ".XXXXXX");
  if (mkdtemp(templ.data()) == nullptr) return ErrnoError(absl::StrCat("mkdtemp ", templ));
  return templ;
}

absl::StatusOr<std::string> ReadFileToString(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot open ", path));
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

Subprocess::~Subprocess() {
  if (running()) (void)Stop();
  if (stdout_fd_ >= 0) close(stdout_fd_);
  if (pidfd_ >= 0) close(pidfd_);
}

absl::Status Subprocess::Start(const std::vector<std::string>& argv,
                               const std::vector<std::string>& env) {
  if (pid_ > 0 || stdout_fd_ >= 0) return absl::FailedPreconditionError("already started");
  if (argv.empty()) return absl::InvalidArgumentError("empty argv");

  // Environment: ours, with `env` entries overriding by name.
  std::map<std::string, std::string> vars;
  for (char** e = environ; *e != nullptr; ++e) {
    std::string entry(*e);
    vars[entry.substr(0, entry.find('='))] = entry;
  }
  for (const std::string& entry : env) vars[entry.substr(0, entry.find('='))] = entry;
  std::vector<std::string> env_strings;
  for (auto& [name, entry] : vars) env_strings.push_back(entry);
  std::vector<char*> envp;
  for (std::string& s : env_strings) envp.push_back(s.data());
  envp.push_back(nullptr);
  std::vector<std::string> args = argv;
  std::vector<char*> argp;
  for (std::string& s : args) argp.push_back(s.data());
  argp.push_back(nullptr);

  int pipe_fds[2];
  if (pipe2(pipe_fds, O_CLOEXEC) != 0) return ErrnoError("pipe2");
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, pipe_fds[1], 1);
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  // Own process group, so Kill() reaches helpers the peer starts; default signal handling and
  // an empty mask, whatever the test runner set up.
  sigset_t none, all;
  sigemptyset(&none);
  sigfillset(&all);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setsigdefault(&attr, &all);
  posix_spawnattr_setpgroup(&attr, 0);
  posix_spawnattr_setflags(&attr,
                           POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  pid_t pid;
  int rc = posix_spawnp(&pid, argp[0], &actions, &attr, argp.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  close(pipe_fds[1]);
  if (rc != 0) {
    close(pipe_fds[0]);
    return absl::InternalError(absl::StrCat("spawn ", argv[0], ": ", std::strerror(rc)));
  }
  pid_ = pid;
  stdout_fd_ = pipe_fds[0];
  fcntl(stdout_fd_, F_SETFL, fcntl(stdout_fd_, F_GETFL) | O_NONBLOCK);
  pidfd_ = static_cast<int>(syscall(SYS_pidfd_open, pid, 0));
  if (pidfd_ < 0) {
    absl::Status s = ErrnoError("pidfd_open");
    (void)Stop();
    return s;
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> Subprocess::ReadLineFromStdout(absl::Duration timeout) {
  if (stdout_fd_ < 0) return absl::FailedPreconditionError("not started");
  auto end = DeadlineAfter(timeout);
  for (;;) {
    size_t nl = buffer_.find('\n');
    if (nl != std::string::npos) {
      std::string line = buffer_.substr(0, nl);
      buffer_.erase(0, nl + 1);
      return line;
    }
    char buf[4096];
    ssize_t n = read(stdout_fd_, buf, sizeof buf);
    if (n > 0) {
      buffer_.append(buf, static_cast<size_t>(n));
      continue;
    }
    if (n == 0) return absl::UnavailableError("child closed stdout (exited?)");
    if (errno == EINTR) continue;
    if (errno != EAGAIN) return ErrnoError("read child stdout");
    struct pollfd p = {stdout_fd_, POLLIN, 0};
    int ready = poll(&p, 1, MillisUntil(end));
    if (ready == 0) return absl::DeadlineExceededError("no line from child stdout in time");
    if (ready < 0 && errno != EINTR) return ErrnoError("poll");
  }
}

absl::Status Subprocess::Kill(int signal) {
  if (!running()) return absl::FailedPreconditionError("not running");
  // The pid is only reaped by Wait(), so it cannot have been reused by another process.
  if (kill(-pid_, signal) != 0 && errno != ESRCH) return ErrnoError("kill");
  return absl::OkStatus();
}

absl::StatusOr<int> Subprocess::Wait(absl::Duration timeout) {
  if (!running()) {
    if (exit_code_ >= 0) return exit_code_;
    return absl::FailedPreconditionError("not started");
  }
  auto end = DeadlineAfter(timeout);
  for (;;) {
    int status;
    pid_t r = waitpid(pid_, &status, WNOHANG);
    if (r == pid_) {
      exit_code_ = ExitCodeOf(status);
      pid_ = -1;
      return exit_code_;
    }
    if (r < 0 && errno != EINTR) return ErrnoError("waitpid");
    struct pollfd p = {pidfd_, POLLIN, 0};
    int ready = poll(&p, 1, MillisUntil(end));
    if (ready == 0) return absl::DeadlineExceededError("child still running");
    if (ready < 0 && errno != EINTR) return ErrnoError("poll pidfd");
  }
}

absl::StatusOr<int> Subprocess::Stop(absl::Duration grace) {
  if (!running()) return Wait(absl::ZeroDuration());
  (void)Kill(SIGTERM);
  absl::StatusOr<int> code = Wait(grace);
  if (code.ok() || code.status().code() != absl::StatusCode::kDeadlineExceeded) return code;
  (void)Kill(SIGKILL);
  return Wait(absl::InfiniteDuration());
}

absl::Status WaitForPort(int port, Subprocess& process, absl::Duration timeout) {
  auto end = DeadlineAfter(timeout);
  struct sockaddr_in addr;
  std::memset(&addr, 0, sizeof addr);
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(port));
  for (;;) {
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return ErrnoError("socket");
    int rc = connect(fd, reinterpret_cast<struct sockaddr*>(&addr), sizeof addr);
    close(fd);
    if (rc == 0) return absl::OkStatus();
    // Refused: not listening yet. Wait a little, but wake at once if the child dies.
    absl::StatusOr<int> exited = process.Wait(absl::Milliseconds(20));
    if (exited.ok()) {
      return absl::UnavailableError(
          absl::StrCat("peer exited with code ", *exited, " before listening on port ", port));
    }
    if (exited.status().code() != absl::StatusCode::kDeadlineExceeded) return exited.status();
    if (MillisUntil(end) == 0) {
      return absl::DeadlineExceededError(absl::StrCat("nothing listening on port ", port));
    }
  }
}

}  // namespace kirim::testing
