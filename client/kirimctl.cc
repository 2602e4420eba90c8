// kirimctl: Kirim's command-line client. This file only wires: it reads the command line,
// resolves the settings, opens the connection and runs the command; each command lives in
// client/ctl/ (docs/kirimctl.md describes them all).
//
//   kirimctl send --from 'Shop <shop@example.com>' --to ana@example.net --subject Hi
//                 --text_file body.txt --attach invoice.pdf          # prints the message id
//   kirimctl watch <id>                       # until final: exit 0 delivered, 6 otherwise
//   kirimctl get <id> | cancel <id> | preview <the flags of send>
//   kirimctl batch --file rcpts.csv --from F --subject 'Hi {{name}}' --text 'Hello {{name}}'
//   kirimctl watch [--tag T] [--types bounced,expired] [--count N] --output json   # NDJSON
//   kirimctl queue list | pause <domain> | resume <domain> | retry <id | domain>
//   kirimctl domains create example.com --output zone | verify | get | list | rotate | delete
//   kirimctl keys create|list|revoke · suppression list|add|remove · templates · quota
//   kirimctl metrics · top
//   kirimctl help [<command>] · kirimctl <command> --help
//
// Settings (first wins): flags (--address, --api_key_file, --tls, --ca_file, --cert_file,
// --key_file, --server_name, --timeout, --output), then the environment (KIRIM_ADDRESS,
// KIRIM_API_KEY, KIRIM_API_KEY_FILE, KIRIM_TLS, KIRIM_CA_FILE, ...), then the config file
// (--config, $KIRIM_CONFIG or $XDG_CONFIG_HOME/kirim/kirimctl.conf). The API key is never a
// flag value (it would show in `ps`) nor a config-file entry: $KIRIM_API_KEY or a key file.
// --output table (default; text is an alias) or json.
//
// Exit codes (client/ctl/exit_codes.h): 0 ok; 1 the server refused (code and details on
// stderr); 2 usage error; 3 unreachable or timed out; 4 domains verify: not verified yet;
// 5 batch: some recipients refused; 6 watch <id>: the message ended without being delivered.
#include <iostream>
#include <string>
#include <vector>

#include "client/ctl/admin_commands.h"
#include "client/ctl/command.h"
#include "client/ctl/command_line.h"
#include "client/ctl/connection.h"
#include "client/ctl/domain_commands.h"
#include "client/ctl/exit_codes.h"
#include "client/ctl/global_flags.h"
#include "client/ctl/mail_commands.h"
#include "client/ctl/queue_commands.h"
#include "client/ctl/settings.h"
#include "client/ctl/watch_command.h"

namespace {

using namespace kirim::ctl;  // NOLINT: main wires this package only

std::vector<Command> AllCommands() {
  std::vector<Command> all = MailCommands();
  all.push_back(WatchCommand());
  for (Command& c : AdminCommands()) all.push_back(std::move(c));
  all.push_back(QueueCommand());
  all.push_back(DomainsCommand());
  // Answered below before anything else; a row so that it is listed and has --help too.
  all.push_back({.name = "help",
                 .summary = "list the commands, or show one command's usage",
                 .synopsis = "kirimctl help [<command>]",
                 .example = "kirimctl help watch"});
  return all;
}

// `kirimctl help [<command>]`, `kirimctl --help`, `kirimctl <command> --help`: to stdout, exit
// 0; an unknown command: to stderr, exit 2.
int Help(const std::vector<Command>& commands, const std::string& name) {
  if (name.empty()) {
    std::cout << ProgramHelp(commands);
    return kExitOk;
  }
  const Command* command = FindCommand(commands, name);
  if (command == nullptr) {
    std::cerr << "kirimctl: unknown command \"" << name << "\"\n\n" << ProgramHelp(commands);
    return kExitUsage;
  }
  std::cout << CommandHelp(*command);
  return kExitOk;
}

}  // namespace

int main(int argc, char** argv) {
  const std::vector<Command> commands = AllCommands();
  const CommandLine line = ParseCommandLine(std::vector<std::string>(argv + 1, argv + argc));
  const std::vector<std::string>& words = line.positionals;
  const std::string name = words.empty() ? "" : words[0];
  if (line.help) return Help(commands, name);
  if (name == "help") {
    if (words.size() > 2) {
      return UsageError(*FindCommand(commands, "help"), "expected at most one command name",
                        std::cerr);
    }
    return Help(commands, words.size() == 2 ? words[1] : "");
  }
  if (name.empty()) {
    std::cerr << "kirimctl: no command given\n\n" << ProgramHelp(commands);
    return kExitUsage;
  }
  const Command* command = FindCommand(commands, name);
  if (command == nullptr) {
    std::cerr << "kirimctl: unknown command \"" << name << "\"\n\n" << ProgramHelp(commands);
    return kExitUsage;
  }
  if (!line.error.ok()) return UsageError(*command, line.error.message(), std::cerr);
  if (std::vector<std::string> foreign = ForeignFlags(*command, line.given); !foreign.empty()) {
    return UsageError(*command, "--" + foreign[0] + " does not apply to kirimctl " + name,
                      std::cerr);
  }

  absl::StatusOr<SettingsLayer> flags = GlobalFlagLayer(line.given);
  if (!flags.ok()) return UsageError(*command, flags.status().message(), std::cerr);
  absl::StatusOr<Settings> settings = LoadSettings(*flags, ProcessEnv());
  if (!settings.ok()) {
    std::cerr << "kirimctl: " << settings.status().message() << "\n";
    return kExitUsage;
  }
  if (settings->output == OutputFormat::kZone && !command->zone_output) {
    return UsageError(*command, "--output zone applies to domains only (table or json here)",
                      std::cerr);
  }
  absl::StatusOr<std::unique_ptr<Connection>> connection = Connection::Open(*settings);
  if (!connection.ok()) {
    std::cerr << "kirimctl: " << connection.status().message() << "\n";
    return kExitUsage;
  }
  const std::vector<std::string> args(words.begin() + 1, words.end());
  const Invocation invocation{*command, args, *settings, **connection, std::cout, std::cerr};
  return command->run(invocation);
}
