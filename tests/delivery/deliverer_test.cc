// ReportFromTransaction: the mapping from SMTP replies to per-recipient outcomes.
#include "server/delivery/deliverer.h"

#include "gtest/gtest.h"
#include "tests/delivery/fake_deliverer.h"

namespace kirim {
namespace {

using smtp::ReplyClass;
using testing::MakeReply;

smtp::Envelope Env() { return {"s@example.com", {"a@x.test", "b@x.test", "c@x.test"}}; }

TEST(ReportFromTransactionTest, RcptRefusalsDecideTheirRecipientsDataDecidesTheRest) {
  smtp::TransactionResult t;
  t.rcpt_replies = {MakeReply("250 2.1.5 Ok"), MakeReply("550 5.1.1 Unknown"),
                    MakeReply("450 4.2.0 Greylisted")};
  t.data_reply = MakeReply("250 2.0.0 Ok: queued as X");
  DeliveryReport r = ReportFromTransaction(Env(), t, "relay:587");
  ASSERT_EQ(r.recipients.size(), 3u);
  EXPECT_EQ(r.recipients[0].result, ReplyClass::kPositive);
  EXPECT_EQ(r.recipients[0].reply.Text(), "Ok: queued as X");
  EXPECT_EQ(r.recipients[1].result, ReplyClass::kPermanent);
  EXPECT_EQ(r.recipients[1].reply.code, 550);
  EXPECT_EQ(r.recipients[2].result, ReplyClass::kTransient);
  EXPECT_EQ(r.reply.code, 250);
  EXPECT_EQ(r.remote, "relay:587");
}

TEST(ReportFromTransactionTest, SessionFailureDecidesForEveryone) {
  smtp::TransactionResult t;
  t.failed_phase = "auth";
  t.failed_reply = MakeReply("535 5.7.8 Bad credentials");
  DeliveryReport r = ReportFromTransaction(Env(), t, "relay:587");
  for (const auto& o : r.recipients) {
    EXPECT_EQ(o.result, ReplyClass::kPermanent);
    EXPECT_EQ(o.reply.code, 535);
  }
  EXPECT_EQ(r.failed_phase, "auth");
}

TEST(ReportFromTransactionTest, LocalErrorIsTransient) {
  smtp::TransactionResult t;
  t.failed_phase = "data_end";
  t.local_error = absl::DeadlineExceededError("no reply to end of data within 10m");
  t.rcpt_replies = {MakeReply("250 Ok"), MakeReply("250 Ok"), MakeReply("250 Ok")};
  DeliveryReport r = ReportFromTransaction(Env(), t, "relay:587");
  for (const auto& o : r.recipients) EXPECT_EQ(o.result, ReplyClass::kTransient);
  EXPECT_EQ(r.error, "no reply to end of data within 10m");
}

TEST(ReportFromTransactionTest, TransientDataReplyDefersAcceptedRecipients) {
  smtp::TransactionResult t;
  t.rcpt_replies = {MakeReply("250 Ok"), MakeReply("550 5.1.1 Unknown"), MakeReply("250 Ok")};
  t.data_reply = MakeReply("451 4.3.0 Queue full");
  DeliveryReport r = ReportFromTransaction(Env(), t, "relay:587");
  EXPECT_EQ(r.recipients[0].result, ReplyClass::kTransient);
  EXPECT_EQ(r.recipients[1].result, ReplyClass::kPermanent);
  EXPECT_EQ(r.recipients[2].result, ReplyClass::kTransient);
}

}  // namespace
}  // namespace kirim
