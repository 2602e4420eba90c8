// InterceptingRedisClient: a RedisClient that forwards to a real one, counts round trips, and can
// run a hook once just before the next script goes out — another replica writing between a
// store's read and its write, to test compare-and-set races deterministically.
#ifndef KIRIM_TESTS_REDIS_INTERCEPTING_REDIS_CLIENT_H_
#define KIRIM_TESTS_REDIS_INTERCEPTING_REDIS_CLIENT_H_

#include <functional>
#include <utility>
#include <vector>

#include "server/redis/redis_client.h"

namespace kirim::testing {

class InterceptingRedisClient final : public redis::RedisClient {
 public:
  explicit InterceptingRedisClient(redis::RedisClient& inner) : inner_(inner) {}
  absl::StatusOr<redis::RedisValue> Command(const redis::Argv& argv) override {
    ++round_trips;
    return inner_.Command(argv);
  }
  absl::StatusOr<std::vector<redis::RedisValue>> Pipeline(
      const std::vector<redis::Argv>& commands) override {
    ++round_trips;
    return inner_.Pipeline(commands);
  }
  absl::StatusOr<redis::RedisValue> Eval(absl::string_view script, const redis::Argv& keys,
                                         const redis::Argv& args) override {
    ++round_trips;
    if (before_eval) std::exchange(before_eval, nullptr)();
    return inner_.Eval(script, keys, args);
  }

  int round_trips = 0;
  // Runs once, just before the next Eval.
  std::function<void()> before_eval;

 private:
  redis::RedisClient& inner_;
};

}  // namespace kirim::testing

#endif  // KIRIM_TESTS_REDIS_INTERCEPTING_REDIS_CLIENT_H_
