// The flags that describe a message, shared by `send`, `preview`, `batch` and `templates
// create`: sender and recipients, subject and bodies (inline or from files), attachments,
// priority, tags, idempotency key and send_at. Each helper reads the flags and turns them into
// the request's fields; errors are InvalidArgument naming the flag (a usage error).
//
//   absl::StatusOr<v1::SendEmailRequest> req = SendRequestFromFlags(absl::Now());
//   absl::StatusOr<std::string> text = TextBodyFromFlags();   // --text or --text_file
#ifndef KIRIM_CLIENT_CTL_MESSAGE_FLAGS_H_
#define KIRIM_CLIENT_CTL_MESSAGE_FLAGS_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/flags/declare.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "google/protobuf/repeated_ptr_field.h"
#include "kirim/v1/mail_service.pb.h"
#include "kirim/v1/message.pb.h"

ABSL_DECLARE_FLAG(std::string, from);
ABSL_DECLARE_FLAG(std::vector<std::string>, tags);
ABSL_DECLARE_FLAG(std::string, idempotency_key);

namespace kirim::ctl {

// The flags of send and preview, for Command::flags.
const std::vector<std::string>& SendFlagNames();

// --subject.
std::string SubjectFromFlags();
// --text, or the content of --text_file (not both).
absl::StatusOr<std::string> TextBodyFromFlags();
// --html, or the content of --html_file (not both).
absl::StatusOr<std::string> HtmlBodyFromFlags();
// One attachment per --attach path (repeatable, or a comma-separated list).
absl::StatusOr<google::protobuf::RepeatedPtrField<v1::Attachment>> AttachmentsFromFlags();
// --priority (transactional or bulk); `fallback` when not given.
absl::StatusOr<v1::Priority> PriorityFromFlags(v1::Priority fallback);
// --send_at: nullopt when not given.
absl::StatusOr<std::optional<absl::Time>> SendAtFromFlags(absl::Time now);

// "+<duration>" (from `now`, e.g. +90m) or an RFC 3339 time ("2026-03-01T09:00:00+07:00").
absl::StatusOr<absl::Time> ParseSendAt(absl::string_view text, absl::Time now);

// The SendEmailRequest every send/preview flag describes.
absl::StatusOr<v1::SendEmailRequest> SendRequestFromFlags(absl::Time now);

}  // namespace kirim::ctl

#endif  // KIRIM_CLIENT_CTL_MESSAGE_FLAGS_H_
