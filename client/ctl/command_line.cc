#include "client/ctl/command_line.h"

#include <map>
#include <utility>

#include "absl/flags/commandlineflag.h"
#include "absl/flags/reflection.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace kirim::ctl {
namespace {

bool IsHelp(const std::string& arg) {
  return arg == "-h" || arg == "--help" || arg == "-help" || arg == "--helpfull" || arg == "-?";
}

bool IsList(const absl::CommandLineFlag& flag) {
  return flag.IsOfType<std::vector<std::string>>();
}

}  // namespace

CommandLine ParseCommandLine(const std::vector<std::string>& args) {
  CommandLine line;
  auto fail = [&](std::string message) {
    if (line.error.ok()) line.error = absl::InvalidArgumentError(std::move(message));
  };
  // name -> every value given, in order; applied after the scan so list flags can accumulate.
  std::vector<std::string> order;
  std::map<std::string, std::vector<std::string>> values;
  bool flags_ended = false;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (flags_ended || arg.size() < 2 || arg[0] != '-') {
      line.positionals.push_back(arg);
      continue;
    }
    if (arg == "--") {
      flags_ended = true;
      continue;
    }
    if (IsHelp(arg)) {
      line.help = true;
      continue;
    }
    std::string body = arg.substr(absl::StartsWith(arg, "--") ? 2 : 1);
    std::string name = body, value;
    bool has_value = false;
    if (const size_t eq = body.find('='); eq != std::string::npos) {
      name = body.substr(0, eq);
      value = body.substr(eq + 1);
      has_value = true;
    }
    absl::CommandLineFlag* flag = absl::FindCommandLineFlag(name);
    if (flag == nullptr && !has_value && absl::StartsWith(name, "no")) {
      absl::CommandLineFlag* negated = absl::FindCommandLineFlag(name.substr(2));
      if (negated != nullptr && negated->IsOfType<bool>()) {
        flag = negated;
        name = name.substr(2);
        value = "false";
        has_value = true;
      }
    }
    if (flag == nullptr || flag->IsRetired()) {
      fail(absl::StrCat("unknown flag --", name));
      continue;
    }
    if (!has_value) {
      if (flag->IsOfType<bool>()) {
        value = "true";
      } else if (i + 1 < args.size()) {
        value = args[++i];
      } else {
        fail(absl::StrCat("flag --", name, " needs a value (--", name, "=...)"));
        continue;
      }
    }
    if (values.find(name) == values.end()) order.push_back(name);
    values[name].push_back(value);
    line.given.insert(name);
  }
  for (const std::string& name : order) {
    absl::CommandLineFlag* flag = absl::FindCommandLineFlag(name);
    const std::vector<std::string>& given = values[name];
    // A list flag given several times means all of them; any other flag: the last one, as absl.
    const std::string value = IsList(*flag) ? absl::StrJoin(given, ",") : given.back();
    std::string error;
    if (!flag->ParseFrom(value, &error)) fail(absl::StrCat("--", name, ": ", error));
  }
  return line;
}

}  // namespace kirim::ctl
