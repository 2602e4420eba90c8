#include "server/templates/template_engine.h"

#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/container/inlined_vector.h"
#include "absl/strings/cord.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "server/common/status_macros.h"
#include "server/common/text.h"

namespace kirim {
namespace {

bool IsNameChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '.' || c == '-';
}

bool IsBlank(char c) { return c == ' ' || c == '\t'; }

absl::string_view TrimBlanks(absl::string_view s) {
  while (!s.empty() && IsBlank(s.front())) s.remove_prefix(1);
  while (!s.empty() && IsBlank(s.back())) s.remove_suffix(1);
  return s;
}

// A character for an error message: itself when printable ASCII, else its bytes in hex.
std::string Describe(char c) {
  const auto u = static_cast<unsigned char>(c);
  if (u >= 0x20 && u < 0x7f) return absl::StrCat("\"", absl::string_view(&c, 1), "\"");
  return absl::StrFormat("byte 0x%02X", u);
}

// The offset of the first byte that does not start a valid UTF-8 sequence, or npos.
size_t FirstInvalidUtf8(absl::string_view text) {
  size_t i = 0;
  while (i < text.size()) {
    const size_t len = Utf8SequenceLength(static_cast<unsigned char>(text[i]));
    if (i + len > text.size() || !IsValidUtf8(text.substr(i, len))) return i;
    i += len;
  }
  return absl::string_view::npos;
}

bool Truthy(const std::string* value) {
  return value != nullptr && !value->empty() && *value != "0" && *value != "false";
}

void AppendHtmlEscaped(absl::string_view value, std::string* out) {
  size_t start = 0;
  while (true) {
    const size_t special = value.find_first_of("&<>\"'", start);
    if (special == absl::string_view::npos) break;
    out->append(value.data() + start, special - start);
    switch (value[special]) {
      case '&':
        out->append("&amp;");
        break;
      case '<':
        out->append("&lt;");
        break;
      case '>':
        out->append("&gt;");
        break;
      case '"':
        out->append("&quot;");
        break;
      default:
        out->append("&#39;");
        break;
    }
    start = special + 1;
  }
  out->append(value.data() + start, value.size() - start);
}

absl::Status VariableError(const std::string& name, std::string message) {
  absl::Status status = absl::InvalidArgumentError(std::move(message));
  status.SetPayload(kTemplateVariablePayloadUrl, absl::Cord(name));
  return status;
}

}  // namespace

// Compiles one part into a Part, interning variable names in the table all three parts share.
class CompiledTemplate::PartCompiler {
 public:
  struct Names {
    absl::flat_hash_map<std::string, uint32_t> index;
    std::vector<std::string> names;

    uint32_t Intern(absl::string_view name) {
      auto [it, inserted] = index.try_emplace(name, static_cast<uint32_t>(names.size()));
      if (inserted) names.emplace_back(name);
      return it->second;
    }
  };

  PartCompiler(absl::string_view part_name, absl::string_view text, bool html, Names& names)
      : part_name_(part_name), text_(text), html_(html), names_(names) {}

