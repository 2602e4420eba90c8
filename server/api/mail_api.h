// MailApi: the MailService operations, free of gRPC so they can be tested with fakes of the
// queue, clock and randomness. The gRPC adapter (mail_service.h) only authenticates, calls
// these, and maps the Status.
//
//   MailApi api(queue, limiter, limits, clock, random, logger, options);
//   absl::StatusOr<v1::SendEmailResponse> r = api.SendEmail(principal, request);
#ifndef KIRIM_SERVER_API_MAIL_API_H_
#define KIRIM_SERVER_API_MAIL_API_H_

#include <string>

#include "absl/status/statusor.h"
#include "kirim/v1/mail_service.pb.h"
#include "server/api/limits_table.h"
#include "server/api/send_validator.h"
#include "server/auth/authenticator.h"
#include "server/common/clock.h"
#include "server/common/logger.h"
#include "server/common/random.h"
#include "server/limits/send_limiter.h"
#include "server/queue/message_queue.h"

namespace kirim {

struct MailApiOptions {
  SendLimits limits;
  // Domain for Message-ID when the From domain is an address literal.
  std::string hostname = "localhost";
};

class MailApi {
 public:
  MailApi(MessageQueue& queue, SendLimiter& limiter, const LimitsTable& limits,
          const Clock& clock, Random& random, Logger& logger, MailApiOptions options);

  // Validates, charges the tenant's rate and daily quota (one unit per envelope recipient),
  // then stores and queues in one atomic step; the answer comes only after Redis has the
  // message. INVALID_ARGUMENT (with BadRequest) stores and charges nothing; RESOURCE_EXHAUSTED
  // (QuotaFailure + RetryInfo) when over a limit; UNAVAILABLE when Redis cannot be reached
  // (nothing stored, the charge refunded; safe to retry).
  absl::StatusOr<v1::SendEmailResponse> SendEmail(const Principal& caller,
                                                  const v1::SendEmailRequest& request);

  // NOT_FOUND for an unknown id and for another tenant's id alike (no existence leak).
  absl::StatusOr<v1::Message> GetMessage(const Principal& caller,
                                         const v1::GetMessageRequest& request);

 private:
  MessageQueue& queue_;
  SendLimiter& limiter_;
  const LimitsTable& limits_;
  const Clock& clock_;
  Random& random_;
  Logger& logger_;
  const MailApiOptions options_;
};

}  // namespace kirim

#endif  // KIRIM_SERVER_API_MAIL_API_H_
