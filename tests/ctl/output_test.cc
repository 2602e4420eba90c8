// The table layout people read and the JSON scripts parse.
#include "client/ctl/output.h"

#include <sstream>

#include "google/protobuf/util/json_util.h"
#include "gtest/gtest.h"
#include "kirim/v1/mail_service.pb.h"

namespace kirim::ctl {
namespace {

std::string Printed(const Table& t) {
  std::ostringstream out;
  t.Print(out);
  return out.str();
}

TEST(TableTest, ColumnsAreAsWideAsTheirWidestCellWithTheHeaderFirst) {
  Table t({"DESTINATION", "PAUSED", "READY"});
  t.AddRow({"gmail.com", "yes", "12"});
  t.AddRow({"mail.example.museum", "no", "0"});
  EXPECT_EQ(Printed(t),
            "DESTINATION          PAUSED  READY\n"
            "gmail.com            yes     12\n"
            "mail.example.museum  no      0\n");
}

TEST(TableTest, AnEmptyTableIsItsHeader) {
  EXPECT_EQ(Printed(Table({"A", "B"})), "A  B\n");
}

TEST(TableTest, NoTrailingBlanksAndShortRowsArePadded) {
  Table t({"NAME", "NOTE"});
  t.AddRow({"a"});
  t.AddRow({"bb", ""});
  t.AddRow({"c", "x"});
  EXPECT_EQ(Printed(t), "NAME  NOTE\na\nbb\nc     x\n");
}

TEST(TableTest, WidthsCountCharactersNotBytesAndCellsStayOnOneLine) {
  Table t({"NAME", "CITY"});
  t.AddRow({"Zoë", "Jakarta"});
  t.AddRow({"Bo", "line\nbreak"});
  EXPECT_EQ(Printed(t), "NAME  CITY\nZoë   Jakarta\nBo    line break\n");
}

TEST(TableTest, FormatRowUsesFixedWidthsAndPushesOverlongCells) {
  EXPECT_EQ(Table::FormatRow({"a", "b", "c"}, {3, 3}), "a    b    c");
  EXPECT_EQ(Table::FormatRow({"abcdef", "b"}, {3}), "abcdef  b");
}

TEST(OutputFormatTest, TextIsAnAliasOfTable) {
  EXPECT_EQ(*ParseOutputFormat("table"), OutputFormat::kTable);
  EXPECT_EQ(*ParseOutputFormat("text"), OutputFormat::kTable);
  EXPECT_EQ(*ParseOutputFormat("json"), OutputFormat::kJson);
  EXPECT_EQ(*ParseOutputFormat("zone"), OutputFormat::kZone);
  EXPECT_EQ(ParseOutputFormat("yaml").status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(JsonTest, ProtoFieldNamesAndItParsesBack) {
  v1::SendEmailResponse r;
  r.set_id("01KB5Z3Q8R6W9ZP0J4T2YV3N1M");
  r.set_message_id_header("<x@example.com>");
  const std::string pretty = ToJson(r, true);
  EXPECT_NE(pretty.find("\"message_id_header\""), std::string::npos) << pretty;
  EXPECT_EQ(pretty.back(), '\n');
  const std::string line = ToJson(r, false);
  EXPECT_EQ(line.find('\n'), std::string::npos) << line;
  v1::SendEmailResponse back;
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(line, &back).ok());
  EXPECT_EQ(back.id(), r.id());
  std::ostringstream out;
  PrintJsonLine(r, out);
  EXPECT_EQ(out.str(), line + "\n");
}

TEST(TimestampTest, Rfc3339InUtcOrEmpty) {
  google::protobuf::Timestamp t;
  EXPECT_EQ(FormatTimestamp(t), "");
  t.set_seconds(1767323045);
  EXPECT_EQ(FormatTimestamp(t), "2026-01-02T03:04:05+00:00");
}

}  // namespace
}  // namespace kirim::ctl
