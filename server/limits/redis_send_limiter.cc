#include "server/limits/redis_send_limiter.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "server/common/status_macros.h"
#include "server/limits/limit_rules.h"

namespace kirim {
namespace {

using redis::RedisValue;

// A full bucket needs no key; a partial one lives until it would be full again plus this
// slack, which covers clock skew between the replicas (whose clocks date the refill) and Redis
// (whose clock runs the TTL): expiring early would hand out a full bucket too soon.
constexpr int64_t kBucketTtlSlackMs = 24 * 3600 * 1000;
// Beyond this a bucket refills so slowly that it is kept without a TTL.
constexpr int64_t kMaxBucketTtlMs = int64_t{400} * 24 * 3600 * 1000;
// A day's counter outlives its day on every replica, skew included.
constexpr int64_t kDayKeyTtlSeconds = 2 * 24 * 3600;

// One script for all three operations, so the bucket arithmetic exists once in Lua. It mirrors
// limit_rules::ViewBucket expression for expression (same doubles, same rounding); the caller
// then builds the decision with limit_rules::Decide from the state returned here, which is the
// state before any change.
// KEYS: bucket hash, counter of the caller's UTC day.
// ARGV: op ('acquire' | 'release' | 'peek'), now (Unix ms), refill (micro-tokens per ms, '0' =
//   no rate limit), capacity (micro-tokens), daily quota ('0' = none), cost (recipients), cost
//   (micro-tokens), bucket TTL slack ms, max bucket TTL ms, day key TTL s, max wait ms.
// Returns {changed 0/1, available micro-tokens (-1 = no rate limit), wait ms, used today}.
constexpr char kLimitScript[] = R"lua(
local op = ARGV[1]
local now = tonumber(ARGV[2])
local per_ms = tonumber(ARGV[3])
local cap = tonumber(ARGV[4])
local quota = tonumber(ARGV[5])
local cost = tonumber(ARGV[6])
local need = tonumber(ARGV[7])
-- Redis would format a Lua number with %.14g ("1e+15"); counts must go out as integers.
local function int(n) return string.format('%d', n) end

local avail, wait, have, last = -1, 0, cap, now
if per_ms > 0 then
  local s = redis.call('HMGET', KEYS[1], 'tokens', 'ts')
  if s[1] and s[2] then have = tonumber(s[1]); last = tonumber(s[2]) end
  avail = math.min(cap, have + math.floor(math.max(0, now - last) * per_ms))
  if avail < need and need <= cap then
    local missing = need - have
    local t = math.ceil(missing / per_ms)
    for _ = 1, 4 do if math.floor(t * per_ms) < missing then t = t + 1 end end
    for _ = 1, 4 do if t > 0 and math.floor((t - 1) * per_ms) >= missing then t = t - 1 end end
    wait = math.min(last + t - now, tonumber(ARGV[11]))
  end
end
local used = tonumber(redis.call('GET', KEYS[2]) or '0')

local function store(tokens)
  if tokens >= cap then
    redis.call('DEL', KEYS[1])
    return
  end
  -- max(): a write from a replica with a slower clock must not move ts back (see header).
  redis.call('HSET', KEYS[1], 'tokens', int(tokens), 'ts', int(math.max(last, now)))
  local full_in = math.ceil((cap - tokens) / per_ms)
  if full_in <= tonumber(ARGV[9]) then
    redis.call('PEXPIRE', KEYS[1], int(full_in + tonumber(ARGV[8])))
  else
    redis.call('PERSIST', KEYS[1])
  end
end

if op == 'acquire' then
  if (per_ms == 0 or avail >= need) and (quota == 0 or used + cost <= quota) then
    if per_ms > 0 then store(avail - need) end
    redis.call('INCRBY', KEYS[2], ARGV[6])
    redis.call('EXPIRE', KEYS[2], ARGV[10])
    return {1, avail, wait, used}
  end
elseif op == 'release' then
  if per_ms > 0 then store(math.min(cap, avail + need)) end
  if used > 0 then redis.call('SET', KEYS[2], int(math.max(0, used - cost)), 'KEEPTTL') end
  return {1, avail, wait, used}
end
return {0, avail, wait, used}
)lua";

}  // namespace

