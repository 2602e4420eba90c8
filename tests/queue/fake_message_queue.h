// FakeMessageQueue: an in-memory MessageQueue with the same contract as the Redis one
// (atomic enqueue with its events, one lease per message, transactional first, explicit lease
// expiry, idempotency claims, cancellation, a depth limit, a resumable event log), for unit
// tests of the API and the worker. The shared contract suite (message_queue_contract.h) runs
// against both. `set_unavailable(true)` makes every call fail like a Redis outage.
//
//   testing::FakeClock clock;
//   testing::FakeMessageQueue queue(&clock);   // the clock expires idempotency claims
//   queue.set_max_depth(10);
//   MailApi api(queue, ...);
//   queue.events("acme");                     // every event appended for a tenant
#ifndef KIRIM_TESTS_QUEUE_FAKE_MESSAGE_QUEUE_H_
#define KIRIM_TESTS_QUEUE_FAKE_MESSAGE_QUEUE_H_

#include <algorithm>
#include <deque>
#include <map>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "server/common/clock.h"
#include "server/queue/event_cursor.h"
#include "server/queue/message_id.h"
#include "server/queue/message_queue.h"

namespace kirim::testing {

class FakeMessageQueue final : public MessageQueue {
 public:
  // Without a clock, idempotency claims never expire.
  explicit FakeMessageQueue(const Clock* clock = nullptr) : clock_(clock) {}

  absl::Status Enqueue(const StoredMessage& record, Lane lane, std::optional<absl::Time> not_before,
                       const std::vector<v1::Event>& events = {}) override {
    absl::MutexLock lock(&mu_);
    return EnqueueLocked(record, lane, not_before, nullptr, events).status();
  }

  absl::StatusOr<EnqueueOutcome> EnqueueIdempotent(
      const StoredMessage& record, Lane lane, std::optional<absl::Time> not_before,
      const IdempotencyKey& key, const std::vector<v1::Event>& events = {}) override {
    absl::MutexLock lock(&mu_);
    if (ShardSelectorOf(record.message().id()) != ShardSelectorForKey(record.tenant(), key.key)) {
      return absl::InvalidArgumentError(
          "the message id does not carry its idempotency key's shard selector");
    }
    return EnqueueLocked(record, lane, not_before, &key, events);
  }

  absl::StatusOr<std::optional<IdempotencyRecord>> FindIdempotencyKey(
      absl::string_view tenant, absl::string_view key) override {
    absl::MutexLock lock(&mu_);
    if (unavailable_) return absl::UnavailableError("fake redis down");
    const Claim* claim = LiveClaimLocked(tenant, key);
    if (claim == nullptr) return std::optional<IdempotencyRecord>();
    return std::optional<IdempotencyRecord>(claim->record);
  }

  absl::StatusOr<std::optional<StoredMessage>> Get(absl::string_view tenant,
                                                   absl::string_view id) override {
    absl::MutexLock lock(&mu_);
    if (unavailable_) return absl::UnavailableError("fake redis down");
    auto it = records_.find(Key{std::string(tenant), std::string(id)});
    if (it == records_.end()) return std::optional<StoredMessage>();
    return std::optional<StoredMessage>(it->second);
  }

  absl::StatusOr<std::vector<Lease>> Take(absl::string_view consumer, int max,
                                          absl::Duration) override {
    absl::MutexLock lock(&mu_);
    if (unavailable_) return absl::UnavailableError("fake redis down");
    std::vector<Lease> out;
    for (Lane lane : {Lane::kTransactional, Lane::kBulk}) {
      while (static_cast<int>(out.size()) < max && !Ready(lane).empty()) {
        Key key = Ready(lane).front();
        Ready(lane).pop_front();
        Lease l{lane, key.first, key.second, std::to_string(++next_token_), records_[key]};
        leased_[l.token] = Entry{lane, key};
        out.push_back(std::move(l));
      }
    }
    return out;
  }

