#include "server/redis/redis_client.h"

#include <hiredis/hiredis.h>
#include <openssl/sha.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/escaping.h"
#include "server/common/status_details.h"
#include "server/common/status_macros.h"

namespace kirim::redis {
namespace {

timeval TimevalOf(absl::Duration d) { return absl::ToTimeval(d); }

RedisValue Convert(const redisReply* r) {
  RedisValue v;
  switch (r->type) {
    case REDIS_REPLY_STRING:
      v.type = RedisValue::Type::kString;
      v.str.assign(r->str, r->len);
      break;
    case REDIS_REPLY_STATUS:
      v.type = RedisValue::Type::kStatus;
      v.str.assign(r->str, r->len);
      break;
    case REDIS_REPLY_INTEGER:
      v.type = RedisValue::Type::kInteger;
      v.integer = r->integer;
      break;
    case REDIS_REPLY_ARRAY:
      v.type = RedisValue::Type::kArray;
      v.elements.reserve(r->elements);
      for (size_t i = 0; i < r->elements; ++i) v.elements.push_back(Convert(r->element[i]));
      break;
    default:
      v.type = RedisValue::Type::kNil;
  }
  return v;
}

}  // namespace

absl::Status ClassifyRedisError(absl::string_view error_reply) {
  std::string msg = absl::StrCat("redis: ", error_reply);
  for (absl::string_view busy : {"LOADING", "BUSY", "READONLY", "MASTERDOWN", "TRYAGAIN",
                                 "CLUSTERDOWN", "NOREPLICAS"}) {
    if (absl::StartsWith(error_reply, busy)) return absl::UnavailableError(msg);
  }
  if (absl::StartsWith(error_reply, "OOM")) {
    return WithErrorReason(absl::ResourceExhaustedError(msg), kStoreOutOfMemory);
  }
  return absl::InternalError(msg);
}

std::string ScriptSha1(absl::string_view script) {
  unsigned char digest[SHA_DIGEST_LENGTH];
  SHA1(reinterpret_cast<const unsigned char*>(script.data()), script.size(), digest);
  return absl::BytesToHexString(
      absl::string_view(reinterpret_cast<const char*>(digest), sizeof digest));
}

// One hiredis context. Not thread-safe: the pool hands it to one caller at a time.
class HiredisClient::Connection {
 public:
  explicit Connection(redisContext* ctx) : ctx_(ctx) {}
  ~Connection() { redisFree(ctx_); }

  // For a connection dropped because a call failed midway (a timeout, an I/O error): makes the
  // close a reset (SO_LINGER 0), which discards request bytes the kernel still holds unsent or
  // unacknowledged. An orderly close would keep retransmitting them, so a call already reported
  // as failed ("nothing was stored") could still be carried out by Redis once the network
  // heals.
  void Abort() {
    if (ctx_->fd < 0) return;
    linger abort_on_close{1, 0};
    setsockopt(ctx_->fd, SOL_SOCKET, SO_LINGER, &abort_on_close, sizeof abort_on_close);
  }

  // Appends every command, then reads every reply: one round trip.
  absl::StatusOr<std::vector<RedisValue>> Run(const std::vector<Argv>& commands,
                                              absl::Duration timeout, bool* broken) {
    // Two setsockopt calls: made only when the timeout changes (a blocking read's is longer).
    if (timeout != timeout_) {
      redisSetTimeout(ctx_, TimevalOf(timeout));
      timeout_ = timeout;
    }
    for (const Argv& argv : commands) {
      std::vector<const char*> ptrs;
      std::vector<size_t> lens;
      ptrs.reserve(argv.size());
      lens.reserve(argv.size());
      for (const std::string& a : argv) {
        ptrs.push_back(a.data());
        lens.push_back(a.size());
      }
      if (redisAppendCommandArgv(ctx_, static_cast<int>(argv.size()), ptrs.data(), lens.data()) !=
          REDIS_OK) {
        *broken = true;
        return IoError();
      }
    }
    std::vector<RedisValue> out;
    out.reserve(commands.size());
    absl::Status first_error;
    for (size_t i = 0; i < commands.size(); ++i) {
      void* raw = nullptr;
      if (redisGetReply(ctx_, &raw) != REDIS_OK || raw == nullptr) {
        *broken = true;
        return IoError();
      }
      redisReply* reply = static_cast<redisReply*>(raw);
      if (reply->type == REDIS_REPLY_ERROR) {
        // Keep reading the remaining replies so the connection stays in sync and reusable.
        if (first_error.ok()) first_error = ClassifyRedisError(absl::string_view(reply->str, reply->len));
        out.emplace_back();
      } else {
        out.push_back(Convert(reply));
      }
      freeReplyObject(reply);
    }
    if (!first_error.ok()) return first_error;
    return out;
  }

