#include "server/shaping/redis_destination_shaper.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "server/common/status_macros.h"

namespace kirim {
namespace {

using redis::RedisValue;

// Beyond the moment a key stops mattering on the injected clock, it lives this much longer on
// Redis's clock (which runs its TTLs): expiring early would free slots or refill the bucket early.
constexpr int64_t kTtlSlackMs = 24 * 3600 * 1000;

// One script for every operation, so the throttle factor and the bucket exist once in Lua. The
// expressions mirror shaping_rules (FactorAt, AfterReport, RecoveredAt, Effective, BucketFor,
// CheckRate) operation for operation; the caller builds the decision with shaping_rules::Decide
// from what the script observed.
// KEYS: slots, tat, throttle, seq.
// ARGV: op ('connect' | 'message' | 'renew' | 'release' | 'throttle' | 'state'), now µs,
//   configured max_connections, configured rate (%.17g), configured interval µs (0 = unlimited),
//   lease µs, cooldown µs, hold-down µs, recovery step (per mille), TTL slack ms,
//   token (renew, release) or reply (throttle).
// Returns {done 0/1, slots in use, earliest lease end µs (0 = none), rate wait µs, factor,
//   token, lease end µs}.
constexpr char kShapeScript[] = R"lua(
local op = ARGV[1]
local now = tonumber(ARGV[2])
local maxc = tonumber(ARGV[3])
local rate = tonumber(ARGV[4])
local interval = tonumber(ARGV[5])
local lease = tonumber(ARGV[6])
local cooldown = tonumber(ARGV[7])
local hold = tonumber(ARGV[8])
local step = tonumber(ARGV[9])
local slack = tonumber(ARGV[10])
local arg = ARGV[11]
local FULL = 1000
-- Redis would format a Lua number with %.14g ("1.767323045e+15"); times must go out whole.
local function int(n) return string.format('%d', n) end
local function expire(key, until_us)
  redis.call('PEXPIRE', key, int(math.max(0, math.ceil((until_us - now) / 1000)) + slack))
end

local t = redis.call('HMGET', KEYS[3], 'f', 'until', 'last')
local factor = FULL
if t[1] then
  factor = tonumber(t[1])
  local til = tonumber(t[2])
  if now >= til then
    local steps = 1 + math.floor((now - til) / cooldown)
    if steps >= FULL then factor = FULL else factor = math.min(FULL, factor + step * steps) end
  end
end

if op == 'throttle' then
  local f, til = factor, now + cooldown
  if t[1] and now - tonumber(t[3]) < hold then
    f = tonumber(t[1])
    til = math.max(tonumber(t[2]), til)
    redis.call('HSET', KEYS[3], 'until', int(til), 'reply', arg)
  else
    f = math.max(1, math.floor(factor / 2))
    redis.call('HSET', KEYS[3], 'f', int(f), 'until', int(til), 'last', int(now), 'reply', arg)
  end
  local steps = math.ceil((FULL - f) / step)
  expire(KEYS[3], til + cooldown * math.max(0, steps - 1))
  return {1, 0, 0, 0, f, '', 0}
end

if op == 'state' then
  local in_use = redis.call('ZCOUNT', KEYS[1], '(' .. int(now), '+inf')
  return {1, in_use, 0, 0, factor, '', 0}
end

-- A slot whose lease has ended is free: remove it before counting or renewing.
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', int(now))
local function touch_slots()
  local last = redis.call('ZRANGE', KEYS[1], -1, -1, 'WITHSCORES')
  if last[2] then expire(KEYS[1], tonumber(last[2])) else redis.call('DEL', KEYS[1]) end
end

if op == 'renew' then
  local old = redis.call('ZSCORE', KEYS[1], arg)
  if not old then return {0, 0, 0, 0, factor, '', 0} end
  -- max(): a worker whose clock is behind must not shorten the lease.
  local ends = math.max(tonumber(old), now + lease)
  redis.call('ZADD', KEYS[1], 'XX', int(ends), arg)
  touch_slots()
  return {1, 0, 0, 0, factor, arg, ends}
end

if op == 'release' then
  local removed = redis.call('ZREM', KEYS[1], arg)
  touch_slots()
  return {removed, 0, 0, 0, factor, '', 0}
end

-- 'connect' and 'message': the bucket, then (connect) the slots.
local t_eff, wait, tat = 0, 0, now
if interval > 0 then
  t_eff = math.ceil(interval * FULL / factor)
  local tol = math.floor((math.max(1, rate * factor / FULL) - 1) * t_eff)
  tat = math.max(now, tonumber(redis.call('GET', KEYS[2]) or now))
  if tat - now > tol then wait = tat - tol - now end
end
local function take_token()
  if interval > 0 then
    local next_tat = tat + t_eff
    redis.call('SET', KEYS[2], int(next_tat), 'PX', int(math.ceil((next_tat - now) / 1000) + slack))
  end
end

if op == 'message' then
  if wait > 0 then return {0, 0, 0, wait, factor, '', 0} end
  take_token()
  return {1, 0, 0, 0, factor, '', 0}
end

local in_use = redis.call('ZCARD', KEYS[1])
local first = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
local earliest = 0
if first[2] then earliest = tonumber(first[2]) end
local maxc_eff = math.max(1, math.floor(maxc * factor / FULL))
if in_use >= maxc_eff or wait > 0 then return {0, in_use, earliest, wait, factor, '', 0} end
take_token()
local token = int(now) .. '.' .. int(redis.call('INCR', KEYS[4]))
expire(KEYS[4], now + lease)
redis.call('ZADD', KEYS[1], int(now + lease), token)
touch_slots()
return {1, in_use, earliest, 0, factor, token, now + lease}
)lua";

}  // namespace

