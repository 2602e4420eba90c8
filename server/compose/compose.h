// Compose: turns a stored, already validated request into the exact RFC 5322 bytes to send.
// Date and Message-ID come from the stored record, so every retry of a message carries the same
// identity headers.
//
//   absl::StatusOr<std::string> bytes = ComposeMessage(record, random);
#ifndef KIRIM_SERVER_COMPOSE_COMPOSE_H_
#define KIRIM_SERVER_COMPOSE_COMPOSE_H_

#include <string>

#include "absl/status/statusor.h"
#include "kirim/storage/v1/storage.pb.h"
#include "server/common/random.h"
#include "server/mime/mime_builder.h"

namespace kirim {

// The MIME builder's input for a stored message.
absl::StatusOr<MimeInput> MimeInputFor(const storage::v1::StoredMessage& record);

// The complete message (CRLF line ends, not dot-stuffed).
absl::StatusOr<std::string> ComposeMessage(const storage::v1::StoredMessage& record, Random& random);

}  // namespace kirim

#endif  // KIRIM_SERVER_COMPOSE_COMPOSE_H_
