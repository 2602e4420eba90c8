// FakeRandom: a deterministic Random for tests (a counter through SplitMix64).
#ifndef KIRIM_TESTS_COMMON_FAKE_RANDOM_H_
#define KIRIM_TESTS_COMMON_FAKE_RANDOM_H_

#include <cstdint>
#include <string>

#include "absl/synchronization/mutex.h"
#include "server/common/random.h"

namespace kirim::testing {

class FakeRandom final : public Random {
 public:
  explicit FakeRandom(uint64_t seed = 1) : state_(seed) {}
  std::string Bytes(size_t n) override {
    std::string out;
    while (out.size() < n) {
      uint64_t v = Uint64();
      for (int i = 0; i < 8 && out.size() < n; ++i) out.push_back(static_cast<char>(v >> (8 * i)));
    }
    return out;
  }
  uint64_t Uint64() override {
    absl::MutexLock lock(&mu_);
    uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }

 private:
  absl::Mutex mu_;
  uint64_t state_;
};

}  // namespace kirim::testing

#endif  // KIRIM_TESTS_COMMON_FAKE_RANDOM_H_
