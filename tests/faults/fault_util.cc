#include "tests/faults/fault_util.h"

#include <algorithm>
#include <memory>
#include <ostream>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "server/common/status_macros.h"

namespace kirim::testing {

Sender::Sender(KirimdProcess& api, SenderOptions options)
    : api_(api), options_(std::move(options)) {}

void Sender::Start() {
  {
    absl::MutexLock lock(&mu_);
    running_ = options_.threads;
  }
  for (int i = 0; i < options_.threads; ++i) threads_.emplace_back([this, i] { Run(i); });
}

void Sender::Stop() {
  if (!stop_.HasBeenNotified()) stop_.Notify();
  for (std::thread& t : threads_) {
    if (t.joinable()) t.join();
  }
  threads_.clear();
}

void Sender::Run(int thread) {
  auto stub = api_.MailStub();
  const int max_calls = options_.max_calls > 0 ? options_.max_calls : 4 * options_.target;
  const std::string body =
      options_.body_bytes > 5 ? std::string(static_cast<size_t>(options_.body_bytes), 'x') : "hello";
  while (!stop_.HasBeenNotified()) {
    {
      absl::MutexLock lock(&mu_);
      if (static_cast<int>(accepted_.size()) >= options_.target) break;
    }
    const int n = calls_.fetch_add(1);
    if (n >= max_calls) break;
    v1::SendEmailRequest r;
    r.set_from("shop@example.com");
    r.add_to(absl::StrCat("rcpt", n, "@example.net"));
    r.set_subject(absl::StrCat("fault test ", n));
    r.set_text_body(body);
    grpc::ClientContext ctx;
    api_.Authorize(&ctx);
    SetDeadline(&ctx, options_.deadline);
    v1::SendEmailResponse resp;
    grpc::Status s = stub->SendEmail(&ctx, r, &resp);
    if (s.ok()) {
      absl::MutexLock lock(&mu_);
      accepted_[resp.id()] = resp.message_id_header();
      continue;
    }
    {
      absl::MutexLock lock(&mu_);
      failures_.push_back({s.error_code(), s.error_message(), absl::Now()});
    }
    stop_.WaitForNotificationWithTimeout(options_.backoff_after_error);
  }
  absl::MutexLock lock(&mu_);
  --running_;
}

absl::Status Sender::WaitForAccepted(int n, absl::Duration timeout) {
  absl::MutexLock lock(&mu_);
  auto enough = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return static_cast<int>(accepted_.size()) >= n || running_ == 0;
  };
  mu_.AwaitWithTimeout(absl::Condition(&enough), timeout);
  if (static_cast<int>(accepted_.size()) >= n) return absl::OkStatus();
  return absl::DeadlineExceededError(absl::StrCat("only ", accepted_.size(), " of ", n,
                                                  " calls accepted; ", failures_.size(),
                                                  " failed",
                                                  failures_.empty()
                                                      ? std::string()
                                                      : ", last: " + failures_.back().message));
}

absl::Status Sender::WaitForFailures(grpc::StatusCode code, int n, absl::Duration timeout) {
  absl::MutexLock lock(&mu_);
  auto count = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return static_cast<int>(std::count_if(failures_.begin(), failures_.end(),
                                          [&](const SendFailure& f) { return f.code == code; }));
  };
  auto enough = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return count() >= n || running_ == 0;
  };
  mu_.AwaitWithTimeout(absl::Condition(&enough), timeout);
  if (count() >= n) return absl::OkStatus();
  return absl::DeadlineExceededError(
      absl::StrCat("only ", count(), " of ", n, " calls failed with code ", code));
}

absl::Status Sender::WaitForDone(absl::Duration timeout) {
  absl::MutexLock lock(&mu_);
  auto done = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return running_ == 0; };
  if (!mu_.AwaitWithTimeout(absl::Condition(&done), timeout)) {
    return absl::DeadlineExceededError(absl::StrCat("still sending: ", accepted_.size(),
                                                    " accepted of ", options_.target));
  }
  return absl::OkStatus();
}

