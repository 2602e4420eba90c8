#include "client/ctl/global_flags.h"

#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"

// The defaults shown here are only for --help: a flag that is not given is not read (the
// environment or the config file may set the setting), so they come from Settings itself.
ABSL_FLAG(std::string, address, kirim::ctl::Settings().address,
          "kirimd's gRPC address ($KIRIM_ADDRESS, config address)");
ABSL_FLAG(std::string, config, "",
          "config file ($KIRIM_CONFIG; default $XDG_CONFIG_HOME/kirim/kirimctl.conf)");
ABSL_FLAG(std::string, api_key_file, "",
          "file holding the API key ($KIRIM_API_KEY_FILE, config api_key_file; or the key "
          "itself in $KIRIM_API_KEY)");
ABSL_FLAG(bool, tls, kirim::ctl::Settings().tls, "connect with TLS ($KIRIM_TLS, config tls)");
ABSL_FLAG(std::string, ca_file, "",
          "TLS: PEM CA bundle to verify the server, default the system's ($KIRIM_CA_FILE)");
ABSL_FLAG(std::string, cert_file, "", "mTLS: client certificate, PEM ($KIRIM_CERT_FILE)");
ABSL_FLAG(std::string, key_file, "", "mTLS: client private key, PEM ($KIRIM_KEY_FILE)");
ABSL_FLAG(std::string, server_name, "",
          "TLS: the name the server certificate must carry, default the host of --address "
          "($KIRIM_SERVER_NAME)");
ABSL_FLAG(absl::Duration, timeout, kirim::ctl::Settings().timeout,
          "deadline of each call; for watch, of connecting (config timeout)");
ABSL_FLAG(std::string, output, "table",
          "table (text is an alias) or json; domains also takes zone (config output)");

namespace kirim::ctl {

const std::vector<std::string>& GlobalFlagNames() {
  static const auto* const kNames = new std::vector<std::string>{
      "address",   "api_key_file", "config",      "tls",     "ca_file",
      "cert_file", "key_file",     "server_name", "timeout", "output"};
  return *kNames;
}

absl::StatusOr<SettingsLayer> GlobalFlagLayer(const std::set<std::string>& given) {
  SettingsLayer layer;
  auto set = [&](const char* name, std::optional<std::string>& field,
                 const absl::Flag<std::string>& flag) {
    if (given.count(name)) field = absl::GetFlag(flag);
  };
  set("address", layer.address, FLAGS_address);
  set("config", layer.config, FLAGS_config);
  set("api_key_file", layer.api_key_file, FLAGS_api_key_file);
  set("ca_file", layer.ca_file, FLAGS_ca_file);
  set("cert_file", layer.cert_file, FLAGS_cert_file);
  set("key_file", layer.key_file, FLAGS_key_file);
  set("server_name", layer.server_name, FLAGS_server_name);
  if (given.count("tls")) layer.tls = absl::GetFlag(FLAGS_tls);
  if (given.count("timeout")) {
    const absl::Duration timeout = absl::GetFlag(FLAGS_timeout);
    if (timeout <= absl::ZeroDuration() || timeout == absl::InfiniteDuration()) {
      return absl::InvalidArgumentError("--timeout: must be a positive duration such as 10s");
    }
    layer.timeout = timeout;
  }
  if (given.count("output")) {
    absl::StatusOr<OutputFormat> output = ParseOutputFormat(absl::GetFlag(FLAGS_output));
    if (!output.ok()) return absl::InvalidArgumentError(absl::StrCat("--", output.status().message()));
    layer.output = *output;
  }
  return layer;
}

}  // namespace kirim::ctl
