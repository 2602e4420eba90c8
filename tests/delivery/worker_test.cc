// Worker unit tests: fake queue, fake deliverer, simulated time.
#include "server/delivery/worker.h"

#include <cstdio>
#include <map>

#include "gtest/gtest.h"
#include "server/api/mail_api.h"
#include "server/common/proto_time.h"
#include "server/domains/message_signer.h"
#include "tests/common/fake_clock.h"
#include "tests/common/fake_random.h"
#include "tests/delivery/fake_deliverer.h"
#include "tests/limits/fake_send_limiter.h"
#include "tests/queue/fake_message_queue.h"
#include "tests/suppression/fake_suppression_store.h"

namespace kirim {
namespace {

using testing::FakeDeliverer;

// Retries after 5 min doubling to 1 h, expiry after 6 h, no jitter, no blocking poll, due mail
// promoted on every RunOnce.
WorkerOptions TestOptions(const std::string& name) {
  return WorkerOptions{.name = name,
                       .retry = {.first_retry = absl::Minutes(5),
                                 .factor = 2,
                                 .max_delay = absl::Hours(1),
                                 .max_age = absl::Hours(6),
                                 .jitter = 0,
                                 .delay_warning = absl::Hours(4)},
                       .poll_block = absl::ZeroDuration(),
                       .promote_interval = absl::ZeroDuration()};
}

class WorkerTest : public ::testing::Test {
 protected:
  WorkerTest()
      : null_(std::fopen("/dev/null", "w")),
        logger_(clock_, LogLevel::kDebug, null_),
        limiter_(clock_),
        api_(queue_, limiter_, limits_, clock_, random_, logger_, MailApiOptions{}),
        worker_(queue_, deliverer_, clock_, random_, logger_,
                TestOptions("w0"),
                &suppressions_) {}
  ~WorkerTest() override { std::fclose(null_); }

  std::string Send(std::vector<std::string> to) {
    v1::SendEmailRequest r;
    r.set_from("Shop <shop@example.com>");
    for (auto& a : to) r.add_to(a);
    r.set_subject("Hello");
    r.set_text_body("Body");
    auto sent = api_.SendEmail(Principal{"t1"}, r);
    EXPECT_TRUE(sent.ok()) << sent.status();
    return sent.ok() ? sent->id() : "";
  }
  v1::Message Get(const std::string& id) {
    auto rec = queue_.Get("t1", id);
    EXPECT_TRUE(rec.ok() && rec->has_value());
    return (*rec)->message();
  }
  int Run() {
    auto n = worker_.RunOnce();
    EXPECT_TRUE(n.ok()) << n.status();
    return n.ok() ? *n : -1;
  }