 private:
  absl::Status IoError() const {
    // hiredis reports timeouts as REDIS_ERR_IO with EAGAIN; the caller should retry either way.
    return absl::UnavailableError(absl::StrCat("redis: ", ctx_->errstr[0] ? ctx_->errstr : "I/O error"));
  }
  redisContext* ctx_;
  absl::Duration timeout_ = absl::InfiniteDuration();  // what the socket has; none set yet
};

HiredisClient::HiredisClient(RedisOptions options) : options_(std::move(options)) {}

HiredisClient::~HiredisClient() = default;

absl::StatusOr<std::unique_ptr<HiredisClient::Connection>> HiredisClient::Acquire() {
  {
    absl::MutexLock lock(&mu_);
    if (!idle_.empty()) {
      std::unique_ptr<Connection> c = std::move(idle_.back());
      idle_.pop_back();
      return c;
    }
  }
  timeval tv = TimevalOf(options_.connect_timeout);
  redisContext* ctx = redisConnectWithTimeout(options_.host.c_str(), options_.port, tv);
  if (ctx == nullptr) return absl::UnavailableError("redis: cannot allocate a connection");
  if (ctx->err) {
    absl::Status s = absl::UnavailableError(absl::StrCat(
        "redis: cannot connect to ", options_.host, ":", options_.port, ": ", ctx->errstr));
    redisFree(ctx);
    return s;
  }
  auto conn = std::make_unique<Connection>(ctx);
  if (!options_.password.empty()) {
    bool broken = false;
    auto r = conn->Run({{"AUTH", options_.password}}, options_.command_timeout, &broken);
    // The password is never part of the message: only whether AUTH worked.
    if (!r.ok()) return absl::UnavailableError("redis: AUTH failed");
  }
  return conn;
}

void HiredisClient::Release(std::unique_ptr<Connection> conn) {
  absl::MutexLock lock(&mu_);
  if (static_cast<int>(idle_.size()) < options_.pool_size) idle_.push_back(std::move(conn));
}

absl::StatusOr<std::vector<RedisValue>> HiredisClient::Run(const std::vector<Argv>& commands,
                                                           absl::Duration extra_timeout) {
  KIRIM_ASSIGN_OR_RETURN(std::unique_ptr<Connection> conn, Acquire());
  bool broken = false;
  auto result = conn->Run(commands, options_.command_timeout + extra_timeout, &broken);
  if (broken) {
    conn->Abort();
  } else {
    Release(std::move(conn));
  }
  return result;
}

absl::StatusOr<std::vector<RedisValue>> HiredisClient::Timed(const std::vector<Argv>& commands) {
  const absl::Time start = absl::Now();
  auto result = Run(commands, absl::ZeroDuration());
  if (options_.on_round_trip) options_.on_round_trip(absl::Now() - start);
  return result;
}

absl::StatusOr<RedisValue> HiredisClient::Command(const Argv& argv) {
  KIRIM_ASSIGN_OR_RETURN(std::vector<RedisValue> v, Timed({argv}));
  return std::move(v[0]);
}

absl::StatusOr<RedisValue> HiredisClient::BlockingCommand(const Argv& argv, absl::Duration block) {
  KIRIM_ASSIGN_OR_RETURN(std::vector<RedisValue> v, Run({argv}, block));
  return std::move(v[0]);
}

absl::StatusOr<std::vector<RedisValue>> HiredisClient::Pipeline(const std::vector<Argv>& commands) {
  if (commands.empty()) return std::vector<RedisValue>{};
  return Timed(commands);
}

std::string HiredisClient::ShaOf(absl::string_view script) {
  absl::MutexLock lock(&sha_mu_);
  auto it = script_shas_.find(script);
  if (it == script_shas_.end()) it = script_shas_.emplace(script, ScriptSha1(script)).first;
  return it->second;
}

absl::StatusOr<RedisValue> HiredisClient::Eval(absl::string_view script, const Argv& keys,
                                               const Argv& args) {
  const std::string sha = ShaOf(script);
  auto build = [&](const std::string& verb, const std::string& body) {
    Argv argv = {verb, body, std::to_string(keys.size())};
    argv.insert(argv.end(), keys.begin(), keys.end());
    argv.insert(argv.end(), args.begin(), args.end());
    return argv;
  };
  // One script run is one round trip for the metrics, even when it takes two (NOSCRIPT).
  const absl::Time start = absl::Now();
  auto run = [&](const Argv& argv) -> absl::StatusOr<RedisValue> {
    KIRIM_ASSIGN_OR_RETURN(std::vector<RedisValue> v, Run({argv}, absl::ZeroDuration()));
    return std::move(v[0]);
  };
  auto r = run(build("EVALSHA", sha));
  if (!r.ok() && absl::StrContains(r.status().message(), "NOSCRIPT")) {
    // The script cache is empty after a Redis restart: EVAL loads it again.
    r = run(build("EVAL", std::string(script)));
  }
  if (options_.on_round_trip) options_.on_round_trip(absl::Now() - start);
  return r;
}

}  // namespace kirim::redis
