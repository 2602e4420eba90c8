// kirimctl's MailService commands: send, preview, batch, get, cancel (watch is in
// watch_command.h). Each is a row of the command table (command.h).
//
//   std::vector<Command> commands = MailCommands();
#ifndef KIRIM_CLIENT_CTL_MAIL_COMMANDS_H_
#define KIRIM_CLIENT_CTL_MAIL_COMMANDS_H_

#include <ostream>
#include <vector>

#include "client/ctl/command.h"
#include "kirim/v1/message.pb.h"

namespace kirim::ctl {

std::vector<Command> MailCommands();

// A message for people, as `get` and `cancel` print it: id, state, from, subject, then one line
// per recipient and per attempt with the remote replies.
void PrintMessage(const v1::Message& m, std::ostream& out);

}  // namespace kirim::ctl

#endif  // KIRIM_CLIENT_CTL_MAIL_COMMANDS_H_
