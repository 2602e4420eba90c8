#include "client/ctl/domain_commands.h"

#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"
#include "client/ctl/exit_codes.h"
#include "kirim/v1/domain_service.grpc.pb.h"

ABSL_FLAG(std::vector<std::string>, algorithms, {},
          "domains create: rsa,ed25519 (default both; RSA is always included)");
ABSL_FLAG(std::string, algorithm, "", "domains rotate: rsa or ed25519 (default: every algorithm)");
ABSL_FLAG(std::string, dmarc_report_address, "",
          "domains create: DMARC aggregate report mailbox (default dmarc-reports@<domain>)");

namespace kirim::ctl {
namespace {

std::string Quoted(const v1::DnsRecord& r) {
  std::string out;
  for (const std::string& v : r.values()) out += (out.empty() ? "\"" : " \"") + v + "\"";
  return out;
}

// One domain for people: state, keys, then each record with its verdict; or zone-file lines.
void PrintDomain(const v1::Domain& d, OutputFormat output, std::ostream& out) {
  if (output == OutputFormat::kJson) {
    PrintJson(d, out);
    return;
  }
  if (output == OutputFormat::kZone) {
    for (const auto& r : d.records()) {
      out << r.host() << ". 3600 IN " << r.type() << " " << Quoted(r)
          << (r.advisory() ? "  ; advisory" : "") << "\n";
    }
    return;
  }
  using v1::DkimKey;
  using v1::DnsRecord;
  out << d.domain() << "  " << v1::Domain::State_Name(d.state()) << "\n";
  for (const auto& k : d.dkim_keys()) {
    out << "  dkim  " << k.selector() << "  " << v1::DkimAlgorithm_Name(k.algorithm())
        << (k.bits() ? " " + std::to_string(k.bits()) : "") << "  "
        << DkimKey::State_Name(k.state()) << "\n";
  }
  out << "records to publish (TXT):\n";
  for (const auto& r : d.records()) {
    out << "  [" << DnsRecord::Status_Name(r.status()) << "] " << DnsRecord::Purpose_Name(r.purpose())
        << (r.advisory() ? " (advisory)" : "") << "  " << r.host() << "\n      " << Quoted(r)
        << "\n";
    if (!r.problem().empty()) out << "      problem: " << r.problem() << "\n";
    for (const auto& f : r.found_values()) out << "      found: " << f << "\n";
  }
}

bool ParseAlgorithm(const std::string& text, v1::DkimAlgorithm* out) {
  if (text == "rsa" || text == "rsa-sha256") {
    *out = v1::RSA_SHA256;
  } else if (text == "ed25519" || text == "ed25519-sha256") {
    *out = v1::ED25519_SHA256;
  } else {
    return false;
  }
  return true;
}

int Domains(const Invocation& in) {
  const std::string verb = in.args.empty() ? "" : in.args[0];
  v1::DomainService::StubInterface& stub = in.connection.domains();
  const std::string name = in.args.size() == 2 ? ResourceName("domains/", in.args[1]) : "";
  grpc::ClientContext ctx;
  in.connection.Prepare(&ctx);
  v1::Domain d;
  grpc::Status status;
  if (verb == "create" && in.args.size() == 2) {
    v1::CreateDomainRequest req;
    req.set_domain(in.args[1]);
    req.set_dmarc_report_address(absl::GetFlag(FLAGS_dmarc_report_address));
    for (const std::string& a : absl::GetFlag(FLAGS_algorithms)) {
      v1::DkimAlgorithm algorithm;
      if (!ParseAlgorithm(a, &algorithm)) {
        return in.UsageError(absl::StrCat("unknown algorithm ", a, " (rsa, ed25519)"));
      }
      req.add_algorithms(algorithm);
    }
    status = stub.CreateDomain(&ctx, req, &d);
  } else if (verb == "get" && in.args.size() == 2) {
    v1::GetDomainRequest req;
    req.set_name(name);
    status = stub.GetDomain(&ctx, req, &d);
  } else if (verb == "verify" && in.args.size() == 2) {
    v1::VerifyDomainRequest req;
    req.set_name(name);
    status = stub.VerifyDomain(&ctx, req, &d);
  } else if (verb == "rotate" && in.args.size() == 2) {
    v1::RotateDkimKeyRequest req;
    req.set_name(name);
    const std::string algorithm_name = absl::GetFlag(FLAGS_algorithm);
    if (!algorithm_name.empty()) {
      v1::DkimAlgorithm algorithm;
      if (!ParseAlgorithm(algorithm_name, &algorithm)) {
        return in.UsageError(absl::StrCat("unknown algorithm ", algorithm_name, " (rsa, ed25519)"));
      }
      req.set_algorithm(algorithm);
    }
    status = stub.RotateDkimKey(&ctx, req, &d);
  } else if (verb == "delete" && in.args.size() == 2) {
    v1::DeleteDomainRequest req;
    req.set_name(name);
    v1::DeleteDomainResponse resp;
    status = stub.DeleteDomain(&ctx, req, &resp);
    if (!status.ok()) return in.Report(status);
    return PrintResult(in, resp, absl::StrCat("deleted ", name));
  } else if (verb == "list" && in.args.size() == 1) {
    v1::ListDomainsResponse all;
    status = ListAllPages(
        in.connection, v1::ListDomainsRequest(),
        [&](auto* ctx, const auto& req, auto* page) { return stub.ListDomains(ctx, req, page); },
        &all);
    if (!status.ok()) return in.Report(status);
    if (in.json()) {
      PrintJson(all, in.out);
      return kExitOk;
    }
    for (const auto& dom : all.domains()) {
      in.out << dom.domain() << "  " << v1::Domain::State_Name(dom.state()) << "\n";
    }
    return kExitOk;
  } else {
    return in.UsageError(verb.empty() ? "expected create, get, list, verify, rotate or delete"
                                      : absl::StrCat("wrong arguments for domains ", verb));
  }
  if (!status.ok()) return in.Report(status);
  PrintDomain(d, in.settings.output, in.out);
  // A verification that found problems is a failure for scripts (exit 4), not a refusal.
  if (verb == "verify" && d.state() != v1::Domain::VERIFIED) return kExitNotVerified;
  return kExitOk;
}

}  // namespace

Command DomainsCommand() {
  return {.name = "domains",
          .summary = "sending domains: DKIM keys and the DNS records to publish, verified live",
          .synopsis = "kirimctl domains create <domain> [--algorithms rsa,ed25519] [--dmarc_report_address A]\n"
                      "kirimctl domains get|verify|delete <domain>\n"
                      "kirimctl domains list\n"
                      "kirimctl domains rotate <domain> [--algorithm rsa|ed25519]",
          .flags = {"algorithms", "algorithm", "dmarc_report_address"},
          .example = "kirimctl domains create example.com --output zone >> example.com.zone\n"
                     "kirimctl domains verify example.com",
          .notes = "--output zone prints the records as BIND zone-file lines (create, get, verify,\n"
                   "rotate). verify exits 4 while a record is missing or wrong.",
          .run = Domains,
          .zone_output = true};
}

}  // namespace kirim::ctl
