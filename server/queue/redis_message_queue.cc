#include "server/queue/redis_message_queue.h"

#include "absl/hash/hash.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "server/common/status_macros.h"

namespace kirim {
namespace {

using redis::RedisValue;

constexpr char kGroup[] = "workers";

// KEYS: message, ready stream, scheduled zset. ARGV: record, ref, lane tag, due ms ("" = now).
constexpr char kEnqueueScript[] = R"lua(
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('HSET', KEYS[1], 'r', ARGV[1])
if ARGV[4] ~= '' then
  redis.call('ZADD', KEYS[3], ARGV[4], ARGV[3] .. '|' .. ARGV[2])
else
  redis.call('XADD', KEYS[2], '*', 'ref', ARGV[2])
end
return 1
)lua";

// KEYS: ready streams in priority order. ARGV: group, consumer, min idle ms, count, message key
// prefix, then one lane tag per key. Returns rows {lane, entry id, ref, record or false}:
// reclaimed (expired) leases first, then new entries, earlier keys first.
constexpr char kTakeScript[] = R"lua(
local out = {}
local function fetch(lane, entries)
  for _, e in ipairs(entries) do
    local ref = nil
    local f = e[2]
    if f then
      for i = 1, #f, 2 do if f[i] == 'ref' then ref = f[i + 1] end end
    end
    if ref then
      local sep = string.find(ref, '|', 1, true)
      local key = ARGV[5] .. string.sub(ref, 1, sep - 1) .. ':m:' .. string.sub(ref, sep + 1)
      local rec = redis.call('HGET', key, 'r')
      table.insert(out, {lane, e[1], ref, rec})
    end
  end
end
local want = tonumber(ARGV[4])
for i, stream in ipairs(KEYS) do
  local lane = ARGV[5 + i]
  if #out < want then
    local c = redis.call('XAUTOCLAIM', stream, ARGV[1], ARGV[2], ARGV[3], '0-0', 'COUNT', want - #out)
    fetch(lane, c[2])
  end
  if #out < want then
    local r = redis.call('XREADGROUP', 'GROUP', ARGV[1], ARGV[2], 'COUNT', want - #out, 'STREAMS', stream, '>')
    if r then fetch(lane, r[1][2]) end
  end
end
return out
)lua";

// KEYS: message, ready stream. ARGV: record, entry id, group, retention seconds ("0" = keep).
constexpr char kCompleteScript[] = R"lua(
redis.call('HSET', KEYS[1], 'r', ARGV[1])
if ARGV[4] ~= '0' then redis.call('EXPIRE', KEYS[1], ARGV[4]) end
redis.call('XACK', KEYS[2], ARGV[3], ARGV[2])
redis.call('XDEL', KEYS[2], ARGV[2])
return 1
)lua";

// KEYS: message, ready stream, scheduled. ARGV: record, entry id, group, due ms, member.
constexpr char kDeferScript[] = R"lua(
redis.call('HSET', KEYS[1], 'r', ARGV[1])
redis.call('ZADD', KEYS[3], ARGV[4], ARGV[5])
redis.call('XACK', KEYS[2], ARGV[3], ARGV[2])
redis.call('XDEL', KEYS[2], ARGV[2])
return 1
)lua";

// KEYS: scheduled, tx stream, bulk stream. ARGV: now ms, limit.
constexpr char kPromoteScript[] = R"lua(
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, ARGV[2])
for _, m in ipairs(due) do
  local stream = (string.sub(m, 1, 1) == 't') and KEYS[2] or KEYS[3]
  redis.call('XADD', stream, '*', 'ref', string.sub(m, 3))
  redis.call('ZREM', KEYS[1], m)
end
return #due
)lua";

char LaneTag(Lane lane) { return lane == Lane::kTransactional ? 't' : 'b'; }

std::string Ref(absl::string_view tenant, absl::string_view id) {
  return absl::StrCat(tenant, "|", id);
}

std::string Millis(absl::Time t) { return std::to_string(absl::ToUnixMillis(t)); }

}  // namespace

RedisMessageQueue::RedisMessageQueue(redis::RedisClient& redis, redis::HiredisClient* blocking,
                                     RedisQueueOptions options)
    : redis_(redis), blocking_(blocking), options_(std::move(options)) {}

int RedisMessageQueue::ShardOf(absl::string_view id) const {
  if (options_.shards <= 1) return 0;
  // A fixed hash (not absl::Hash, which is salted per process): every process must agree.
  uint32_t h = 2166136261u;
  for (char c : id) h = (h ^ static_cast<unsigned char>(c)) * 16777619u;
  return static_cast<int>(h % static_cast<uint32_t>(options_.shards));
}

std::string RedisMessageQueue::ShardPrefix(int shard) const {
  return absl::StrCat(options_.key_prefix, ":{s", shard, "}:");
}

