// Message ids: 26-character, time-ordered, Crockford base32 (the ULID layout): 48 bits of
// Unix milliseconds then 80 random bits. Sorting ids sorts messages by acceptance time, and an
// id is safe in Redis keys, URLs and file names.
//
//   std::string id = NewMessageId(clock, random);        // "01KB5Z3Q8R..."
//   auto parsed = ParseMessageName("messages/01KB5Z...");  // -> the bare id
#ifndef KIRIM_SERVER_QUEUE_MESSAGE_ID_H_
#define KIRIM_SERVER_QUEUE_MESSAGE_ID_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "server/common/clock.h"
#include "server/common/random.h"

namespace kirim {

std::string NewMessageId(const Clock& clock, Random& random);

bool IsValidMessageId(absl::string_view id);

// Accepts "messages/{id}" or a bare id; InvalidArgument otherwise.
absl::StatusOr<std::string> ParseMessageName(absl::string_view name);

inline std::string MessageName(absl::string_view id) { return "messages/" + std::string(id); }

}  // namespace kirim

#endif  // KIRIM_SERVER_QUEUE_MESSAGE_ID_H_
