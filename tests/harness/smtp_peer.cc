#include "tests/harness/smtp_peer.h"

#include <fstream>
#include <sstream>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "server/common/status_macros.h"

namespace kirim::testing {

std::string ReadFileToString(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

SmtpPeer::SmtpPeer() : dir_(MakeTempDir("smtp-peer")) {
  cert_ = dir_ + "/cert.pem";
  key_ = dir_ + "/key.pem";
  maildir_ = dir_ + "/mail";
}

absl::Status SmtpPeer::Start(const SmtpPeerOptions& o) {
  if (ReadFileToString(cert_).empty()) {
    Subprocess openssl;
    KIRIM_RETURN_IF_ERROR(openssl.Start({"/usr/bin/openssl", "req", "-x509", "-newkey",
                                         "rsa:2048", "-nodes", "-days", "2", "-subj",
                                         "/CN=mx.test", "-addext", "subjectAltName=DNS:mx.test",
                                         "-keyout", key_, "-out", cert_}));
    if (openssl.Wait(absl::Seconds(60)) != 0) return absl::InternalError("openssl req failed");
  }
  if (process_.running()) return absl::FailedPreconditionError("the peer is running");
  // Keep what the previous run printed: ReceivedIds counts over every run.
  for (std::string& l : process_.Lines()) earlier_lines_.push_back(std::move(l));
  options_ = o;

  std::vector<std::string> argv = {"/usr/bin/python3", Runfile("tests/peers/smtp_server.py"),
                                   "--port", std::to_string(o.port), "--cert", cert_,
                                   "--key", key_};
  if (o.store) argv.insert(argv.end(), {"--maildir", maildir_});
  if (o.require_starttls) argv.push_back("--require-starttls");
  if (o.implicit_tls) argv.push_back("--implicit-tls");
  if (!o.auth.empty()) argv.insert(argv.end(), {"--auth", o.auth});
  for (const auto& r : o.reply_rcpt) argv.insert(argv.end(), {"--reply-rcpt", r});
  if (!o.reply_data.empty()) argv.insert(argv.end(), {"--reply-data", o.reply_data});
  if (o.reply_data_count > 0) {
    argv.insert(argv.end(), {"--reply-data-count", std::to_string(o.reply_data_count)});
  }
  if (o.stall_data > 0) argv.insert(argv.end(), {"--stall-data", std::to_string(o.stall_data)});
  if (!o.smtputf8) argv.push_back("--no-smtputf8");
  if (o.stall_mid_data > 0) {
    argv.insert(argv.end(), {"--stall-mid-data", std::to_string(o.stall_mid_data)});
  }
  if (o.drop_after_data > 0) {
    argv.insert(argv.end(), {"--drop-after-data", std::to_string(o.drop_after_data)});
  }
  // No __pycache__ written into the runfiles tree.
  KIRIM_RETURN_IF_ERROR(process_.Start(argv, {{"PYTHONDONTWRITEBYTECODE", "1"}}));
  KIRIM_ASSIGN_OR_RETURN(std::string line, process_.WaitForOutput("PORT ", absl::Seconds(30)));
  if (!absl::SimpleAtoi(line.substr(line.find("PORT ") + 5), &port_)) {
    return absl::InternalError("bad PORT line: " + line);
  }
  next_line_ = process_.LineCount();
  return absl::OkStatus();
}

absl::StatusOr<ReceivedMessage> SmtpPeer::WaitForMessage(absl::Duration timeout) {
  KIRIM_ASSIGN_OR_RETURN(
      std::string line,
      process_.WaitForLine([](const std::string& l) { return absl::StartsWith(l, "RECEIVED "); },
                           timeout, next_line_));
  // Continue after this event next time.
  std::vector<std::string> lines = process_.Lines();
  for (size_t i = next_line_; i < lines.size(); ++i) {
    if (lines[i] == line) {
      next_line_ = i + 1;
      break;
    }
  }
  ReceivedMessage m;
  m.name = line.substr(9);
  m.content = ReadFileToString(absl::StrCat(maildir_, "/", m.name, ".eml"));
  m.meta = ReadFileToString(absl::StrCat(maildir_, "/", m.name, ".json"));
  return m;
}

absl::StatusOr<std::string> SmtpPeer::WaitForEvent(const std::string& prefix,
                                                   absl::Duration timeout) {
  return process_.WaitForLine([&](const std::string& l) { return absl::StartsWith(l, prefix); },
                              timeout);
}

absl::Status SmtpPeer::Restart() {
  if (port_ == 0) return absl::FailedPreconditionError("Restart() before Start()");
  SmtpPeerOptions o = options_;
  o.port = port_;
  return Start(o);
}

int SmtpPeer::ReceivedCount() { return EventCount("RECEIVED "); }

std::map<std::string, int> SmtpPeer::ReceivedIds(const std::string& event) {
  std::map<std::string, int> ids;
  auto add = [&](const std::string& l) {
    if (!absl::StartsWith(l, event)) return;
    // "ID <id>" or "DROPPED <k> <id>": the id is the last word.
    ++ids[l.substr(l.rfind(' ') + 1)];
  };
  for (const std::string& l : earlier_lines_) add(l);
  for (const std::string& l : process_.Lines()) add(l);
  return ids;
}

absl::Status SmtpPeer::WaitForIds(const std::set<std::string>& ids, absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  std::set<std::string> missing = ids;
  // The line count first: a line printed meanwhile is counted twice, never missed.
  size_t from = process_.LineCount();
  for (const auto& [id, n] : ReceivedIds()) missing.erase(id);
  while (!missing.empty()) {
    // Wake on the next message accepted (event-driven), then take every line printed since.
    absl::StatusOr<std::string> line = process_.WaitForLine(
        [](const std::string& l) { return absl::StartsWith(l, "ID "); }, deadline - absl::Now(),
        from);
    if (!line.ok()) {
      return absl::DeadlineExceededError(absl::StrCat(
          missing.size(), " of ", ids.size(), " messages never arrived, e.g. ", *missing.begin(),
          " (", line.status().message(), ")"));
    }
    const std::vector<std::string> lines = process_.Lines();
    for (size_t i = from; i < lines.size(); ++i) {
      if (absl::StartsWith(lines[i], "ID ")) missing.erase(lines[i].substr(3));
    }
    from = lines.size();
  }
  return absl::OkStatus();
}

int SmtpPeer::EventCount(const std::string& prefix) {
  int n = 0;
  for (const std::string& l : process_.Lines()) n += absl::StartsWith(l, prefix);
  return n;
}

}  // namespace kirim::testing
