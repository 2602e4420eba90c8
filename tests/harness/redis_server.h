// A real redis-server on 127.0.0.1, on a free port, with AOF on and its data in a temp dir.
// Stop() and Start() again keep the data (AOF), so tests can restart Redis mid-run.
//
//   RedisServer redis;
//   ASSERT_TRUE(redis.Start().ok());
//   std::unique_ptr<redis::HiredisClient> client = redis.Client();
#ifndef KIRIM_TESTS_HARNESS_REDIS_SERVER_H_
#define KIRIM_TESTS_HARNESS_REDIS_SERVER_H_

#include <memory>
#include <string>
#include <vector>

#include "server/redis/redis_client.h"
#include "tests/harness/subprocess.h"

namespace kirim::testing {

struct RedisServerOptions {
  // AOF fsync policy: "everysec" (Kirim's default deployment), or "always" so that every write
  // Redis acknowledged is on disk (a SIGKILL then loses nothing acknowledged).
  std::string appendfsync = "everysec";
  // More redis-server arguments, e.g. {"--maxmemory", "4mb", "--maxmemory-policy", "noeviction"}.
  std::vector<std::string> extra_args;
};

class RedisServer {
 public:
  explicit RedisServer(RedisServerOptions options = {});
  ~RedisServer() { Stop(); }

  absl::Status Start();
  // SIGTERM (Redis flushes its AOF and exits).
  void Stop();
  // SIGKILL: a crash; only what the AOF holds survives.
  void Kill() { process_.Kill(); }
  int port() const { return port_; }
  // A client of this server (it reconnects by itself across Stop/Start).
  std::unique_ptr<redis::HiredisClient> Client() const;
  const std::string& dir() const { return dir_; }

 private:
  absl::Status StartOnce();

  RedisServerOptions options_;
  int port_;
  bool started_once_ = false;
  std::string dir_;
  Subprocess process_;
};

}  // namespace kirim::testing

#endif  // KIRIM_TESTS_HARNESS_REDIS_SERVER_H_
