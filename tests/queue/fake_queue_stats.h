// FakeQueueStats: an in-memory QueueStats (server/queue/queue_stats.h) for unit tests of
// GetMetrics and the API. Tests set each tenant's counters, the depth per lane and the deferred
// recipients per destination; Counters(nullopt) sums every tenant like the Redis one. Every call
// is recorded (which tenant was asked, how many destinations), so a test can tell the tenant
// view from the operator view. `set_unavailable(true)` makes every call fail like Redis down.
//
//   testing::FakeQueueStats stats;
//   stats.counters("acme").events["queued"] = 3;
//   stats.counters("acme").accept_to_delivered[2] = 1;
//   AdminApi admin(..., /*controls=*/nullptr, &stats);
//   EXPECT_THAT(stats.counters_asked(), ElementsAre(std::optional<std::string>("acme")));
#ifndef KIRIM_TESTS_QUEUE_FAKE_QUEUE_STATS_H_
#define KIRIM_TESTS_QUEUE_FAKE_QUEUE_STATS_H_

#include <algorithm>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "server/metrics/buckets.h"
#include "server/queue/queue_stats.h"

namespace kirim::testing {

class FakeQueueStats final : public QueueStats {
 public:
  // Zero counters with bucket vectors of the production size (bounds + 1 for +Inf).
  static TenantCounters EmptyCounters() {
    TenantCounters c;
    c.accept_to_delivered.assign(DeliveryLatencyBuckets().size() + 1, 0);
    c.smtp_attempt.assign(SmtpPhaseBuckets().size() + 1, 0);
    return c;
  }

  // --- Setting the figures (not thread-safe against concurrent calls: set them up first) ---

  // The tenant's counters, created empty on first use.
  TenantCounters& counters(const std::string& tenant) {
    auto it = counters_.find(tenant);
    if (it == counters_.end()) it = counters_.emplace(tenant, EmptyCounters()).first;
    return it->second;
  }
  void set_depth(std::map<Lane, LaneDepth> depth) { depth_ = std::move(depth); }
  // Deferred recipients per destination domain, in any order.
  void set_destinations(std::map<std::string, int64_t> destinations) {
    destinations_ = std::move(destinations);
  }
  void set_unavailable(bool unavailable) {
    absl::MutexLock lock(&mu_);
    unavailable_ = unavailable;
  }

  // --- Observations ---

  // The argument of every Counters() call, in order.
  std::vector<std::optional<std::string>> counters_asked() const {
    absl::MutexLock lock(&mu_);
    return counters_asked_;
  }
  int depth_calls() const {
    absl::MutexLock lock(&mu_);
    return depth_calls_;
  }
  // The `top` of every Destinations() call, in order.
  std::vector<size_t> destinations_asked() const {
    absl::MutexLock lock(&mu_);
    return destinations_asked_;
  }

  // --- QueueStats ---

  absl::StatusOr<TenantCounters> Counters(std::optional<std::string> tenant) override {
    absl::MutexLock lock(&mu_);
    counters_asked_.push_back(tenant);
    if (unavailable_) return Unavailable();
    if (tenant.has_value()) {
      auto it = counters_.find(*tenant);
      return it == counters_.end() ? EmptyCounters() : it->second;
    }
    TenantCounters sum = EmptyCounters();
    for (const auto& [name, c] : counters_) {
      for (const auto& [type, n] : c.events) sum.events[type] += n;
      AddInto(c.accept_to_delivered, &sum.accept_to_delivered);
      AddInto(c.smtp_attempt, &sum.smtp_attempt);
    }
    return sum;
  }

  absl::StatusOr<std::map<Lane, LaneDepth>> Depth() override {
    absl::MutexLock lock(&mu_);
    ++depth_calls_;
    if (unavailable_) return Unavailable();
    std::map<Lane, LaneDepth> out = {{Lane::kTransactional, {}}, {Lane::kBulk, {}}};
    for (const auto& [lane, d] : depth_) out[lane] = d;
    return out;
  }

  absl::StatusOr<std::vector<std::pair<std::string, int64_t>>> Destinations(
      size_t top) override {
    absl::MutexLock lock(&mu_);
    destinations_asked_.push_back(top);
    if (unavailable_) return Unavailable();
    std::vector<std::pair<std::string, int64_t>> out;
    for (const auto& [domain, n] : destinations_) {
      if (n > 0) out.emplace_back(domain, n);
    }
    std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) {
      return a.second != b.second ? a.second > b.second : a.first < b.first;
    });
    if (out.size() > top) out.resize(top);
    return out;
  }

  absl::Status CountRejected(absl::string_view tenant) override {
    absl::MutexLock lock(&mu_);
    if (unavailable_) return Unavailable();
    ++counters(std::string(tenant)).events["rejected"];
    return absl::OkStatus();
  }

 private:
  static absl::Status Unavailable() { return absl::UnavailableError("fake: redis is down"); }
  static void AddInto(const std::vector<int64_t>& from, std::vector<int64_t>* to) {
    if (to->size() < from.size()) to->resize(from.size(), 0);
    for (size_t i = 0; i < from.size(); ++i) (*to)[i] += from[i];
  }

  mutable absl::Mutex mu_;
  bool unavailable_ = false;
  std::map<std::string, TenantCounters> counters_;
  std::map<Lane, LaneDepth> depth_;
  std::map<std::string, int64_t> destinations_;
  std::vector<std::optional<std::string>> counters_asked_;
  int depth_calls_ = 0;
  std::vector<size_t> destinations_asked_;
};

}  // namespace kirim::testing

#endif  // KIRIM_TESTS_QUEUE_FAKE_QUEUE_STATS_H_
