// Fault: the network between kirimd and its peers drops or resets packets.
//
// The test binary moves itself into a network namespace of its own before anything else runs
// (main() below: unshare(CLONE_NEWNET), then loopback up), so Redis, the SMTP peer and kirimd,
// its children, live there, and the nftables rules it adds exist only there: the host's
// network is never touched. (tc netem is not available on this kernel; nft is.)
//
// Relay path, one phase after the other, with messages sent in each:
//   1. packets to the relay port dropped: connects time out, messages are deferred;
//   2. rejected with a TCP reset: connects are refused at once, messages are deferred;
//   3. rules removed: everything is delivered, exactly once (no transaction ever got as far as
//      DATA while the network was broken).
// Redis path: packets to Redis dropped while SendEmail calls are in flight: kirimd reports
// NOT_SERVING and SendEmail fails with UNAVAILABLE; once the rule is removed kirimd is SERVING
// again by itself and every accepted message is delivered.
//
// Without the capability (not root, or no nftables), the test is skipped and says which.
#include <errno.h>
#include <net/if.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>
#include <iostream>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "gtest/gtest.h"
#include "tests/e2e/e2e_util.h"
#include "tests/faults/fault_util.h"
#include "tests/harness/kirimd_process.h"
#include "tests/harness/redis_server.h"
#include "tests/harness/smtp_peer.h"
#include "tests/harness/subprocess.h"

