#include "server/queue/event_cursor.h"

#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"

namespace kirim {
namespace {

absl::Status NotACursor() {
  return absl::InvalidArgumentError(
      "cursor: not a cursor of this event stream (pass back an Event.cursor unchanged, or empty to "
      "start from now)");
}

}  // namespace

std::string StreamId::ToString() const { return absl::StrCat(ms, "-", seq); }

absl::StatusOr<StreamId> StreamId::Parse(absl::string_view text) {
  std::pair<absl::string_view, absl::string_view> parts =
      absl::StrSplit(text, absl::MaxSplits('-', 1));
  StreamId id;
  if (parts.first.empty() || parts.second.empty() || !absl::SimpleAtoi(parts.first, &id.ms) ||
      !absl::SimpleAtoi(parts.second, &id.seq) || parts.first[0] == '+' || parts.second[0] == '+') {
    return absl::InvalidArgumentError(absl::StrCat("not a stream id: \"", text, "\""));
  }
  return id;
}

std::string EncodeEventCursor(const EventPositions& positions) {
  std::vector<std::string> parts;
  parts.reserve(positions.size());
  for (size_t s = 0; s < positions.size(); ++s)
    parts.push_back(absl::StrCat(s, ":", positions[s].ToString()));
  return absl::WebSafeBase64Escape(absl::StrJoin(parts, ","));
}

absl::StatusOr<EventPositions> DecodeEventCursor(absl::string_view cursor, int shards) {
  std::string plain;
  if (cursor.size() > 64 * 1024 || !absl::WebSafeBase64Unescape(cursor, &plain))
    return NotACursor();
  EventPositions positions(static_cast<size_t>(shards));
  std::vector<bool> seen(static_cast<size_t>(shards), false);
  int count = 0;
  for (absl::string_view part : absl::StrSplit(plain, ',')) {
    std::pair<absl::string_view, absl::string_view> kv =
        absl::StrSplit(part, absl::MaxSplits(':', 1));
    int shard;
    if (!absl::SimpleAtoi(kv.first, &shard) || shard < 0 || shard >= shards || seen[shard]) {
      return NotACursor();
    }
    absl::StatusOr<StreamId> id = StreamId::Parse(kv.second);
    if (!id.ok()) return NotACursor();
    positions[shard] = *id;
    seen[shard] = true;
    ++count;
  }
  if (count != shards) return NotACursor();
  return positions;
}

}  // namespace kirim
