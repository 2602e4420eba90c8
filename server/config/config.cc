#include "server/config/config.h"

#include <unistd.h>

#include <algorithm>

#include <fstream>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "google/protobuf/io/tokenizer.h"
#include "google/protobuf/text_format.h"
#include "google/protobuf/util/json_util.h"
#include "server/common/status_macros.h"
#include "server/common/text.h"
#include "server/domains/dns_records.h"

extern char** environ;

namespace kirim {
namespace {

using config::v1::Delivery;
using config::v1::Relay;

absl::StatusOr<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read ", path));
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

template <typename T>
void Default(T* field, T value) {
  if (*field == T{}) *field = value;
}

absl::Status SetInt(const std::string& name, const std::string& value, int32_t* out) {
  if (!absl::SimpleAtoi(value, out)) {
    return absl::InvalidArgumentError(absl::StrCat(name, ": not a number: \"", value, "\""));
  }
  return absl::OkStatus();
}

std::string Hostname() {
  char buf[256] = {};
  if (gethostname(buf, sizeof buf - 1) != 0 || buf[0] == '\0') return "localhost";
  return buf;
}

constexpr char kTenantRule[] = "1 to 64 letters, digits, '-' or '_'";

bool IsTenantName(absl::string_view t) {
  if (t.empty() || t.size() > 64) return false;
  for (char ch : t) {
    if (!absl::ascii_isalnum(ch) && ch != '-' && ch != '_') return false;
  }
  return true;
}

// True for 127.0.0.0/8, ::1 and localhost: addresses no other machine can reach.
bool IsLoopback(absl::string_view address) {
  absl::string_view host = address.substr(0, address.rfind(':'));
  return host == "localhost" || host == "[::1]" || host == "::1" || absl::StartsWith(host, "127.");
}

bool IsHostPort(absl::string_view s) {
  size_t colon = s.rfind(':');
  int port;
  return colon != absl::string_view::npos && colon > 0 &&
         absl::SimpleAtoi(s.substr(colon + 1), &port) && port >= 0 && port <= 65535;
}

// Proto3 strings must be UTF-8: the JSON parser refuses anything else and protobuf logs an
// error whenever such a message is serialized, but the text parser lets raw bytes and "\377"
// escapes through. Found by tests/fuzz:config; `path` names the field for the error.
absl::Status CheckUtf8Strings(const google::protobuf::Message& message, const std::string& path) {
  using google::protobuf::FieldDescriptor;
  const google::protobuf::Reflection* reflection = message.GetReflection();
  std::vector<const FieldDescriptor*> fields;
  reflection->ListFields(message, &fields);
  for (const FieldDescriptor* field : fields) {
    const std::string name = path.empty() ? field->name() : absl::StrCat(path, ".", field->name());
    const int count = field->is_repeated() ? reflection->FieldSize(message, field) : 1;
    for (int i = 0; i < count; ++i) {
      const std::string item = field->is_repeated() ? absl::StrCat(name, "[", i, "]") : name;
      if (field->type() == FieldDescriptor::TYPE_STRING) {
        const std::string value = field->is_repeated()
                                      ? reflection->GetRepeatedString(message, field, i)
                                      : reflection->GetString(message, field);
        if (!IsValidUtf8(value)) {
          return absl::InvalidArgumentError(absl::StrCat("config: ", item, ": not valid UTF-8"));
        }
      } else if (field->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE) {
        KIRIM_RETURN_IF_ERROR(CheckUtf8Strings(
            field->is_repeated() ? reflection->GetRepeatedMessage(message, field, i)
                                 : reflection->GetMessage(message, field),
            item));
      }
    }
  }
  return absl::OkStatus();
}

}  // namespace

std::map<std::string, std::string> EnvironmentMap() {
  std::map<std::string, std::string> env;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
    absl::string_view kv(*e);
    size_t eq = kv.find('=');
    if (eq != absl::string_view::npos) env[std::string(kv.substr(0, eq))] = std::string(kv.substr(eq + 1));
  }
  return env;
}

