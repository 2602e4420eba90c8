// Router: where mail for a recipient domain goes next. RelayRouter sends everything to one
// smarthost; MxRouter looks up the domain's MX hosts (RFC 5321 §5.1: preference order, equal
// preferences shuffled, A/AAAA fallback, RFC 7505 null MX) and their addresses through the
// configured DNS resolver. Recipients that share a route key travel in one SMTP transaction.
//
//   absl::StatusOr<std::vector<Target>> targets = router.Route("example.net");
//   for (const Target& t : *targets) { ... connect to t.address:t.port, TLS name t.host ... }
#ifndef KIRIM_SERVER_DELIVERY_ROUTER_H_
#define KIRIM_SERVER_DELIVERY_ROUTER_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "server/common/random.h"
#include "server/dns/resolver.h"
#include "server/smtp/smtp_client.h"

namespace kirim {

// One host to try, in order.
struct Target {
  // The host's name: the TLS server name and what logs and attempts show.
  std::string host;
  // What to connect to: an IP address (MX) or a name the system resolves (relay).
  std::string address;
  int port = 25;
  smtp::TlsMode tls = smtp::TlsMode::kStartTlsOpportunistic;
  // The name the certificate must carry when it is not `host` (a relay reached by address).
  std::string tls_server_name;
};

class Router {
 public:
  virtual ~Router() = default;
  // Recipients whose domains have the same key share one transaction ("" for a relay: all).
  virtual std::string RouteKey(const std::string& domain) const = 0;
  // The hosts to try for `domain`, best first. FailedPrecondition: the domain accepts no mail
  // (null MX) — permanent; NotFound: no such domain — permanent; Unavailable: DNS failed — retry.
  virtual absl::StatusOr<std::vector<Target>> Route(const std::string& domain) = 0;
  // For logs and PreviewEmail, e.g. "relay smtp.example.com:587 starttls" or "mx port 25".
  virtual std::string Describe() const = 0;
};

class RelayRouter final : public Router {
 public:
  explicit RelayRouter(Target relay) : relay_(std::move(relay)) {}
  std::string RouteKey(const std::string&) const override { return ""; }
  absl::StatusOr<std::vector<Target>> Route(const std::string&) override { return {{relay_}}; }
  std::string Describe() const override;

 private:
  const Target relay_;
};

struct MxRouterOptions {
  // Port 25 in production; tests point it at a local server.
  int port = 25;
  // Opportunistic STARTTLS (RFC 3207, RFC 7435): encrypt when offered, deliver anyway if not.
  smtp::TlsMode tls = smtp::TlsMode::kStartTlsOpportunistic;
  // Addresses tried per MX host (a host with many A records gets no more than this).
  int max_addresses_per_host = 2;
};

class MxRouter final : public Router {
 public:
  MxRouter(dns::Resolver& resolver, Random& random, MxRouterOptions options)
      : resolver_(resolver), random_(random), options_(options) {}
  std::string RouteKey(const std::string& domain) const override { return domain; }
  absl::StatusOr<std::vector<Target>> Route(const std::string& domain) override;
  std::string Describe() const override;

 private:
  dns::Resolver& resolver_;
  Random& random_;
  const MxRouterOptions options_;
};

}  // namespace kirim

#endif  // KIRIM_SERVER_DELIVERY_ROUTER_H_
