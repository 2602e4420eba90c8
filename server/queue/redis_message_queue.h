// RedisMessageQueue: MessageQueue on Redis Streams with one consumer group.
//
// Key layout (every key of one shard shares the hash tag `{sN}`, so a Lua script only touches
// one Redis Cluster slot and shards can later spread over a cluster):
//   <prefix>:{sN}:t:<tenant>:m:<id>   hash  r = serialized StoredMessage, v = version (bumped by
//                                     every write of r), e = "<lane>|<entry id>" while the message
//                                     has a ready-stream entry, c = 1 once cancelled
//   <prefix>:{sN}:ready:tx            stream of ready transactional messages, ref=<tenant>|<id>
//   <prefix>:{sN}:ready:bulk          stream of ready bulk messages
//   <prefix>:{sN}:scheduled           zset, score = due ms, member <lane>|<tenant>|<id>
//   <prefix>:{sN}:ev:<tenant>         stream of the tenant's events on this shard, field e =
//                                     serialized kirim.v1.Event; capped with XADD MAXLEN ~
//   <prefix>:{sN}:t:<tenant>:idem:<sha256(key) hex>   string "<id> <request hash>", expires
//                                     after the idempotency window
//   <prefix>:{sN}:ev:<tenant>:n       hash: the tenant's counters (queue_stats.h)
//   <prefix>:{sN}:depth               hash: scheduled:t, scheduled:b message counts
//   <prefix>:{sN}:dst                 hash: deferred recipients per destination domain
// The statistics keys are named inside the scripts from the event stream and scheduled keys
// they belong with (same shard, same slot).
// A message's shard is its id's shard selector modulo `shards` (message_id.h), so it never
// moves; an idempotent message's id is given the selector of its key, so its claim lives on
// the same shard. Every state change is one Lua script that also appends the change's events:
// a crash between two steps cannot lose or duplicate a queue entry or an event.
//
// A lease is a pending entry of the consumer group; Complete/Defer XACK and XDEL it. Entries
// pending longer than the lease timeout are taken over with XAUTOCLAIM. Cancel XDELs a ready
// entry that is not pending (and Take drops any entry whose message is cancelled).
//
// Event retention: each per-tenant, per-shard event stream keeps about
// `event_stream_max_len` of its newest events (XADD MAXLEN ~, so a little more). A cursor older
// than the retained window makes ReadEvents fail with OutOfRange instead of silently skipping.
// Reading merges the shards' streams; the blocking wait is one XREAD over every shard's stream
// (fine on one Redis server, which is what HiredisClient talks to).
#ifndef KIRIM_SERVER_QUEUE_REDIS_MESSAGE_QUEUE_H_
#define KIRIM_SERVER_QUEUE_REDIS_MESSAGE_QUEUE_H_

#include <atomic>
#include <string>

#include "server/queue/event_cursor.h"
#include "server/queue/message_queue.h"
#include "server/redis/redis_client.h"

namespace kirim {

struct RedisQueueOptions {
  // Prefix of every key.
  std::string key_prefix = "kirim";
  // Number of shards (1..1024); fixed for the life of the data (ids map onto it).
  int shards = 1;
  // A lease older than this is presumed dead and reclaimed.
  absl::Duration lease_timeout = absl::Minutes(15);
  // How long finished messages stay readable by GetMessage (0 = forever).
  absl::Duration retention = absl::Hours(24 * 7);
  // Enqueue refuses (ResourceExhausted) when the message's shard already holds
  // ceil(max_depth / shards) ready, leased and scheduled messages. 0 = no limit.
  int64_t max_depth = 0;
  // Events kept per tenant per shard (approximately; the oldest go first).
  int64_t event_stream_max_len = 1000000;
};

class RedisMessageQueue final : public MessageQueue {
 public:
  // `blocking` runs the blocking reads (XREADGROUP, XREAD: it owns a deadline longer than a
  // normal command); both may be the same client.
  RedisMessageQueue(redis::RedisClient& redis, redis::HiredisClient* blocking,
                    RedisQueueOptions options);