absl::StatusOr<Config> ParseConfig(absl::string_view content, absl::string_view format) {
  Config config;
  if (format == "json") {
    auto status = google::protobuf::util::JsonStringToMessage(std::string(content), &config);
    if (!status.ok()) {
      return absl::InvalidArgumentError(absl::StrCat("config JSON: ", status.message().as_string()));
    }
    return config;
  }
  // Collect parse errors instead of letting protobuf print them to stderr.
  class Collector : public google::protobuf::io::ErrorCollector {
   public:
    void AddError(int line, int column, const std::string& message) override {
      if (first.empty()) first = absl::StrCat("line ", line + 1, ":", column + 1, ": ", message);
    }
    std::string first;
  } errors;
  google::protobuf::TextFormat::Parser parser;
  parser.RecordErrorsTo(&errors);
  if (!parser.ParseFromString(std::string(content), &config)) {
    return absl::InvalidArgumentError(absl::StrCat("config: ", errors.first));
  }
  KIRIM_RETURN_IF_ERROR(CheckUtf8Strings(config, ""));
  return config;
}

std::vector<std::string> UnknownEnvironment(const std::map<std::string, std::string>& env) {
  static constexpr absl::string_view kKnown[] = {
      // kirimd: ApplyEnvironment (docs/configuration.md)...
      "KIRIM_ROLE", "KIRIM_LISTEN_ADDRESS", "KIRIM_HOSTNAME", "KIRIM_LOG_LEVEL",
      "KIRIM_REDIS_HOST", "KIRIM_REDIS_PORT", "KIRIM_REDIS_PASSWORD_FILE", "KIRIM_DELIVERY_MODE",
      "KIRIM_SANDBOX_DIR", "KIRIM_WORKER_NAME", "KIRIM_DNS_SERVERS", "KIRIM_RELAY_HOST",
      "KIRIM_RELAY_PORT", "KIRIM_RELAY_TLS", "KIRIM_RELAY_USERNAME", "KIRIM_RELAY_PASSWORD_FILE",
      "KIRIM_RELAY_CA_FILE", "KIRIM_ADMIN_KEY_FILE", "KIRIM_TLS_CERT_FILE", "KIRIM_TLS_KEY_FILE",
      "KIRIM_TLS_CLIENT_CA_FILE", "KIRIM_TLS_REQUIRE_CLIENT_CERT", "KIRIM_HTTP_LISTEN_ADDRESS",
      "KIRIM_HEALTH_LISTEN_ADDRESS",
      "KIRIM_UNSUBSCRIBE_BASE_URL", "KIRIM_UNSUBSCRIBE_KEY_FILE", "KIRIM_SEND_POLICY",
      "KIRIM_KEY_ENCRYPTION_KEY_FILE", "KIRIM_ALLOW_PLAINTEXT",
      // ...and the secrets given by value (ReadSecret)...
      "KIRIM_ADMIN_KEY", "KIRIM_KEY_ENCRYPTION_KEY", "KIRIM_RELAY_PASSWORD",
      "KIRIM_UNSUBSCRIBE_KEY",
      // ...kirimctl's (docs/kirimctl.md) and the scripts' (script/server, clients/generate).
      "KIRIM_ADDRESS", "KIRIM_API_KEY", "KIRIM_API_KEY_FILE", "KIRIM_CONFIG", "KIRIM_TLS",
      "KIRIM_CA_FILE", "KIRIM_CERT_FILE", "KIRIM_KEY_FILE", "KIRIM_SERVER_NAME",
      "KIRIM_NO_INSTALL", "KIRIM_BOOTSTRAP_BUILD_ONLY", "KIRIM_LISTEN", "KIRIM_HTTP_LISTEN", "KIRIM_PROTO_DIR",
      "KIRIM_GRPC_PROTO_DIR", "KIRIM_CLIENT_GENERATED"};
  std::vector<std::string> unknown;
  for (const auto& [name, value] : env) {
    if (!absl::StartsWith(name, "KIRIM_")) continue;
    if (std::find(std::begin(kKnown), std::end(kKnown), name) == std::end(kKnown)) {
      unknown.push_back(name);
    }
  }
  return unknown;
}

