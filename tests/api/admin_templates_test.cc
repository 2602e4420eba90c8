// AdminApi's template RPCs (server/api/admin_api.h) over FakeTemplateStore and simulated time:
// CreateTemplate checks the id and compiles the template first (google.rpc.BadRequest naming
// template_id and/or template), refuses an id in use with ALREADY_EXISTS; Get, List and Delete
// see the caller's tenant's templates only; without a store every template RPC is UNIMPLEMENTED.
#include <cstdio>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/api/admin_api.h"
#include "server/api/limits_table.h"
#include "server/common/logger.h"
#include "server/common/proto_time.h"
#include "tests/auth/fake_api_key_store.h"
#include "tests/common/fake_clock.h"
#include "tests/common/fake_random.h"
#include "tests/common/status_payloads.h"
#include "tests/limits/fake_send_limiter.h"
#include "tests/suppression/fake_suppression_store.h"
#include "tests/templates/fake_template_store.h"

namespace kirim {
namespace {

using ::kirim::testing::BadFields;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::StartsWith;

Principal Admin(std::string tenant) {
  Principal p;
  p.tenant = std::move(tenant);
  p.scopes = {v1::ApiKey::ADMIN};
  p.key_id = "ADMINKEY00000000";
  return p;
}

v1::Template Welcome() {
  v1::Template t;
  t.set_subject("Welcome, {{name}}");
  t.set_text_body("Hi {{name}}{{#vip}}, valued customer{{/vip}}.");
  t.set_html_body("<p>Hi {{name}}</p>");
  (*t.mutable_default_variables())["name"] = "friend";
  return t;
}

v1::CreateTemplateRequest Create(std::string id, v1::Template t = Welcome()) {
  v1::CreateTemplateRequest r;
  r.set_template_id(std::move(id));
  *r.mutable_template_() = std::move(t);
  return r;
}

v1::GetTemplateRequest Get(std::string name) {
  v1::GetTemplateRequest r;
  r.set_name(std::move(name));
  return r;
}

v1::DeleteTemplateRequest Delete(std::string name) {
  v1::DeleteTemplateRequest r;
  r.set_name(std::move(name));
  return r;
}

v1::ListTemplatesRequest List(int page_size = 0, std::string page_token = "") {
  v1::ListTemplatesRequest r;
  r.set_page_size(page_size);
  r.set_page_token(std::move(page_token));
  return r;
}

std::vector<std::string> Names(const v1::ListTemplatesResponse& page) {
  std::vector<std::string> names;
  for (const v1::Template& t : page.templates()) names.push_back(t.name());
  return names;
}

class AdminTemplatesTest : public ::testing::Test {
 protected:
  AdminTemplatesTest()
      : keys_(clock_, random_),
        null_(std::fopen("/dev/null", "w")),
        logger_(clock_, LogLevel::kDebug, null_),
        limiter_(clock_),
        api_(keys_, suppressions_, limiter_, limits_, clock_, logger_, Options(&templates_)) {}
  ~AdminTemplatesTest() override { std::fclose(null_); }

  static AdminApiOptions Options(TemplateStore* templates) {
    AdminApiOptions o;
    o.operator_tenant = "ops";
    o.templates = templates;
    return o;
  }

  testing::FakeClock clock_;
  testing::FakeRandom random_;
  testing::FakeApiKeyStore keys_;
  testing::FakeSuppressionStore suppressions_;
  testing::FakeTemplateStore templates_;
  FILE* null_;
  Logger logger_;
  testing::FakeSendLimiter limiter_;
  LimitsTable limits_;
  AdminApi api_;

