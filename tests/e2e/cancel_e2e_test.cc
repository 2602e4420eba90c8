// CancelMessage end to end: an api-only kirimd accepts and cancels, then a worker-only kirimd on
// the same Redis must never deliver what was cancelled. Refusals say why: a message a worker
// holds, a finished one, another tenant's or an unknown one.
#include <fstream>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "server/queue/redis_message_queue.h"
#include "tests/e2e/e2e_util.h"
#include "tests/harness/kirimd_process.h"
#include "tests/harness/redis_server.h"

namespace kirim {
namespace {

using testing::KirimdProcess;
using testing::RedisServer;

class CancelE2eTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(redis_.Start().ok());
    sandbox_ = testing::MakeTempDir("sandbox");
    absl::Status s = api_.Start(Config("api"));
    ASSERT_TRUE(s.ok()) << s;
    auto key = api_.CreateKey("acme", {v1::ApiKey::SEND, v1::ApiKey::READ});
    ASSERT_TRUE(key.ok()) << key.status();
    key_ = *key;
    redis_client_ = redis_.Client();
  }

  std::string Config(const std::string& role) {
    return absl::StrCat("role: \"", role, "\"\nredis { port: ", redis_.port(), " }\n",
                        "delivery { mode: SANDBOX sandbox_dir: \"", sandbox_,
                        "\" poll_interval_ms: 200 }\n");
  }

  v1::SendEmailResponse Send(absl::Duration delay = absl::ZeroDuration()) {
    v1::SendEmailRequest r;
    r.set_from("shop@acme.example");
    r.add_to("ana@example.net");
    r.add_cc("bo@example.org");
    r.set_subject("Order");
    r.set_text_body("Thanks");
    if (delay > absl::ZeroDuration())
      r.mutable_send_at()->set_seconds(absl::ToUnixSeconds(absl::Now() + delay));
    grpc::ClientContext ctx;
    api_.Authorize(&ctx, key_);
    v1::SendEmailResponse resp;
    grpc::Status s = api_.MailStub()->SendEmail(&ctx, r, &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return resp;
  }

  grpc::Status Cancel(const std::string& name, v1::Message* out, const std::string& key = "") {
    grpc::ClientContext ctx;
    api_.Authorize(&ctx, key.empty() ? key_ : key);
    v1::CancelMessageRequest r;
    r.set_name(name);
    return api_.MailStub()->CancelMessage(&ctx, r, out);
  }

  v1::Message Get(const std::string& name) {
    grpc::ClientContext ctx;
    api_.Authorize(&ctx, key_);
    v1::GetMessageRequest r;
    r.set_name(name);
    v1::Message m;
    EXPECT_TRUE(api_.MailStub()->GetMessage(&ctx, r, &m).ok());
    return m;
  }

  int64_t Count(const std::vector<std::string>& command) {
    auto v = redis_client_->Command(command);
    EXPECT_TRUE(v.ok()) << v.status();
    return v.ok() ? v->integer : -1;
  }

  RedisServer redis_;
  std::string sandbox_;
  KirimdProcess api_;
  std::string key_;
  std::unique_ptr<redis::HiredisClient> redis_client_;
};

TEST_F(CancelE2eTest, CancelledMessagesAreNeverDelivered) {
  const v1::SendEmailResponse ready = Send();
  const v1::SendEmailResponse scheduled = Send(absl::Hours(1));
  for (const auto* sent : {&ready, &scheduled}) {
    v1::Message m;
    grpc::Status s = Cancel(sent->name(), &m);
    ASSERT_TRUE(s.ok()) << s.error_message();
    EXPECT_EQ(m.state(), v1::CANCELLED);
    ASSERT_EQ(m.recipients_size(), 2);
    for (const auto& r : m.recipients())
      EXPECT_EQ(r.state(), v1::RECIPIENT_CANCELLED) << r.address();
    EXPECT_EQ(Get(sent->name()).state(), v1::CANCELLED);
  }
  RedisMessageQueue layout(*redis_client_, nullptr, {});
  EXPECT_EQ(Count({"ZCARD", layout.ScheduledKey(0)}), 0) << "still scheduled";
  EXPECT_EQ(Count({"XLEN", layout.StreamKey(0, Lane::kTransactional)}), 0)
      << "still in the ready stream";

  // A worker starts only now; a message sent after the cancelled ones is delivered, they never are.
  const v1::SendEmailResponse kept = Send();
  KirimdProcess worker;
  ASSERT_TRUE(worker.Start(Config("worker")).ok());
  ASSERT_TRUE(worker.WaitForEvent("delivered", kept.id()).ok());
  for (const auto* cancelled : {&ready, &scheduled}) {
    EXPECT_FALSE(std::ifstream(absl::StrCat(sandbox_, "/", cancelled->id(), ".eml")).good())
        << "a cancelled message was delivered";
    EXPECT_EQ(Get(cancelled->name()).state(), v1::CANCELLED);
    for (const std::string& line : worker.process().Lines()) {
      EXPECT_FALSE(absl::StrContains(line, cancelled->id())) << "the worker touched it: " << line;
    }
  }
  EXPECT_EQ(Get(kept.name()).state(), v1::DELIVERED);
}

TEST_F(CancelE2eTest, RefusalsSayWhy) {
  const v1::SendEmailResponse sent = Send();
  // This test plays the worker: it holds the lease.
  RedisMessageQueue queue(*redis_client_, nullptr, {});
  auto leases = queue.Take("test-worker", 1, absl::ZeroDuration());
  ASSERT_TRUE(leases.ok() && leases->size() == 1u) << leases.status();
  v1::Message m;
  grpc::Status busy = Cancel(sent.name(), &m);
  EXPECT_EQ(busy.error_code(), grpc::StatusCode::FAILED_PRECONDITION) << busy.error_message();
  EXPECT_TRUE(absl::StrContains(busy.error_message(), "being delivered")) << busy.error_message();
  EXPECT_EQ(Get(sent.name()).state(), v1::QUEUED);

  StoredMessage done = (*leases)[0].record;
  done.mutable_message()->set_state(v1::DELIVERED);
  for (auto& r : *done.mutable_message()->mutable_recipients())
    r.set_state(v1::RECIPIENT_DELIVERED);
  ASSERT_TRUE(queue.Complete((*leases)[0], done).ok());
  grpc::Status finished = Cancel(sent.name(), &m);
  EXPECT_EQ(finished.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_TRUE(absl::StrContains(finished.error_message(), "already DELIVERED"))
      << finished.error_message();

  auto other = api_.CreateKey("globex", {v1::ApiKey::SEND, v1::ApiKey::READ});
  ASSERT_TRUE(other.ok());
  const v1::SendEmailResponse mine = Send();
  EXPECT_EQ(Cancel(mine.name(), &m, *other).error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(Cancel("messages/01KB5Z3Q8R0000000000000000", &m).error_code(),
            grpc::StatusCode::NOT_FOUND);
  grpc::Status malformed = Cancel("messages/../x", &m);
  EXPECT_EQ(malformed.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(testing::BadRequestFields(malformed), std::vector<std::string>{"name"});
  auto reader = api_.CreateKey("acme", {v1::ApiKey::READ});
  ASSERT_TRUE(reader.ok());
  EXPECT_EQ(Cancel(mine.name(), &m, *reader).error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(Get(mine.name()).state(), v1::QUEUED) << "a refused cancel changed the message";
}

}  // namespace
}  // namespace kirim
