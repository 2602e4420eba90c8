// Fuzz target: the SMTP reply parser and Classify (server/smtp/reply.h).
//
// Input: what a server sent, split into lines at LF with one trailing CR dropped (what the
// client's ReadLine hands the parser). The lines feed one ReplyParser as a pipelined stream: a
// complete reply is taken and the next line starts the next one; after an error the parser is
// reset with Take(), as the contract allows.
// Invariants, for every complete reply:
//   - the code is the first line's three digits, 200..599, and Classify agrees with its first
//     digit (RFC 5321 §4.2.1): 2 and 3 positive, 4 transient, 5 permanent;
//   - it has 1..kMaxLines lines, each the tail of the line it came from, after the code, the
//     separator and at most the enhanced code and one space;
//   - an enhanced code is RFC 3463 class.subject.detail with the class of the reply code;
//   - ToString() starts with the code, and Text() is the lines joined by LF;
//   - adding a line before Take() is FailedPrecondition; every other error is InvalidArgument.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "server/smtp/reply.h"
#include "tests/fuzz/fuzz_input.h"

namespace kirim::smtp {
namespace {

bool IsDigits(absl::string_view s, size_t min, size_t max) {
  if (s.size() < min || s.size() > max) return false;
  for (char c : s) {
    if (!absl::ascii_isdigit(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

void CheckEnhancedCode(absl::string_view code, int reply_code) {
  if (code.empty()) return;
  const std::vector<absl::string_view> parts = absl::StrSplit(code, '.');
  KIRIM_FUZZ_CHECK(parts.size() == 3);
  KIRIM_FUZZ_CHECK(parts[0].size() == 1 && parts[0][0] == '0' + reply_code / 100);
  KIRIM_FUZZ_CHECK(IsDigits(parts[1], 1, 3) && IsDigits(parts[2], 1, 3));
}

void CheckReply(const Reply& reply, const std::vector<absl::string_view>& input) {
  KIRIM_FUZZ_CHECK(!input.empty() && reply.lines.size() == input.size());
  KIRIM_FUZZ_CHECK(reply.lines.size() <= ReplyParser::kMaxLines);
  int first_code = 0;
  KIRIM_FUZZ_CHECK(absl::SimpleAtoi(input.front().substr(0, 3), &first_code));
  KIRIM_FUZZ_CHECK(reply.code == first_code && reply.code >= 200 && reply.code <= 599);
  const ReplyClass expected = reply.code < 400   ? ReplyClass::kPositive
                              : reply.code < 500 ? ReplyClass::kTransient
                                                 : ReplyClass::kPermanent;
  KIRIM_FUZZ_CHECK(Classify(reply) == expected);
  CheckEnhancedCode(reply.enhanced_code, reply.code);
  for (size_t i = 0; i < input.size(); ++i) {
    const absl::string_view line = input[i];
    KIRIM_FUZZ_CHECK(absl::StartsWith(line, absl::StrCat(reply.code)));
    KIRIM_FUZZ_CHECK(line.size() == 3 || line[3] == (i + 1 == input.size() ? ' ' : '-'));
    KIRIM_FUZZ_CHECK(absl::EndsWith(line, reply.lines[i]));
    const absl::string_view after_code = line.size() > 4 ? line.substr(4) : absl::string_view();
    KIRIM_FUZZ_CHECK(after_code.size() >= reply.lines[i].size());
    const absl::string_view dropped = after_code.substr(0, after_code.size() - reply.lines[i].size());
    KIRIM_FUZZ_CHECK(dropped.empty() ||
                     (!reply.enhanced_code.empty() &&
                      (dropped == reply.enhanced_code ||
                       dropped == absl::StrCat(reply.enhanced_code, " "))));
  }
  KIRIM_FUZZ_CHECK(absl::StartsWith(reply.ToString(), absl::StrCat(reply.code)));
  KIRIM_FUZZ_CHECK(reply.Text() == absl::StrJoin(reply.lines, "\n"));
}

}  // namespace
}  // namespace kirim::smtp

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using kirim::smtp::ReplyParser;
  const absl::string_view text(reinterpret_cast<const char*>(data), size);
  ReplyParser parser;
  std::vector<absl::string_view> lines;  // the lines of the reply being parsed
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    absl::ConsumeSuffix(&line, "\r");
    absl::StatusOr<bool> done = parser.AddLine(line);
    if (!done.ok()) {
      KIRIM_FUZZ_CHECK(done.status().code() == absl::StatusCode::kInvalidArgument);
      parser.Take();
      lines.clear();
      continue;
    }
    lines.push_back(line);
    if (!*done) continue;
    absl::StatusOr<bool> again = parser.AddLine("250 OK");
    KIRIM_FUZZ_CHECK(again.status().code() == absl::StatusCode::kFailedPrecondition);
    kirim::smtp::CheckReply(parser.Take(), lines);
    lines.clear();
  }
  // What is left is an unfinished reply: the parser holds exactly those lines.
  const kirim::smtp::Reply rest = parser.Take();
  KIRIM_FUZZ_CHECK(rest.lines.size() == lines.size());
  return 0;
}