  const Principal acme_ = Admin("acme");
  const Principal globex_ = Admin("globex");
};

// ---- CreateTemplate ------------------------------------------------------------------------

TEST_F(AdminTemplatesTest, CreateStoresTheTemplateUnderItsNameStampedNow) {
  v1::Template t = Welcome();
  t.set_name("templates/ignored");  // the name comes from template_id
  t.mutable_create_time()->set_seconds(1);
  auto created = api_.CreateTemplate(acme_, Create("welcome", t));
  ASSERT_TRUE(created.ok()) << created.status();
  EXPECT_EQ(created->name(), "templates/welcome");
  EXPECT_EQ(created->subject(), "Welcome, {{name}}");
  EXPECT_EQ(created->text_body(), Welcome().text_body());
  EXPECT_EQ(created->html_body(), "<p>Hi {{name}}</p>");
  EXPECT_EQ(created->default_variables().at("name"), "friend");
  EXPECT_EQ(created->create_time().seconds(), absl::ToUnixSeconds(clock_.Now()));
  EXPECT_EQ(created->update_time().seconds(), absl::ToUnixSeconds(clock_.Now()));

  // It is in the store, as returned.
  auto stored = templates_.Get("acme", "welcome");
  ASSERT_TRUE(stored.ok()) << stored.status();
  EXPECT_EQ(stored->SerializeAsString(), created->SerializeAsString());
}

TEST_F(AdminTemplatesTest, ABadTemplateIdIsABadRequestNamingTemplateId) {
  for (const std::string& id :
       {std::string(""), std::string("Welcome"), std::string("wel come"), std::string("a/b"),
        std::string("templates/welcome"), std::string(65, 'a')}) {
    SCOPED_TRACE(id);
    auto r = api_.CreateTemplate(acme_, Create(id));
    ASSERT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument) << r.status();
    EXPECT_THAT(BadFields(r.status()), ElementsAre("template_id"));
    EXPECT_THAT(std::string(r.status().message()), StartsWith("template_id: "));
  }
  // The longest id, and every allowed character, are fine.
  EXPECT_TRUE(api_.CreateTemplate(acme_, Create(std::string(64, 'a'))).ok());
  EXPECT_TRUE(api_.CreateTemplate(acme_, Create("a-z_0-9")).ok());
  auto page = api_.ListTemplates(acme_, List());
  ASSERT_TRUE(page.ok()) << page.status();
  EXPECT_EQ(page->templates_size(), 2);
}

TEST_F(AdminTemplatesTest, ATemplateThatDoesNotCompileIsABadRequestNamingTemplate) {
  struct Case {
    const char* part;
    v1::Template t;
  };
  std::vector<Case> cases;
  {
    v1::Template t = Welcome();
    t.set_subject("Hi {{name");
    cases.push_back({"subject:1:", t});
  }
  {
    v1::Template t = Welcome();
    t.set_text_body("line one\n{{#vip}}never closed");
    cases.push_back({"text_body:", t});
  }
  {
    v1::Template t = Welcome();
    t.set_html_body("{{#a}}{{/b}}");
    cases.push_back({"html_body:1:", t});
  }
  {
    v1::Template t = Welcome();
    t.set_text_body("bad utf-8: \xff");
    cases.push_back({"text_body", t});
  }
  for (const Case& c : cases) {
    SCOPED_TRACE(c.part);
    auto r = api_.CreateTemplate(acme_, Create("welcome", c.t));
    ASSERT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument) << r.status();
    EXPECT_THAT(BadFields(r.status()), ElementsAre("template"));
    EXPECT_THAT(std::string(r.status().message()), StartsWith("template: "));
    EXPECT_THAT(std::string(r.status().message()), HasSubstr(c.part));
  }
  EXPECT_EQ(templates_.Get("acme", "welcome").status().code(), absl::StatusCode::kNotFound)
      << "nothing is stored";
}

TEST_F(AdminTemplatesTest, BothProblemsAreNamedAtOnce) {
  v1::Template t = Welcome();
  t.set_subject("{{");
  auto r = api_.CreateTemplate(acme_, Create("Not Valid", t));
  ASSERT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(BadFields(r.status()), ElementsAre("template_id", "template"));
}

TEST_F(AdminTemplatesTest, ADuplicateIdIsAlreadyExistsAndKeepsTheOriginal) {
  ASSERT_TRUE(api_.CreateTemplate(acme_, Create("welcome")).ok());
  clock_.Advance(absl::Minutes(5));
  v1::Template other = Welcome();
  other.set_subject("Replaced?");
  auto again = api_.CreateTemplate(acme_, Create("welcome", other));
  ASSERT_EQ(again.status().code(), absl::StatusCode::kAlreadyExists) << again.status();
  EXPECT_THAT(std::string(again.status().message()), HasSubstr("templates/welcome"));
  auto kept = api_.GetTemplate(acme_, Get("templates/welcome"));
  ASSERT_TRUE(kept.ok()) << kept.status();
  EXPECT_EQ(kept->subject(), "Welcome, {{name}}");
  EXPECT_EQ(kept->create_time().seconds(),
            absl::ToUnixSeconds(clock_.Now() - absl::Minutes(5)));
  // Deleting frees the id for a replacement.
  ASSERT_TRUE(api_.DeleteTemplate(acme_, Delete("templates/welcome")).ok());
  auto replaced = api_.CreateTemplate(acme_, Create("welcome", other));
  ASSERT_TRUE(replaced.ok()) << replaced.status();
  EXPECT_EQ(replaced->subject(), "Replaced?");
}

