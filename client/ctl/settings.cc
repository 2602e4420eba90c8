#include "client/ctl/settings.h"

#include <cstdlib>
#include <map>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "client/ctl/files.h"

namespace kirim::ctl {
namespace {

constexpr char kConfigKeys[] =
    "address, api_key_file, tls, ca_file, cert_file, key_file, server_name, timeout, output";

absl::StatusOr<bool> ParseBool(absl::string_view text) {
  bool value;
  if (absl::SimpleAtob(text, &value)) return value;
  return absl::InvalidArgumentError(absl::StrCat("\"", text, "\" is not true or false"));
}

absl::StatusOr<absl::Duration> ParseTimeout(absl::string_view text) {
  absl::Duration d;
  if (!absl::ParseDuration(text, &d) || d <= absl::ZeroDuration() || d == absl::InfiniteDuration()) {
    return absl::InvalidArgumentError(
        absl::StrCat("\"", text, "\" is not a positive duration such as 10s or 1m30s"));
  }
  return d;
}

// A path from the config file: relative to the file's directory, so a config and the key file
// beside it can move together.
std::string ConfigPath(absl::string_view config_path, absl::string_view value) {
  if (value.empty() || value[0] == '/') return std::string(value);
  const size_t slash = config_path.rfind('/');
  if (slash == absl::string_view::npos) return std::string(value);
  return absl::StrCat(config_path.substr(0, slash + 1), value);
}

template <typename T>
const std::optional<T>& FirstOf(const std::optional<T>& a, const std::optional<T>& b,
                                const std::optional<T>& c) {
  return a.has_value() ? a : (b.has_value() ? b : c);
}

}  // namespace

EnvLookup ProcessEnv() {
  return [](const std::string& name) -> std::optional<std::string> {
    const char* value = std::getenv(name.c_str());
    if (value == nullptr || *value == '\0') return std::nullopt;
    return std::string(value);
  };
}

ConfigLocation LocateConfig(const SettingsLayer& flags, const EnvLookup& env) {
  if (flags.config.has_value()) return {*flags.config, true};
  if (auto path = env("KIRIM_CONFIG")) return {*path, true};
  if (auto xdg = env("XDG_CONFIG_HOME")) return {absl::StrCat(*xdg, "/kirim/kirimctl.conf"), false};
  if (auto home = env("HOME")) return {absl::StrCat(*home, "/.config/kirim/kirimctl.conf"), false};
  return {"", false};
}

absl::StatusOr<SettingsLayer> EnvironmentLayer(const EnvLookup& env) {
  SettingsLayer layer;
  layer.address = env("KIRIM_ADDRESS");
  layer.api_key = env("KIRIM_API_KEY");
  layer.api_key_file = env("KIRIM_API_KEY_FILE");
  if (auto tls = env("KIRIM_TLS")) {
    absl::StatusOr<bool> value = ParseBool(*tls);
    if (!value.ok()) return absl::InvalidArgumentError(absl::StrCat("KIRIM_TLS: ", value.status().message()));
    layer.tls = *value;
  }
  layer.ca_file = env("KIRIM_CA_FILE");
  layer.cert_file = env("KIRIM_CERT_FILE");
  layer.key_file = env("KIRIM_KEY_FILE");
  layer.server_name = env("KIRIM_SERVER_NAME");
  return layer;
}

absl::StatusOr<SettingsLayer> ParseConfig(absl::string_view path, absl::string_view text) {
  SettingsLayer layer;
  std::map<std::string, int> seen;  // key -> the line that set it
  int number = 0;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    ++number;
    const std::string where = absl::StrCat(path, ":", number, ": ");
    line = absl::StripAsciiWhitespace(line);
    if (line.empty() || line[0] == '#') continue;
    const size_t eq = line.find('=');
    if (eq == absl::string_view::npos) {
      return absl::InvalidArgumentError(absl::StrCat(where, "expected `key = value`"));
    }
    const std::string key(absl::StripAsciiWhitespace(line.substr(0, eq)));
    absl::string_view value = absl::StripAsciiWhitespace(line.substr(eq + 1));
    if (value.size() >= 2 && value.front() == '"' && value.back() == '"') {
      value = value.substr(1, value.size() - 2);
    }
    if (key == "api_key") {
      return absl::InvalidArgumentError(absl::StrCat(
          where, "api_key is not accepted in a config file (files get copied around): put the key in "
                 "a file of its own and set api_key_file, or use $KIRIM_API_KEY"));
    }
    if (auto [it, added] = seen.emplace(key, number); !added) {
      return absl::InvalidArgumentError(
          absl::StrCat(where, key, " is set twice (first on line ", it->second, ")"));
    }
    auto fail = [&](const absl::Status& s) {
      return absl::InvalidArgumentError(absl::StrCat(where, key, ": ", s.message()));
    };
    auto need_value = [&]() -> absl::Status {
      if (value.empty()) return fail(absl::InvalidArgumentError("no value"));
      return absl::OkStatus();
    };
    if (key == "address" || key == "server_name") {
      if (absl::Status s = need_value(); !s.ok()) return s;
      (key == "address" ? layer.address : layer.server_name) = std::string(value);
    } else if (key == "api_key_file" || key == "ca_file" || key == "cert_file" || key == "key_file") {
      if (absl::Status s = need_value(); !s.ok()) return s;
      std::optional<std::string>& field = key == "api_key_file" ? layer.api_key_file
                                          : key == "ca_file"    ? layer.ca_file
                                          : key == "cert_file"  ? layer.cert_file
                                                                : layer.key_file;
      field = ConfigPath(path, value);
    } else if (key == "tls") {
      absl::StatusOr<bool> tls = ParseBool(value);
      if (!tls.ok()) return fail(tls.status());
      layer.tls = *tls;
    } else if (key == "timeout") {
      absl::StatusOr<absl::Duration> timeout = ParseTimeout(value);
      if (!timeout.ok()) return fail(timeout.status());
      layer.timeout = *timeout;
    } else if (key == "output") {
      absl::StatusOr<OutputFormat> output = ParseOutputFormat(value);
      if (!output.ok()) return fail(absl::InvalidArgumentError(
          absl::StrCat("\"", value, "\" is not one of table, json, zone")));
      layer.output = *output;
    } else {
      return absl::InvalidArgumentError(
          absl::StrCat(where, "unknown key \"", key, "\" (known: ", kConfigKeys, ")"));
    }
  }
  return layer;
}

