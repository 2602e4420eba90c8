#include "tests/harness/redis_server.h"

#include "server/common/status_macros.h"

namespace kirim::testing {

RedisServer::RedisServer() : port_(FreePort()), dir_(MakeTempDir("redis")) {}

absl::Status RedisServer::Start() {
  KIRIM_RETURN_IF_ERROR(process_.Start({"/usr/bin/redis-server", "--port", std::to_string(port_),
                                        "--bind", "127.0.0.1", "--save", "", "--appendonly", "yes",
                                        "--appendfsync", "everysec", "--dir", dir_, "--daemonize",
                                        "no", "--protected-mode", "no"}));
  return process_.WaitForOutput("Ready to accept connections", absl::Seconds(30)).status();
}

void RedisServer::Stop() { process_.Stop(); }

}  // namespace kirim::testing