// ---- GetTemplate / ListTemplates / DeleteTemplate ------------------------------------------

TEST_F(AdminTemplatesTest, GetAnswersWithTheStoredTemplate) {
  auto created = api_.CreateTemplate(acme_, Create("welcome"));
  ASSERT_TRUE(created.ok());
  auto got = api_.GetTemplate(acme_, Get("templates/welcome"));
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->SerializeAsString(), created->SerializeAsString());

  auto missing = api_.GetTemplate(acme_, Get("templates/nope"));
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kNotFound) << missing.status();
  EXPECT_EQ(missing.status().message(), "template templates/nope not found");
  for (const char* bad : {"", "welcome", "templates/", "templates/Welcome", "templates/a/b"}) {
    SCOPED_TRACE(bad);
    auto r = api_.GetTemplate(acme_, Get(bad));
    EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument) << r.status();
    EXPECT_THAT(BadFields(r.status()), ElementsAre("name"));
  }
}

TEST_F(AdminTemplatesTest, ListPagesThroughTheTenantsTemplatesInIdOrder) {
  auto empty = api_.ListTemplates(acme_, List());
  ASSERT_TRUE(empty.ok()) << empty.status();
  EXPECT_THAT(empty->templates(), IsEmpty());
  EXPECT_EQ(empty->next_page_token(), "");

  for (const char* id : {"c", "a", "b", "d", "e"}) {
    ASSERT_TRUE(api_.CreateTemplate(acme_, Create(id)).ok()) << id;
  }
  auto all = api_.ListTemplates(acme_, List());
  ASSERT_TRUE(all.ok()) << all.status();
  EXPECT_THAT(Names(*all), ElementsAre("templates/a", "templates/b", "templates/c",
                                       "templates/d", "templates/e"));
  EXPECT_EQ(all->next_page_token(), "");
  EXPECT_EQ(all->templates(0).subject(), "Welcome, {{name}}") << "whole templates are listed";

  std::vector<std::string> seen;
  std::string token;
  int pages = 0;
  do {
    auto page = api_.ListTemplates(acme_, List(2, token));
    ASSERT_TRUE(page.ok()) << page.status();
    ASSERT_LE(page->templates_size(), 2);
    for (const std::string& n : Names(*page)) seen.push_back(n);
    token = page->next_page_token();
    ASSERT_LT(++pages, 10) << "paging does not end";
  } while (!token.empty());
  EXPECT_EQ(pages, 3);
  EXPECT_EQ(seen, Names(*all));
}

