#include "server/compose/compose.h"

#include <algorithm>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "server/common/proto_time.h"
#include "server/common/status_macros.h"

namespace kirim {
namespace {

absl::StatusOr<std::vector<Mailbox>> ParseAll(
    const google::protobuf::RepeatedPtrField<std::string>& list) {
  std::vector<Mailbox> out;
  for (const std::string& s : list) {
    KIRIM_ASSIGN_OR_RETURN(Mailbox m, ParseMailbox(s));
    out.push_back(std::move(m));
  }
  return out;
}

}  // namespace

absl::StatusOr<MimeInput> MimeInputFor(const storage::v1::StoredMessage& record,
                                       const UnsubscribeHeaders* unsubscribe, absl::Time now) {
  const v1::SendEmailRequest& req = record.request();
  MimeInput in;
  KIRIM_ASSIGN_OR_RETURN(in.from, ParseMailbox(req.from()));
  KIRIM_ASSIGN_OR_RETURN(in.reply_to, ParseAll(req.reply_to()));
  KIRIM_ASSIGN_OR_RETURN(in.to, ParseAll(req.to()));
  KIRIM_ASSIGN_OR_RETURN(in.cc, ParseAll(req.cc()));
  in.subject = req.subject();
  in.text_body = req.text_body();
  in.html_body = req.html_body();
  for (const auto& a : req.attachments()) {
    in.attachments.push_back({a.filename(), a.content_type(), a.content(), a.content_id()});
  }
  // A map has no order; sort so the same request always builds the same bytes.
  std::vector<std::pair<std::string, std::string>> headers(req.headers().begin(), req.headers().end());
  std::sort(headers.begin(), headers.end());
  const bool own_list_unsubscribe =
      std::any_of(headers.begin(), headers.end(), [](const auto& h) {
        return absl::EqualsIgnoreCase(h.first, "List-Unsubscribe");
      });
  if (unsubscribe != nullptr && unsubscribe->signer != nullptr &&
      record.message().priority() == v1::BULK && record.envelope_recipients_size() == 1 &&
      !own_list_unsubscribe) {
    for (auto& h : ListUnsubscribeHeaders(*unsubscribe->signer, unsubscribe->options,
                                          record.tenant(), record.envelope_recipients(0), now)) {
      headers.push_back(std::move(h));
    }
  }
  in.headers = std::move(headers);
  in.message_id = record.message().message_id_header();
  in.date = FromProtoTime(record.message().create_time());
  return in;
}

absl::StatusOr<std::string> ComposeMessage(const storage::v1::StoredMessage& record, Random& random,
                                           const UnsubscribeHeaders* unsubscribe, absl::Time now) {
  KIRIM_ASSIGN_OR_RETURN(MimeInput in, MimeInputFor(record, unsubscribe, now));
  return BuildMessage(in, random);
}

}  // namespace kirim