RedisSendLimiter::RedisSendLimiter(redis::RedisClient& redis, const Clock& clock,
                                   std::string key_prefix)
    : redis_(redis), clock_(clock), key_prefix_(std::move(key_prefix)) {}

std::string RedisSendLimiter::BucketKey(const std::string& tenant) const {
  return absl::StrCat(key_prefix_, ":{rl:", tenant, "}:bucket");
}

std::string RedisSendLimiter::DayKey(const std::string& tenant, absl::Time t) const {
  return absl::StrCat(key_prefix_, ":{rl:", tenant, "}:day:", limit_rules::UtcDay(t));
}

absl::StatusOr<LimitDecision> RedisSendLimiter::Acquire(const std::string& tenant,
                                                        const TenantLimits& limits,
                                                        int64_t cost) {
  return Run(Op::kAcquire, tenant, limits, cost);
}

absl::Status RedisSendLimiter::Release(const std::string& tenant, const TenantLimits& limits,
                                       int64_t cost) {
  return Run(Op::kRelease, tenant, limits, cost).status();
}

absl::StatusOr<LimitDecision> RedisSendLimiter::Peek(const std::string& tenant,
                                                     const TenantLimits& limits) {
  return Run(Op::kPeek, tenant, limits, /*cost=*/1);
}

absl::StatusOr<LimitDecision> RedisSendLimiter::Run(Op op, const std::string& tenant,
                                                    const TenantLimits& limits, int64_t cost) {
  KIRIM_RETURN_IF_ERROR(limit_rules::Validate(tenant, limits, cost));
  const char* op_name =
      op == Op::kAcquire ? "acquire" : op == Op::kRelease ? "release" : "peek";
  const absl::Time now = clock_.Now();
  KIRIM_ASSIGN_OR_RETURN(
      RedisValue v,
      redis_.Eval(kLimitScript, {BucketKey(tenant), DayKey(tenant, now)},
                  {op_name,
                   std::to_string(absl::ToUnixMillis(now)),
                   // %.17g round-trips the double exactly, so Lua refills by the same amount.
                   absl::StrFormat("%.17g", limit_rules::RefillPerMilli(limits)),
                   std::to_string(limit_rules::Capacity(limits)),
                   std::to_string(limits.daily_quota), std::to_string(cost),
                   std::to_string(cost * limit_rules::kMicroTokensPerToken),
                   std::to_string(kBucketTtlSlackMs), std::to_string(kMaxBucketTtlMs),
                   std::to_string(kDayKeyTtlSeconds),
                   std::to_string(limit_rules::kMaxWaitMillis)}));
  if (v.type != RedisValue::Type::kArray || v.elements.size() != 4) {
    return absl::InternalError("limit script: unexpected reply");
  }
  for (const RedisValue& e : v.elements) {
    if (e.type != RedisValue::Type::kInteger) {
      return absl::InternalError("limit script: non-integer in reply");
    }
  }
  const bool changed = v.elements[0].integer == 1;
  const limit_rules::LimitSnapshot before{v.elements[1].integer, v.elements[2].integer,
                                          v.elements[3].integer};
  LimitDecision d = limit_rules::Decide(limits, cost, before, now, op == Op::kAcquire);
  if (op == Op::kAcquire && changed != d.allowed) {
    // The script and limit_rules apply the same rule; disagreeing means one of them has a bug.
    return absl::InternalError(
        absl::StrCat("limit script ", changed ? "consumed" : "refused", " but limit_rules ",
                     d.allowed ? "allows" : "refuses", " tenant ", tenant));
  }
  return d;
}

}  // namespace kirim
