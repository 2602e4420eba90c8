// MessageQueue: durable storage and scheduling of accepted messages (the spool and queue of
// KumoMTA/OpenSMTPD, behind one facade so the accept step stays a single atomic write), and
// the per-tenant event log that records every state change.
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
// - Cancel takes a message that is waiting (ready but not leased, or scheduled) out of the
//   queue for good; a leased message cannot be cancelled.
// - Events: every call that changes a message (Enqueue, Complete, Defer, Cancel) appends the
//   events it is given in the same atomic step as the change, so the log has no lost and no
//   phantom events. ReadEvents resumes from any event's cursor with every later event of the
//   tenant exactly once (until retention trims them; see the implementation).
// Transactional messages are always leased before bulk ones.
//
//   RedisMessageQueue queue(redis, options);
//   KIRIM_RETURN_IF_ERROR(queue.Enqueue(record, Lane::kTransactional, std::nullopt, {queued}));
//   for (Lease& l : *queue.Take("w-1", 1, absl::Seconds(1))) { ...; queue.Complete(l, r, ev); }
//   auto events = queue.ReadEvents("acme", cursor, 100, absl::Seconds(1));
#ifndef KIRIM_SERVER_QUEUE_MESSAGE_QUEUE_H_
#define KIRIM_SERVER_QUEUE_MESSAGE_QUEUE_H_

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "kirim/storage/v1/storage.pb.h"
#include "kirim/v1/message.pb.h"

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

// An idempotency key to claim with EnqueueIdempotent.
struct IdempotencyKey {
  // The caller's key (any bytes).
  std::string key;
  // What the key was used for (the API's request hash); compared by the caller, not the queue.
  std::string request_hash;
  // How long the key is remembered after its message was accepted.
  absl::Duration window = absl::Hours(24);
};

// The message an idempotency key names.
struct IdempotencyRecord {
  std::string id;
  std::string request_hash;
};

struct EnqueueOutcome {
  // False: the message was stored and queued. True: the key was already claimed; nothing was
  // stored and `existing` names the earlier message.
  bool deduplicated = false;
  IdempotencyRecord existing;
};

// Decides a cancellation from the message's current record: edits it into its cancelled form
// and returns the events to append, or an error (e.g. FailedPrecondition) to refuse.
using CancelFn = std::function<absl::StatusOr<std::vector<v1::Event>>(StoredMessage& record)>;

class MessageQueue {
 public:
  virtual ~MessageQueue() = default;

  // Stores `record` (its message.id and tenant must be set) and queues it, ready now or at
  // `not_before`, and appends `events` (the caller fills type, message, time, ...; the queue
  // sets `cursor`) to the tenant's event log. AlreadyExists if the id is taken;
  // ResourceExhausted (and nothing stored) when the queue is at its configured depth.
  virtual absl::Status Enqueue(const StoredMessage& record, Lane lane,
                               std::optional<absl::Time> not_before,
                               const std::vector<v1::Event>& events = {}) = 0;

  // Enqueue under an idempotency key, in the same atomic step: if `key` is unclaimed for the
  // tenant it is claimed (for key.window) for this record's id and the record is enqueued as by
  // Enqueue; if it is claimed nothing is stored and the outcome names the earlier message.
  // The record's id must carry ShardSelectorForKey(tenant, key.key) (see message_id.h), so the
  // claim and the message share a shard; InvalidArgument otherwise.
  virtual absl::StatusOr<EnqueueOutcome> EnqueueIdempotent(
      const StoredMessage& record, Lane lane, std::optional<absl::Time> not_before,
      const IdempotencyKey& key, const std::vector<v1::Event>& events = {}) = 0;

  // The claim of an idempotency key, if any (a plain read: check before charging; the claim
  // itself is settled by EnqueueIdempotent).
  virtual absl::StatusOr<std::optional<IdempotencyRecord>> FindIdempotencyKey(
      absl::string_view tenant, absl::string_view key) = 0;

  // The record of one of `tenant`'s messages; nullopt if there is none (or it is another
  // tenant's: ids are looked up inside the tenant's own key space).
  virtual absl::StatusOr<std::optional<StoredMessage>> Get(absl::string_view tenant,
                                                           absl::string_view id) = 0;

  // Up to `max` messages for `consumer`, transactional first; waits up to `block` when none is
  // ready. Messages whose lease expired elsewhere are reclaimed here; cancelled ones are dropped.
  virtual absl::StatusOr<std::vector<Lease>> Take(absl::string_view consumer, int max,
                                                  absl::Duration block) = 0;

  // Records the final state, removes the message from the queue and appends `events`.
  virtual absl::Status Complete(const Lease& lease, const StoredMessage& record,
                                const std::vector<v1::Event>& events = {}) = 0;

  // Records the new state, schedules the message again at `retry_at` and appends `events`.
  virtual absl::Status Defer(const Lease& lease, const StoredMessage& record, absl::Time retry_at,
                             const std::vector<v1::Event>& events = {}) = 0;

  // Makes scheduled messages whose time has come ready. Returns how many moved.
  virtual absl::StatusOr<int> PromoteDue(absl::Time now, int max) = 0;

  // Cancels one of `tenant`'s waiting messages: `cancel` edits the current record, then, in one
  // atomic step, the edited record is stored, the message leaves the ready queue or the
  // scheduled set, and the returned events are appended. Returns the stored record. NotFound
  // for no such message (or another tenant's); FailedPrecondition when a worker holds its lease
  // (it is being delivered) or it is not waiting; whatever `cancel` returns when it refuses.
  virtual absl::StatusOr<StoredMessage> Cancel(absl::string_view tenant, absl::string_view id,
                                               const CancelFn& cancel) = 0;

  // Up to `max` of `tenant`'s events after `cursor` (an Event.cursor; empty = from now), oldest
  // first, each with the cursor that resumes right after it; waits up to `block` when there is
  // none. InvalidArgument for a malformed cursor; OutOfRange when events after the cursor were
  // already trimmed by retention. `max` = 0 only checks the cursor. An entry that cannot be
  // read comes back as a bare TYPE_UNSPECIFIED event (with its cursor): readers skip those.
  virtual absl::StatusOr<std::vector<v1::Event>> ReadEvents(absl::string_view tenant,
                                                            absl::string_view cursor, int max,
                                                            absl::Duration block) = 0;

  // A cursor positioned after `tenant`'s latest event: reading from it returns only later ones.
  virtual absl::StatusOr<std::string> LatestEventCursor(absl::string_view tenant) = 0;

  // OK when the store is reachable.
  virtual absl::Status Ping() = 0;
};

}  // namespace kirim

#endif  // KIRIM_SERVER_QUEUE_MESSAGE_QUEUE_H_
