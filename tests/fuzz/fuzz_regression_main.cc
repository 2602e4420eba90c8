// The main() of a fuzz target's regression test (bazel/fuzz.bzl): runs the target's
// LLVMFuzzerTestOneInput over every file of the directories given, so the seed corpus and every
// crasher ever found replay in the normal g++ build, without clang or libFuzzer.
//
//   address_regression_test tests/fuzz/corpus/address --optional tests/fuzz/regressions/address
//
// A directory must exist and hold at least one file, unless it follows "--optional" (the
// regressions directory of a target nothing was ever found in). An invariant the target checks
// aborts the process, naming the input it was running.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

namespace {

namespace fs = std::filesystem;

// The regular files below `dir`, sorted so every run replays them in the same order.
std::vector<fs::path> FilesBelow(const fs::path& dir) {
  std::vector<fs::path> files;
  for (const fs::directory_entry& entry : fs::recursive_directory_iterator(dir)) {
    if (entry.is_regular_file()) files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  return files;
}

}  // namespace

int main(int argc, char** argv) {
  size_t inputs = 0;
  bool optional = false;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--optional") == 0) {
      optional = true;
      continue;
    }
    const fs::path dir = argv[i];
    std::error_code error;
    if (!fs::is_directory(dir, error)) {
      if (optional) {
        std::fprintf(stderr, "%s: no such directory (optional, skipped)\n", argv[i]);
        optional = false;
        continue;
      }
      std::fprintf(stderr, "%s: no such directory\n", argv[i]);
      return 1;
    }
    const std::vector<fs::path> files = FilesBelow(dir);
    if (files.empty() && !optional) {
      std::fprintf(stderr, "%s: no inputs\n", argv[i]);
      return 1;
    }
    optional = false;
    for (const fs::path& file : files) {
      std::ifstream in(file, std::ios::binary);
      const std::string data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
      if (!in.good() && !in.eof()) {
        std::fprintf(stderr, "%s: cannot read\n", file.c_str());
        return 1;
      }
      std::fprintf(stderr, "running %s (%zu bytes)\n", file.c_str(), data.size());
      LLVMFuzzerTestOneInput(reinterpret_cast<const uint8_t*>(data.data()), data.size());
      ++inputs;
    }
  }
  std::fprintf(stderr, "%zu inputs ran without a finding\n", inputs);
  return inputs > 0 ? 0 : 1;
}
