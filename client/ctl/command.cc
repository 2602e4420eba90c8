#include "client/ctl/command.h"

#include <algorithm>
#include <set>

#include "absl/flags/commandlineflag.h"
#include "absl/flags/flag.h"
#include "absl/flags/reflection.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "client/ctl/exit_codes.h"
#include "client/ctl/global_flags.h"
#include "client/ctl/status_report.h"

ABSL_FLAG(int, count, 0,
          "stop after this many (watch: events, top: refreshes); 0 = until interrupted");

namespace kirim::ctl {
namespace {

// "  --name  help (default: x)" for each flag, the help texts aligned.
std::string FlagLines(const std::vector<std::string>& names) {
  size_t width = 0;
  for (const std::string& name : names) width = std::max(width, name.size() + 2);
  width = std::min<size_t>(width, 20);
  std::string out;
  for (const std::string& name : names) {
    const absl::CommandLineFlag* flag = absl::FindCommandLineFlag(name);
    const std::string label = absl::StrCat("--", name);
    absl::StrAppend(&out, "  ", label);
    if (label.size() < width) out.append(width - label.size(), ' ');
    absl::StrAppend(&out, "  ", flag != nullptr ? flag->Help() : "");
    if (flag != nullptr) {
      const std::string def = flag->DefaultValue();
      if (!def.empty() && def != "false" && def != "0") absl::StrAppend(&out, " (default ", def, ")");
    }
    out += "\n";
  }
  return out;
}

std::string Indented(absl::string_view text) {
  std::string out;
  for (absl::string_view line : absl::StrSplit(text, '\n', absl::SkipEmpty())) {
    absl::StrAppend(&out, "  ", line, "\n");
  }
  return out;
}

}  // namespace

int UsageError(const Command& command, absl::string_view why, std::ostream& err) {
  err << "kirimctl: " << why << "\n\n" << CommandHelp(command);
  return kExitUsage;
}

int Invocation::UsageError(absl::string_view why) const {
  return ::kirim::ctl::UsageError(command, why, err);
}

int Invocation::Report(const grpc::Status& status) const { return ReportStatus(status, err); }

std::string CommandHelp(const Command& c) {
  std::string out = absl::StrCat("kirimctl ", c.name, ": ", c.summary, "\n\nusage:\n",
                                 Indented(c.synopsis));
  if (!c.flags.empty()) absl::StrAppend(&out, "\nflags:\n", FlagLines(c.flags));
  if (!c.notes.empty()) absl::StrAppend(&out, "\n", c.notes, c.notes.back() == '\n' ? "" : "\n");
  if (!c.example.empty()) absl::StrAppend(&out, "\nexample:\n", Indented(c.example));
  absl::StrAppend(&out, "\nglobal flags: --", absl::StrJoin(GlobalFlagNames(), " --"),
                  " (kirimctl help)\n");
  return out;
}

std::string ProgramHelp(const std::vector<Command>& commands) {
  std::string out =
      "kirimctl: Kirim's command-line client\n\nusage: kirimctl [flags] <command> [arguments]\n"
      "       kirimctl <command> --help      (or kirimctl help <command>)\n\ncommands:\n";
  size_t width = 0;
  for (const Command& c : commands) width = std::max(width, c.name.size());
  for (const Command& c : commands) {
    absl::StrAppend(&out, "  ", c.name, std::string(width - c.name.size() + 2, ' '), c.summary, "\n");
  }
  absl::StrAppend(&out, "\nglobal flags (any command; each also from the environment or the config file):\n",
                  FlagLines(GlobalFlagNames()),
                  "\nexit codes: 0 ok, 1 refused by the server, 2 usage error, 3 server unreachable,\n"
                  "4 domain not verified, 5 batch partly refused, 6 watched message not delivered\n"
                  "(docs/kirimctl.md)\n");
  return out;
}

const Command* FindCommand(const std::vector<Command>& commands, absl::string_view name) {
  for (const Command& c : commands) {
    if (c.name == name) return &c;
  }
  return nullptr;
}

int PrintResult(const Invocation& in, const google::protobuf::Message& response,
                absl::string_view line) {
  if (in.json()) {
    PrintJson(response, in.out);
  } else {
    in.out << line << "\n";
  }
  return kExitOk;
}

std::string ResourceName(absl::string_view collection, absl::string_view arg) {
  return absl::StartsWith(arg, collection) ? std::string(arg) : absl::StrCat(collection, arg);
}

std::vector<std::string> ForeignFlags(const Command& command, const std::set<std::string>& given) {
  std::set<std::string> accepted(command.flags.begin(), command.flags.end());
  accepted.insert(GlobalFlagNames().begin(), GlobalFlagNames().end());
  std::vector<std::string> foreign;
  for (const std::string& name : given) {
    if (!accepted.count(name)) foreign.push_back(name);
  }
  return foreign;
}

}  // namespace kirim::ctl
