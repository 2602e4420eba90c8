// Message ids: 26-character, time-ordered, Crockford base32 (the ULID layout): 48 bits of
// Unix milliseconds then 80 random bits. Sorting ids sorts messages by acceptance time, and an
// id is safe in Redis keys, URLs and file names.
//
// The last 10 bits (the id's last two characters) are the id's *shard selector*: the queue puts
// a message on shard `selector % shards`, so a message's shard is a pure function of its id.
// They are random unless the caller picks them: an idempotent send picks the selector of its
// (tenant, idempotency key), so the key's record and the message share one Redis slot.
//
//   std::string id = NewMessageId(clock, random);        // "01KB5Z3Q8R..."
//   std::string pinned = NewMessageId(clock, random, ShardSelectorForKey("acme", "order-42"));
//   ShardSelectorOf(pinned) == ShardSelectorForKey("acme", "order-42");   // true
//   auto parsed = ParseMessageName("messages/01KB5Z...");  // -> the bare id
#ifndef KIRIM_SERVER_QUEUE_MESSAGE_ID_H_
#define KIRIM_SERVER_QUEUE_MESSAGE_ID_H_

#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "server/common/clock.h"
#include "server/common/random.h"

namespace kirim {

// Shard selectors are 0..kShardSelectors-1 (10 bits); shard counts must not exceed it.
inline constexpr int kShardSelectors = 1024;

// A new id; its last 10 bits are `shard_selector` (taken modulo kShardSelectors) when given.
std::string NewMessageId(const Clock& clock, Random& random,
                         std::optional<int> shard_selector = std::nullopt);

bool IsValidMessageId(absl::string_view id);

// The shard selector of `id`: its last 10 bits for a valid id, a fixed hash of the string for
// anything else (test ids, say). Every process computes the same value.
int ShardSelectorOf(absl::string_view id);

// The selector an idempotent message of `tenant` with `idempotency_key` gets (a fixed hash).
int ShardSelectorForKey(absl::string_view tenant, absl::string_view idempotency_key);

// Accepts "messages/{id}" or a bare id; InvalidArgument otherwise.
absl::StatusOr<std::string> ParseMessageName(absl::string_view name);

inline std::string MessageName(absl::string_view id) { return "messages/" + std::string(id); }

}  // namespace kirim

#endif  // KIRIM_SERVER_QUEUE_MESSAGE_ID_H_
