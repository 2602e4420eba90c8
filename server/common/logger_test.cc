#include "server/common/logger.h"

#include <cstdio>
#include <string>

#include "gtest/gtest.h"
#include "tests/common/fake_clock.h"

namespace kirim {
namespace {

std::string Capture(LogLevel min, LogLevel level, LogFields fields) {
  testing::FakeClock clock;
  char* buf = nullptr;
  size_t len = 0;
  FILE* mem = open_memstream(&buf, &len);
  {
    Logger logger(clock, min, mem);
    logger.Log(level, "worker", "delivered", fields);
  }
  std::fclose(mem);
  std::string out(buf, len);
  std::free(buf);
  return out;
}

TEST(LoggerTest, WritesOneJsonObjectPerLine) {
  EXPECT_EQ(Capture(LogLevel::kInfo, LogLevel::kInfo, {{"message_id", "01ABC"}}),
            "{\"time\":\"2026-01-02T03:04:05.000Z\",\"level\":\"info\",\"component\":\"worker\","
            "\"event\":\"delivered\",\"message_id\":\"01ABC\"}\n");
}

TEST(LoggerTest, EscapesQuotesNewlinesAndControlCharacters) {
  std::string line = Capture(LogLevel::kInfo, LogLevel::kError, {{"reply", "550 \"no\"\r\nbye\x01"}});
  EXPECT_NE(line.find("\"reply\":\"550 \\\"no\\\"\\r\\nbye\\u0001\""), std::string::npos) << line;
  EXPECT_EQ(line.find('\n'), line.size() - 1);
}

TEST(LoggerTest, DropsLinesBelowTheMinimumLevel) {
  EXPECT_EQ(Capture(LogLevel::kWarning, LogLevel::kInfo, {}), "");
}

TEST(LoggerTest, ParsesLevels) {
  LogLevel level;
  EXPECT_TRUE(ParseLogLevel("debug", &level));
  EXPECT_EQ(level, LogLevel::kDebug);
  EXPECT_FALSE(ParseLogLevel("verbose", &level));
}

}  // namespace
}  // namespace kirim
