#include "server/queue/redis_message_queue.h"

#include "server/queue/queue_stats.h"

#include <openssl/sha.h>

#include <algorithm>
#include <tuple>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "server/common/status_macros.h"
#include "server/queue/message_id.h"

namespace kirim {
namespace {

using redis::RedisValue;

constexpr const char* kGroup = RedisMessageQueue::kGroupName;
// Most events one ReadEvents returns.
constexpr int kMaxEventBatch = 1000;

// Shared by every script that changes a message. ARGV[first] = n, then n statistics "<field>
// <delta>", then the events, appended (field e) to the event stream `key`, capped near `maxlen`.
// Statistics (cluster-wide figures for GetMetrics, see queue_stats.h), in keys of the event
// stream's slot: "n:<name>" → the tenant's counters hash <event stream>:n; "d:<domain>" → the
// shard's deferred-recipients-per-destination hash <shard>:dst (fields at 0 removed).
// `depth_key` names the shard's depth hash (<shard>:depth, scheduled:t / scheduled:b) from the
// shard's scheduled key.
#define KIRIM_LUA_APPEND_EVENTS                                                       \
  "local function append_events(key, maxlen, first)\n"                                \
  "  local n = tonumber(ARGV[first])\n"                                               \
  "  local shard = string.match(key, '^(.*):ev:')\n"                                  \
  "  for i = first + 1, first + n do\n"                                               \
  "    local kind, name, delta = string.match(ARGV[i], '^(%a):(.*) (%-?%d+)$')\n"     \
  "    if kind == 'n' then\n"                                                         \
  "      redis.call('HINCRBY', key .. ':n', name, delta)\n"                           \
  "    elseif kind == 'd' then\n"                                                     \
  "      if redis.call('HINCRBY', shard .. ':dst', name, delta) <= 0 then\n"          \
  "        redis.call('HDEL', shard .. ':dst', name)\n"                               \
  "      end\n"                                                                       \
  "    end\n"                                                                         \
  "  end\n"                                                                           \
  "  for i = first + n + 1, #ARGV do\n"                                               \
  "    redis.call('XADD', key, 'MAXLEN', '~', maxlen, '*', 'e', ARGV[i])\n"           \
  "  end\n"                                                                           \
  "end\n"                                                                             \
  "local function depth_key(scheduled) return string.sub(scheduled, 1, -10) .. 'depth' end\n"

// KEYS: message, ready stream (its lane), scheduled, the other lane's stream, event stream,
// [idempotency key]. ARGV: record, ref, lane tag, due ms ("" = now), per-shard depth limit
// ("0" = none), events maxlen, idempotency value, idempotency window ms, events...
// Returns {1} stored, {0} id taken, {2, claim} key already claimed, {3, depth} queue full.
// Every check comes before the first write, so a refusal changes nothing.
constexpr char kEnqueueScript[] = KIRIM_LUA_APPEND_EVENTS R"lua(
if #KEYS >= 6 then
  local prior = redis.call('GET', KEYS[6])
  if prior then return {2, prior} end
end
if redis.call('EXISTS', KEYS[1]) == 1 then return {0} end
local limit = tonumber(ARGV[5])
if limit > 0 then
  local depth = redis.call('XLEN', KEYS[2]) + redis.call('XLEN', KEYS[4]) + redis.call('ZCARD', KEYS[3])
  if depth >= limit then return {3, depth} end
end
redis.call('HSET', KEYS[1], 'r', ARGV[1], 'v', 1)
if ARGV[4] ~= '' then
  local added = redis.call('ZADD', KEYS[3], ARGV[4], ARGV[3] .. '|' .. ARGV[2])
  redis.call('HINCRBY', depth_key(KEYS[3]), 'scheduled:' .. ARGV[3], added)
else
  local entry = redis.call('XADD', KEYS[2], '*', 'ref', ARGV[2])
  redis.call('HSET', KEYS[1], 'e', ARGV[3] .. '|' .. entry)
end
if #KEYS >= 6 then redis.call('SET', KEYS[6], ARGV[7], 'PX', ARGV[8]) end
append_events(KEYS[5], ARGV[6], 9)
return {1}
)lua";

// KEYS: ready streams in priority order. ARGV: group, consumer, min idle ms, count, message key
// prefix, then one lane tag per key. Returns rows {lane, entry id, ref, record or false}:
// reclaimed (expired) leases first, then new entries, earlier keys first. Entries of cancelled
// messages are acknowledged and deleted here, never returned.
constexpr char kTakeScript[] = R"lua(
local out = {}
local function fetch(lane, stream, entries)
  for _, e in ipairs(entries) do
    local ref = nil
    local f = e[2]
    if f then
      for i = 1, #f, 2 do if f[i] == 'ref' then ref = f[i + 1] end end
    end
    if ref then
      local sep = string.find(ref, '|', 1, true)
      local key = ARGV[5] .. string.sub(ref, 1, sep - 1) .. ':m:' .. string.sub(ref, sep + 1)
      local got = redis.call('HMGET', key, 'r', 'c')
      if got[2] then
        redis.call('XACK', stream, ARGV[1], e[1])
        redis.call('XDEL', stream, e[1])
      else
        table.insert(out, {lane, e[1], ref, got[1]})
      end
    end
  end
end
local want = tonumber(ARGV[4])
for i, stream in ipairs(KEYS) do
  local lane = ARGV[5 + i]
  if #out < want then
    local c = redis.call('XAUTOCLAIM', stream, ARGV[1], ARGV[2], ARGV[3], '0-0', 'COUNT', want - #out)
    fetch(lane, stream, c[2])
  end
  if #out < want then
    local r = redis.call('XREADGROUP', 'GROUP', ARGV[1], ARGV[2], 'COUNT', want - #out, 'STREAMS', stream, '>')
    if r then fetch(lane, stream, r[1][2]) end
  end
end
return out
)lua";

// Recording an outcome must work even when Redis is at maxmemory (noeviction): refused, the
// lease would expire and the message be sent again, every lease period, for as long as Redis
// stays full. Redis refuses a script (EVAL without flags) for memory only at its first write of
// a command that may grow memory (HSET, XADD, ZADD...), never once the script has written; so
// Complete and Defer end the lease first (XACK, XDEL: never refused), and PromoteDue takes the
// member out of the scheduled set (ZREM) before it adds it to a stream. Same final state; the
// record then grows past maxmemory by one attempt, which Redis allows.
//
// KEYS: message, ready stream, event stream. ARGV: record, entry id, group, retention seconds
// ("0" = keep), events maxlen, events...
constexpr char kCompleteScript[] = KIRIM_LUA_APPEND_EVENTS R"lua(
redis.call('XACK', KEYS[2], ARGV[3], ARGV[2])
redis.call('XDEL', KEYS[2], ARGV[2])
redis.call('HSET', KEYS[1], 'r', ARGV[1])
redis.call('HINCRBY', KEYS[1], 'v', 1)
redis.call('HDEL', KEYS[1], 'e')
if ARGV[4] ~= '0' then redis.call('EXPIRE', KEYS[1], ARGV[4]) end
append_events(KEYS[3], ARGV[5], 6)
return 1
)lua";

// KEYS: message, ready stream, scheduled, event stream. ARGV: record, entry id, group, due ms,
// member, events maxlen, events...
constexpr char kDeferScript[] = KIRIM_LUA_APPEND_EVENTS R"lua(
redis.call('XACK', KEYS[2], ARGV[3], ARGV[2])
redis.call('XDEL', KEYS[2], ARGV[2])
redis.call('HSET', KEYS[1], 'r', ARGV[1])
redis.call('HINCRBY', KEYS[1], 'v', 1)
redis.call('HDEL', KEYS[1], 'e')
local added = redis.call('ZADD', KEYS[3], ARGV[4], ARGV[5])
redis.call('HINCRBY', depth_key(KEYS[3]), 'scheduled:' .. string.sub(ARGV[5], 1, 1), added)
append_events(KEYS[4], ARGV[6], 7)
return 1
)lua";

