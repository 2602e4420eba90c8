// Helpers shared by the fuzz targets in tests/fuzz: splitting the fuzzer's bytes into the
// fields of a structured input, and the check that turns a broken invariant into a crash the
// fuzzer reports (and the g++ regression runner fails on).
//
//   kirim::fuzz::FuzzInput in(data, size);
//   absl::string_view subject = in.Field();   // bytes up to the first 0x1F
//   absl::string_view body = in.Field();      // up to the next one; "" once input runs out
//   KIRIM_FUZZ_CHECK(message.size() < limit);
//   KIRIM_FUZZ_CHECK_OK(CheckCrlfLines(message, kMaxLineLength));  // aborts with the error
//   std::string text = kirim::fuzz::Must(DecodeHeaderText(value));  // the value, or abort
//
// Fields are separated by the byte 0x1F (ASCII "unit separator"): a control character that no
// field of a real request may carry, so nothing is lost by reserving it, and seed files stay
// text that `printf 'a\x1fb'` writes. A field-by-field split (rather than libFuzzer's
// FuzzedDataProvider, which only clang ships) keeps the seeds readable and lets one input run
// the same way under g++ and clang.
#ifndef KIRIM_TESTS_FUZZ_FUZZ_INPUT_H_
#define KIRIM_TESTS_FUZZ_FUZZ_INPUT_H_

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

// Aborts with the failed condition and where it is when `cond` is false: libFuzzer saves the
// input as a crash, the regression runner dies with the message.
#define KIRIM_FUZZ_CHECK(cond)                                                              \
  do {                                                                                      \
    if (!(cond)) {                                                                          \
      std::fprintf(stderr, "%s:%d: fuzz invariant failed: %s\n", __FILE__, __LINE__, #cond); \
      std::abort();                                                                         \
    }                                                                                       \
  } while (0)

// Aborts with the error when the absl::Status `expr` is not OK.
#define KIRIM_FUZZ_CHECK_OK(expr)                                                       \
  do {                                                                                  \
    const absl::Status kirim_fuzz_status = (expr);                                      \
    if (!kirim_fuzz_status.ok()) {                                                      \
      std::fprintf(stderr, "%s:%d: fuzz invariant failed: %s: %s\n", __FILE__, __LINE__, \
                   #expr, kirim_fuzz_status.ToString().c_str());                        \
      std::abort();                                                                     \
    }                                                                                   \
  } while (0)

namespace kirim::fuzz {

// The value of `v`; aborts with its error when it has none.
template <typename T>
T Must(absl::StatusOr<T> v) {
  KIRIM_FUZZ_CHECK_OK(v.status());
  return *std::move(v);
}

inline constexpr char kFieldSeparator = '\x1f';

class FuzzInput {
 public:
  FuzzInput(const uint8_t* data, size_t size)
      : rest_(reinterpret_cast<const char*>(data), size) {}

  // The bytes up to the next separator (or the end), which is consumed; "" when none are left.
  absl::string_view Field() {
    const size_t end = rest_.find(kFieldSeparator);
    const absl::string_view field = rest_.substr(0, end);
    rest_.remove_prefix(end == absl::string_view::npos ? rest_.size() : end + 1);
    return field;
  }

 private:
  absl::string_view rest_;
};

// "name=value" lines (LF-separated) as a map; a line without '=' names an empty value, and a
// later line for the same name wins. Used for template variables and environments.
inline std::map<std::string, std::string> ParseAssignments(absl::string_view text) {
  std::map<std::string, std::string> out;
  while (!text.empty()) {
    const size_t eol = text.find('\n');
    const absl::string_view line = text.substr(0, eol);
    text.remove_prefix(eol == absl::string_view::npos ? text.size() : eol + 1);
    if (line.empty()) continue;
    const size_t eq = line.find('=');
    out[std::string(line.substr(0, eq))] =
        eq == absl::string_view::npos ? std::string() : std::string(line.substr(eq + 1));
  }
  return out;
}

}  // namespace kirim::fuzz

#endif  // KIRIM_TESTS_FUZZ_FUZZ_INPUT_H_
