// kirimctl: Kirim's command-line client.
//
//   kirimctl send --from 'Shop <shop@example.com>' --to ana@example.net --subject Hi --text Hello
//   kirimctl get 01KB5Z3Q8R0000000000000000
//
//   kirimctl keys create --display_name ci --scopes send,read
//   kirimctl keys list | keys revoke apiKeys/<id> | quota
//
//   kirimctl suppression add ana@example.net --reason unsubscribe --detail 'asked by phone'
//   kirimctl suppression list | suppression remove ana@example.net
//
// The API key comes from $KIRIM_API_KEY or --api_key_file (never a flag value: it would show
// in `ps`). TLS: --tls with --ca_file (and --cert_file/--key_file for mTLS).
//   kirimctl domains create example.com --output zone   # the DNS records to publish
//   kirimctl domains verify example.com                 # exit 4 until every record is right
//   kirimctl domains rotate example.com | get | list | delete
//
// Exit codes: 0 success; 1 the server refused (the gRPC code and details are printed);
// 2 usage error; 3 the server could not be reached; 4 domains verify found problems.
#include <openssl/sha.h>

#include <algorithm>
#include <fstream>
#include <map>
#include <iostream>
#include <sstream>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"
#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"
#include "grpcpp/grpcpp.h"
#include "kirim/v1/admin_service.grpc.pb.h"
#include "kirim/v1/domain_service.grpc.pb.h"
#include "kirim/v1/mail_service.grpc.pb.h"

ABSL_FLAG(std::string, address, "127.0.0.1:50051", "Kirim's gRPC address (or $KIRIM_ADDRESS)");
ABSL_FLAG(std::string, output, "text",
          "text or json; domains get/create/verify also take zone (BIND zone-file lines)");
ABSL_FLAG(absl::Duration, timeout, absl::Seconds(10), "Deadline of each call");
ABSL_FLAG(std::string, api_key_file, "", "File holding the API key (default $KIRIM_API_KEY)");
ABSL_FLAG(bool, tls, false, "Connect with TLS");
ABSL_FLAG(std::string, ca_file, "", "TLS: PEM CA bundle to verify the server (default system)");
ABSL_FLAG(std::string, cert_file, "", "mTLS: client certificate (PEM)");
ABSL_FLAG(std::string, key_file, "", "mTLS: client private key (PEM)");
ABSL_FLAG(std::string, server_name, "", "TLS: expected server name (default: from --address)");
ABSL_FLAG(std::string, display_name, "", "keys create: a name for the key");
ABSL_FLAG(std::vector<std::string>, scopes, {}, "keys create: send,read,domains,admin");
ABSL_FLAG(std::string, tenant, "", "keys create: the tenant (operator keys only)");
ABSL_FLAG(std::string, reason, "manual",
          "suppression add: manual, hard_bounce, unsubscribe or complaint");
ABSL_FLAG(std::string, detail, "", "suppression add: a note on why");
ABSL_FLAG(std::string, from, "", "send: the From mailbox");
ABSL_FLAG(std::vector<std::string>, to, {}, "send: To mailboxes, comma-separated");
ABSL_FLAG(std::vector<std::string>, cc, {}, "send: Cc mailboxes");
ABSL_FLAG(std::vector<std::string>, bcc, {}, "send: Bcc addresses");
ABSL_FLAG(std::string, subject, "", "send: the subject");
ABSL_FLAG(std::string, text, "", "send: the plain-text body");
ABSL_FLAG(std::string, text_file, "", "send: read the plain-text body from this file");
ABSL_FLAG(std::string, html, "", "send: the HTML body");
ABSL_FLAG(std::string, html_file, "", "send: read the HTML body from this file");
ABSL_FLAG(std::string, priority, "transactional", "send: transactional or bulk");
ABSL_FLAG(std::vector<std::string>, algorithms, {},
          "domains create: rsa,ed25519 (default both; RSA is always included)");
ABSL_FLAG(std::string, algorithm, "", "domains rotate: rsa or ed25519 (default: every algorithm)");
ABSL_FLAG(std::string, dmarc_report_address, "",
          "domains create: DMARC aggregate report mailbox (default dmarc-reports@<domain>)");
ABSL_FLAG(std::string, file, "", "batch: recipients, CSV (header row; to, variables, meta:<key>) or JSON");
ABSL_FLAG(std::string, template_name, "", "batch: a stored template (else --subject/--text/--html inline)");
ABSL_FLAG(int, batch_size, 1000, "batch: recipients per SendBatch call (at most 10000)");
ABSL_FLAG(std::vector<std::string>, tags, {}, "batch: tags for every message");
ABSL_FLAG(int, max_rate_retries, 100,
          "batch: how often a page is sent again for recipients over the rate limit");
ABSL_FLAG(absl::Duration, interval, absl::Seconds(2), "top: time between refreshes");
ABSL_FLAG(int, count, 0, "top: refreshes before exiting (0: until interrupted)");
ABSL_FLAG(std::string, idempotency_key, "", "send: retries with the same key never send twice");