  testing::FakeClock clock_;
  testing::FakeRandom random_;
  testing::FakeMessageQueue queue_;
  testing::FakeSuppressionStore suppressions_;
  FakeDeliverer deliverer_;
  FILE* null_;
  Logger logger_;
  testing::FakeSendLimiter limiter_;
  LimitsTable limits_;
  MailApi api_;
  Worker worker_;
};

TEST_F(WorkerTest, DeliversAndRecordsTheRemoteReply) {
  std::string id = Send({"ana@example.net"});
  EXPECT_EQ(Run(), 1);
  ASSERT_EQ(deliverer_.calls().size(), 1u);
  const auto& call = deliverer_.calls()[0];
  EXPECT_EQ(call.envelope.mail_from, "shop@example.com");
  EXPECT_EQ(call.envelope.rcpt_to, std::vector<std::string>{"ana@example.net"});
  EXPECT_NE(call.content.find("Subject: Hello\r\n"), std::string::npos);
  EXPECT_NE(call.content.find("Message-ID: <" + id + "@example.com>\r\n"), std::string::npos);

  v1::Message m = Get(id);
  EXPECT_EQ(m.state(), v1::DELIVERED);
  ASSERT_EQ(m.attempts_size(), 1);
  EXPECT_EQ(m.attempts(0).reply().code(), 250);
  EXPECT_EQ(m.attempts(0).reply().text(), "Ok: queued");
  EXPECT_EQ(m.attempts(0).worker(), "w0");
  EXPECT_EQ(m.recipients(0).state(), v1::RECIPIENT_DELIVERED);
  EXPECT_EQ(queue_.completed(), 1);
  EXPECT_EQ(Run(), 0);  // nothing left
}

TEST_F(WorkerTest, TransientFailureIsDeferredThenRetriedAfterTheDelay) {
  std::string id = Send({"ana@example.net"});
  deliverer_.Script("ana@example.net", "451 4.3.0 Try again later");
  EXPECT_EQ(Run(), 1);
  v1::Message m = Get(id);
  EXPECT_EQ(m.state(), v1::DEFERRED);
  EXPECT_EQ(m.recipients(0).reply().code(), 451);
  EXPECT_EQ(m.recipients(0).reply().enhanced_code(), "4.3.0");
  EXPECT_EQ(m.next_attempt_time().seconds(), absl::ToUnixSeconds(clock_.Now() + absl::Minutes(5)));
  EXPECT_EQ(queue_.scheduled_count(), 1u);  // still queued: nothing lost

  EXPECT_EQ(Run(), 0);  // not due yet
  clock_.Advance(absl::Minutes(5));
  EXPECT_EQ(Run(), 1);
  m = Get(id);
  EXPECT_EQ(m.state(), v1::DELIVERED);
  EXPECT_EQ(m.attempts_size(), 2);
  // Date and Message-ID do not change between attempts.
  const auto& calls = deliverer_.calls();
  auto header = [](const std::string& c, const std::string& name) {
    size_t at = c.find(name);
    return c.substr(at, c.find("\r\n", at) - at);
  };
  EXPECT_EQ(header(calls[0].content, "Date:"), header(calls[1].content, "Date:"));
  EXPECT_EQ(header(calls[0].content, "Message-ID:"), header(calls[1].content, "Message-ID:"));
}

TEST_F(WorkerTest, DueMailIsPromotedAtMostOncePerPromoteInterval) {
  WorkerOptions options = TestOptions("w1");
  options.promote_interval = absl::Seconds(1);
  Worker worker(queue_, deliverer_, clock_, random_, logger_, options, &suppressions_);
  std::string id = Send({"ana@example.net"});
  deliverer_.Script("ana@example.net", "451 4.3.0 Try again later");
  ASSERT_EQ(*worker.RunOnce(), 1);  // promoted (nothing due), took it, deferred it 5 min
  ASSERT_EQ(Get(id).state(), v1::DEFERRED);

  // Due half a second before the next promotion: it waits for it, then goes.
  clock_.Advance(absl::Minutes(5) - absl::Milliseconds(500));
  EXPECT_EQ(*worker.RunOnce(), 0);  // not due yet; the next promotion is 1 s from now
  clock_.Advance(absl::Milliseconds(500));
  EXPECT_EQ(*worker.RunOnce(), 0);  // due, but within the interval: still scheduled
  EXPECT_EQ(queue_.scheduled_count(), 1u);
  clock_.Advance(absl::Milliseconds(500));
  EXPECT_EQ(*worker.RunOnce(), 1);
  EXPECT_EQ(Get(id).state(), v1::DELIVERED);
}

TEST_F(WorkerTest, AFullPromotionBatchIsFollowedByAnotherAtOnce) {
  WorkerOptions options = TestOptions("w1");
  options.promote_interval = absl::Seconds(1);
  Worker worker(queue_, deliverer_, clock_, random_, logger_, options, &suppressions_);
  constexpr size_t kMessages = 101;  // one more than a promotion batch
  for (size_t i = 0; i < kMessages; ++i) {
    Send({"ana@example.net"});
    deliverer_.Script("ana@example.net", "451 4.3.0 Try again later");
  }
  for (size_t i = 0; i < kMessages; ++i) ASSERT_EQ(*worker.RunOnce(), 1);
  ASSERT_EQ(queue_.scheduled_count(), kMessages);

  clock_.Advance(absl::Minutes(10));
  EXPECT_EQ(*worker.RunOnce(), 1);  // 100 promoted, one of them delivered
  EXPECT_EQ(queue_.scheduled_count(), 1u);
  EXPECT_EQ(*worker.RunOnce(), 1);  // the same instant: the batch was full, so promote again
  EXPECT_EQ(queue_.scheduled_count(), 0u);
}

TEST_F(WorkerTest, PerRecipientResultsAndOnlyDeferredOnesAreRetried) {
  std::string id = Send({"a@example.net", "b@example.net", "c@example.net"});
  deliverer_.Script("b@example.net", "550 5.1.1 No such user");
  deliverer_.Script("c@example.net", "452 4.2.2 Mailbox full");
  EXPECT_EQ(Run(), 1);
  v1::Message m = Get(id);
  EXPECT_EQ(m.state(), v1::DEFERRED);
  EXPECT_EQ(m.recipients(0).state(), v1::RECIPIENT_DELIVERED);
  EXPECT_EQ(m.recipients(1).state(), v1::RECIPIENT_BOUNCED);
  EXPECT_EQ(m.recipients(1).reply().text(), "No such user");
  EXPECT_EQ(m.recipients(2).state(), v1::RECIPIENT_DEFERRED);

  clock_.Advance(absl::Minutes(5));
  EXPECT_EQ(Run(), 1);
  ASSERT_EQ(deliverer_.calls().size(), 2u);
  EXPECT_EQ(deliverer_.calls()[1].envelope.rcpt_to, std::vector<std::string>{"c@example.net"});
  m = Get(id);
  EXPECT_EQ(m.state(), v1::PARTIALLY_DELIVERED);
  EXPECT_EQ(m.recipients(2).state(), v1::RECIPIENT_DELIVERED);
}

TEST_F(WorkerTest, PermanentFailureFailsTheMessageWithTheReplyKept) {
  std::string id = Send({"ana@example.net"});
  deliverer_.Script("ana@example.net", "535 5.7.8 Authentication credentials invalid");
  EXPECT_EQ(Run(), 1);
  v1::Message m = Get(id);
  EXPECT_EQ(m.state(), v1::FAILED);
  EXPECT_EQ(m.recipients(0).state(), v1::RECIPIENT_BOUNCED);
  EXPECT_EQ(m.attempts(0).reply().code(), 535);
  EXPECT_EQ(m.attempts(0).reply().text(), "Authentication credentials invalid");
  EXPECT_EQ(queue_.scheduled_count(), 0u);
}

TEST_F(WorkerTest, ConnectionFailureIsDeferredWithTheLocalError) {
  std::string id = Send({"ana@example.net"});
  deliverer_.FailNextWith("connect 127.0.0.1:1: Connection refused");
  EXPECT_EQ(Run(), 1);
  v1::Message m = Get(id);
  EXPECT_EQ(m.state(), v1::DEFERRED);
  EXPECT_EQ(m.attempts(0).error(), "connect 127.0.0.1:1: Connection refused");
}

TEST_F(WorkerTest, RetriesBackOffExponentially) {
  std::string id = Send({"ana@example.net"});
  for (int i = 0; i < 4; ++i) deliverer_.Script("ana@example.net", "451 4.3.0 Later");
  std::vector<absl::Duration> waits;
  for (int i = 0; i < 4; ++i) {
    const absl::Time before = clock_.Now();
    EXPECT_EQ(Run(), 1);
    v1::Message m = Get(id);
    ASSERT_EQ(m.state(), v1::DEFERRED);
    const absl::Time next = FromProtoTime(m.next_attempt_time());
    waits.push_back(next - before);
    clock_.Set(next);
  }
  EXPECT_EQ(waits, (std::vector<absl::Duration>{absl::Minutes(5), absl::Minutes(10),
                                                  absl::Minutes(20), absl::Minutes(40)}));
  EXPECT_EQ(Run(), 1);
  EXPECT_EQ(Get(id).state(), v1::DELIVERED);
}

TEST_F(WorkerTest, AlwaysTransientExpiresAtMaxAgeWithTheLastReplyKept) {
  std::string id = Send({"a@example.net", "b@example.net"});
  for (int i = 0; i < 100; ++i) deliverer_.Script("b@example.net", "451 4.7.1 Greylisted, try later");
  int attempts = 0;
  while (true) {
    ASSERT_EQ(Run(), 1);
    ++attempts;
    v1::Message m = Get(id);
    if (m.state() != v1::DEFERRED) break;
    ASSERT_LT(attempts, 50) << "never expired";
    clock_.Set(FromProtoTime(m.next_attempt_time()));
  }
  v1::Message m = Get(id);
  EXPECT_EQ(m.state(), v1::PARTIALLY_DELIVERED);  // a was delivered on the first attempt
  EXPECT_EQ(m.recipients(0).state(), v1::RECIPIENT_DELIVERED);
  EXPECT_EQ(m.recipients(1).state(), v1::RECIPIENT_EXPIRED);
  EXPECT_EQ(m.recipients(1).reply().code(), 451);
  EXPECT_EQ(m.recipients(1).reply().text(), "Greylisted, try later");
  // The last attempt was made at the deadline, not after it.
  EXPECT_EQ(FromProtoTime(m.attempts(m.attempts_size() - 1).start_time()),
            FromProtoTime(m.create_time()) + absl::Hours(6));
  EXPECT_EQ(queue_.scheduled_count(), 0u);
  EXPECT_EQ(Run(), 0);
}

TEST_F(WorkerTest, ADelayedWarningIsRecordedOnceAfterFourHours) {
  std::string id = Send({"ana@example.net"});
  for (int i = 0; i < 100; ++i) deliverer_.Script("ana@example.net", "451 4.3.0 Later");
  bool warned_early = false;
  StoredMessage rec;
  while (true) {
    ASSERT_EQ(Run(), 1);
    rec = **queue_.Get("t1", id);
    const absl::Duration age = clock_.Now() - FromProtoTime(rec.message().create_time());
    if (age < absl::Hours(4) && rec.delay_warned()) warned_early = true;
    if (rec.message().state() != v1::DEFERRED) break;
    clock_.Set(FromProtoTime(rec.message().next_attempt_time()));
  }
  EXPECT_FALSE(warned_early);
  EXPECT_TRUE(rec.delay_warned());
}

TEST_F(WorkerTest, HardBouncesAreSuppressedButPolicyRejectionsAreNot) {
  Send({"gone@example.net", "spam@example.net", "ok@example.net"});
  deliverer_.Script("gone@example.net", "550 5.1.1 <gone@example.net>: Recipient address rejected");
  deliverer_.Script("spam@example.net", "554 5.7.1 Message rejected as spam");
  EXPECT_EQ(Run(), 1);
  auto found = suppressions_.Lookup("t1", {"gone@example.net", "spam@example.net", "ok@example.net"});
  ASSERT_TRUE(found.ok()) << found.status();
  ASSERT_TRUE((*found)[0].has_value());
  EXPECT_EQ((*found)[0]->reason, v1::Suppression::HARD_BOUNCE);
  EXPECT_EQ((*found)[0]->detail, "550 5.1.1 <gone@example.net>: Recipient address rejected");
  EXPECT_FALSE((*found)[1].has_value()) << "a 5.7.x policy rejection says nothing about the mailbox";
  EXPECT_FALSE((*found)[2].has_value());
  // Tenant-scoped.
  EXPECT_FALSE((*suppressions_.Lookup("t2", {"gone@example.net"}))[0].has_value());
}

TEST_F(WorkerTest, EveryDecisionIsAnEventWrittenWithTheState) {
  std::string id = Send({"a@example.net", "b@example.net", "c@example.net"});
  deliverer_.Script("b@example.net", "550 5.1.1 No such user");
  for (int i = 0; i < 100; ++i) deliverer_.Script("c@example.net", "451 4.3.0 Later");
  while (true) {
    ASSERT_EQ(Run(), 1);
    v1::Message m = Get(id);
    if (m.state() != v1::DEFERRED) break;
    clock_.Set(FromProtoTime(m.next_attempt_time()));
  }
  std::map<std::string, int> seen;  // "TYPE recipient" -> count
  for (const v1::Event& e : queue_.events("t1")) {
    EXPECT_EQ(e.message(), "messages/" + id);
    seen[v1::Event::Type_Name(e.type()) + " " + e.recipient()]++;
    if (e.type() == v1::Event::BOUNCED) EXPECT_EQ(e.reply().enhanced_code(), "5.1.1");
  }
  EXPECT_EQ(seen["QUEUED "], 1);
  EXPECT_EQ(seen["DELIVERED a@example.net"], 1);
  EXPECT_EQ(seen["BOUNCED b@example.net"], 1);
  EXPECT_GE(seen["DEFERRED c@example.net"], 3);
  EXPECT_EQ(seen["EXPIRED c@example.net"], 1);
  EXPECT_EQ(seen["DELAYED "], 1) << "the delay warning is sent once";
  EXPECT_EQ(seen.count("DELIVERED b@example.net"), 0u);
}

TEST_F(WorkerTest, QueueDownIsReportedNotSwallowed) {
  Send({"ana@example.net"});
  queue_.set_unavailable(true);
  EXPECT_EQ(worker_.RunOnce().status().code(), absl::StatusCode::kUnavailable);
  queue_.set_unavailable(false);
  EXPECT_EQ(Run(), 1);
}

TEST_F(WorkerTest, TransactionalBeforeBulk) {
  v1::SendEmailRequest bulk;
  bulk.set_from("news@example.com");
  bulk.add_to("reader@example.net");
  bulk.set_text_body("news");
  bulk.set_priority(v1::BULK);
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(api_.SendEmail(Principal{"t1"}, bulk).ok());
  std::string tx = Send({"ana@example.net"});
  EXPECT_EQ(Run(), 1);
  EXPECT_EQ(deliverer_.calls()[0].message_id, tx);
}

// A MessageSigner that prepends a recognisable header, or fails when told to.
class FakeSigner final : public MessageSigner {
 public:
  struct Call {
    std::string tenant;
    std::string from_domain;
    std::string content;
  };
  absl::StatusOr<std::string> Sign(absl::string_view tenant, absl::string_view from_domain,
                                   std::string content) override {
    calls_.push_back({std::string(tenant), std::string(from_domain), content});
    if (!error_.ok()) return error_;
    return "DKIM-Signature: v=1; fake\r\n" + content;
  }
  void FailWith(absl::Status error) { error_ = std::move(error); }
  const std::vector<Call>& calls() const { return calls_; }