RedisDestinationShaper::RedisDestinationShaper(redis::RedisClient& redis, const Clock& clock,
                                               const DestinationPolicy& policy,
                                               ShaperOptions options)
    : redis_(redis),
      clock_(clock),
      policy_(policy),
      options_(std::move(options)),
      params_(shaping_rules::ToParams(options_)) {}

std::string RedisDestinationShaper::SlotsKey(const std::string& destination) const {
  return absl::StrCat(options_.key_prefix, ":{dst:", destination, "}:slots");
}

std::string RedisDestinationShaper::TatKey(const std::string& destination) const {
  return absl::StrCat(options_.key_prefix, ":{dst:", destination, "}:tat");
}

std::string RedisDestinationShaper::ThrottleKey(const std::string& destination) const {
  return absl::StrCat(options_.key_prefix, ":{dst:", destination, "}:throttle");
}

absl::StatusOr<RedisDestinationShaper::ScriptResult> RedisDestinationShaper::Run(
    const char* op, const std::string& destination, const DestinationLimits& limits,
    absl::string_view arg, int64_t now_us) {
  KIRIM_RETURN_IF_ERROR(params_.status());
  const shaping_rules::Params& p = *params_;
  KIRIM_ASSIGN_OR_RETURN(
      RedisValue v,
      redis_.Eval(kShapeScript,
                  {SlotsKey(destination), TatKey(destination), ThrottleKey(destination),
                   absl::StrCat(options_.key_prefix, ":{dst:", destination, "}:seq")},
                  {op, std::to_string(now_us), std::to_string(limits.max_connections),
                   // %.17g round-trips the double, so Lua scales the same rate.
                   absl::StrFormat("%.17g", limits.messages_per_second),
                   std::to_string(shaping_rules::IntervalMicros(limits.messages_per_second)),
                   std::to_string(p.lease_us), std::to_string(p.cooldown_us),
                   std::to_string(p.hold_down_us), std::to_string(p.recovery_step),
                   std::to_string(kTtlSlackMs), std::string(arg)}));
  if (v.type != RedisValue::Type::kArray || v.elements.size() != 7) {
    return absl::InternalError("shaping script: unexpected reply");
  }
  for (int i : {0, 1, 2, 3, 4, 6}) {
    if (v.elements[i].type != RedisValue::Type::kInteger) {
      return absl::InternalError("shaping script: non-integer in reply");
    }
  }
  ScriptResult r;
  r.done = v.elements[0].integer == 1;
  r.seen.in_use = v.elements[1].integer;
  r.seen.earliest_expiry_us = v.elements[2].integer;
  r.seen.rate_wait_us = v.elements[3].integer;
  r.seen.factor = v.elements[4].integer;
  r.token = v.elements[5].str;
  r.expires_us = v.elements[6].integer;
  return r;
}

