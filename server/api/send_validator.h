// Validation of SendEmailRequest: everything a caller can get wrong is found here, before
// anything is stored, and reported as INVALID_ARGUMENT with a google.rpc.BadRequest naming
// every bad field ("to[2]", "headers.X-Campaign", ...).
//
// What is checked: addresses per RFC 5322 §3.4 (mailboxes) and RFC 5321 §4.1.2 (envelope
// addr-specs); no CR, LF or NUL in any header name or value (header injection); header names
// per RFC 5322 §3.6.8 and not one of those Kirim writes itself; at least one recipient and one
// body; counts and an estimated built size within the configured limits.
//
//   auto v = ValidateSendEmail(request, limits, clock.Now());
//   if (!v.ok()) return v.status();   // already carries BadRequest details
//   queue.Enqueue(MakeRecord(...v->envelope_recipients...));
#ifndef KIRIM_SERVER_API_SEND_VALIDATOR_H_
#define KIRIM_SERVER_API_SEND_VALIDATOR_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "kirim/v1/mail_service.pb.h"
#include "server/address/address.h"

namespace kirim {

// The longest idempotency_key SendEmail accepts.
inline constexpr size_t kMaxIdempotencyKeyBytes = 256;

struct SendLimits {
  // Largest estimated message size (bodies, headers, attachments after base64).
  int64_t max_message_bytes = 25 * 1024 * 1024;
  // Envelope recipients (to + cc + bcc).
  int max_recipients = 100;
  int max_headers = 50;
  int max_attachments = 20;
  // One attachment's raw size.
  int64_t max_attachment_bytes = 10 * 1024 * 1024;
  // How far ahead send_at may be.
  absl::Duration max_schedule_ahead = absl::Hours(24 * 30);
};

struct ValidatedSend {
  Mailbox from;
  // RFC 5321 MAIL FROM: envelope_from if given, else from's address.
  std::string envelope_from;
  // RCPT TO addresses: to, cc, bcc in that order, duplicates removed (domain compared without
  // case, local part exactly: RFC 5321 §2.4).
  std::vector<std::string> envelope_recipients;
  // Set when send_at is in the future.
  std::optional<absl::Time> send_at;
  // The estimated size of the built message.
  int64_t estimated_bytes = 0;
};

absl::StatusOr<ValidatedSend> ValidateSendEmail(const v1::SendEmailRequest& request,
                                                const SendLimits& limits, absl::Time now);

}  // namespace kirim

#endif  // KIRIM_SERVER_API_SEND_VALIDATOR_H_
