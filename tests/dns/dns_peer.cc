#include "tests/dns/dns_peer.h"

#include <fstream>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "server/common/status_macros.h"

namespace kirim::testing {

DnsPeer::DnsPeer() : dir_(MakeTempDir("dns-peer")) {}

absl::Status DnsPeer::Start(const DnsPeerOptions& options) {
  const std::string zone_file = dir_ + "/zone.txt";
  {
    std::ofstream out(zone_file, std::ios::binary | std::ios::trunc);
    out << options.zone;
    if (!out.good()) return absl::InternalError("cannot write " + zone_file);
  }
  std::vector<std::string> argv = {"/usr/bin/python3", Runfile("tests/peers/dns_server.py"),
                                   zone_file, "--port", "0"};
  for (const std::string& f : options.fail) argv.insert(argv.end(), {"--fail", f});
  // No __pycache__ written into the runfiles tree.
  KIRIM_RETURN_IF_ERROR(process_.Start(argv, {{"PYTHONDONTWRITEBYTECODE", "1"}}));
  KIRIM_ASSIGN_OR_RETURN(std::string line, process_.WaitForOutput("PORT ", absl::Seconds(30)));
  if (!absl::SimpleAtoi(line.substr(line.find("PORT ") + 5), &port_)) {
    return absl::InternalError("bad PORT line: " + line);
  }
  return absl::OkStatus();
}

std::string DnsPeer::server() const { return absl::StrCat("127.0.0.1:", port_); }

absl::StatusOr<std::string> DnsPeer::WaitForQuery(const std::string& prefix,
                                                  absl::Duration timeout) {
  return process_.WaitForLine([&](const std::string& l) { return absl::StartsWith(l, prefix); },
                              timeout);
}

}  // namespace kirim::testing
