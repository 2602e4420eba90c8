// Logger: one JSON object per line (time, level, component, event, then fields), injected into
// every component that logs. Callers pass only non-secret fields: a logger never sees
// passwords, keys or message bodies, so it cannot leak them.
//
//   logger.Info("worker", "delivered", {{"message_id", id}, {"reply", reply.ToString()}});
//   -> {"time":"2026-...Z","level":"info","component":"worker","event":"delivered",
//       "message_id":"01K...","reply":"250 2.0.0 Ok"}
#ifndef KIRIM_SERVER_COMMON_LOGGER_H_
#define KIRIM_SERVER_COMMON_LOGGER_H_

#include <cstdio>
#include <initializer_list>
#include <string>
#include <utility>

#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "server/common/clock.h"

namespace kirim {

enum class LogLevel { kDebug = 0, kInfo = 1, kWarning = 2, kError = 3 };

// "debug", "info", "warning" or "error"; false otherwise.
bool ParseLogLevel(absl::string_view text, LogLevel* level);

using LogFields = std::initializer_list<std::pair<absl::string_view, absl::string_view>>;

class Logger {
 public:
  // Writes to `out` (stderr in production). `clock` stamps each line.
  Logger(const Clock& clock, LogLevel min_level, FILE* out = stderr)
      : clock_(clock), min_level_(min_level), out_(out) {}

  void Log(LogLevel level, absl::string_view component, absl::string_view event, LogFields fields);
  void Debug(absl::string_view c, absl::string_view e, LogFields f = {}) { Log(LogLevel::kDebug, c, e, f); }
  void Info(absl::string_view c, absl::string_view e, LogFields f = {}) { Log(LogLevel::kInfo, c, e, f); }
  void Warning(absl::string_view c, absl::string_view e, LogFields f = {}) { Log(LogLevel::kWarning, c, e, f); }
  void Error(absl::string_view c, absl::string_view e, LogFields f = {}) { Log(LogLevel::kError, c, e, f); }

 private:
  const Clock& clock_;
  const LogLevel min_level_;
  FILE* const out_;
  absl::Mutex mu_;
};

// Appends `s` to `out` as a JSON string literal (quotes included), escaping per RFC 8259.
void AppendJsonString(std::string* out, absl::string_view s);

}  // namespace kirim

#endif  // KIRIM_SERVER_COMMON_LOGGER_H_
