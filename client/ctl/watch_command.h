// kirimctl watch: MailService.WatchEvents as one line per event (table) or one JSON object per
// line (NDJSON, for jq).
//
//   kirimctl watch                                  # every event of the tenant, until ^C
//   kirimctl watch --tag campaign-7 --types bounced --count 100
//   kirimctl watch 01KB5Z3Q8R6W9ZP0J4T2YV3N1M      # until the message is final: exit 0 when
//                                                   # DELIVERED, 6 otherwise
//
// Watching one message cannot miss its end, whatever the timing: the stream is opened first
// (from "now"; once its response headers have arrived every later event is included,
// docs/api.md), and only then is the message read with GetMessage. A message already final by
// then ends the watch at once; otherwise its final events are after the stream's start and
// arrive on it, because kirimd appends an event in the same Redis script that changes the
// message's state. The stream has no overall deadline (a quiet stream is fine); only the wait
// for its headers is bounded by --timeout.
#ifndef KIRIM_CLIENT_CTL_WATCH_COMMAND_H_
#define KIRIM_CLIENT_CTL_WATCH_COMMAND_H_

#include <set>
#include <string>

#include "client/ctl/command.h"
#include "kirim/v1/message.pb.h"

namespace kirim::ctl {

Command WatchCommand();

// DELIVERED, FAILED, PARTIALLY_DELIVERED, CANCELLED: no further event will change it.
bool IsFinalState(v1::MessageState state);

// kExitOk for DELIVERED, kExitNotDelivered for the other final states.
int ExitCodeForFinalState(v1::MessageState state);

// When to look again whether a watched message is final. Fed the message as GetMessage gave it
// after the stream opened, then each of its events: OnEvent says when every recipient that was
// still open then has had its final event (or a CANCELLED/FAILED event ended the whole
// message): the moment to read the message again. Asking only then (rather than after every
// event) lets every event of the message's last attempt print first, since they are all written
// together.
class MessageTracker {
 public:
  explicit MessageTracker(const v1::Message& message) { Update(message); }

  // The message as read again; true when it is final.
  bool Update(const v1::Message& message);
  // True when it is time to read the message again.
  bool OnEvent(const v1::Event& event);

  bool final() const { return final_; }

 private:
  bool final_ = false;
  std::set<std::string> open_;  // recipients without a final state
};

}  // namespace kirim::ctl

#endif  // KIRIM_CLIENT_CTL_WATCH_COMMAND_H_
