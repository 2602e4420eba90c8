// FakeMessageQueue: an in-memory MessageQueue with the same contract as the Redis one
// (atomic enqueue, one lease per message, transactional first, explicit lease expiry), for
// unit tests of the API and the worker. `set_unavailable(true)` makes every call fail like a
// Redis outage.
#ifndef KIRIM_TESTS_QUEUE_FAKE_MESSAGE_QUEUE_H_
#define KIRIM_TESTS_QUEUE_FAKE_MESSAGE_QUEUE_H_

#include <deque>
#include <map>
#include <string>

#include "absl/synchronization/mutex.h"
#include "server/queue/message_queue.h"

namespace kirim::testing {

class FakeMessageQueue final : public MessageQueue {
 public:
  absl::Status Enqueue(const StoredMessage& record, Lane lane,
                       std::optional<absl::Time> not_before) override {
    absl::MutexLock lock(&mu_);
    if (unavailable_) return absl::UnavailableError("fake redis down");
    const Key key{record.tenant(), record.message().id()};
    if (records_.count(key)) return absl::AlreadyExistsError("id taken");
    records_[key] = record;
    if (not_before.has_value()) {
      scheduled_.emplace(*not_before, Entry{lane, key});
    } else {
      Ready(lane).push_back(key);
    }
    return absl::OkStatus();
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

  absl::Status Complete(const Lease& lease, const StoredMessage& record) override {
    absl::MutexLock lock(&mu_);
    if (unavailable_) return absl::UnavailableError("fake redis down");
    records_[Key{lease.tenant, lease.id}] = record;
    leased_.erase(lease.token);
    ++completed_;
    return absl::OkStatus();
  }

  absl::Status Defer(const Lease& lease, const StoredMessage& record, absl::Time retry_at) override {
    absl::MutexLock lock(&mu_);
    if (unavailable_) return absl::UnavailableError("fake redis down");
    records_[Key{lease.tenant, lease.id}] = record;
    leased_.erase(lease.token);
    scheduled_.emplace(retry_at, Entry{lease.lane, Key{lease.tenant, lease.id}});
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

  absl::Status Ping() override {
    absl::MutexLock lock(&mu_);
    return unavailable_ ? absl::UnavailableError("fake redis down") : absl::OkStatus();
  }

  // Test controls.
  void set_unavailable(bool v) {
    absl::MutexLock lock(&mu_);
    unavailable_ = v;
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

 private:
  using Key = std::pair<std::string, std::string>;  // tenant, id
  struct Entry {
    Lane lane;
    Key key;
  };
  std::deque<Key>& Ready(Lane lane) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return lane == Lane::kTransactional ? ready_tx_ : ready_bulk_;
  }

  absl::Mutex mu_;
  bool unavailable_ ABSL_GUARDED_BY(mu_) = false;
  std::map<Key, StoredMessage> records_ ABSL_GUARDED_BY(mu_);
  std::deque<Key> ready_tx_ ABSL_GUARDED_BY(mu_), ready_bulk_ ABSL_GUARDED_BY(mu_);
  std::multimap<absl::Time, Entry> scheduled_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, Entry> leased_ ABSL_GUARDED_BY(mu_);
  int next_token_ ABSL_GUARDED_BY(mu_) = 0;
  int completed_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace kirim::testing

#endif  // KIRIM_TESTS_QUEUE_FAKE_MESSAGE_QUEUE_H_
