// kirimd's configuration: a kirim.config.v1.Config loaded from a protobuf text file (or JSON,
// by the ".json" extension), then overridden by KIRIM_* environment variables (how Kubernetes
// sets per-pod values), then by flags; defaults filled in and the result validated before
// anything starts. Secrets are never config values: they come from files or environment and
// are read by the component that uses them (see ReadSecret).
//
//   std::map<std::string, std::string> env = EnvironmentMap();
//   absl::StatusOr<Config> config = LoadConfig(flag_config_path, env);
//   if (!config.ok()) { /* print config.status() and exit 2 */ }
#ifndef KIRIM_SERVER_CONFIG_CONFIG_H_
#define KIRIM_SERVER_CONFIG_CONFIG_H_

#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "kirim/config/v1/config.pb.h"

namespace kirim {

using Config = ::kirim::config::v1::Config;

// The process environment as a map (the only place that reads `environ`).
std::map<std::string, std::string> EnvironmentMap();

// Parses `path` (empty = no file), applies env overrides, fills defaults, validates.
absl::StatusOr<Config> LoadConfig(const std::string& path,
                                  const std::map<std::string, std::string>& env);

// Parses a config from text ("text" or "json" format), without defaults or validation.
absl::StatusOr<Config> ParseConfig(absl::string_view content, absl::string_view format);

// Applies the KIRIM_* variables documented in docs/configuration.md.
absl::Status ApplyEnvironment(const std::map<std::string, std::string>& env, Config* config);

// The KIRIM_* names in `env` that neither kirimd nor the other Kirim tools (kirimctl, the
// scripts) read: a misspelt variable in a manifest would otherwise be ignored without a word.
// kirimd logs them at start; `kirimd --check_config` refuses them.
std::vector<std::string> UnknownEnvironment(const std::map<std::string, std::string>& env);

// Fills every unset field with its documented default.
void ApplyDefaults(Config* config);

// InvalidArgument naming the first bad field, e.g. "delivery.relay.host: required in RELAY mode".
absl::Status ValidateConfig(const Config& config);

// A secret from a file (trailing newline trimmed) or, if `file` is empty, from env[`env_var`].
// NotFound when neither is set. The value is never logged by Kirim.
absl::StatusOr<std::string> ReadSecret(const std::string& file, const std::string& env_var,
                                       const std::map<std::string, std::string>& env);

}  // namespace kirim

#endif  // KIRIM_SERVER_CONFIG_CONFIG_H_
