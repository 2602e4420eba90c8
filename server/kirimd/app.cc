#include "server/kirimd/app.h"

#include <map>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "grpcpp/ext/proto_server_reflection_plugin.h"
#include "grpcpp/health_check_service_interface.h"
#include "grpcpp/security/server_credentials.h"
#include "grpcpp/server_builder.h"
#include "server/auth/api_key_authenticator.h"
#include "server/auth/redis_api_key_store.h"
#include "server/common/status_macros.h"
#include "server/limits/redis_send_limiter.h"
#include "server/delivery/sender_routed_deliverer.h"
#include "server/delivery/smtp_deliverer.h"
#include "server/dns/cares_resolver.h"
#include "server/domains/redis_domain_store.h"
#include "server/http/metrics_handler.h"
#include "server/templates/redis_template_store.h"
#include "server/unsubscribe/unsubscribe_endpoint.h"
#include "server/queue/queue_controls.h"
#include "server/shaping/redis_destination_shaper.h"
#include "server/delivery/sandbox_deliverer.h"
#include "server/delivery/worker.h"
#include "server/smtp/socket_transport.h"
#include "server/suppression/redis_suppression_store.h"

namespace kirim {
namespace {

using config::v1::Delivery;
using config::v1::Relay;

absl::Duration Ms(int64_t ms) { return absl::Milliseconds(ms); }

absl::StatusOr<std::string> ReadPem(const std::string& path, absl::string_view field) {
  absl::StatusOr<std::string> pem = ReadSecret(path, "", {});
  if (!pem.ok()) {
    return absl::FailedPreconditionError(absl::StrCat(field, ": cannot read ", path));
  }
  return *pem;
}

bool HasApi(const Config& c) { return c.role() == "api" || c.role() == "all"; }
bool HasWorker(const Config& c) { return c.role() == "worker" || c.role() == "all"; }

smtp::Timeouts TimeoutsFrom(const config::v1::SmtpTimeouts& t) {
  smtp::Timeouts out;
  out.greeting = Ms(t.greeting_ms());
  out.ehlo = Ms(t.ehlo_ms());
  out.starttls = Ms(t.starttls_ms());
  out.auth = Ms(t.auth_ms());
  out.mail = Ms(t.mail_ms());
  out.rcpt = Ms(t.rcpt_ms());
  out.data = Ms(t.data_ms());
  out.data_block = Ms(t.data_block_ms());
  out.data_end = Ms(t.data_end_ms());
  out.rset = Ms(t.mail_ms());
  out.quit = Ms(t.quit_ms());
  return out;
}

}  // namespace

App::App(Config config, std::map<std::string, std::string> env, const Clock& clock, Logger& logger)
    : config_(std::move(config)), env_(std::move(env)), clock_(clock), logger_(logger) {}

App::~App() { Stop(); }

absl::StatusOr<Router*> App::RouterFor(Delivery::Mode mode) {
  if (auto it = routers_.find(mode); it != routers_.end()) return it->second.get();
  const Delivery& d = config_.delivery();
  std::unique_ptr<Router> router;
  if (mode == Delivery::DIRECT) {
    dns::CaresOptions dns;
    dns.servers = d.direct().dns_servers();
    dns.timeout = Ms(d.direct().dns_timeout_ms());
    dns.tries = d.direct().dns_tries();
    KIRIM_RETURN_IF_ERROR(dns::CaresResolver::Validate(dns));
    resolver_ = std::make_unique<dns::CaresResolver>(dns);
    MxRouterOptions mx;
    mx.port = d.direct().port();
    mx.tls = d.direct().require_tls() ? smtp::TlsMode::kStartTlsRequired
                                      : smtp::TlsMode::kStartTlsOpportunistic;
    router = std::make_unique<MxRouter>(*resolver_, random_, mx);
  } else {
    const Relay& r = d.relay();
    Target relay;
    relay.host = r.host();
    relay.address = r.host();
    relay.port = r.port();
    relay.tls_server_name = r.tls_server_name();
    relay.tls = r.tls() == Relay::IMPLICIT ? smtp::TlsMode::kImplicit
                : r.tls() == Relay::NONE   ? smtp::TlsMode::kNone
                                           : smtp::TlsMode::kStartTlsRequired;
    router = std::make_unique<RelayRouter>(relay);
  }
  Router* out = router.get();
  routers_[mode] = std::move(router);
  return out;
}

absl::StatusOr<std::unique_ptr<Deliverer>> App::MakeDeliverer(Delivery::Mode mode) {
  const Delivery& d = config_.delivery();
  if (mode == Delivery::SANDBOX) return std::make_unique<SandboxDeliverer>(d.sandbox_dir());
  SmtpDeliveryOptions o;
  o.connect_timeout = Ms(d.timeouts().connect_ms());
  o.client.helo_name = config_.hostname();
  o.client.on_reply = [m = metrics_.get()](absl::string_view phase, int code, absl::Duration d) {
    m->SmtpReply(phase, code);
    m->SmtpPhase(phase, d);
  };
  o.client.timeouts = TimeoutsFrom(d.timeouts());
  Router* router;
  {
    absl::MutexLock lock(&routers_mu_);
    KIRIM_ASSIGN_OR_RETURN(router, RouterFor(mode));
  }
  if (mode == Delivery::DIRECT) {
    // Opportunistic TLS to MX hosts cannot verify names (RFC 7435); MTA-STS/DANE come later.
    o.client.tls_options.verify_peer = false;
  } else {
    const Relay& r = d.relay();
    o.client.tls_options.verify_peer = r.verify_certificate();
    o.client.tls_options.ca_file = r.ca_file();
    if (!r.username().empty()) {
      o.client.username = r.username();
      auto password = ReadSecret(r.password_file(), "KIRIM_RELAY_PASSWORD", env_);
      if (!password.ok()) {
        return absl::FailedPreconditionError(absl::StrCat(
            "delivery.relay.username is set but the password is missing: set "
            "delivery.relay.password_file or $KIRIM_RELAY_PASSWORD (",
            password.status().message(), ")"));
      }
      o.client.password = *password;
    }
  }
  return std::make_unique<SmtpDeliverer>(*connector_, *router, clock_, std::move(o),
                                         shaper_.get(), destination_policy_.get());
}

Delivery::Mode App::ModeFor(absl::string_view sender_domain) const {
  for (const auto& route : config_.delivery().sender_routes()) {
    if (absl::EqualsIgnoreCase(route.sender_domain(), sender_domain)) return route.mode();
  }
  return config_.delivery().mode();
}

absl::StatusOr<v1::Route> App::PreviewRoute(absl::string_view sender_domain,
                                            absl::string_view recipient_domain) {
  const Delivery::Mode mode = ModeFor(sender_domain);
  v1::Route route;
  if (mode == Delivery::SANDBOX) {
    route.set_kind(v1::Route::SANDBOX);
    return route;
  }
  Router* router;
  {
    absl::MutexLock lock(&routers_mu_);
    KIRIM_ASSIGN_OR_RETURN(router, RouterFor(mode));
  }
  KIRIM_ASSIGN_OR_RETURN(std::vector<Target> targets,
                         router->Route(absl::AsciiStrToLower(recipient_domain)));
  if (targets.empty()) return absl::UnavailableError("no host to deliver to");
  const Target& t = targets.front();
  route.set_kind(mode == Delivery::DIRECT ? v1::Route::MX : v1::Route::RELAY);
  route.set_host(t.host);
  route.set_port(t.port);
  switch (t.tls) {
    case smtp::TlsMode::kNone: route.set_tls(v1::Route::NONE); break;
    case smtp::TlsMode::kImplicit: route.set_tls(v1::Route::IMPLICIT); break;
    case smtp::TlsMode::kStartTlsOpportunistic:
      route.set_tls(v1::Route::STARTTLS_OPPORTUNISTIC);
      break;
    default: route.set_tls(v1::Route::STARTTLS); break;
  }
  return route;
}

absl::Status App::BuildDeliverer() {
  const Delivery& d = config_.delivery();
  const auto& shaping = d.shaping();
  auto limits_of = [](const config::v1::DestinationLimits& c) {
    DestinationLimits l;
    l.max_connections = c.max_connections();
    l.max_messages_per_connection = c.max_messages_per_connection();
    l.messages_per_second = c.messages_per_second();
    return l;
  };
  destination_policy_ = std::make_unique<DestinationPolicy>(limits_of(shaping.defaults()));
  for (const auto& dest : shaping.destinations()) {
    destination_policy_->Set(dest.domain(), limits_of(dest));
  }
  if (!shaping.disabled()) {
    ShaperOptions so;
    so.key_prefix = config_.redis().key_prefix();
    shaper_ = std::make_unique<RedisDestinationShaper>(*redis_, clock_, *destination_policy_, so);
  }
  connector_ = std::make_unique<smtp::SocketConnector>();

  // One deliverer per mode in use: the default, and any a sending domain is routed to.
  std::map<Delivery::Mode, std::unique_ptr<Deliverer>> by_mode;
  auto need = [&](Delivery::Mode mode) -> absl::Status {
    if (by_mode.count(mode)) return absl::OkStatus();
    KIRIM_ASSIGN_OR_RETURN(by_mode[mode], MakeDeliverer(mode));
    return absl::OkStatus();
  };
  KIRIM_RETURN_IF_ERROR(need(d.mode()));
  std::map<std::string, Deliverer*> routes;
  for (const auto& route : d.sender_routes()) {
    KIRIM_RETURN_IF_ERROR(need(route.mode()));
    routes[absl::AsciiStrToLower(route.sender_domain())] = by_mode[route.mode()].get();
  }
  Deliverer* fallback = by_mode[d.mode()].get();
  for (auto& [mode, deliverer] : by_mode) deliverers_.push_back(std::move(deliverer));
  deliverer_ = std::make_unique<SenderRoutedDeliverer>(std::move(routes), fallback);
  return absl::OkStatus();
}

absl::Status App::BuildDomains() {
  const auto& dc = config_.domains();
  absl::StatusOr<std::string> kek =
      ReadSecret(dc.key_encryption_key_file(), "KIRIM_KEY_ENCRYPTION_KEY", env_);
  if (kek.ok()) {
    absl::StatusOr<KeyCipher> cipher = KeyCipher::FromBase64(*kek);
    if (!cipher.ok()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "domains.key_encryption_key_file / $KIRIM_KEY_ENCRYPTION_KEY: ", cipher.status().message()));
    }
    key_cipher_ = std::make_unique<KeyCipher>(*std::move(cipher));
  } else if (!dc.key_encryption_key_file().empty()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "domains.key_encryption_key_file: cannot read ", dc.key_encryption_key_file()));
  } else {
    logger_.Warning("kirimd", "no_key_encryption_key",
                    {{"hint", "set domains.key_encryption_key_file or $KIRIM_KEY_ENCRYPTION_KEY "
                              "to create sending domains and sign mail with DKIM"}});
  }
  domains_ = std::make_unique<RedisDomainStore>(*redis_, config_.redis().key_prefix());
  dkim_keys_ = std::make_unique<DkimKeyStore>(key_cipher_.get(), random_);
  SendingDomainsOptions so;
  so.cache_ttl = dc.cache_ttl_ms() < 0 ? absl::ZeroDuration() : Ms(dc.cache_ttl_ms());
  sending_domains_ = std::make_unique<SendingDomains>(*domains_, clock_, so);
  DomainSignerOptions sign;
  sign.expire_after = Ms(dc.signature_expire_after_ms());
  signer_ = std::make_unique<DomainSigner>(*sending_domains_, *dkim_keys_, clock_, sign);
  KIRIM_ASSIGN_OR_RETURN(SenderPolicy::Mode mode, SenderPolicy::ParseMode(dc.send_policy()));
  sender_policy_ = std::make_unique<SenderPolicy>(*sending_domains_, logger_, mode);
  return absl::OkStatus();
}