namespace {

constexpr int kExitRefused = 1;
constexpr int kExitUsage = 2;
constexpr int kExitUnreachable = 3;
constexpr int kExitNotVerified = 4;
constexpr int kExitPartlyRefused = 5;

std::string ReadFileOrDie(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    std::cerr << "kirimctl: cannot read " << path << "\n";
    std::exit(kExitUsage);
  }
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

const char* CodeName(grpc::StatusCode code) {
  static const char* const kNames[] = {
      "OK", "CANCELLED", "UNKNOWN", "INVALID_ARGUMENT", "DEADLINE_EXCEEDED", "NOT_FOUND",
      "ALREADY_EXISTS", "PERMISSION_DENIED", "RESOURCE_EXHAUSTED", "FAILED_PRECONDITION",
      "ABORTED", "OUT_OF_RANGE", "UNIMPLEMENTED", "INTERNAL", "UNAVAILABLE", "DATA_LOSS",
      "UNAUTHENTICATED"};
  const int i = static_cast<int>(code);
  return i >= 0 && i < 17 ? kNames[i] : "UNKNOWN";
}

int Report(const grpc::Status& status) {
  std::cerr << "kirimctl: " << CodeName(status.error_code()) << ": " << status.error_message() << "\n";
  google::rpc::Status details;
  if (!status.error_details().empty() && details.ParseFromString(status.error_details())) {
    for (const auto& any : details.details()) {
      google::rpc::BadRequest bad;
      if (any.UnpackTo(&bad)) {
        for (const auto& v : bad.field_violations()) {
          std::cerr << "  " << v.field() << ": " << v.description() << "\n";
        }
      }
      google::rpc::PreconditionFailure failure;
      if (any.UnpackTo(&failure)) {
        for (const auto& v : failure.violations()) {
          std::cerr << "  " << v.type() << " " << v.subject() << "\n";
        }
      }
      google::rpc::RetryInfo retry;
      if (any.UnpackTo(&retry)) {
        std::cerr << "  retry after " << retry.retry_delay().seconds() << "s\n";
      }
    }
  }
  return status.error_code() == grpc::StatusCode::UNAVAILABLE ||
                 status.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED
             ? kExitUnreachable
             : kExitRefused;
}

void PrintJson(const google::protobuf::Message& m) {
  std::string json;
  google::protobuf::util::JsonPrintOptions o;
  o.add_whitespace = true;
  o.preserve_proto_field_names = true;
  google::protobuf::util::MessageToJsonString(m, &json, o);
  std::cout << json;
}

std::string ApiKey() {
  std::string path = absl::GetFlag(FLAGS_api_key_file);
  if (!path.empty()) {
    std::string key = ReadFileOrDie(path);
    while (!key.empty() && (key.back() == '\n' || key.back() == '\r' || key.back() == ' ')) key.pop_back();
    return key;
  }
  const char* env = std::getenv("KIRIM_API_KEY");
  return env ? env : "";
}

// Every call: a deadline and the API key.
void Prepare(grpc::ClientContext* ctx) {
  ctx->set_deadline(absl::ToChronoTime(absl::Now() + absl::GetFlag(FLAGS_timeout)));
  static const std::string key = ApiKey();
  if (!key.empty()) ctx->AddMetadata("authorization", "Bearer " + key);
}

std::shared_ptr<grpc::ChannelCredentials> Credentials() {
  if (!absl::GetFlag(FLAGS_tls)) return grpc::InsecureChannelCredentials();
  grpc::SslCredentialsOptions o;
  if (!absl::GetFlag(FLAGS_ca_file).empty()) o.pem_root_certs = ReadFileOrDie(absl::GetFlag(FLAGS_ca_file));
  if (!absl::GetFlag(FLAGS_cert_file).empty()) {
    o.pem_cert_chain = ReadFileOrDie(absl::GetFlag(FLAGS_cert_file));
    o.pem_private_key = ReadFileOrDie(absl::GetFlag(FLAGS_key_file));
  }
  return grpc::SslCredentials(o);
}

// "apiKeys/<id>" from "<id>" or "apiKeys/<id>" alike.
std::string ResourceName(const std::string& collection, const std::string& arg) {
  return arg.rfind(collection, 0) == 0 ? arg : collection + arg;
}

std::string Upper(std::string text) {
  for (char& c : text) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return text;
}

int Keys(kirim::v1::AdminService::Stub& stub, const std::vector<char*>& args) {
  const std::string verb = args.size() > 2 ? args[2] : "";
  grpc::ClientContext ctx;
  Prepare(&ctx);
  if (verb == "create") {
    kirim::v1::CreateApiKeyRequest req;
    req.set_display_name(absl::GetFlag(FLAGS_display_name));
    req.set_tenant(absl::GetFlag(FLAGS_tenant));
    for (const std::string& name : absl::GetFlag(FLAGS_scopes)) {
      kirim::v1::ApiKey::Scope scope;
      if (!kirim::v1::ApiKey::Scope_Parse(Upper(name), &scope)) {
        std::cerr << "kirimctl: unknown scope " << name << " (send, read, domains, admin)\n";
        return kExitUsage;
      }
      req.add_scopes(scope);
    }
    kirim::v1::CreateApiKeyResponse resp;
    grpc::Status status = stub.CreateApiKey(&ctx, req, &resp);
    if (!status.ok()) return Report(status);
    if (absl::GetFlag(FLAGS_output) == "json") {
      PrintJson(resp);
    } else {
      std::cerr << "created " << resp.api_key().name() << " for tenant " << resp.api_key().tenant()
                << "; the key is shown once:\n";
      std::cout << resp.secret() << "\n";
    }
    return 0;
  }
  if (verb == "list") {
    kirim::v1::ListApiKeysResponse resp;
    grpc::Status status = stub.ListApiKeys(&ctx, kirim::v1::ListApiKeysRequest(), &resp);
    if (!status.ok()) return Report(status);
    if (absl::GetFlag(FLAGS_output) == "json") {
      PrintJson(resp);
      return 0;
    }
    for (const auto& k : resp.api_keys()) {
      std::cout << k.name() << "  " << k.display_name() << "  tenant=" << k.tenant() << "  scopes=";
      for (int i = 0; i < k.scopes_size(); ++i) {
        std::cout << (i ? "," : "") << kirim::v1::ApiKey::Scope_Name(k.scopes(i));
      }
      std::cout << (k.has_revoke_time() ? "  REVOKED" : "") << "\n";
    }
    return 0;
  }
  if (verb == "revoke" && args.size() == 4) {
    kirim::v1::RevokeApiKeyRequest req;
    req.set_name(ResourceName("apiKeys/", args[3]));
    kirim::v1::ApiKey resp;
    grpc::Status status = stub.RevokeApiKey(&ctx, req, &resp);
    if (!status.ok()) return Report(status);
    std::cout << "revoked " << resp.name() << "\n";
    return 0;
  }
  std::cerr << absl::ProgramUsageMessage() << "\n";
  return kExitUsage;
}

// suppression list | add <address> [--reason R] [--detail D] | remove <address>
int Suppression(kirim::v1::AdminService::Stub& stub, const std::vector<char*>& args) {
  const std::string verb = args.size() > 2 ? args[2] : "";
  if (verb == "list" && args.size() == 3) {
    // Every page, so the output is the whole list.
    kirim::v1::ListSuppressionsResponse all;
    kirim::v1::ListSuppressionsRequest req;
    do {
      grpc::ClientContext ctx;
      Prepare(&ctx);
      kirim::v1::ListSuppressionsResponse page;
      grpc::Status status = stub.ListSuppressions(&ctx, req, &page);
      if (!status.ok()) return Report(status);
      all.mutable_suppressions()->MergeFrom(page.suppressions());
      req.set_page_token(page.next_page_token());
    } while (!req.page_token().empty());
    if (absl::GetFlag(FLAGS_output) == "json") {
      PrintJson(all);
      return 0;
    }
    for (const auto& s : all.suppressions()) {
      std::cout << s.address() << "  " << kirim::v1::Suppression::Reason_Name(s.reason()) << "  "
                << absl::FormatTime(absl::RFC3339_sec,
                                    absl::FromUnixSeconds(s.create_time().seconds()),
                                    absl::UTCTimeZone())
                << (s.detail().empty() ? "" : "  ") << s.detail() << "\n";
    }
    return 0;
  }
  if (verb == "add" && args.size() == 4) {
    kirim::v1::AddSuppressionRequest req;
    req.set_address(args[3]);
    kirim::v1::Suppression::Reason reason;
    if (!kirim::v1::Suppression::Reason_Parse(Upper(absl::GetFlag(FLAGS_reason)), &reason) ||
        reason == kirim::v1::Suppression::REASON_UNSPECIFIED) {
      std::cerr << "kirimctl: unknown reason " << absl::GetFlag(FLAGS_reason)
                << " (manual, hard_bounce, unsubscribe, complaint)\n";
      return kExitUsage;
    }
    req.set_reason(reason);
    req.set_detail(absl::GetFlag(FLAGS_detail));
    grpc::ClientContext ctx;
    Prepare(&ctx);
    kirim::v1::Suppression resp;
    grpc::Status status = stub.AddSuppression(&ctx, req, &resp);
    if (!status.ok()) return Report(status);
    if (absl::GetFlag(FLAGS_output) == "json") {
      PrintJson(resp);
    } else {
      std::cout << "suppressed " << resp.address() << " ("
                << kirim::v1::Suppression::Reason_Name(resp.reason()) << ")\n";
    }
    return 0;
  }
  if (verb == "remove" && args.size() == 4) {
    kirim::v1::RemoveSuppressionRequest req;
    req.set_name(ResourceName("suppressions/", args[3]));
    grpc::ClientContext ctx;
    Prepare(&ctx);
    kirim::v1::RemoveSuppressionResponse resp;
    grpc::Status status = stub.RemoveSuppression(&ctx, req, &resp);
    if (!status.ok()) return Report(status);
    std::cout << "removed " << req.name() << "\n";
    return 0;
  }
  std::cerr << absl::ProgramUsageMessage() << "\n";
  return kExitUsage;
}

int Quota(kirim::v1::AdminService::Stub& stub) {
  grpc::ClientContext ctx;
  Prepare(&ctx);
  kirim::v1::Quota q;
  grpc::Status status = stub.GetQuota(&ctx, kirim::v1::GetQuotaRequest(), &q);
  if (!status.ok()) return Report(status);
  PrintJson(q);
  return 0;
}

// The SendEmailRequest the send flags describe; false (after printing why) on a usage error.
bool RequestFromFlags(kirim::v1::SendEmailRequest& req) {
  req.set_from(absl::GetFlag(FLAGS_from));
  for (const auto& a : absl::GetFlag(FLAGS_to)) req.add_to(a);
  for (const auto& a : absl::GetFlag(FLAGS_cc)) req.add_cc(a);
  for (const auto& a : absl::GetFlag(FLAGS_bcc)) req.add_bcc(a);
  req.set_subject(absl::GetFlag(FLAGS_subject));
  req.set_text_body(absl::GetFlag(FLAGS_text_file).empty() ? absl::GetFlag(FLAGS_text)
                                                           : ReadFileOrDie(absl::GetFlag(FLAGS_text_file)));
  req.set_html_body(absl::GetFlag(FLAGS_html_file).empty() ? absl::GetFlag(FLAGS_html)
                                                           : ReadFileOrDie(absl::GetFlag(FLAGS_html_file)));
  req.set_idempotency_key(absl::GetFlag(FLAGS_idempotency_key));
  const std::string priority = absl::GetFlag(FLAGS_priority);
  if (priority == "bulk") {
    req.set_priority(kirim::v1::BULK);
  } else if (priority == "transactional") {
    req.set_priority(kirim::v1::TRANSACTIONAL);
  } else {
    std::cerr << "kirimctl: --priority must be transactional or bulk\n";
    return false;
  }
  return true;
}

int Send(kirim::v1::MailService::Stub& stub) {
  kirim::v1::SendEmailRequest req;
  if (!RequestFromFlags(req)) return kExitUsage;
  grpc::ClientContext ctx;
  Prepare(&ctx);
  kirim::v1::SendEmailResponse resp;
  grpc::Status status = stub.SendEmail(&ctx, req, &resp);
  if (!status.ok()) return Report(status);
  if (absl::GetFlag(FLAGS_output) == "json") {
    PrintJson(resp);
  } else {
    std::cout << resp.id() << "\n";
  }
  return 0;
}

int Get(kirim::v1::MailService::Stub& stub, const std::string& name) {
  kirim::v1::GetMessageRequest req;
  req.set_name(name);
  grpc::ClientContext ctx;
  Prepare(&ctx);
  kirim::v1::Message m;
  grpc::Status status = stub.GetMessage(&ctx, req, &m);
  if (!status.ok()) return Report(status);
  if (absl::GetFlag(FLAGS_output) == "json") {
    PrintJson(m);
    return 0;
  }
  std::cout << "id:       " << m.id() << "\n"
            << "state:    " << kirim::v1::MessageState_Name(m.state()) << "\n"
            << "from:     " << m.from() << "\n"
            << "subject:  " << m.subject() << "\n";
  for (const auto& r : m.recipients()) {
    std::cout << "rcpt:     " << r.address() << "  " << kirim::v1::RecipientState_Name(r.state());
    if (r.reply().code()) std::cout << "  " << r.reply().code() << " " << r.reply().enhanced_code() << " " << r.reply().text();
    std::cout << "\n";
  }
  for (const auto& a : m.attempts()) {
    std::cout << "attempt:  " << a.remote() << "  " << a.reply().code() << " " << a.reply().text();
    if (!a.error().empty()) std::cout << "  (" << a.error() << ")";
    std::cout << "\n";
  }
  return 0;
}

std::string Quoted(const kirim::v1::DnsRecord& r) {
  std::string out;
  for (const std::string& v : r.values()) out += (out.empty() ? "\"" : " \"") + v + "\"";
  return out;
}

// One domain for people: state, keys, then each record with its verdict; or zone-file lines.
void PrintDomain(const kirim::v1::Domain& d) {
  const std::string output = absl::GetFlag(FLAGS_output);
  if (output == "json") {
    PrintJson(d);
    return;
  }
  if (output == "zone") {
    for (const auto& r : d.records()) {
      std::cout << r.host() << ". 3600 IN " << r.type() << " " << Quoted(r)
                << (r.advisory() ? "  ; advisory" : "") << "\n";
    }
    return;
  }
  using kirim::v1::DkimKey;
  using kirim::v1::DnsRecord;
  std::cout << d.domain() << "  " << kirim::v1::Domain::State_Name(d.state()) << "\n";
  for (const auto& k : d.dkim_keys()) {
    std::cout << "  dkim  " << k.selector() << "  " << kirim::v1::DkimAlgorithm_Name(k.algorithm())
              << (k.bits() ? " " + std::to_string(k.bits()) : "") << "  "
              << DkimKey::State_Name(k.state()) << "\n";
  }
  std::cout << "records to publish (TXT):\n";
  for (const auto& r : d.records()) {
    std::cout << "  [" << DnsRecord::Status_Name(r.status()) << "] "
              << DnsRecord::Purpose_Name(r.purpose()) << (r.advisory() ? " (advisory)" : "")
              << "  " << r.host() << "\n      " << Quoted(r) << "\n";
    if (!r.problem().empty()) std::cout << "      problem: " << r.problem() << "\n";
    for (const auto& f : r.found_values()) std::cout << "      found: " << f << "\n";
  }
}

bool ParseAlgorithm(const std::string& text, kirim::v1::DkimAlgorithm* out) {
  if (text == "rsa" || text == "rsa-sha256") *out = kirim::v1::RSA_SHA256;
  else if (text == "ed25519" || text == "ed25519-sha256") *out = kirim::v1::ED25519_SHA256;
  else return false;
  return true;
}

// domains create <domain> | get <domain> | list | verify <domain> | rotate <domain> |
// delete <domain>
int Domains(kirim::v1::DomainService::Stub& stub, const std::vector<char*>& args) {
  const std::string verb = args.size() > 2 ? args[2] : "";
  const std::string name = args.size() == 4 ? ResourceName("domains/", args[3]) : "";
  grpc::ClientContext ctx;
  Prepare(&ctx);
  kirim::v1::Domain d;
  grpc::Status status;
  if (verb == "create" && args.size() == 4) {
    kirim::v1::CreateDomainRequest req;
    req.set_domain(args[3]);
    req.set_dmarc_report_address(absl::GetFlag(FLAGS_dmarc_report_address));
    for (const std::string& a : absl::GetFlag(FLAGS_algorithms)) {
      kirim::v1::DkimAlgorithm algorithm;
      if (!ParseAlgorithm(a, &algorithm)) {
        std::cerr << "kirimctl: unknown algorithm " << a << " (rsa, ed25519)\n";
        return kExitUsage;
      }
      req.add_algorithms(algorithm);
    }
    status = stub.CreateDomain(&ctx, req, &d);
  } else if (verb == "get" && args.size() == 4) {
    kirim::v1::GetDomainRequest req;
    req.set_name(name);
    status = stub.GetDomain(&ctx, req, &d);
  } else if (verb == "verify" && args.size() == 4) {
    kirim::v1::VerifyDomainRequest req;
    req.set_name(name);
    status = stub.VerifyDomain(&ctx, req, &d);
  } else if (verb == "rotate" && args.size() == 4) {
    kirim::v1::RotateDkimKeyRequest req;
    req.set_name(name);
    if (!absl::GetFlag(FLAGS_algorithm).empty()) {
      kirim::v1::DkimAlgorithm algorithm;
      if (!ParseAlgorithm(absl::GetFlag(FLAGS_algorithm), &algorithm)) {
        std::cerr << "kirimctl: unknown algorithm " << absl::GetFlag(FLAGS_algorithm)
                  << " (rsa, ed25519)\n";
        return kExitUsage;
      }
      req.set_algorithm(algorithm);
    }
    status = stub.RotateDkimKey(&ctx, req, &d);
  } else if (verb == "delete" && args.size() == 4) {
    kirim::v1::DeleteDomainRequest req;
    req.set_name(name);
    kirim::v1::DeleteDomainResponse resp;
    status = stub.DeleteDomain(&ctx, req, &resp);
    if (!status.ok()) return Report(status);
    std::cout << "deleted " << name << "\n";
    return 0;
  } else if (verb == "list" && args.size() == 3) {
    kirim::v1::ListDomainsResponse all;
    kirim::v1::ListDomainsRequest req;
    for (bool first = true; first || !req.page_token().empty(); first = false) {
      grpc::ClientContext page_ctx;
      Prepare(&page_ctx);
      kirim::v1::ListDomainsResponse page;
      status = stub.ListDomains(&page_ctx, req, &page);
      if (!status.ok()) return Report(status);
      all.mutable_domains()->MergeFrom(page.domains());
      req.set_page_token(page.next_page_token());
    }
    if (absl::GetFlag(FLAGS_output) == "json") {
      PrintJson(all);
      return 0;
    }
    for (const auto& dom : all.domains()) {
      std::cout << dom.domain() << "  " << kirim::v1::Domain::State_Name(dom.state()) << "\n";
    }
    return 0;
  } else {
    std::cerr << absl::ProgramUsageMessage() << "\n";
    return kExitUsage;
  }
  if (!status.ok()) return Report(status);
  PrintDomain(d);
  // A verification that found problems is a failure for scripts (exit 4), not a refusal.
  if (verb == "verify" && d.state() != kirim::v1::Domain::VERIFIED) return kExitNotVerified;
  return 0;
}

// The figures of GetMetrics as a table; with `previous` (kirimctl top) also the rate of each
// counter since then.
void PrintMetrics(const kirim::v1::Metrics& m, const kirim::v1::Metrics* previous,
                  double seconds) {
  auto row = [&](const char* name, int64_t value, int64_t before) {
    std::cout << absl::StrFormat("%-19s%d", name, value);
    if (previous != nullptr && seconds > 0) {
      std::cout << absl::StrFormat("   %8.1f/s", static_cast<double>(value - before) / seconds);
    }
    std::cout << "\n";
  };
  const kirim::v1::Metrics none;
  const kirim::v1::Metrics& p = previous != nullptr ? *previous : none;
  row("accepted", m.accepted_total(), p.accepted_total());
  row("rejected", m.rejected_total(), p.rejected_total());
  row("delivered", m.delivered_total(), p.delivered_total());
  row("deferred", m.deferred_total(), p.deferred_total());
  row("bounced", m.bounced_total(), p.bounced_total());
  row("expired", m.expired_total(), p.expired_total());
  row("suppressed", m.suppressed_total(), p.suppressed_total());
  auto latency = [](const char* name, const kirim::v1::LatencySummary& l) {
    std::cout << absl::StrFormat("%-19sp50 %.3fs  p90 %.3fs  p99 %.3fs  (%d)\n", name,
                                 l.p50_seconds(), l.p90_seconds(), l.p99_seconds(), l.count());
  };
  latency("accept->delivered", m.accept_to_delivered());
  latency("smtp attempt", m.smtp_session());
  if (!m.queue_by_lane().empty()) {
    std::cout << absl::StrFormat("\n%-19s%10s%10s%10s%10s\n", "queue", "ready", "scheduled",
                                 "in flight", "dead");
    for (const char* lane : {"transactional", "bulk"}) {
      auto it = m.queue_by_lane().find(lane);
      if (it == m.queue_by_lane().end()) continue;
      const auto& q = it->second;
      std::cout << absl::StrFormat("%-19s%10d%10d%10d%10d\n", lane, q.ready(), q.scheduled(),
                                   q.in_flight(), q.dead());
    }
  }
  if (!m.queue_by_destination().empty()) {
    std::vector<std::pair<int64_t, std::string>> stuck;
    for (const auto& [domain, q] : m.queue_by_destination()) stuck.emplace_back(q.scheduled(), domain);
    std::sort(stuck.rbegin(), stuck.rend());
    std::cout << "\ndeferred recipients by destination\n";
    for (const auto& [n, domain] : stuck) std::cout << absl::StrFormat("  %-30s%d\n", domain, n);
  }
}

// kirimctl metrics: once. kirimctl top: refreshed every --interval until interrupted (or
// --count times).
int Metrics(kirim::v1::AdminService::Stub& stub, bool top) {
  kirim::v1::Metrics previous;
  absl::Time previous_time;
  const int count = top ? absl::GetFlag(FLAGS_count) : 1;
  for (int i = 0; count <= 0 || i < count; ++i) {
    if (i > 0) absl::SleepFor(absl::GetFlag(FLAGS_interval));
    grpc::ClientContext ctx;
    Prepare(&ctx);
    kirim::v1::Metrics m;
    grpc::Status status = stub.GetMetrics(&ctx, kirim::v1::GetMetricsRequest(), &m);
    if (!status.ok()) return Report(status);
    const absl::Time now = absl::Now();
    if (absl::GetFlag(FLAGS_output) == "json") {
      PrintJson(m);
    } else {
      if (top) std::cout << "\033[H\033[2J" << absl::FormatTime("%H:%M:%S", now, absl::LocalTimeZone()) << "\n";
      PrintMetrics(m, i > 0 ? &previous : nullptr, absl::ToDoubleSeconds(now - previous_time));
    }
    std::cout.flush();
    previous = m;
    previous_time = now;
  }
  return 0;
}

// kirimctl preview: what `send` with the same flags would send, queueing nothing. The message
// goes to stdout; the route and any refusals to stderr.
int Preview(kirim::v1::MailService::Stub& stub) {
  kirim::v1::SendEmailRequest req;
  if (!RequestFromFlags(req)) return kExitUsage;
  grpc::ClientContext ctx;
  Prepare(&ctx);
  kirim::v1::PreviewEmailResponse resp;
  grpc::Status status = stub.PreviewEmail(&ctx, req, &resp);
  if (!status.ok()) return Report(status);
  if (absl::GetFlag(FLAGS_output) == "json") {
    PrintJson(resp);
    return 0;
  }
  std::cout << resp.mime();
  const auto& r = resp.route();
  std::cerr << "route: " << kirim::v1::Route::Kind_Name(r.kind());
  if (!r.host().empty()) std::cerr << " " << r.host() << ":" << r.port();
  if (r.tls() != kirim::v1::Route::TLS_UNSPECIFIED) std::cerr << " " << kirim::v1::Route::Tls_Name(r.tls());
  std::cerr << "\n";
  for (const auto& refusal : resp.refusals()) {
    std::cerr << "refused: " << refusal.recipient() << ": " << refusal.reason() << "\n";
  }
  return 0;
}

// templates create <id> --subject S [--text T | --text_file F] [--html H | --html_file F] |
// get <id> | list | delete <id>
int Templates(kirim::v1::AdminService::Stub& stub, const std::vector<char*>& args) {
  const std::string verb = args.size() > 2 ? args[2] : "";
  const std::string name = args.size() == 4 ? ResourceName("templates/", args[3]) : "";
  grpc::ClientContext ctx;
  Prepare(&ctx);
  grpc::Status status;
  kirim::v1::Template t;
  if (verb == "create" && args.size() == 4) {
    kirim::v1::CreateTemplateRequest req;
    req.set_template_id(args[3]);
    req.mutable_template_()->set_subject(absl::GetFlag(FLAGS_subject));
    req.mutable_template_()->set_text_body(absl::GetFlag(FLAGS_text_file).empty()
                                               ? absl::GetFlag(FLAGS_text)
                                               : ReadFileOrDie(absl::GetFlag(FLAGS_text_file)));
    req.mutable_template_()->set_html_body(absl::GetFlag(FLAGS_html_file).empty()
                                               ? absl::GetFlag(FLAGS_html)
                                               : ReadFileOrDie(absl::GetFlag(FLAGS_html_file)));
    status = stub.CreateTemplate(&ctx, req, &t);
  } else if (verb == "get" && args.size() == 4) {
    kirim::v1::GetTemplateRequest req;
    req.set_name(name);
    status = stub.GetTemplate(&ctx, req, &t);
  } else if (verb == "delete" && args.size() == 4) {
    kirim::v1::DeleteTemplateRequest req;
    req.set_name(name);
    kirim::v1::DeleteTemplateResponse resp;
    status = stub.DeleteTemplate(&ctx, req, &resp);
    if (!status.ok()) return Report(status);
    std::cout << "deleted " << name << "\n";
    return 0;
  } else if (verb == "list" && args.size() == 3) {
    kirim::v1::ListTemplatesResponse all;
    kirim::v1::ListTemplatesRequest req;
    for (bool first = true; first || !req.page_token().empty(); first = false) {
      grpc::ClientContext page_ctx;
      Prepare(&page_ctx);
      kirim::v1::ListTemplatesResponse page;
      status = stub.ListTemplates(&page_ctx, req, &page);
      if (!status.ok()) return Report(status);
      all.mutable_templates()->MergeFrom(page.templates());
      req.set_page_token(page.next_page_token());
    }
    if (absl::GetFlag(FLAGS_output) == "json") {
      PrintJson(all);
    } else {
      for (const auto& each : all.templates()) std::cout << each.name() << "  " << each.subject() << "\n";
    }
    return 0;
  } else {
    std::cerr << absl::ProgramUsageMessage() << "\n";
    return kExitUsage;
  }
  if (!status.ok()) return Report(status);
  PrintJson(t);
  return 0;
}

// One row of a recipients file: the address, the template variables and metadata.
struct BatchRow {
  std::string to;
  std::map<std::string, std::string> variables, metadata;
};

// RFC 4180 CSV: a header row naming the columns; "to" (or "email") is the address, columns
// named "meta:<key>" go to metadata, every other column is a template variable.
bool ParseCsv(const std::string& text, std::vector<BatchRow>* rows, std::string* error) {
  std::vector<std::vector<std::string>> table(1);
  std::string field;
  bool quoted = false, any = false;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (quoted) {
      if (c == '"' && i + 1 < text.size() && text[i + 1] == '"') { field += '"'; ++i; }
      else if (c == '"') quoted = false;
      else field += c;
    } else if (c == '"') {
      quoted = true;
      any = true;
    } else if (c == ',') {
      table.back().push_back(std::move(field));
      field.clear();
    } else if (c == '\n' || c == '\r') {
      if (c == '\r' && i + 1 < text.size() && text[i + 1] == '\n') ++i;
      table.back().push_back(std::move(field));
      field.clear();
      table.emplace_back();
    } else {
      field += c;
      any = true;
    }
  }
  if (quoted) { *error = "unterminated quoted field"; return false; }
  if (!field.empty() || !table.back().empty()) table.back().push_back(std::move(field));
  (void)any;
  while (!table.empty() && (table.back().empty() || (table.back().size() == 1 && table.back()[0].empty()))) {
    table.pop_back();
  }
  if (table.empty()) { *error = "empty file"; return false; }
  const std::vector<std::string> header = table[0];
  int to_col = -1;
  for (size_t c = 0; c < header.size(); ++c) {
    if (header[c] == "to" || header[c] == "email") to_col = static_cast<int>(c);
  }
  if (to_col < 0) { *error = "the header row has no \"to\" (or \"email\") column"; return false; }
  for (size_t r = 1; r < table.size(); ++r) {
    if (table[r].size() != header.size()) {
      *error = absl::StrCat("line ", r + 1, ": ", table[r].size(), " fields, the header has ",
                            header.size());
      return false;
    }
    BatchRow row;
    for (size_t c = 0; c < header.size(); ++c) {
      if (static_cast<int>(c) == to_col) row.to = table[r][c];
      else if (absl::StartsWith(header[c], "meta:")) row.metadata[header[c].substr(5)] = table[r][c];
      else row.variables[header[c]] = table[r][c];
    }
    rows->push_back(std::move(row));
  }
  return true;
}

