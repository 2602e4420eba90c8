// SendEmail's guards end to end: idempotency keys across two kirimd api replicas on one Redis
// (four shards, so the key's record and its message must be placed on the same one), and
// backpressure when the queue is at limits.max_queue_depth (nothing stored, the tenant's quota
// charge given back).
#include <atomic>
#include <set>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "gtest/gtest.h"
#include "server/auth/api_key_format.h"
#include "server/common/random.h"
#include "tests/e2e/e2e_util.h"
#include "tests/harness/kirimd_process.h"
#include "tests/harness/redis_server.h"

namespace kirim {
namespace {

using testing::KirimdProcess;
using testing::RedisServer;

class SendGuardsE2eTest : public ::testing::Test {
 protected:
  void StartReplicas(const std::string& extra, int replicas = 2, int shards = 4) {
    ASSERT_TRUE(redis_.Start().ok());
    SecureRandom random;
    const std::string admin = GenerateApiKeyString(random);
    const std::string config = absl::StrCat("role: \"api\"\nredis { port: ", redis_.port(),
                                            " shards: ", shards, " }\n", extra);
    for (int i = 0; i < replicas; ++i) {
      absl::Status s = (i == 0 ? a_ : b_).Start(config, {{"KIRIM_ADMIN_KEY", admin}});
      ASSERT_TRUE(s.ok()) << s;
    }
    auto key = a_.CreateKey("acme", {v1::ApiKey::SEND, v1::ApiKey::READ});
    ASSERT_TRUE(key.ok()) << key.status();
    key_ = *key;
  }

  static v1::SendEmailRequest Request(const std::string& idempotency_key = "") {
    v1::SendEmailRequest r;
    r.set_from("shop@acme.example");
    r.add_to("ana@example.net");
    r.set_subject("Order 42");
    r.set_text_body("Thanks");
    (*r.mutable_metadata())["order"] = "42";
    r.set_idempotency_key(idempotency_key);
    return r;
  }

  grpc::Status Send(KirimdProcess& k, const v1::SendEmailRequest& r, v1::SendEmailResponse* resp) {
    grpc::ClientContext ctx;
    k.Authorize(&ctx, key_);
    return k.MailStub()->SendEmail(&ctx, r, resp);
  }

  // acme's message records in Redis, across every shard.
  int64_t StoredMessages() {
    int64_t n = 0;
    for (const auto& entry : testing::Snapshot(*redis_.Client())) {
      n += absl::StrContains(entry.first, ":t:acme:m:");
    }
    return n;
  }

  RedisServer redis_;
  KirimdProcess a_, b_;
  std::string key_;
};

TEST_F(SendGuardsE2eTest, ARetryWithTheSameKeyGetsTheOriginalFromAnyReplica) {
  StartReplicas("");
  v1::SendEmailResponse first, retry;
  ASSERT_TRUE(Send(a_, Request("order-42"), &first).ok());
  EXPECT_FALSE(first.deduplicated());
  grpc::Status s = Send(b_, Request("order-42"), &retry);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_TRUE(retry.deduplicated());
  EXPECT_EQ(retry.id(), first.id());
  EXPECT_EQ(retry.name(), first.name());
  EXPECT_EQ(retry.message_id_header(), first.message_id_header());
  EXPECT_EQ(StoredMessages(), 1);

  // The same key for another payload names the field and stores nothing.
  v1::SendEmailRequest changed = Request("order-42");
  changed.set_subject("Order 43");
  v1::SendEmailResponse none;
  grpc::Status clash = Send(b_, changed, &none);
  EXPECT_EQ(clash.error_code(), grpc::StatusCode::ALREADY_EXISTS) << clash.error_message();
  EXPECT_TRUE(absl::StrContains(clash.error_message(), "idempotency_key")) << clash.error_message();
  EXPECT_EQ(testing::BadRequestFields(clash), std::vector<std::string>{"idempotency_key"});
  EXPECT_EQ(StoredMessages(), 1);
  // Without a key, the same payload is simply another message.
  v1::SendEmailResponse plain;
  ASSERT_TRUE(Send(a_, Request(), &plain).ok());
  EXPECT_NE(plain.id(), first.id());
  EXPECT_EQ(StoredMessages(), 2);
}

TEST_F(SendGuardsE2eTest, ConcurrentIdenticalCallsOnTwoReplicasQueueExactlyOne) {
  StartReplicas("");
  constexpr int kCalls = 12;
  absl::Mutex mu;
  std::set<std::string> ids;
  int fresh = 0;
  std::vector<std::string> errors;
  std::vector<std::thread> threads;
  for (int i = 0; i < kCalls; ++i) {
    threads.emplace_back([&, i] {
      v1::SendEmailResponse resp;
      grpc::Status s = Send(i % 2 ? a_ : b_, Request("race-1"), &resp);
      absl::MutexLock lock(&mu);
      if (!s.ok()) {
        errors.push_back(s.error_message());
        return;
      }
      ids.insert(resp.id());
      fresh += !resp.deduplicated();
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_TRUE(errors.empty()) << errors.front();
  EXPECT_EQ(fresh, 1);
  EXPECT_EQ(ids.size(), 1u);
  EXPECT_EQ(StoredMessages(), 1);
}

TEST_F(SendGuardsE2eTest, AFullQueueRefusesFastStoresNothingAndGivesTheQuotaBack) {
  StartReplicas("limits { max_queue_depth: 3 tenants { tenant: \"acme\" daily_quota: 10 } }",
                /*replicas=*/1, /*shards=*/1);
  v1::SendEmailResponse resp, first;
  ASSERT_TRUE(Send(a_, Request(), &first).ok());
  for (int i = 0; i < 2; ++i) ASSERT_TRUE(Send(a_, Request(), &resp).ok()) << i;
  const int accepted = 3;
  grpc::Status full = Send(a_, Request("fresh-key"), &resp);
  EXPECT_EQ(full.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED) << full.error_message();
  google::rpc::Status details;
  ASSERT_TRUE(details.ParseFromString(full.error_details()));
  bool retry_info = false, quota_failure = false;
  for (const auto& any : details.details()) {
    google::rpc::RetryInfo retry;
    google::rpc::QuotaFailure quota;
    retry_info |= any.UnpackTo(&retry) && retry.retry_delay().seconds() > 0;
    quota_failure |= any.UnpackTo(&quota);
  }
  EXPECT_TRUE(retry_info) << "RESOURCE_EXHAUSTED must say when to retry";
  EXPECT_FALSE(quota_failure) << "a full queue is not the tenant's quota";
  EXPECT_EQ(StoredMessages(), accepted);

  // Only accepted messages were charged (one recipient each).
  grpc::ClientContext ctx;
  a_.Authorize(&ctx, key_);
  v1::Quota quota;
  ASSERT_TRUE(a_.AdminStub()->GetQuota(&ctx, v1::GetQuotaRequest(), &quota).ok());
  EXPECT_EQ(quota.daily_remaining(), 10 - accepted);

  // Cancelling a waiting message makes room; the refused call's key was never claimed.
  grpc::ClientContext cancel_ctx;
  a_.Authorize(&cancel_ctx, key_);
  v1::CancelMessageRequest cancel;
  cancel.set_name(first.name());
  v1::Message cancelled;
  ASSERT_TRUE(a_.MailStub()->CancelMessage(&cancel_ctx, cancel, &cancelled).ok());
  v1::SendEmailResponse after;
  grpc::Status room = Send(a_, Request("fresh-key"), &after);
  ASSERT_TRUE(room.ok()) << room.error_message();
  EXPECT_FALSE(after.deduplicated());
}

}  // namespace
}  // namespace kirim