absl::Status App::BuildComposition() {
  templates_ = std::make_unique<RedisTemplateStore>(*redis_, config_.redis().key_prefix());
  const auto& u = config_.unsubscribe();
  if (u.base_url().empty()) return absl::OkStatus();
  absl::StatusOr<std::string> key = ReadSecret(u.signing_key_file(), "KIRIM_UNSUBSCRIBE_KEY", env_);
  if (!key.ok()) {
    return absl::FailedPreconditionError(
        "unsubscribe.base_url is set but the token signing key is missing: set "
        "unsubscribe.signing_key_file or $KIRIM_UNSUBSCRIBE_KEY (openssl rand -base64 32)");
  }
  absl::StatusOr<UnsubscribeSigner> signer = UnsubscribeSigner::FromBase64Key(*key);
  if (!signer.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("unsubscribe signing key: ", signer.status().message()));
  }
  unsubscribe_signer_ = std::make_unique<UnsubscribeSigner>(*std::move(signer));
  unsubscribe_ = std::make_unique<UnsubscribeHeaders>();
  unsubscribe_->signer = unsubscribe_signer_.get();
  unsubscribe_->options.base_url = u.base_url();
  unsubscribe_->options.mailto = u.mailto();
  unsubscribe_->options.validity = Ms(u.validity_ms());
  if (absl::Status s = ValidateListUnsubscribeOptions(unsubscribe_->options); !s.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("unsubscribe: ", s.message()));
  }
  return absl::OkStatus();
}

