// Fault: the relay is down for a while, then comes back on the same port.
//
// A kirimd (role all) delivers to an SMTP peer; the peer is stopped, and messages sent during
// the outage are tried and deferred (connection refused), retried every retry.first_retry_ms,
// until the peer starts again on the same port. Then every message is delivered exactly once
// (nothing reached the relay before), and each message's attempts record the failed connects.
#include <iostream>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "tests/faults/fault_util.h"
#include "tests/harness/kirimd_process.h"
#include "tests/harness/redis_server.h"
#include "tests/harness/smtp_peer.h"

namespace kirim::testing {
namespace {

constexpr int kBefore = 20;  // delivered before the outage
constexpr int kDuring = 30;  // sent while the relay is down
// The outage lasts until kirimd has deferred this many attempts in all (about 3 per message).
constexpr int kDeferralsInOutage = 3 * kDuring;

TEST(RelayOutageTest, MessagesSentWhileTheRelayIsDownAreDeliveredOnceItIsBack) {
  FaultRig rig;
  ASSERT_TRUE(rig.Start({.relay = {.retry_ms = 300, .connect_ms = 1000}}).ok());
  SmtpPeer& peer = rig.peer();
  KirimdProcess& kirimd = rig.kirimd();

  Sender before(kirimd, {.threads = 4, .target = kBefore, .max_calls = kBefore});
  before.Start();
  ASSERT_TRUE(before.WaitForDone(absl::Seconds(60)).ok());
  ASSERT_EQ(before.accepted().size(), static_cast<size_t>(kBefore));
  // Recorded too: no session is mid-transaction when the relay goes away.
  ASSERT_TRUE(AwaitAllDelivered(before.accepted(), peer, kirimd, kirimd, absl::Seconds(60),
                                absl::Seconds(30))
                  .ok());

  ASSERT_EQ(peer.Stop(), 0);
  const size_t outage_from = kirimd.process().LineCount();
  Sender during(kirimd, {.threads = 4, .target = kDuring, .max_calls = kDuring});
  during.Start();
  ASSERT_TRUE(during.WaitForDone(absl::Seconds(60)).ok());
  ASSERT_EQ(during.accepted().size(), static_cast<size_t>(kDuring));  // the API is unaffected
  // "A while": until every message was deferred, several times over.
  std::set<std::string> deferred_ids;
  int deferrals = 0;
  absl::StatusOr<std::string> enough = kirimd.process().WaitForLine(
      [&](const std::string& l) {
        if (!IsLogEvent(l, "deferred")) return false;
        ++deferrals;
        if (std::string id = LoggedMessageId(l); !id.empty()) deferred_ids.insert(id);
        return deferrals >= kDeferralsInOutage && deferred_ids.size() >= kDuring;
      },
      absl::Seconds(90), outage_from);
  ASSERT_TRUE(enough.ok()) << deferrals << " deferrals of " << deferred_ids.size() << " messages";
  EXPECT_EQ(peer.ReceivedIds().size(), static_cast<size_t>(kBefore));

  ASSERT_TRUE(peer.Restart().ok());
  std::map<std::string, std::string> accepted = before.accepted();
  for (const auto& [id, header] : during.accepted()) accepted[id] = header;
  absl::Status all = AwaitAllDelivered(accepted, peer, kirimd, kirimd, absl::Seconds(90));
  ASSERT_TRUE(all.ok()) << all;

  // Each message sent during the outage shows its failed connects, then the delivery.
  int failed_attempts = 0, most_attempts = 0;
  std::string example;
  for (const auto& [id, header] : during.accepted()) {
    absl::StatusOr<v1::Message> m = kirimd.GetMessage(id);
    ASSERT_TRUE(m.ok()) << m.status();
    ASSERT_GE(m->attempts_size(), 2) << id;
    most_attempts = std::max(most_attempts, m->attempts_size());
    for (int i = 0; i + 1 < m->attempts_size(); ++i) {
      const v1::Attempt& a = m->attempts(i);
      const std::string what = absl::StrCat(a.error(), " ", a.reply().text());
      EXPECT_TRUE(absl::StrContains(what, "connect") || absl::StrContains(what, "refused"))
          << id << " attempt " << i << ": " << what;
      ++failed_attempts;
      if (example.empty()) example = what;
    }
    EXPECT_EQ(m->attempts(m->attempts_size() - 1).reply().code(), 250) << id;
  }

  const Tally tally = Count(accepted, peer.ReceivedIds());
  std::cout << "relay_outage: " << failed_attempts << " failed attempts recorded for " << kDuring
            << " messages (at most " << most_attempts << " attempts for one), e.g. \"" << example
            << "\"; " << tally << "\n";
  // Nothing lost, and nothing reached the relay while it was down: exactly once.
  EXPECT_TRUE(WithinBounds(tally));
}

}  // namespace
}  // namespace kirim::testing
