// Fault: Redis is out of memory (maxmemory reached, policy noeviction, as docs/deploy.md
// requires).
//
// An api-role kirimd (no worker: nothing drains the queue) takes messages until Redis refuses
// writes. That SendEmail fails with RESOURCE_EXHAUSTED saying the message store is out of
// memory (with RetryInfo and google.rpc.ErrorInfo reason STORE_OUT_OF_MEMORY), not UNAVAILABLE:
// Redis is reachable, it is full. Nothing is half-stored: every key in Redis is the same before
// and after the refused call. Once memory is raised, a worker delivers every message accepted
// before, exactly once, and SendEmail works again.
#include <iostream>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"
#include "gtest/gtest.h"
#include "tests/e2e/e2e_util.h"
#include "tests/faults/fault_util.h"
#include "tests/harness/kirimd_process.h"
#include "tests/harness/redis_server.h"
#include "tests/harness/smtp_peer.h"

namespace kirim::testing {
namespace {

constexpr int64_t kMaxMemory = 4 << 20;
constexpr int kBodyBytes = 16 << 10;
constexpr int kMaxCalls = 2000;  // 4 MiB / 16 KiB is about 250

int64_t UsedMemory(redis::RedisClient& r) {
  auto info = r.Command({"INFO", "memory"});
  if (!info.ok()) return -1;
  const size_t at = info->str.find("used_memory:");
  int64_t used = -1;
  if (at != std::string::npos) {
    absl::SimpleAtoi(info->str.substr(at + 12, info->str.find('\r', at) - at - 12), &used);
  }
  return used;
}

struct Refusal {
  grpc::Status status;
  std::vector<std::string> reasons;  // google.rpc.ErrorInfo reasons
  bool retry_info = false;
};

Refusal Details(const grpc::Status& s) {
  Refusal r{s};
  google::rpc::Status rpc;
  if (!rpc.ParseFromString(s.error_details())) return r;
  for (const auto& any : rpc.details()) {
    google::rpc::ErrorInfo info;
    if (any.UnpackTo(&info)) r.reasons.push_back(info.reason());
    r.retry_info |= absl::EndsWith(any.type_url(), "google.rpc.RetryInfo");
  }
  return r;
}

// Redis capped at kMaxMemory, with the noeviction policy docs/deploy.md requires: past the
// cap, writes are refused.
RedisServerOptions FullAtMaxMemory() {
  return {.extra_args = {"--maxmemory", std::to_string(kMaxMemory), "--maxmemory-policy",
                         "noeviction"}};
}

TEST(RedisOomTest, SendEmailFailsClearlyWhenRedisIsFullAndStoresNothing) {
  FaultRig rig;
  ASSERT_TRUE(rig.Start({.redis = FullAtMaxMemory(), .role = "api"}).ok());
  KirimdProcess& api = rig.kirimd();
  auto r = rig.redis().Client();
  auto stub = api.MailStub();

  auto send = [&](int n, v1::SendEmailResponse* resp) {
    v1::SendEmailRequest req;
    req.set_from("shop@example.com");
    req.add_to(absl::StrCat("rcpt", n, "@example.net"));
    req.set_subject("oom test");
    req.set_text_body(std::string(kBodyBytes, 'x'));
    grpc::ClientContext ctx;
    api.Authorize(&ctx);
    return stub->SendEmail(&ctx, req, resp);
  };

  std::map<std::string, std::string> accepted;
  std::map<std::string, std::string> before, after;
  grpc::Status refused;
  int n = 0;
  for (; n < kMaxCalls; ++n) {
    // Near the limit, keep a picture of every key before each call.
    const bool near = UsedMemory(*r) > kMaxMemory * 3 / 4;
    if (near) before = Snapshot(*r);
    v1::SendEmailResponse resp;
    grpc::Status s = send(n, &resp);
    if (s.ok()) {
      accepted[resp.id()] = resp.message_id_header();
      continue;
    }
    ASSERT_TRUE(near) << "refused before Redis was nearly full: " << s.error_message();
    after = Snapshot(*r);
    refused = s;
    break;
  }
  ASSERT_LT(n, kMaxCalls) << "Redis never refused";
  ASSERT_FALSE(accepted.empty());

  // A clear refusal: RESOURCE_EXHAUSTED (Redis answers; it is full), retry later.
  Refusal first = Details(refused);
  std::cout << "redis_oom: " << accepted.size() << " accepted (" << kBodyBytes
            << "-byte bodies) before Redis (maxmemory " << kMaxMemory << ") refused: code "
            << refused.error_code() << ", \"" << refused.error_message() << "\"\n";
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED) << refused.error_message();
  EXPECT_TRUE(absl::StrContains(refused.error_message(), "out of memory"))
      << refused.error_message();
  EXPECT_TRUE(absl::StrContains(refused.error_message(), "nothing was stored"))
      << refused.error_message();
  EXPECT_TRUE(first.retry_info);
  EXPECT_EQ(first.reasons, std::vector<std::string>{"STORE_OUT_OF_MEMORY"});
  // Nothing half-stored: every key as it was. Except the tenant's token bucket: the rate
  // limiter charged the call before the store was refused and gave the charge back, which
  // refills the bucket as of now (here: full again, so its key is deleted). The daily count,
  // compared, is back where it was.
  auto bucket = [](std::map<std::string, std::string> keys) {
    keys.erase("kirim:{rl:default}:bucket");
    return keys;
  };
  EXPECT_EQ(ChangedKeys(bucket(before), bucket(after)), std::vector<std::string>{});
  ASSERT_FALSE(before.empty());