absl::Status App::StartHttp() {
  if (config_.http_listen_address() == "off") return absl::OkStatus();
  metrics_->OnCollect([this] { RefreshQueueGauges(); });
  HttpServerOptions ho;
  ho.listen_address = config_.http_listen_address();
  http_ = std::make_unique<HttpServer>(ho);
  KIRIM_RETURN_IF_ERROR(RegisterMetricsHandler(*http_, *metrics_));
  if (unsubscribe_signer_ != nullptr && HasApi(config_)) {
    KIRIM_RETURN_IF_ERROR(RegisterUnsubscribeEndpoint(*http_, *unsubscribe_signer_,
                                                      *suppressions_, clock_, logger_));
  }
  absl::Status started = http_->Start();
  if (!started.ok()) {
    return absl::Status(started.code(), absl::StrCat("http_listen_address ",
                                                     config_.http_listen_address(), ": ",
                                                     started.message()));
  }
  return absl::OkStatus();
}

void App::RefreshQueueGauges() {
  {
    absl::MutexLock lock(&gauges_mu_);
    const absl::Time now = clock_.Now();
    if (now - gauges_refreshed_ < absl::Seconds(1)) return;
    gauges_refreshed_ = now;
  }
  // Redis down: the gauges keep their last values (redis_up-style health is on gRPC).
  if (absl::StatusOr<std::map<Lane, LaneDepth>> depth = queue_stats_->Depth(); depth.ok()) {
    for (const auto& [lane, d] : *depth) {
      metrics_->SetQueue(LaneName(lane), QueueFigures{d.ready, d.scheduled, d.in_flight, d.dead});
    }
  }
  if (auto top = queue_stats_->Destinations(20); top.ok()) metrics_->SetDestinations(*top);
}

absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> App::ServerCredentials() const {
  const auto& tls = config_.tls();
  if (tls.cert_file().empty()) return grpc::InsecureServerCredentials();
  grpc::SslServerCredentialsOptions o(tls.require_client_cert()
                                          ? GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY
                                      : tls.client_ca_file().empty()
                                          ? GRPC_SSL_DONT_REQUEST_CLIENT_CERTIFICATE
                                          : GRPC_SSL_REQUEST_CLIENT_CERTIFICATE_AND_VERIFY);
  grpc::SslServerCredentialsOptions::PemKeyCertPair pair;
  KIRIM_ASSIGN_OR_RETURN(pair.cert_chain, ReadPem(tls.cert_file(), "tls.cert_file"));
  KIRIM_ASSIGN_OR_RETURN(pair.private_key, ReadPem(tls.key_file(), "tls.key_file"));
  o.pem_key_cert_pairs.push_back(std::move(pair));
  if (!tls.client_ca_file().empty()) {
    KIRIM_ASSIGN_OR_RETURN(o.pem_root_certs, ReadPem(tls.client_ca_file(), "tls.client_ca_file"));
  }
  return grpc::SslServerCredentials(o);
}

absl::Status App::InstallAdminKey() {
  const auto& sec = config_.security();
  absl::StatusOr<std::string> key = ReadSecret(sec.admin_key_file(), "KIRIM_ADMIN_KEY", env_);
  if (!key.ok()) {
    logger_.Warning("kirimd", "no_admin_key",
                    {{"hint", "set security.admin_key_file or $KIRIM_ADMIN_KEY to create API keys"}});
    return absl::OkStatus();
  }
  absl::Status s = keys_->Import(*key, sec.admin_tenant(), "bootstrap admin key",
                                 {v1::ApiKey::ADMIN});
  if (s.code() == absl::StatusCode::kInvalidArgument) {
    return absl::InvalidArgumentError(
        "the bootstrap admin key is malformed (generate one with kirim_keygen)");
  }
  if (!s.ok()) {
    // Redis may not be up yet: the key is installed by the next start; existing keys work.
    logger_.Warning("kirimd", "admin_key_not_installed", {{"error", s.message()}});
  }
  return absl::OkStatus();
}