  // Creates the consumer groups (idempotent). Call at start; Take also recreates them if Redis
  // lost them.
  absl::Status EnsureGroups();

  absl::Status Enqueue(const StoredMessage& record, Lane lane, std::optional<absl::Time> not_before,
                       const std::vector<v1::Event>& events = {}) override;
  absl::StatusOr<EnqueueOutcome> EnqueueIdempotent(
      const StoredMessage& record, Lane lane, std::optional<absl::Time> not_before,
      const IdempotencyKey& key, const std::vector<v1::Event>& events = {}) override;
  absl::StatusOr<std::optional<IdempotencyRecord>> FindIdempotencyKey(
      absl::string_view tenant, absl::string_view key) override;
  absl::StatusOr<std::optional<StoredMessage>> Get(absl::string_view tenant,
                                                   absl::string_view id) override;
  absl::StatusOr<std::vector<Lease>> Take(absl::string_view consumer, int max,
                                          absl::Duration block) override;
  absl::Status Complete(const Lease& lease, const StoredMessage& record,
                        const std::vector<v1::Event>& events = {}) override;
  absl::Status Defer(const Lease& lease, const StoredMessage& record, absl::Time retry_at,
                     const std::vector<v1::Event>& events = {}) override;
  absl::StatusOr<int> PromoteDue(absl::Time now, int max) override;
  absl::StatusOr<StoredMessage> Cancel(absl::string_view tenant, absl::string_view id,
                                       const CancelFn& cancel) override;
  absl::StatusOr<std::vector<v1::Event>> ReadEvents(absl::string_view tenant,
                                                    absl::string_view cursor, int max,
                                                    absl::Duration block) override;
  absl::StatusOr<std::string> LatestEventCursor(absl::string_view tenant) override;
  absl::Status Ping() override;

  // Key names, public for tests and tooling.
  std::string MessageKey(absl::string_view tenant, absl::string_view id) const;
  std::string StreamKey(int shard, Lane lane) const;
  std::string ScheduledKey(int shard) const;
  std::string EventStreamKey(int shard, absl::string_view tenant) const;
  std::string IdempotencyKeyName(absl::string_view tenant, absl::string_view key) const;
  // Statistics (queue_stats.h): the tenant's counters hash on a shard, the shard's depth hash
  // (scheduled:t, scheduled:b) and its deferred-recipients-per-destination hash.
  std::string CountersKey(int shard, absl::string_view tenant) const;
  std::string DepthKey(int shard) const;
  std::string DestinationsKey(int shard) const;
  // SCAN pattern matching every tenant's counters hash on every shard.
  std::string CountersPattern() const;
  int shards() const { return options_.shards; }
  static constexpr char kGroupName[] = "workers";
  int ShardOf(absl::string_view id) const;
  int ShardOfIdempotencyKey(absl::string_view tenant, absl::string_view key) const;

 private:
  std::string ShardPrefix(int shard) const;
  absl::StatusOr<EnqueueOutcome> RunEnqueue(const StoredMessage& record, Lane lane,
                                            std::optional<absl::Time> not_before,
                                            const IdempotencyKey* key,
                                            const std::vector<v1::Event>& events);
  absl::StatusOr<std::vector<Lease>> ParseTaken(int shard, const redis::RedisValue& v);
  absl::StatusOr<std::vector<Lease>> TakeFrom(absl::string_view consumer, int shard,
                                              const std::vector<Lane>& lanes, int max);
  absl::StatusOr<std::vector<Lease>> TakeBlocking(absl::string_view consumer, int shard, int max,
                                                  absl::Duration block);
  absl::StatusOr<EventPositions> LatestPositions(absl::string_view tenant);

  redis::RedisClient& redis_;
  redis::HiredisClient* blocking_;
  const RedisQueueOptions options_;
  // Which shard the next blocking read waits on (worker threads may share one queue object).
  std::atomic<int> next_block_shard_{0};
};

}  // namespace kirim

#endif  // KIRIM_SERVER_QUEUE_REDIS_MESSAGE_QUEUE_H_