std::map<std::string, std::string> Sender::accepted() {
  absl::MutexLock lock(&mu_);
  return accepted_;
}

std::set<std::string> Sender::AcceptedHeaders() {
  absl::MutexLock lock(&mu_);
  std::set<std::string> out;
  for (const auto& [id, header] : accepted_) out.insert(header);
  return out;
}

std::vector<SendFailure> Sender::failures() {
  absl::MutexLock lock(&mu_);
  return failures_;
}

Tally Count(const std::map<std::string, std::string>& accepted,
            const std::map<std::string, int>& received) {
  Tally t;
  t.accepted = static_cast<int>(accepted.size());
  std::set<std::string> headers;
  for (const auto& [id, header] : accepted) {
    headers.insert(header);
    auto it = received.find(header);
    if (it == received.end()) {
      if (t.lost++ == 0) t.first_lost = id;
      continue;
    }
    t.duplicates += it->second - 1;
    t.duplicated_messages += it->second > 1;
  }
  for (const auto& [header, n] : received) {
    if (!headers.count(header) && t.ghosts++ == 0) t.first_ghost = header;
  }
  return t;
}

std::ostream& operator<<(std::ostream& out, const Tally& t) {
  out << t.accepted << " accepted, " << t.lost << " lost";
  if (t.lost > 0) out << " (e.g. " << t.first_lost << ")";
  out << ", " << t.duplicates << " duplicate receptions of " << t.duplicated_messages
      << " messages, " << t.ghosts << " received but never accepted";
  if (t.ghosts > 0) out << " (e.g. " << t.first_ghost << ")";
  return out;
}

::testing::AssertionResult WithinBounds(const Tally& t, TallyBounds bounds) {
  std::string broken;
  if (t.lost != 0) absl::StrAppend(&broken, "lost ", t.lost, " (must be 0); ");
  if (t.duplicates > bounds.max_duplicates) {
    absl::StrAppend(&broken, "duplicates ", t.duplicates, " > ", bounds.max_duplicates, "; ");
  }
  if (t.ghosts > bounds.max_ghosts) {
    absl::StrAppend(&broken, "ghosts ", t.ghosts, " > ", bounds.max_ghosts, "; ");
  }
  if (broken.empty()) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << broken << t;
}

int LeaseFor(const RelayConfigOptions& o) {
  // config.cc: connect + greeting + 2 * ehlo + starttls + auth + mail + rcpt + data + data_end.
  const int64_t longest = int64_t{o.connect_ms} + 8 * int64_t{o.phase_timeout_ms} + o.data_end_ms;
  return static_cast<int>(std::max<int64_t>(2000, (longest + 3) / 4));
}

std::string RelayConfig(const RelayConfigOptions& o) {
  const int t = o.phase_timeout_ms;
  return absl::StrCat(
      "redis { port: ", o.redis_port, " health_interval_ms: 100 connect_timeout_ms: 500",
      " command_timeout_ms: 1000 }\n",
      "delivery { mode: RELAY poll_interval_ms: 100 concurrency: ", o.concurrency,
      " lease_timeout_ms: ", LeaseFor(o), " shutdown_grace_ms: 2000\n",
      "  relay { host: \"127.0.0.1\" port: ", o.relay_port, " tls: NONE }\n",
      "  retry { first_retry_ms: ", o.retry_ms, " factor: 1 max_delay_ms: ", o.retry_ms,
      " jitter: -1 }\n",
      "  timeouts { connect_ms: ", o.connect_ms, " greeting_ms: ", t, " ehlo_ms: ", t,
      " mail_ms: ", t, " rcpt_ms: ", t, " data_ms: ", t, " data_block_ms: ", t,
      " data_end_ms: ", o.data_end_ms, " starttls_ms: ", t, " auth_ms: ", t, " } }\n",
      // The faults, not the tenant's rate limit, decide what is refused.
      "limits { default_tenant_limits { rate_per_second: 100000 burst: 100000 } }\n", o.extra);
}

