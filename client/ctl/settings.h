// Where kirimctl connects and how: the address, the API key, TLS, the call timeout and the
// output format. Each setting comes from the first of these that gives it:
//
//   1. a command-line flag (--address, --api_key_file, --tls, --ca_file, --cert_file,
//      --key_file, --server_name, --timeout, --output)
//   2. the environment: KIRIM_ADDRESS, KIRIM_API_KEY (the key itself), KIRIM_API_KEY_FILE,
//      KIRIM_TLS (true/false), KIRIM_CA_FILE, KIRIM_CERT_FILE, KIRIM_KEY_FILE, KIRIM_SERVER_NAME
//   3. the config file: --config PATH, else $KIRIM_CONFIG, else
//      $XDG_CONFIG_HOME/kirim/kirimctl.conf ($XDG_CONFIG_HOME defaults to $HOME/.config). A
//      missing default file is fine; a missing file named by --config or $KIRIM_CONFIG is an
//      error.
//   4. the built-in default (127.0.0.1:50051, no key, plaintext, 10s, table).
//
// The config file holds `key = value` lines (keys: address, api_key_file, tls, ca_file,
// cert_file, key_file, server_name, timeout, output), `#` comment lines and blank lines; a value
// may be double-quoted; relative paths are relative to the file's directory. The API key itself
// is never read from a flag or the config file — a flag shows in `ps`, a config file gets copied
// around — only from $KIRIM_API_KEY or a file named by api_key_file. The key and the key file
// are one setting: the first layer that gives either decides it.
//
//   SettingsLayer flags;                        // only the flags given on the command line
//   flags.address = "kirim.internal:50051";
//   absl::StatusOr<Settings> s = LoadSettings(flags, ProcessEnv());
//
// Every error is InvalidArgument (a usage error) and names its source: the flag, the
// environment variable, or `file:line` of the config file.
#ifndef KIRIM_CLIENT_CTL_SETTINGS_H_
#define KIRIM_CLIENT_CTL_SETTINGS_H_

#include <functional>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "client/ctl/output.h"

namespace kirim::ctl {

struct Settings {
  // kirimd's gRPC address (any gRPC target).
  std::string address = "127.0.0.1:50051";
  // The API key, when it came from $KIRIM_API_KEY; otherwise read from api_key_file.
  std::string api_key;
  // A file holding the API key (surrounding white space ignored); "" for none.
  std::string api_key_file;
  // Connect with TLS, verifying the server against ca_file (default: the system's roots).
  bool tls = false;
  std::string ca_file;
  // mTLS: the client certificate and its private key (PEM), both or neither.
  std::string cert_file;
  std::string key_file;
  // TLS: the name the server's certificate must carry (default: the host of `address`).
  std::string server_name;
  // The deadline of each call (a watch stream: of connecting only).
  absl::Duration timeout = absl::Seconds(10);
  OutputFormat output = OutputFormat::kTable;
};

// One source of settings: each field is set only when that source gives it.
struct SettingsLayer {
  std::optional<std::string> address;
  std::optional<std::string> api_key;  // the environment only
  std::optional<std::string> api_key_file;
  std::optional<bool> tls;
  std::optional<std::string> ca_file;
  std::optional<std::string> cert_file;
  std::optional<std::string> key_file;
  std::optional<std::string> server_name;
  std::optional<absl::Duration> timeout;
  std::optional<OutputFormat> output;
  // The config file to read (flags only: --config).
  std::optional<std::string> config;
};

// An environment variable's value; nullopt when it is not set. Empty counts as not set.
using EnvLookup = std::function<std::optional<std::string>(const std::string& name)>;

// The process environment (getenv).
EnvLookup ProcessEnv();

// Which config file to read: `path`, and whether it must exist (it was named explicitly).
struct ConfigLocation {
  std::string path;  // "" when there is none to look for ($HOME unset, no XDG_CONFIG_HOME)
  bool required = false;
};
ConfigLocation LocateConfig(const SettingsLayer& flags, const EnvLookup& env);

// The settings of the environment (KIRIM_*).
absl::StatusOr<SettingsLayer> EnvironmentLayer(const EnvLookup& env);

// The settings of a config file's text; `path` names it in errors and anchors relative paths.
absl::StatusOr<SettingsLayer> ParseConfig(absl::string_view path, absl::string_view text);

// A config file as read: `text` is empty when there was none.
struct ConfigFile {
  std::string path;
  std::string text;
};

// The pure part: flags > environment > config file > defaults, then checked as a whole.
// `config` may be null (no config file).
absl::StatusOr<Settings> ResolveSettings(const SettingsLayer& flags, const EnvLookup& env,
                                         const ConfigFile* config);

// LocateConfig, read that file (a missing default one is skipped), then ResolveSettings.
absl::StatusOr<Settings> LoadSettings(const SettingsLayer& flags, const EnvLookup& env);

}  // namespace kirim::ctl

#endif  // KIRIM_CLIENT_CTL_SETTINGS_H_
