#include "tests/dns/dns_peer.h"

#include <signal.h>

#include <fstream>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "server/common/status_macros.h"

namespace kirim::testing {

DnsPeer::DnsPeer() : dir_(MakeTempDir("dns-peer")), zone_file_(dir_ + "/zone.txt") {}

absl::Status DnsPeer::WriteZone(const std::string& zone) {
  std::ofstream out(zone_file_, std::ios::binary | std::ios::trunc);
  out << zone;
  out.close();
  if (!out) return absl::InternalError("cannot write " + zone_file_);
  return absl::OkStatus();
}

absl::Status DnsPeer::Start(const DnsPeerOptions& options) {
  KIRIM_RETURN_IF_ERROR(WriteZone(options.zone));
  reloads_ = 0;
  std::vector<std::string> argv = {"/usr/bin/python3", Runfile("tests/peers/dns_server.py"),
                                   zone_file_, "--port", "0"};
  for (const std::string& f : options.fail) argv.insert(argv.end(), {"--fail", f});
  // No __pycache__ written into the runfiles tree.
  KIRIM_RETURN_IF_ERROR(process_.Start(argv, {{"PYTHONDONTWRITEBYTECODE", "1"}}));
  KIRIM_ASSIGN_OR_RETURN(std::string line, process_.WaitForOutput("PORT ", absl::Seconds(30)));
  if (!absl::SimpleAtoi(line.substr(line.find("PORT ") + 5), &port_)) {
    return absl::InternalError("bad PORT line: " + line);
  }
  return absl::OkStatus();
}

absl::Status DnsPeer::SetZone(const std::string& zone, absl::Duration timeout) {
  // The server blocks SIGHUP only once it is listening; before "PORT" a SIGHUP would kill it.
  if (!process_.running() || port_ == 0) {
    return absl::FailedPreconditionError("DnsPeer::SetZone before Start");
  }
  KIRIM_RETURN_IF_ERROR(WriteZone(zone));
  const size_t from_line = process_.LineCount();
  const std::string reloaded = absl::StrCat("RELOADED ", ++reloads_);
  const std::string failed = absl::StrCat("RELOAD FAILED ", reloads_, " ");
  process_.Signal(SIGHUP);
  KIRIM_ASSIGN_OR_RETURN(
      std::string line,
      process_.WaitForLine(
          [&](const std::string& l) { return l == reloaded || absl::StartsWith(l, failed); },
          timeout, from_line));
  if (line != reloaded) return absl::InvalidArgumentError("dns_server.py: " + line);
  return absl::OkStatus();
}

std::string DnsPeer::server() const { return absl::StrCat("127.0.0.1:", port_); }

absl::StatusOr<std::string> DnsPeer::WaitForQuery(const std::string& prefix,
                                                  absl::Duration timeout) {
  return process_.WaitForLine([&](const std::string& l) { return absl::StartsWith(l, prefix); },
                              timeout);
}

}  // namespace kirim::testing