TEST_F(AdminTemplatesTest, BadListArgumentsNameTheField) {
  auto negative = api_.ListTemplates(acme_, List(-1));
  EXPECT_EQ(negative.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(BadFields(negative.status()), ElementsAre("page_size"));
  auto bad_token = api_.ListTemplates(acme_, List(0, "not a token!"));
  EXPECT_EQ(bad_token.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(BadFields(bad_token.status()), ElementsAre("page_token"));
}

TEST_F(AdminTemplatesTest, DeleteRemovesTheTemplate) {
  ASSERT_TRUE(api_.CreateTemplate(acme_, Create("welcome")).ok());
  ASSERT_TRUE(api_.CreateTemplate(acme_, Create("receipt")).ok());
  auto deleted = api_.DeleteTemplate(acme_, Delete("templates/welcome"));
  ASSERT_TRUE(deleted.ok()) << deleted.status();
  EXPECT_EQ(api_.GetTemplate(acme_, Get("templates/welcome")).status().code(),
            absl::StatusCode::kNotFound);
  auto page = api_.ListTemplates(acme_, List());
  ASSERT_TRUE(page.ok());
  EXPECT_THAT(Names(*page), ElementsAre("templates/receipt"));

  EXPECT_EQ(api_.DeleteTemplate(acme_, Delete("templates/welcome")).status().code(),
            absl::StatusCode::kNotFound);
  auto bad = api_.DeleteTemplate(acme_, Delete("receipt"));
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(BadFields(bad.status()), ElementsAre("name"));
  EXPECT_TRUE(api_.GetTemplate(acme_, Get("templates/receipt")).ok());
}

// ---- tenants -------------------------------------------------------------------------------

TEST_F(AdminTemplatesTest, TemplatesAreTheCallersTenantsOnly) {
  ASSERT_TRUE(api_.CreateTemplate(acme_, Create("welcome")).ok());
  ASSERT_TRUE(api_.CreateTemplate(acme_, Create("acme-only")).ok());

  // Another tenant learns nothing: the same answer as for an id nobody has.
  auto theirs = api_.GetTemplate(globex_, Get("templates/acme-only"));
  auto nobodys = api_.GetTemplate(globex_, Get("templates/nobody"));
  EXPECT_EQ(theirs.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(theirs.status().message(), "template templates/acme-only not found");
  EXPECT_EQ(nobodys.status().code(), absl::StatusCode::kNotFound);
  auto listed = api_.ListTemplates(globex_, List());
  ASSERT_TRUE(listed.ok());
  EXPECT_THAT(listed->templates(), IsEmpty());
  EXPECT_EQ(api_.DeleteTemplate(globex_, Delete("templates/acme-only")).status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_TRUE(api_.GetTemplate(acme_, Get("templates/acme-only")).ok()) << "still there";

  // The same id is free in another tenant, and each sees its own.
  v1::Template globex_welcome = Welcome();
  globex_welcome.set_subject("Globex says hi");
  ASSERT_TRUE(api_.CreateTemplate(globex_, Create("welcome", globex_welcome)).ok());
  EXPECT_EQ(api_.GetTemplate(globex_, Get("templates/welcome"))->subject(), "Globex says hi");
  EXPECT_EQ(api_.GetTemplate(acme_, Get("templates/welcome"))->subject(), "Welcome, {{name}}");
  ASSERT_TRUE(api_.DeleteTemplate(globex_, Delete("templates/welcome")).ok());
  EXPECT_TRUE(api_.GetTemplate(acme_, Get("templates/welcome")).ok());
  auto acme_list = api_.ListTemplates(acme_, List());
  ASSERT_TRUE(acme_list.ok());
  EXPECT_THAT(Names(*acme_list), ElementsAre("templates/acme-only", "templates/welcome"));
}

// ---- configuration and outages -------------------------------------------------------------

TEST_F(AdminTemplatesTest, WithoutAStoreEveryTemplateRpcIsUnimplemented) {
  AdminApi no_store(keys_, suppressions_, limiter_, limits_, clock_, logger_, Options(nullptr));
  EXPECT_EQ(no_store.CreateTemplate(acme_, Create("welcome")).status().code(),
            absl::StatusCode::kUnimplemented);
  // Even a bad request: the RPC does not exist here.
  EXPECT_EQ(no_store.CreateTemplate(acme_, Create("Bad Id")).status().code(),
            absl::StatusCode::kUnimplemented);
  EXPECT_EQ(no_store.GetTemplate(acme_, Get("templates/welcome")).status().code(),
            absl::StatusCode::kUnimplemented);
  EXPECT_EQ(no_store.ListTemplates(acme_, List()).status().code(),
            absl::StatusCode::kUnimplemented);
  EXPECT_EQ(no_store.DeleteTemplate(acme_, Delete("templates/welcome")).status().code(),
            absl::StatusCode::kUnimplemented);
}

TEST_F(AdminTemplatesTest, AnUnreachableStoreIsUnavailable) {
  ASSERT_TRUE(api_.CreateTemplate(acme_, Create("welcome")).ok());
  templates_.set_unavailable(true);
  EXPECT_EQ(api_.CreateTemplate(acme_, Create("other")).status().code(),
            absl::StatusCode::kUnavailable);
  EXPECT_EQ(api_.GetTemplate(acme_, Get("templates/welcome")).status().code(),
            absl::StatusCode::kUnavailable);
  EXPECT_EQ(api_.ListTemplates(acme_, List()).status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(api_.DeleteTemplate(acme_, Delete("templates/welcome")).status().code(),
            absl::StatusCode::kUnavailable);
  templates_.set_unavailable(false);
  EXPECT_TRUE(api_.GetTemplate(acme_, Get("templates/welcome")).ok()) << "nothing was changed";
  EXPECT_EQ(api_.GetTemplate(acme_, Get("templates/other")).status().code(),
            absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace kirim
