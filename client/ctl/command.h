// The command table: each kirimctl command is a name, a one-line summary, its usage (synopsis,
// the flags that apply to it, an example) and a run function. The command files
// (mail_commands, watch_command, admin_commands, queue_commands, domain_commands) each return
// their rows; main concatenates them and dispatches on the first word. `--help` on a command,
// `kirimctl help <command>` and a usage error all print the same usage text.
//
//   Command get{.name = "get", .summary = "show a message", .synopsis = "kirimctl get <id>",
//               .flags = {}, .example = "kirimctl get 01KB5Z3Q8R6W9ZP0J4T2YV3N1M",
//               .run = [](const Invocation& in) {
//                 if (in.args.size() != 1) return in.UsageError("expected one message id");
//                 ...
//               }};
#ifndef KIRIM_CLIENT_CTL_COMMAND_H_
#define KIRIM_CLIENT_CTL_COMMAND_H_

#include <functional>
#include <ostream>
#include <set>
#include <string>
#include <vector>

#include "absl/flags/declare.h"
#include "absl/strings/string_view.h"
#include "client/ctl/connection.h"
#include "client/ctl/output.h"
#include "client/ctl/settings.h"
#include "google/protobuf/message.h"
#include "grpcpp/client_context.h"
#include "grpcpp/support/status.h"

// --count, shared by watch (events) and top (refreshes): 0 = until interrupted.
ABSL_DECLARE_FLAG(int, count);

namespace kirim::ctl {

struct Command;

// One run of a command: what it was given and where it writes.
struct Invocation {
  const Command& command;
  // The words after the command name (a verb and its arguments for grouped commands).
  const std::vector<std::string>& args;
  const Settings& settings;
  Connection& connection;
  std::ostream& out;
  std::ostream& err;

  bool json() const { return settings.output == OutputFormat::kJson; }
  // Prints "kirimctl: <why>" and the command's usage to `err`; returns kExitUsage.
  int UsageError(absl::string_view why) const;
  // ReportStatus(status, err).
  int Report(const grpc::Status& status) const;
};

struct Command {
  std::string name;
  // One line for `kirimctl help`.
  std::string summary;
  // One or more lines, each "kirimctl <name> ...".
  std::string synopsis;
  // The command's own flags (the global ones apply to every command): listed by --help, and
  // the only others a command line for it may carry.
  std::vector<std::string> flags;
  // One or more example lines.
  std::string example;
  // Notes printed after the flags (exit codes peculiar to the command, ...); may be empty.
  std::string notes;
  std::function<int(const Invocation&)> run;
  // Whether --output zone means something to this command (domains only).
  bool zone_output = false;
};

// `kirimctl <name> --help`: summary, synopsis, flags with their help and defaults, notes,
// example, and a pointer to the global flags.
std::string CommandHelp(const Command& command);

// Prints "kirimctl: <why>", a blank line and the command's help to `err`; returns kExitUsage.
int UsageError(const Command& command, absl::string_view why, std::ostream& err);

// `kirimctl --help`: every command with its summary, then the global flags.
std::string ProgramHelp(const std::vector<Command>& commands);

// The command called `name`, or null.
const Command* FindCommand(const std::vector<Command>& commands, absl::string_view name);

// "apiKeys/<id>" from "<id>" or "apiKeys/<id>" alike: `collection` ends with '/'.
std::string ResourceName(absl::string_view collection, absl::string_view arg);

// The response as JSON (--output json), else `line` and a newline: the table form of the many
// commands whose answer fits one line ("paused gmail.com"). Returns kExitOk.
int PrintResult(const Invocation& in, const google::protobuf::Message& response,
                absl::string_view line);

// Every page of a List call, merged into `all` (repeated fields appended, next_page_token
// cleared). `call` is one RPC, e.g. a lambda around stub.ListDomains; each page gets its own
// deadline. Stops if the server hands back the token it was given, rather than loop forever.
template <typename Request, typename Response, typename Call>
grpc::Status ListAllPages(const Connection& connection, Request request, Call call,
                          Response* all) {
  do {
    grpc::ClientContext ctx;
    connection.Prepare(&ctx);
    Response page;
    grpc::Status status = call(&ctx, request, &page);
    if (!status.ok()) return status;
    const bool stuck = page.next_page_token() == request.page_token();
    all->MergeFrom(page);
    if (stuck) break;
    request.set_page_token(page.next_page_token());
  } while (!request.page_token().empty());
  all->clear_next_page_token();
  return grpc::Status::OK;
}

// The flags among `given` that neither `command` nor the global set accepts.
std::vector<std::string> ForeignFlags(const Command& command, const std::set<std::string>& given);

}  // namespace kirim::ctl

#endif  // KIRIM_CLIENT_CTL_COMMAND_H_