// KEYS: scheduled, tx stream, bulk stream. ARGV: now ms, limit, message key prefix. A member
// whose message is gone (expired) is dropped instead of queued.
constexpr char kPromoteScript[] = R"lua(
local depth = string.sub(KEYS[1], 1, -10) .. 'depth'
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, ARGV[2])
for _, m in ipairs(due) do
  local lane = string.sub(m, 1, 1)
  local ref = string.sub(m, 3)
  local sep = string.find(ref, '|', 1, true)
  local key = ARGV[3] .. string.sub(ref, 1, sep - 1) .. ':m:' .. string.sub(ref, sep + 1)
  local removed = redis.call('ZREM', KEYS[1], m)
  if redis.call('EXISTS', key) == 1 then
    local stream = (lane == 't') and KEYS[2] or KEYS[3]
    local entry = redis.call('XADD', stream, '*', 'ref', ref)
    redis.call('HSET', key, 'e', lane .. '|' .. entry)
  end
  if removed > 0 then redis.call('HINCRBY', depth, 'scheduled:' .. lane, -1) end
end
return #due
)lua";

// KEYS: message, tx stream, bulk stream, scheduled, event stream. ARGV: expected version, new
// record, group, ref, retention seconds ("0" = keep), events maxlen, events...
// Returns {0} no message, {1} the record changed since it was read (retry), {2} leased (a
// worker holds it), {3} not waiting (neither ready nor scheduled), {4} cancelled.
constexpr char kCancelScript[] = KIRIM_LUA_APPEND_EVENTS R"lua(
if redis.call('EXISTS', KEYS[1]) == 0 then return {0} end
if (redis.call('HGET', KEYS[1], 'v') or '') ~= ARGV[1] then return {1} end
local entry = redis.call('HGET', KEYS[1], 'e')
local stream, id
if entry then
  stream = (string.sub(entry, 1, 1) == 't') and KEYS[2] or KEYS[3]
  id = string.sub(entry, 3)
  if #redis.call('XPENDING', stream, ARGV[3], id, id, 1) > 0 then return {2} end
