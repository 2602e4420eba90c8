// App: one kirimd process. Builds every component from a validated Config, wires the seams
// (real clock, secure randomness, hiredis, sockets), and runs the roles:
//   api    — gRPC MailService (+ health, reflection), health follows Redis reachability;
//   worker — `delivery.concurrency` delivery threads;
//   all    — both (the default).
// The gRPC server runs in every role so Kubernetes probes reach each pod.
//
//   App app(config, env, logger);
//   KIRIM_RETURN_IF_ERROR(app.Start());   // returns once serving
//   ... wait for SIGTERM ...
//   app.Stop();                            // NOT_SERVING, drain, stop workers, shut down
#ifndef KIRIM_SERVER_KIRIMD_APP_H_
#define KIRIM_SERVER_KIRIMD_APP_H_

#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/synchronization/notification.h"
#include "grpcpp/server.h"
#include "server/api/admin_api.h"
#include "server/api/admin_service.h"
#include "server/api/domain_service.h"
#include "server/api/limits_table.h"
#include "server/api/mail_api.h"
#include "server/api/mail_service.h"
#include "server/api/rpc_guard.h"
#include "server/auth/api_key_store.h"
#include "server/auth/authenticator.h"
#include "server/limits/send_limiter.h"
#include "server/common/clock.h"
#include "server/common/logger.h"
#include "server/common/random.h"
#include "server/config/config.h"
#include "server/delivery/deliverer.h"
#include "server/delivery/router.h"
#include "server/dns/resolver.h"
#include "server/domains/domain_signer.h"
#include "server/domains/domain_store.h"
#include "server/domains/domain_verifier.h"
#include "server/domains/sender_policy.h"
#include "server/domains/sending_domains.h"
#include "server/keystore/dkim_key_store.h"
#include "server/keystore/key_cipher.h"
#include "server/http/http_server.h"
#include "server/metrics/metrics.h"
#include "server/compose/compose.h"
#include "server/templates/template_store.h"
#include "server/unsubscribe/unsubscribe_token.h"
#include "server/queue/redis_queue_stats.h"
#include "server/shaping/destination_policy.h"
#include "server/shaping/destination_shaper.h"
#include "server/queue/queue_controls.h"
#include "server/queue/redis_message_queue.h"
#include "server/redis/redis_client.h"
#include "server/smtp/transport.h"
#include "server/suppression/suppression_store.h"

namespace kirim {

// Reported in logs, kirim_build_info and GetMetrics' callers' tooling.
inline constexpr char kKirimVersion[] = "0.6.0";

// The grpc.health.v1 service name for liveness probes: SERVING for as long as the process
// answers, whatever Redis does. Readiness probes ask for "" (or a kirim.v1 service), which is
// NOT_SERVING while Redis is unreachable or kirimd drains; a liveness probe on "" would restart
// every pod during a Redis outage, which helps nothing.
inline constexpr char kLivenessHealthService[] = "liveness";

class App {
 public:
  App(Config config, std::map<std::string, std::string> env, const Clock& clock, Logger& logger);
  ~App();

  absl::Status Start();
  // The port the gRPC server bound (useful with listen_address "127.0.0.1:0").
  int port() const { return port_; }
  // Stops: NOT_SERVING, then workers finish what they hold within
  // delivery.shutdown_grace_ms. Returns false when the grace period ran out (some workers were
  // still in an SMTP session; the caller should exit promptly, their messages are reclaimed).
  bool Stop();

 private:
  absl::Status BuildDeliverer();
  absl::Status BuildDomains();
  absl::Status BuildComposition();
  absl::Status StartHttp();
  absl::Status StartHealthPort();
  // Sets the queue gauges from Redis, at most once a second (scrapes may come faster).
  void RefreshQueueGauges();
  absl::StatusOr<Router*> RouterFor(config::v1::Delivery::Mode mode);
  config::v1::Delivery::Mode ModeFor(absl::string_view sender_domain) const;
  absl::StatusOr<v1::Route> PreviewRoute(absl::string_view sender_domain,
                                         absl::string_view recipient_domain);
  absl::StatusOr<std::unique_ptr<Deliverer>> MakeDeliverer(config::v1::Delivery::Mode mode);
  absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> ServerCredentials() const;
  absl::Status InstallAdminKey();
  void HealthLoop();
  void WorkerLoop(int index);
  void SetServing(bool serving);