absl::StatusOr<ShapingDecision> RedisDestinationShaper::Acquire(bool connection,
                                                                const std::string& destination) {
  KIRIM_ASSIGN_OR_RETURN(std::string dest, NormalizeDestination(destination));
  const DestinationLimits limits = policy_.For(dest);
  KIRIM_RETURN_IF_ERROR(ValidateDestinationLimits(limits));
  const int64_t now_us = absl::ToUnixMicros(clock_.Now());
  KIRIM_ASSIGN_OR_RETURN(ScriptResult r,
                         Run(connection ? "connect" : "message", dest, limits, "", now_us));
  r.seen.connection = connection;
  r.seen.max_connections = shaping_rules::Effective(limits, r.seen.factor).max_connections;
  ShapingDecision d = shaping_rules::Decide(r.seen, now_us, *params_);
  if (d.allowed != r.done) {
    // The script and shaping_rules apply the same rule; disagreeing means one of them has a bug.
    return absl::InternalError(absl::StrCat("shaping script ", r.done ? "took" : "refused",
                                            " but shaping_rules ", d.allowed ? "allows" : "refuses",
                                            " destination ", dest));
  }
  if (d.allowed && connection) {
    d.permit = Permit{dest, r.token};
    SetLease(*d.permit, absl::FromUnixMicros(now_us), absl::FromUnixMicros(r.expires_us));
  }
  return d;
}

absl::StatusOr<ShapingDecision> RedisDestinationShaper::AcquireConnection(
    const std::string& destination) {
  return Acquire(/*connection=*/true, destination);
}

absl::StatusOr<ShapingDecision> RedisDestinationShaper::AcquireMessage(
    const std::string& destination) {
  return Acquire(/*connection=*/false, destination);
}

absl::Status RedisDestinationShaper::Renew(Permit& permit) {
  KIRIM_ASSIGN_OR_RETURN(std::string dest, NormalizeDestination(permit.destination));
  if (permit.token.empty()) return absl::InvalidArgumentError("permit without a token");
  const absl::Time now = clock_.Now();
  KIRIM_ASSIGN_OR_RETURN(ScriptResult r, Run("renew", dest, policy_.For(dest), permit.token,
                                             absl::ToUnixMicros(now)));
  if (!r.done) {
    return absl::FailedPreconditionError(
        absl::StrCat("slot ", permit.token, " to ", dest, " is gone (lease ended or released)"));
  }
  SetLease(permit, now, absl::FromUnixMicros(r.expires_us));
  return absl::OkStatus();
}

absl::Status RedisDestinationShaper::Release(const Permit& permit) {
  KIRIM_ASSIGN_OR_RETURN(std::string dest, NormalizeDestination(permit.destination));
  if (permit.token.empty()) return absl::InvalidArgumentError("permit without a token");
  return Run("release", dest, policy_.For(dest), permit.token, absl::ToUnixMicros(clock_.Now()))
      .status();
}

absl::Status RedisDestinationShaper::ReportThrottle(const std::string& destination,
                                                    absl::string_view reply) {
  KIRIM_ASSIGN_OR_RETURN(std::string dest, NormalizeDestination(destination));
  return Run("throttle", dest, policy_.For(dest), reply.substr(0, shaping_rules::kMaxStoredReply),
             absl::ToUnixMicros(clock_.Now()))
      .status();
}

absl::StatusOr<std::pair<DestinationLimits, int>> RedisDestinationShaper::State(
    const std::string& destination) {
  KIRIM_ASSIGN_OR_RETURN(std::string dest, NormalizeDestination(destination));
  const DestinationLimits limits = policy_.For(dest);
  KIRIM_RETURN_IF_ERROR(ValidateDestinationLimits(limits));
  KIRIM_ASSIGN_OR_RETURN(ScriptResult r,
                         Run("state", dest, limits, "", absl::ToUnixMicros(clock_.Now())));
  return std::make_pair(shaping_rules::Effective(limits, r.seen.factor),
                        static_cast<int>(r.seen.in_use));
}

}  // namespace kirim
