#include "server/common/random.h"

#include <openssl/rand.h>

#include <cstdlib>
#include <cstring>

namespace kirim {

std::string SecureRandom::Bytes(size_t n) {
  std::string out(n, '\0');
  // RAND_bytes only fails when the OS entropy source is broken; continuing would hand out
  // predictable ids and boundaries, so stop instead.
  if (n > 0 && RAND_bytes(reinterpret_cast<unsigned char*>(out.data()), static_cast<int>(n)) != 1) {
    std::abort();
  }
  return out;
}

uint64_t SecureRandom::Uint64() {
  std::string b = Bytes(sizeof(uint64_t));
  uint64_t v;
  std::memcpy(&v, b.data(), sizeof v);
  return v;
}

}  // namespace kirim
