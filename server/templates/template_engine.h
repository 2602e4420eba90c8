// CompiledTemplate: a kirim.v1.Template (subject, text_body, html_body) parsed once into node
// lists, then rendered per recipient. SendBatch renders one template up to 10,000 times, so
// Render never re-parses: it resolves each variable once and walks the nodes.
//
//   KIRIM_ASSIGN_OR_RETURN(const CompiledTemplate tpl, CompiledTemplate::Compile(request.template()));
//   for (int i = 0; i < request.recipients_size(); ++i) {
//     absl::StatusOr<RenderedParts> parts = tpl.Render(request.recipients(i).variables());
//     if (!parts.ok() && !MissingVariable(parts.status()).empty()) {
//       violations.Add(absl::StrCat("recipients[", i, "].variables.",
//                                   MissingVariable(parts.status())),
//                      std::string(parts.status().message()));
//     }
//   }
//
// Syntax (a subset of Mustache, https://mustache.github.io/mustache.5.html):
//   {{name}}               the value; in html_body HTML-escaped (& < > " '), in subject and
//                          text_body inserted as it is
//   {{{name}}} {{& name}}  the value, never escaped
//   {{#name}}...{{/name}}  rendered when `name` is set and not "", "0" or "false" (exactly)
//   {{^name}}...{{/name}}  rendered otherwise (also when `name` is set nowhere)
//   {{! comment}}          dropped
// A name is 1+ of [A-Za-z0-9_.-], with optional spaces or tabs around it (and before the tag
// type). A name is looked up as it is: "user.name" is one flat key, not a path. There are no
// partials, no lambdas, no delimiter changes and no Mustache "standalone line" rule: a
// section tag alone on its line leaves that line's newline in the output.
//
// Errors from Compile are InvalidArgument with a compiler-style message,
// "<part>:<line>:<column>: <what>", e.g. `html_body:3:14: unclosed tag "{{"`; line and column
// count from 1, columns in characters (code points). Parts must be valid UTF-8 of at most
// kMaxTemplatePartBytes, sections nest at most kMaxSectionDepth deep.
//
// Render takes the recipient's variables over the template's default_variables. A value tag
// that is rendered (not inside a section that is skipped) and whose variable is set nowhere
// fails with InvalidArgument `missing variable "name"`; a value that is not valid UTF-8 fails
// with InvalidArgument `variable "name" is not valid UTF-8`. Either way MissingVariable(status)
// returns the variable's name (carried as a payload under kTemplateVariablePayloadUrl), so the
// API edge can name the field "recipients[3].variables.name". A section whose variable is
// unset is simply false. When several variables are missing, the first in render order
// (subject, text_body, html_body) is reported.
//
// A CompiledTemplate is immutable once compiled: Render is const and safe to call from many
// threads at once.
#ifndef KIRIM_SERVER_TEMPLATES_TEMPLATE_ENGINE_H_
#define KIRIM_SERVER_TEMPLATES_TEMPLATE_ENGINE_H_

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "google/protobuf/map.h"
#include "kirim/v1/mail_service.pb.h"

namespace kirim {

// Each of subject, text_body and html_body, before rendering.
inline constexpr size_t kMaxTemplatePartBytes = size_t{1} << 20;
// Sections inside sections.
inline constexpr int kMaxSectionDepth = 16;
// Each rendered part: values repeated many times must not blow up memory.
inline constexpr size_t kMaxRenderedPartBytes = size_t{10} << 20;
// The type URL under which Render errors carry the variable's name (raw bytes, no proto).
inline constexpr absl::string_view kTemplateVariablePayloadUrl =
    "type.kirim.dev/kirim.templates.Variable";

struct RenderedParts {
  std::string subject;
  std::string text_body;
  std::string html_body;
};

class CompiledTemplate {
 public:
  // Parses the three parts and checks default_variables (valid UTF-8). See the banner.
  static absl::StatusOr<CompiledTemplate> Compile(const v1::Template& t);

  // Renders with `variables` over the template's default_variables (see the banner).
  absl::StatusOr<RenderedParts> Render(const std::map<std::string, std::string>& variables) const;
  // The same for BatchRecipient.variables.
  absl::StatusOr<RenderedParts> Render(
      const google::protobuf::Map<std::string, std::string>& variables) const;

  // Every variable name the template references, in value tags and sections.
  const std::set<std::string>& variables() const { return variables_; }

 private:
  // One step of a compiled part.
  struct Node {
    enum class Kind : uint8_t { kText, kEscaped, kRaw, kSection, kInverted };
    Kind kind;
    // kText: offset into Part::literals; the other kinds: index into names_.
    uint32_t a;
    // kText: length; kSection and kInverted: index of the node after the section's end.
    uint32_t b;
  };
  struct Part {
    std::vector<Node> nodes;
    std::string literals;  // the literal text of every kText node, back to back
  };
  class PartCompiler;
  // Looks a name up in the caller's variables: nullptr when unset there.
  using Lookup = absl::FunctionRef<const std::string*(const std::string&)>;

  CompiledTemplate() = default;
  absl::StatusOr<RenderedParts> RenderWith(Lookup lookup) const;

  Part subject_, text_body_, html_body_;
  // Variable index -> name, and the template's default for it (if any).
  std::vector<std::string> names_;
  std::vector<std::optional<std::string>> defaults_;
  std::set<std::string> variables_;
};

// The variable a Render error is about ("" if none, or if `status` did not come from Render).
std::string MissingVariable(const absl::Status& status);

}  // namespace kirim

#endif  // KIRIM_SERVER_TEMPLATES_TEMPLATE_ENGINE_H_
