#include "tests/harness/redis_server.h"

#include "server/common/status_macros.h"

namespace kirim::testing {

RedisServer::RedisServer(RedisServerOptions options)
    : options_(std::move(options)), port_(FreePort()), dir_(MakeTempDir("redis")) {}

absl::Status RedisServer::Start() {
  absl::Status s = StartOnce();
  // FreePort() can race with another test taking the same port before redis binds it; on the
  // first start (no data yet) simply take another port. A restart must keep its port.
  for (int attempt = 0; !s.ok() && !started_once_ && attempt < 3; ++attempt) {
    port_ = FreePort();
    s = StartOnce();
  }
  if (s.ok()) started_once_ = true;
  return s;
}

absl::Status RedisServer::StartOnce() {
  std::vector<std::string> argv = {"/usr/bin/redis-server", "--port", std::to_string(port_),
                                   "--bind", "127.0.0.1", "--save", "", "--appendonly", "yes",
                                   "--appendfsync", options_.appendfsync, "--dir", dir_,
                                   "--daemonize", "no", "--protected-mode", "no"};
  argv.insert(argv.end(), options_.extra_args.begin(), options_.extra_args.end());
  KIRIM_RETURN_IF_ERROR(process_.Start(argv));
  return process_.WaitForOutput("Ready to accept connections", absl::Seconds(30)).status();
}

void RedisServer::Stop() { process_.Stop(); }

std::unique_ptr<redis::HiredisClient> RedisServer::Client() const {
  redis::RedisOptions o;
  o.port = port_;
  return std::make_unique<redis::HiredisClient>(o);
}

}  // namespace kirim::testing