  // Still full: the next call is refused the same way and changes nothing either.
  before = Snapshot(*r);
  v1::SendEmailResponse ignored;
  grpc::Status again = send(n + 1, &ignored);
  EXPECT_EQ(again.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED) << again.error_message();
  EXPECT_EQ(ChangedKeys(bucket(before), bucket(Snapshot(*r))), std::vector<std::string>{});
  // Reads still work: the accepted messages are there.
  absl::StatusOr<v1::Message> m = api.GetMessage(accepted.begin()->first);
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_EQ(m->state(), v1::QUEUED);

  // More memory: a worker delivers everything accepted before, and sending works again.
  ASSERT_TRUE(r->Command({"CONFIG", "SET", "maxmemory", "0"}).ok());
  KirimdProcess worker;
  ASSERT_TRUE(rig.StartKirimd(worker, "worker").ok());
  v1::SendEmailResponse resp;
  grpc::Status s = send(n + 2, &resp);
  ASSERT_TRUE(s.ok()) << s.error_message();
  accepted[resp.id()] = resp.message_id_header();
  absl::Status all = AwaitAllDelivered(accepted, rig.peer(), api, worker);
  ASSERT_TRUE(all.ok()) << all;
  const Tally tally = Count(accepted, rig.peer().ReceivedIds());
  std::cout << "redis_oom: after raising maxmemory: " << tally << "\n";
  EXPECT_TRUE(WithinBounds(tally));  // exactly once
}

// While Redis is full, a worker still delivers what was accepted, and records each outcome:
// were its outcome refused (OOM), the lease would expire and the message be sent again, and
// again, for as long as Redis stays full.
TEST(RedisOomTest, AWorkerDeliversAndRecordsEveryMessageOnceWhileRedisIsFull) {
  FaultRig rig;
  ASSERT_TRUE(rig.Start({.redis = FullAtMaxMemory(),
                         // A short lease (2.5 s): a refused outcome shows up quickly.
                         .relay = {.phase_timeout_ms = 1000, .data_end_ms = 1000},
                         .role = "api"})
                  .ok());
  KirimdProcess& api = rig.kirimd();
  Sender sender(api, {.threads = 1, .target = kMaxCalls, .max_calls = kMaxCalls,
                      .body_bytes = kBodyBytes});
  sender.Start();
  // Until the store refuses: Redis is full.
  ASSERT_TRUE(
      sender.WaitForFailures(grpc::StatusCode::RESOURCE_EXHAUSTED, 1, absl::Seconds(120)).ok());
  sender.Stop();
  const std::map<std::string, std::string> accepted = sender.accepted();
  ASSERT_FALSE(accepted.empty());
  auto r = rig.redis().Client();
  ASSERT_GT(UsedMemory(*r), kMaxMemory * 9 / 10);

  KirimdProcess worker;
  ASSERT_TRUE(rig.StartKirimd(worker, "worker").ok());
  absl::Status all = AwaitAllDelivered(accepted, rig.peer(), api, worker);
  ASSERT_TRUE(all.ok()) << all;
  // Past several leases: nothing was sent again.
  const Tally tally = Count(accepted, rig.peer().ReceivedIds());
  int refused_outcomes = 0;
  for (const std::string& l : worker.process().Lines()) {
    refused_outcomes += absl::StrContains(l, "queue_error") && absl::StrContains(l, "OOM");
  }
  std::cout << "redis_oom (worker while full): " << refused_outcomes
            << " worker errors from OOM; " << tally << "\n";
  EXPECT_TRUE(WithinBounds(tally));  // exactly once
}

}  // namespace
}  // namespace kirim::testing