std::string RedisMessageQueue::MessageKey(absl::string_view tenant, absl::string_view id) const {
  return absl::StrCat(ShardPrefix(ShardOf(id)), "t:", tenant, ":m:", id);
}

std::string RedisMessageQueue::StreamKey(int shard, Lane lane) const {
  return absl::StrCat(ShardPrefix(shard), lane == Lane::kTransactional ? "ready:tx" : "ready:bulk");
}

std::string RedisMessageQueue::ScheduledKey(int shard) const {
  return absl::StrCat(ShardPrefix(shard), "scheduled");
}

absl::Status RedisMessageQueue::EnsureGroups() {
  for (int s = 0; s < options_.shards; ++s) {
    for (Lane lane : {Lane::kTransactional, Lane::kBulk}) {
      // Start at 0, not $: messages accepted before any worker ever ran must be delivered too.
      auto r = redis_.Command({"XGROUP", "CREATE", StreamKey(s, lane), kGroup, "0", "MKSTREAM"});
      if (!r.ok() && !absl::StrContains(r.status().message(), "BUSYGROUP")) return r.status();
    }
  }
  return absl::OkStatus();
}

absl::Status RedisMessageQueue::Enqueue(const StoredMessage& record, Lane lane,
                                        std::optional<absl::Time> not_before) {
  const std::string& id = record.message().id();
  const int shard = ShardOf(id);
  std::string due = not_before.has_value() ? Millis(*not_before) : "";
  KIRIM_ASSIGN_OR_RETURN(
      RedisValue v,
      redis_.Eval(kEnqueueScript,
                  {MessageKey(record.tenant(), id), StreamKey(shard, lane), ScheduledKey(shard)},
                  {record.SerializeAsString(), Ref(record.tenant(), id),
                   std::string(1, LaneTag(lane)), due}));
  if (v.integer != 1) return absl::AlreadyExistsError(absl::StrCat("message id taken: ", id));
  return absl::OkStatus();
}

absl::StatusOr<std::optional<StoredMessage>> RedisMessageQueue::Get(absl::string_view tenant,
                                                                    absl::string_view id) {
  KIRIM_ASSIGN_OR_RETURN(RedisValue v, redis_.Command({"HGET", MessageKey(tenant, id), "r"}));
  if (v.is_nil()) return std::optional<StoredMessage>();
  StoredMessage record;
  if (!record.ParseFromString(v.str)) {
    return absl::DataLossError(absl::StrCat("stored message ", id, " does not parse"));
  }
  return std::optional<StoredMessage>(std::move(record));
}

absl::StatusOr<std::vector<Lease>> RedisMessageQueue::ParseTaken(int shard, const RedisValue& v) {
  std::vector<Lease> leases;
  for (const RedisValue& item : v.elements) {
    if (item.elements.size() < 3) continue;
    Lease lease;
    lease.lane = item.elements[0].str == "t" ? Lane::kTransactional : Lane::kBulk;
    lease.token = item.elements[1].str;
    std::pair<std::string, std::string> ref = absl::StrSplit(item.elements[2].str, '|');
    lease.tenant = ref.first;
    lease.id = ref.second;
    const bool has_record = item.elements.size() > 3 && item.elements[3].type == RedisValue::Type::kString;
    if (!has_record || !lease.record.ParseFromString(item.elements[3].str)) {
      // The message is gone (expired or deleted) or unreadable: drop the stale entry so it
      // cannot block the queue.
      KIRIM_RETURN_IF_ERROR(redis_.Pipeline({{"XACK", StreamKey(shard, lease.lane), kGroup, lease.token},
                                             {"XDEL", StreamKey(shard, lease.lane), lease.token}})
                                .status());
      continue;
    }
    leases.push_back(std::move(lease));
  }
  return leases;
}

absl::StatusOr<std::vector<Lease>> RedisMessageQueue::TakeFrom(absl::string_view consumer,
                                                               int shard,
                                                               const std::vector<Lane>& lanes,
                                                               int max) {
  redis::Argv keys;
  redis::Argv args = {kGroup, std::string(consumer),
                      std::to_string(absl::ToInt64Milliseconds(options_.lease_timeout)),
                      std::to_string(max), ShardPrefix(shard) + "t:"};
  for (Lane lane : lanes) {
    keys.push_back(StreamKey(shard, lane));
    args.push_back(std::string(1, LaneTag(lane)));
  }
  auto v = redis_.Eval(kTakeScript, keys, args);
  if (!v.ok() && absl::StrContains(v.status().message(), "NOGROUP")) {
    KIRIM_RETURN_IF_ERROR(EnsureGroups());
    v = redis_.Eval(kTakeScript, keys, args);
  }
  if (!v.ok()) return v.status();
  return ParseTaken(shard, *v);
}

