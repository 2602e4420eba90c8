// Deliverer: hands one built message to the next hop and reports, per recipient, what the
// remote side answered. The worker decides states from that report; a Deliverer never
// touches the queue. Implementations: SmtpDeliverer (over SMTP, along a Router: a relay or the
// recipients' MX hosts) and SandboxDeliverer (.eml files, for development).
//
//   DeliveryReport r = deliverer.Deliver(envelope, mime_bytes, message_id);
//   for (const RecipientOutcome& o : r.recipients) { o.result; o.reply; }
#ifndef KIRIM_SERVER_DELIVERY_DELIVERER_H_
#define KIRIM_SERVER_DELIVERY_DELIVERER_H_

#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "server/smtp/reply.h"
#include "server/smtp/smtp_client.h"

namespace kirim {

struct RecipientOutcome {
  std::string address;
  // The reply that decided this recipient (its RCPT reply if that refused it, else the reply
  // to the message data, else the reply or local error that ended the session).
  smtp::Reply reply;
  smtp::ReplyClass result = smtp::ReplyClass::kTransient;
};

struct DeliveryReport {
  // Who was contacted: "host:port", or "sandbox".
  std::string remote;
  // One per envelope recipient, in envelope order.
  std::vector<RecipientOutcome> recipients;
  // The reply that ended the attempt (DATA's final reply, or the one that failed the session).
  smtp::Reply reply;
  // The phase that failed ("" on success), and a local error (timeout, refused, TLS) if any.
  std::string failed_phase;
  std::string error;
  // When set, the next hop was busy (per-destination shaping) and has room again after this
  // long: sooner than the retry policy's backoff, and not the destination's fault.
  absl::Duration retry_after = absl::ZeroDuration();
};

class Deliverer {
 public:
  virtual ~Deliverer() = default;
  // `content` is the complete RFC 5322 message with CRLF line ends (not dot-stuffed).
  virtual DeliveryReport Deliver(const smtp::Envelope& envelope, absl::string_view content,
                                 absl::string_view message_id) = 0;
  // How the route looks, for logs and PreviewEmail, e.g. "relay smtp.example.com:587 starttls".
  virtual std::string Describe() const = 0;
};

// Fills a DeliveryReport from an SMTP transaction: the single mapping from SMTP replies to
// per-recipient outcomes (shared by every SMTP-speaking deliverer).
DeliveryReport ReportFromTransaction(const smtp::Envelope& envelope,
                                     const smtp::TransactionResult& result, std::string remote);

}  // namespace kirim

#endif  // KIRIM_SERVER_DELIVERY_DELIVERER_H_
