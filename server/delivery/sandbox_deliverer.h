// SandboxDeliverer: "delivers" by writing each message as <dir>/<message id>.eml (the exact
// bytes an SMTP server would receive, before dot-stuffing) plus <id>.envelope.json with MAIL
// FROM and RCPT TO. The file appears atomically (written to a temp name, fsynced, renamed), so
// a reader never sees half a message. The default of the run command: mail "arrives" at once
// without any SMTP server.
#ifndef KIRIM_SERVER_DELIVERY_SANDBOX_DELIVERER_H_
#define KIRIM_SERVER_DELIVERY_SANDBOX_DELIVERER_H_

#include <string>

#include "server/delivery/deliverer.h"

namespace kirim {

class SandboxDeliverer final : public Deliverer {
 public:
  explicit SandboxDeliverer(std::string dir) : dir_(std::move(dir)) {}
  DeliveryReport Deliver(const smtp::Envelope& envelope, absl::string_view content,
                         absl::string_view message_id) override;
  std::string Describe() const override { return "sandbox " + dir_; }

 private:
  const std::string dir_;
};

}  // namespace kirim

#endif  // KIRIM_SERVER_DELIVERY_SANDBOX_DELIVERER_H_