namespace kirim::testing {
namespace {

using grpc::health::v1::HealthCheckResponse;

constexpr char kNft[] = "/usr/sbin/nft";
constexpr int kConcurrency = 4;
constexpr int kThreads = 4;

// Why the test cannot run here; empty once main() moved the process into its own network
// namespace with loopback up. Written once, before any thread exists.
std::string& NamespaceProblem() {
  static std::string* problem = new std::string("main() did not set up a namespace");
  return *problem;
}

std::string EnterPrivateNetworkNamespace() {
  if (access(kNft, X_OK) != 0) {
    return absl::StrCat(kNft, " is missing: install Debian's nftables (script/bootstrap does)");
  }
  if (unshare(CLONE_NEWNET) != 0) {
    return absl::StrCat("unshare(CLONE_NEWNET) failed: ", std::strerror(errno),
                        " (needs CAP_SYS_ADMIN, e.g. root)");
  }
  // A new namespace has only "lo", and it is down.
  const int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return absl::StrCat("socket: ", std::strerror(errno));
  ifreq ifr{};
  std::strncpy(ifr.ifr_name, "lo", IFNAMSIZ - 1);
  std::string problem;
  if (ioctl(fd, SIOCGIFFLAGS, &ifr) != 0) {
    problem = absl::StrCat("SIOCGIFFLAGS lo: ", std::strerror(errno));
  } else {
    ifr.ifr_flags |= IFF_UP;
    if (ioctl(fd, SIOCSIFFLAGS, &ifr) != 0) {
      problem = absl::StrCat("cannot bring lo up: ", std::strerror(errno));
    }
  }
  close(fd);
  return problem;
}

// Runs `nft <command>` (in this process's namespace, inherited by the child).
absl::Status Nft(const std::string& command) {
  Subprocess nft;
  absl::Status started = nft.Start({kNft, command});
  if (!started.ok()) return started;
  const int status = nft.Wait(absl::Seconds(30));
  if (ExitCode(status) != 0) {
    return absl::InternalError(absl::StrCat("nft ", command, ": exit ", ExitCode(status), ": ",
                                            absl::StrJoin(nft.Lines(), " / ")));
  }
  return absl::OkStatus();
}

// The deferred log lines since `from` (a kirimd log line count) whose reply/error contains
// `what`, counted until `n` distinct messages were deferred that way.
absl::Status WaitForDeferrals(KirimdProcess& kirimd, size_t from, const std::string& what,
                              const std::map<std::string, std::string>& expected, int* seen) {
  const int n = static_cast<int>(expected.size());
  std::set<std::string> ids;
  absl::StatusOr<std::string> line = kirimd.process().WaitForLine(
      [&](const std::string& l) {
        if (!IsLogEvent(l, "deferred") || !absl::StrContains(l, what)) return false;
        if (std::string id = LoggedMessageId(l); !id.empty()) ids.insert(id);
        return static_cast<int>(ids.size()) >= n;
      },
      absl::Seconds(90), from);
  *seen = static_cast<int>(ids.size());
  if (line.ok()) return absl::OkStatus();
  // What the deferrals said instead, for the failure message.
  std::map<std::string, int> replies;
  const std::vector<std::string> lines = kirimd.process().Lines();
  for (size_t i = from; i < lines.size(); ++i) {
    const size_t at = lines[i].find("\"reply\":\"");
    if (!IsLogEvent(lines[i], "deferred") || at == std::string::npos) continue;
    std::string reply = lines[i].substr(at + 9, lines[i].find('"', at + 9) - at - 9);
    // Without the port and host, so equal causes count together.
    ++replies[reply.substr(reply.find(": ") == std::string::npos ? 0 : reply.find(": ") + 2)];
  }
  std::string summary;
  for (const auto& [reply, count] : replies) absl::StrAppend(&summary, count, " x \"", reply, "\"; ");
  // And where each message that was not deferred that way stands: its last log line.
  std::string missing;
  for (const auto& [id, header] : expected) {
    if (ids.count(id) != 0) continue;
    std::string last = "(no log line)";
    for (const std::string& l : lines) {
      if (LoggedMessageId(l) == id) last = l;
    }
    absl::StrAppend(&missing, "\n  ", id, ": ", last);
  }
  return absl::DeadlineExceededError(absl::StrCat(ids.size(), " of ", n, " messages deferred with \"",
                                                  what, "\"; deferrals since: ", summary,
                                                  "; the others:", missing));
}

class NetworkFaultTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!NamespaceProblem().empty()) GTEST_SKIP() << NamespaceProblem();
    ASSERT_TRUE(Nft("add table inet kirim_faults").ok());
    ASSERT_TRUE(
        Nft("add chain inet kirim_faults out { type filter hook output priority 0 ; }").ok());
    ASSERT_TRUE(rig_.Start({.relay = {.concurrency = kConcurrency,
                                      .retry_ms = 300,
                                      .phase_timeout_ms = 2000,
                                      .data_end_ms = 4000,
                                      .connect_ms = 1000}})
                    .ok());
  }

  void TearDown() override {
    if (NamespaceProblem().empty()) Nft("delete table inet kirim_faults").IgnoreError();
  }

  // Sends `n` messages (all must be accepted); returns them.
  std::map<std::string, std::string> SendAll(int n) {
    Sender sender(kirimd(), {.threads = kThreads, .target = n, .max_calls = n});
    sender.Start();
    EXPECT_TRUE(sender.WaitForDone(absl::Seconds(60)).ok());
    std::map<std::string, std::string> accepted = sender.accepted();
    EXPECT_EQ(accepted.size(), static_cast<size_t>(n));
    return accepted;
  }

  // Waits until every message in `accepted` was received and recorded DELIVERED.
  void ExpectAllDelivered(const std::map<std::string, std::string>& accepted) {
    absl::Status all = AwaitAllDelivered(accepted, peer(), kirimd(), kirimd());
    ASSERT_TRUE(all.ok()) << all;
  }

  SmtpPeer& peer() { return rig_.peer(); }
  KirimdProcess& kirimd() { return rig_.kirimd(); }

  FaultRig rig_;
};