  absl::Status Run(Part& part) {
    if (text_.size() > kMaxTemplatePartBytes) {
      return absl::InvalidArgumentError(
          absl::StrCat(part_name_, ": longer than ", kMaxTemplatePartBytes, " bytes"));
    }
    if (const size_t bad = FirstInvalidUtf8(text_); bad != absl::string_view::npos) {
      return ErrorAt(bad, "not valid UTF-8");
    }
    struct Open {
      size_t node;    // the section's node
      uint32_t name;  // its variable
      size_t offset;  // where its tag starts
    };
    std::vector<Open> open_sections;
    // Text right after text (a comment between) extends the same node; never across a section's
    // start or end, which would move text into or out of the section.
    bool extend_text = false;
    auto emit_text = [&](absl::string_view literal) {
      if (literal.empty()) return;
      if (extend_text) {
        part.nodes.back().b += static_cast<uint32_t>(literal.size());  // ends where literals ends
      } else {
        part.nodes.push_back({Node::Kind::kText, static_cast<uint32_t>(part.literals.size()),
                              static_cast<uint32_t>(literal.size())});
      }
      part.literals.append(literal.data(), literal.size());
      extend_text = true;
    };
    auto emit_var = [&](Node::Kind kind, uint32_t name) {
      part.nodes.push_back({kind, name, 0});
      extend_text = false;
    };

    size_t pos = 0;
    while (pos < text_.size()) {
      const size_t tag = text_.find("{{", pos);
      if (tag == absl::string_view::npos) {
        emit_text(text_.substr(pos));
        break;
      }
      emit_text(text_.substr(pos, tag - pos));

      if (text_.compare(tag, 3, "{{{") == 0) {
        const size_t close = text_.find("}}}", tag + 3);
        if (close == absl::string_view::npos) return ErrorAt(tag, "unclosed tag \"{{{\"");
        KIRIM_ASSIGN_OR_RETURN(const uint32_t name,
                               ParseName(tag, text_.substr(tag + 3, close - tag - 3)));
        emit_var(Node::Kind::kRaw, name);
        pos = close + 3;
        continue;
      }

      const size_t close = text_.find("}}", tag + 2);
      if (close == absl::string_view::npos) return ErrorAt(tag, "unclosed tag \"{{\"");
      pos = close + 2;
      absl::string_view content = text_.substr(tag + 2, close - tag - 2);
      while (!content.empty() && IsBlank(content.front())) content.remove_prefix(1);
      if (content.empty()) return ErrorAt(tag, "empty name");
      const char type = content.front();
      switch (type) {
        case '!':
          continue;  // a comment
        case '&': {
          KIRIM_ASSIGN_OR_RETURN(const uint32_t name, ParseName(tag, content.substr(1)));
          emit_var(Node::Kind::kRaw, name);
          continue;
        }
        case '#':
        case '^': {
          KIRIM_ASSIGN_OR_RETURN(const uint32_t name, ParseName(tag, content.substr(1)));
          if (open_sections.size() >= static_cast<size_t>(kMaxSectionDepth)) {
            return ErrorAt(tag, absl::StrCat("sections nested deeper than ", kMaxSectionDepth));
          }
          open_sections.push_back({part.nodes.size(), name, tag});
          emit_var(type == '#' ? Node::Kind::kSection : Node::Kind::kInverted, name);
          continue;
        }
        case '/': {
          KIRIM_ASSIGN_OR_RETURN(const uint32_t name, ParseName(tag, content.substr(1)));
          if (open_sections.empty()) {
            return ErrorAt(tag, absl::StrCat("\"{{/", names_.names[name], "}}\" closes no section"));
          }
          const Open& innermost = open_sections.back();
          if (innermost.name != name) {
            return ErrorAt(tag, absl::StrCat("\"{{/", names_.names[name], "}}\" closes section \"",
                                             names_.names[innermost.name], "\" opened at ",
                                             LineColumn(innermost.offset)));
          }
          part.nodes[innermost.node].b = static_cast<uint32_t>(part.nodes.size());
          open_sections.pop_back();
          extend_text = false;
          continue;
        }
        default:
          break;
      }
      if (!IsNameChar(type)) {
        std::string what = absl::StrCat("unknown tag type ", Describe(type));
        if (type == '>') absl::StrAppend(&what, " (partials are not supported)");
        if (type == '=') absl::StrAppend(&what, " (delimiter changes are not supported)");
        return ErrorAt(tag, what);
      }
      KIRIM_ASSIGN_OR_RETURN(const uint32_t name, ParseName(tag, content));
      emit_var(html_ ? Node::Kind::kEscaped : Node::Kind::kRaw, name);
    }
    if (!open_sections.empty()) {
      const Open& innermost = open_sections.back();
      return ErrorAt(innermost.offset,
                     absl::StrCat("unclosed section \"", names_.names[innermost.name], "\""));
    }
    return absl::OkStatus();
  }

 private:
  // "line:column" of byte `offset`, both from 1, the column in code points.
  std::string LineColumn(size_t offset) const {
    size_t line = 1;
    size_t column = 1;
    for (size_t i = 0; i < offset && i < text_.size(); ++i) {
      const auto u = static_cast<unsigned char>(text_[i]);
      if (text_[i] == '\n') {
        ++line;
        column = 1;
      } else if ((u & 0xC0) != 0x80) {
        ++column;
      }
    }
    return absl::StrCat(line, ":", column);
  }

  absl::Status ErrorAt(size_t offset, absl::string_view what) const {
    return absl::InvalidArgumentError(
        absl::StrCat(part_name_, ":", LineColumn(offset), ": ", what));
  }

  // The name inside a tag that starts at `tag`, interned.
  absl::StatusOr<uint32_t> ParseName(size_t tag, absl::string_view raw) {
    const absl::string_view name = TrimBlanks(raw);
    if (name.empty()) return ErrorAt(tag, "empty name");
    for (char c : name) {
      if (!IsNameChar(c)) {
        return ErrorAt(tag, absl::StrCat("invalid character ", Describe(c), " in name \"",
                                         name.substr(0, 64), "\"; names are [A-Za-z0-9_.-]+"));
      }
    }
    return names_.Intern(name);
  }

