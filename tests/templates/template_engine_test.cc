// CompiledTemplate (server/templates/template_engine.h): syntax, escaping, sections, defaults,
// errors with their positions, and many renders of one compiled template.
#include "server/templates/template_engine.h"

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace kirim {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using Vars = std::map<std::string, std::string>;

constexpr auto kInvalid = absl::StatusCode::kInvalidArgument;

v1::Template Tpl(std::string subject, std::string text_body, std::string html_body,
                 const Vars& defaults = {}) {
  v1::Template t;
  t.set_subject(std::move(subject));
  t.set_text_body(std::move(text_body));
  t.set_html_body(std::move(html_body));
  for (const auto& [k, v] : defaults) (*t.mutable_default_variables())[k] = v;
  return t;
}

// The same text in all three parts.
v1::Template Same(const std::string& text, const Vars& defaults = {}) {
  return Tpl(text, text, text, defaults);
}

CompiledTemplate MustCompile(const v1::Template& t) {
  absl::StatusOr<CompiledTemplate> compiled = CompiledTemplate::Compile(t);
  EXPECT_TRUE(compiled.ok()) << compiled.status();
  if (!compiled.ok()) return *CompiledTemplate::Compile(v1::Template());
  return *std::move(compiled);
}

// Renders `text` as a text_body (nothing escaped) or an html_body.
std::string RenderText(const std::string& text, const Vars& vars, const Vars& defaults = {}) {
  absl::StatusOr<RenderedParts> parts = MustCompile(Tpl("", text, "", defaults)).Render(vars);
  EXPECT_TRUE(parts.ok()) << parts.status();
  return parts.ok() ? parts->text_body : "<error>";
}
std::string RenderHtml(const std::string& html, const Vars& vars, const Vars& defaults = {}) {
  absl::StatusOr<RenderedParts> parts = MustCompile(Tpl("", "", html, defaults)).Render(vars);
  EXPECT_TRUE(parts.ok()) << parts.status();
  return parts.ok() ? parts->html_body : "<error>";
}

// Compile's error message for a template with `text` in `part`.
std::string CompileError(absl::string_view part, const std::string& text) {
  v1::Template t;
  if (part == "subject") t.set_subject(text);
  if (part == "text_body") t.set_text_body(text);
  if (part == "html_body") t.set_html_body(text);
  absl::StatusOr<CompiledTemplate> compiled = CompiledTemplate::Compile(t);
  EXPECT_EQ(compiled.status().code(), kInvalid) << text;
  return std::string(compiled.status().message());
}

TEST(TemplateEngineTest, ValuesAreHtmlEscapedInHtmlBodyOnly) {
  const CompiledTemplate t = MustCompile(Tpl("Hi {{name}}", "Hi {{name}}", "<p>Hi {{name}}</p>"));
  auto parts = t.Render(Vars{{"name", R"(<b>&"Tom's"</b>)"}});
  ASSERT_TRUE(parts.ok()) << parts.status();
  EXPECT_EQ(parts->subject, R"(Hi <b>&"Tom's"</b>)");
  EXPECT_EQ(parts->text_body, R"(Hi <b>&"Tom's"</b>)");
  EXPECT_EQ(parts->html_body, "<p>Hi &lt;b&gt;&amp;&quot;Tom&#39;s&quot;&lt;/b&gt;</p>");
  // Text with nothing to escape, and text that is only special characters.
  EXPECT_EQ(RenderHtml("{{v}}", {{"v", "plain"}}), "plain");
  EXPECT_EQ(RenderHtml("{{v}}", {{"v", "&&<>"}}), "&amp;&amp;&lt;&gt;");
  EXPECT_EQ(RenderHtml("[{{v}}]", {{"v", ""}}), "[]");
}

TEST(TemplateEngineTest, TripleBracesAndAmpersandAreNeverEscaped) {
  const Vars vars = {{"x", "<a href=\"/\">A&B</a>"}};
  EXPECT_EQ(RenderHtml("{{{x}}}|{{& x}}|{{&x}}|{{{ x }}}|{{ &x }}", vars),
            "<a href=\"/\">A&B</a>|<a href=\"/\">A&B</a>|<a href=\"/\">A&B</a>|"
            "<a href=\"/\">A&B</a>|<a href=\"/\">A&B</a>");
  EXPECT_EQ(RenderText("{{{x}}}{{& x}}", vars), "<a href=\"/\">A&B</a><a href=\"/\">A&B</a>");
}

TEST(TemplateEngineTest, NamesAreFlatKeysWithOptionalSpacesAround) {
  const Vars vars = {{"user.first_name", "Ana"}, {"plan-id", "P-7"}, {"X_9", "x"}};
  EXPECT_EQ(RenderText("{{ user.first_name }}/{{\tplan-id\t}}/{{X_9}}", vars), "Ana/P-7/x");
  EXPECT_EQ(RenderText("{{# user.first_name }}yes{{/ user.first_name }}", vars), "yes");
}

TEST(TemplateEngineTest, TextWithoutTagsAndStrayBracesIsKeptAsItIs) {
  EXPECT_EQ(RenderText("a } b }} c { d { {x} }", {}), "a } b }} c { d { {x} }");
  EXPECT_EQ(RenderText("", {}), "");
  auto parts = MustCompile(v1::Template()).Render(Vars{});
  ASSERT_TRUE(parts.ok()) << parts.status();
  EXPECT_EQ(parts->subject, "");
  EXPECT_EQ(parts->text_body, "");
  EXPECT_EQ(parts->html_body, "");
}

TEST(TemplateEngineTest, SectionsRenderWhenTheVariableIsSetAndNotEmptyZeroOrFalse) {
  const std::string text = "[{{#v}}on{{/v}}|{{^v}}off{{/v}}]";
  EXPECT_EQ(RenderText(text, {}), "[|off]");  // unset: false, not an error
  for (const char* falsy : {"", "0", "false"}) {
    EXPECT_EQ(RenderText(text, {{"v", falsy}}), "[|off]") << falsy;
  }
  for (const char* truthy : {"1", "true", "yes", "00", " ", "False", "FALSE", "0.0", "no"}) {
    EXPECT_EQ(RenderText(text, {{"v", truthy}}), "[on|]") << truthy;
  }
}

TEST(TemplateEngineTest, TextAroundASkippedSectionStaysOutsideIt) {
  EXPECT_EQ(RenderText("a{{#x}}b{{/x}}c", {}), "ac");
  EXPECT_EQ(RenderText("a{{#x}}b{{/x}}c", {{"x", "1"}}), "abc");
  EXPECT_EQ(RenderText("a{{^x}}b{{/x}}{{! note }}c{{#x}}d{{/x}}e", {}), "abce");
  EXPECT_EQ(RenderText("{{#x}}{{/x}}{{^x}}{{/x}}", {}), "");
}

TEST(TemplateEngineTest, NestedSectionsCombine) {
  const std::string text = "{{#a}}A{{#b}}B{{^c}}-c{{/c}}{{/b}}{{^b}}-b{{/b}}{{/a}}{{^a}}-a{{/a}}.";
  for (int mask = 0; mask < 8; ++mask) {
    const bool a = mask & 1, b = mask & 2, c = mask & 4;
    std::string want;
    if (a) {
      want += "A";
      if (b) want += c ? "B" : "B-c";
      if (!b) want += "-b";
    } else {
      want += "-a";
    }
    want += ".";
    Vars vars = {{"a", a ? "1" : "0"}, {"b", b ? "yes" : ""}};
    if (c) vars["c"] = "true";
    EXPECT_EQ(RenderText(text, vars), want) << "mask " << mask;
  }
}

TEST(TemplateEngineTest, TheSameSectionNameMayNestAndRepeat) {
  EXPECT_EQ(RenderText("{{#a}}1{{#a}}2{{/a}}{{/a}}{{#a}}3{{/a}}", {{"a", "1"}}), "123");
  EXPECT_EQ(RenderText("{{#a}}1{{^a}}never{{/a}}{{/a}}", {{"a", "1"}}), "1");
}

TEST(TemplateEngineTest, AValueTagInASkippedSectionNeedsNoValue) {
  const std::string text = "Hello{{#company}} from {{company}}{{/company}}{{^vip}}{{/vip}}!";
  EXPECT_EQ(RenderText(text, {}), "Hello!");
  EXPECT_EQ(RenderText(text, {{"company", "Acme"}}), "Hello from Acme!");
  EXPECT_EQ(RenderText("{{^logged_in}}Sign in{{/logged_in}}{{#logged_in}}Hi {{user}}{{/logged_in}}",
                       {}),
            "Sign in");
}

TEST(TemplateEngineTest, CommentsAreDropped) {
  EXPECT_EQ(RenderText("a{{! a comment }}b", {}), "ab");
  EXPECT_EQ(RenderText("a{{!}}b{{ ! spaced }}c", {}), "abc");
  EXPECT_EQ(RenderText("a{{! multi\nline {with} {{braces\n}}b", {}), "ab");
  // A name in a comment is no variable.
  EXPECT_TRUE(MustCompile(Same("{{! {{name}} }}")).variables().empty());
}

TEST(TemplateEngineTest, RecipientValuesOverrideDefaults) {
  const Vars defaults = {{"greeting", "Hi"}, {"name", "there"}, {"vip", "1"}};
  const std::string text = "{{greeting}} {{name}}{{#vip}} (VIP){{/vip}}";
  EXPECT_EQ(RenderText(text, {}, defaults), "Hi there (VIP)");
  EXPECT_EQ(RenderText(text, {{"name", "Ana"}}, defaults), "Hi Ana (VIP)");
  // A recipient's "" is a value: it overrides the default, it is not "unset".
  EXPECT_EQ(RenderText(text, {{"name", ""}, {"vip", "0"}}, defaults), "Hi ");
  // Extra variables the template does not use are ignored.
  EXPECT_EQ(RenderText(text, {{"unused", "x"}}, defaults), "Hi there (VIP)");
  // Defaults apply in every part, escaped in html.
  auto parts = MustCompile(Same("{{v}}", {{"v", "<&>"}})).Render(Vars{});
  ASSERT_TRUE(parts.ok()) << parts.status();
  EXPECT_EQ(parts->subject, "<&>");
  EXPECT_EQ(parts->html_body, "&lt;&amp;&gt;");
}

TEST(TemplateEngineTest, AMissingVariableNamesItself) {
  const CompiledTemplate t = MustCompile(Tpl("Hi {{name}}", "{{name}}: {{code}}", "{{code}}"));
  auto parts = t.Render(Vars{{"code", "42"}});
  EXPECT_EQ(parts.status().code(), kInvalid);
  EXPECT_EQ(parts.status().message(), "missing variable \"name\"");
  EXPECT_EQ(MissingVariable(parts.status()), "name");

  // The first missing one in render order: subject, text_body, html_body.
  auto both = t.Render(Vars{});
  EXPECT_EQ(MissingVariable(both.status()), "name");
  auto text_only = MustCompile(Tpl("", "{{b}}", "{{a}}")).Render(Vars{});
  EXPECT_EQ(MissingVariable(text_only.status()), "b");

  // Triple-brace and ampersand tags need their value too.
  EXPECT_EQ(MissingVariable(MustCompile(Same("{{{raw}}}")).Render(Vars{}).status()), "raw");
  EXPECT_EQ(MissingVariable(MustCompile(Same("{{& raw2}}")).Render(Vars{}).status()), "raw2");
  // The name has the caller's spelling, for "recipients[3].variables.<name>".
  EXPECT_EQ(MissingVariable(MustCompile(Same("{{ user.first-name }}")).Render(Vars{}).status()),
            "user.first-name");

  EXPECT_EQ(MissingVariable(absl::OkStatus()), "");
  EXPECT_EQ(MissingVariable(absl::InvalidArgumentError("missing variable \"x\"")), "");
}

TEST(TemplateEngineTest, ValuesMayBeAnyUtf8) {
  const std::string value = "Ünïcødé 日本語 🎉 <ok>";
  const CompiledTemplate t = MustCompile(Tpl("{{v}}", "→ {{v}} ←", "<i>{{v}}</i>"));
  auto parts = t.Render(Vars{{"v", value}});
  ASSERT_TRUE(parts.ok()) << parts.status();
  EXPECT_EQ(parts->subject, value);
  EXPECT_EQ(parts->text_body, "→ " + value + " ←");
  EXPECT_EQ(parts->html_body, "<i>Ünïcødé 日本語 🎉 &lt;ok&gt;</i>");
}

TEST(TemplateEngineTest, AValueThatIsNotUtf8IsInvalidAndNamesItsVariable) {
  for (const char* bad : {"\xff", "ab\xc3", "\xed\xa0\x80" /* surrogate */, "\xc0\xaf"}) {
    auto parts = MustCompile(Same("{{name}}")).Render(Vars{{"name", bad}});
    EXPECT_EQ(parts.status().code(), kInvalid);
    EXPECT_EQ(parts.status().message(), "variable \"name\" is not valid UTF-8");
    EXPECT_EQ(MissingVariable(parts.status()), "name");
  }
  // Also when the variable only decides a section.
  auto section = MustCompile(Same("{{#flag}}x{{/flag}}")).Render(Vars{{"flag", "\xff"}});
  EXPECT_EQ(MissingVariable(section.status()), "flag");
  // A default must be UTF-8 already when compiled.
  auto compiled = CompiledTemplate::Compile(Same("{{name}}", {{"name", "\xff"}}));
  EXPECT_EQ(compiled.status().code(), kInvalid);
  EXPECT_THAT(compiled.status().message(), HasSubstr("\"name\""));
  // A value the template never uses is not its concern.
  EXPECT_TRUE(MustCompile(Same("x")).Render(Vars{{"other", "\xff"}}).ok());
}

TEST(TemplateEngineTest, VariablesListsEveryReferencedName) {
  const CompiledTemplate t = MustCompile(
      Tpl("{{subject_var}}", "{{#sec}}{{inner}}{{/sec}}{{^inv}}{{/inv}}",
          "{{{raw}}}{{& amp}}{{ subject_var }}{{! comment }}", {{"unused_default", "x"}}));
  EXPECT_THAT(t.variables(),
              ElementsAre("amp", "inner", "inv", "raw", "sec", "subject_var"));
}

TEST(TemplateEngineTest, SyntaxErrorsNamePartLineColumnAndProblem) {
  struct Case {
    const char* part;
    std::string text;
    std::string want;
  };
  const std::vector<Case> cases = {
      {"subject", "Hi {{name", "subject:1:4: unclosed tag \"{{\""},
      {"text_body", "line one\nab {{{x}}", "text_body:2:4: unclosed tag \"{{{\""},
      {"html_body", "{{}}", "html_body:1:1: empty name"},
      {"html_body", "x {{  }}", "html_body:1:3: empty name"},
      {"html_body", "{{#}}", "html_body:1:1: empty name"},
      {"html_body", "{{{ }}}", "html_body:1:1: empty name"},
      {"html_body", "{{& }}", "html_body:1:1: empty name"},
      {"html_body", "{{/ }}", "html_body:1:1: empty name"},
      {"text_body", "{{>footer}}",
       "text_body:1:1: unknown tag type \">\" (partials are not supported)"},
      {"text_body", "{{=<% %>=}}",
       "text_body:1:1: unknown tag type \"=\" (delimiter changes are not supported)"},
      {"text_body", "{{%x}}", "text_body:1:1: unknown tag type \"%\""},
      {"html_body", "<p>\n  {{#a}}x", "html_body:2:3: unclosed section \"a\""},
      {"html_body", "{{#a}}{{#b}}{{/a}}{{/b}}",
       "html_body:1:13: \"{{/a}}\" closes section \"b\" opened at 1:7"},
      {"subject", "x{{/a}}", "subject:1:2: \"{{/a}}\" closes no section"},
      {"subject", "{{first name}}",
       "subject:1:1: invalid character \" \" in name \"first name\"; names are [A-Za-z0-9_.-]+"},
      {"subject", "{{a{{b}}", "subject:1:1: invalid character \"{\" in name \"a{{b\"; names are "
                              "[A-Za-z0-9_.-]+"},
      // Columns count characters, not bytes; CRLF ends a line like LF.
      {"text_body", "héllo wörld {{", "text_body:1:13: unclosed tag \"{{\""},
      {"text_body", "a\r\n{{#x}}", "text_body:2:1: unclosed section \"x\""},
      {"subject", "ab\xff", "subject:1:3: not valid UTF-8"},
      {"html_body", "ok\n日本\xe3\x81", "html_body:2:3: not valid UTF-8"},
  };
  for (const Case& c : cases) EXPECT_EQ(CompileError(c.part, c.text), c.want) << c.text;
}

TEST(TemplateEngineTest, SectionsNestUpTo16Deep) {
  std::string ok, too_deep;
  for (int i = 0; i < kMaxSectionDepth; ++i) absl::StrAppend(&ok, "{{#s", i, "}}");
  absl::StrAppend(&ok, "in");
  for (int i = kMaxSectionDepth - 1; i >= 0; --i) absl::StrAppend(&ok, "{{/s", i, "}}");
  Vars all;
  for (int i = 0; i < kMaxSectionDepth; ++i) all[absl::StrCat("s", i)] = "1";
  EXPECT_EQ(RenderText(ok, all), "in");

  for (int i = 0; i <= kMaxSectionDepth; ++i) absl::StrAppend(&too_deep, "{{#s", i, "}}");
  EXPECT_EQ(CompileError("text_body", too_deep), "text_body:1:119: sections nested deeper than 16");
}

TEST(TemplateEngineTest, EachPartIsAtMostOneMebibyte) {
  const std::string max(kMaxTemplatePartBytes, 'x');
  auto compiled = CompiledTemplate::Compile(Same(max));
  ASSERT_TRUE(compiled.ok()) << compiled.status();
  EXPECT_EQ(compiled->Render(Vars{})->html_body, max);
  EXPECT_EQ(CompileError("html_body", max + "x"), "html_body: longer than 1048576 bytes");
}

TEST(TemplateEngineTest, RenderedPartsAreBounded) {
  std::string html;
  for (int i = 0; i < 11; ++i) html += "{{big}}";
  auto parts = MustCompile(Tpl("", "", html)).Render(Vars{{"big", std::string(1 << 20, 'x')}});
  EXPECT_EQ(parts.status().code(), kInvalid);
  EXPECT_EQ(parts.status().message(), "rendered html_body longer than 10485760 bytes");
  EXPECT_EQ(MissingVariable(parts.status()), "");
}

TEST(TemplateEngineTest, TakesProtoMapsAsRecipientVariables) {
  v1::BatchRecipient recipient;
  (*recipient.mutable_variables())["name"] = "Ana <3";
  const CompiledTemplate t = MustCompile(Same("Hi {{name}}{{#vip}}!{{/vip}}", {{"vip", "1"}}));
  auto parts = t.Render(recipient.variables());
  ASSERT_TRUE(parts.ok()) << parts.status();
  EXPECT_EQ(parts->subject, "Hi Ana <3!");
  EXPECT_EQ(parts->html_body, "Hi Ana &lt;3!");
  recipient.mutable_variables()->clear();
  EXPECT_EQ(MissingVariable(t.Render(recipient.variables()).status()), "name");
}

TEST(TemplateEngineTest, ACopyOutlivesItsOriginal) {
  auto original = std::make_unique<CompiledTemplate>(
      MustCompile(Tpl("short {{a}}", "{{#b}}a longer literal text than any small string{{/b}}",
                      "<p>{{a}}</p>", {{"a", "A&"}})));
  const CompiledTemplate copy = *original;
  CompiledTemplate moved = std::move(*original);
  original.reset();
  for (const CompiledTemplate* t : std::vector<const CompiledTemplate*>{&copy, &moved}) {
    auto parts = t->Render(Vars{{"b", "1"}});
    ASSERT_TRUE(parts.ok()) << parts.status();
    EXPECT_EQ(parts->subject, "short A&");
    EXPECT_EQ(parts->text_body, "a longer literal text than any small string");
    EXPECT_EQ(parts->html_body, "<p>A&amp;</p>");
  }
}

TEST(TemplateEngineTest, TenThousandRendersOfOneCompiledTemplateAreEachRight) {
  const CompiledTemplate t = MustCompile(
      Tpl("Your order {{order}}, {{name}}",
          "Dear {{name}},\n{{#vip}}Thanks for being a VIP.\n{{/vip}}{{^vip}}Join VIP!\n{{/vip}}"
          "Order {{order}} ships to {{city}}.\n{{! footer }}-- {{sender}}",
          "<p>Dear {{name}},</p>{{#vip}}<b>VIP</b>{{/vip}}<p>{{{order_link}}}</p>",
          {{"sender", "Kirim"}, {"city", "(unknown)"}}));
  v1::BatchRecipient recipient;
  for (int i = 0; i < 10000; ++i) {
    auto& vars = *recipient.mutable_variables();
    vars.clear();
    const std::string name = absl::StrCat("User<", i, ">");
    const std::string order = absl::StrCat("#", 100000 + i);
    vars["name"] = name;
    vars["order"] = order;
    vars["order_link"] = absl::StrCat("<a href=\"/o/", i, "\">", order, "</a>");
    if (i % 2 == 0) vars["vip"] = "true";
    if (i % 3 == 0) vars["city"] = "Jakarta";

    absl::StatusOr<RenderedParts> parts = t.Render(recipient.variables());
    ASSERT_TRUE(parts.ok()) << i << ": " << parts.status();
    ASSERT_EQ(parts->subject, absl::StrCat("Your order ", order, ", ", name)) << i;
    ASSERT_EQ(parts->text_body,
              absl::StrCat("Dear ", name, ",\n",
                           i % 2 == 0 ? "Thanks for being a VIP.\n" : "Join VIP!\n", "Order ",
                           order, " ships to ", i % 3 == 0 ? "Jakarta" : "(unknown)",
                           ".\n-- Kirim"))
        << i;
    ASSERT_EQ(parts->html_body,
              absl::StrCat("<p>Dear User&lt;", i, "&gt;,</p>", i % 2 == 0 ? "<b>VIP</b>" : "",
                           "<p><a href=\"/o/", i, "\">", order, "</a></p>"))
        << i;
  }
}

}  // namespace
}  // namespace kirim