TEST_F(NetworkFaultTest, RelayPacketsDroppedThenResetAreDeferredAndDeliveredOnceTheyPass) {
  // Sessions open and pooled before the fault.
  std::map<std::string, std::string> accepted = SendAll(10);
  ASSERT_NO_FATAL_FAILURE(ExpectAllDelivered(accepted));
  const std::string port = std::to_string(peer().port());

  // 1. Dropped: no answer at all, connects (and pooled sessions) time out.
  size_t from = kirimd().process().LineCount();
  ASSERT_TRUE(Nft(absl::StrCat("add rule inet kirim_faults out tcp dport ", port, " drop")).ok());
  std::map<std::string, std::string> dropped = SendAll(20);
  int timed_out = 0;
  absl::Status s = WaitForDeferrals(kirimd(), from, "timed out", dropped, &timed_out);
  ASSERT_TRUE(s.ok()) << s << ": " << timed_out << " messages deferred with a timeout";

  // 2. Reset: refused at once.
  from = kirimd().process().LineCount();
  // One nft transaction: between a flush and a new rule, a retry due then would get through
  // (and did, under load) and never see the reset.
  ASSERT_TRUE(Nft(absl::StrCat("flush chain inet kirim_faults out; add rule inet kirim_faults out ",
                               "tcp dport ", port, " reject with tcp reset"))
                  .ok());
  std::map<std::string, std::string> reset = SendAll(20);
  int refused = 0;
  // Every message waiting by now: the 20 from phase 1 and the 20 new ones.
  std::map<std::string, std::string> waiting = dropped;
  waiting.insert(reset.begin(), reset.end());
  s = WaitForDeferrals(kirimd(), from, "refused", waiting, &refused);
  ASSERT_TRUE(s.ok()) << s << ": " << refused << " messages deferred with a refused connect";
  EXPECT_EQ(peer().ReceivedIds().size(), accepted.size());

  // 3. The network heals: everything goes through.
  ASSERT_TRUE(Nft("flush chain inet kirim_faults out").ok());
  for (const auto& m : {dropped, reset}) accepted.insert(m.begin(), m.end());
  ASSERT_NO_FATAL_FAILURE(ExpectAllDelivered(accepted));
  int most_attempts = 0;
  for (const auto& [id, header] : dropped) {
    absl::StatusOr<v1::Message> m = kirimd().GetMessage(id);
    ASSERT_TRUE(m.ok()) << m.status();
    most_attempts = std::max(most_attempts, m->attempts_size());
    EXPECT_GE(m->attempts_size(), 3) << id << ": a timeout, a reset, then the delivery";
  }
  const Tally tally = Count(accepted, peer().ReceivedIds());
  std::cout << "network_fault (relay): " << timed_out << " messages deferred by timeouts while "
            << "dropped, " << refused << " by resets; up to " << most_attempts
            << " attempts for one; " << tally << "\n";
  EXPECT_TRUE(WithinBounds(tally));  // exactly once
}

TEST_F(NetworkFaultTest, RedisPacketsDroppedMakeKirimdUnavailableUntilTheyPassAgain) {
  auto health = kirimd().HealthStub();
  Sender sender(kirimd(), {.threads = kThreads, .target = 300, .max_calls = 3000});
  sender.Start();
  ASSERT_TRUE(WaitForFlowing(sender, 50, peer()).ok());

  const size_t failures_before = sender.failures().size();
  ASSERT_TRUE(Nft(absl::StrCat("add rule inet kirim_faults out tcp dport ", rig_.redis().port(),
                               " drop"))
                  .ok());
  const absl::Time cut = absl::Now();
  ASSERT_TRUE(WaitForHealth(*health, "", HealthCheckResponse::NOT_SERVING));
  ASSERT_TRUE(sender.WaitForFailures(grpc::StatusCode::UNAVAILABLE, 5, absl::Seconds(60)).ok());
  ASSERT_TRUE(Nft("flush chain inet kirim_faults out").ok());
  const absl::Time healed = absl::Now();
  ASSERT_TRUE(WaitForHealth(*health, "", HealthCheckResponse::SERVING));

  ASSERT_TRUE(sender.WaitForDone(absl::Seconds(120)).ok());
  const std::map<std::string, std::string> accepted = sender.accepted();
  ASSERT_GE(accepted.size(), 300u);
  const std::vector<SendFailure> failures = sender.failures();
  EXPECT_EQ(failures_before, 0u);
  for (const SendFailure& f : failures) {
    EXPECT_EQ(f.code, grpc::StatusCode::UNAVAILABLE) << f.message;
  }
  ASSERT_NO_FATAL_FAILURE(ExpectAllDelivered(accepted));
  const Tally tally = Count(accepted, peer().ReceivedIds());
  std::cout << "network_fault (redis): Redis unreachable for " << absl::FormatDuration(healed - cut)
            << ", " << failures.size() << " calls refused with UNAVAILABLE; " << tally << "\n";
  // Nothing lost. A delivery whose outcome could not be recorded is sent again after its lease:
  // at most one per delivery thread.
  EXPECT_TRUE(WithinBounds(tally, {.max_duplicates = kConcurrency}));
}

}  // namespace
}  // namespace kirim::testing

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  // Before any thread exists (gRPC, the harness's readers): the whole process, and every child
  // it starts, then lives in the new namespace.
  kirim::testing::NamespaceProblem() = kirim::testing::EnterPrivateNetworkNamespace();
  return RUN_ALL_TESTS();
}