absl::StatusOr<std::vector<Lease>> RedisMessageQueue::Take(absl::string_view consumer, int max,
                                                           absl::Duration block) {
  if (options_.shards == 1) {
    // One round trip covers both lanes, transactional first.
    KIRIM_ASSIGN_OR_RETURN(std::vector<Lease> leases,
                           TakeFrom(consumer, 0, {Lane::kTransactional, Lane::kBulk}, max));
    if (!leases.empty()) return leases;
  } else {
    // Priority is global: every shard's transactional lane before any bulk lane.
    for (Lane lane : {Lane::kTransactional, Lane::kBulk}) {
      for (int s = 0; s < options_.shards; ++s) {
        KIRIM_ASSIGN_OR_RETURN(std::vector<Lease> leases, TakeFrom(consumer, s, {lane}, max));
        if (!leases.empty()) return leases;
      }
    }
  }
  if (block <= absl::ZeroDuration() || blocking_ == nullptr) return std::vector<Lease>{};
  const int shard = next_block_shard_;
  next_block_shard_ = (next_block_shard_ + 1) % options_.shards;
  return TakeBlocking(consumer, shard, max, block);
}

absl::StatusOr<std::vector<Lease>> RedisMessageQueue::TakeBlocking(absl::string_view consumer,
                                                                   int shard, int max,
                                                                   absl::Duration block) {
  const std::string tx = StreamKey(shard, Lane::kTransactional);
  const std::string bulk = StreamKey(shard, Lane::kBulk);
  KIRIM_ASSIGN_OR_RETURN(
      RedisValue v,
      blocking_->BlockingCommand({"XREADGROUP", "GROUP", kGroup, std::string(consumer), "COUNT",
                                  std::to_string(max), "BLOCK",
                                  std::to_string(absl::ToInt64Milliseconds(block)), "STREAMS", tx,
                                  bulk, ">", ">"},
                                 block));
  if (v.is_nil()) return std::vector<Lease>{};
  // Reshape into the Take script's {lane, entry, ref, record} rows, fetching records in one trip.
  std::vector<redis::Argv> gets;
  RedisValue rows;
  rows.type = RedisValue::Type::kArray;
  for (const RedisValue& stream : v.elements) {
    const bool is_tx = stream.elements[0].str == tx;
    for (const RedisValue& entry : stream.elements[1].elements) {
      RedisValue row;
      row.type = RedisValue::Type::kArray;
      RedisValue lane, token, ref;
      lane.type = token.type = ref.type = RedisValue::Type::kString;
      lane.str = is_tx ? "t" : "b";
      token.str = entry.elements[0].str;
      const auto& fields = entry.elements[1].elements;
      for (size_t i = 0; i + 1 < fields.size(); i += 2) {
        if (fields[i].str == "ref") ref.str = fields[i + 1].str;
      }
      std::pair<std::string, std::string> parts = absl::StrSplit(ref.str, '|');
      gets.push_back({"HGET", MessageKey(parts.first, parts.second), "r"});
      row.elements = {lane, token, ref};
      rows.elements.push_back(std::move(row));
    }
  }
  KIRIM_ASSIGN_OR_RETURN(std::vector<RedisValue> records, redis_.Pipeline(gets));
  for (size_t i = 0; i < rows.elements.size(); ++i) rows.elements[i].elements.push_back(records[i]);
  return ParseTaken(shard, rows);
}

absl::Status RedisMessageQueue::Complete(const Lease& lease, const StoredMessage& record) {
  const int shard = ShardOf(lease.id);
  return redis_
      .Eval(kCompleteScript, {MessageKey(lease.tenant, lease.id), StreamKey(shard, lease.lane)},
            {record.SerializeAsString(), lease.token, kGroup,
             std::to_string(absl::ToInt64Seconds(options_.retention))})
      .status();
}

absl::Status RedisMessageQueue::Defer(const Lease& lease, const StoredMessage& record,
                                      absl::Time retry_at) {
  const int shard = ShardOf(lease.id);
  return redis_
      .Eval(kDeferScript,
            {MessageKey(lease.tenant, lease.id), StreamKey(shard, lease.lane), ScheduledKey(shard)},
            {record.SerializeAsString(), lease.token, kGroup, Millis(retry_at),
             absl::StrCat(std::string(1, LaneTag(lease.lane)), "|", Ref(lease.tenant, lease.id))})
      .status();
}

absl::StatusOr<int> RedisMessageQueue::PromoteDue(absl::Time now, int max) {
  int moved = 0;
  for (int s = 0; s < options_.shards; ++s) {
    KIRIM_ASSIGN_OR_RETURN(
        RedisValue v, redis_.Eval(kPromoteScript,
                                  {ScheduledKey(s), StreamKey(s, Lane::kTransactional),
                                   StreamKey(s, Lane::kBulk)},
                                  {Millis(now), std::to_string(max)}));
    moved += static_cast<int>(v.integer);
  }
  return moved;
}

absl::Status RedisMessageQueue::Ping() { return redis_.Command({"PING"}).status(); }

}  // namespace kirim
