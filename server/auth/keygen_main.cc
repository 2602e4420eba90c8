// kirim_keygen: prints one fresh API key string ("kirim_<key_id>_<secret>") and a newline to
// stdout, for an operator to put into the bootstrap Secret that kirimd Imports at start
// (script/server makes its dev admin key this way).
//
//   KIRIM_ADMIN_KEY="$(bazel-bin/server/auth/kirim_keygen)"
//
// Nothing else is printed, so the output can be captured as is; the key is not stored
// anywhere by this tool.
#include <cstdio>

#include "server/auth/api_key_format.h"
#include "server/common/random.h"

int main(int argc, char** argv) {
  if (argc != 1) {
    std::fprintf(stderr, "usage: %s\nPrints one fresh Kirim API key to stdout.\n", argv[0]);
    return 2;
  }
  kirim::SecureRandom random;
  const std::string key = kirim::GenerateApiKeyString(random);
  if (std::printf("%s\n", key.c_str()) < 0 || std::fflush(stdout) != 0) return 1;
  return 0;
}
