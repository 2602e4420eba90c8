#include "tests/http/http_fetch.h"

#include <fstream>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "tests/harness/subprocess.h"

namespace kirim::testing {

Reply Fetch(const std::string& method, const std::string& url, const RequestOptions& o) {
  std::vector<std::string> argv = {"/usr/bin/python3", Runfile("tests/http/http_client.py"),
                                   method, url};
  if (o.send_body) {
    std::string path = MakeTempDir("body") + "/body";
    std::ofstream(path, std::ios::binary) << o.body;
    argv.push_back("--body-file");
    argv.push_back(path);
  }
  if (o.chunked) argv.push_back("--chunked");
  for (const auto& h : o.headers) {
    argv.push_back("--header");
    argv.push_back(h);
  }
  Reply reply;
  Subprocess client;
  absl::Status started = client.Start(argv, {{"PYTHONDONTWRITEBYTECODE", "1"}});
  EXPECT_TRUE(started.ok()) << started;
  if (!started.ok()) return reply;
  reply.exit_code = ExitCode(client.Wait(absl::Seconds(90)));
  for (const std::string& line : client.Lines()) {
    absl::StrAppend(&reply.output, line.substr(0, 300), "\n");
    if (absl::StartsWith(line, "STATUS ")) {
      reply.status = std::stoi(line.substr(7));
    } else if (absl::StartsWith(line, "HEADER ")) {
      size_t colon = line.find(": ");
      reply.headers[absl::AsciiStrToLower(line.substr(7, colon - 7))] = line.substr(colon + 2);
    } else if (absl::StartsWith(line, "BODY ")) {
      reply.body = absl::HexStringToBytes(line.substr(5));
    } else if (absl::StartsWith(line, "ERROR ")) {
      reply.error = line.substr(6);
    }
  }
  return reply;
}

}  // namespace kirim::testing
