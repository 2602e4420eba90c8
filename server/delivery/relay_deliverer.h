// RelayDeliverer: delivers through one configured smarthost (RFC 6409 submission): connect,
// implicit TLS (RFC 8314) or STARTTLS (RFC 3207) with certificate verification, AUTH, one
// transaction, QUIT. One session per message for now; pooling comes with the delivery engine.
#ifndef KIRIM_SERVER_DELIVERY_RELAY_DELIVERER_H_
#define KIRIM_SERVER_DELIVERY_RELAY_DELIVERER_H_

#include <string>

#include "server/delivery/deliverer.h"
#include "server/smtp/transport.h"

namespace kirim {

struct RelayOptions {
  std::string host;
  int port = 587;
  // kStartTlsRequired (587), kImplicit (465) or kNone (loopback test peers only).
  smtp::TlsMode tls = smtp::TlsMode::kStartTlsRequired;
  absl::Duration connect_timeout = absl::Seconds(30);
  // EHLO name, TLS verification, credentials and per-phase timeouts.
  smtp::ClientOptions client;
};

class RelayDeliverer final : public Deliverer {
 public:
  RelayDeliverer(smtp::Connector& connector, RelayOptions options)
      : connector_(connector), options_(std::move(options)) {}
  DeliveryReport Deliver(const smtp::Envelope& envelope, absl::string_view content,
                         absl::string_view message_id) override;
  std::string Describe() const override;

 private:
  smtp::Connector& connector_;
  const RelayOptions options_;
};

}  // namespace kirim

#endif  // KIRIM_SERVER_DELIVERY_RELAY_DELIVERER_H_