end
local unscheduled = 0
for _, lane in ipairs({'t', 'b'}) do
  local removed = redis.call('ZREM', KEYS[4], lane .. '|' .. ARGV[4])
  if removed > 0 then redis.call('HINCRBY', depth_key(KEYS[4]), 'scheduled:' .. lane, 0 - removed) end
  unscheduled = unscheduled + removed
end
if not entry and unscheduled == 0 then return {3} end
if entry then redis.call('XDEL', stream, id) end
redis.call('HSET', KEYS[1], 'r', ARGV[2], 'c', 1)
redis.call('HINCRBY', KEYS[1], 'v', 1)
redis.call('HDEL', KEYS[1], 'e')
if ARGV[5] ~= '0' then redis.call('EXPIRE', KEYS[1], ARGV[5]) end
append_events(KEYS[5], ARGV[6], 7)
return {4}
)lua";

// KEYS: one event stream. ARGV: the last id read, count. Returns {0, entries after the id} or
// {1} when entries after the id were already trimmed away. Only the head is ever trimmed (no
// XDEL), so a trimmed stream whose first entry is after the id has lost some of them (or,
// rarely, exactly the id itself: then the cursor's owner had read everything; a false alarm
// that only a reader a full retention window behind can hit).
constexpr char kReadEventsScript[] = R"lua(
if redis.call('EXISTS', KEYS[1]) == 0 then return {0, {}} end
local function before(a, b)
  local am, as = string.match(a, '^(%d+)-(%d+)$')
  local bm, bs = string.match(b, '^(%d+)-(%d+)$')
  am, as, bm, bs = tonumber(am), tonumber(as), tonumber(bm), tonumber(bs)
  return am < bm or (am == bm and as < bs)
end
local info = redis.call('XINFO', 'STREAM', KEYS[1])
local added, length, first = 0, 0, nil
for i = 1, #info, 2 do
  if info[i] == 'entries-added' then added = info[i + 1]
  elseif info[i] == 'length' then length = info[i + 1]
  elseif info[i] == 'first-entry' then first = info[i + 1] end