  absl::Status Complete(const Lease& lease, const StoredMessage& record,
                        const std::vector<v1::Event>& events = {}) override {
    absl::MutexLock lock(&mu_);
    if (unavailable_) return absl::UnavailableError("fake redis down");
    records_[Key{lease.tenant, lease.id}] = record;
    leased_.erase(lease.token);
    ++completed_;
    AppendLocked(lease.tenant, events);
    return absl::OkStatus();
  }

  absl::Status Defer(const Lease& lease, const StoredMessage& record, absl::Time retry_at,
                     const std::vector<v1::Event>& events = {}) override {
    absl::MutexLock lock(&mu_);
    if (unavailable_) return absl::UnavailableError("fake redis down");
    records_[Key{lease.tenant, lease.id}] = record;
    leased_.erase(lease.token);
    scheduled_.emplace(retry_at, Entry{lease.lane, Key{lease.tenant, lease.id}});
    AppendLocked(lease.tenant, events);
    return absl::OkStatus();
  }

  absl::StatusOr<int> PromoteDue(absl::Time now, int max) override {
    absl::MutexLock lock(&mu_);
    if (unavailable_) return absl::UnavailableError("fake redis down");
    int moved = 0;
    while (!scheduled_.empty() && scheduled_.begin()->first <= now && moved < max) {
      Entry e = scheduled_.begin()->second;
      scheduled_.erase(scheduled_.begin());
      Ready(e.lane).push_back(e.key);
      ++moved;
    }
    return moved;
  }

  absl::StatusOr<StoredMessage> Cancel(absl::string_view tenant, absl::string_view id,
                                       const CancelFn& cancel) override {
    absl::MutexLock lock(&mu_);
    if (unavailable_) return absl::UnavailableError("fake redis down");
    const Key key{std::string(tenant), std::string(id)};
    auto it = records_.find(key);
    if (it == records_.end())
      return absl::NotFoundError(absl::StrCat("no message ", MessageName(id)));
    StoredMessage record = it->second;
    absl::StatusOr<std::vector<v1::Event>> events = cancel(record);
    if (!events.ok()) return events.status();
    for (const auto& [token, e] : leased_) {
      if (e.key == key) {
        return absl::FailedPreconditionError(
            "the message is being delivered (a worker holds it) and can no longer be cancelled");
      }
    }
    bool waiting = false;
    for (Lane lane : {Lane::kTransactional, Lane::kBulk}) {
      auto& ready = Ready(lane);
      auto at = std::find(ready.begin(), ready.end(), key);
      if (at != ready.end()) {
        ready.erase(at);
        waiting = true;
      }
    }
    for (auto s = scheduled_.begin(); s != scheduled_.end();) {
      if (s->second.key == key) {
        s = scheduled_.erase(s);
        waiting = true;
      } else {
        ++s;
      }
    }
    if (!waiting) {
      return absl::FailedPreconditionError(
          "the message is not waiting in the queue (it is being delivered) and cannot be "
          "cancelled");
    }
    it->second = record;
    AppendLocked(record.tenant(), *events);
    return record;
  }

