#include "server/queue/queue_controls.h"

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "server/common/status_macros.h"

namespace kirim {
namespace {

std::string Millis(absl::Time t) { return std::to_string(absl::ToUnixMillis(t)); }

std::string DomainOfAddress(absl::string_view a) {
  size_t at = a.rfind('@');
  return absl::AsciiStrToLower(at == absl::string_view::npos ? "" : a.substr(at + 1));
}

}  // namespace

std::string RedisQueueControls::PausedKey(const std::string& tenant) const {
  return absl::StrCat(prefix_, ":{ctl:", tenant, "}:paused");
}

absl::Status RedisQueueControls::Pause(const std::string& tenant, const std::string& domain) {
  return redis_.Command({"SADD", PausedKey(tenant), absl::AsciiStrToLower(domain)}).status();
}

absl::StatusOr<bool> RedisQueueControls::Resume(const std::string& tenant,
                                                const std::string& domain) {
  KIRIM_ASSIGN_OR_RETURN(redis::RedisValue v,
                         redis_.Command({"SREM", PausedKey(tenant), absl::AsciiStrToLower(domain)}));
  return v.integer > 0;
}

absl::StatusOr<std::set<std::string>> RedisQueueControls::Paused(const std::string& tenant) {
  KIRIM_ASSIGN_OR_RETURN(redis::RedisValue v, redis_.Command({"SMEMBERS", PausedKey(tenant)}));
  std::set<std::string> out;
  for (const auto& e : v.elements) out.insert(e.str);
  return out;
}

absl::StatusOr<int> RedisQueueControls::RetryMessage(const std::string& tenant,
                                                     const std::string& id, absl::Time now) {
  // XX CH: only moves a member that is already scheduled (either lane), never adds one.
  const std::string key = queue_.ScheduledKey(queue_.ShardOf(id));
  KIRIM_ASSIGN_OR_RETURN(redis::RedisValue v,
                         redis_.Command({"ZADD", key, "XX", "CH", Millis(now),
                                         absl::StrCat("t|", tenant, "|", id), Millis(now),
                                         absl::StrCat("b|", tenant, "|", id)}));
  return static_cast<int>(v.integer);
}

absl::Status RedisQueueControls::ForEachScheduled(
    const std::string& tenant, int max_scan,
    const std::function<absl::Status(const std::string&, const std::string&,
                                     const std::set<std::string>&)>& each) {
  const std::string tenant_part = absl::StrCat("|", tenant, "|");
  for (int shard = 0; shard < shards_; ++shard) {
    const std::string key = queue_.ScheduledKey(shard);
    KIRIM_ASSIGN_OR_RETURN(redis::RedisValue members,
                           redis_.Command({"ZRANGE", key, "0", std::to_string(max_scan - 1)}));
    std::vector<std::string> mine;
    std::vector<redis::Argv> gets;
    for (const auto& m : members.elements) {
      // Member "<lane>|<tenant>|<id>": only this tenant's messages.
      if (m.str.size() < 3 || m.str.compare(1, tenant_part.size(), tenant_part) != 0) continue;
      const std::string id = m.str.substr(1 + tenant_part.size());
      mine.push_back(m.str);
      gets.push_back({"HGET", queue_.MessageKey(tenant, id), "r"});
    }
    KIRIM_ASSIGN_OR_RETURN(std::vector<redis::RedisValue> records, redis_.Pipeline(gets));
    for (size_t i = 0; i < records.size(); ++i) {
      StoredMessage record;
      if (records[i].is_nil() || !record.ParseFromString(records[i].str)) continue;
      std::set<std::string> domains;
      for (const auto& r : record.message().recipients()) {
        if (r.state() == v1::RECIPIENT_PENDING || r.state() == v1::RECIPIENT_DEFERRED) {
          domains.insert(DomainOfAddress(r.address()));
        }
      }
      if (!domains.empty()) KIRIM_RETURN_IF_ERROR(each(key, mine[i], domains));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<int> RedisQueueControls::RetryDestination(const std::string& tenant,
                                                         const std::string& domain,
                                                         absl::Time now, int max_scan) {
  const std::string want = absl::AsciiStrToLower(domain);
  int moved = 0;
  KIRIM_RETURN_IF_ERROR(ForEachScheduled(
      tenant, max_scan,
      [&](const std::string& key, const std::string& member,
          const std::set<std::string>& domains) -> absl::Status {
        if (domains.count(want) == 0) return absl::OkStatus();
        KIRIM_ASSIGN_OR_RETURN(redis::RedisValue v,
                               redis_.Command({"ZADD", key, "XX", "CH", Millis(now), member}));
        moved += static_cast<int>(v.integer);
        return absl::OkStatus();
      }));
  return moved;
}

absl::StatusOr<std::map<std::string, int64_t>> RedisQueueControls::Waiting(
    const std::string& tenant, int max_scan) {
  std::map<std::string, int64_t> waiting;
  KIRIM_RETURN_IF_ERROR(ForEachScheduled(
      tenant, max_scan,
      [&](const std::string&, const std::string&, const std::set<std::string>& domains) {
        for (const std::string& d : domains) ++waiting[d];
        return absl::OkStatus();
      }));
  return waiting;
}

}  // namespace kirim
