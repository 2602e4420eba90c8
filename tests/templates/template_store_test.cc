// The rules every TemplateStore shares (server/templates/template_store.h).
#include "server/templates/template_store.h"

#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "gtest/gtest.h"
#include "server/common/proto_time.h"

namespace kirim {
namespace {

constexpr auto kInvalid = absl::StatusCode::kInvalidArgument;

TEST(ValidateTemplateIdTest, AcceptsOneTo64OfLowercaseDigitsUnderscoreAndDash) {
  for (const std::string& id : {std::string("a"), std::string("welcome-v2_final"),
                                std::string("0"), std::string("-"), std::string(64, 'z')}) {
    EXPECT_TRUE(ValidateTemplateId(id).ok()) << id;
  }
  EXPECT_EQ(ValidateTemplateId("").message(), "a template id is required");
  EXPECT_EQ(ValidateTemplateId(std::string(65, 'a')).code(), kInvalid);
  for (const std::string& id : std::vector<std::string>{"Welcome", "a b", "a/b", "a:b", "{a}", "a.b", "a*", "caf\xc3\xa9",
                                std::string("a\0b", 3)}) {
    EXPECT_EQ(ValidateTemplateId(id).code(), kInvalid) << id;
  }
}

TEST(TemplateNameTest, RoundTrips) {
  EXPECT_EQ(TemplateName("welcome"), "templates/welcome");
  EXPECT_EQ(*ParseTemplateName("templates/welcome"), "welcome");
  EXPECT_EQ(ParseTemplateName("welcome").status().code(), kInvalid);
  EXPECT_EQ(ParseTemplateName("templates/").status().code(), kInvalid);
  EXPECT_EQ(ParseTemplateName("templates/a/b").status().code(), kInvalid);
  EXPECT_EQ(ParseTemplateName("suppressions/welcome").status().code(), kInvalid);
}

TEST(StampTemplateTest, SetsNameAndBothTimesAndKeepsTheRest) {
  v1::Template t;
  t.set_name("templates/other");
  t.set_subject("s");
  (*t.mutable_default_variables())["k"] = "v";
  const absl::Time now = absl::FromUnixNanos(1767323045123456789);
  const v1::Template stamped = StampTemplate("welcome", t, now);
  EXPECT_EQ(stamped.name(), "templates/welcome");
  EXPECT_EQ(FromProtoTime(stamped.create_time()), now);
  EXPECT_EQ(FromProtoTime(stamped.update_time()), now);
  EXPECT_EQ(stamped.subject(), "s");
  EXPECT_EQ(stamped.default_variables().at("k"), "v");
}

TEST(TemplatePageTokenTest, OnlyTokensOfValidIdsDecode) {
  EXPECT_EQ(*DecodeTemplatePageToken(""), "");
  EXPECT_EQ(*DecodeTemplatePageToken(TemplatePageToken("welcome-2")), "welcome-2");
  EXPECT_EQ(DecodeTemplatePageToken(absl::WebSafeBase64Escape("Welcome")).status().code(),
            kInvalid);
  EXPECT_EQ(DecodeTemplatePageToken("***").status().message(), "malformed page token");
}

TEST(CheckTemplateListArgsTest, DefaultsAndCaps) {
  EXPECT_EQ(CheckTemplateListArgs("acme", 0, "")->limit, kDefaultTemplatePageSize);
  EXPECT_EQ(CheckTemplateListArgs("acme", 7, "")->limit, 7);
  EXPECT_EQ(CheckTemplateListArgs("acme", 1000000, "")->limit, kMaxTemplatePageSize);
  EXPECT_EQ(CheckTemplateListArgs("acme", 5, TemplatePageToken("b"))->after, "b");
  EXPECT_EQ(CheckTemplateListArgs("acme", -1, "").status().code(), kInvalid);
  EXPECT_EQ(CheckTemplateListArgs("", 0, "").status().code(), kInvalid);
}

TEST(TemplateStoreErrorsTest, OneWording) {
  EXPECT_EQ(TemplateNotFoundError("x").code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(TemplateNotFoundError("x").message(), "template templates/x not found");
  EXPECT_EQ(TemplateExistsError("x").code(), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(TemplateExistsError("x").message(), "template templates/x already exists");
}

}  // namespace
}  // namespace kirim
