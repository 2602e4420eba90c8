// FakeConnection: a scripted stand-in for smtp::Connection, so SMTP client logic is tested
// without sockets or time.
//
//   FakeConnection conn;
//   conn.AddServerLines({"220 mx.test ESMTP", "250-mx.test", "250 PIPELINING"});
//   conn.AddReadError(absl::DeadlineExceededError("read timed out"));
//   SmtpClient client(conn, options);
//   ...
//   EXPECT_EQ(conn.written(), "EHLO client.test\r\n...");
//
// The server side is a queue of events consumed by ReadLine() in order: lines, or errors. The
// script is fixed up front rather than reacting to commands, which suits SMTP (a strict
// request/reply protocol whose order the test knows) and lets pipelined writes be checked as
// single Write() calls. Once the queue is empty ReadLine() returns `exhausted_error`
// (DeadlineExceeded by default: a server that says nothing more).
//
// StartTls() flips IsTls() unless a failure was configured. Every Write() is recorded with its
// timeout and whether TLS was active, so tests can check that credentials only went out over TLS.
#ifndef KIRIM_TESTS_SMTP_FAKE_CONNECTION_H_
#define KIRIM_TESTS_SMTP_FAKE_CONNECTION_H_

#include <deque>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/match.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "server/smtp/transport.h"

namespace kirim::testing {

class FakeConnection final : public smtp::Connection {
 public:
  struct WriteRecord {
    std::string data;
    absl::Duration timeout;
    bool tls;
  };

  explicit FakeConnection(std::string describe = "fake.test:25") : describe_(std::move(describe)) {}

  // --- Scripting the server ---

  // Queues lines (without CRLF) for ReadLine() to return, in order.
  void AddServerLines(const std::vector<std::string>& lines) {
    for (const std::string& line : lines) script_.push_back({line, absl::OkStatus()});
  }
  // Queues an error for ReadLine() to return at this point of the script.
  void AddReadError(absl::Status status) { script_.push_back({"", std::move(status)}); }
  // What ReadLine() returns once the script is used up.
  void set_exhausted_error(absl::Status status) { exhausted_error_ = std::move(status); }
  // Write() calls from the `index`-th on (0-based) fail with `status`; earlier ones succeed.
  void FailWritesFrom(size_t index, absl::Status status) {
    fail_writes_from_ = index;
    write_error_ = std::move(status);
  }
  // Makes StartTls() fail with `status` instead of switching to TLS.
  void set_start_tls_result(absl::Status status) { start_tls_result_ = std::move(status); }
  // Starts the connection as TLS, as a Connector with implicit TLS would hand it over.
  void set_tls(bool tls) { tls_ = tls; }

  // --- Observations ---

  const std::vector<WriteRecord>& writes() const { return writes_; }
  // Everything written, concatenated.
  std::string written() const {
    std::string out;
    for (const WriteRecord& w : writes_) out += w.data;
    return out;
  }
  // Everything written, split into CRLF-terminated lines (terminators removed).
  std::vector<std::string> written_lines() const {
    std::string all = written();
    if (absl::EndsWith(all, "\r\n")) all.resize(all.size() - 2);
    if (all.empty()) return {};
    return absl::StrSplit(all, "\r\n");
  }
  // The timeout of every ReadLine() call, in order.
  const std::vector<absl::Duration>& read_timeouts() const { return read_timeouts_; }
  int start_tls_calls() const { return start_tls_calls_; }
  const smtp::TlsOptions& last_tls_options() const { return last_tls_options_; }
  absl::Duration last_start_tls_timeout() const { return last_start_tls_timeout_; }
  // Script events not yet consumed.
  size_t unread() const { return script_.size(); }

  // --- Connection ---

  absl::Status Write(absl::string_view data, absl::Duration timeout) override {
    if (writes_attempted_++ >= fail_writes_from_) return write_error_;
    writes_.push_back({std::string(data), timeout, tls_});
    return absl::OkStatus();
  }

  absl::StatusOr<std::string> ReadLine(absl::Duration timeout) override {
    read_timeouts_.push_back(timeout);
    if (script_.empty()) return exhausted_error_;
    Event e = std::move(script_.front());
    script_.pop_front();
    if (!e.error.ok()) return e.error;
    return e.line;
  }

  absl::Status StartTls(const smtp::TlsOptions& tls, absl::Duration timeout) override {
    ++start_tls_calls_;
    last_tls_options_ = tls;
    last_start_tls_timeout_ = timeout;
    if (tls_) return absl::FailedPreconditionError("TLS already active");
    if (!start_tls_result_.ok()) return start_tls_result_;
    tls_ = true;
    return absl::OkStatus();
  }

  bool IsTls() const override { return tls_; }
  std::string Describe() const override { return describe_; }

 private:
  struct Event {
    std::string line;
    absl::Status error;
  };

  std::string describe_;
  std::deque<Event> script_;
  absl::Status exhausted_error_ = absl::DeadlineExceededError("fake: read timed out");
  size_t fail_writes_from_ = static_cast<size_t>(-1);
  size_t writes_attempted_ = 0;
  absl::Status write_error_;
  absl::Status start_tls_result_;
  bool tls_ = false;
  std::vector<WriteRecord> writes_;
  std::vector<absl::Duration> read_timeouts_;
  int start_tls_calls_ = 0;
  smtp::TlsOptions last_tls_options_;
  absl::Duration last_start_tls_timeout_;
};

}  // namespace kirim::testing

#endif  // KIRIM_TESTS_SMTP_FAKE_CONNECTION_H_
