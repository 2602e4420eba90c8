// sink_counter: timestamps the moment Postfix's smtp-sink has accepted a given number of
// messages, for bench/run. smtp-sink -c prints running counters ("sess=3 quit=3 mesg=3",
// '\r'-separated) each time a session ends or a message's final "." arrives; this reads them
// on stdin and, when mesg first reaches --target, writes "<count> <CLOCK_REALTIME ns>" to
// --done. It keeps draining stdin (so smtp-sink never blocks on a full pipe) and rewrites
// --status with the latest count at most every 100 ms, then once more at EOF.
//
//   mkfifo f; sink_counter --target=20000 --done=d --status=s < f &
//   smtp-sink -u nobody -c 127.0.0.1:2525 1000 > f &
//
// Bounded: exits at EOF (smtp-sink stopped) or after --max_seconds.
#include <poll.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <string>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

ABSL_FLAG(int64_t, target, 0, "Message count to timestamp (>= 1)");
ABSL_FLAG(std::string, done, "", "File written once the target is reached");
ABSL_FLAG(std::string, status, "", "File holding the latest count (optional)");
ABSL_FLAG(int, max_seconds, 3600, "Exit after this long even without EOF (1..86400)");

namespace {

int64_t RealtimeNanos() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// Writes `text` to `path` through a rename, so a reader never sees half of it.
void WriteAtomically(const std::string& path, const std::string& text) {
  if (path.empty()) return;
  const std::string tmp = path + ".tmp";
  FILE* f = std::fopen(tmp.c_str(), "w");
  if (f == nullptr) return;
  std::fputs(text.c_str(), f);
  std::fclose(f);
  std::rename(tmp.c_str(), path.c_str());
}

// The "mesg=" counter of one record, or -1.
int64_t MesgCount(absl::string_view record) {
  size_t at = record.find("mesg=");
  if (at == absl::string_view::npos) return -1;
  absl::string_view digits = record.substr(at + 5);
  size_t end = digits.find_first_not_of("0123456789");
  int64_t value = -1;
  if (!absl::SimpleAtoi(digits.substr(0, end), &value)) return -1;
  return value;
}

}  // namespace

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage("Timestamps when smtp-sink -c reports --target messages.");
  absl::ParseCommandLine(argc, argv);
  const int64_t target = absl::GetFlag(FLAGS_target);
  const std::string done_path = absl::GetFlag(FLAGS_done);
  const std::string status_path = absl::GetFlag(FLAGS_status);
  const int max_seconds = absl::GetFlag(FLAGS_max_seconds);
  if (target < 1 || done_path.empty() || max_seconds < 1 || max_seconds > 86400) {
    std::cerr << "sink_counter: need --target >= 1, --done, and a sane --max_seconds\n";
    return 2;
  }

  using Clock = std::chrono::steady_clock;
  const auto stop_at = Clock::now() + std::chrono::seconds(max_seconds);
  auto last_status = Clock::now();
  int64_t count = 0;
  bool reached = false;
  std::string pending;
  char buf[65536];
  WriteAtomically(status_path, "0\n");
  while (Clock::now() < stop_at) {
    pollfd p = {STDIN_FILENO, POLLIN, 0};
    if (poll(&p, 1, 100) < 0) break;
    if (p.revents != 0) {
      ssize_t got = read(STDIN_FILENO, buf, sizeof buf);
      if (got <= 0) break;  // EOF: smtp-sink is gone
      pending.append(buf, static_cast<size_t>(got));
      size_t start = 0;
      for (size_t i = 0; i < pending.size(); ++i) {
        if (pending[i] != '\r' && pending[i] != '\n') continue;
        int64_t c = MesgCount(absl::string_view(pending).substr(start, i - start));
        if (c > count) count = c;
        start = i + 1;
        if (!reached && count >= target) {
          reached = true;
          WriteAtomically(done_path, absl::StrCat(count, " ", RealtimeNanos(), "\n"));
        }
      }
      pending.erase(0, start);
    }
    if (Clock::now() - last_status >= std::chrono::milliseconds(100)) {
      WriteAtomically(status_path, absl::StrCat(count, "\n"));
      last_status = Clock::now();
    }
  }
  WriteAtomically(status_path, absl::StrCat(count, "\n"));
  return reached ? 0 : 1;
}
