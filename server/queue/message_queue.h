// MessageQueue: durable storage and scheduling of accepted messages (the spool and queue of
// KumoMTA/OpenSMTPD, behind one facade so the accept step stays a single atomic write).
//
// Contract:
// - Enqueue stores the record and makes it deliverable in one atomic step: after it returns
//   OK the message survives any process crash (and a Redis restart with AOF); after an error
//   nothing was stored.
// - Lease hands each deliverable message to exactly one worker at a time. A lease that is not
//   completed or deferred within the lease timeout is handed to another worker (the first worker
//   is presumed dead), so delivery is at-least-once.
// - Complete / Defer end a lease; only they remove a message from the ready queue, and only
//   after the worker has recorded the outcome.
// Transactional messages are always leased before bulk ones.
//
//   RedisMessageQueue queue(redis, options);
//   KIRIM_RETURN_IF_ERROR(queue.Enqueue(record, Lane::kTransactional, std::nullopt));
//   for (Lease& l : *queue.Lease("worker-1", 1, absl::Seconds(1))) { ...; queue.Complete(l, r); }
#ifndef KIRIM_SERVER_QUEUE_MESSAGE_QUEUE_H_
#define KIRIM_SERVER_QUEUE_MESSAGE_QUEUE_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "kirim/storage/v1/storage.pb.h"

namespace kirim {

using StoredMessage = ::kirim::storage::v1::StoredMessage;

enum class Lane { kTransactional, kBulk };

absl::string_view LaneName(Lane lane);

// A message held by one worker.
struct Lease {
  Lane lane = Lane::kTransactional;
  std::string tenant;
  std::string id;
  // The queue's handle for this lease (a stream entry id); opaque to callers.
  std::string token;
  StoredMessage record;
};

class MessageQueue {
 public:
  virtual ~MessageQueue() = default;

  // Stores `record` (its message.id and tenant must be set) and queues it, ready now or at
  // `not_before`. AlreadyExists if the id is taken.
  virtual absl::Status Enqueue(const StoredMessage& record, Lane lane,
                               std::optional<absl::Time> not_before) = 0;

  // The record of one of `tenant`'s messages; nullopt if there is none (or it is another
  // tenant's: ids are looked up inside the tenant's own key space).
  virtual absl::StatusOr<std::optional<StoredMessage>> Get(absl::string_view tenant,
                                                           absl::string_view id) = 0;

  // Up to `max` messages for `consumer`, transactional first; waits up to `block` when none is
  // ready. Messages whose lease expired elsewhere are reclaimed here.
  virtual absl::StatusOr<std::vector<Lease>> Take(absl::string_view consumer, int max,
                                                  absl::Duration block) = 0;

  // Records the final state and removes the message from the queue.
  virtual absl::Status Complete(const Lease& lease, const StoredMessage& record) = 0;

  // Records the new state and schedules the message again at `retry_at`.
  virtual absl::Status Defer(const Lease& lease, const StoredMessage& record,
                             absl::Time retry_at) = 0;

  // Makes scheduled messages whose time has come ready. Returns how many moved.
  virtual absl::StatusOr<int> PromoteDue(absl::Time now, int max) = 0;

  // OK when the store is reachable.
  virtual absl::Status Ping() = 0;
};

}  // namespace kirim

#endif  // KIRIM_SERVER_QUEUE_MESSAGE_QUEUE_H_
