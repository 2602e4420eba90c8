// Fuzz target: loading kirimd's configuration (server/config/config.h).
//
// Input: a config file's text, then (after a 0x1F byte, tests/fuzz/fuzz_input.h) the
// environment as "KIRIM_NAME=value" lines. The text is JSON when its first non-blank byte is
// '{' (what a ".json" file name selects), protobuf text format otherwise. It goes through what
// LoadConfig does after reading the file: ParseConfig, ApplyEnvironment, ApplyDefaults,
// ValidateConfig (and UnknownEnvironment, which kirimd calls next).
// Invariants:
//   - no text or environment crashes the loader or trips a sanitizer; every error is
//     InvalidArgument;
//   - a JSON config, printed in text format, reads back the same (NaN equal to NaN, -0 to
//     unset: differences of protobuf's two parsers, not of Kirim's reading);
//   - the effective config, once valid, is a fixed point: what `kirimd --check_config` prints
//     loads back (defaults applied again, validated again) to exactly the same config.
#include <cstddef>
#include <cstdint>
#include <map>
#include <string>

#include "absl/strings/string_view.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/io/zero_copy_stream_impl_lite.h"
#include "google/protobuf/text_format.h"
#include "google/protobuf/util/field_comparator.h"
#include "google/protobuf/util/message_differencer.h"
#include "server/config/config.h"
#include "tests/fuzz/fuzz_input.h"

namespace kirim {
namespace {

std::string Text(const Config& config) {
  std::string text;
  KIRIM_FUZZ_CHECK(google::protobuf::TextFormat::PrintToString(config, &text));
  return text;
}

// Field by field, with what the formats cannot tell apart counted equal: NaN and NaN, and an
// unset field and one set to -0 (protobuf's JSON parser drops a -0 that its text parser
// keeps as set; Kirim reads both as 0).
bool Same(const Config& a, const Config& b) {
  google::protobuf::util::DefaultFieldComparator comparator;
  comparator.set_treat_nan_as_equal(true);
  google::protobuf::util::MessageDifferencer differencer;
  differencer.set_field_comparator(&comparator);
  differencer.set_message_field_comparison(google::protobuf::util::MessageDifferencer::EQUIVALENT);
  return differencer.Compare(a, b);
}

// The protobuf bytes of `config` (deterministic: equal configs, equal bytes).
std::string Bytes(const Config& config) {
  std::string bytes;
  google::protobuf::io::StringOutputStream stream(&bytes);
  google::protobuf::io::CodedOutputStream out(&stream);
  out.SetSerializationDeterministic(true);
  KIRIM_FUZZ_CHECK(config.SerializeToCodedStream(&out));
  return bytes;
}

void FuzzOne(const uint8_t* data, size_t size) {
  fuzz::FuzzInput input(data, size);
  const absl::string_view content = input.Field();
  const std::map<std::string, std::string> env = fuzz::ParseAssignments(input.Field());
  const size_t first = content.find_first_not_of(" \t\r\n");
  const bool json = first != absl::string_view::npos && content[first] == '{';

  absl::StatusOr<Config> config = ParseConfig(content, json ? "json" : "text");
  if (!config.ok()) {
    KIRIM_FUZZ_CHECK(config.status().code() == absl::StatusCode::kInvalidArgument);
    return;
  }
  if (json) {
    // The same config written in text format reads the same.
    absl::StatusOr<Config> as_text = ParseConfig(Text(*config), "text");
    KIRIM_FUZZ_CHECK(as_text.ok() && Same(*as_text, *config));
  }
  if (absl::Status s = ApplyEnvironment(env, &*config); !s.ok()) {
    KIRIM_FUZZ_CHECK(s.code() == absl::StatusCode::kInvalidArgument);
    return;
  }
  UnknownEnvironment(env);
  ApplyDefaults(&*config);
  if (absl::Status s = ValidateConfig(*config); !s.ok()) {
    KIRIM_FUZZ_CHECK(s.code() == absl::StatusCode::kInvalidArgument);
    return;
  }
  // The effective config loads back unchanged. Through protobuf's binary form, which keeps
  // exactly the fields text format prints (proto3: the non-zero ones) at a fraction of the
  // cost of printing and parsing text for every input.
  const std::string effective = Bytes(*config);
  Config reloaded;
  KIRIM_FUZZ_CHECK(reloaded.ParseFromString(effective));
  ApplyDefaults(&reloaded);
  KIRIM_FUZZ_CHECK(Bytes(reloaded) == effective);
  KIRIM_FUZZ_CHECK(ValidateConfig(reloaded).ok());
}

}  // namespace
}  // namespace kirim

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  kirim::FuzzOne(data, size);
  return 0;
}
