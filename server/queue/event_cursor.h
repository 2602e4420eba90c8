// Event cursors: where a reader of the per-shard event streams stands, as one opaque string.
//
// A queue with N shards keeps one Redis stream of events per tenant per shard; a reader's
// position is the id of the last entry it consumed in each shard's stream. The cursor is the
// unpadded base64url of "0:<ms>-<seq>,1:<ms>-<seq>,...": every shard once, so resuming from it
// yields every later event of every shard exactly once. Clients must treat it as opaque.
//
//   EventPositions p = {StreamId{1767323045000, 0}, StreamId{}};   // shards 0 and 1
//   std::string cursor = EncodeEventCursor(p);
//   absl::StatusOr<EventPositions> back = DecodeEventCursor(cursor, /*shards=*/2);
#ifndef KIRIM_SERVER_QUEUE_EVENT_CURSOR_H_
#define KIRIM_SERVER_QUEUE_EVENT_CURSOR_H_

#include <cstdint>
#include <string>
#include <tuple>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace kirim {

// A Redis stream entry id, "<ms>-<seq>". {0, 0} is before every entry.
struct StreamId {
  uint64_t ms = 0;
  uint64_t seq = 0;

  std::string ToString() const;
  // Parses "<ms>-<seq>"; InvalidArgument otherwise.
  static absl::StatusOr<StreamId> Parse(absl::string_view text);

  friend bool operator<(const StreamId& a, const StreamId& b) {
    return std::tie(a.ms, a.seq) < std::tie(b.ms, b.seq);
  }
  friend bool operator==(const StreamId& a, const StreamId& b) {
    return a.ms == b.ms && a.seq == b.seq;
  }
};

// Index = shard.
using EventPositions = std::vector<StreamId>;

std::string EncodeEventCursor(const EventPositions& positions);

// InvalidArgument (the message starts with "cursor: ") unless `cursor` came from
// EncodeEventCursor with exactly `shards` positions.
absl::StatusOr<EventPositions> DecodeEventCursor(absl::string_view cursor, int shards);

}  // namespace kirim

#endif  // KIRIM_SERVER_QUEUE_EVENT_CURSOR_H_
