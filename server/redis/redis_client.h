// RedisClient: the Redis seam. Every store in Kirim (queue, later keys, limits, domains) talks
// to Redis through this interface, so unit tests can substitute a fake and production gets one
// place that owns connections, deadlines, reconnects and error classification.
//
//   HiredisClient redis(options);                 // thread-safe pool of connections
//   auto v = redis.Command({"HGET", key, "r"});   // absl::StatusOr<RedisValue>
//   if (!v.ok()) ...                               // kUnavailable: Redis down or timed out
//
// Error classification (one place, see ClassifyRedisError): a connection failure, a timeout or
// a LOADING/BUSY/READONLY/MASTERDOWN/TRYAGAIN reply is kUnavailable (retry with backoff); an OOM
// reply is kResourceExhausted carrying google.rpc.ErrorInfo reason kStoreOutOfMemory (Redis hit
// maxmemory: refuse, store nothing; see server/common/status_details.h); any other error reply
// is kInternal (a bug in Kirim's command or script). A Lua script refused because of OOM
// changed nothing: Redis checks memory before a script's first write only.
#ifndef KIRIM_SERVER_REDIS_REDIS_CLIENT_H_
#define KIRIM_SERVER_REDIS_REDIS_CLIENT_H_

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace kirim::redis {

// A decoded RESP2 reply.
struct RedisValue {
  enum class Type { kNil, kString, kStatus, kInteger, kArray };
  Type type = Type::kNil;
  std::string str;           // kString and kStatus
  long long integer = 0;     // kInteger
  std::vector<RedisValue> elements;  // kArray

  bool is_nil() const { return type == Type::kNil; }
};

using Argv = std::vector<std::string>;

class RedisClient {
 public:
  virtual ~RedisClient() = default;
  // Runs one command. Thread-safe.
  virtual absl::StatusOr<RedisValue> Command(const Argv& argv) = 0;
  // Runs several commands in one round trip on one connection, replies in order. A reply that
  // is a Redis error makes the whole call fail with that error. Thread-safe.
  virtual absl::StatusOr<std::vector<RedisValue>> Pipeline(const std::vector<Argv>& commands) = 0;
  // Runs a Lua script by EVALSHA, loading it on NOSCRIPT (after a Redis restart).
  virtual absl::StatusOr<RedisValue> Eval(absl::string_view script, const Argv& keys,
                                          const Argv& args) = 0;
};

struct RedisOptions {
  std::string host = "127.0.0.1";
  int port = 6379;
  // Connecting (TCP handshake, AUTH).
  absl::Duration connect_timeout = absl::Seconds(1);
  // Every command's read/write deadline. Blocking commands add their own block time to it.
  absl::Duration command_timeout = absl::Seconds(2);
  // Connections kept for reuse; more are opened under load and closed when returned beyond it.
  int pool_size = 8;
  // Sent with AUTH when non-empty. Never logged.
  std::string password;
  // Called with the time of each call (a command, a pipeline or a script run, connecting
  // included; blocking reads excluded). For metrics; may be empty.
  std::function<void(absl::Duration)> on_round_trip;
};

// Maps a Redis error reply (e.g. "OOM command not allowed...") to a Status (see banner).
absl::Status ClassifyRedisError(absl::string_view error_reply);

// The production RedisClient over hiredis 0.14's blocking API. Connections are opened lazily,
// dropped on any I/O error and reopened on the next call, so Kirim recovers by itself when
// Redis comes back.
class HiredisClient final : public RedisClient {
 public:
  explicit HiredisClient(RedisOptions options);
  ~HiredisClient() override;

  absl::StatusOr<RedisValue> Command(const Argv& argv) override;
  absl::StatusOr<std::vector<RedisValue>> Pipeline(const std::vector<Argv>& commands) override;
  absl::StatusOr<RedisValue> Eval(absl::string_view script, const Argv& keys,
                                  const Argv& args) override;

  // Like Command, for a command that blocks on the server up to `block` (XREADGROUP BLOCK).
  absl::StatusOr<RedisValue> BlockingCommand(const Argv& argv, absl::Duration block);

 private:
  class Connection;
  absl::StatusOr<std::unique_ptr<Connection>> Acquire();
  void Release(std::unique_ptr<Connection> conn);
  absl::StatusOr<std::vector<RedisValue>> Run(const std::vector<Argv>& commands,
                                              absl::Duration extra_timeout);
  // Run, reported to on_round_trip.
  absl::StatusOr<std::vector<RedisValue>> Timed(const std::vector<Argv>& commands);
  // ScriptSha1, computed once per script: every Eval would otherwise hash its whole text.
  std::string ShaOf(absl::string_view script);

  const RedisOptions options_;
  absl::Mutex mu_;
  std::vector<std::unique_ptr<Connection>> idle_ ABSL_GUARDED_BY(mu_);
  absl::Mutex sha_mu_;
  absl::flat_hash_map<std::string, std::string> script_shas_ ABSL_GUARDED_BY(sha_mu_);
};

// The SHA-1 (hex) Redis uses to name a script in EVALSHA.
std::string ScriptSha1(absl::string_view script);

}  // namespace kirim::redis

#endif  // KIRIM_SERVER_REDIS_REDIS_CLIENT_H_