absl::Status FaultRig::Start(FaultRigOptions options) {
  redis_ = std::make_unique<RedisServer>(std::move(options.redis));
  KIRIM_RETURN_IF_ERROR(redis_->Start());
  KIRIM_RETURN_IF_ERROR(peer_.Start(options.peer));
  relay_ = std::move(options.relay);
  relay_.redis_port = redis_->port();
  relay_.relay_port = peer_.port();
  return StartKirimd(kirimd_, options.role);
}

absl::Status FaultRig::StartKirimd(KirimdProcess& kirimd, const std::string& role) const {
  RelayConfigOptions o = relay_;
  if (!role.empty()) absl::StrAppend(&o.extra, "role: \"", role, "\"\n");
  return kirimd.Start(RelayConfig(o));
}

absl::Status WaitForFlowing(Sender& sender, int accepted, SmtpPeer& peer) {
  KIRIM_RETURN_IF_ERROR(sender.WaitForAccepted(accepted, absl::Seconds(60)));
  return peer.process()
      .WaitForLine([](const std::string& l) { return absl::StartsWith(l, "ID "); },
                   absl::Seconds(60))
      .status();
}

std::vector<std::string> ChangedKeys(const std::map<std::string, std::string>& before,
                                     const std::map<std::string, std::string>& after) {
  std::vector<std::string> changed;
  for (const auto& [key, value] : before) {
    auto it = after.find(key);
    if (it == after.end()) changed.push_back("-" + key);
    else if (it->second != value) changed.push_back("~" + key);
  }
  for (const auto& [key, value] : after) {
    if (!before.count(key)) changed.push_back("+" + key);
  }
  return changed;
}

absl::Status AwaitDelivered(KirimdProcess& api, const std::vector<std::string>& ids,
                            Subprocess& log, absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  std::set<std::string> pending(ids.begin(), ids.end());
  auto stub = api.MailStub();
  std::string last_state;
  while (true) {
    const size_t from = log.LineCount();
    for (auto it = pending.begin(); it != pending.end();) {
      grpc::ClientContext ctx;
      api.Authorize(&ctx);
      v1::GetMessageRequest req;
      req.set_name("messages/" + *it);
      v1::Message m;
      grpc::Status s = stub->GetMessage(&ctx, req, &m);
      if (!s.ok()) {
        return absl::InternalError(absl::StrCat("GetMessage ", *it, ": ", s.error_message()));
      }
      if (m.state() == v1::DELIVERED) {
        it = pending.erase(it);
      } else {
        last_state = absl::StrCat(*it, " is ", v1::MessageState_Name(m.state()));
        ++it;
      }
    }
    if (pending.empty()) return absl::OkStatus();
    if (absl::Now() >= deadline) {
      return absl::DeadlineExceededError(
          absl::StrCat(pending.size(), " messages not DELIVERED, e.g. ", last_state));
    }
    // Wake on the next delivery the worker logs (or at the deadline), then look again.
    log.WaitForLine([](const std::string& l) { return IsLogEvent(l, "delivered"); },
                    deadline - absl::Now(), from)
        .IgnoreError();
  }
}

absl::Status AwaitAllDelivered(const std::map<std::string, std::string>& accepted, SmtpPeer& peer,
                               KirimdProcess& api, KirimdProcess& worker,
                               absl::Duration receive_timeout, absl::Duration record_timeout) {
  std::set<std::string> headers;
  for (const auto& [id, header] : accepted) headers.insert(header);
  KIRIM_RETURN_IF_ERROR(peer.WaitForIds(headers, receive_timeout));
  return AwaitDelivered(api, Keys(accepted), worker.process(), record_timeout);
}

bool IsLogEvent(absl::string_view line, absl::string_view event) {
  return absl::StrContains(line, absl::StrCat("\"event\":\"", event, "\""));
}

std::string LoggedMessageId(absl::string_view line) {
  constexpr absl::string_view kField = "\"message_id\":\"";
  const size_t at = line.find(kField);
  if (at == absl::string_view::npos) return "";
  const size_t from = at + kField.size();
  return std::string(line.substr(from, line.find('"', from) - from));
}

}  // namespace kirim::testing
