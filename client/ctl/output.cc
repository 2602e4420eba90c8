#include "client/ctl/output.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "google/protobuf/util/json_util.h"

namespace kirim::ctl {
namespace {

// UTF-8 characters in `text`: every byte that is not a continuation byte (10xxxxxx).
size_t DisplayWidth(absl::string_view text) {
  return static_cast<size_t>(std::count_if(text.begin(), text.end(), [](char c) {
    return (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  }));
}

std::string OneLine(std::string text) {
  for (char& c : text) {
    if (c == '\n' || c == '\r' || c == '\t') c = ' ';
  }
  return text;
}

}  // namespace

absl::StatusOr<OutputFormat> ParseOutputFormat(absl::string_view text) {
  if (text == "table" || text == "text") return OutputFormat::kTable;
  if (text == "json") return OutputFormat::kJson;
  if (text == "zone") return OutputFormat::kZone;
  return absl::InvalidArgumentError(
      absl::StrCat("output: \"", text, "\" is not one of table, json, zone (text = table)"));
}

std::string ToJson(const google::protobuf::Message& message, bool pretty) {
  google::protobuf::util::JsonPrintOptions options;
  options.add_whitespace = pretty;
  options.preserve_proto_field_names = true;
  std::string json;
  // Only a message holding an Any of an unknown type fails to print; kirimctl has none.
  (void)google::protobuf::util::MessageToJsonString(message, &json, options);
  if (pretty && (json.empty() || json.back() != '\n')) json += '\n';
  return json;
}

void PrintJson(const google::protobuf::Message& message, std::ostream& out) {
  out << ToJson(message, /*pretty=*/true);
}

void PrintJsonLine(const google::protobuf::Message& message, std::ostream& out) {
  out << ToJson(message, /*pretty=*/false) << "\n";
}

std::string FormatTimestamp(const google::protobuf::Timestamp& t) {
  if (t.seconds() == 0 && t.nanos() == 0) return "";
  return absl::FormatTime(absl::RFC3339_sec, absl::FromUnixSeconds(t.seconds()),
                          absl::UTCTimeZone());
}

Table::Table(std::vector<std::string> header) : header_(std::move(header)) {}

void Table::AddRow(std::vector<std::string> cells) {
  cells.resize(std::max(cells.size(), header_.size()));
  for (std::string& cell : cells) cell = OneLine(std::move(cell));
  rows_.push_back(std::move(cells));
}

void Table::Print(std::ostream& out) const {
  std::vector<size_t> widths(header_.size(), 0);
  auto widen = [&](const std::vector<std::string>& row) {
    if (widths.size() < row.size()) widths.resize(row.size(), 0);
    for (size_t i = 0; i < row.size(); ++i) widths[i] = std::max(widths[i], DisplayWidth(row[i]));
  };
  widen(header_);
  for (const auto& row : rows_) widen(row);
  out << FormatRow(header_, widths) << "\n";
  for (const auto& row : rows_) out << FormatRow(row, widths) << "\n";
}

std::string Table::FormatRow(const std::vector<std::string>& cells,
                             const std::vector<size_t>& widths) {
  // Trailing empty cells would only add blanks.
  size_t n = cells.size();
  while (n > 0 && cells[n - 1].empty()) --n;
  std::string line;
  for (size_t i = 0; i < n; ++i) {
    const std::string cell = OneLine(cells[i]);
    line += cell;
    if (i + 1 < n) {
      const size_t width = i < widths.size() ? widths[i] : 0;
      const size_t used = DisplayWidth(cell);
      line.append((width > used ? width - used : 0) + 2, ' ');
    }
  }
  return line;
}

}  // namespace kirim::ctl
