// Fuzz target: the template engine (server/templates/template_engine.h).
//
// Input: fields separated by 0x1F (tests/fuzz/fuzz_input.h): subject, text body, html body,
// the template's default variables and the recipient's variables, both as "name=value" lines.
// Invariants:
//   - Compile fails only with InvalidArgument, and a syntax error says where:
//     "<part>:<line>:<column>: ...";
//   - a compiled template renders the same twice, and the same through the std::map and the
//     protobuf Map overloads (SendBatch uses the latter);
//   - rendering agrees with a reference renderer written here from the header's description
//     (a tree walk over the text, not the compiled node list): the same parts, or the same
//     missing / invalid-UTF-8 variable reported (MissingVariable);
//   - rendered parts are valid UTF-8, and every template renders once every variable is set;
//   - variables() is exactly the set of names in the template's tags.
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/string_view.h"
#include "absl/strings/strip.h"
#include "google/protobuf/map.h"
#include "kirim/v1/mail_service.pb.h"
#include "server/common/text.h"
#include "server/templates/template_engine.h"
#include "tests/fuzz/fuzz_input.h"

namespace kirim {
namespace {

using Vars = std::map<std::string, std::string>;

// One tag or run of text of a template that compiled.
struct Token {
  enum class Kind { kText, kEscaped, kRaw, kSection, kInverted, kClose };
  Kind kind;
  std::string text;  // kText: the text; others: the variable name
};

absl::string_view Trim(absl::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// The banner's syntax, read from the text of a part that Compile accepted.
std::vector<Token> Tokenize(absl::string_view text, bool html) {
  std::vector<Token> out;
  size_t pos = 0;
  while (pos < text.size()) {
    const size_t tag = text.find("{{", pos);
    if (tag != pos) {
      out.push_back({Token::Kind::kText, std::string(text.substr(pos, tag - pos))});
    }
    if (tag == absl::string_view::npos) break;
    if (absl::StartsWith(text.substr(tag), "{{{")) {
      const size_t close = text.find("}}}", tag + 3);
      out.push_back({Token::Kind::kRaw, std::string(Trim(text.substr(tag + 3, close - tag - 3)))});
      pos = close + 3;
      continue;
    }
    const size_t close = text.find("}}", tag + 2);
    absl::string_view content = Trim(text.substr(tag + 2, close - tag - 2));
    pos = close + 2;
    const std::string rest(Trim(content.substr(1)));
    switch (content.front()) {
      case '!':
        break;
      case '&':
        out.push_back({Token::Kind::kRaw, rest});
        break;
      case '#':
        out.push_back({Token::Kind::kSection, rest});
        break;
      case '^':
        out.push_back({Token::Kind::kInverted, rest});
        break;
      case '/':
        out.push_back({Token::Kind::kClose, rest});
        break;
      default:
        out.push_back({html ? Token::Kind::kEscaped : Token::Kind::kRaw, std::string(content)});
    }
  }
  return out;
}

std::string HtmlEscape(absl::string_view value) {
  std::string out;
  for (char c : value) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out.push_back(c);
    }
  }
  return out;
}

// What Render should give: the parts, or the name of the variable it should fail on.
struct Expected {
  std::optional<RenderedParts> parts;
  std::string failed_variable;
};

Expected ReferenceRender(const std::vector<std::vector<Token>>& parts, const Vars& defaults,
                         const Vars& variables) {
  auto lookup = [&](const std::string& name) -> const std::string* {
    if (auto it = variables.find(name); it != variables.end()) return &it->second;
    if (auto it = defaults.find(name); it != defaults.end()) return &it->second;
    return nullptr;
  };
  // Every variable the template names is checked before anything renders, in the order the
  // names first appear.
  for (const std::vector<Token>& part : parts) {
    for (const Token& t : part) {
      if (t.kind == Token::Kind::kText) continue;
      auto it = variables.find(t.text);
      if (it != variables.end() && !IsValidUtf8(it->second)) return {std::nullopt, t.text};
    }
  }
  std::string rendered[3];
  for (int p = 0; p < 3; ++p) {
    std::vector<bool> active = {true};
    for (const Token& t : parts[p]) {
      const std::string* value = t.kind == Token::Kind::kText ? nullptr : lookup(t.text);
      const bool truthy = value != nullptr && !value->empty() && *value != "0" && *value != "false";
      switch (t.kind) {
        case Token::Kind::kText:
          if (active.back()) rendered[p] += t.text;
          break;
        case Token::Kind::kSection:
          active.push_back(active.back() && truthy);
          break;
        case Token::Kind::kInverted:
          active.push_back(active.back() && !truthy);
          break;
        case Token::Kind::kClose:
          active.pop_back();
          break;
        case Token::Kind::kEscaped:
        case Token::Kind::kRaw:
          if (!active.back()) break;
          if (value == nullptr) return {std::nullopt, t.text};
          rendered[p] += t.kind == Token::Kind::kEscaped ? HtmlEscape(*value) : *value;
          break;
      }
    }
  }
  return {RenderedParts{rendered[0], rendered[1], rendered[2]}, ""};
}

bool SameResult(const absl::StatusOr<RenderedParts>& a, const absl::StatusOr<RenderedParts>& b) {
  if (a.ok() != b.ok()) return false;
  if (!a.ok()) return a.status() == b.status() && MissingVariable(a.status()) == MissingVariable(b.status());
  return a->subject == b->subject && a->text_body == b->text_body && a->html_body == b->html_body;
}

// "<part>:<line>:<column>: " at the start of a syntax error.
bool HasPosition(absl::string_view message) {
  for (absl::string_view part : {"subject:", "text_body:", "html_body:"}) {
    if (!absl::ConsumePrefix(&message, part)) continue;
    for (int number = 0; number < 2; ++number) {
      const size_t digits = message.find_first_not_of("0123456789");
      if (digits == 0 || digits == absl::string_view::npos || message[digits] != ':') return false;
      message.remove_prefix(digits + 1);
    }
    return absl::StartsWith(message, " ");
  }
  return false;
}

void FuzzOne(const uint8_t* data, size_t size) {
  fuzz::FuzzInput input(data, size);
  v1::Template t;
  t.set_subject(std::string(input.Field()));
  t.set_text_body(std::string(input.Field()));
  t.set_html_body(std::string(input.Field()));
  const Vars defaults = fuzz::ParseAssignments(input.Field());
  const Vars variables = fuzz::ParseAssignments(input.Field());
  for (const auto& [name, value] : defaults) (*t.mutable_default_variables())[name] = value;

  absl::StatusOr<CompiledTemplate> compiled = CompiledTemplate::Compile(t);
  if (!compiled.ok()) {
    KIRIM_FUZZ_CHECK(compiled.status().code() == absl::StatusCode::kInvalidArgument);
    const absl::string_view message = compiled.status().message();
    KIRIM_FUZZ_CHECK(HasPosition(message) || absl::StartsWith(message, "default variable") ||
                     absl::StrContains(message, ": longer than"));
    return;
  }
  const std::vector<std::vector<Token>> parts = {Tokenize(t.subject(), false),
                                                 Tokenize(t.text_body(), false),
                                                 Tokenize(t.html_body(), true)};
  std::set<std::string> names;
  for (const auto& part : parts) {
    for (const Token& token : part) {
      if (token.kind != Token::Kind::kText) names.insert(token.text);
    }
  }
  KIRIM_FUZZ_CHECK(compiled->variables() == names);

  const absl::StatusOr<RenderedParts> first = compiled->Render(variables);
  KIRIM_FUZZ_CHECK(SameResult(first, compiled->Render(variables)));
  google::protobuf::Map<std::string, std::string> proto_variables(variables.begin(), variables.end());
  KIRIM_FUZZ_CHECK(SameResult(first, compiled->Render(proto_variables)));

  const Expected expected = ReferenceRender(parts, defaults, variables);
  if (first.ok()) {
    KIRIM_FUZZ_CHECK(expected.parts.has_value());
    KIRIM_FUZZ_CHECK(first->subject == expected.parts->subject);
    KIRIM_FUZZ_CHECK(first->text_body == expected.parts->text_body);
    KIRIM_FUZZ_CHECK(first->html_body == expected.parts->html_body);
    KIRIM_FUZZ_CHECK(IsValidUtf8(first->subject) && IsValidUtf8(first->text_body) &&
                     IsValidUtf8(first->html_body));
  } else {
    KIRIM_FUZZ_CHECK(first.status().code() == absl::StatusCode::kInvalidArgument);
    const bool too_long = absl::StrContains(first.status().message(), "longer than");
    KIRIM_FUZZ_CHECK(too_long || MissingVariable(first.status()) == expected.failed_variable);
    KIRIM_FUZZ_CHECK(too_long || !expected.parts.has_value());
  }

  Vars all_set;
  for (const std::string& name : names) all_set[name] = "1";
  KIRIM_FUZZ_CHECK(compiled->Render(all_set).ok());
}

}  // namespace
}  // namespace kirim

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  kirim::FuzzOne(data, size);
  return 0;
}
