// FakeDeliverer: a scripted Deliverer. Each Deliver call records the envelope and content and
// answers with the next scripted reply per recipient (by address), or 250 by default.
#ifndef KIRIM_TESTS_DELIVERY_FAKE_DELIVERER_H_
#define KIRIM_TESTS_DELIVERY_FAKE_DELIVERER_H_

#include <deque>
#include <map>
#include <string>
#include <vector>

#include "absl/strings/str_split.h"
#include "server/delivery/deliverer.h"

namespace kirim::testing {

// "550 5.1.1 No such user" -> Reply.
inline smtp::Reply MakeReply(absl::string_view text) {
  smtp::Reply r;
  std::vector<std::string> parts = absl::StrSplit(text, absl::MaxSplits(' ', 2));
  r.code = std::stoi(parts[0]);
  if (parts.size() > 1) r.enhanced_code = parts[1];
  if (parts.size() > 2) r.lines = {parts[2]};
  return r;
}

class FakeDeliverer final : public Deliverer {
 public:
  struct Call {
    smtp::Envelope envelope;
    std::string content;
    std::string message_id;
  };

  // The next attempt answers `reply` for `address` (FIFO per address).
  void Script(const std::string& address, absl::string_view reply) {
    scripts_[address].push_back(MakeReply(reply));
  }
  // The next attempt fails as a whole with a local error (no reply), e.g. connection refused.
  void FailNextWith(std::string error) { errors_.push_back(std::move(error)); }

  DeliveryReport Deliver(const smtp::Envelope& envelope, absl::string_view content,
                         absl::string_view message_id) override {
    calls_.push_back({envelope, std::string(content), std::string(message_id)});
    DeliveryReport report;
    report.remote = "fake:25";
    if (!errors_.empty()) {
      report.error = errors_.front();
      report.failed_phase = "connect";
      errors_.pop_front();
      for (const auto& a : envelope.rcpt_to) {
        report.recipients.push_back({a, smtp::Reply{}, smtp::ReplyClass::kTransient});
      }
      return report;
    }
    for (const auto& a : envelope.rcpt_to) {
      smtp::Reply reply = MakeReply("250 2.0.0 Ok: queued");
      if (auto it = scripts_.find(a); it != scripts_.end() && !it->second.empty()) {
        reply = it->second.front();
        it->second.pop_front();
      }
      report.recipients.push_back({a, reply, smtp::Classify(reply)});
      report.reply = reply;
    }
    return report;
  }
  std::string Describe() const override { return "fake"; }

  const std::vector<Call>& calls() const { return calls_; }

 private:
  std::map<std::string, std::deque<smtp::Reply>> scripts_;
  std::deque<std::string> errors_;
  std::vector<Call> calls_;
};

}  // namespace kirim::testing

#endif  // KIRIM_TESTS_DELIVERY_FAKE_DELIVERER_H_