 private:
  absl::Status error_;
  std::vector<Call> calls_;
};

class SigningWorkerTest : public WorkerTest {
 protected:
  SigningWorkerTest()
      : signing_worker_(queue_, deliverer_, clock_, random_, logger_,
                        TestOptions("w1"),
                        &suppressions_, nullptr, &signer_) {}
  int RunSigning() {
    auto n = signing_worker_.RunOnce();
    EXPECT_TRUE(n.ok()) << n.status();
    return n.ok() ? *n : -1;
  }

  FakeSigner signer_;
  Worker signing_worker_;
};

TEST_F(SigningWorkerTest, TheSignedBytesAreWhatIsDelivered) {
  std::string id = Send({"ana@example.net"});
  EXPECT_EQ(RunSigning(), 1);
  ASSERT_EQ(signer_.calls().size(), 1u);
  EXPECT_EQ(signer_.calls()[0].tenant, "t1");
  EXPECT_EQ(signer_.calls()[0].from_domain, "example.com");
  EXPECT_NE(signer_.calls()[0].content.find("Subject: Hello\r\n"), std::string::npos);
  ASSERT_EQ(deliverer_.calls().size(), 1u);
  EXPECT_EQ(deliverer_.calls()[0].content,
            "DKIM-Signature: v=1; fake\r\n" + signer_.calls()[0].content);
  v1::Message m = Get(id);
  EXPECT_EQ(m.state(), v1::DELIVERED);
  EXPECT_EQ(m.size_bytes(), static_cast<int64_t>(deliverer_.calls()[0].content.size()));
}

TEST_F(SigningWorkerTest, ASigningErrorSendsNothingAndDefersTheRecipients) {
  std::string id = Send({"ana@example.net", "bo@example.org"});
  signer_.FailWith(
      absl::FailedPreconditionError("DKIM key k1 of example.com: sealed with another KEK"));
  EXPECT_EQ(RunSigning(), 1);
  EXPECT_TRUE(deliverer_.calls().empty()) << "never sent unsigned in place of signed";
  v1::Message m = Get(id);
  EXPECT_EQ(m.state(), v1::DEFERRED);
  ASSERT_EQ(m.recipients_size(), 2);
  EXPECT_EQ(m.recipients(0).state(), v1::RECIPIENT_DEFERRED);
  EXPECT_EQ(m.recipients(1).state(), v1::RECIPIENT_DEFERRED);
  ASSERT_EQ(m.attempts_size(), 1);
  EXPECT_EQ(m.attempts(0).error().rfind("dkim: ", 0), 0u) << m.attempts(0).error();
  EXPECT_NE(m.attempts(0).error().find("sealed with another KEK"), std::string::npos);
  EXPECT_EQ(queue_.scheduled_count(), 1u) << "kept for a retry";

  // Once the key store recovers, the retry goes out signed.
  signer_.FailWith(absl::OkStatus());
  clock_.Advance(absl::Minutes(5));
  EXPECT_EQ(RunSigning(), 1);
  ASSERT_EQ(deliverer_.calls().size(), 1u);
  EXPECT_EQ(deliverer_.calls()[0].content.rfind("DKIM-Signature: v=1; fake\r\n", 0), 0u);
  EXPECT_EQ(Get(id).state(), v1::DELIVERED);
}

}  // namespace
}  // namespace kirim
