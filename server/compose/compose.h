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
#include "server/unsubscribe/list_unsubscribe.h"
#include "server/unsubscribe/unsubscribe_token.h"

namespace kirim {

// One-click unsubscribe (RFC 8058, RFC 2369) for bulk mail, when configured: a bulk message
// with exactly one envelope recipient, whose request sets no List-Unsubscribe of its own, gets
// List-Unsubscribe (an https URL with a signed, expiring token for that recipient, and a
// mailto) and List-Unsubscribe-Post. DKIM signs both (server/dkim/dkim_signer.h).
struct UnsubscribeHeaders {
  const UnsubscribeSigner* signer = nullptr;
  ListUnsubscribeOptions options;
};

// The MIME builder's input for a stored message; with `unsubscribe` (may be null) the headers
// above, with tokens issued at `now`.
absl::StatusOr<MimeInput> MimeInputFor(const storage::v1::StoredMessage& record,
                                       const UnsubscribeHeaders* unsubscribe = nullptr,
                                       absl::Time now = absl::InfinitePast());

// The complete message (CRLF line ends, not dot-stuffed).
absl::StatusOr<std::string> ComposeMessage(const storage::v1::StoredMessage& record, Random& random,
                                           const UnsubscribeHeaders* unsubscribe = nullptr,
                                           absl::Time now = absl::InfinitePast());

}  // namespace kirim

#endif  // KIRIM_SERVER_COMPOSE_COMPOSE_H_
