// kirimctl queue: AdminService's queue controls for the caller's tenant.
//
//   kirimctl queue list                      # paused destinations and those with mail waiting
//   kirimctl queue pause gmail.com           # mail to gmail.com stays queued
//   kirimctl queue resume gmail.com          # lifts the pause and makes the held mail due now
//   kirimctl queue retry 01KB5Z3Q8R6W9ZP0J4T2YV3N1M   # one deferred or scheduled message, now
//   kirimctl queue retry gmail.com           # every waiting message with a gmail.com recipient
#ifndef KIRIM_CLIENT_CTL_QUEUE_COMMANDS_H_
#define KIRIM_CLIENT_CTL_QUEUE_COMMANDS_H_

#include <string>

#include "absl/strings/string_view.h"
#include "client/ctl/command.h"
#include "kirim/v1/admin_service.pb.h"

namespace kirim::ctl {

Command QueueCommand();

// What `queue retry <target>` asks for: "destinations/<domain>" when `force_destination`, when
// the argument says so ("destinations/..."), or when it looks like a domain (it has a dot, which
// message ids never have); otherwise "messages/<id>".
v1::RetryNowRequest RetryTarget(absl::string_view target, bool force_destination);

}  // namespace kirim::ctl

#endif  // KIRIM_CLIENT_CTL_QUEUE_COMMANDS_H_
