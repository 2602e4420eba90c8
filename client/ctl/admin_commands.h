// kirimctl's AdminService commands: keys, suppression, quota, templates, metrics, top (the
// queue controls are in queue_commands.h). Each is a row of the command table (command.h).
//
//   std::vector<Command> commands = AdminCommands();
#ifndef KIRIM_CLIENT_CTL_ADMIN_COMMANDS_H_
#define KIRIM_CLIENT_CTL_ADMIN_COMMANDS_H_

#include <vector>

#include "client/ctl/command.h"

namespace kirim::ctl {

std::vector<Command> AdminCommands();

}  // namespace kirim::ctl

#endif  // KIRIM_CLIENT_CTL_ADMIN_COMMANDS_H_
