#include "server/queue/redis_queue_stats.h"

#include <algorithm>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/strip.h"
#include "server/common/status_macros.h"
#include "server/metrics/buckets.h"

namespace kirim {
namespace {

using redis::RedisValue;

int64_t Int(const RedisValue& v) {
  if (v.type == RedisValue::Type::kInteger) return v.integer;
  int64_t out = 0;
  return absl::SimpleAtoi(v.str, &out) ? out : 0;
}

// Adds one HGETALL reply (field, value, ...) of a counters hash into `c`.
void AddCounters(const RedisValue& hash, TenantCounters* c) {
  for (size_t i = 0; i + 1 < hash.elements.size(); i += 2) {
    absl::string_view field = hash.elements[i].str;
    const int64_t value = Int(hash.elements[i + 1]);
    size_t bucket = 0;
    if (absl::ConsumePrefix(&field, "lat:") && absl::SimpleAtoi(field, &bucket)) {
      if (bucket < c->accept_to_delivered.size()) c->accept_to_delivered[bucket] += value;
    } else if (absl::ConsumePrefix(&field, "smtp:") && absl::SimpleAtoi(field, &bucket)) {
      if (bucket < c->smtp_attempt.size()) c->smtp_attempt[bucket] += value;
    } else {
      c->events[std::string(field)] += value;
    }
  }
}

}  // namespace

absl::StatusOr<TenantCounters> RedisQueueStats::Counters(std::optional<std::string> tenant) {
  TenantCounters out;
  out.accept_to_delivered.assign(DeliveryLatencyBuckets().size() + 1, 0);
  out.smtp_attempt.assign(SmtpPhaseBuckets().size() + 1, 0);
  std::vector<std::string> keys;
  if (tenant.has_value()) {
    for (int s = 0; s < queue_.shards(); ++s) keys.push_back(queue_.CountersKey(s, *tenant));
  } else {
    std::string cursor = "0";
    do {
      KIRIM_ASSIGN_OR_RETURN(RedisValue page,
                             redis_.Command({"SCAN", cursor, "MATCH", queue_.CountersPattern(),
                                             "COUNT", "1000", "TYPE", "hash"}));
      if (page.elements.size() != 2) return absl::InternalError("SCAN: unexpected reply");
      cursor = page.elements[0].str;
      for (const RedisValue& k : page.elements[1].elements) keys.push_back(k.str);
    } while (cursor != "0");
  }
  if (keys.empty()) return out;
  std::vector<redis::Argv> reads;
  for (const std::string& k : keys) reads.push_back({"HGETALL", k});
  KIRIM_ASSIGN_OR_RETURN(std::vector<RedisValue> hashes, redis_.Pipeline(reads));
  for (const RedisValue& h : hashes) AddCounters(h, &out);
  return out;
}

absl::StatusOr<std::map<Lane, LaneDepth>> RedisQueueStats::Depth() {
  std::map<Lane, LaneDepth> out = {{Lane::kTransactional, {}}, {Lane::kBulk, {}}};
  for (int s = 0; s < queue_.shards(); ++s) {
    std::vector<redis::Argv> reads = {{"HMGET", queue_.DepthKey(s), "scheduled:t", "scheduled:b"}};
    for (Lane lane : {Lane::kTransactional, Lane::kBulk}) reads.push_back({"XLEN", queue_.StreamKey(s, lane)});
    KIRIM_ASSIGN_OR_RETURN(std::vector<RedisValue> replies, redis_.Pipeline(reads));
    const RedisValue& depth = replies[0];
    for (int l = 0; l < 2; ++l) {
      const Lane lane = l == 0 ? Lane::kTransactional : Lane::kBulk;
      LaneDepth& d = out[lane];
      if (depth.elements.size() == 2) d.scheduled += std::max<int64_t>(0, Int(depth.elements[l]));
      const int64_t length = Int(replies[1 + l]);
      // Extended form: {id, consumer, idle ms, deliveries} per leased entry (in flight is at
      // most one per worker thread, so this stays small). Without the group (never created,
      // or Redis lost it) nothing is leased.
      int64_t leased = 0;
      absl::StatusOr<RedisValue> pending = redis_.Command(
          {"XPENDING", queue_.StreamKey(s, lane), RedisMessageQueue::kGroupName, "-", "+", "10000"});
      if (pending.ok()) {
        leased = static_cast<int64_t>(pending->elements.size());
        for (const RedisValue& e : pending->elements) {
          if (e.elements.size() == 4 && Int(e.elements[3]) > kDeadAfterTakeovers) ++d.dead;
        }
      } else if (!absl::StrContains(pending.status().message(), "NOGROUP")) {
        return pending.status();
      }
      d.in_flight += leased;
      d.ready += std::max<int64_t>(0, length - leased);
    }
  }
  return out;
}

absl::StatusOr<std::vector<std::pair<std::string, int64_t>>> RedisQueueStats::Destinations(
    size_t top) {
  std::map<std::string, int64_t> sum;
  for (int s = 0; s < queue_.shards(); ++s) {
    KIRIM_ASSIGN_OR_RETURN(RedisValue h, redis_.Command({"HGETALL", queue_.DestinationsKey(s)}));
    for (size_t i = 0; i + 1 < h.elements.size(); i += 2) {
      sum[h.elements[i].str] += Int(h.elements[i + 1]);
    }
  }
  std::vector<std::pair<std::string, int64_t>> out;
  for (auto& [domain, n] : sum) {
    if (n > 0) out.emplace_back(domain, n);
  }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) {
    return a.second != b.second ? a.second > b.second : a.first < b.first;
  });
  if (out.size() > top) out.resize(top);
  return out;
}

absl::Status RedisQueueStats::CountRejected(absl::string_view tenant) {
  return redis_.Command({"HINCRBY", queue_.CountersKey(0, tenant), "rejected", "1"}).status();
}

}  // namespace kirim
