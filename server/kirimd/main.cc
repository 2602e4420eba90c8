// kirimd: Kirim's server. Reads flags, config file and environment, then runs the App until
// SIGTERM or SIGINT. Only wiring lives here.
#include <signal.h>

#include <cstdio>
#include <cstdlib>
#include <iostream>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/synchronization/mutex.h"
#include "google/protobuf/text_format.h"
#include "server/common/clock.h"
#include "server/common/logger.h"
#include "grpc/support/log.h"
#include "server/config/config.h"
#include "server/kirimd/app.h"

ABSL_FLAG(std::string, config, "", "Config file: protobuf text, or JSON when it ends in .json");
ABSL_FLAG(std::string, role, "", "api, worker or all (overrides the config)");
ABSL_FLAG(std::string, listen, "", "gRPC listen address host:port (overrides the config)");
ABSL_FLAG(std::string, http_listen, "",
          "HTTP (/metrics) listen address host:port, or off (overrides the config)");
ABSL_FLAG(std::string, redis, "", "Redis host:port (overrides the config)");
ABSL_FLAG(std::string, sandbox_dir, "", "Sandbox folder for .eml files (overrides the config)");
ABSL_FLAG(std::string, log_level, "", "debug, info, warning or error (overrides the config)");
ABSL_FLAG(bool, check_config, false,
          "Print the effective configuration (no secrets) and exit 0, or the error and exit 2");

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "Kirim mail-sending service. See docs/configuration.md for the config file and KIRIM_* "
      "environment variables.");
  absl::ParseCommandLine(argc, argv);
  // Debian builds Abseil without NDEBUG, so absl::Mutex runs its debug-build deadlock detection:
  // every Lock() also updates one process-wide lock-order graph under one global spin lock
  // (GraphCycles showed in kirimd's profile). The tests keep it on to catch lock-order
  // inversions; the server does not pay for it on every lock of every thread.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);

  auto env = kirim::EnvironmentMap();
  // Flags override the environment, which overrides the file.
  auto set = [&](const std::string& flag, const char* var) {
    if (!flag.empty()) env[var] = flag;
  };
  set(absl::GetFlag(FLAGS_role), "KIRIM_ROLE");
  set(absl::GetFlag(FLAGS_listen), "KIRIM_LISTEN_ADDRESS");
  set(absl::GetFlag(FLAGS_http_listen), "KIRIM_HTTP_LISTEN_ADDRESS");
  set(absl::GetFlag(FLAGS_sandbox_dir), "KIRIM_SANDBOX_DIR");
  set(absl::GetFlag(FLAGS_log_level), "KIRIM_LOG_LEVEL");
  if (std::string redis = absl::GetFlag(FLAGS_redis); !redis.empty()) {
    size_t colon = redis.rfind(':');
    env["KIRIM_REDIS_HOST"] = redis.substr(0, colon);
    if (colon != std::string::npos) env["KIRIM_REDIS_PORT"] = redis.substr(colon + 1);
  }

  absl::StatusOr<kirim::Config> config = kirim::LoadConfig(absl::GetFlag(FLAGS_config), env);
  if (!config.ok()) {
    std::cerr << "kirimd: invalid configuration: " << config.status().message() << "\n";
    return 2;
  }
  const std::vector<std::string> unknown_env = kirim::UnknownEnvironment(env);
  if (absl::GetFlag(FLAGS_check_config)) {
    if (!unknown_env.empty()) {
      std::cerr << "kirimd: invalid configuration: unknown environment variable "
                << absl::StrJoin(unknown_env, ", ") << " (see docs/configuration.md)\n";
      return 2;
    }
    std::string text;
    google::protobuf::TextFormat::PrintToString(*config, &text);
    std::cout << text;
    return 0;
  }

  kirim::RealClock clock;
  kirim::LogLevel level = kirim::LogLevel::kInfo;
  kirim::ParseLogLevel(config->log_level(), &level);
  kirim::Logger logger(clock, level);
  // gRPC's own log lines go through the same JSON logger, so stderr is one JSON object a line.
  static kirim::Logger* grpc_logger = &logger;
  gpr_set_log_function([](gpr_log_func_args* args) {
    const kirim::LogLevel l = args->severity == GPR_LOG_SEVERITY_ERROR ? kirim::LogLevel::kError
                              : args->severity == GPR_LOG_SEVERITY_INFO ? kirim::LogLevel::kInfo
                                                                        : kirim::LogLevel::kDebug;
    grpc_logger->Log(l, "grpc", "grpc_log",
                     {{"file", args->file}, {"line", std::to_string(args->line)},
                      {"message", args->message}});
  });

  // Signals are taken synchronously by this thread; every thread started later inherits the
  // mask, so none is interrupted.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  signal(SIGPIPE, SIG_IGN);

  // Names only: a misspelt variable may well hold a secret.
  for (const std::string& name : unknown_env) {
    logger.Warning("kirimd", "unknown_environment_variable", {{"name", name}});
  }

  kirim::App app(*config, env, clock, logger);
  if (absl::Status s = app.Start(); !s.ok()) {
    logger.Error("kirimd", "start_failed", {{"error", s.message()}});
    return 1;
  }
  int received = 0;
  sigwait(&signals, &received);
  logger.Info("kirimd", "signal", {{"signal", received == SIGTERM ? "SIGTERM" : "SIGINT"}});
  if (!app.Stop()) {
    // Workers are still blocked in SMTP I/O past the grace period: leave without waiting for
    // them (their leases will be reclaimed by other workers).
    std::fflush(nullptr);
    std::_Exit(0);
  }
  return 0;
}