  absl::StatusOr<std::vector<v1::Event>> ReadEvents(absl::string_view tenant,
                                                    absl::string_view cursor, int max,
                                                    absl::Duration block) override {
    absl::MutexLock lock(&mu_);
    if (unavailable_) return absl::UnavailableError("fake redis down");
    const std::string t(tenant);
    uint64_t after = 0;
    if (cursor.empty()) {
      after = LastSeqLocked(t);
    } else {
      absl::StatusOr<EventPositions> p = DecodeEventCursor(cursor, 1);
      if (!p.ok()) return p.status();
      after = (*p)[0].ms;
    }
    if (trimmed_through_[t] > after) {
      return absl::OutOfRangeError(
          "cursor: events after it were already removed by retention; start again with an empty "
          "cursor (and reconcile with GetMessage)");
    }
    max = std::clamp(max, 0, 1000);
    if (max == 0) return std::vector<v1::Event>{};
    if (block > absl::ZeroDuration()) {
      struct Arrived {
        FakeMessageQueue* q;
        const std::string* tenant;
        uint64_t after;
        bool operator()() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(q->mu_) {
          return q->unavailable_ || q->LastSeqLocked(*tenant) > after;
        }
      } arrived{this, &t, after};
      mu_.AwaitWithTimeout(absl::Condition(&arrived), block);
      if (unavailable_) return absl::UnavailableError("fake redis down");
    }
    std::vector<v1::Event> out;
    for (const auto& [seq, event] : events_[t]) {
      if (seq <= after) continue;
      if (static_cast<int>(out.size()) >= max) break;
      out.push_back(event);
      out.back().set_cursor(EncodeEventCursor({StreamId{seq, 0}}));
    }
    return out;
  }

  absl::StatusOr<std::string> LatestEventCursor(absl::string_view tenant) override {
    absl::MutexLock lock(&mu_);
    if (unavailable_) return absl::UnavailableError("fake redis down");
    return EncodeEventCursor({StreamId{LastSeqLocked(std::string(tenant)), 0}});
  }

  absl::Status Ping() override {
    absl::MutexLock lock(&mu_);
    return unavailable_ ? absl::UnavailableError("fake redis down") : absl::OkStatus();
  }

  // Test controls.
  void set_unavailable(bool v) {
    absl::MutexLock lock(&mu_);
    unavailable_ = v;
  }
  // Every Enqueue fails with `error` and stores nothing (OK = off), e.g. Redis out of memory.
  void set_enqueue_error(absl::Status error) {
    absl::MutexLock lock(&mu_);
    enqueue_error_ = std::move(error);
  }
  // Enqueue refuses once ready + leased + scheduled reaches this (0 = no limit).
  void set_max_depth(int64_t depth) {
    absl::MutexLock lock(&mu_);
    max_depth_ = depth;
  }
  // Each tenant keeps only its newest `n` events (0 = all).
  void set_event_stream_max_len(size_t n) {
    absl::MutexLock lock(&mu_);
    event_max_len_ = n;
  }
  // Every held lease expires: its message is ready again (as if its worker died).
  void ExpireLeases() {
    absl::MutexLock lock(&mu_);
    for (auto& [token, e] : leased_) Ready(e.lane).push_front(e.key);
    leased_.clear();
  }
  size_t ready_count() {
    absl::MutexLock lock(&mu_);
    return ready_tx_.size() + ready_bulk_.size();
  }
  size_t scheduled_count() {
    absl::MutexLock lock(&mu_);
    return scheduled_.size();
  }
  size_t record_count() {
    absl::MutexLock lock(&mu_);
    return records_.size();
  }
  int completed() {
    absl::MutexLock lock(&mu_);
    return completed_;
  }
  // The tenant's retained events, oldest first, with their cursors.
  std::vector<v1::Event> events(const std::string& tenant) {
    absl::MutexLock lock(&mu_);
    std::vector<v1::Event> out;
    for (const auto& [seq, event] : events_[tenant]) {
      out.push_back(event);
      out.back().set_cursor(EncodeEventCursor({StreamId{seq, 0}}));
    }
    return out;
  }

 private:
  using Key = std::pair<std::string, std::string>;  // tenant, id
  struct Entry {
    Lane lane;
    Key key;
  };
  struct Claim {
    IdempotencyRecord record;
    absl::Time expires = absl::InfiniteFuture();
  };

  std::deque<Key>& Ready(Lane lane) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return lane == Lane::kTransactional ? ready_tx_ : ready_bulk_;
  }