absl::Status ApplyEnvironment(const std::map<std::string, std::string>& env, Config* c) {
  // The first variable that is not UTF-8 (config strings must be, see CheckUtf8Strings).
  std::string not_utf8;
  auto get = [&](const char* name) -> const std::string* {
    auto it = env.find(name);
    if (it == env.end() || it->second.empty()) return nullptr;
    if (!IsValidUtf8(it->second)) {
      if (not_utf8.empty()) not_utf8 = name;
      return nullptr;
    }
    return &it->second;
  };
  if (auto* v = get("KIRIM_ROLE")) c->set_role(*v);
  if (auto* v = get("KIRIM_LISTEN_ADDRESS")) c->set_listen_address(*v);
  if (auto* v = get("KIRIM_HOSTNAME")) c->set_hostname(*v);
  if (auto* v = get("KIRIM_LOG_LEVEL")) c->set_log_level(*v);
  if (auto* v = get("KIRIM_REDIS_HOST")) c->mutable_redis()->set_host(*v);
  if (auto* v = get("KIRIM_REDIS_PORT")) {
    int32_t port;
    KIRIM_RETURN_IF_ERROR(SetInt("KIRIM_REDIS_PORT", *v, &port));
    c->mutable_redis()->set_port(port);
  }
  if (auto* v = get("KIRIM_REDIS_PASSWORD_FILE")) c->mutable_redis()->set_password_file(*v);
  if (auto* v = get("KIRIM_DELIVERY_MODE")) {
    Delivery::Mode mode;
    if (!Delivery::Mode_Parse(absl::AsciiStrToUpper(*v), &mode)) {
      return absl::InvalidArgumentError(
          absl::StrCat("KIRIM_DELIVERY_MODE: expected SANDBOX, RELAY or DIRECT, got \"", *v, "\""));
    }
    c->mutable_delivery()->set_mode(mode);
  }
  if (auto* v = get("KIRIM_SANDBOX_DIR")) c->mutable_delivery()->set_sandbox_dir(*v);
  if (auto* v = get("KIRIM_WORKER_NAME")) c->mutable_delivery()->set_worker_name(*v);
  if (auto* v = get("KIRIM_DNS_SERVERS")) c->mutable_delivery()->mutable_direct()->set_dns_servers(*v);
  Relay* relay = c->mutable_delivery()->mutable_relay();
  if (auto* v = get("KIRIM_RELAY_HOST")) relay->set_host(*v);
  if (auto* v = get("KIRIM_RELAY_PORT")) {
    int32_t port;
    KIRIM_RETURN_IF_ERROR(SetInt("KIRIM_RELAY_PORT", *v, &port));
    relay->set_port(port);
  }
  if (auto* v = get("KIRIM_RELAY_TLS")) {
    Relay::Tls tls;
    if (!Relay::Tls_Parse(absl::AsciiStrToUpper(*v), &tls)) {
      return absl::InvalidArgumentError(
          absl::StrCat("KIRIM_RELAY_TLS: expected STARTTLS, IMPLICIT or NONE, got \"", *v, "\""));
    }
    relay->set_tls(tls);
  }
  if (auto* v = get("KIRIM_RELAY_USERNAME")) relay->set_username(*v);
  if (auto* v = get("KIRIM_RELAY_PASSWORD_FILE")) relay->set_password_file(*v);
  if (auto* v = get("KIRIM_RELAY_CA_FILE")) relay->set_ca_file(*v);
  if (auto* v = get("KIRIM_ADMIN_KEY_FILE")) c->mutable_security()->set_admin_key_file(*v);
  if (auto* v = get("KIRIM_TLS_CERT_FILE")) c->mutable_tls()->set_cert_file(*v);
  if (auto* v = get("KIRIM_TLS_KEY_FILE")) c->mutable_tls()->set_key_file(*v);
  if (auto* v = get("KIRIM_TLS_CLIENT_CA_FILE")) c->mutable_tls()->set_client_ca_file(*v);
  if (auto* v = get("KIRIM_TLS_REQUIRE_CLIENT_CERT")) c->mutable_tls()->set_require_client_cert(*v == "true" || *v == "1");
  if (auto* v = get("KIRIM_HTTP_LISTEN_ADDRESS")) c->set_http_listen_address(*v);
  if (auto* v = get("KIRIM_HEALTH_LISTEN_ADDRESS")) c->set_health_listen_address(*v);
  if (auto* v = get("KIRIM_UNSUBSCRIBE_BASE_URL")) c->mutable_unsubscribe()->set_base_url(*v);
  if (auto* v = get("KIRIM_UNSUBSCRIBE_KEY_FILE")) c->mutable_unsubscribe()->set_signing_key_file(*v);
  if (auto* v = get("KIRIM_SEND_POLICY")) c->mutable_domains()->set_send_policy(*v);
  if (auto* v = get("KIRIM_KEY_ENCRYPTION_KEY_FILE")) {
    c->mutable_domains()->set_key_encryption_key_file(*v);
  }
  if (auto* v = get("KIRIM_ALLOW_PLAINTEXT")) c->set_allow_plaintext(*v == "true" || *v == "1");
  if (!not_utf8.empty()) return absl::InvalidArgumentError(absl::StrCat(not_utf8, ": not valid UTF-8"));
  return absl::OkStatus();
}

