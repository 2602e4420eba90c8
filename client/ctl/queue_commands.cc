#include "client/ctl/queue_commands.h"

#include "absl/flags/flag.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "client/ctl/exit_codes.h"
#include "kirim/v1/admin_service.grpc.pb.h"

ABSL_FLAG(bool, destination, false,
          "queue retry: the argument is a destination domain (default: guessed from its shape)");
ABSL_FLAG(bool, retry_held, true,
          "queue resume: also make the mail held by the pause due now (--noretry_held: it is "
          "looked at again within 5 minutes)");

namespace kirim::ctl {
namespace {

int List(const Invocation& in) {
  v1::ListDestinationsResponse all;
  grpc::Status status = ListAllPages(
      in.connection, v1::ListDestinationsRequest(),
      [&](auto* ctx, const auto& req, auto* page) {
        return in.connection.admin().ListDestinations(ctx, req, page);
      },
      &all);
  if (!status.ok()) return in.Report(status);
  if (in.json()) {
    PrintJson(all, in.out);
    return kExitOk;
  }
  // WAITING: the caller's messages with a recipient there not yet delivered (deferred, held
  // by the pause, or --send_at): per destination, kirimd tracks only those.
  Table table({"DESTINATION", "PAUSED", "WAITING"});
  for (const auto& d : all.destinations()) {
    table.AddRow({d.domain(), d.paused() ? "yes" : "no", absl::StrCat(d.queue().scheduled())});
  }
  table.Print(in.out);
  return kExitOk;
}

int Retry(const Invocation& in, const v1::RetryNowRequest& req, v1::RetryNowResponse* resp) {
  grpc::ClientContext ctx;
  in.connection.Prepare(&ctx);
  grpc::Status status = in.connection.admin().RetryNow(&ctx, req, resp);
  return status.ok() ? kExitOk : in.Report(status);
}

int PauseOrResume(const Invocation& in, bool pause) {
  const std::string name = ResourceName("destinations/", in.args[1]);
  grpc::ClientContext ctx;
  in.connection.Prepare(&ctx);
  v1::Destination d;
  grpc::Status status;
  if (pause) {
    v1::PauseDestinationRequest req;
    req.set_name(name);
    status = in.connection.admin().PauseDestination(&ctx, req, &d);
  } else {
    v1::ResumeDestinationRequest req;
    req.set_name(name);
    status = in.connection.admin().ResumeDestination(&ctx, req, &d);
  }
  if (!status.ok()) return in.Report(status);
  PrintResult(in, d, absl::StrCat(pause ? "paused " : "resumed ", d.domain()));
  if (pause || !absl::GetFlag(FLAGS_retry_held)) return kExitOk;
  // Workers look at held mail again only every few minutes: resuming means "send it now".
  v1::RetryNowRequest retry;
  retry.set_destination(name);
  v1::RetryNowResponse retried;
  if (int code = Retry(in, retry, &retried); code != kExitOk) return code;
  if (!in.json()) in.out << "retried " << retried.retried_count() << "\n";
  return kExitOk;
}

int Queue(const Invocation& in) {
  const std::string verb = in.args.empty() ? "" : in.args[0];
  if (verb == "list" && in.args.size() == 1) return List(in);
  if ((verb == "pause" || verb == "resume") && in.args.size() == 2) {
    return PauseOrResume(in, verb == "pause");
  }
  if (verb == "retry" && in.args.size() == 2) {
    v1::RetryNowResponse resp;
    if (int code = Retry(in, RetryTarget(in.args[1], absl::GetFlag(FLAGS_destination)), &resp);
        code != kExitOk) {
      return code;
    }
    return PrintResult(in, resp, absl::StrCat("retried ", resp.retried_count()));
  }
  return in.UsageError(verb.empty() ? "expected list, pause, resume or retry"
                                    : absl::StrCat("wrong arguments for queue ", verb));
}

}  // namespace

v1::RetryNowRequest RetryTarget(absl::string_view target, bool force_destination) {
  v1::RetryNowRequest req;
  const bool destination = force_destination || absl::StartsWith(target, "destinations/") ||
                           (!absl::StartsWith(target, "messages/") && absl::StrContains(target, '.'));
  if (destination) {
    req.set_destination(ResourceName("destinations/", target));
  } else {
    req.set_message(ResourceName("messages/", target));
  }
  return req;
}

Command QueueCommand() {
  return {.name = "queue",
          .summary = "queue controls: list destinations (paused, or with mail waiting), pause, resume, retry now",
          .synopsis = "kirimctl queue list\n"
                      "kirimctl queue pause <domain>\n"
                      "kirimctl queue resume <domain> [--noretry_held]\n"
                      "kirimctl queue retry <message id | domain> [--destination]",
          .flags = {"destination", "retry_held"},
          .example = "kirimctl queue pause gmail.com && kirimctl queue list\n"
                     "kirimctl queue resume gmail.com",
          .notes = "pause keeps the tenant's mail to that domain queued (deferred, 451 4.3.2);\n"
                   "resume lifts it and, unless --noretry_held, makes the held mail due at once;\n"
                   "retry makes deferred or scheduled mail due now and prints how many.",
          .run = Queue};
}

}  // namespace kirim::ctl
