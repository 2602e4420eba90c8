// The exposition passes Prometheus' own linter: `promtool check metrics` (reading stdin) exits 0
// with no complaint after a realistic mix of events. Two control cases prove the check can fail:
// a counter without _total and an unparsable line both make promtool exit non-zero.
#include <fstream>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/metrics/metrics.h"
#include "tests/harness/subprocess.h"

namespace kirim {
namespace {

using ::kirim::testing::ExitCode;
using ::kirim::testing::MakeTempDir;
using ::kirim::testing::Subprocess;
using ::testing::HasSubstr;

constexpr char kPromtool[] = "/usr/bin/promtool";

struct PromtoolResult {
  int exit_code = -1;
  std::string output;
};

// Runs `promtool check metrics < exposition` (the harness gives children /dev/null as stdin,
// so a shell feeds the file).
PromtoolResult CheckMetrics(const std::string& exposition) {
  // A fresh directory per call, so the file name can be fixed.
  std::string path = MakeTempDir("promtool") + "/metrics.txt";
  {
    std::ofstream out(path, std::ios::binary);
    out << exposition;
  }
  Subprocess promtool;
  PromtoolResult result;
  absl::Status started = promtool.Start(
      {"/bin/sh", "-c", absl::StrCat("exec ", kPromtool, " check metrics < '", path, "'")});
  EXPECT_TRUE(started.ok()) << started;
  if (!started.ok()) return result;
  result.exit_code = ExitCode(promtool.Wait(absl::Seconds(60)));
  result.output = absl::StrJoin(promtool.Lines(), "\n");
  return result;
}

void RecordRealisticMix(Metrics& metrics) {
  for (int i = 0; i < 40; ++i) metrics.Accepted(i % 4 == 0 ? "bulk" : "transactional");
  metrics.Accepted("unknown-lane");
  metrics.Rejected("rate_limited");
  metrics.Rejected("invalid_argument");
  metrics.Rejected("something new");
  for (int i = 0; i < 30; ++i) {
    metrics.Recipient("transactional", "delivered");
    metrics.AcceptToDelivered("transactional", absl::Milliseconds(200 + 97 * i));
  }
  metrics.Recipient("bulk", "deferred");
  metrics.Recipient("bulk", "bounced");
  metrics.Recipient("bulk", "lost in transit");
  metrics.AcceptToDelivered("bulk", absl::Hours(30));
  for (const char* phase : {"connect", "greeting", "ehlo", "starttls", "mail", "rcpt", "data",
                            "data_end", "quit"}) {
    metrics.SmtpPhase(phase, absl::Milliseconds(12));
    metrics.SmtpReply(phase, 250);
  }
  metrics.SmtpReply("rcpt", 550);
  metrics.SmtpReply("rcpt", 451);
  metrics.SmtpReply("connect", 0);
  metrics.SmtpReply("xclient", 250);
  metrics.SmtpPhase("data_end", absl::Minutes(11));
  for (int i = 0; i < 100; ++i) metrics.RedisRoundTrip(absl::Microseconds(30 + 13 * i));
  metrics.SetQueue("transactional", {.ready = 12, .scheduled = 4, .in_flight = 3, .dead = 0});
  metrics.SetQueue("bulk", {.ready = 5000, .scheduled = 120, .in_flight = 16, .dead = 2});
  metrics.SetDestinations({{"gmail.com", 17}, {"outlook.com", 4}, {"b\"a\\d\n", 1}});
}

TEST(PromtoolTest, ExpositionPassesPromtoolCheckMetrics) {
  Metrics metrics({.version = "0.6.0-rc.1+g1a2b3c", .role = "all"});
  RecordRealisticMix(metrics);
  std::string text = metrics.Serialize();
  PromtoolResult result = CheckMetrics(text);
  EXPECT_EQ(result.exit_code, 0) << result.output << "\n--- exposition ---\n" << text;
  EXPECT_EQ(result.output, "");
}

TEST(PromtoolTest, FreshMetricsPassToo) {
  Metrics metrics;
  PromtoolResult result = CheckMetrics(metrics.Serialize());
  EXPECT_EQ(result.exit_code, 0) << result.output;
}

// Controls: the same check rejects what it should, so a pass above means something.
TEST(PromtoolTest, CounterWithoutTotalSuffixFails) {
  PromtoolResult result = CheckMetrics(
      "# HELP kirim_messages_accepted Messages accepted.\n"
      "# TYPE kirim_messages_accepted counter\n"
      "kirim_messages_accepted{lane=\"bulk\"} 1\n");
  EXPECT_NE(result.exit_code, 0) << result.output;
  EXPECT_THAT(result.output, HasSubstr("_total"));
}

TEST(PromtoolTest, UnparsableExpositionFails) {
  PromtoolResult result = CheckMetrics("kirim_build_info{version=0.6.0} 1\n");
  EXPECT_NE(result.exit_code, 0) << result.output;
}

}  // namespace
}  // namespace kirim