void ApplyDefaults(Config* c) {
  Default<std::string>(c->mutable_role(), "all");
  Default<std::string>(c->mutable_listen_address(), "127.0.0.1:50051");
  Default<std::string>(c->mutable_hostname(), Hostname());
  Default<std::string>(c->mutable_default_tenant(), "default");
  Default<std::string>(c->mutable_log_level(), "info");
  Default<std::string>(c->mutable_http_listen_address(), "127.0.0.1:9464");
  auto* r = c->mutable_redis();
  Default<std::string>(r->mutable_host(), "127.0.0.1");
  if (r->port() == 0) r->set_port(6379);
  if (r->connect_timeout_ms() == 0) r->set_connect_timeout_ms(1000);
  if (r->command_timeout_ms() == 0) r->set_command_timeout_ms(2000);
  if (r->pool_size() == 0) r->set_pool_size(8);
  Default<std::string>(r->mutable_key_prefix(), "kirim");
  if (r->health_interval_ms() == 0) r->set_health_interval_ms(1000);
  if (r->shards() == 0) r->set_shards(1);
  if (r->message_retention_hours() == 0) r->set_message_retention_hours(24 * 7);
  if (r->event_stream_max_len() == 0) r->set_event_stream_max_len(1000000);

  auto* d = c->mutable_delivery();
  if (d->mode() == Delivery::MODE_UNSPECIFIED) d->set_mode(Delivery::SANDBOX);
  Default<std::string>(d->mutable_sandbox_dir(), "./var/sandbox");
  if (d->concurrency() == 0) d->set_concurrency(4);
  if (d->lease_timeout_ms() == 0) d->set_lease_timeout_ms(15 * 60 * 1000);
  auto* retry = d->mutable_retry();
  if (retry->first_retry_ms() == 0) {
    retry->set_first_retry_ms(d->retry_delay_ms() > 0 ? d->retry_delay_ms() : 5 * 60 * 1000);
  }
  if (retry->factor() == 0) retry->set_factor(2);
  if (retry->max_delay_ms() == 0) retry->set_max_delay_ms(std::max<int64_t>(3600 * 1000, retry->first_retry_ms()));
  if (retry->max_age_ms() == 0) retry->set_max_age_ms(int64_t{5} * 24 * 3600 * 1000);
  // A negative jitter ("none") stays negative (RetryPolicy clamps it to 0): rewritten as 0 it
  // would read as unset, so the effective config (--check_config) would load back with 0.2.
  if (retry->jitter() == 0) retry->set_jitter(0.2);
  if (retry->delay_warning_ms() == 0) retry->set_delay_warning_ms(4 * 3600 * 1000);
  if (d->poll_interval_ms() == 0) d->set_poll_interval_ms(1000);
  if (d->shutdown_grace_ms() == 0) d->set_shutdown_grace_ms(30 * 1000);
  auto* shaping_defaults = d->mutable_shaping()->mutable_defaults();
  if (shaping_defaults->max_connections() == 0) shaping_defaults->set_max_connections(10);
  if (shaping_defaults->max_messages_per_connection() == 0) {
    shaping_defaults->set_max_messages_per_connection(100);
  }
  for (auto& o : *d->mutable_shaping()->mutable_destinations()) {
    if (o.max_connections() == 0) o.set_max_connections(shaping_defaults->max_connections());
    if (o.max_messages_per_connection() == 0) {
      o.set_max_messages_per_connection(shaping_defaults->max_messages_per_connection());
    }
  }
  auto* direct = d->mutable_direct();
  if (direct->port() == 0) direct->set_port(25);
  if (direct->dns_timeout_ms() == 0) direct->set_dns_timeout_ms(5000);
  if (direct->dns_tries() == 0) direct->set_dns_tries(2);
  Default<std::string>(d->mutable_worker_name(), absl::StrCat(c->hostname(), "-", getpid()));
  auto* relay = d->mutable_relay();
  if (relay->tls() == Relay::TLS_UNSPECIFIED) relay->set_tls(Relay::STARTTLS);
  if (relay->port() == 0) {
    relay->set_port(relay->tls() == Relay::IMPLICIT ? 465 : relay->tls() == Relay::NONE ? 25 : 587);
  }
  if (!relay->has_verify_certificate()) relay->set_verify_certificate(true);
  auto* t = d->mutable_timeouts();
  if (t->connect_ms() == 0) t->set_connect_ms(30 * 1000);
  if (t->greeting_ms() == 0) t->set_greeting_ms(5 * 60 * 1000);
  if (t->ehlo_ms() == 0) t->set_ehlo_ms(5 * 60 * 1000);
  if (t->starttls_ms() == 0) t->set_starttls_ms(60 * 1000);
  if (t->auth_ms() == 0) t->set_auth_ms(60 * 1000);
  if (t->mail_ms() == 0) t->set_mail_ms(5 * 60 * 1000);
  if (t->rcpt_ms() == 0) t->set_rcpt_ms(5 * 60 * 1000);
  if (t->data_ms() == 0) t->set_data_ms(2 * 60 * 1000);
  if (t->data_block_ms() == 0) t->set_data_block_ms(3 * 60 * 1000);
  if (t->data_end_ms() == 0) t->set_data_end_ms(10 * 60 * 1000);
  if (t->quit_ms() == 0) t->set_quit_ms(5 * 1000);

  auto* sec = c->mutable_security();
  Default<std::string>(sec->mutable_admin_tenant(), c->default_tenant());
  if (sec->auth_failures_per_minute() == 0) sec->set_auth_failures_per_minute(20);

  auto* l = c->mutable_limits();
  if (l->max_message_bytes() == 0) l->set_max_message_bytes(25 * 1024 * 1024);
  if (l->max_recipients() == 0) l->set_max_recipients(100);
  if (l->max_headers() == 0) l->set_max_headers(50);
  if (l->max_attachments() == 0) l->set_max_attachments(20);
  if (l->max_attachment_bytes() == 0) l->set_max_attachment_bytes(10 * 1024 * 1024);
  if (l->max_request_bytes() == 0) l->set_max_request_bytes(2 * l->max_message_bytes());
  if (l->max_queue_depth() == 0) l->set_max_queue_depth(1000000);
  if (l->idempotency_window_ms() == 0) l->set_idempotency_window_ms(24 * 60 * 60 * 1000);
  if (l->max_event_streams() == 0) l->set_max_event_streams(256);
  if (!l->has_default_tenant_limits()) {
    l->mutable_default_tenant_limits()->set_rate_per_second(100);
    l->mutable_default_tenant_limits()->set_burst(1000);
  }

  auto* dom = c->mutable_domains();
  Default<std::string>(dom->mutable_send_policy(), d->mode() == Delivery::SANDBOX ? "off" : "enforce");
  if (dom->rsa_bits() == 0) dom->set_rsa_bits(2048);
  if (dom->retire_after_ms() == 0) dom->set_retire_after_ms(int64_t{7} * 24 * 3600 * 1000);
  if (dom->cache_ttl_ms() == 0) dom->set_cache_ttl_ms(10000);
  Default<std::string>(dom->mutable_selector_prefix(), "kirim");
  auto* u = c->mutable_unsubscribe();
  if (u->validity_ms() == 0) u->set_validity_ms(int64_t{60} * 24 * 3600 * 1000);
}

