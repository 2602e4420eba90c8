#include "client/ctl/batch_file.h"

#include <cmath>
#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"

namespace kirim::ctl {
namespace {

struct Record {
  std::vector<std::string> fields;
  int line = 0;  // where the record starts
};

// RFC 4180 §2 records. Lenient where the RFC is silent: a quote inside an unquoted field is
// kept as a character, and text after a closing quote is appended to the field.
absl::StatusOr<std::vector<Record>> SplitRecords(absl::string_view text) {
  if (absl::StartsWith(text, "\xEF\xBB\xBF")) text.remove_prefix(3);  // spreadsheet exports
  std::vector<Record> records;
  Record current;
  current.line = 1;
  std::string field;
  bool quoted = false;
  int line = 1;
  auto end_record = [&]() {
    current.fields.push_back(std::move(field));
    field.clear();
    // A blank line is a record of one empty field: not a recipient.
    if (!(current.fields.size() == 1 && current.fields[0].empty())) {
      records.push_back(std::move(current));
    }
    current = Record();
  };
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (quoted) {
      if (c == '"' && i + 1 < text.size() && text[i + 1] == '"') {
        field += '"';
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        if (c == '\n') ++line;
        field += c;
      }
    } else if (c == '"' && field.empty()) {
      quoted = true;
    } else if (c == ',') {
      current.fields.push_back(std::move(field));
      field.clear();
    } else if (c == '\n' || c == '\r') {
      if (c == '\r' && i + 1 < text.size() && text[i + 1] == '\n') ++i;
      end_record();
      current.line = ++line;
    } else {
      field += c;
    }
  }
  if (quoted) {
    return absl::InvalidArgumentError(
        absl::StrCat("line ", current.line, ": a quoted field is never closed"));
  }
  if (!field.empty() || !current.fields.empty()) end_record();
  return records;
}

// A JSON value as the text a template variable holds.
absl::StatusOr<std::string> Text(const google::protobuf::Value& v) {
  switch (v.kind_case()) {
    case google::protobuf::Value::kStringValue:
      return v.string_value();
    case google::protobuf::Value::kBoolValue:
      return std::string(v.bool_value() ? "true" : "false");
    case google::protobuf::Value::kNullValue:
      return std::string();
    case google::protobuf::Value::kNumberValue: {
      const double d = v.number_value();
      // Whole numbers (order numbers, postcodes) as integers, not "1.23457e+06".
      if (std::trunc(d) == d && std::fabs(d) < 9007199254740992.0) {
        return absl::StrCat(static_cast<int64_t>(d));
      }
      return absl::StrCat(d);
    }
    default:
      return absl::InvalidArgumentError("is not a string, number or boolean");
  }
}

bool IsAddressName(absl::string_view name) {
  return absl::EqualsIgnoreCase(name, "to") || absl::EqualsIgnoreCase(name, "email");
}

}  // namespace

absl::StatusOr<std::vector<BatchRow>> ParseRecipientsCsv(absl::string_view text) {
  absl::StatusOr<std::vector<Record>> records = SplitRecords(text);
  if (!records.ok()) return records.status();
  if (records->empty()) return absl::InvalidArgumentError("empty file: expected a header row");
  std::vector<std::string> header = (*records)[0].fields;
  int to_col = -1;
  std::set<std::string> names;
  for (size_t c = 0; c < header.size(); ++c) {
    header[c] = std::string(absl::StripAsciiWhitespace(header[c]));
    if (!names.insert(header[c]).second) {
      return absl::InvalidArgumentError(
          absl::StrCat("line ", (*records)[0].line, ": column \"", header[c], "\" appears twice"));
    }
    if (IsAddressName(header[c])) {
      if (to_col >= 0) {
        return absl::InvalidArgumentError(absl::StrCat(
            "line ", (*records)[0].line, ": two address columns (\"", header[to_col], "\" and \"",
            header[c], "\")"));
      }
      to_col = static_cast<int>(c);
    }
  }
  if (to_col < 0) {
    return absl::InvalidArgumentError("the header row has no \"to\" (or \"email\") column");
  }
  std::vector<BatchRow> rows;
  for (size_t r = 1; r < records->size(); ++r) {
    const Record& record = (*records)[r];
    if (record.fields.size() != header.size()) {
      return absl::InvalidArgumentError(absl::StrCat("line ", record.line, ": ",
                                                     record.fields.size(), " fields, the header has ",
                                                     header.size()));
    }
    BatchRow row;
    for (size_t c = 0; c < header.size(); ++c) {
      if (static_cast<int>(c) == to_col) {
        row.to = record.fields[c];
      } else if (absl::StartsWith(header[c], "meta:")) {
        row.metadata[header[c].substr(5)] = record.fields[c];
      } else {
        row.variables[header[c]] = record.fields[c];
      }
    }
    rows.push_back(std::move(row));
  }
  return rows;
}

absl::StatusOr<std::vector<BatchRow>> ParseRecipientsJson(absl::string_view text) {
  google::protobuf::ListValue list;
  if (!google::protobuf::util::JsonStringToMessage(std::string(text), &list).ok()) {
    return absl::InvalidArgumentError("not a JSON array of objects");
  }
  std::vector<BatchRow> rows;
  for (int i = 0; i < list.values_size(); ++i) {
    const std::string item = absl::StrCat("item ", i + 1, ": ");
    const google::protobuf::Value& v = list.values(i);
    if (!v.has_struct_value()) return absl::InvalidArgumentError(item + "not an object");
    BatchRow row;
    bool has_to = false;
    for (const auto& [key, value] : v.struct_value().fields()) {
      if ((key == "variables" || key == "metadata") && value.has_struct_value()) {
        auto& into = key == "variables" ? row.variables : row.metadata;
        for (const auto& [name, inner] : value.struct_value().fields()) {
          absl::StatusOr<std::string> text = Text(inner);
          if (!text.ok()) {
            return absl::InvalidArgumentError(
                absl::StrCat(item, key, ".", name, " ", text.status().message()));
          }
          into[name] = *std::move(text);
        }
        continue;
      }
      absl::StatusOr<std::string> text = Text(value);
      if (!text.ok()) {
        return absl::InvalidArgumentError(absl::StrCat(item, key, " ", text.status().message()));
      }
      if (IsAddressName(key)) {
        if (has_to) return absl::InvalidArgumentError(item + "two addresses (\"to\" and \"email\")");
        row.to = *std::move(text);
        has_to = true;
      } else {
        row.variables[key] = *std::move(text);
      }
    }
    if (!has_to) return absl::InvalidArgumentError(item + "no \"to\"");
    rows.push_back(std::move(row));
  }
  return rows;
}

absl::StatusOr<std::vector<BatchRow>> ParseRecipients(absl::string_view path,
                                                      absl::string_view text) {
  if (absl::EndsWithIgnoreCase(path, ".json")) return ParseRecipientsJson(text);
  return ParseRecipientsCsv(text);
}

}  // namespace kirim::ctl
