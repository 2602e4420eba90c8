// The TemplateStore contract (see template_store_contract.h and
// server/templates/template_store.h).
#include "tests/templates/template_store_contract.h"

#include <string>
#include <utility>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "gmock/gmock.h"
#include "google/protobuf/util/message_differencer.h"
#include "server/common/proto_time.h"

namespace kirim::testing {
namespace {

using ::google::protobuf::util::MessageDifferencer;
using ::testing::ElementsAre;
using ::testing::ElementsAreArray;
using ::testing::IsEmpty;

constexpr auto kInvalid = absl::StatusCode::kInvalidArgument;
// A fixed instant with nanoseconds, so a store that rounds times is caught.
const absl::Time kT0 = absl::FromUnixNanos(1767323045123456789);

v1::Template Tpl(std::string subject, std::string html_body = "<p>Hi {{name}}</p>") {
  v1::Template t;
  t.set_subject(std::move(subject));
  t.set_text_body("Hi {{name}}");
  t.set_html_body(std::move(html_body));
  (*t.mutable_default_variables())["name"] = "there";
  return t;
}

std::vector<std::string> Names(const std::vector<v1::Template>& templates) {
  std::vector<std::string> out;
  for (const v1::Template& t : templates) out.push_back(t.name());
  return out;
}

// Every template name of the tenant, page after page, checking that only the last page is
// short and only the last token is empty.
std::vector<std::string> ListAll(TemplateStore& store, const std::string& tenant, int page_size) {
  std::vector<std::string> out;
  std::string token;
  do {
    auto page = store.List(tenant, page_size, token);
    EXPECT_TRUE(page.ok()) << page.status();
    if (!page.ok()) break;
    for (const std::string& n : Names(page->first)) out.push_back(n);
    token = page->second;
    if (!token.empty()) {
      EXPECT_EQ(page->first.size(), static_cast<size_t>(page_size == 0 ? kDefaultTemplatePageSize
                                                                         : page_size));
    }
  } while (!token.empty());
  return out;
}

TEST_P(TemplateStoreContractTest, CreateStampsNameAndTimesAndGetReturnsWhatWasStored) {
  v1::Template in = Tpl("Welcome, {{name}} — ünïcødé");
  in.set_name("templates/something-else");                         // ignored
  *in.mutable_create_time() = ToProtoTime(absl::FromUnixSeconds(1));  // ignored
  auto created = store().Create("acme", "welcome", in, kT0);
  ASSERT_TRUE(created.ok()) << created.status();
  EXPECT_EQ(created->name(), "templates/welcome");
  EXPECT_EQ(FromProtoTime(created->create_time()), kT0);
  EXPECT_EQ(FromProtoTime(created->update_time()), kT0);
  EXPECT_EQ(created->subject(), in.subject());
  EXPECT_EQ(created->text_body(), in.text_body());
  EXPECT_EQ(created->html_body(), in.html_body());
  EXPECT_EQ(created->default_variables().at("name"), "there");

  auto got = store().Get("acme", "welcome");
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_TRUE(MessageDifferencer::Equals(*got, *created)) << got->DebugString();
}

TEST_P(TemplateStoreContractTest, ALargeTemplateRoundTrips) {
  std::string html;
  for (int i = 0; i < 20000; ++i) absl::StrAppend(&html, "<p>{{v", i % 50, "}} ✓</p>\n");
  auto created = store().Create("acme", "big", Tpl("s", html), kT0);
  ASSERT_TRUE(created.ok()) << created.status();
  auto got = store().Get("acme", "big");
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->html_body(), html);
}

TEST_P(TemplateStoreContractTest, CreatingAnExistingIdIsAlreadyExistsAndKeepsTheFirst) {
  ASSERT_TRUE(store().Create("acme", "welcome", Tpl("first"), kT0).ok());
  auto again = store().Create("acme", "welcome", Tpl("second"), kT0 + absl::Hours(1));
  EXPECT_EQ(again.status().code(), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(again.status().message(), "template templates/welcome already exists");
  auto got = store().Get("acme", "welcome");
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->subject(), "first");
  EXPECT_EQ(FromProtoTime(got->create_time()), kT0);
  EXPECT_THAT(ListAll(store(), "acme", 10), ElementsAre("templates/welcome"));
}

TEST_P(TemplateStoreContractTest, GetAndDeleteOfAnUnknownIdAreNotFound) {
  auto got = store().Get("acme", "nope");
  EXPECT_EQ(got.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(got.status().message(), "template templates/nope not found");
  absl::Status deleted = store().Delete("acme", "nope");
  EXPECT_EQ(deleted.code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(deleted.message(), "template templates/nope not found");
}

TEST_P(TemplateStoreContractTest, TenantsNeverSeeEachOthersTemplates) {
  ASSERT_TRUE(store().Create("acme", "welcome", Tpl("acme's"), kT0).ok());
  ASSERT_TRUE(store().Create("acme", "receipt", Tpl("acme's receipt"), kT0).ok());
  // Same id, another tenant: not a conflict.
  ASSERT_TRUE(store().Create("globex", "welcome", Tpl("globex's"), kT0).ok());

  EXPECT_EQ(store().Get("acme", "welcome")->subject(), "acme's");
  EXPECT_EQ(store().Get("globex", "welcome")->subject(), "globex's");
  // Another tenant's id reads exactly like one nobody has.
  auto other = store().Get("globex", "receipt");
  EXPECT_EQ(other.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(other.status().message(), "template templates/receipt not found");
  EXPECT_EQ(store().Delete("globex", "receipt").code(), absl::StatusCode::kNotFound);
  EXPECT_TRUE(store().Get("acme", "receipt").ok());

  EXPECT_THAT(ListAll(store(), "acme", 10),
              ElementsAre("templates/receipt", "templates/welcome"));
  EXPECT_THAT(ListAll(store(), "globex", 10), ElementsAre("templates/welcome"));
  EXPECT_THAT(ListAll(store(), "initech", 10), IsEmpty());

  ASSERT_TRUE(store().Delete("globex", "welcome").ok());
  EXPECT_EQ(store().Get("acme", "welcome")->subject(), "acme's");
  // A tenant whose name prefixes another's shares nothing with it either.
  ASSERT_TRUE(store().Create("acme2", "welcome", Tpl("acme2's"), kT0).ok());
  EXPECT_EQ(store().Get("acme", "welcome")->subject(), "acme's");
  EXPECT_THAT(ListAll(store(), "acme", 10),
              ElementsAre("templates/receipt", "templates/welcome"));
}

TEST_P(TemplateStoreContractTest, ListPagesThroughIdsInByteOrder) {
  // Byte order: '-' < digits < '_' < letters.
  const std::vector<std::string> ids = {"b", "a_1", "a-1", "a", "z9", "0", "a1", "_x", "zz"};
  for (const std::string& id : ids) ASSERT_TRUE(store().Create("acme", id, Tpl(id), kT0).ok());
  const std::vector<std::string> want = {"templates/0",   "templates/_x",  "templates/a",
                                         "templates/a-1", "templates/a1",  "templates/a_1",
                                         "templates/b",   "templates/z9",  "templates/zz"};
  for (int page_size : {0, 1, 2, 3, 4, 8, 9, 10, 1000}) {
    EXPECT_THAT(ListAll(store(), "acme", page_size), ElementsAreArray(want))
        << "page_size " << page_size;
  }
  // A page that ends exactly at the last template says there is no next page.
  auto all = store().List("acme", 9, "");
  ASSERT_TRUE(all.ok()) << all.status();
  EXPECT_EQ(all->first.size(), 9u);
  EXPECT_EQ(all->second, "");
  // Every template in a page is whole.
  auto first = store().List("acme", 1, "");
  ASSERT_TRUE(first.ok()) << first.status();
  ASSERT_EQ(first->first.size(), 1u);
  EXPECT_EQ(first->first[0].subject(), "0");
  EXPECT_EQ(FromProtoTime(first->first[0].create_time()), kT0);
  EXPECT_EQ(first->first[0].default_variables().at("name"), "there");
}

TEST_P(TemplateStoreContractTest, PageSizeDefaultsTo100AndIsCappedAt1000) {
  for (int i = 0; i < 1001; ++i) {
    ASSERT_TRUE(store().Create("acme", absl::StrFormat("t%04d", i), Tpl("s"), kT0).ok());
  }
  auto by_default = store().List("acme", 0, "");
  ASSERT_TRUE(by_default.ok()) << by_default.status();
  EXPECT_EQ(by_default->first.size(), 100u);
  EXPECT_EQ(by_default->first.back().name(), "templates/t0099");
  EXPECT_FALSE(by_default->second.empty());

  auto capped = store().List("acme", 5000, "");
  ASSERT_TRUE(capped.ok()) << capped.status();
  EXPECT_EQ(capped->first.size(), 1000u);
  ASSERT_FALSE(capped->second.empty());
  auto rest = store().List("acme", 5000, capped->second);
  ASSERT_TRUE(rest.ok()) << rest.status();
  EXPECT_THAT(Names(rest->first), ElementsAre("templates/t1000"));
  EXPECT_EQ(rest->second, "");
}

TEST_P(TemplateStoreContractTest, ChangesBetweenPagesNeverRepeatOrSkipWhatStayed) {
  for (const char* id : {"a", "b", "c", "d", "e"}) {
    ASSERT_TRUE(store().Create("acme", id, Tpl(id), kT0).ok());
  }
  auto first = store().List("acme", 2, "");
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_THAT(Names(first->first), ElementsAre("templates/a", "templates/b"));
  // The page's last template goes, one before the cursor comes, one after it comes and goes.
  ASSERT_TRUE(store().Delete("acme", "b").ok());
  ASSERT_TRUE(store().Delete("acme", "c").ok());
  ASSERT_TRUE(store().Create("acme", "a0", Tpl("a0"), kT0).ok());
  ASSERT_TRUE(store().Create("acme", "bb", Tpl("bb"), kT0).ok());
  auto second = store().List("acme", 2, first->second);
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_THAT(Names(second->first), ElementsAre("templates/bb", "templates/d"));
  auto third = store().List("acme", 2, second->second);
  ASSERT_TRUE(third.ok()) << third.status();
  EXPECT_THAT(Names(third->first), ElementsAre("templates/e"));
  EXPECT_EQ(third->second, "");
}

TEST_P(TemplateStoreContractTest, DeleteRemovesTheTemplateAndFreesItsId) {
  ASSERT_TRUE(store().Create("acme", "welcome", Tpl("old"), kT0).ok());
  ASSERT_TRUE(store().Create("acme", "other", Tpl("other"), kT0).ok());
  ASSERT_TRUE(store().Delete("acme", "welcome").ok());
  EXPECT_EQ(store().Get("acme", "welcome").status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(store().Delete("acme", "welcome").code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(ListAll(store(), "acme", 10), ElementsAre("templates/other"));

  auto again = store().Create("acme", "welcome", Tpl("new"), kT0 + absl::Hours(1));
  ASSERT_TRUE(again.ok()) << again.status();
  auto got = store().Get("acme", "welcome");
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->subject(), "new");
  EXPECT_EQ(FromProtoTime(got->create_time()), kT0 + absl::Hours(1));
}

TEST_P(TemplateStoreContractTest, BadArgumentsAreInvalidArgumentAndChangeNothing) {
  for (const std::string& id :
       {std::string(), std::string(65, 'a'), std::string("Welcome"), std::string("a/b"),
        std::string("a:b"), std::string("{a}"), std::string("a b"), std::string("a.b"),
        std::string("caf\xc3\xa9")}) {
    EXPECT_EQ(store().Create("acme", id, Tpl("s"), kT0).status().code(), kInvalid) << id;
    EXPECT_EQ(store().Get("acme", id).status().code(), kInvalid) << id;
    EXPECT_EQ(store().Delete("acme", id).code(), kInvalid) << id;
  }
  ASSERT_TRUE(store().Create("acme", std::string(64, 'a'), Tpl("s"), kT0).ok());
  for (const std::string& tenant : {std::string(), std::string("a:b"), std::string("{acme}")}) {
    EXPECT_EQ(store().Create(tenant, "welcome", Tpl("s"), kT0).status().code(), kInvalid);
    EXPECT_EQ(store().Get(tenant, "welcome").status().code(), kInvalid);
    EXPECT_EQ(store().Delete(tenant, "welcome").code(), kInvalid);
    EXPECT_EQ(store().List(tenant, 0, "").status().code(), kInvalid);
  }
  EXPECT_EQ(store().List("acme", -1, "").status().code(), kInvalid);
  for (const std::string& token :
       {std::string("!!!"), std::string("not base64"), absl::WebSafeBase64Escape("UPPER"),
        absl::WebSafeBase64Escape("a/b"), absl::Base64Escape("a?"),  // padded, not base64url
        absl::StrCat(absl::WebSafeBase64Escape("abc"), "=")}) {
    EXPECT_EQ(store().List("acme", 0, token).status().code(), kInvalid) << token;
  }
  EXPECT_THAT(ListAll(store(), "acme", 0), ElementsAre(absl::StrCat("templates/", std::string(64, 'a'))));
}

TEST_P(TemplateStoreContractTest, ABackendOutageIsUnavailable) {
  ASSERT_TRUE(store().Create("acme", "welcome", Tpl("s"), kT0).ok());
  harness_->TakeDown();
  EXPECT_EQ(store().Create("acme", "other", Tpl("s"), kT0).status().code(),
            absl::StatusCode::kUnavailable);
  EXPECT_EQ(store().Get("acme", "welcome").status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(store().List("acme", 0, "").status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(store().Delete("acme", "welcome").code(), absl::StatusCode::kUnavailable);
  // The caller's mistakes are still the caller's, whatever the backend's state.
  EXPECT_EQ(store().Get("acme", "Bad Id").status().code(), kInvalid);
}

}  // namespace
}  // namespace kirim::testing