end
if added > length and first and before(ARGV[1], first[1]) then return {1} end
if tonumber(ARGV[2]) == 0 then return {0, {}} end
return {0, redis.call('XRANGE', KEYS[1], '(' .. ARGV[1], '+', 'COUNT', ARGV[2])}
)lua";

#undef KIRIM_LUA_APPEND_EVENTS

char LaneTag(Lane lane) { return lane == Lane::kTransactional ? 't' : 'b'; }

std::string Ref(absl::string_view tenant, absl::string_view id) {
  return absl::StrCat(tenant, "|", id);
}

std::string Millis(absl::Time t) { return std::to_string(absl::ToUnixMillis(t)); }

std::string Sha256Hex(absl::string_view data) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(data.data()), data.size(), digest);
  return absl::BytesToHexString(
      absl::string_view(reinterpret_cast<const char*>(digest), sizeof digest));
}

// Appends the statistics (count first) and each event (cursor cleared: the stream entry id is
// the cursor) to `args`, as append_events reads them.
void AddEvents(const StoredMessage* before, const StoredMessage& after,
               const std::vector<v1::Event>& events, redis::Argv* args) {
  std::vector<std::string> stats = StatisticsFor(before, after, events);
  args->push_back(std::to_string(stats.size()));
  for (std::string& s : stats) args->push_back(std::move(s));
  for (const v1::Event& e : events) {
    if (e.cursor().empty()) {
      args->push_back(e.SerializeAsString());
    } else {
      v1::Event copy = e;
      copy.clear_cursor();
      args->push_back(copy.SerializeAsString());
    }
  }
}

// "<id> <request hash>" <-> IdempotencyRecord.
std::string ClaimValue(absl::string_view id, absl::string_view request_hash) {
  return absl::StrCat(id, " ", request_hash);
}
IdempotencyRecord ParseClaim(absl::string_view value) {
  std::pair<std::string, std::string> parts = absl::StrSplit(value, absl::MaxSplits(' ', 1));
  return IdempotencyRecord{parts.first, parts.second};
}

// One event stream entry read from a shard.
struct RawEvent {
  int shard;
  StreamId id;
  std::string payload;
};

// Appends the entries of an XRANGE/XREAD reply ([[id, [field, value, ...]], ...]) to `out`.
void CollectEntries(int shard, const RedisValue& entries, std::vector<RawEvent>* out) {
  for (const RedisValue& entry : entries.elements) {
    if (entry.elements.size() < 2) continue;
    absl::StatusOr<StreamId> id = StreamId::Parse(entry.elements[0].str);
    if (!id.ok()) continue;
    RawEvent raw{shard, *id, ""};
    const auto& fields = entry.elements[1].elements;
    for (size_t i = 0; i + 1 < fields.size(); i += 2) {
      if (fields[i].str == "e") raw.payload = fields[i + 1].str;
    }
    out->push_back(std::move(raw));
  }
}

}  // namespace

RedisMessageQueue::RedisMessageQueue(redis::RedisClient& redis, redis::HiredisClient* blocking,
                                     RedisQueueOptions options)
    : redis_(redis), blocking_(blocking), options_(std::move(options)) {}

int RedisMessageQueue::ShardOf(absl::string_view id) const {
  if (options_.shards <= 1) return 0;
  return ShardSelectorOf(id) % options_.shards;
}

