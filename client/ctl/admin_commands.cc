#include "client/ctl/admin_commands.h"

#include <algorithm>

#include "absl/flags/flag.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "client/ctl/exit_codes.h"
#include "client/ctl/message_flags.h"
#include "kirim/v1/admin_service.grpc.pb.h"

ABSL_FLAG(std::string, display_name, "", "a name for the key");
ABSL_FLAG(std::vector<std::string>, scopes, {}, "send,read,domains,admin");
ABSL_FLAG(std::string, tenant, "", "the tenant (operator keys only; default your own)");
ABSL_FLAG(std::string, reason, "manual", "manual, hard_bounce, unsubscribe or complaint");
ABSL_FLAG(std::string, detail, "", "a note on why");
ABSL_FLAG(absl::Duration, interval, absl::Seconds(2), "time between refreshes");

namespace kirim::ctl {
namespace {

// The verb of a grouped command ("keys list"), "" when missing.
std::string Verb(const Invocation& in) { return in.args.empty() ? "" : in.args[0]; }

int Keys(const Invocation& in) {
  const std::string verb = Verb(in);
  v1::AdminService::StubInterface& admin = in.connection.admin();
  grpc::ClientContext ctx;
  in.connection.Prepare(&ctx);
  if (verb == "create" && in.args.size() == 1) {
    v1::CreateApiKeyRequest req;
    req.set_display_name(absl::GetFlag(FLAGS_display_name));
    req.set_tenant(absl::GetFlag(FLAGS_tenant));
    for (const std::string& name : absl::GetFlag(FLAGS_scopes)) {
      v1::ApiKey::Scope scope;
      if (!v1::ApiKey::Scope_Parse(absl::AsciiStrToUpper(name), &scope) ||
          scope == v1::ApiKey::SCOPE_UNSPECIFIED) {
        return in.UsageError(absl::StrCat("unknown scope ", name, " (send, read, domains, admin)"));
      }
      req.add_scopes(scope);
    }
    v1::CreateApiKeyResponse resp;
    grpc::Status status = admin.CreateApiKey(&ctx, req, &resp);
    if (!status.ok()) return in.Report(status);
    if (in.json()) {
      PrintJson(resp, in.out);
    } else {
      in.err << "created " << resp.api_key().name() << " for tenant " << resp.api_key().tenant()
             << "; the key is shown once:\n";
      in.out << resp.secret() << "\n";
    }
    return kExitOk;
  }
  if (verb == "list" && in.args.size() == 1) {
    v1::ListApiKeysResponse resp;
    grpc::Status status = admin.ListApiKeys(&ctx, v1::ListApiKeysRequest(), &resp);
    if (!status.ok()) return in.Report(status);
    if (in.json()) {
      PrintJson(resp, in.out);
      return kExitOk;
    }
    for (const auto& k : resp.api_keys()) {
      in.out << k.name() << "  " << k.display_name() << "  tenant=" << k.tenant() << "  scopes=";
      for (int i = 0; i < k.scopes_size(); ++i) {
        in.out << (i ? "," : "") << v1::ApiKey::Scope_Name(k.scopes(i));
      }
      in.out << (k.has_revoke_time() ? "  REVOKED" : "") << "\n";
    }
    return kExitOk;
  }
  if (verb == "revoke" && in.args.size() == 2) {
    v1::RevokeApiKeyRequest req;
    req.set_name(ResourceName("apiKeys/", in.args[1]));
    v1::ApiKey resp;
    grpc::Status status = admin.RevokeApiKey(&ctx, req, &resp);
    if (!status.ok()) return in.Report(status);
    return PrintResult(in, resp, absl::StrCat("revoked ", resp.name()));
  }
  return in.UsageError(verb.empty() ? "expected create, list or revoke"
                                    : absl::StrCat("wrong arguments for keys ", verb));
}

int Suppression(const Invocation& in) {
  const std::string verb = Verb(in);
  v1::AdminService::StubInterface& admin = in.connection.admin();
  if (verb == "list" && in.args.size() == 1) {
    v1::ListSuppressionsResponse all;
    grpc::Status status = ListAllPages(
        in.connection, v1::ListSuppressionsRequest(),
        [&](auto* ctx, const auto& req, auto* page) { return admin.ListSuppressions(ctx, req, page); },
        &all);
    if (!status.ok()) return in.Report(status);
    if (in.json()) {
      PrintJson(all, in.out);
      return kExitOk;
    }
    for (const auto& s : all.suppressions()) {
      in.out << s.address() << "  " << v1::Suppression::Reason_Name(s.reason()) << "  "
             << FormatTimestamp(s.create_time()) << (s.detail().empty() ? "" : "  ") << s.detail()
             << "\n";
    }
    return kExitOk;
  }
  if (verb == "add" && in.args.size() == 2) {
    v1::AddSuppressionRequest req;
    req.set_address(in.args[1]);
    v1::Suppression::Reason reason;
    if (!v1::Suppression::Reason_Parse(absl::AsciiStrToUpper(absl::GetFlag(FLAGS_reason)), &reason) ||
        reason == v1::Suppression::REASON_UNSPECIFIED) {
      return in.UsageError(absl::StrCat("unknown reason ", absl::GetFlag(FLAGS_reason),
                                        " (manual, hard_bounce, unsubscribe, complaint)"));
    }
    req.set_reason(reason);
    req.set_detail(absl::GetFlag(FLAGS_detail));
    grpc::ClientContext ctx;
    in.connection.Prepare(&ctx);
    v1::Suppression resp;
    grpc::Status status = admin.AddSuppression(&ctx, req, &resp);
    if (!status.ok()) return in.Report(status);
    return PrintResult(in, resp,
                       absl::StrCat("suppressed ", resp.address(), " (",
                                    v1::Suppression::Reason_Name(resp.reason()), ")"));
  }
  if (verb == "remove" && in.args.size() == 2) {
    v1::RemoveSuppressionRequest req;
    req.set_name(ResourceName("suppressions/", in.args[1]));
    grpc::ClientContext ctx;
    in.connection.Prepare(&ctx);
    v1::RemoveSuppressionResponse resp;
    grpc::Status status = admin.RemoveSuppression(&ctx, req, &resp);
    if (!status.ok()) return in.Report(status);
    return PrintResult(in, resp, absl::StrCat("removed ", req.name()));
  }
  return in.UsageError(verb.empty() ? "expected list, add or remove"
                                    : absl::StrCat("wrong arguments for suppression ", verb));
}

int Quota(const Invocation& in) {
  if (!in.args.empty()) return in.UsageError("quota takes no arguments");
  grpc::ClientContext ctx;
  in.connection.Prepare(&ctx);
  v1::Quota q;
  grpc::Status status = in.connection.admin().GetQuota(&ctx, v1::GetQuotaRequest(), &q);
  if (!status.ok()) return in.Report(status);
  if (in.json()) {
    PrintJson(q, in.out);
    return kExitOk;
  }
  in.out << "rate:   "
         << (q.rate_per_second() > 0
                 ? absl::StrFormat("%g recipients/s, burst %d", q.rate_per_second(), q.burst())
                 : std::string("no limit"))
         << "\n";
  in.out << "daily:  "
         << (q.daily_limit() > 0
                 ? absl::StrCat(q.daily_remaining(), " of ", q.daily_limit(),
                                " recipients left, until ", FormatTimestamp(q.daily_reset_time()))
                 : std::string("no limit"))
         << "\n";
  return kExitOk;
}

int Templates(const Invocation& in) {
  const std::string verb = Verb(in);
  v1::AdminService::StubInterface& admin = in.connection.admin();
  const std::string name = in.args.size() == 2 ? ResourceName("templates/", in.args[1]) : "";
  grpc::ClientContext ctx;
  in.connection.Prepare(&ctx);
  grpc::Status status;
  v1::Template t;
  if (verb == "create" && in.args.size() == 2) {
    v1::CreateTemplateRequest req;
    req.set_template_id(in.args[1]);
    req.mutable_template_()->set_subject(SubjectFromFlags());
    absl::StatusOr<std::string> text = TextBodyFromFlags();
    if (!text.ok()) return in.UsageError(text.status().message());
    req.mutable_template_()->set_text_body(*std::move(text));
    absl::StatusOr<std::string> html = HtmlBodyFromFlags();
    if (!html.ok()) return in.UsageError(html.status().message());
    req.mutable_template_()->set_html_body(*std::move(html));
    status = admin.CreateTemplate(&ctx, req, &t);
  } else if (verb == "get" && in.args.size() == 2) {
    v1::GetTemplateRequest req;
    req.set_name(name);
    status = admin.GetTemplate(&ctx, req, &t);
  } else if (verb == "delete" && in.args.size() == 2) {
    v1::DeleteTemplateRequest req;
    req.set_name(name);
    v1::DeleteTemplateResponse resp;
    status = admin.DeleteTemplate(&ctx, req, &resp);
    if (!status.ok()) return in.Report(status);
    return PrintResult(in, resp, absl::StrCat("deleted ", name));
  } else if (verb == "list" && in.args.size() == 1) {
    v1::ListTemplatesResponse all;
    status = ListAllPages(
        in.connection, v1::ListTemplatesRequest(),
        [&](auto* ctx, const auto& req, auto* page) { return admin.ListTemplates(ctx, req, page); },
        &all);
    if (!status.ok()) return in.Report(status);
    if (in.json()) {
      PrintJson(all, in.out);
    } else {
      for (const auto& each : all.templates()) in.out << each.name() << "  " << each.subject() << "\n";
    }
    return kExitOk;
  } else {
    return in.UsageError(verb.empty() ? "expected create, get, list or delete"
                                      : absl::StrCat("wrong arguments for templates ", verb));
  }
  if (!status.ok()) return in.Report(status);
  // A template's bodies are multi-line: JSON shows them exactly, in either format.
  PrintJson(t, in.out);
  return kExitOk;
}

// The figures of GetMetrics as a table; with `previous` (top) also the rate of each counter
// since then.
void PrintMetrics(const v1::Metrics& m, const v1::Metrics* previous, double seconds,
                  std::ostream& out) {
  auto row = [&](const char* name, int64_t value, int64_t before) {
    out << absl::StrFormat("%-19s%d", name, value);
    if (previous != nullptr && seconds > 0) {
      out << absl::StrFormat("   %8.1f/s", static_cast<double>(value - before) / seconds);
    }
    out << "\n";
  };
  const v1::Metrics none;
  const v1::Metrics& p = previous != nullptr ? *previous : none;
  row("accepted", m.accepted_total(), p.accepted_total());
  row("rejected", m.rejected_total(), p.rejected_total());
  row("delivered", m.delivered_total(), p.delivered_total());
  row("deferred", m.deferred_total(), p.deferred_total());
  row("bounced", m.bounced_total(), p.bounced_total());
  row("expired", m.expired_total(), p.expired_total());
  row("suppressed", m.suppressed_total(), p.suppressed_total());
  auto latency = [&](const char* name, const v1::LatencySummary& l) {
    out << absl::StrFormat("%-19sp50 %.3fs  p90 %.3fs  p99 %.3fs  (%d)\n", name, l.p50_seconds(),
                           l.p90_seconds(), l.p99_seconds(), l.count());
  };
  latency("accept->delivered", m.accept_to_delivered());
  latency("smtp attempt", m.smtp_session());
  if (!m.queue_by_lane().empty()) {
    out << absl::StrFormat("\n%-19s%10s%10s%10s%10s\n", "queue", "ready", "scheduled",
                           "in flight", "dead");
    for (const char* lane : {"transactional", "bulk"}) {
      auto it = m.queue_by_lane().find(lane);
      if (it == m.queue_by_lane().end()) continue;
      const auto& q = it->second;
      out << absl::StrFormat("%-19s%10d%10d%10d%10d\n", lane, q.ready(), q.scheduled(),
                             q.in_flight(), q.dead());
    }
  }
  if (!m.queue_by_destination().empty()) {
    std::vector<std::pair<int64_t, std::string>> stuck;
    for (const auto& [domain, q] : m.queue_by_destination()) stuck.emplace_back(q.scheduled(), domain);
    std::sort(stuck.rbegin(), stuck.rend());
    out << "\ndeferred recipients by destination\n";
    for (const auto& [n, domain] : stuck) out << absl::StrFormat("  %-30s%d\n", domain, n);
  }
}

// metrics: once. top: refreshed every --interval until interrupted (or --count times).
int Metrics(const Invocation& in, bool top) {
  if (!in.args.empty()) return in.UsageError(absl::StrCat(in.command.name, " takes no arguments"));
  v1::Metrics previous;
  absl::Time previous_time;
  const int count = top ? absl::GetFlag(FLAGS_count) : 1;
  for (int i = 0; count <= 0 || i < count; ++i) {
    if (i > 0) absl::SleepFor(absl::GetFlag(FLAGS_interval));
    grpc::ClientContext ctx;
    in.connection.Prepare(&ctx);
    v1::Metrics m;
    grpc::Status status = in.connection.admin().GetMetrics(&ctx, v1::GetMetricsRequest(), &m);
    if (!status.ok()) return in.Report(status);
    const absl::Time now = absl::Now();
    if (in.json()) {
      // top: one object per refresh on one line each (NDJSON), like watch.
      if (top) {
        PrintJsonLine(m, in.out);
      } else {
        PrintJson(m, in.out);
      }
    } else {
      if (top) {
        in.out << "\033[H\033[2J" << absl::FormatTime("%H:%M:%S", now, absl::LocalTimeZone()) << "\n";
      }
      PrintMetrics(m, i > 0 ? &previous : nullptr, absl::ToDoubleSeconds(now - previous_time), in.out);
    }
    in.out.flush();
    previous = m;
    previous_time = now;
  }
  return kExitOk;
}

}  // namespace

std::vector<Command> AdminCommands() {
  return {
      {.name = "keys",
       .summary = "API keys: create (the secret is shown once), list, revoke",
       .synopsis = "kirimctl keys create --display_name N --scopes send,read[,domains,admin] [--tenant T]\n"
                   "kirimctl keys list\n"
                   "kirimctl keys revoke <key id | apiKeys/<id>>",
       .flags = {"display_name", "scopes", "tenant"},
       .example = "kirimctl keys create --display_name ci --scopes send,read > ci.key",
       .notes = "keys create prints the secret alone on stdout (the note about it goes to stderr).",
       .run = Keys},
      {.name = "suppression",
       .summary = "the suppression list: list, add, remove",
       .synopsis = "kirimctl suppression list\n"
                   "kirimctl suppression add <address> [--reason manual|hard_bounce|unsubscribe|complaint]\n"
                   "                         [--detail D]\n"
                   "kirimctl suppression remove <address>",
       .flags = {"reason", "detail"},
       .example = "kirimctl suppression add ana@example.net --reason unsubscribe --detail 'asked by phone'",
       .run = Suppression},
      {.name = "quota",
       .summary = "your sending rate and what is left of the daily quota",
       .synopsis = "kirimctl quota",
       .example = "kirimctl quota --output json",
       .run = Quota},
      {.name = "templates",
       .summary = "stored templates: create, get, list, delete",
       .synopsis = "kirimctl templates create <id> --subject S (--text T | --text_file F) [--html H | --html_file F]\n"
                   "kirimctl templates get <id>\n"
                   "kirimctl templates list\n"
                   "kirimctl templates delete <id>",
       .flags = {"subject", "text", "text_file", "html", "html_file"},
       .example = "kirimctl templates create welcome --subject 'Welcome, {{name}}' --html_file welcome.html",
       .notes = "create and get print the template as JSON (its bodies span lines).",
       .run = Templates},
      {.name = "metrics",
       .summary = "the cluster's figures (GetMetrics) as a table",
       .synopsis = "kirimctl metrics",
       .example = "kirimctl metrics --output json",
       .run = [](const Invocation& in) { return Metrics(in, false); }},
      {.name = "top",
       .summary = "metrics refreshed every --interval, with rates",
       .synopsis = "kirimctl top [--interval 2s] [--count N]",
       .flags = {"interval", "count"},
       .example = "kirimctl top --interval 5s",
       .notes = "--output json prints one object per refresh, one per line.",
       .run = [](const Invocation& in) { return Metrics(in, true); }},
  };
}

}  // namespace kirim::ctl