absl::Status App::Start() {
  MetricsOptions mo_metrics;
  mo_metrics.version = kKirimVersion;
  mo_metrics.role = config_.role();
  metrics_ = std::make_unique<Metrics>(mo_metrics);
  const auto& rc = config_.redis();
  redis::RedisOptions ro;
  ro.on_round_trip = [m = metrics_.get()](absl::Duration d) { m->RedisRoundTrip(d); };
  ro.host = rc.host();
  ro.port = rc.port();
  ro.connect_timeout = Ms(rc.connect_timeout_ms());
  ro.command_timeout = Ms(rc.command_timeout_ms());
  // Each open WatchEvents stream holds a connection while it blocks (XREAD BLOCK).
  ro.pool_size = rc.pool_size() + config_.delivery().concurrency() +
                 config_.limits().max_event_streams();
  if (!rc.password_file().empty()) {
    KIRIM_ASSIGN_OR_RETURN(ro.password, ReadSecret(rc.password_file(), "", env_));
  }
  redis_ = std::make_unique<redis::HiredisClient>(ro);

  RedisQueueOptions qo;
  qo.key_prefix = rc.key_prefix();
  qo.shards = rc.shards();
  qo.lease_timeout = Ms(config_.delivery().lease_timeout_ms());
  qo.retention = absl::Hours(rc.message_retention_hours());
  qo.max_depth = config_.limits().max_queue_depth();
  qo.event_stream_max_len = rc.event_stream_max_len();
  queue_ = std::make_unique<RedisMessageQueue>(*redis_, redis_.get(), qo);
  queue_stats_ = std::make_unique<RedisQueueStats>(*redis_, *queue_);
  suppressions_ = std::make_unique<RedisSuppressionStore>(*redis_, rc.key_prefix());
  controls_ = std::make_unique<RedisQueueControls>(*redis_, *queue_, rc.shards(), rc.key_prefix());
  KIRIM_RETURN_IF_ERROR(BuildDomains());
  KIRIM_RETURN_IF_ERROR(BuildComposition());
  if (absl::Status s = queue_->EnsureGroups(); !s.ok()) {
    // Not fatal: health says NOT_SERVING until Redis answers, and workers create the groups
    // on first use.
    logger_.Warning("kirimd", "redis_unreachable_at_start", {{"error", s.message()}});
  }

  KIRIM_ASSIGN_OR_RETURN(std::shared_ptr<grpc::ServerCredentials> credentials, ServerCredentials());
  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  builder.AddListeningPort(config_.listen_address(), credentials, &port_);
  builder.SetMaxReceiveMessageSize(
      static_cast<int>(std::min<int64_t>(config_.limits().max_request_bytes(), INT32_MAX)));
  if (HasApi(config_)) {
    const auto& limits = config_.limits();
    keys_ = std::make_unique<RedisApiKeyStore>(*redis_, clock_, random_, rc.key_prefix());
    KIRIM_RETURN_IF_ERROR(InstallAdminKey());
    limiter_ = std::make_unique<RedisSendLimiter>(*redis_, clock_, rc.key_prefix());
    limits_ = LimitsTable(limits);
    auth_ = std::make_unique<ApiKeyAuthenticator>(*keys_, clock_,
                                                  config_.security().auth_failures_per_minute());
    guard_ = std::make_unique<RpcGuard>(*auth_);

    MailApiOptions mo;
    mo.hostname = config_.hostname();
    mo.limits.max_message_bytes = limits.max_message_bytes();
    mo.limits.max_recipients = limits.max_recipients();
    mo.limits.max_headers = limits.max_headers();
    mo.limits.max_attachments = limits.max_attachments();
    mo.limits.max_attachment_bytes = limits.max_attachment_bytes();
    mo.idempotency_window = Ms(limits.idempotency_window_ms());
    mo.metrics = metrics_.get();
    mo.stats = queue_stats_.get();
    mo.templates = templates_.get();
    mo.signer = signer_.get();
    mo.unsubscribe = unsubscribe_.get();
    mo.route = [this](absl::string_view sender, absl::string_view recipient) {
      return PreviewRoute(sender, recipient);
    };
    mail_api_ = std::make_unique<MailApi>(*queue_, *limiter_, limits_, clock_, random_, logger_, mo,
                                         suppressions_.get(), sender_policy_.get());
    EventStreamOptions eo;
    eo.max_streams = limits.max_event_streams();
    mail_service_ = std::make_unique<MailService>(*mail_api_, *guard_, logger_, eo);
    AdminApiOptions ao;
    ao.operator_tenant = config_.security().admin_tenant();
    ao.templates = templates_.get();
    admin_api_ = std::make_unique<AdminApi>(*keys_, *suppressions_, *limiter_, limits_, clock_,
                                            logger_, ao, controls_.get(), queue_stats_.get());
    admin_service_ = std::make_unique<AdminService>(*admin_api_, *guard_);
    const auto& dc = config_.domains();
    dns::CaresOptions dns;
    dns.servers = dc.dns_servers().empty() ? config_.delivery().direct().dns_servers()
                                           : dc.dns_servers();
    dns.timeout = Ms(config_.delivery().direct().dns_timeout_ms());
    dns.tries = config_.delivery().direct().dns_tries();
    KIRIM_RETURN_IF_ERROR(dns::CaresResolver::Validate(dns));
    verify_resolver_ = std::make_unique<dns::CaresResolver>(dns);
    domains::RecordOptions records;
    records.spf_includes.assign(dc.spf_includes().begin(), dc.spf_includes().end());
    records.spf_ips.assign(dc.spf_ips().begin(), dc.spf_ips().end());
    records.dmarc_report_address = dc.dmarc_report_address();
    verifier_ = std::make_unique<domains::DomainVerifier>(*verify_resolver_, records);
    DomainApiOptions dao;
    dao.records = records;
    dao.rsa_bits = dc.rsa_bits();
    dao.retire_after = Ms(dc.retire_after_ms());
    dao.selector_prefix = dc.selector_prefix();
    domain_api_ = std::make_unique<DomainApi>(*domains_, *dkim_keys_, *verifier_, clock_, random_,
                                              logger_, dao);
    domain_service_ = std::make_unique<DomainService>(*domain_api_, *guard_);
    builder.RegisterService(mail_service_.get());
    builder.RegisterService(admin_service_.get());
    builder.RegisterService(domain_service_.get());
    health_services_ = {v1::MailService::service_full_name(), v1::AdminService::service_full_name(),
                        v1::DomainService::service_full_name()};
  }
  server_ = builder.BuildAndStart();
  if (server_ == nullptr || port_ == 0) {
    return absl::UnavailableError(absl::StrCat("cannot listen on ", config_.listen_address()));
  }
  KIRIM_RETURN_IF_ERROR(StartHttp());
  KIRIM_RETURN_IF_ERROR(StartHealthPort());
  for (grpc::Server* s : {server_.get(), health_server_.get()}) {
    if (s != nullptr) s->GetHealthCheckService()->SetServingStatus(kLivenessHealthService, true);
  }
  SetServing(queue_->Ping().ok());
  health_thread_ = std::thread([this] { HealthLoop(); });

  if (HasWorker(config_)) {
    KIRIM_RETURN_IF_ERROR(BuildDeliverer());
    for (int i = 0; i < config_.delivery().concurrency(); ++i) {
      {
        absl::MutexLock lock(&workers_mu_);
        ++workers_running_;
      }
      workers_.emplace_back([this, i] {
        WorkerLoop(i);
        absl::MutexLock lock(&workers_mu_);
        --workers_running_;
      });
    }
  }
  logger_.Info("kirimd", "serving",
               {{"address", absl::StrCat(config_.listen_address().substr(
                                             0, config_.listen_address().rfind(':')),
                                         ":", port_)},
                {"role", config_.role()},
                {"delivery", deliverer_ ? deliverer_->Describe() : "none"},
                {"redis", absl::StrCat(rc.host(), ":", rc.port())},
                {"tls", config_.tls().cert_file().empty()         ? "off"
                        : config_.tls().require_client_cert() ? "mtls"
                                                              : "on"},
                {"http", http_ == nullptr ? "off"
                                          : absl::StrCat(config_.http_listen_address().substr(
                                                             0, config_.http_listen_address().rfind(':')),
                                                         ":", http_->port())},
                {"health", health_server_ == nullptr
                               ? "off"
                               : absl::StrCat(config_.health_listen_address().substr(
                                                  0, config_.health_listen_address().rfind(':')),
                                              ":", health_port_)},
                {"version", kKirimVersion}});
  return absl::OkStatus();
}