int RedisMessageQueue::ShardOfIdempotencyKey(absl::string_view tenant,
                                             absl::string_view key) const {
  if (options_.shards <= 1) return 0;
  return ShardSelectorForKey(tenant, key) % options_.shards;
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

std::string RedisMessageQueue::EventStreamKey(int shard, absl::string_view tenant) const {
  return absl::StrCat(ShardPrefix(shard), "ev:", tenant);
}

std::string RedisMessageQueue::CountersKey(int shard, absl::string_view tenant) const {
  return absl::StrCat(EventStreamKey(shard, tenant), ":n");
}

std::string RedisMessageQueue::DepthKey(int shard) const {
  return absl::StrCat(ShardPrefix(shard), "depth");
}

std::string RedisMessageQueue::DestinationsKey(int shard) const {
  return absl::StrCat(ShardPrefix(shard), "dst");
}

std::string RedisMessageQueue::CountersPattern() const {
  return absl::StrCat(options_.key_prefix, ":{s*}:ev:*:n");
}

std::string RedisMessageQueue::IdempotencyKeyName(absl::string_view tenant,
                                                  absl::string_view key) const {
  // Hashed: the caller's key may hold any bytes (and up to the validator's size limit).
  return absl::StrCat(ShardPrefix(ShardOfIdempotencyKey(tenant, key)), "t:", tenant,
                      ":idem:", Sha256Hex(key));
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

absl::StatusOr<EnqueueOutcome> RedisMessageQueue::RunEnqueue(const StoredMessage& record, Lane lane,
                                                             std::optional<absl::Time> not_before,
                                                             const IdempotencyKey* key,
                                                             const std::vector<v1::Event>& events) {
  const std::string& id = record.message().id();
  const std::string& tenant = record.tenant();
  const int shard = ShardOf(id);
  const Lane other = lane == Lane::kTransactional ? Lane::kBulk : Lane::kTransactional;
  const int64_t per_shard_limit =
      options_.max_depth <= 0 ? 0 : (options_.max_depth + options_.shards - 1) / options_.shards;
  redis::Argv keys = {MessageKey(tenant, id), StreamKey(shard, lane), ScheduledKey(shard),
                      StreamKey(shard, other), EventStreamKey(shard, tenant)};
  redis::Argv args = {record.SerializeAsString(),
                      Ref(tenant, id),
                      std::string(1, LaneTag(lane)),
                      not_before.has_value() ? Millis(*not_before) : "",
                      std::to_string(per_shard_limit),
                      std::to_string(options_.event_stream_max_len),
                      "",
                      "0"};
  if (key != nullptr) {
    // The selector, not just the shard: the id must not depend on how many shards there are.
    if (ShardSelectorOf(id) != ShardSelectorForKey(tenant, key->key)) {
      return absl::InvalidArgumentError(
          "the message id does not carry its idempotency key's shard selector");
    }
    keys.push_back(IdempotencyKeyName(tenant, key->key));
    args[6] = ClaimValue(id, key->request_hash);
    args[7] = std::to_string(std::max<int64_t>(1, absl::ToInt64Milliseconds(key->window)));
  }
  AddEvents(nullptr, record, events, &args);
  KIRIM_ASSIGN_OR_RETURN(RedisValue v, redis_.Eval(kEnqueueScript, keys, args));
  const long long code = v.elements.empty() ? -1 : v.elements[0].integer;
  switch (code) {
    case 1:
      return EnqueueOutcome{};
    case 0:
      return absl::AlreadyExistsError(absl::StrCat("message id taken: ", id));
    case 2:
      return EnqueueOutcome{true, ParseClaim(v.elements.size() > 1 ? v.elements[1].str : "")};
    case 3:
      return absl::ResourceExhaustedError(absl::StrCat(
          "queue full: ", v.elements.size() > 1 ? v.elements[1].integer : 0,
          " messages waiting on shard ", shard, " (limit ", per_shard_limit, " per shard)"));
    default:
      return absl::InternalError("enqueue script: unexpected reply");
  }
}

absl::Status RedisMessageQueue::Enqueue(const StoredMessage& record, Lane lane,
                                        std::optional<absl::Time> not_before,
                                        const std::vector<v1::Event>& events) {
  return RunEnqueue(record, lane, not_before, nullptr, events).status();
}

absl::StatusOr<EnqueueOutcome> RedisMessageQueue::EnqueueIdempotent(
    const StoredMessage& record, Lane lane, std::optional<absl::Time> not_before,
    const IdempotencyKey& key, const std::vector<v1::Event>& events) {
  return RunEnqueue(record, lane, not_before, &key, events);
}

absl::StatusOr<std::optional<IdempotencyRecord>> RedisMessageQueue::FindIdempotencyKey(
    absl::string_view tenant, absl::string_view key) {
  KIRIM_ASSIGN_OR_RETURN(RedisValue v, redis_.Command({"GET", IdempotencyKeyName(tenant, key)}));
  if (v.is_nil()) return std::optional<IdempotencyRecord>();
  return std::optional<IdempotencyRecord>(ParseClaim(v.str));
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
    const bool has_record =
        item.elements.size() > 3 && item.elements[3].type == RedisValue::Type::kString;
    if (!has_record || !lease.record.ParseFromString(item.elements[3].str)) {
      // The message is gone (expired, deleted or cancelled) or unreadable: drop the stale entry
      // so it cannot block the queue.
      KIRIM_RETURN_IF_ERROR(
          redis_
              .Pipeline({{"XACK", StreamKey(shard, lease.lane), kGroup, lease.token},
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
  const int shard = next_block_shard_.fetch_add(1) % options_.shards;
  return TakeBlocking(consumer, shard, max, block);
}

absl::StatusOr<std::vector<Lease>> RedisMessageQueue::TakeBlocking(absl::string_view consumer,
                                                                   int shard, int max,
                                                                   absl::Duration block) {
  const std::string tx = StreamKey(shard, Lane::kTransactional);
  const std::string bulk = StreamKey(shard, Lane::kBulk);
  KIRIM_ASSIGN_OR_RETURN(RedisValue v, blocking_->BlockingCommand(
                                           {"XREADGROUP", "GROUP", kGroup, std::string(consumer),
                                            "COUNT", std::to_string(max), "BLOCK",
                                            std::to_string(absl::ToInt64Milliseconds(block)),
                                            "STREAMS", tx, bulk, ">", ">"},
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
      gets.push_back({"HMGET", MessageKey(parts.first, parts.second), "r", "c"});
      row.elements = {lane, token, ref};
      rows.elements.push_back(std::move(row));
    }
  }
  KIRIM_ASSIGN_OR_RETURN(std::vector<RedisValue> records, redis_.Pipeline(gets));
  for (size_t i = 0; i < rows.elements.size(); ++i) {
    const std::vector<RedisValue>& got = records[i].elements;
    // A cancelled message's entry is dropped like a vanished one (ParseTaken acks and deletes it).
    const bool cancelled = got.size() > 1 && !got[1].is_nil();
    rows.elements[i].elements.push_back(got.empty() || cancelled ? RedisValue{} : got[0]);
  }
  return ParseTaken(shard, rows);
}

absl::Status RedisMessageQueue::Complete(const Lease& lease, const StoredMessage& record,
                                         const std::vector<v1::Event>& events) {
  const int shard = ShardOf(lease.id);
  redis::Argv args = {record.SerializeAsString(), lease.token, kGroup,
                      std::to_string(absl::ToInt64Seconds(options_.retention)),
                      std::to_string(options_.event_stream_max_len)};
  AddEvents(&lease.record, record, events, &args);
  return redis_
      .Eval(kCompleteScript,
            {MessageKey(lease.tenant, lease.id), StreamKey(shard, lease.lane),
             EventStreamKey(shard, lease.tenant)},
            args)
      .status();
}

absl::Status RedisMessageQueue::Defer(const Lease& lease, const StoredMessage& record,
                                      absl::Time retry_at, const std::vector<v1::Event>& events) {
  const int shard = ShardOf(lease.id);
  redis::Argv args = {
      record.SerializeAsString(),
      lease.token,
      kGroup,
      Millis(retry_at),
      absl::StrCat(std::string(1, LaneTag(lease.lane)), "|", Ref(lease.tenant, lease.id)),
      std::to_string(options_.event_stream_max_len)};
  AddEvents(&lease.record, record, events, &args);
  return redis_
      .Eval(kDeferScript,
            {MessageKey(lease.tenant, lease.id), StreamKey(shard, lease.lane), ScheduledKey(shard),
             EventStreamKey(shard, lease.tenant)},
            args)
      .status();
}

absl::StatusOr<int> RedisMessageQueue::PromoteDue(absl::Time now, int max) {
  int moved = 0;
  for (int s = 0; s < options_.shards; ++s) {
    KIRIM_ASSIGN_OR_RETURN(RedisValue v,
                           redis_.Eval(kPromoteScript,
                                       {ScheduledKey(s), StreamKey(s, Lane::kTransactional),
                                        StreamKey(s, Lane::kBulk)},
                                       {Millis(now), std::to_string(max), ShardPrefix(s) + "t:"}));
    moved += static_cast<int>(v.integer);
  }
  return moved;
}

absl::StatusOr<StoredMessage> RedisMessageQueue::Cancel(absl::string_view tenant,
                                                        absl::string_view id,
                                                        const CancelFn& cancel) {
  const int shard = ShardOf(id);
  const std::string key = MessageKey(tenant, id);
  // Optimistic: read, let `cancel` decide, then apply only if no write happened in between
  // (the version field). A worker finishing an attempt in that gap makes us read again.
  for (int attempt = 0; attempt < 5; ++attempt) {
    KIRIM_ASSIGN_OR_RETURN(RedisValue got, redis_.Command({"HMGET", key, "r", "v"}));
    if (got.elements.size() < 2 || got.elements[0].is_nil()) {
      return absl::NotFoundError(absl::StrCat("no message ", MessageName(id)));
    }
    StoredMessage record;
    if (!record.ParseFromString(got.elements[0].str)) {
      return absl::DataLossError(absl::StrCat("stored message ", id, " does not parse"));
    }
    const StoredMessage before = record;
    KIRIM_ASSIGN_OR_RETURN(std::vector<v1::Event> events, cancel(record));
    redis::Argv args = {got.elements[1].is_nil() ? "" : got.elements[1].str,
                        record.SerializeAsString(),
                        kGroup,
                        Ref(tenant, id),
                        std::to_string(absl::ToInt64Seconds(options_.retention)),
                        std::to_string(options_.event_stream_max_len)};
    AddEvents(&before, record, events, &args);
    KIRIM_ASSIGN_OR_RETURN(
        RedisValue v,
        redis_.Eval(kCancelScript,
                    {key, StreamKey(shard, Lane::kTransactional), StreamKey(shard, Lane::kBulk),
                     ScheduledKey(shard), EventStreamKey(shard, tenant)},
                    args));
    switch (v.elements.empty() ? -1 : v.elements[0].integer) {
      case 4:
        return record;
      case 0:
        return absl::NotFoundError(absl::StrCat("no message ", MessageName(id)));
      case 1:
        continue;
      case 2:
        return absl::FailedPreconditionError(
            "the message is being delivered (a worker holds it) and can no longer be cancelled");
      case 3:
        return absl::FailedPreconditionError(
            "the message is not waiting in the queue (it is being delivered) and cannot be "
            "cancelled");
      default:
        return absl::InternalError("cancel script: unexpected reply");
    }
  }
  return absl::AbortedError("the message kept changing while being cancelled; try again");
}

absl::StatusOr<EventPositions> RedisMessageQueue::LatestPositions(absl::string_view tenant) {
  std::vector<redis::Argv> last;
  for (int s = 0; s < options_.shards; ++s) {
    last.push_back({"XREVRANGE", EventStreamKey(s, tenant), "+", "-", "COUNT", "1"});
  }
  KIRIM_ASSIGN_OR_RETURN(std::vector<RedisValue> replies, redis_.Pipeline(last));
  EventPositions positions(static_cast<size_t>(options_.shards));
  for (int s = 0; s < options_.shards; ++s) {
    // Only the head of an event stream is ever trimmed, so its last entry is the newest id.
    if (replies[s].elements.empty() || replies[s].elements[0].elements.empty()) continue;
    KIRIM_ASSIGN_OR_RETURN(positions[s], StreamId::Parse(replies[s].elements[0].elements[0].str));
  }
  return positions;
}

absl::StatusOr<std::string> RedisMessageQueue::LatestEventCursor(absl::string_view tenant) {
  KIRIM_ASSIGN_OR_RETURN(EventPositions positions, LatestPositions(tenant));
  return EncodeEventCursor(positions);
}

absl::StatusOr<std::vector<v1::Event>> RedisMessageQueue::ReadEvents(absl::string_view tenant,
                                                                     absl::string_view cursor,
                                                                     int max,
                                                                     absl::Duration block) {
  EventPositions positions;
  if (cursor.empty()) {
    KIRIM_ASSIGN_OR_RETURN(positions, LatestPositions(tenant));
  } else {
    KIRIM_ASSIGN_OR_RETURN(positions, DecodeEventCursor(cursor, options_.shards));
  }
  max = std::clamp(max, 0, kMaxEventBatch);

  // What is there already (and whether the cursor is still inside the retained window): one
  // script per shard (a script touches one slot), all shards in one round trip.
  const std::string sha = redis::ScriptSha1(kReadEventsScript);
  std::vector<redis::Argv> reads;
  for (int s = 0; s < options_.shards; ++s) {
    reads.push_back({"EVALSHA", sha, "1", EventStreamKey(s, tenant), positions[s].ToString(),
                     std::to_string(max)});
  }
  absl::StatusOr<std::vector<RedisValue>> replies = redis_.Pipeline(reads);
  if (!replies.ok() && absl::StrContains(replies.status().message(), "NOSCRIPT")) {
    // Redis restarted and forgot the script: loading it through Eval once is enough.
    KIRIM_RETURN_IF_ERROR(
        redis_.Eval(kReadEventsScript, {EventStreamKey(0, tenant)}, {positions[0].ToString(), "0"})
            .status());
    replies = redis_.Pipeline(reads);
  }
  if (!replies.ok()) return replies.status();
  std::vector<RawEvent> raw;
  for (int s = 0; s < options_.shards; ++s) {
    const RedisValue& v = (*replies)[s];
    if (!v.elements.empty() && v.elements[0].integer == 1) {
      return absl::OutOfRangeError(
          "cursor: events after it were already removed by retention; start again with an empty "
          "cursor (and reconcile with GetMessage)");
    }
    if (v.elements.size() > 1) CollectEntries(s, v.elements[1], &raw);
  }
  if (max == 0) return std::vector<v1::Event>{};

  if (raw.empty() && block > absl::ZeroDuration() && blocking_ != nullptr) {
    redis::Argv argv = {"XREAD",
                        "COUNT",
                        std::to_string(max),
                        "BLOCK",
                        std::to_string(std::max<int64_t>(1, absl::ToInt64Milliseconds(block))),
                        "STREAMS"};
    for (int s = 0; s < options_.shards; ++s) argv.push_back(EventStreamKey(s, tenant));
    for (int s = 0; s < options_.shards; ++s) argv.push_back(positions[s].ToString());
    KIRIM_ASSIGN_OR_RETURN(RedisValue v, blocking_->BlockingCommand(argv, block));
    for (const RedisValue& stream : v.elements) {
      if (stream.elements.size() < 2) continue;
      for (int s = 0; s < options_.shards; ++s) {
        if (stream.elements[0].str == EventStreamKey(s, tenant))
          CollectEntries(s, stream.elements[1], &raw);
      }
    }
  }

  // Merge the shards by time; each shard's own order is kept (its ids only grow).
  std::stable_sort(raw.begin(), raw.end(), [](const RawEvent& a, const RawEvent& b) {
    return std::tie(a.id, a.shard) < std::tie(b.id, b.shard);
  });
  if (static_cast<int>(raw.size()) > max) raw.resize(static_cast<size_t>(max));
  std::vector<v1::Event> events;
  events.reserve(raw.size());
  for (const RawEvent& r : raw) {
    positions[r.shard] = r.id;
    v1::Event e;
    // An unreadable entry cannot be repaired by reading it again: it comes out as a bare
    // TYPE_UNSPECIFIED event, so the reader still moves past it.
    if (!e.ParseFromString(r.payload)) e.Clear();
    e.set_cursor(EncodeEventCursor(positions));
    events.push_back(std::move(e));
  }
  return events;
}

absl::Status RedisMessageQueue::Ping() { return redis_.Command({"PING"}).status(); }

}  // namespace kirim
