// The flags every kirimctl command takes: where to connect, the key, TLS, the timeout, the
// output format and the config file. Read only when given on the command line, as the top layer
// of the settings (settings.h): a flag left out lets the environment or the config file decide.
//
//   CommandLine line = ParseCommandLine(args);
//   absl::StatusOr<SettingsLayer> flags = GlobalFlagLayer(line.given);
//   absl::StatusOr<Settings> settings = LoadSettings(*flags, ProcessEnv());
#ifndef KIRIM_CLIENT_CTL_GLOBAL_FLAGS_H_
#define KIRIM_CLIENT_CTL_GLOBAL_FLAGS_H_

#include <set>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "client/ctl/settings.h"

namespace kirim::ctl {

// The names of the global flags, in the order help lists them.
const std::vector<std::string>& GlobalFlagNames();

// The global flags named in `given`, as a settings layer. InvalidArgument naming the flag for a
// bad --output or a non-positive --timeout.
absl::StatusOr<SettingsLayer> GlobalFlagLayer(const std::set<std::string>& given);

}  // namespace kirim::ctl

#endif  // KIRIM_CLIENT_CTL_GLOBAL_FLAGS_H_
