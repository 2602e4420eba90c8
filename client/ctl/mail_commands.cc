#include "client/ctl/mail_commands.h"

#include <openssl/sha.h>

#include <algorithm>

#include "absl/flags/flag.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "client/ctl/batch_file.h"
#include "client/ctl/exit_codes.h"
#include "client/ctl/files.h"
#include "client/ctl/message_flags.h"
#include "kirim/v1/mail_service.grpc.pb.h"
#include "server/common/proto_time.h"

ABSL_FLAG(std::string, file, "",
          "recipients: CSV (header row: to, variables, meta:<key>) or JSON (*.json)");
ABSL_FLAG(std::string, template_name, "",
          "a stored template (else --subject/--text/--html inline)");
ABSL_FLAG(int, batch_size, 1000, "recipients per SendBatch call (at most 10000)");
ABSL_FLAG(int, max_rate_retries, 100,
          "how often a page is sent again for recipients over the rate limit");

namespace kirim::ctl {
namespace {

int Send(const Invocation& in) {
  if (!in.args.empty()) return in.UsageError("send takes no arguments, only flags");
  absl::StatusOr<v1::SendEmailRequest> req = SendRequestFromFlags(absl::Now());
  if (!req.ok()) return in.UsageError(req.status().message());
  grpc::ClientContext ctx;
  in.connection.Prepare(&ctx);
  v1::SendEmailResponse resp;
  grpc::Status status = in.connection.mail().SendEmail(&ctx, *req, &resp);
  if (!status.ok()) return in.Report(status);
  if (in.json()) {
    PrintJson(resp, in.out);
  } else {
    in.out << resp.id() << "\n";
  }
  return kExitOk;
}

// What `send` with the same flags would send, queueing nothing. The message goes to stdout;
// the route and any refusals to stderr, so `kirimctl preview ... > msg.eml` keeps the message.
int Preview(const Invocation& in) {
  if (!in.args.empty()) return in.UsageError("preview takes no arguments, only flags");
  absl::StatusOr<v1::SendEmailRequest> req = SendRequestFromFlags(absl::Now());
  if (!req.ok()) return in.UsageError(req.status().message());
  grpc::ClientContext ctx;
  in.connection.Prepare(&ctx);
  v1::PreviewEmailResponse resp;
  grpc::Status status = in.connection.mail().PreviewEmail(&ctx, *req, &resp);
  if (!status.ok()) return in.Report(status);
  if (in.json()) {
    PrintJson(resp, in.out);
    return kExitOk;
  }
  in.out << resp.mime();
  const auto& r = resp.route();
  in.err << "route: " << v1::Route::Kind_Name(r.kind());
  if (!r.host().empty()) in.err << " " << r.host() << ":" << r.port();
  if (r.tls() != v1::Route::TLS_UNSPECIFIED) in.err << " " << v1::Route::Tls_Name(r.tls());
  in.err << "\n";
  for (const auto& refusal : resp.refusals()) {
    in.err << "refused: " << refusal.recipient() << ": " << refusal.reason() << "\n";
  }
  return kExitOk;
}

// get and cancel: one message in, the message out.
template <typename Request, typename Call>
int ShowMessage(const Invocation& in, Call call) {
  if (in.args.size() != 1) return in.UsageError("expected one message id");
  Request req;
  req.set_name(in.args[0]);
  grpc::ClientContext ctx;
  in.connection.Prepare(&ctx);
  v1::Message m;
  grpc::Status status = call(&ctx, req, &m);
  if (!status.ok()) return in.Report(status);
  if (in.json()) {
    PrintJson(m, in.out);
  } else {
    PrintMessage(m, in.out);
  }
  return kExitOk;
}

int Get(const Invocation& in) {
  return ShowMessage<v1::GetMessageRequest>(in, [&](auto* ctx, const auto& req, auto* m) {
    return in.connection.mail().GetMessage(ctx, req, m);
  });
}

// Only a message no worker holds can be cancelled: FAILED_PRECONDITION (exit 1) says why not.
int Cancel(const Invocation& in) {
  return ShowMessage<v1::CancelMessageRequest>(in, [&](auto* ctx, const auto& req, auto* m) {
    return in.connection.mail().CancelMessage(ctx, req, m);
  });
}

// The request every page of a batch shares: sender, template, attachments, tags, priority.
absl::StatusOr<v1::SendBatchRequest> BatchBase() {
  v1::SendBatchRequest base;
  base.set_from(absl::GetFlag(FLAGS_from));
  const std::string tpl = absl::GetFlag(FLAGS_template_name);
  if (!tpl.empty()) {
    base.set_template_name(ResourceName("templates/", tpl));
  } else {
    auto* t = base.mutable_inline_template();
    t->set_subject(SubjectFromFlags());
    absl::StatusOr<std::string> text = TextBodyFromFlags();
    if (!text.ok()) return text.status();
    t->set_text_body(*std::move(text));
    absl::StatusOr<std::string> html = HtmlBodyFromFlags();
    if (!html.ok()) return html.status();
    t->set_html_body(*std::move(html));
  }
  absl::StatusOr<google::protobuf::RepeatedPtrField<v1::Attachment>> attachments =
      AttachmentsFromFlags();
  if (!attachments.ok()) return attachments.status();
  *base.mutable_attachments() = *std::move(attachments);
  for (const auto& tag : absl::GetFlag(FLAGS_tags)) base.add_tags(tag);
  // Bulk unless asked otherwise, as SendBatch itself: a campaign never delays receipts.
  absl::StatusOr<v1::Priority> priority = PriorityFromFlags(v1::BULK);
  if (!priority.ok()) return priority.status();
  base.set_priority(*priority);
  absl::StatusOr<std::optional<absl::Time>> send_at = SendAtFromFlags(absl::Now());
  if (!send_at.ok()) return send_at.status();
  if (send_at->has_value()) *base.mutable_send_at() = ToProtoTime(**send_at);
  return base;
}

// Sends a recipients file through SendBatch in pages of --batch_size, each with an idempotency
// key derived from the run's key (default: a hash of the file and the message), so running the
// same command again never sends twice. Recipients over the tenant's rate limit are retried
// (the run paces itself); the daily quota is not waited for. Progress on stderr (table output);
// a summary at the end, or with --output json every page's items in one SendBatchResponse
// whose indexes count from the file's first recipient.
int Batch(const Invocation& in) {
  if (!in.args.empty()) return in.UsageError("batch takes no arguments, only flags");
  const std::string path = absl::GetFlag(FLAGS_file);
  if (path.empty()) return in.UsageError("batch needs --file recipients.csv|.json");
  absl::StatusOr<std::string> text = ReadFile(path);
  if (!text.ok()) return in.UsageError(absl::StrCat("--file: ", text.status().message()));
  absl::StatusOr<std::vector<BatchRow>> rows = ParseRecipients(path, *text);
  if (!rows.ok()) return in.UsageError(absl::StrCat(path, ": ", rows.status().message()));
  absl::StatusOr<v1::SendBatchRequest> base = BatchBase();
  if (!base.ok()) return in.UsageError(base.status().message());

  std::string run_key = absl::GetFlag(FLAGS_idempotency_key);
  if (run_key.empty()) {
    // Deterministic across runs (absl::Hash is seeded per process): the same file and message
    // always make the same keys.
    const std::string material = absl::StrCat(*text, "\n", base->SerializeAsString());
    unsigned char digest[SHA256_DIGEST_LENGTH];
    SHA256(reinterpret_cast<const unsigned char*>(material.data()), material.size(), digest);
    run_key = absl::StrCat("kirimctl-batch-", absl::BytesToHexString(absl::string_view(
                                                  reinterpret_cast<const char*>(digest), 16)));
  }
  const int page = std::max(1, std::min(absl::GetFlag(FLAGS_batch_size), 10000));
  const int total = static_cast<int>(rows->size());
  v1::SendBatchResponse all;
  std::vector<std::string> refusals;
  for (int start = 0; start < total; start += page) {
    v1::SendBatchRequest req = *base;
    req.set_idempotency_key(absl::StrCat(run_key, "/", start / page));
    const int end = std::min(total, start + page);
    for (int i = start; i < end; ++i) {
      auto* r = req.add_recipients();
      r->set_to((*rows)[i].to);
      r->mutable_variables()->insert((*rows)[i].variables.begin(), (*rows)[i].variables.end());
      r->mutable_metadata()->insert((*rows)[i].metadata.begin(), (*rows)[i].metadata.end());
    }
    // Recipients refused by the tenant's rate limit are sent again with the same page request:
    // its idempotency keys make the accepted ones answer with their ids and queue nothing, so
    // only the limited ones are tried again, after a pause that grows to 5 s.
    v1::SendBatchResponse resp;
    for (int attempt = 0;; ++attempt) {
      grpc::ClientContext ctx;
      in.connection.Prepare(&ctx);
      resp.Clear();
      grpc::Status status = in.connection.mail().SendBatch(&ctx, req, &resp);
      if (!status.ok()) {
        if (!in.json()) in.err << "\n";
        return in.Report(status);
      }
      const bool limited = std::any_of(resp.items().begin(), resp.items().end(), [](const auto& it) {
        return it.error_code() == static_cast<int>(grpc::StatusCode::RESOURCE_EXHAUSTED) &&
               absl::StrContains(it.error_message(), "rate limit");
      });
      if (!limited || attempt >= absl::GetFlag(FLAGS_max_rate_retries)) break;
      absl::SleepFor(std::min(absl::Milliseconds(200) * (attempt + 1), absl::Seconds(5)));
    }
    all.set_accepted_count(all.accepted_count() + resp.accepted_count());
    all.set_rejected_count(all.rejected_count() + resp.rejected_count());
    for (const auto& item : resp.items()) {
      v1::SendBatchResponse::Item* copy = all.add_items();
      *copy = item;
      copy->set_index(start + item.index());
      if (item.id().empty()) {
        refusals.push_back(absl::StrCat("row ", start + item.index() + 1, " (",
                                        (*rows)[start + item.index()].to, "): ",
                                        item.error_message()));
      }
    }
    if (!in.json()) {
      const int width = 30, filled = total == 0 ? width : end * width / total;
      in.err << "\r[" << std::string(filled, '#') << std::string(width - filled, ' ') << "] "
             << end << "/" << total << "  accepted " << all.accepted_count() << "  refused "
             << all.rejected_count() << std::flush;
    }
  }
  if (in.json()) {
    PrintJson(all, in.out);
  } else {
    in.err << "\n";
    in.out << "accepted " << all.accepted_count() << " of " << total << ", refused "
           << all.rejected_count() << "\n";
    for (size_t i = 0; i < refusals.size() && i < 50; ++i) in.out << "  " << refusals[i] << "\n";
    if (refusals.size() > 50) in.out << "  ... and " << refusals.size() - 50 << " more\n";
  }
  return all.rejected_count() == 0 ? kExitOk : kExitPartlyRefused;
}

}  // namespace

void PrintMessage(const v1::Message& m, std::ostream& out) {
  out << "id:       " << m.id() << "\n"
      << "state:    " << v1::MessageState_Name(m.state()) << "\n"
      << "from:     " << m.from() << "\n"
      << "subject:  " << m.subject() << "\n";
  for (const auto& r : m.recipients()) {
    out << "rcpt:     " << r.address() << "  " << v1::RecipientState_Name(r.state());
    if (r.reply().code()) {
      out << "  " << r.reply().code() << " " << r.reply().enhanced_code() << " " << r.reply().text();
    }
    out << "\n";
  }
  for (const auto& a : m.attempts()) {
    out << "attempt:  " << a.remote() << "  " << a.reply().code() << " " << a.reply().text();
    if (!a.error().empty()) out << "  (" << a.error() << ")";
    out << "\n";
  }
}

std::vector<Command> MailCommands() {
  std::vector<std::string> batch_flags = {
      "file",    "from",      "reply_to", "template_name", "subject",         "text",
      "text_file", "html",    "html_file", "attach",       "tags",            "priority",
      "send_at", "batch_size", "idempotency_key", "max_rate_retries"};
  return {
      {.name = "send",
       .summary = "send one message; prints its id",
       .synopsis = "kirimctl send --from F --to A[,B] [--cc ..] [--bcc ..] --subject S\n"
                   "              (--text T | --text_file F) [--html H | --html_file F]\n"
                   "              [--attach FILE]... [--send_at TIME] [--idempotency_key K]",
       .flags = SendFlagNames(),
       .example = "kirimctl send --from 'Shop <shop@example.com>' --to ana@example.net \\\n"
                  "    --subject 'Your invoice' --text_file body.txt --attach invoice-42.pdf",
       .notes = "--output json prints the SendEmailResponse (id, name, message_id_header).",
       .run = Send},
      {.name = "preview",
       .summary = "print the message `send` would send (DKIM-signed), queueing nothing",
       .synopsis = "kirimctl preview <the flags of send>",
       .flags = SendFlagNames(),
       .example = "kirimctl preview --from shop@example.com --to ana@example.net --subject Hi "
                  "--text Hello > hi.eml",
       .notes = "The message goes to stdout; the route and any refusals to stderr.",
       .run = Preview},
      {.name = "batch",
       .summary = "one template to every recipient of a CSV or JSON file (progress, summary)",
       .synopsis = "kirimctl batch --file rcpts.csv|rcpts.json --from F\n"
                   "               (--template_name T | --subject S --text T [--html H])\n"
                   "               [--batch_size 1000] [--idempotency_key K] [--attach FILE]...",
       .flags = batch_flags,
       .example = "kirimctl batch --file recipients.csv --from 'Toko <news@example.com>' \\\n"
                  "    --subject 'Hi {{name}}' --text 'Hello {{name}}!'",
       .notes = "Running the same command again sends nothing twice (keys derived from the file and\n"
                "the message). Exit 5 when some recipients were refused (they are listed), 1 when\n"
                "a whole page was refused.",
       .run = Batch},
      {.name = "get",
       .summary = "a message's state, per-recipient results and attempts",
       .synopsis = "kirimctl get <message id | messages/<id>>",
       .example = "kirimctl get 01KB5Z3Q8R6W9ZP0J4T2YV3N1M",
       .run = Get},
      {.name = "cancel",
       .summary = "cancel a message that has not been sent yet; prints its new state",
       .synopsis = "kirimctl cancel <message id | messages/<id>>",
       .example = "kirimctl cancel 01KB5Z3Q8R6W9ZP0J4T2YV3N1M",
       .notes = "Exit 1 (FAILED_PRECONDITION) when the message is being sent or already final.",
       .run = Cancel},
  };
}

}  // namespace kirim::ctl
