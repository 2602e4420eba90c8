// RedisQueueStats: QueueStats read from the keys RedisMessageQueue's scripts maintain (layout in
// redis_message_queue.h). Counters of every tenant are found with SCAN, which is fine for an
// operator's occasional GetMetrics but not for a hot path.
#ifndef KIRIM_SERVER_QUEUE_REDIS_QUEUE_STATS_H_
#define KIRIM_SERVER_QUEUE_REDIS_QUEUE_STATS_H_

#include "server/queue/queue_stats.h"
#include "server/queue/redis_message_queue.h"
#include "server/redis/redis_client.h"

namespace kirim {

class RedisQueueStats final : public QueueStats {
 public:
  // A lease taken over this many times is counted as dead (its message keeps killing workers).
  // Redis counts deliveries, the first one included: dead = deliveries > this.
  static constexpr int kDeadAfterTakeovers = 3;

  RedisQueueStats(redis::RedisClient& redis, const RedisMessageQueue& queue)
      : redis_(redis), queue_(queue) {}

  absl::StatusOr<TenantCounters> Counters(std::optional<std::string> tenant) override;
  absl::StatusOr<std::map<Lane, LaneDepth>> Depth() override;
  absl::StatusOr<std::vector<std::pair<std::string, int64_t>>> Destinations(size_t top) override;
  absl::Status CountRejected(absl::string_view tenant) override;

 private:
  redis::RedisClient& redis_;
  const RedisMessageQueue& queue_;
};

}  // namespace kirim

#endif  // KIRIM_SERVER_QUEUE_REDIS_QUEUE_STATS_H_