absl::Status App::StartHealthPort() {
  if (config_.health_listen_address().empty()) return absl::OkStatus();
  // Only the default health service is registered here: nothing else is reachable in plaintext.
  grpc::ServerBuilder builder;
  builder.AddListeningPort(config_.health_listen_address(), grpc::InsecureServerCredentials(),
                           &health_port_);
  health_server_ = builder.BuildAndStart();
  if (health_server_ == nullptr || health_port_ == 0) {
    return absl::UnavailableError(
        absl::StrCat("cannot listen on health_listen_address ", config_.health_listen_address()));
  }
  return absl::OkStatus();
}

void App::SetServing(bool serving) {
  serving_ = serving;
  for (grpc::Server* server : {server_.get(), health_server_.get()}) {
    if (server == nullptr) continue;
    auto* health = server->GetHealthCheckService();
    // The overall status ("") and one per served service, so a probe can ask for either.
    health->SetServingStatus("", serving);
    for (const std::string& service : health_services_) health->SetServingStatus(service, serving);
  }
}

void App::HealthLoop() {
  const absl::Duration interval = Ms(config_.redis().health_interval_ms());
  while (!stopping_.WaitForNotificationWithTimeout(interval)) {
    absl::Status ping = queue_->Ping();
    if (ping.ok() != serving_) {
      if (ping.ok()) {
        logger_.Info("kirimd", "redis_reachable", {});
      } else {
        logger_.Warning("kirimd", "redis_unreachable", {{"error", ping.message()}});
      }
      SetServing(ping.ok());
    }
  }
}

