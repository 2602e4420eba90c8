// kirimctl's argv reading: flags anywhere among the words, which flags were given, --help kept
// even on a wrong line, repeated list flags accumulating, and errors for unknown flags and bad
// values (usage errors, not absl's exit 1).
#include "client/ctl/command_line.h"

#include "absl/flags/flag.h"
#include "absl/flags/reflection.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

ABSL_FLAG(std::string, t_name, "default", "test: a string");
ABSL_FLAG(bool, t_on, false, "test: a bool");
ABSL_FLAG(int, t_count, 0, "test: an int");
ABSL_FLAG(std::vector<std::string>, t_list, {}, "test: a list");

namespace kirim::ctl {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

class CommandLineTest : public ::testing::Test {
 protected:
  absl::FlagSaver saver_;  // every test starts from the defaults
};

TEST_F(CommandLineTest, FlagsMayStandAnywhereAmongTheWords) {
  CommandLine line = ParseCommandLine(
      {"--t_name=x", "suppression", "add", "-t_count", "3", "ana@example.net", "--t_on"});
  ASSERT_TRUE(line.error.ok()) << line.error;
  EXPECT_THAT(line.positionals, ElementsAre("suppression", "add", "ana@example.net"));
  EXPECT_THAT(line.given, ElementsAre("t_count", "t_name", "t_on"));
  EXPECT_FALSE(line.help);
  EXPECT_EQ(absl::GetFlag(FLAGS_t_name), "x");
  EXPECT_EQ(absl::GetFlag(FLAGS_t_count), 3);
  EXPECT_TRUE(absl::GetFlag(FLAGS_t_on));
}

TEST_F(CommandLineTest, AFlagGivenWithItsDefaultValueIsStillGiven) {
  CommandLine line = ParseCommandLine({"--t_name=default", "get"});
  ASSERT_TRUE(line.error.ok());
  EXPECT_THAT(line.given, ElementsAre("t_name"));
}

TEST_F(CommandLineTest, BoolsTakeNoAndExplicitValues) {
  absl::SetFlag(&FLAGS_t_on, true);
  CommandLine line = ParseCommandLine({"--not_on"});
  ASSERT_TRUE(line.error.ok()) << line.error;
  EXPECT_FALSE(absl::GetFlag(FLAGS_t_on));
  EXPECT_THAT(line.given, ElementsAre("t_on"));
  line = ParseCommandLine({"--t_on=true", "word"});
  ASSERT_TRUE(line.error.ok());
  EXPECT_TRUE(absl::GetFlag(FLAGS_t_on));
  EXPECT_THAT(line.positionals, ElementsAre("word"));  // a bool never takes the next word
}

TEST_F(CommandLineTest, AListFlagGivenTwiceKeepsBothAScalarTheLast) {
  CommandLine line = ParseCommandLine(
      {"--t_list=a.pdf", "--t_list", "b.png,c.txt", "--t_name=first", "--t_name=second"});
  ASSERT_TRUE(line.error.ok()) << line.error;
  EXPECT_THAT(absl::GetFlag(FLAGS_t_list), ElementsAre("a.pdf", "b.png", "c.txt"));
  EXPECT_EQ(absl::GetFlag(FLAGS_t_name), "second");
}

TEST_F(CommandLineTest, DoubleDashEndsTheFlags) {
  CommandLine line = ParseCommandLine({"get", "--", "--t_on", "-"});
  ASSERT_TRUE(line.error.ok());
  EXPECT_THAT(line.positionals, ElementsAre("get", "--t_on", "-"));
  EXPECT_FALSE(absl::GetFlag(FLAGS_t_on));
  EXPECT_TRUE(line.given.empty());
}

TEST_F(CommandLineTest, UnknownFlagsBadValuesAndMissingValuesAreErrors) {
  CommandLine line = ParseCommandLine({"get", "--t_bogus=1"});
  EXPECT_EQ(line.error.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(line.error.message(), "unknown flag --t_bogus");

  line = ParseCommandLine({"--t_count=many", "get"});
  EXPECT_EQ(line.error.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(line.error.message()), HasSubstr("--t_count: "));

  line = ParseCommandLine({"get", "--t_name"});
  EXPECT_EQ(line.error.message(), "flag --t_name needs a value (--t_name=...)");

  line = ParseCommandLine({"--t_on=perhaps"});
  EXPECT_THAT(std::string(line.error.message()), HasSubstr("--t_on: "));
}

TEST_F(CommandLineTest, HelpIsSeenEvenOnALineThatIsWrongOtherwise) {
  for (const char* help : {"--help", "-h", "-help", "--helpfull", "-?"}) {
    CommandLine line = ParseCommandLine({"send", "--t_bogus", help});
    EXPECT_TRUE(line.help) << help;
    EXPECT_FALSE(line.error.ok()) << help;
    EXPECT_THAT(line.positionals, ElementsAre("send")) << help;
  }
}

}  // namespace
}  // namespace kirim::ctl
