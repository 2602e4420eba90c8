#include "server/delivery/deliverer.h"

namespace kirim {

DeliveryReport ReportFromTransaction(const smtp::Envelope& envelope,
                                     const smtp::TransactionResult& result, std::string remote) {
  DeliveryReport report;
  report.remote = std::move(remote);
  report.failed_phase = result.failed_phase;
  if (!result.local_error.ok()) report.error = std::string(result.local_error.message());
  report.reply = result.data_reply.code != 0 ? result.data_reply : result.failed_reply;

  const smtp::ReplyClass session_class = result.Classify();
  for (size_t i = 0; i < envelope.rcpt_to.size(); ++i) {
    RecipientOutcome o;
    o.address = envelope.rcpt_to[i];
    const smtp::Reply* rcpt = i < result.rcpt_replies.size() ? &result.rcpt_replies[i] : nullptr;
    if (rcpt != nullptr && rcpt->code != 0 && smtp::Classify(*rcpt) != smtp::ReplyClass::kPositive) {
      // Refused at RCPT: that reply decides, whatever happened to the others.
      o.reply = *rcpt;
      o.result = smtp::Classify(*rcpt);
    } else if (result.data_reply.code != 0) {
      o.reply = result.data_reply;
      o.result = smtp::Classify(result.data_reply);
    } else {
      // The session ended before the data was answered: the failing reply (or local error)
      // decides for everyone still waiting.
      o.reply = result.failed_reply;
      o.result = session_class == smtp::ReplyClass::kPositive ? smtp::ReplyClass::kTransient
                                                                : session_class;
    }
    report.recipients.push_back(std::move(o));
  }
  return report;
}

}  // namespace kirim
