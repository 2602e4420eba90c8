// QueueControls: what an operator does to a tenant's queue — pause and resume delivery to a
// destination domain (its mail stays queued, deferred with "4.3.2 paused"), and make deferred
// mail due now ("retry now") for one message or one destination. Tenant-scoped like
// everything else: pausing gmail.com for one tenant leaves the others' mail alone.
//
//   controls.Pause("acme", "gmail.com");
//   absl::StatusOr<int> n = controls.RetryMessage("acme", id, clock.Now());
#ifndef KIRIM_SERVER_QUEUE_QUEUE_CONTROLS_H_
#define KIRIM_SERVER_QUEUE_QUEUE_CONTROLS_H_

#include <functional>
#include <map>
#include <set>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "server/queue/redis_message_queue.h"

namespace kirim {

class QueueControls {
 public:
  virtual ~QueueControls() = default;
  virtual absl::Status Pause(const std::string& tenant, const std::string& domain) = 0;
  // True if it was paused.
  virtual absl::StatusOr<bool> Resume(const std::string& tenant, const std::string& domain) = 0;
  virtual absl::StatusOr<std::set<std::string>> Paused(const std::string& tenant) = 0;
  // Makes a scheduled (deferred or send_at) message due at `now`; returns 1, or 0 when it was
  // not waiting.
  virtual absl::StatusOr<int> RetryMessage(const std::string& tenant, const std::string& id,
                                           absl::Time now) = 0;
  // Makes every scheduled message of the tenant with a recipient at `domain` due at `now`
  // (looks at up to `max_scan` scheduled messages per shard); returns how many.
  virtual absl::StatusOr<int> RetryDestination(const std::string& tenant, const std::string& domain,
                                               absl::Time now, int max_scan = 100000) = 0;
  // The tenant's scheduled (deferred, held for a pause, or send_at) messages per destination
  // domain of a recipient still waiting, from up to `max_scan` scheduled messages per shard.
  virtual absl::StatusOr<std::map<std::string, int64_t>> Waiting(const std::string& tenant,
                                                                 int max_scan = 100000) = 0;
};

class RedisQueueControls final : public QueueControls {
 public:
  RedisQueueControls(redis::RedisClient& redis, const RedisMessageQueue& queue, int shards,
                     std::string key_prefix = "kirim")
      : redis_(redis), queue_(queue), shards_(shards), prefix_(std::move(key_prefix)) {}

  absl::Status Pause(const std::string& tenant, const std::string& domain) override;
  absl::StatusOr<bool> Resume(const std::string& tenant, const std::string& domain) override;
  absl::StatusOr<std::set<std::string>> Paused(const std::string& tenant) override;
  absl::StatusOr<int> RetryMessage(const std::string& tenant, const std::string& id,
                                   absl::Time now) override;
  absl::StatusOr<int> RetryDestination(const std::string& tenant, const std::string& domain,
                                       absl::Time now, int max_scan) override;
  absl::StatusOr<std::map<std::string, int64_t>> Waiting(const std::string& tenant,
                                                         int max_scan) override;

  std::string PausedKey(const std::string& tenant) const;

 private:
  // Calls `each` with (scheduled key, member, the domains of its waiting recipients) for each
  // of the tenant's scheduled messages among the first `max_scan` of every shard.
  absl::Status ForEachScheduled(
      const std::string& tenant, int max_scan,
      const std::function<absl::Status(const std::string& key, const std::string& member,
                                       const std::set<std::string>& domains)>& each);

  redis::RedisClient& redis_;
  const RedisMessageQueue& queue_;
  const int shards_;
  const std::string prefix_;
};

}  // namespace kirim

#endif  // KIRIM_SERVER_QUEUE_QUEUE_CONTROLS_H_
