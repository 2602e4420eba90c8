// Files attached with `--attach PATH`: the name the recipient sees is the file's base name and
// the MIME type is guessed from its extension with a small table, application/octet-stream
// otherwise (Kirim's own default, proto/kirim/v1/message.proto Attachment).
//
//   absl::StatusOr<v1::Attachment> a = AttachmentFromFile("/tmp/invoice-42.pdf");
//   // a->filename() == "invoice-42.pdf", a->content_type() == "application/pdf"
#ifndef KIRIM_CLIENT_CTL_ATTACHMENTS_H_
#define KIRIM_CLIENT_CTL_ATTACHMENTS_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "kirim/v1/message.pb.h"

namespace kirim::ctl {

// The MIME type for `filename` by its extension (case-insensitive).
std::string GuessContentType(absl::string_view filename);

// The file at `path` as an attachment. InvalidArgument naming the path when it cannot be read
// or is not a regular file's name (ends with '/').
absl::StatusOr<v1::Attachment> AttachmentFromFile(const std::string& path);

}  // namespace kirim::ctl

#endif  // KIRIM_CLIENT_CTL_ATTACHMENTS_H_
