// SmtpDeliverer: delivers one message over SMTP along the routes a Router gives. Recipients
// are grouped by route key so one transaction carries all of a destination's recipients; for
// each group the targets are tried in order, moving to the next one when a target cannot be
// reached or answers the session (greeting, EHLO, STARTTLS) transiently (RFC 5321 §5.1: "try
// the next MX"). A transaction's own replies (RCPT, DATA) are final for that attempt.
//
// Routing failures become synthetic replies so every recipient gets a clear, RFC 3463-coded
// result: null MX → 556 5.1.10 (RFC 7505), no such domain → 550 5.1.2, DNS failure →
// 451 4.4.3 (retried).
//
//   SmtpDeliverer deliverer(connector, router, options);
//   DeliveryReport report = deliverer.Deliver(envelope, content, id);
#ifndef KIRIM_SERVER_DELIVERY_SMTP_DELIVERER_H_
#define KIRIM_SERVER_DELIVERY_SMTP_DELIVERER_H_

#include <string>

#include "server/delivery/deliverer.h"
#include "server/delivery/router.h"
#include "server/delivery/session_pool.h"
#include "server/smtp/transport.h"

namespace kirim {

struct SmtpDeliveryOptions {
  absl::Duration connect_timeout = absl::Seconds(30);
  // Session reuse (connect_timeout above is used for new sessions).
  SessionPoolOptions pool;
  // EHLO name, TLS verification, credentials and per-phase timeouts. The TLS mode and server
  // name come from each Target.
  smtp::ClientOptions client;
};

class SmtpDeliverer final : public Deliverer {
 public:
  // `shaper` (may be null): per-destination limits shared by every worker process.
  SmtpDeliverer(smtp::Connector& connector, Router& router, const Clock& clock,
                SmtpDeliveryOptions options, DestinationShaper* shaper = nullptr,
                const DestinationPolicy* policy = nullptr);

  DeliveryReport Deliver(const smtp::Envelope& envelope, absl::string_view content,
                         absl::string_view message_id) override;
  std::string Describe() const override { return router_.Describe(); }

 private:
  // Delivers to one group (recipients with the same route key).
  DeliveryReport DeliverGroup(const smtp::Envelope& envelope, absl::string_view content,
                              const std::string& domain);

  Router& router_;
  const SmtpDeliveryOptions options_;
  SessionPool pool_;
};

// The domain of an addr-spec (after the last '@'), lower-cased.
std::string DomainOf(absl::string_view address);

}  // namespace kirim

#endif  // KIRIM_SERVER_DELIVERY_SMTP_DELIVERER_H_
