// Fault: a delivery worker is killed with SIGKILL in the middle of a run of 5,000 messages.
//
// One api-role kirimd and two worker-role kirimd share one Redis; 5,000 SendEmail calls are in
// flight from 8 threads while the workers deliver to an SMTP peer. Once the first worker has
// delivered some, it is killed (no chance to record anything or give its leases back). The
// other worker reclaims the killed one's leases when they expire (delivery.lease_timeout_ms)
// and delivers them. Counted by Message-ID at the peer: none lost, nothing received that was not
// accepted, and duplicates no more than the killed worker had in flight (delivery.concurrency:
// each delivery thread holds one lease at a time). docs/faults.md has the figures.
#include <iostream>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "tests/e2e/e2e_util.h"
#include "tests/faults/fault_util.h"
#include "tests/harness/kirimd_process.h"
#include "tests/harness/redis_server.h"
#include "tests/harness/smtp_peer.h"

namespace kirim::testing {
namespace {

constexpr int kMessages = 5000;
constexpr int kConcurrency = 4;  // per worker: the killed worker's in-flight maximum

TEST(WorkerKillTest, KillingAWorkerMidRunLosesNothingAndDuplicatesAtMostItsInFlight) {
  FaultRig rig;
  ASSERT_TRUE(rig.Start({.relay = {.concurrency = kConcurrency,
                                   .phase_timeout_ms = 4000,
                                   .data_end_ms = 8000},
                         .role = "api"})
                  .ok());
  KirimdProcess& api = rig.kirimd();
  KirimdProcess killed, survivor;
  ASSERT_TRUE(rig.StartKirimd(killed, "worker").ok());
  ASSERT_TRUE(rig.StartKirimd(survivor, "worker").ok());

  Sender sender(api, {.threads = 8, .target = kMessages, .max_calls = kMessages});
  sender.Start();

  // Kill the first worker once it has delivered some, while the API is still accepting.
  int delivered_before_kill = 0;
  ASSERT_TRUE(killed.process()
                  .WaitForLine(
                      [&](const std::string& l) {
                        return IsLogEvent(l, "delivered") && ++delivered_before_kill >= 200;
                      },
                      absl::Seconds(120))
                  .ok())
      << "the first worker delivered only " << delivered_before_kill;
  const int accepted_at_kill = static_cast<int>(sender.accepted().size());
  killed.Kill();
  delivered_before_kill = 0;
  for (const std::string& l : killed.process().Lines()) {
    delivered_before_kill += IsLogEvent(l, "delivered");
  }

  ASSERT_TRUE(sender.WaitForDone(absl::Seconds(150)).ok());
  const std::map<std::string, std::string> accepted = sender.accepted();
  ASSERT_EQ(accepted.size(), static_cast<size_t>(kMessages))
      << sender.failures().size() << " calls failed, e.g. "
      << (sender.failures().empty() ? "" : sender.failures()[0].message);

  // Every accepted message arrives (the killed worker's leases once they expire) and is
  // recorded DELIVERED, so no lease is left and nothing more will be sent.
  absl::Status all = AwaitAllDelivered(accepted, rig.peer(), api, survivor, absl::Seconds(150));
  ASSERT_TRUE(all.ok()) << all;
  auto r = rig.redis().Client();
  for (const char* lane : {"tx", "bulk"}) {
    auto pending = r->Command({"XPENDING", absl::StrCat("kirim:{s0}:ready:", lane), "workers"});
    ASSERT_TRUE(pending.ok());
    ASSERT_FALSE(pending->elements.empty());
    EXPECT_EQ(pending->elements[0].integer, 0) << lane << ": leases left in the group";
  }

  const Tally tally = Count(accepted, rig.peer().ReceivedIds());
  std::cout << "worker_kill: killed a worker after it delivered " << delivered_before_kill
            << " (API had accepted " << accepted_at_kill << "); " << tally << "\n";
  // Nothing lost or received unaccepted. Only a message whose 250 the killed worker read but had
  // not recorded can come twice, and it holds at most `concurrency` messages at once.
  EXPECT_TRUE(WithinBounds(tally, {.max_duplicates = kConcurrency}));
}

}  // namespace
}  // namespace kirim::testing
