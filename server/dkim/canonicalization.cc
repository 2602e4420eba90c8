#include "server/dkim/canonicalization.h"

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"

namespace kirim::dkim {
namespace {

constexpr absl::string_view kCrlf = "\r\n";

bool IsWsp(char c) { return c == ' ' || c == '\t'; }

absl::string_view TrimWsp(absl::string_view s) {
  while (!s.empty() && IsWsp(s.front())) s.remove_prefix(1);
  while (!s.empty() && IsWsp(s.back())) s.remove_suffix(1);
  return s;
}

// Appends `text` with each WSP run as one SP; a run at the very end is dropped, one at the
// start kept as a SP.
void AppendCompressed(absl::string_view text, std::string* out) {
  bool pending_space = false;
  for (char c : text) {
    if (IsWsp(c)) {
      pending_space = true;
      continue;
    }
    if (pending_space) out->push_back(' ');
    pending_space = false;
    out->push_back(c);
  }
}

}  // namespace

absl::string_view HeaderField::RawValue() const {
  const absl::string_view view(raw);
  const size_t colon = view.find(':');
  return colon == absl::string_view::npos ? absl::string_view() : view.substr(colon + 1);
}

std::string RelaxedHeader(absl::string_view name, absl::string_view raw_value) {
  std::string out = absl::AsciiStrToLower(TrimWsp(name));
  out.push_back(':');
  // Unfold: drop every CRLF; the WSP that followed it is compressed below.
  std::string unfolded;
  unfolded.reserve(raw_value.size());
  for (size_t pos = 0; pos < raw_value.size();) {
    const size_t crlf = raw_value.find(kCrlf, pos);
    const size_t end = crlf == absl::string_view::npos ? raw_value.size() : crlf;
    unfolded.append(raw_value.data() + pos, end - pos);
    pos = end + (crlf == absl::string_view::npos ? 0 : kCrlf.size());
  }
  AppendCompressed(TrimWsp(unfolded), &out);
  out.append(kCrlf.data(), kCrlf.size());
  return out;
}

std::string RelaxedBody(absl::string_view body) {
  std::string out;
  out.reserve(body.size() + kCrlf.size());
  // Empty lines are only written once a later line has content, so trailing ones vanish.
  size_t pending_empty_lines = 0;
  for (size_t pos = 0; pos < body.size();) {
    const size_t crlf = body.find(kCrlf, pos);
    const size_t end = crlf == absl::string_view::npos ? body.size() : crlf;
    const absl::string_view line = body.substr(pos, end - pos);
    pos = crlf == absl::string_view::npos ? body.size() : end + kCrlf.size();

    std::string canonical;
    AppendCompressed(line, &canonical);
    if (canonical.empty()) {  // empty, or WSP only
      ++pending_empty_lines;
      continue;
    }
    for (; pending_empty_lines > 0; --pending_empty_lines) out.append(kCrlf.data(), kCrlf.size());
    out += canonical;
    out.append(kCrlf.data(), kCrlf.size());
  }
  return out;
}

absl::StatusOr<std::pair<std::vector<HeaderField>, absl::string_view>> SplitMessage(
    absl::string_view message) {
  std::vector<HeaderField> fields;
  int line_number = 0;
  for (size_t pos = 0; pos < message.size();) {
    ++line_number;
    const size_t crlf = message.find(kCrlf, pos);
    const size_t end = crlf == absl::string_view::npos ? message.size() : crlf;
    const absl::string_view line = message.substr(pos, end - pos);
    pos = crlf == absl::string_view::npos ? message.size() : end + kCrlf.size();

    if (line.empty()) return std::make_pair(std::move(fields), message.substr(pos));
    if (line.find_first_of("\r\n") != absl::string_view::npos) {
      return absl::InvalidArgumentError(absl::StrCat(
          "header line ", line_number, " contains a bare CR or LF; use CRLF line ends"));
    }
    if (IsWsp(line.front())) {
      if (fields.empty()) {
        return absl::InvalidArgumentError("the header block starts with a continuation line");
      }
      absl::StrAppend(&fields.back().raw, kCrlf, line);
      continue;
    }
    const size_t colon = line.find(':');
    if (colon == absl::string_view::npos) {
      return absl::InvalidArgumentError(absl::StrCat("header line ", line_number, " has no colon"));
    }
    // RFC 5322 §4.5.3 (obsolete syntax) allows WSP between the name and the colon.
    absl::string_view name = line.substr(0, colon);
    while (!name.empty() && IsWsp(name.back())) name.remove_suffix(1);
    if (name.empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat("header line ", line_number, " has an empty field name"));
    }
    for (char c : name) {
      if (c < 33 || c > 126) {  // RFC 5322 §3.6.8 ftext (':' cannot occur before `colon`)
        return absl::InvalidArgumentError(
            absl::StrCat("header line ", line_number, " has a field name with invalid characters"));
      }
    }
    fields.push_back(HeaderField{std::string(name), std::string(line)});
  }
  return std::make_pair(std::move(fields), message.substr(message.size()));
}

}  // namespace kirim::dkim