  const Claim* LiveClaimLocked(absl::string_view tenant, absl::string_view key)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    auto it = claims_.find(Key{std::string(tenant), std::string(key)});
    if (it == claims_.end()) return nullptr;
    if (clock_ != nullptr && clock_->Now() >= it->second.expires) {
      claims_.erase(it);
      return nullptr;
    }
    return &it->second;
  }

  absl::StatusOr<EnqueueOutcome> EnqueueLocked(const StoredMessage& record, Lane lane,
                                               std::optional<absl::Time> not_before,
                                               const IdempotencyKey* idem,
                                               const std::vector<v1::Event>& events)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (unavailable_) return absl::UnavailableError("fake redis down");
    if (!enqueue_error_.ok()) return enqueue_error_;
    if (idem != nullptr) {
      if (const Claim* claim = LiveClaimLocked(record.tenant(), idem->key)) {
        return EnqueueOutcome{true, claim->record};
      }
    }
    const Key key{record.tenant(), record.message().id()};
    if (records_.count(key)) return absl::AlreadyExistsError("id taken");
    const int64_t depth = static_cast<int64_t>(ready_tx_.size() + ready_bulk_.size() +
                                               scheduled_.size() + leased_.size());
    if (max_depth_ > 0 && depth >= max_depth_) {
      return absl::ResourceExhaustedError(
          absl::StrCat("queue full: ", depth, " messages waiting (limit ", max_depth_, ")"));
    }
    records_[key] = record;
    if (not_before.has_value()) {
      scheduled_.emplace(*not_before, Entry{lane, key});
    } else {
      Ready(lane).push_back(key);
    }
    if (idem != nullptr) {
      Claim& claim = claims_[Key{record.tenant(), idem->key}];
      claim.record = IdempotencyRecord{record.message().id(), idem->request_hash};
      claim.expires = clock_ == nullptr ? absl::InfiniteFuture() : clock_->Now() + idem->window;
    }
    AppendLocked(record.tenant(), events);
    return EnqueueOutcome{};
  }

  void AppendLocked(const std::string& tenant, const std::vector<v1::Event>& events)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    auto& log = events_[tenant];
    for (const v1::Event& e : events) {
      log.emplace_back(++next_seq_, e);
      log.back().second.clear_cursor();
    }
    while (event_max_len_ > 0 && log.size() > event_max_len_) {
      trimmed_through_[tenant] = log.front().first;
      log.pop_front();
    }
  }

  uint64_t LastSeqLocked(const std::string& tenant) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    auto it = events_.find(tenant);
    if (it != events_.end() && !it->second.empty()) return it->second.back().first;
    auto t = trimmed_through_.find(tenant);
    return t == trimmed_through_.end() ? 0 : t->second;
  }

  const Clock* const clock_;
  absl::Mutex mu_;
  bool unavailable_ ABSL_GUARDED_BY(mu_) = false;
  int64_t max_depth_ ABSL_GUARDED_BY(mu_) = 0;
  absl::Status enqueue_error_ ABSL_GUARDED_BY(mu_);
  size_t event_max_len_ ABSL_GUARDED_BY(mu_) = 0;
  std::map<Key, StoredMessage> records_ ABSL_GUARDED_BY(mu_);
  std::deque<Key> ready_tx_ ABSL_GUARDED_BY(mu_), ready_bulk_ ABSL_GUARDED_BY(mu_);
  std::multimap<absl::Time, Entry> scheduled_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, Entry> leased_ ABSL_GUARDED_BY(mu_);
  std::map<Key, Claim> claims_ ABSL_GUARDED_BY(mu_);  // (tenant, idempotency key)
  // Per tenant: (sequence, event); sequences are global and only grow, like stream ids.
  std::map<std::string, std::deque<std::pair<uint64_t, v1::Event>>> events_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, uint64_t> trimmed_through_ ABSL_GUARDED_BY(mu_);
  uint64_t next_seq_ ABSL_GUARDED_BY(mu_) = 0;
  int next_token_ ABSL_GUARDED_BY(mu_) = 0;
  int completed_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace kirim::testing

#endif  // KIRIM_TESTS_QUEUE_FAKE_MESSAGE_QUEUE_H_