// JSON: an array of {"to": ..., "variables": {...}, "metadata": {...}}, or flat objects whose
// other string fields are the variables.
bool ParseJson(const std::string& text, std::vector<BatchRow>* rows, std::string* error) {
  google::protobuf::ListValue list;
  if (!google::protobuf::util::JsonStringToMessage(text, &list).ok()) {
    *error = "not a JSON array of objects";
    return false;
  }
  auto str = [](const google::protobuf::Value& v) {
    if (v.has_string_value()) return v.string_value();
    if (v.has_number_value()) return absl::StrCat(v.number_value());
    if (v.has_bool_value()) return std::string(v.bool_value() ? "true" : "false");
    return std::string();
  };
  for (int i = 0; i < list.values_size(); ++i) {
    const auto& v = list.values(i);
    if (!v.has_struct_value()) { *error = absl::StrCat("item ", i, " is not an object"); return false; }
    BatchRow row;
    for (const auto& [k, field] : v.struct_value().fields()) {
      if (k == "to" || k == "email") row.to = str(field);
      else if ((k == "variables" || k == "metadata") && field.has_struct_value()) {
        for (const auto& [vk, vv] : field.struct_value().fields()) {
          (k == "variables" ? row.variables : row.metadata)[vk] = str(vv);
        }
      } else {
        row.variables[k] = str(field);
      }
    }
    rows->push_back(std::move(row));
  }
  return true;
}