  const absl::string_view part_name_;
  const absl::string_view text_;
  const bool html_;
  Names& names_;
};

absl::StatusOr<CompiledTemplate> CompiledTemplate::Compile(const v1::Template& t) {
  CompiledTemplate out;
  PartCompiler::Names names;
  KIRIM_RETURN_IF_ERROR(PartCompiler("subject", t.subject(), /*html=*/false, names)
                             .Run(out.subject_));
  KIRIM_RETURN_IF_ERROR(PartCompiler("text_body", t.text_body(), /*html=*/false, names)
                             .Run(out.text_body_));
  KIRIM_RETURN_IF_ERROR(PartCompiler("html_body", t.html_body(), /*html=*/true, names)
                             .Run(out.html_body_));
  for (const auto& [name, value] : t.default_variables()) {
    if (!IsValidUtf8(value)) {
      return absl::InvalidArgumentError(
          absl::StrCat("default variable \"", name, "\" is not valid UTF-8"));
    }
  }
  out.names_ = std::move(names.names);
  out.defaults_.resize(out.names_.size());
  for (size_t i = 0; i < out.names_.size(); ++i) {
    auto it = t.default_variables().find(out.names_[i]);
    if (it != t.default_variables().end()) out.defaults_[i] = it->second;
    out.variables_.insert(out.names_[i]);
  }
  return out;
}

absl::StatusOr<RenderedParts> CompiledTemplate::RenderWith(Lookup lookup) const {
  absl::InlinedVector<const std::string*, 16> values(names_.size(), nullptr);
  for (size_t i = 0; i < names_.size(); ++i) {
    const std::string* value = lookup(names_[i]);
    if (value != nullptr) {
      if (!IsValidUtf8(*value)) {
        return VariableError(names_[i],
                             absl::StrCat("variable \"", names_[i], "\" is not valid UTF-8"));
      }
      values[i] = value;
    } else if (defaults_[i].has_value()) {
      values[i] = &*defaults_[i];
    }
  }

  auto render = [&](const Part& part, absl::string_view part_name,
                    std::string* out) -> absl::Status {
    out->reserve(part.literals.size() + 16 * part.nodes.size());
    const size_t n = part.nodes.size();
    for (size_t i = 0; i < n;) {
      const Node& node = part.nodes[i];
      switch (node.kind) {
        case Node::Kind::kText:
          out->append(part.literals, node.a, node.b);
          ++i;
          continue;
        case Node::Kind::kSection:
          i = Truthy(values[node.a]) ? i + 1 : node.b;
          continue;
        case Node::Kind::kInverted:
          i = Truthy(values[node.a]) ? node.b : i + 1;
          continue;
        case Node::Kind::kEscaped:
        case Node::Kind::kRaw: {
          const std::string* value = values[node.a];
          if (value == nullptr) {
            const std::string& name = names_[node.a];
            return VariableError(name, absl::StrCat("missing variable \"", name, "\""));
          }
          if (node.kind == Node::Kind::kEscaped) {
            AppendHtmlEscaped(*value, out);
          } else {
            out->append(*value);
          }
          if (out->size() > kMaxRenderedPartBytes) {
            return absl::InvalidArgumentError(absl::StrCat(
                "rendered ", part_name, " longer than ", kMaxRenderedPartBytes, " bytes"));
          }
          ++i;
          continue;
        }
      }
    }
    return absl::OkStatus();
  };

  RenderedParts out;
  KIRIM_RETURN_IF_ERROR(render(subject_, "subject", &out.subject));
  KIRIM_RETURN_IF_ERROR(render(text_body_, "text_body", &out.text_body));
  KIRIM_RETURN_IF_ERROR(render(html_body_, "html_body", &out.html_body));
  return out;
}

absl::StatusOr<RenderedParts> CompiledTemplate::Render(
    const std::map<std::string, std::string>& variables) const {
  return RenderWith([&variables](const std::string& name) -> const std::string* {
    auto it = variables.find(name);
    return it == variables.end() ? nullptr : &it->second;
  });
}

absl::StatusOr<RenderedParts> CompiledTemplate::Render(
    const google::protobuf::Map<std::string, std::string>& variables) const {
  return RenderWith([&variables](const std::string& name) -> const std::string* {
    auto it = variables.find(name);
    return it == variables.end() ? nullptr : &it->second;
  });
}

std::string MissingVariable(const absl::Status& status) {
  const auto name = status.GetPayload(kTemplateVariablePayloadUrl);
  return name.has_value() ? std::string(*name) : std::string();
}

}  // namespace kirim