void App::WorkerLoop(int index) {
  WorkerOptions wo;
  wo.name = absl::StrCat(config_.delivery().worker_name(), "-", index);
  const auto& retry = config_.delivery().retry();
  wo.retry.first_retry = Ms(retry.first_retry_ms());
  wo.retry.factor = retry.factor();
  wo.retry.max_delay = Ms(retry.max_delay_ms());
  wo.retry.max_age = Ms(retry.max_age_ms());
  wo.retry.jitter = retry.jitter();
  wo.retry.delay_warning = Ms(retry.delay_warning_ms());
  wo.poll_block = Ms(config_.delivery().poll_interval_ms());
  wo.promote_interval = wo.poll_block;  // idle or busy, due mail waits at most one interval
  wo.metrics = metrics_.get();
  wo.unsubscribe = unsubscribe_.get();
  Worker worker(*queue_, *deliverer_, clock_, random_, logger_, wo, suppressions_.get(),
                controls_.get(), signer_.get());
  absl::Duration backoff = absl::Milliseconds(100);
  while (!stopping_.HasBeenNotified()) {
    absl::StatusOr<int> n = worker.RunOnce();
    if (n.ok()) {
      backoff = absl::Milliseconds(100);
      continue;
    }
    logger_.Warning("worker", "queue_error", {{"worker", wo.name}, {"error", n.status().message()}});
    // Redis is down or failing: back off (capped) instead of spinning; wake at once on stop.
    stopping_.WaitForNotificationWithTimeout(backoff);
    backoff = std::min(backoff * 2, absl::Seconds(5));
  }
}

