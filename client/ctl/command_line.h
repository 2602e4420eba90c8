// kirimctl's own reading of argv, instead of absl::ParseCommandLine, for three things absl's
// does not give it:
//   - `--help` / `-h` belongs to the command (`kirimctl send --help` prints send's usage), where
//     absl would print every flag of the program and exit;
//   - which flags were given at all (CommandLineFlag::IsSpecifiedOnCommandLine is private in
//     Abseil 20220623, and comparing with the default cannot tell `--address=<the default>`
//     from no flag), so a flag beats the environment and the config file only when given;
//   - a bad flag is a usage error (exit 2) rather than absl's exit 1, and a list flag may be
//     repeated (`--attach a.pdf --attach b.png` is `--attach a.pdf,b.png`).
// The values still land in the ABSL_FLAGs (through CommandLineFlag::ParseFrom), so commands
// read them with absl::GetFlag as usual. Syntax as absl's: `--name=value`, `--name value`,
// `-name`, `--bool` / `--nobool` / `--bool=false`; `--` ends the flags.
//
//   CommandLine line = ParseCommandLine({argv + 1, argv + argc});
//   if (line.help) ...                        // even when something else was wrong
//   if (!line.error.ok()) ...                 // usage error
//   line.positionals;                         // {"get", "01KB5Z..."}
//   line.given.count("address");
#ifndef KIRIM_CLIENT_CTL_COMMAND_LINE_H_
#define KIRIM_CLIENT_CTL_COMMAND_LINE_H_

#include <set>
#include <string>
#include <vector>

#include "absl/status/status.h"

namespace kirim::ctl {

struct CommandLine {
  // The words that are not flags, in order: the command, its verb, its arguments.
  std::vector<std::string> positionals;
  // The names of the flags given (without dashes; `--nofoo` gives "foo").
  std::set<std::string> given;
  // --help, -h, -help, --helpfull or -? was given.
  bool help = false;
  // The first problem (an unknown flag, a bad value, a missing value); OK when none. Kept
  // apart from the rest so that `--help` is honoured even on a line that is wrong otherwise.
  absl::Status error;
};

// Reads `args` (argv without the program name) and sets every flag it names.
CommandLine ParseCommandLine(const std::vector<std::string>& args);

}  // namespace kirim::ctl

#endif  // KIRIM_CLIENT_CTL_COMMAND_LINE_H_
