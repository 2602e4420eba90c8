// Helpers for the client tests: start kirimd (sandbox delivery) on a real Redis, and run a
// client program to completion, capturing what it prints.
#ifndef KIRIM_TESTS_CLIENTS_CLIENT_RUN_H_
#define KIRIM_TESTS_CLIENTS_CLIENT_RUN_H_

#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "tests/harness/kirimd_process.h"
#include "tests/harness/redis_server.h"
#include "tests/harness/subprocess.h"

namespace kirim::testing {

struct ClientRun {
  int exit_code = -1;  // ExitCode(): -1 when it did not end in time (it was killed then)
  std::vector<std::string> lines;
  std::string Output() const { return absl::StrJoin(lines, "\n"); }
};

// Runs argv to completion (bounded by `timeout`).
inline ClientRun RunClient(const std::vector<std::string>& argv,
                           const std::map<std::string, std::string>& env = {},
                           absl::Duration timeout = absl::Seconds(120)) {
  ClientRun run;
  Subprocess process;
  absl::Status started = process.Start(argv, env);
  if (!started.ok()) {
    run.lines.push_back(std::string(started.message()));
    return run;
  }
  int status = process.Wait(timeout);
  if (status == -1) process.Kill();
  run.exit_code = ExitCode(status);
  run.lines = process.Lines();
  return run;
}

// The contents of a file ("" when it cannot be read).
inline std::string FileContents(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// The id in the client's "OK send <id>" line, or "".
inline std::string SentId(const ClientRun& run) {
  for (const std::string& line : run.lines) {
    std::vector<std::string> words = absl::StrSplit(line, ' ');
    if (words.size() == 3 && words[0] == "OK" && words[1] == "send") return words[2];
  }
  return "";
}

// A real redis-server and kirimd delivering into a sandbox directory.
class ClientTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(redis_.Start().ok());
    sandbox_ = MakeTempDir("sandbox");
    absl::Status s = kirimd_.Start(absl::StrCat(
        "redis { port: ", redis_.port(), " }\n",
        "delivery { mode: SANDBOX sandbox_dir: \"", sandbox_, "\" poll_interval_ms: 200 }\n"));
    ASSERT_TRUE(s.ok()) << s;
  }

  // What kirimd itself says of a message the client reported: delivered into the sandbox.
  void ExpectDeliveredBySandbox(const std::string& id) {
    ASSERT_EQ(id.size(), 26u) << id;
    EXPECT_TRUE(kirimd_.WaitForEvent("delivered", id).ok()) << id;
    auto m = kirimd_.GetMessage(id);
    ASSERT_TRUE(m.ok()) << m.status();
    EXPECT_EQ(m->state(), v1::DELIVERED);
  }

  RedisServer redis_;
  KirimdProcess kirimd_;
  std::string sandbox_;
};

}  // namespace kirim::testing

#endif  // KIRIM_TESTS_CLIENTS_CLIENT_RUN_H_
