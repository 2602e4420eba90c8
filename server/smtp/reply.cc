#include "server/smtp/reply.h"

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace kirim::smtp {
namespace {

// Quotes a (possibly hostile) line for an error message: bounded and without control bytes,
// so a server cannot flood or forge our logs.
std::string Quote(absl::string_view line) {
  constexpr size_t kMaxShown = 80;
  std::string out;
  for (char c : line.substr(0, kMaxShown)) {
    unsigned char u = static_cast<unsigned char>(c);
    out.push_back(u < 0x20 || u == 0x7f ? '?' : c);
  }
  if (line.size() > kMaxShown) out += "...";
  return absl::StrCat("\"", out, "\"");
}

bool IsDigits(absl::string_view s, size_t min, size_t max) {
  if (s.size() < min || s.size() > max) return false;
  for (char c : s) {
    if (!absl::ascii_isdigit(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

// Length of an RFC 3463 "class.subject.detail" code at the start of `text`, or 0. The class
// must agree with the reply code's first digit (RFC 2034 §4): "250 5.0.0" is not an enhanced
// code but text, and treating it as one would misreport the outcome.
size_t EnhancedCodeLength(absl::string_view text, int code) {
  size_t end = text.find(' ');
  absl::string_view token = text.substr(0, end);
  if (token.size() < 5 || token[0] != static_cast<char>('0' + code / 100) || token[1] != '.') {
    return 0;
  }
  absl::string_view rest = token.substr(2);
  size_t dot = rest.find('.');
  if (dot == absl::string_view::npos) return 0;
  if (!IsDigits(rest.substr(0, dot), 1, 3) || !IsDigits(rest.substr(dot + 1), 1, 3)) return 0;
  return token.size();
}

}  // namespace

std::string Reply::Text() const { return absl::StrJoin(lines, "\n"); }

std::string Reply::ToString() const {
  std::string out = absl::StrCat(code);
  if (!enhanced_code.empty()) absl::StrAppend(&out, " ", enhanced_code);
  std::string text = absl::StrJoin(lines, " ");
  if (!text.empty()) absl::StrAppend(&out, " ", text);
  return out;
}

ReplyClass Classify(const Reply& reply) {
  switch (reply.code / 100) {
    case 2:
    case 3:
      return ReplyClass::kPositive;
    case 5:
      return ReplyClass::kPermanent;
    default:
      // 4yz, and everything we cannot interpret: see the header for why malformed is transient.
      return ReplyClass::kTransient;
  }
}

absl::StatusOr<bool> ReplyParser::AddLine(absl::string_view line) {
  if (complete_) {
    return absl::FailedPreconditionError("reply already complete; call Take() first");
  }
  if (line.size() > kMaxLineLength) {
    return absl::InvalidArgumentError(
        absl::StrCat("reply line of ", line.size(), " octets exceeds ", kMaxLineLength));
  }
  if (reply_.lines.size() >= kMaxLines) {
    return absl::InvalidArgumentError(absl::StrCat("reply has more than ", kMaxLines, " lines"));
  }
  // RFC 5321 §4.2: Reply-code = %x32-35 %x30-35 %x30-39. The second digit is not checked:
  // servers do send e.g. 571, and rejecting it would turn a clear refusal into a parse error.
  if (line.size() < 3 || line[0] < '2' || line[0] > '5' || !IsDigits(line.substr(0, 3), 3, 3)) {
    return absl::InvalidArgumentError(absl::StrCat("malformed reply line ", Quote(line)));
  }
  int code = (line[0] - '0') * 100 + (line[1] - '0') * 10 + (line[2] - '0');
  if (!reply_.lines.empty() && code != reply_.code) {
    return absl::InvalidArgumentError(absl::StrCat("reply code changed from ", reply_.code,
                                                   " to ", code, " within one reply at ",
                                                   Quote(line)));
  }
  bool last;
  if (line.size() == 3 || line[3] == ' ') {
    last = true;
  } else if (line[3] == '-') {
    last = false;
  } else {
    return absl::InvalidArgumentError(absl::StrCat("malformed reply line ", Quote(line)));
  }

  absl::string_view text = line.size() > 4 ? line.substr(4) : absl::string_view();
  bool first = reply_.lines.empty();
  reply_.code = code;
  size_t enhanced = EnhancedCodeLength(text, code);
  if (first && enhanced > 0) {
    reply_.enhanced_code = std::string(text.substr(0, enhanced));
  }
  // RFC 2034 §4 repeats the enhanced code on every line; it is metadata, not text.
  if (enhanced > 0 && !reply_.enhanced_code.empty() &&
      text.substr(0, enhanced) == reply_.enhanced_code) {
    text.remove_prefix(enhanced);
    if (!text.empty() && text.front() == ' ') text.remove_prefix(1);
  }
  reply_.lines.emplace_back(text);
  complete_ = last;
  return last;
}

Reply ReplyParser::Take() {
  Reply out = std::move(reply_);
  reply_ = Reply();
  complete_ = false;
  return out;
}

}  // namespace kirim::smtp
