// SessionPool against fakes of its seams (a scripted smtp::Connector, the in-memory shaper, a
// fake clock): reuse of an open session for the next message to the same place, and how often
// a reused session renews its connection slot (once half its lease has passed, not with every
// message: a Renew is a Redis round trip and a script run).
#include "server/delivery/session_pool.h"

#include <memory>
#include <string>
#include <utility>

#include "gtest/gtest.h"
#include "server/shaping/destination_policy.h"
#include "tests/common/fake_clock.h"
#include "tests/shaping/fake_destination_shaper.h"
#include "tests/smtp/fake_connection.h"

namespace kirim {
namespace {

using ::kirim::testing::FakeClock;
using ::kirim::testing::FakeConnection;
using ::kirim::testing::FakeDestinationShaper;

// Hands out connections to a server that greets, answers EHLO and then every RSET.
class ScriptedConnector final : public smtp::Connector {
 public:
  absl::StatusOr<std::unique_ptr<smtp::Connection>> Connect(const std::string&, int,
                                                            absl::Duration,
                                                            const smtp::TlsOptions*) override {
    ++connects_;
    auto conn = std::make_unique<FakeConnection>();
    conn->AddServerLines({"220 mx.test ESMTP", "250 mx.test"});
    for (int i = 0; i < 100; ++i) conn->AddServerLines({"250 2.0.0 Ok"});
    return std::unique_ptr<smtp::Connection>(std::move(conn));
  }
  int connects() const { return connects_; }

 private:
  int connects_ = 0;
};

// The in-memory shaper, counting renewals.
class CountingShaper final : public DestinationShaper {
 public:
  CountingShaper(const Clock& clock, const DestinationPolicy& policy) : fake_(clock, policy) {}
  absl::StatusOr<ShapingDecision> AcquireConnection(const std::string& d) override {
    return fake_.AcquireConnection(d);
  }
  absl::StatusOr<ShapingDecision> AcquireMessage(const std::string& d) override {
    return fake_.AcquireMessage(d);
  }
  absl::Status Renew(Permit& permit) override {
    ++renewals_;
    return fake_.Renew(permit);
  }
  absl::Status Release(const Permit& permit) override { return fake_.Release(permit); }
  absl::Status ReportThrottle(const std::string& d, absl::string_view reply) override {
    return fake_.ReportThrottle(d, reply);
  }
  absl::StatusOr<std::pair<DestinationLimits, int>> State(const std::string& d) override {
    return fake_.State(d);
  }
  int renewals() const { return renewals_; }

 private:
  FakeDestinationShaper fake_;
  int renewals_ = 0;
};

class SessionPoolTest : public ::testing::Test {
 protected:
  SessionPoolTest()
      : policy_(DestinationLimits{.max_connections = 2}),
        shaper_(clock_, policy_),
        pool_(connector_, clock_,
              SessionPoolOptions{.idle_timeout = absl::Hours(1), .max_messages = 1000}, &shaper_,
              &policy_) {}

  std::unique_ptr<PooledSession> Acquire() {
    smtp::ClientOptions client;
    client.helo_name = "kirim.test";
    client.tls = smtp::TlsMode::kNone;
    smtp::TransactionResult failure;
    auto session = pool_.Acquire(Target{.host = "mx.example.net", .address = "127.0.0.1",
                                        .tls = smtp::TlsMode::kNone},
                                 client, "example.net", &failure);
    EXPECT_NE(session, nullptr) << failure.failed_phase << " " << failure.local_error;
    return session;
  }
  int SlotsInUse(const std::string& destination) {
    absl::StatusOr<std::pair<DestinationLimits, int>> state = shaper_.State(destination);
    EXPECT_TRUE(state.ok()) << state.status();
    return state.ok() ? state->second : -1;
  }

  FakeClock clock_;
  DestinationPolicy policy_;
  CountingShaper shaper_;
  ScriptedConnector connector_;
  SessionPool pool_;
};

TEST_F(SessionPoolTest, AReusedSessionRenewsItsSlotOnlyAfterHalfTheLease) {
  std::unique_ptr<PooledSession> s = Acquire();
  ASSERT_NE(s, nullptr);
  EXPECT_FALSE(s->reused);
  const absl::Time first_expiry = s->permit->expires;
  pool_.Release(std::move(s));

  // Messages a minute apart for the first half of the 10-minute lease: the same session and
  // slot, no renewal.
  for (int i = 0; i < 4; ++i) {
    clock_.Advance(absl::Minutes(1));
    s = Acquire();
    ASSERT_NE(s, nullptr);
    EXPECT_TRUE(s->reused);
    pool_.Release(std::move(s));
  }
  EXPECT_EQ(shaper_.renewals(), 0);

  clock_.Advance(absl::Minutes(1));  // 5 minutes in: halfway
  s = Acquire();
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(shaper_.renewals(), 2);  // the domain's slot and the MX host's
  EXPECT_EQ(s->permit->expires, clock_.Now() + absl::Minutes(10));
  EXPECT_GT(s->permit->expires, first_expiry);
  pool_.Release(std::move(s));

  // Long after the first lease would have ended, the slot is still held: one session, one slot.
  for (int i = 0; i < 10; ++i) {
    clock_.Advance(absl::Minutes(1));
    s = Acquire();
    ASSERT_NE(s, nullptr);
    pool_.Release(std::move(s));
  }
  EXPECT_EQ(shaper_.renewals(), 6);  // both slots, at 5, 10 and 15 minutes
  EXPECT_EQ(connector_.connects(), 1);
  EXPECT_EQ(SlotsInUse("example.net"), 1);
  EXPECT_EQ(SlotsInUse("mx:mx.example.net"), 1);
}

}  // namespace
}  // namespace kirim
