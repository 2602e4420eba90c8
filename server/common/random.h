// Random: the injected source of randomness (ids, MIME boundaries, jitter), so tests are
// deterministic. Production wires SecureRandom (OpenSSL RAND_bytes); tests use a seeded fake.
//
//   std::string boundary = HexEncode(random.Bytes(16));
#ifndef KIRIM_SERVER_COMMON_RANDOM_H_
#define KIRIM_SERVER_COMMON_RANDOM_H_

#include <cstdint>
#include <string>

namespace kirim {

class Random {
 public:
  virtual ~Random() = default;
  // `n` random bytes.
  virtual std::string Bytes(size_t n) = 0;
  // A uniformly distributed 64-bit value.
  virtual uint64_t Uint64() = 0;
};

// Cryptographically strong randomness from OpenSSL's RAND_bytes. Thread-safe.
class SecureRandom final : public Random {
 public:
  std::string Bytes(size_t n) override;
  uint64_t Uint64() override;
};

}  // namespace kirim

#endif  // KIRIM_SERVER_COMMON_RANDOM_H_
