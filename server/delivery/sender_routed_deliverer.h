// SenderRoutedDeliverer: picks the route by the message's sending domain (the envelope sender's
// domain), so one Kirim can send one domain's mail through a relay and another's directly to
// MX hosts (delivery.sender_routes); every other domain takes the default route.
//
//   SenderRoutedDeliverer d({{"billing.example.com", &relay}}, &direct);
//   d.Deliver(envelope, content, id);   // relay for billing.example.com senders, else direct
#ifndef KIRIM_SERVER_DELIVERY_SENDER_ROUTED_DELIVERER_H_
#define KIRIM_SERVER_DELIVERY_SENDER_ROUTED_DELIVERER_H_

#include <map>
#include <string>

#include "server/delivery/deliverer.h"
#include "server/delivery/smtp_deliverer.h"

namespace kirim {

class SenderRoutedDeliverer final : public Deliverer {
 public:
  // `routes`: lower-case sending domain -> deliverer; `fallback` for every other domain. The
  // deliverers are not owned.
  SenderRoutedDeliverer(std::map<std::string, Deliverer*> routes, Deliverer* fallback)
      : routes_(std::move(routes)), fallback_(fallback) {}

  DeliveryReport Deliver(const smtp::Envelope& envelope, absl::string_view content,
                         absl::string_view message_id) override {
    return For(envelope.mail_from).Deliver(envelope, content, message_id);
  }
  std::string Describe() const override;

  // The deliverer for a message from `sender`.
  Deliverer& For(absl::string_view sender) const {
    auto it = routes_.find(DomainOf(sender));
    return it == routes_.end() ? *fallback_ : *it->second;
  }

 private:
  const std::map<std::string, Deliverer*> routes_;
  Deliverer* const fallback_;
};

}  // namespace kirim

#endif  // KIRIM_SERVER_DELIVERY_SENDER_ROUTED_DELIVERER_H_
