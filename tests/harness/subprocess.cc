#include "tests/harness/subprocess.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "absl/strings/str_cat.h"

extern char** environ;

namespace kirim::testing {
namespace {

// How long WaitForPort waits for news from the process before it tries to connect again.
constexpr absl::Duration kConnectRetry = absl::Milliseconds(20);

sockaddr_in Loopback(int port) {
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(port));
  return addr;
}

}  // namespace

int FreePort() {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr = Loopback(0);
  bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  socklen_t len = sizeof addr;
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  close(fd);
  return ntohs(addr.sin_port);
}

std::string MakeTempDir(const std::string& name) {
  const char* base = std::getenv("TEST_TMPDIR");
  std::string templ = absl::StrCat(base ? base : "/tmp", "/", name, ".XXXXXX");
  std::vector<char> buf(templ.begin(), templ.end());
  buf.push_back('\0');
  char* dir = mkdtemp(buf.data());
  return dir ? std::string(dir) : std::string();
}

std::string Runfile(const std::string& path) {
  const char* srcdir = std::getenv("TEST_SRCDIR");
  const char* ws = std::getenv("TEST_WORKSPACE");
  if (srcdir == nullptr) return path;
  return absl::StrCat(srcdir, "/", ws ? ws : "kirim", "/", path);
}

int ExitCode(int wait_status) {
  if (wait_status == -1) return -1;
  if (WIFEXITED(wait_status)) return WEXITSTATUS(wait_status);
  if (WIFSIGNALED(wait_status)) return 128 + WTERMSIG(wait_status);
  return -1;
}

Subprocess::~Subprocess() {
  if (pid_ > 0) Kill();
  if (reader_.joinable()) reader_.join();
}

absl::Status Subprocess::Start(const std::vector<std::string>& argv,
                               const std::map<std::string, std::string>& env) {
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) return absl::InternalError("pipe failed");
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, fds[1], STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(&actions, fds[1], STDERR_FILENO);
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  // Its own process group, so Stop() reaches whatever the child starts too. Default signal
  // handling and an empty mask, whatever the test runner set up, so Stop()'s SIGTERM lands.
  sigset_t none, all;
  sigemptyset(&none);
  sigfillset(&all);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setsigdefault(&attr, &all);
  posix_spawnattr_setflags(&attr,
                           POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  posix_spawnattr_setpgroup(&attr, 0);

  std::map<std::string, std::string> merged;
  for (char** e = environ; *e != nullptr; ++e) {
    const char* eq = std::strchr(*e, '=');
    if (eq) merged[std::string(*e, static_cast<size_t>(eq - *e))] = std::string(eq + 1);
  }
  for (const auto& [k, v] : env) merged[k] = v;
  std::vector<std::string> env_strings;
  for (const auto& [k, v] : merged) env_strings.push_back(k + "=" + v);
  std::vector<char*> envp, args;
  for (auto& s : env_strings) envp.push_back(s.data());
  envp.push_back(nullptr);
  std::vector<std::string> argv_copy = argv;
  for (auto& s : argv_copy) args.push_back(s.data());
  args.push_back(nullptr);

  int rc = posix_spawn(&pid_, args[0], &actions, &attr, args.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  close(fds[1]);
  if (rc != 0) {
    close(fds[0]);
    pid_ = -1;
    return absl::InternalError(absl::StrCat("cannot start ", argv[0], ": ", std::strerror(rc)));
  }
  {
    absl::MutexLock lock(&mu_);
    lines_.clear();
    eof_ = false;
  }
  if (reader_.joinable()) reader_.join();
  reader_ = std::thread([this, fd = fds[0]] { ReadLoop(fd); });
  return absl::OkStatus();
}

void Subprocess::ReadLoop(int fd) {
  {
    absl::MutexLock lock(&mu_);
    fd_ = fd;
  }
  std::string partial;
  char buf[4096];
  while (true) {
    // Wait without the lock; read and split under it, so that a caller holding the lock who
    // finds the pipe empty knows every byte written so far is in lines_ (CatchUpLocked).
    pollfd p{fd, POLLIN, 0};
    if (poll(&p, 1, -1) < 0) {
      if (errno == EINTR) continue;
      break;
    }
    absl::MutexLock lock(&mu_);
    ssize_t n = read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    partial.append(buf, n);
    size_t pos;
    while ((pos = partial.find('\n')) != std::string::npos) {
      lines_.push_back(partial.substr(0, pos));
      partial.erase(0, pos + 1);
    }
    ++chunks_read_;
  }
  absl::MutexLock lock(&mu_);
  close(fd);
  fd_ = -1;
  if (!partial.empty()) lines_.push_back(partial);
  eof_ = true;
}

void Subprocess::CatchUpLocked() {
  // The process printed its line before it did what the caller has since observed (a peer
  // prints RECEIVED before its 250), so the line is in lines_ or still in the pipe. Wait, a
  // bounded time, until the reader has emptied the pipe.
  const absl::Time deadline = absl::Now() + absl::Seconds(10);
  while (!eof_ && fd_ >= 0) {
    int unread = 0;
    if (ioctl(fd_, FIONREAD, &unread) != 0 || unread == 0) return;
    const uint64_t seen = chunks_read_;
    auto progressed = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
      return eof_ || chunks_read_ != seen;
    };
    if (!mu_.AwaitWithDeadline(absl::Condition(&progressed), deadline)) return;
  }
}