bool App::Stop() {
  if (server_ == nullptr || stopping_.HasBeenNotified()) return true;
  logger_.Info("kirimd", "stopping", {});
  // NOT_SERVING first, so Kubernetes readiness takes the pod out of the Service before the
  // listeners go away.
  SetServing(false);
  stopping_.Notify();
  // Workers take no more work and finish the message they hold, within the grace period.
  const absl::Duration grace = Ms(config_.delivery().shutdown_grace_ms());
  bool drained;
  {
    absl::MutexLock lock(&workers_mu_);
    auto done = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(workers_mu_) {
      return workers_running_ == 0;
    };
    drained = workers_mu_.AwaitWithTimeout(absl::Condition(&done), grace);
    if (!drained) {
      // A peer is slow mid-session. Leaving now is safe: the leases of those messages expire
      // and other workers deliver them (at least once; see docs/delivery.md).
      logger_.Warning("kirimd", "grace_period_exceeded",
                      {{"in_flight", std::to_string(workers_running_)},
                       {"grace", absl::FormatDuration(grace)}});
    }
  }
  if (drained) {
    for (std::thread& t : workers_) t.join();
  } else {
    for (std::thread& t : workers_) t.detach();
  }
  workers_.clear();
  if (health_thread_.joinable()) health_thread_.join();
  // WatchEvents streams never end by themselves: end them (UNAVAILABLE, resume elsewhere).
  if (mail_service_ != nullptr) mail_service_->Shutdown();
  server_->Shutdown(absl::ToChronoTime(clock_.Now() + absl::Seconds(5)));
  if (health_server_ != nullptr) health_server_->Shutdown(absl::ToChronoTime(clock_.Now()));
  if (http_ != nullptr) http_->Stop();
  logger_.Info("kirimd", "stopped", {{"drained", drained ? "true" : "false"}});
  return drained;
}

}  // namespace kirim
