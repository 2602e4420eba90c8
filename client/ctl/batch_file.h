// The recipients file of `kirimctl batch`: one row per recipient, with the template variables
// and metadata of that recipient. Two forms:
//
// CSV (RFC 4180): a header row naming the columns, then one record per recipient. The column
// "to" (or "email"; case-insensitive) is the address, a column "meta:<key>" is metadata, every
// other column is a template variable. Fields may be quoted ("..."), and a quoted field may hold
// commas, line breaks and doubled quotes (""). CRLF or LF line ends; a UTF-8 byte order mark and
// blank lines are ignored.
//
//   to,name,meta:customer
//   ana@example.net,"Ana, the ""first""",c-1
//
// JSON: an array of objects, either {"to": ..., "variables": {...}, "metadata": {...}} or flat
// ({"to": ..., "name": "Ana"}: every other field is a variable). Numbers and booleans become
// their text ("42", "true").
//
//   absl::StatusOr<std::vector<BatchRow>> rows = ParseRecipients("list.csv", text);
//
// Errors are InvalidArgument and say where: "line 4: 3 fields, the header has 2" (the line the
// record starts on) or "item 2: no \"to\"".
#ifndef KIRIM_CLIENT_CTL_BATCH_FILE_H_
#define KIRIM_CLIENT_CTL_BATCH_FILE_H_

#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace kirim::ctl {

struct BatchRow {
  std::string to;
  std::map<std::string, std::string> variables;
  std::map<std::string, std::string> metadata;
};

absl::StatusOr<std::vector<BatchRow>> ParseRecipientsCsv(absl::string_view text);
absl::StatusOr<std::vector<BatchRow>> ParseRecipientsJson(absl::string_view text);

// JSON when `path` ends in ".json" (any case), CSV otherwise.
absl::StatusOr<std::vector<BatchRow>> ParseRecipients(absl::string_view path,
                                                      absl::string_view text);

}  // namespace kirim::ctl

#endif  // KIRIM_CLIENT_CTL_BATCH_FILE_H_
