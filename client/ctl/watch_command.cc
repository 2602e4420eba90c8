#include "client/ctl/watch_command.h"

#include <algorithm>
#include <atomic>
#include <functional>
#include <optional>
#include <thread>

#include "absl/flags/flag.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/strip.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "client/ctl/exit_codes.h"
#include "kirim/v1/mail_service.grpc.pb.h"

ABSL_FLAG(std::string, tag, "", "only events of messages carrying this tag");
ABSL_FLAG(std::vector<std::string>, types, {},
          "only these event types: queued, deferred, delayed, delivered, bounced, expired, "
          "suppressed, cancelled, failed");
ABSL_FLAG(std::string, cursor, "",
          "resume after this Event.cursor (default: from now)");

namespace kirim::ctl {
namespace {

bool IsFinalRecipient(v1::RecipientState s) {
  return s != v1::RECIPIENT_PENDING && s != v1::RECIPIENT_DEFERRED &&
         s != v1::RECIPIENT_STATE_UNSPECIFIED;
}

std::string Bare(const std::string& message_name) {
  absl::string_view id = message_name;
  absl::ConsumePrefix(&id, "messages/");
  return std::string(id);
}

std::string ReplyText(const v1::SmtpReply& reply) {
  if (reply.code() == 0) return reply.text();
  std::string out = absl::StrCat(reply.code());
  if (!reply.enhanced_code().empty()) absl::StrAppend(&out, " ", reply.enhanced_code());
  if (!reply.text().empty()) absl::StrAppend(&out, " ", reply.text());
  return out;
}

// Fixed widths: a stream's rows are not known in advance (output.h).
const std::vector<size_t>& EventWidths() {
  static const auto* const kWidths = new std::vector<size_t>{25, 10, 26, 28};
  return *kWidths;
}

void PrintEvent(const v1::Event& e, bool json, std::ostream& out) {
  if (json) {
    PrintJsonLine(e, out);
  } else {
    out << Table::FormatRow({FormatTimestamp(e.time()), v1::Event::Type_Name(e.type()),
                             Bare(e.message()), e.recipient(), ReplyText(e.reply())},
                            EventWidths())
        << "\n";
  }
  out.flush();
}

// Runs `wait`, a blocking step of the call `ctx` belongs to, and cancels that call if `wait`
// has not returned within `timeout`. False when it had to cancel.
bool WithinDeadline(grpc::ClientContext& ctx, absl::Duration timeout,
                    const std::function<void()>& wait) {
  absl::Notification returned;
  std::atomic<bool> cancelled{false};
  std::thread watchdog([&] {
    if (!returned.WaitForNotificationWithTimeout(timeout)) {
      cancelled = true;
      ctx.TryCancel();
    }
  });
  wait();
  returned.Notify();
  watchdog.join();
  return !cancelled;
}

absl::StatusOr<std::set<v1::Event::Type>> TypesFromFlags() {
  std::set<v1::Event::Type> types;
  for (const std::string& name : absl::GetFlag(FLAGS_types)) {
    v1::Event::Type type;
    if (!v1::Event::Type_Parse(absl::AsciiStrToUpper(name), &type) ||
        type == v1::Event::TYPE_UNSPECIFIED) {
      return absl::InvalidArgumentError(absl::StrCat(
          "--types: unknown event type \"", name,
          "\" (queued, deferred, delayed, delivered, bounced, expired, suppressed, cancelled, failed)"));
    }
    types.insert(type);
  }
  return types;
}

int Watch(const Invocation& in) {
  if (in.args.size() > 1) return in.UsageError("expected at most one message id");
  absl::StatusOr<std::set<v1::Event::Type>> types = TypesFromFlags();
  if (!types.ok()) return in.UsageError(types.status().message());
  const std::string tag = absl::GetFlag(FLAGS_tag);
  const int count = absl::GetFlag(FLAGS_count);
  const bool one_message = !in.args.empty();
  if (one_message && count != 0) {
    return in.UsageError("--count applies to watching a stream, not one message (which ends by itself)");
  }
  if (count < 0) return in.UsageError("--count must be 0 or more");

  v1::WatchEventsRequest req;
  req.set_cursor(absl::GetFlag(FLAGS_cursor));
  if (one_message) {
    // Filters would hide the final events the watch waits for: for one message they only
    // decide what is printed, here.
    req.set_message(ResourceName("messages/", in.args[0]));
  } else {
    req.set_tag(tag);
    for (v1::Event::Type t : *types) req.add_types(t);
  }
  grpc::ClientContext ctx;
  in.connection.Authorize(&ctx);
  std::unique_ptr<grpc::ClientReaderInterface<v1::Event>> reader =
      in.connection.mail().WatchEvents(&ctx, req);
  // The stream's start is fixed once its response headers arrive: wait for them as long as a
  // unary call would wait for its answer.
  if (!WithinDeadline(ctx, in.connection.timeout(),
                      [&] { reader->WaitForInitialMetadata(); })) {
    (void)reader->Finish();
    return in.Report(grpc::Status(grpc::StatusCode::DEADLINE_EXCEEDED,
                                  absl::StrCat("the event stream did not open within ",
                                               absl::FormatDuration(in.connection.timeout()))));
  }
  auto stop = [&]() {
    ctx.TryCancel();
    (void)reader->Finish();
  };

  std::optional<MessageTracker> tracker;
  auto read_message = [&](v1::Message* m) {
    v1::GetMessageRequest get;
    get.set_name(req.message());
    grpc::ClientContext get_ctx;
    in.connection.Prepare(&get_ctx);
    return in.connection.mail().GetMessage(&get_ctx, get, m);
  };
  v1::Message message;
  auto finished = [&]() {
    in.err << "message " << message.id() << " " << v1::MessageState_Name(message.state()) << "\n";
    return ExitCodeForFinalState(message.state());
  };
  if (one_message) {
    grpc::Status status = read_message(&message);
    if (!status.ok()) {
      stop();
      return in.Report(status);
    }
    tracker.emplace(message);
    if (tracker->final()) {
      stop();
      return finished();
    }
  }
  if (!in.json()) {
    in.out << Table::FormatRow({"TIME", "TYPE", "MESSAGE", "RECIPIENT", "REPLY"}, EventWidths())
           << "\n";
    in.out.flush();
  }
  v1::Event event;
  int printed = 0;
  while (reader->Read(&event)) {
    const bool wanted = !one_message || ((types->empty() || types->count(event.type())) &&
                                         (tag.empty() || std::find(event.tags().begin(),
                                                                   event.tags().end(),
                                                                   tag) != event.tags().end()));
    if (wanted) {
      PrintEvent(event, in.json(), in.out);
      ++printed;
    }
    if (!one_message) {
      if (count > 0 && printed >= count) {
        stop();
        return kExitOk;
      }
      continue;
    }
    if (!tracker->OnEvent(event)) continue;
    grpc::Status status = read_message(&message);
    if (!status.ok()) {
      stop();
      return in.Report(status);
    }
    if (tracker->Update(message)) {
      stop();
      return finished();
    }
  }
  grpc::Status status = reader->Finish();
  if (status.ok()) {
    // kirimd ends a stream only with an error; an OK end is still not what was asked for.
    status = grpc::Status(grpc::StatusCode::UNAVAILABLE,
                          "the event stream ended; watch again (with --cursor of the last event)");
  }
  return in.Report(status);
}

}  // namespace

bool IsFinalState(v1::MessageState state) {
  return state == v1::DELIVERED || state == v1::FAILED || state == v1::PARTIALLY_DELIVERED ||
         state == v1::CANCELLED;
}

int ExitCodeForFinalState(v1::MessageState state) {
  return state == v1::DELIVERED ? kExitOk : kExitNotDelivered;
}

bool MessageTracker::Update(const v1::Message& message) {
  final_ = IsFinalState(message.state());
  open_.clear();
  for (const auto& r : message.recipients()) {
    if (!IsFinalRecipient(r.state())) open_.insert(r.address());
  }
  return final_;
}

bool MessageTracker::OnEvent(const v1::Event& event) {
  switch (event.type()) {
    case v1::Event::DELIVERED:
    case v1::Event::BOUNCED:
    case v1::Event::EXPIRED:
    case v1::Event::SUPPRESSED:
      // Nothing open yet not final (not a state kirimd leaves a message in): ask again.
      if (open_.empty()) return true;
      if (open_.erase(event.recipient()) == 0) return false;
      return open_.empty();
    case v1::Event::CANCELLED:
    case v1::Event::FAILED:
      open_.clear();
      return true;
    default:
      return false;
  }
}

Command WatchCommand() {
  return {.name = "watch",
          .summary = "stream delivery events; with a message id, until that message is final",
          .synopsis = "kirimctl watch [--tag T] [--types delivered,bounced,...] [--cursor C] [--count N]\n"
                      "kirimctl watch <message id> [--types ...] [--cursor C]",
          .flags = {"tag", "types", "cursor", "count"},
          .example = "kirimctl watch --types bounced,expired --output json | jq .recipient\n"
                     "id=$(kirimctl send ...) && kirimctl watch \"$id\" && echo delivered",
          .notes = "One line per event: TIME TYPE MESSAGE RECIPIENT REPLY (--output json: one JSON\n"
                   "object per line). With a message id the watch ends when the message is final:\n"
                   "exit 0 if DELIVERED, 6 if FAILED, PARTIALLY_DELIVERED or CANCELLED; the final\n"
                   "state is printed on stderr. --timeout bounds connecting only.",
          .run = Watch};
}

}  // namespace kirim::ctl
