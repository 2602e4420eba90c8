// Recipients files: RFC 4180 CSV (quoted fields with commas, line breaks and doubled quotes;
// meta: columns; the address column) and the two JSON forms, with errors that say where.
#include "client/ctl/batch_file.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace kirim::ctl {
namespace {

using ::testing::ElementsAre;
using ::testing::Pair;

std::string ErrorOf(const absl::StatusOr<std::vector<BatchRow>>& rows) {
  EXPECT_FALSE(rows.ok());
  EXPECT_EQ(rows.status().code(), absl::StatusCode::kInvalidArgument);
  return std::string(rows.status().message());
}

TEST(CsvTest, QuotedFieldsHoldCommasLineBreaksAndDoubledQuotes) {
  auto rows = ParseRecipientsCsv(
      "to,name,note,meta:customer\r\n"
      "ana@example.net,\"Ana, the \"\"first\"\"\",\"two\r\nlines\",c-1\r\n"
      "bo@example.org,Bo,,c-2\r\n");
  ASSERT_TRUE(rows.ok()) << rows.status();
  ASSERT_EQ(rows->size(), 2u);
  EXPECT_EQ((*rows)[0].to, "ana@example.net");
  EXPECT_THAT((*rows)[0].variables,
              ElementsAre(Pair("name", "Ana, the \"first\""), Pair("note", "two\r\nlines")));
  EXPECT_THAT((*rows)[0].metadata, ElementsAre(Pair("customer", "c-1")));
  EXPECT_EQ((*rows)[1].to, "bo@example.org");
  EXPECT_THAT((*rows)[1].variables, ElementsAre(Pair("name", "Bo"), Pair("note", "")));
}

TEST(CsvTest, EmailIsTheAddressColumnTooAnyCaseAndWithoutAFinalNewline) {
  auto rows = ParseRecipientsCsv("\xEF\xBB\xBF" "Email, name\nana@example.net,Ana\n\nbo@example.org,Bo");
  ASSERT_TRUE(rows.ok()) << rows.status();
  ASSERT_EQ(rows->size(), 2u);
  EXPECT_EQ((*rows)[0].to, "ana@example.net");
  EXPECT_THAT((*rows)[0].variables, ElementsAre(Pair("name", "Ana")));  // header trimmed
  EXPECT_EQ((*rows)[1].to, "bo@example.org");
}

TEST(CsvTest, AHeaderWithoutAnAddressColumnIsRefused) {
  EXPECT_EQ(ErrorOf(ParseRecipientsCsv("name,city\nAna,Jakarta\n")),
            "the header row has no \"to\" (or \"email\") column");
  EXPECT_EQ(ErrorOf(ParseRecipientsCsv("")), "empty file: expected a header row");
  EXPECT_EQ(ErrorOf(ParseRecipientsCsv("to,email\na@x.test,b@x.test\n")),
            "line 1: two address columns (\"to\" and \"email\")");
  EXPECT_EQ(ErrorOf(ParseRecipientsCsv("to,name,name\n")), "line 1: column \"name\" appears twice");
}

TEST(CsvTest, ErrorsNameTheLineTheRecordStartsOn) {
  // The quoted line break makes record 2 span lines 2-3; record 3 starts on line 4.
  EXPECT_EQ(ErrorOf(ParseRecipientsCsv("to,note\na@x.test,\"one\ntwo\"\nb@x.test,x,extra\n")),
            "line 4: 3 fields, the header has 2");
  EXPECT_EQ(ErrorOf(ParseRecipientsCsv("to,note\na@x.test,\"never closed\n")),
            "line 2: a quoted field is never closed");
}

TEST(JsonTest, NestedAndFlatObjects) {
  auto rows = ParseRecipientsJson(R"([
      {"to": "ana@example.net", "variables": {"name": "Ana"}, "metadata": {"customer": "c-1"}},
      {"email": "bo@example.org", "name": "Bo", "order": 1234567, "vip": true, "discount": 2.5}
  ])");
  ASSERT_TRUE(rows.ok()) << rows.status();
  ASSERT_EQ(rows->size(), 2u);
  EXPECT_EQ((*rows)[0].to, "ana@example.net");
  EXPECT_THAT((*rows)[0].variables, ElementsAre(Pair("name", "Ana")));
  EXPECT_THAT((*rows)[0].metadata, ElementsAre(Pair("customer", "c-1")));
  EXPECT_EQ((*rows)[1].to, "bo@example.org");
  EXPECT_THAT((*rows)[1].variables, ElementsAre(Pair("discount", "2.5"), Pair("name", "Bo"),
                                                Pair("order", "1234567"), Pair("vip", "true")));
}

TEST(JsonTest, ErrorsNameTheItem) {
  EXPECT_EQ(ErrorOf(ParseRecipientsJson(R"({"to": "a@x.test"})")), "not a JSON array of objects");
  EXPECT_EQ(ErrorOf(ParseRecipientsJson(R"([{"to": "a@x.test"}, "b@x.test"])")),
            "item 2: not an object");
  EXPECT_EQ(ErrorOf(ParseRecipientsJson(R"([{"name": "Ana"}])")), "item 1: no \"to\"");
  EXPECT_EQ(ErrorOf(ParseRecipientsJson(R"([{"to": "a@x.test", "tags": ["x"]}])")),
            "item 1: tags is not a string, number or boolean");
}

TEST(RecipientsTest, TheFileNameChoosesTheForm) {
  auto json = ParseRecipients("list.JSON", R"([{"to": "a@x.test"}])");
  ASSERT_TRUE(json.ok()) << json.status();
  EXPECT_EQ((*json)[0].to, "a@x.test");
  auto csv = ParseRecipients("list.txt", "to\na@x.test\n");
  ASSERT_TRUE(csv.ok()) << csv.status();
  EXPECT_EQ((*csv)[0].to, "a@x.test");
}

}  // namespace
}  // namespace kirim::ctl
