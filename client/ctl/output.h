// kirimctl's output formats. `--output table` (the default; `text` is an alias) is for people:
// list-like results as aligned columns under a header row. `--output json` is for scripts: the
// response proto as JSON with the .proto field names (snake_case), one document per call, or
// one compact object per line (NDJSON) for streams. `--output zone` is a third form that only
// `domains` understands.
//
//   Table t({"DESTINATION", "PAUSED"});
//   t.AddRow({"gmail.com", "yes"});
//   t.Print(std::cout);          // DESTINATION  PAUSED
//                                // gmail.com    yes
//   PrintJson(response, std::cout);
#ifndef KIRIM_CLIENT_CTL_OUTPUT_H_
#define KIRIM_CLIENT_CTL_OUTPUT_H_

#include <cstddef>
#include <ostream>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "google/protobuf/message.h"
#include "google/protobuf/timestamp.pb.h"

namespace kirim::ctl {

enum class OutputFormat { kTable, kJson, kZone };

// "table" (or its alias "text"), "json" or "zone"; InvalidArgument otherwise.
absl::StatusOr<OutputFormat> ParseOutputFormat(absl::string_view text);

// `message` as JSON with the .proto field names. `pretty`: indented over several lines (ends
// with a newline); otherwise one line without a newline.
std::string ToJson(const google::protobuf::Message& message, bool pretty);

// Indented JSON, as every non-streaming command prints with --output json.
void PrintJson(const google::protobuf::Message& message, std::ostream& out);

// One compact JSON object and a newline: one line of an NDJSON stream (`watch`).
void PrintJsonLine(const google::protobuf::Message& message, std::ostream& out);

// RFC 3339 in UTC to the second ("2026-01-02T03:04:05+00:00", as kirimctl has always printed
// times); "" for an unset timestamp.
std::string FormatTimestamp(const google::protobuf::Timestamp& t);

// Columns for people: each column as wide as its widest cell (the header included), two
// spaces between columns, the last column unpadded so lines carry no trailing blanks. Widths
// count UTF-8 characters, not bytes; line breaks inside a cell become spaces so a row stays
// one line.
class Table {
 public:
  explicit Table(std::vector<std::string> header);

  // A row with fewer cells than the header is padded with empty cells.
  void AddRow(std::vector<std::string> cells);

  // The header row, then every row.
  void Print(std::ostream& out) const;

  // One line (no newline) with the given column widths: for a stream whose rows are not known
  // in advance, printed row by row with fixed widths. A cell wider than its column pushes the
  // rest of the line right rather than being cut.
  static std::string FormatRow(const std::vector<std::string>& cells,
                               const std::vector<size_t>& widths);

 private:
  std::vector<std::string> header_;
  std::vector<std::vector<std::string>> rows_;
};

}  // namespace kirim::ctl

#endif  // KIRIM_CLIENT_CTL_OUTPUT_H_