absl::Status ValidateConfig(const Config& c) {
  auto bad = [](absl::string_view field, absl::string_view why) {
    return absl::InvalidArgumentError(absl::StrCat(field, ": ", why));
  };
  if (c.role() != "api" && c.role() != "worker" && c.role() != "all") {
    return bad("role", "must be \"api\", \"worker\" or \"all\"");
  }
  if (!IsHostPort(c.listen_address())) return bad("listen_address", "must be host:port");
  if (!c.unsubscribe().base_url().empty() && c.http_listen_address() == "off") {
    return bad("unsubscribe.base_url", "needs the HTTP port (http_listen_address is off)");
  }
  if (c.unsubscribe().validity_ms() < 0) return bad("unsubscribe.validity_ms", "must be positive");
  if (!c.health_listen_address().empty() && !IsHostPort(c.health_listen_address())) {
    return bad("health_listen_address", "must be host:port (or empty: off)");
  }
  if (!c.health_listen_address().empty() && !absl::EndsWith(c.listen_address(), ":0") &&
      c.health_listen_address() == c.listen_address()) {
    return bad("health_listen_address", "must differ from listen_address");
  }
  if (c.http_listen_address() != "off" && !IsHostPort(c.http_listen_address())) {
    return bad("http_listen_address", "must be host:port or \"off\"");
  }
  if (c.log_level() != "debug" && c.log_level() != "info" && c.log_level() != "warning" &&
      c.log_level() != "error") {
    return bad("log_level", "must be debug, info, warning or error");
  }
  if (!IsTenantName(c.default_tenant())) return bad("default_tenant", kTenantRule);
  if (!IsTenantName(c.security().admin_tenant())) return bad("security.admin_tenant", kTenantRule);

  const auto& tls = c.tls();
  if (tls.cert_file().empty() != tls.key_file().empty()) {
    return bad("tls", "cert_file and key_file go together");
  }
  if (tls.require_client_cert() && tls.client_ca_file().empty()) {
    return bad("tls.require_client_cert", "needs tls.client_ca_file");
  }
  if (!tls.client_ca_file().empty() && tls.cert_file().empty()) {
    return bad("tls.client_ca_file", "mTLS needs tls.cert_file and tls.key_file");
  }
  // A worker's port serves health (and reflection) only: no API, no credentials cross it.
  if (tls.cert_file().empty() && !c.allow_plaintext() && c.role() != "worker" &&
      !IsLoopback(c.listen_address())) {
    return bad("listen_address",
               "plaintext gRPC on a non-loopback address: configure tls, or set allow_plaintext "
               "when a proxy or mesh terminates TLS");
  }
  const auto& r = c.redis();
  if (r.port() <= 0 || r.port() > 65535) return bad("redis.port", "must be 1..65535");
  if (r.shards() < 1 || r.shards() > 1024) return bad("redis.shards", "must be 1..1024");
  if (r.event_stream_max_len() < 1) return bad("redis.event_stream_max_len", "must be positive");
  if (c.limits().max_queue_depth() < 1) return bad("limits.max_queue_depth", "must be positive");
  if (c.limits().idempotency_window_ms() < 1000) {
    return bad("limits.idempotency_window_ms", "must be at least 1000");
  }
  if (c.limits().max_event_streams() < 1) return bad("limits.max_event_streams", "must be positive");
  if (r.key_prefix().find_first_of("{}") != std::string::npos) {
    return bad("redis.key_prefix", "must not contain '{' or '}' (hash tags are Kirim's)");
  }
  const auto& d = c.delivery();
  if (d.concurrency() < 1 || d.concurrency() > 1024) return bad("delivery.concurrency", "must be 1..1024");
  bool uses_relay = d.mode() == Delivery::RELAY;
  for (int i = 0; i < d.sender_routes_size(); ++i) {
    const auto& r = d.sender_routes(i);
    const std::string field = absl::StrCat("delivery.sender_routes[", i, "]");
    if (r.sender_domain().empty()) return bad(field + ".sender_domain", "required");
    if (r.mode() == Delivery::MODE_UNSPECIFIED) return bad(field + ".mode", "required");
    uses_relay |= r.mode() == Delivery::RELAY;
  }
  if (uses_relay) {
    if (d.relay().host().empty()) return bad("delivery.relay.host", "required in RELAY mode");
    if (d.relay().port() <= 0 || d.relay().port() > 65535) return bad("delivery.relay.port", "must be 1..65535");
  }
  const auto& t = d.timeouts();
  int64_t longest = int64_t{t.connect_ms()} + t.greeting_ms() + t.ehlo_ms() * 2 + t.starttls_ms() +
                    t.auth_ms() + t.mail_ms() + t.rcpt_ms() + t.data_ms() + t.data_end_ms();
  if (d.lease_timeout_ms() < 1000) return bad("delivery.lease_timeout_ms", "must be at least 1000");
  if (d.mode() == Delivery::RELAY && d.lease_timeout_ms() < longest / 4) {
    // A lease much shorter than a slow-but-legal SMTP session makes a second worker send the
    // same message while the first is still talking: duplicates.
    return bad("delivery.lease_timeout_ms",
               absl::StrCat("too short for the configured SMTP timeouts (sum ", longest, " ms)"));
  }
  for (int i = 0; i < d.shaping().destinations_size(); ++i) {
    if (d.shaping().destinations(i).domain().empty()) {
      return bad(absl::StrCat("delivery.shaping.destinations[", i, "].domain"), "required");
    }
  }
  const auto& retry = d.retry();
  if (retry.factor() < 1) return bad("delivery.retry.factor", "must be at least 1");
  if (retry.jitter() > 1) return bad("delivery.retry.jitter", "must be at most 1");
  if (retry.max_delay_ms() < retry.first_retry_ms()) {
    return bad("delivery.retry.max_delay_ms", "must be at least first_retry_ms");
  }
  if (retry.max_age_ms() < retry.first_retry_ms()) {
    return bad("delivery.retry.max_age_ms", "must be at least first_retry_ms");
  }
  if (c.limits().max_recipients() < 1) return bad("limits.max_recipients", "must be positive");
  auto check_limits = [&](const config::v1::TenantLimits& t, const std::string& field) -> absl::Status {
    if (t.rate_per_second() < 0 || t.burst() < 0 || t.daily_quota() < 0) {
      return bad(field, "limits must not be negative");
    }
    if (t.rate_per_second() > 0 && t.burst() < 1) return bad(field + ".burst", "must be at least 1 with a rate");
    return absl::OkStatus();
  };
  KIRIM_RETURN_IF_ERROR(check_limits(c.limits().default_tenant_limits(), "limits.default_tenant_limits"));
  for (int i = 0; i < c.limits().tenants_size(); ++i) {
    const std::string field = absl::StrCat("limits.tenants[", i, "]");
    if (!IsTenantName(c.limits().tenants(i).tenant())) return bad(field + ".tenant", kTenantRule);
    KIRIM_RETURN_IF_ERROR(check_limits(c.limits().tenants(i), field));
  }
  if (c.limits().max_message_bytes() < 1024) return bad("limits.max_message_bytes", "must be at least 1024");
  const auto& dom = c.domains();
  if (dom.send_policy() != "enforce" && dom.send_policy() != "warn" && dom.send_policy() != "off") {
    return bad("domains.send_policy", "must be \"enforce\", \"warn\" or \"off\"");
  }
  if (!dom.dmarc_report_address().empty()) {
    if (absl::Status s = domains::ValidateReportAddress(dom.dmarc_report_address()); !s.ok()) {
      return bad("domains.dmarc_report_address", std::string(s.message()));
    }
  }
  if (dom.rsa_bits() < 1024 || dom.rsa_bits() > 4096) return bad("domains.rsa_bits", "must be 1024..4096");
  if (dom.retire_after_ms() < 0) return bad("domains.retire_after_ms", "must not be negative");
  if (dom.signature_expire_after_ms() < 0) {
    return bad("domains.signature_expire_after_ms", "must not be negative");
  }
  if (dom.cache_ttl_ms() < -1) return bad("domains.cache_ttl_ms", "must be -1 (off) or more");
  if (!dom.dns_servers().empty()) {
    for (absl::string_view server : absl::StrSplit(dom.dns_servers(), ',')) {
      if (!IsHostPort(server)) return bad("domains.dns_servers", "expected \"host:port,...\"");
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<Config> LoadConfig(const std::string& path,
                                  const std::map<std::string, std::string>& env) {
  Config config;
  if (!path.empty()) {
    KIRIM_ASSIGN_OR_RETURN(std::string content, ReadFile(path));
    KIRIM_ASSIGN_OR_RETURN(config, ParseConfig(content, absl::EndsWith(path, ".json") ? "json" : "text"));
  }
  KIRIM_RETURN_IF_ERROR(ApplyEnvironment(env, &config));
  ApplyDefaults(&config);
  KIRIM_RETURN_IF_ERROR(ValidateConfig(config));
  return config;
}

absl::StatusOr<std::string> ReadSecret(const std::string& file, const std::string& env_var,
                                       const std::map<std::string, std::string>& env) {
  if (!file.empty()) {
    KIRIM_ASSIGN_OR_RETURN(std::string value, ReadFile(file));
    return std::string(absl::StripTrailingAsciiWhitespace(value));
  }
  auto it = env.find(env_var);
  if (it != env.end() && !it->second.empty()) return it->second;
  return absl::NotFoundError(absl::StrCat("no secret: set a file or $", env_var));
}

}  // namespace kirim