absl::StatusOr<std::string> Subprocess::WaitForLine(
    const std::function<bool(const std::string&)>& match, absl::Duration timeout,
    size_t from_line) {
  absl::MutexLock lock(&mu_);
  size_t checked = from_line;
  std::string found;
  bool have = false;
  auto ready = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    for (; checked < lines_.size(); ++checked) {
      if (match(lines_[checked])) {
        found = lines_[checked];
        have = true;
        return true;
      }
    }
    return eof_;
  };
  mu_.AwaitWithTimeout(absl::Condition(&ready), timeout);
  if (have) return found;
  return absl::DeadlineExceededError(absl::StrCat(
      eof_ ? "process ended" : "timed out", " before the expected output; last lines:",
      TailLocked()));
}

std::string Subprocess::TailLocked() {
  std::string tail;
  for (size_t i = lines_.size() > 20 ? lines_.size() - 20 : 0; i < lines_.size(); ++i) {
    absl::StrAppend(&tail, "\n  | ", lines_[i]);
  }
  return tail;
}

absl::StatusOr<std::string> Subprocess::WaitForOutput(const std::string& needle,
                                                      absl::Duration timeout) {
  return WaitForLine([&](const std::string& l) { return l.find(needle) != std::string::npos; },
                     timeout);
}

absl::Status Subprocess::WaitForPort(int port, absl::Duration timeout) {
  if (pid_ <= 0) return absl::FailedPreconditionError("not running");
  const absl::Time deadline = absl::Now() + timeout;
  const sockaddr_in addr = Loopback(port);
  while (true) {
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return absl::InternalError(absl::StrCat("socket: ", std::strerror(errno)));
    int rc = connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr);
    int error = errno;
    close(fd);
    if (rc == 0) return absl::OkStatus();
    if (error != ECONNREFUSED) {
      return absl::UnavailableError(
          absl::StrCat("connect to 127.0.0.1:", port, ": ", std::strerror(error)));
    }
    // Not listening yet. Wait for the process to print or exit, or for the retry interval.
    absl::MutexLock lock(&mu_);
    const size_t seen = lines_.size();
    auto news = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return eof_ || lines_.size() > seen; };
    mu_.AwaitWithDeadline(absl::Condition(&news), std::min(deadline, absl::Now() + kConnectRetry));
    if (eof_) {
      return absl::UnavailableError(absl::StrCat(
          "process ended before listening on port ", port, "; last lines:", TailLocked()));
    }
    if (absl::Now() >= deadline) {
      return absl::DeadlineExceededError(absl::StrCat(
          "nothing listening on port ", port, " in time; last lines:", TailLocked()));
    }
  }
}

std::vector<std::string> Subprocess::Lines() {
  absl::MutexLock lock(&mu_);
  CatchUpLocked();
  return lines_;
}

size_t Subprocess::LineCount() {
  absl::MutexLock lock(&mu_);
  CatchUpLocked();
  return lines_.size();
}

void Subprocess::Signal(int signal) {
  if (pid_ > 0) kill(-pid_, signal);
}

int Subprocess::Reap(absl::Duration timeout) {
  if (pid_ <= 0) return -1;
  // Wait for the output pipe to close (the process and its children exited), then reap.
  {
    absl::MutexLock lock(&mu_);
    mu_.AwaitWithTimeout(absl::Condition(&eof_), timeout);
    if (!eof_) return -1;
  }
  int status = 0;
  waitpid(pid_, &status, 0);
  pid_ = -1;
  if (reader_.joinable()) reader_.join();
  return status;
}

int Subprocess::Stop(absl::Duration grace) {
  if (pid_ <= 0) return -1;
  kill(-pid_, SIGTERM);
  int status = Reap(grace);
  if (status == -1 && pid_ > 0) {
    Kill();
    return -1;
  }
  return status;
}

void Subprocess::Kill() {
  if (pid_ <= 0) return;
  kill(-pid_, SIGKILL);
  int status = 0;
  waitpid(pid_, &status, 0);
  pid_ = -1;
  if (reader_.joinable()) reader_.join();
}

int Subprocess::Wait(absl::Duration timeout) { return Reap(timeout); }

}  // namespace kirim::testing