  const Config config_;
  const std::map<std::string, std::string> env_;
  const Clock& clock_;
  Logger& logger_;
  SecureRandom random_;

  std::unique_ptr<redis::HiredisClient> redis_;
  std::unique_ptr<RedisMessageQueue> queue_;
  std::unique_ptr<QueueControls> controls_;
  std::unique_ptr<ApiKeyStore> keys_;
  // Every role: the send path and the worker both consult it.
  std::unique_ptr<SuppressionStore> suppressions_;
  std::unique_ptr<SendLimiter> limiter_;
  LimitsTable limits_;
  std::unique_ptr<Authenticator> auth_;
  std::unique_ptr<RpcGuard> guard_;
  std::unique_ptr<MailApi> mail_api_;
  std::unique_ptr<MailService> mail_service_;
  std::unique_ptr<AdminApi> admin_api_;
  std::unique_ptr<AdminService> admin_service_;
  std::unique_ptr<DomainService> domain_service_;
  // Sending domains: the store, the key store (with the key-encryption key, if configured),
  // the send-path view, the accept-time policy, the signer, and VerifyDomain's DNS.
  std::unique_ptr<DomainStore> domains_;
  std::unique_ptr<KeyCipher> key_cipher_;
  std::unique_ptr<DkimKeyStore> dkim_keys_;
  std::unique_ptr<SendingDomains> sending_domains_;
  std::unique_ptr<SenderPolicy> sender_policy_;
  std::unique_ptr<DomainSigner> signer_;
  std::unique_ptr<dns::Resolver> verify_resolver_;
  std::unique_ptr<domains::DomainVerifier> verifier_;
  std::unique_ptr<DomainApi> domain_api_;
  // Observability: this process's Prometheus metrics on the HTTP port, and the cluster-wide
  // figures in Redis behind GetMetrics and the queue gauges.
  std::unique_ptr<Metrics> metrics_;
  // Composition: stored templates, one-click unsubscribe tokens and headers (when configured).
  std::unique_ptr<TemplateStore> templates_;
  std::unique_ptr<UnsubscribeSigner> unsubscribe_signer_;
  std::unique_ptr<UnsubscribeHeaders> unsubscribe_;
  std::unique_ptr<RedisQueueStats> queue_stats_;
  std::unique_ptr<HttpServer> http_;
  absl::Mutex gauges_mu_;
  absl::Time gauges_refreshed_ ABSL_GUARDED_BY(gauges_mu_) = absl::InfinitePast();
  std::unique_ptr<smtp::Connector> connector_;
  std::unique_ptr<dns::Resolver> resolver_;
  // Declared before the deliverers, which hold connection slots of the shaper until their
  // session pools close, so that they are destroyed first (found by ASan at shutdown).
  std::unique_ptr<DestinationPolicy> destination_policy_;
  std::unique_ptr<DestinationShaper> shaper_;
  // One router per delivery mode in use, shared by the deliverers and PreviewEmail.
  absl::Mutex routers_mu_;
  std::map<config::v1::Delivery::Mode, std::unique_ptr<Router>> routers_;
  // The deliverer of each mode in use; deliverer_ picks among them by sending domain.
  std::vector<std::unique_ptr<Deliverer>> deliverers_;
  std::unique_ptr<Deliverer> deliverer_;
  std::unique_ptr<grpc::Server> server_;
  // Plaintext, grpc.health.v1 only (health_listen_address); null when off.
  std::unique_ptr<grpc::Server> health_server_;
  int health_port_ = 0;
  int port_ = 0;

  absl::Notification stopping_;
  std::thread health_thread_;
  std::vector<std::thread> workers_;
  absl::Mutex workers_mu_;
  int workers_running_ ABSL_GUARDED_BY(workers_mu_) = 0;
  // Services whose health follows Redis (besides the overall "").
  std::vector<std::string> health_services_;
  bool serving_ = false;  // only the health thread writes it after Start
};

}  // namespace kirim

#endif  // KIRIM_SERVER_KIRIMD_APP_H_