absl::StatusOr<Settings> ResolveSettings(const SettingsLayer& flags, const EnvLookup& env,
                                         const ConfigFile* config) {
  absl::StatusOr<SettingsLayer> environment = EnvironmentLayer(env);
  if (!environment.ok()) return environment.status();
  SettingsLayer file;
  if (config != nullptr) {
    absl::StatusOr<SettingsLayer> parsed = ParseConfig(config->path, config->text);
    if (!parsed.ok()) return parsed.status();
    file = *std::move(parsed);
  }
  const SettingsLayer& e = *environment;
  Settings s;
  if (auto& v = FirstOf(flags.address, e.address, file.address)) s.address = *v;
  if (auto& v = FirstOf(flags.tls, e.tls, file.tls)) s.tls = *v;
  if (auto& v = FirstOf(flags.ca_file, e.ca_file, file.ca_file)) s.ca_file = *v;
  if (auto& v = FirstOf(flags.cert_file, e.cert_file, file.cert_file)) s.cert_file = *v;
  if (auto& v = FirstOf(flags.key_file, e.key_file, file.key_file)) s.key_file = *v;
  if (auto& v = FirstOf(flags.server_name, e.server_name, file.server_name)) s.server_name = *v;
  if (auto& v = FirstOf(flags.timeout, e.timeout, file.timeout)) s.timeout = *v;
  if (auto& v = FirstOf(flags.output, e.output, file.output)) s.output = *v;
  // The key and the key file are one setting: a key file given as a flag beats $KIRIM_API_KEY,
  // and $KIRIM_API_KEY beats the config file's api_key_file.
  const SettingsLayer* const layers[] = {&flags, &e, &file};
  for (const SettingsLayer* layer : layers) {
    if (layer->api_key.has_value()) {
      s.api_key = *layer->api_key;
      break;
    }
    if (layer->api_key_file.has_value()) {
      s.api_key_file = *layer->api_key_file;
      break;
    }
  }

  if (s.address.empty()) return absl::InvalidArgumentError("address: empty");
  if (s.timeout <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError("timeout: must be positive, e.g. 10s");
  }
  if (s.cert_file.empty() != s.key_file.empty()) {
    return absl::InvalidArgumentError(
        "cert_file and key_file: mTLS needs both the client certificate and its key");
  }
  return s;
}

absl::StatusOr<Settings> LoadSettings(const SettingsLayer& flags, const EnvLookup& env) {
  const ConfigLocation where = LocateConfig(flags, env);
  if (where.path.empty()) return ResolveSettings(flags, env, nullptr);
  absl::StatusOr<std::string> text = ReadFile(where.path);
  if (!text.ok()) {
    if (absl::IsNotFound(text.status()) && !where.required) {
      return ResolveSettings(flags, env, nullptr);
    }
    return absl::InvalidArgumentError(absl::StrCat("config file: ", text.status().message()));
  }
  const ConfigFile config{where.path, *std::move(text)};
  return ResolveSettings(flags, env, &config);
}

}  // namespace kirim::ctl