// kirimctl batch: sends a recipients file through SendBatch in pages of --batch_size, each with
// an idempotency key derived from the run's key (default: a hash of the file and template), so
// running the same command again never sends twice. Recipients over the tenant's rate limit
// are retried (the run paces itself); the daily quota is not waited for. Progress on stderr; a
// summary at the end.
// Exit 0 when every recipient was accepted, 5 when some were refused (listed), 1 when a page
// was refused as a whole.
int Batch(kirim::v1::MailService::Stub& stub) {
  const std::string path = absl::GetFlag(FLAGS_file);
  if (path.empty()) {
    std::cerr << "kirimctl: batch needs --file recipients.csv|.json\n";
    return kExitUsage;
  }
  const std::string text = ReadFileOrDie(path);
  std::vector<BatchRow> rows;
  std::string error;
  const bool json = absl::EndsWith(path, ".json");
  if (!(json ? ParseJson(text, &rows, &error) : ParseCsv(text, &rows, &error))) {
    std::cerr << "kirimctl: " << path << ": " << error << "\n";
    return kExitUsage;
  }
  kirim::v1::SendBatchRequest base;
  base.set_from(absl::GetFlag(FLAGS_from));
  const std::string tpl = absl::GetFlag(FLAGS_template_name);
  if (!tpl.empty()) {
    base.set_template_name(ResourceName("templates/", tpl));
  } else {
    auto* t = base.mutable_inline_template();
    t->set_subject(absl::GetFlag(FLAGS_subject));
    t->set_text_body(absl::GetFlag(FLAGS_text_file).empty() ? absl::GetFlag(FLAGS_text)
                                                            : ReadFileOrDie(absl::GetFlag(FLAGS_text_file)));
    t->set_html_body(absl::GetFlag(FLAGS_html_file).empty() ? absl::GetFlag(FLAGS_html)
                                                            : ReadFileOrDie(absl::GetFlag(FLAGS_html_file)));
  }
  for (const auto& tag : absl::GetFlag(FLAGS_tags)) base.add_tags(tag);
  base.set_priority(absl::GetFlag(FLAGS_priority) == "transactional" ? kirim::v1::TRANSACTIONAL
                                                                      : kirim::v1::BULK);
  std::string run_key = absl::GetFlag(FLAGS_idempotency_key);
  if (run_key.empty()) {
    // Deterministic across runs (absl::Hash is seeded per process): the same file and message
    // always make the same keys.
    const std::string material = absl::StrCat(text, "\n", base.SerializeAsString());
    unsigned char digest[SHA256_DIGEST_LENGTH];
    SHA256(reinterpret_cast<const unsigned char*>(material.data()), material.size(), digest);
    run_key = absl::StrCat("kirimctl-batch-",
                           absl::BytesToHexString(absl::string_view(
                               reinterpret_cast<const char*>(digest), 16)));
  }
  const int page = std::max(1, std::min(absl::GetFlag(FLAGS_batch_size), 10000));
  int accepted = 0, rejected = 0, done = 0;
  std::vector<std::string> refusals;
  const int total = static_cast<int>(rows.size());
  for (int start = 0; start < total; start += page) {
    kirim::v1::SendBatchRequest req = base;
    req.set_idempotency_key(absl::StrCat(run_key, "/", start / page));
    const int end = std::min(total, start + page);
    for (int i = start; i < end; ++i) {
      auto* r = req.add_recipients();
      r->set_to(rows[i].to);
      r->mutable_variables()->insert(rows[i].variables.begin(), rows[i].variables.end());
      r->mutable_metadata()->insert(rows[i].metadata.begin(), rows[i].metadata.end());
    }
    // Recipients refused by the tenant's rate limit are sent again with the same page request:
    // its idempotency keys make the accepted ones answer with their ids and queue nothing, so
    // only the limited ones are tried again, after a pause that grows to 5 s.
    kirim::v1::SendBatchResponse resp;
    for (int attempt = 0;; ++attempt) {
      grpc::ClientContext ctx;
      Prepare(&ctx);
      resp.Clear();
      grpc::Status status = stub.SendBatch(&ctx, req, &resp);
      if (!status.ok()) {
        std::cerr << "\n";
        return Report(status);
      }
      const bool limited = std::any_of(resp.items().begin(), resp.items().end(), [](const auto& it) {
        return it.error_code() == static_cast<int>(grpc::StatusCode::RESOURCE_EXHAUSTED) &&
               absl::StrContains(it.error_message(), "rate limit");
      });
      if (!limited || attempt >= absl::GetFlag(FLAGS_max_rate_retries)) break;
      absl::SleepFor(std::min(absl::Milliseconds(200) * (attempt + 1), absl::Seconds(5)));
    }
    accepted += resp.accepted_count();
    rejected += resp.rejected_count();
    for (const auto& item : resp.items()) {
      if (item.id().empty()) {
        refusals.push_back(absl::StrCat("row ", start + item.index() + 1, " (", rows[start + item.index()].to,
                                        "): ", item.error_message()));
      }
    }
    done = end;
    const int width = 30, filled = total == 0 ? width : done * width / total;
    std::cerr << "\r[" << std::string(filled, '#') << std::string(width - filled, ' ') << "] "
              << done << "/" << total << "  accepted " << accepted << "  refused " << rejected
              << std::flush;
  }
  std::cerr << "\n";
  std::cout << "accepted " << accepted << " of " << total << ", refused " << rejected << "\n";
  for (size_t i = 0; i < refusals.size() && i < 50; ++i) std::cout << "  " << refusals[i] << "\n";
  if (refusals.size() > 50) std::cout << "  ... and " << refusals.size() - 50 << " more\n";
  return rejected == 0 ? 0 : kExitPartlyRefused;
}

}  // namespace

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "kirimctl [flags] send|preview|batch|get|templates|keys|suppression|quota|domains|metrics|top\n"
      "  send  --from F --to A[,B] [--cc ..] [--bcc ..] --subject S --text T [--html H]\n"
      "  get   <message id or messages/{id}>\n"
      "  keys  create --display_name N --scopes send,read[,domains,admin] [--tenant T]\n"
      "  keys  list | keys revoke <key id>\n"
      "  suppression  list | add <address> [--reason manual|hard_bounce|unsubscribe|complaint]\n"
      "               [--detail D] | remove <address>\n"
      "  quota\n"
      "  preview  the same flags as send: prints the message that would go out, queues nothing\n"
      "  batch  --file rcpts.csv|.json --from F (--template_name T | --subject S --text T)\n"
      "         [--batch_size 1000] [--idempotency_key K]   (exit 5: some refused)\n"
      "  templates  create <id> --subject S --text T [--html H] | get <id> | list | delete <id>\n"
      "  metrics  the figures of GetMetrics as a table | top [--interval 2s] [--count N]\n"
      "  domains  create <domain> [--algorithms rsa,ed25519] [--dmarc_report_address A]\n"
      "           get|verify|delete <domain> | list | rotate <domain> [--algorithm rsa|ed25519]\n"
      "           (--output zone prints the records as zone-file lines)\n"
      "The API key comes from $KIRIM_API_KEY or --api_key_file.");
  std::vector<char*> args = absl::ParseCommandLine(argc, argv);
  if (args.size() < 2) {
    std::cerr << absl::ProgramUsageMessage() << "\n";
    return kExitUsage;
  }
  std::string address = absl::GetFlag(FLAGS_address);
  if (const char* env = std::getenv("KIRIM_ADDRESS"); env != nullptr && address == "127.0.0.1:50051") {
    address = env;
  }
  grpc::ChannelArguments channel_args;
  if (!absl::GetFlag(FLAGS_server_name).empty()) {
    channel_args.SetSslTargetNameOverride(absl::GetFlag(FLAGS_server_name));
  }
  auto channel = grpc::CreateCustomChannel(address, Credentials(), channel_args);
  auto stub = kirim::v1::MailService::NewStub(channel);
  auto admin = kirim::v1::AdminService::NewStub(channel);
  const std::string command = args[1];
  if (command == "send") return Send(*stub);
  if (command == "get" && args.size() == 3) return Get(*stub, args[2]);
  if (command == "keys") return Keys(*admin, args);
  if (command == "suppression") return Suppression(*admin, args);
  if (command == "quota") return Quota(*admin);
  if (command == "preview") return Preview(*stub);
  if (command == "batch") return Batch(*stub);
  if (command == "templates") return Templates(*admin, args);
  if (command == "metrics") return Metrics(*admin, false);
  if (command == "top") return Metrics(*admin, true);
  if (command == "domains") {
    auto domains = kirim::v1::DomainService::NewStub(channel);
    return Domains(*domains, args);
  }
  std::cerr << absl::ProgramUsageMessage() << "\n";
  return kExitUsage;
}
