// RedisMessageQueue: MessageQueue on Redis Streams with one consumer group.
//
// Key layout (every key of one shard shares the hash tag `{sN}`, so a Lua script only touches
// one Redis Cluster slot and shards can later spread over a cluster):
//   <prefix>:{sN}:t:<tenant>:m:<id>   hash  r = serialized StoredMessage
//   <prefix>:{sN}:ready:tx            stream of ready transactional messages, field ref=<tenant>|<id>
//   <prefix>:{sN}:ready:bulk          stream of ready bulk messages
//   <prefix>:{sN}:scheduled           zset, score = due time (Unix ms), member <lane>|<tenant>|<id>
// A message's shard is a hash of its id, so it never moves. Every state change is one Lua script:
// a crash between two steps cannot lose or duplicate a queue entry.
//
// A lease is a pending entry of the consumer group; Complete/Defer XACK and XDEL it. Entries
// pending longer than the lease timeout are taken over with XAUTOCLAIM.
#ifndef KIRIM_SERVER_QUEUE_REDIS_MESSAGE_QUEUE_H_
#define KIRIM_SERVER_QUEUE_REDIS_MESSAGE_QUEUE_H_

#include <string>

#include "server/queue/message_queue.h"
#include "server/redis/redis_client.h"

namespace kirim {

struct RedisQueueOptions {
  // Prefix of every key.
  std::string key_prefix = "kirim";
  // Number of shards; fixed for the life of the data (ids hash onto it).
  int shards = 1;
  // A lease older than this is presumed dead and reclaimed.
  absl::Duration lease_timeout = absl::Minutes(15);
  // How long finished messages stay readable by GetMessage (0 = forever).
  absl::Duration retention = absl::Hours(24 * 7);
};

class RedisMessageQueue final : public MessageQueue {
 public:
  // `blocking` runs the blocking XREADGROUP (it owns a deadline longer than a normal command);
  // both may be the same client.
  RedisMessageQueue(redis::RedisClient& redis, redis::HiredisClient* blocking,
                    RedisQueueOptions options);

  // Creates the consumer groups (idempotent). Call at start; Take also recreates them if Redis
  // lost them.
  absl::Status EnsureGroups();

  absl::Status Enqueue(const StoredMessage& record, Lane lane,
                       std::optional<absl::Time> not_before) override;
  absl::StatusOr<std::optional<StoredMessage>> Get(absl::string_view tenant,
                                                   absl::string_view id) override;
  absl::StatusOr<std::vector<Lease>> Take(absl::string_view consumer, int max,
                                          absl::Duration block) override;
  absl::Status Complete(const Lease& lease, const StoredMessage& record) override;
  absl::Status Defer(const Lease& lease, const StoredMessage& record,
                     absl::Time retry_at) override;
  absl::StatusOr<int> PromoteDue(absl::Time now, int max) override;
  absl::Status Ping() override;

  // Key names, public for tests and tooling.
  std::string MessageKey(absl::string_view tenant, absl::string_view id) const;
  std::string StreamKey(int shard, Lane lane) const;
  std::string ScheduledKey(int shard) const;
  int ShardOf(absl::string_view id) const;

 private:
  std::string ShardPrefix(int shard) const;
  absl::StatusOr<std::vector<Lease>> ParseTaken(int shard, const redis::RedisValue& v);
  absl::StatusOr<std::vector<Lease>> TakeFrom(absl::string_view consumer, int shard,
                                              const std::vector<Lane>& lanes, int max);
  absl::StatusOr<std::vector<Lease>> TakeBlocking(absl::string_view consumer, int shard, int max,
                                                  absl::Duration block);

  redis::RedisClient& redis_;
  redis::HiredisClient* blocking_;
  const RedisQueueOptions options_;
  // Which shard the next blocking read waits on (worker threads each own a queue object).
  int next_block_shard_ = 0;
};

}  // namespace kirim

#endif  // KIRIM_SERVER_QUEUE_REDIS_MESSAGE_QUEUE_H_
