// HiredisClient's per-call deadline on a reused connection: a blocking read sets a long socket
// timeout (its block time on top of command_timeout); the next plain command on that connection
// must be back at command_timeout. The peer is a socket on 127.0.0.1 that answers the first
// command and then stays silent, so the second can only end by its deadline: were the hour of
// the blocking read still in force, this test would hang until Bazel's timeout failed it.
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <thread>

#include "gtest/gtest.h"
#include "server/redis/redis_client.h"

namespace kirim::redis {
namespace {

// Accepts one connection, answers its first read with +OK, then reads without answering until
// the client goes away.
class AnswersOnceThenSilent {
 public:
  AnswersOnceThenSilent() {
    listen_fd_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    if (bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), len) != 0 ||
        listen(listen_fd_, 1) != 0 ||
        getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
      return;
    }
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread([this] { Serve(); });
  }
  ~AnswersOnceThenSilent() {
    shutdown(listen_fd_, SHUT_RDWR);
    if (thread_.joinable()) thread_.join();
    close(listen_fd_);
  }
  int port() const { return port_; }

 private:
  void Serve() {
    const int fd = accept(listen_fd_, nullptr, nullptr);
    if (fd < 0) return;
    char buf[4096];
    bool answered = false;
    while (read(fd, buf, sizeof buf) > 0) {
      if (!answered) answered = write(fd, "+OK\r\n", 5) == 5;
    }
    close(fd);
  }

  int listen_fd_ = -1;
  int port_ = 0;
  std::thread thread_;
};

TEST(HiredisClientTimeoutTest, ACommandAfterALongBlockingReadIsBackAtTheCommandTimeout) {
  AnswersOnceThenSilent peer;
  ASSERT_NE(peer.port(), 0);
  RedisOptions options;
  options.port = peer.port();
  options.command_timeout = absl::Milliseconds(200);
  options.pool_size = 1;
  HiredisClient client(options);

  ASSERT_TRUE(client.BlockingCommand({"BLPOP", "k", "3600"}, absl::Hours(1)).ok());
  // The same pooled connection, now unanswered.
  absl::StatusOr<RedisValue> r = client.Command({"PING"});
  EXPECT_EQ(r.status().code(), absl::StatusCode::kUnavailable) << r.status();
}

}  // namespace
}  // namespace kirim::redis
