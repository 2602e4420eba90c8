// The suppression list end to end: a real redis-server and real kirimd processes, called
// through gRPC (and kirimctl). Add, list and remove; tenant B never sees or removes tenant A's
// entries; paging walks the whole list in order; bad requests name the field and store nothing;
// another replica sees a change at once.
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "gtest/gtest.h"
#include "tests/e2e/e2e_util.h"
#include "tests/harness/kirimd_process.h"
#include "tests/harness/redis_server.h"

namespace kirim {
namespace {

using testing::KirimdProcess;
using testing::RedisServer;

class SuppressionE2eTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(redis_.Start().ok());
    absl::Status s = kirimd_.Start(Config());
    ASSERT_TRUE(s.ok()) << s;
    a_key_ = Key("tenant-a");
    b_key_ = Key("tenant-b");
  }

  std::string Config() const {
    return absl::StrCat("role: \"api\"\nredis { port: ", redis_.port(), " }\n");
  }

  std::string Key(const std::string& tenant) {
    auto key = kirimd_.CreateKey(tenant, {v1::ApiKey::ADMIN});
    EXPECT_TRUE(key.ok()) << key.status();
    return key.ok() ? *key : "";
  }

  grpc::Status Add(const std::string& key, const std::string& address,
                   v1::Suppression::Reason reason, v1::Suppression* out = nullptr,
                   const std::string& detail = "") {
    v1::AddSuppressionRequest req;
    req.set_address(address);
    req.set_reason(reason);
    req.set_detail(detail);
    grpc::ClientContext ctx;
    kirimd_.Authorize(&ctx, key);
    v1::Suppression resp;
    grpc::Status s = kirimd_.AdminStub()->AddSuppression(&ctx, req, &resp);
    if (out != nullptr) *out = resp;
    return s;
  }

  grpc::Status Remove(const std::string& key, const std::string& name) {
    v1::RemoveSuppressionRequest req;
    req.set_name(name);
    grpc::ClientContext ctx;
    kirimd_.Authorize(&ctx, key);
    v1::RemoveSuppressionResponse resp;
    return kirimd_.AdminStub()->RemoveSuppression(&ctx, req, &resp);
  }

  grpc::Status List(const std::string& key, int page_size, const std::string& token,
                    v1::ListSuppressionsResponse* out, KirimdProcess* via = nullptr) {
    v1::ListSuppressionsRequest req;
    req.set_page_size(page_size);
    req.set_page_token(token);
    grpc::ClientContext ctx;
    KirimdProcess& k = via != nullptr ? *via : kirimd_;
    k.Authorize(&ctx, key);
    return k.AdminStub()->ListSuppressions(&ctx, req, out);
  }

  // The addresses of every page, walking next_page_token.
  std::vector<std::string> ListAll(const std::string& key, int page_size, int* pages = nullptr) {
    std::vector<std::string> out;
    std::string token;
    int n = 0;
    do {
      v1::ListSuppressionsResponse page;
      grpc::Status s = List(key, page_size, token, &page);
      EXPECT_TRUE(s.ok()) << s.error_message();
      if (!s.ok()) break;
      for (const auto& e : page.suppressions()) out.push_back(e.address());
      token = page.next_page_token();
      ++n;
    } while (!token.empty() && n < 100);
    if (pages != nullptr) *pages = n;
    return out;
  }

  RedisServer redis_;
  KirimdProcess kirimd_;
  std::string a_key_;
  std::string b_key_;
};

TEST_F(SuppressionE2eTest, AddListAndRemoveThroughGrpc) {
  v1::Suppression added;
  grpc::Status s = Add(a_key_, "Ana@Example.COM", v1::Suppression::UNSUBSCRIBE, &added, "link");
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(added.name(), "suppressions/Ana@example.com");
  EXPECT_EQ(added.address(), "Ana@example.com");
  EXPECT_EQ(added.reason(), v1::Suppression::UNSUBSCRIBE);
  EXPECT_EQ(added.detail(), "link");
  EXPECT_GT(added.create_time().seconds(), 0);

  // Stored under the tenant's own hash tag, with the configured key prefix.
  auto redis = redis_.Client();
  auto stored = redis->Command({"HEXISTS", "kirim:{sup:tenant-a}:e", "Ana@example.com"});
  ASSERT_TRUE(stored.ok()) << stored.status();
  EXPECT_EQ(stored->integer, 1);

  // A weaker reason keeps the stronger entry, and the answer says so.
  v1::Suppression again;
  ASSERT_TRUE(Add(a_key_, "Ana@example.com", v1::Suppression::MANUAL, &again).ok());
  EXPECT_EQ(again.reason(), v1::Suppression::UNSUBSCRIBE);
  EXPECT_EQ(again.detail(), "link");

  v1::ListSuppressionsResponse page;
  ASSERT_TRUE(List(a_key_, 0, "", &page).ok());
  ASSERT_EQ(page.suppressions_size(), 1);
  EXPECT_EQ(page.suppressions(0).name(), "suppressions/Ana@example.com");
  EXPECT_EQ(page.suppressions(0).reason(), v1::Suppression::UNSUBSCRIBE);
  EXPECT_EQ(page.suppressions(0).create_time().seconds(), added.create_time().seconds());
  EXPECT_EQ(page.next_page_token(), "");

  s = Remove(a_key_, "suppressions/Ana@EXAMPLE.com");
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_TRUE(ListAll(a_key_, 0).empty());
  s = Remove(a_key_, "suppressions/Ana@example.com");
  EXPECT_EQ(s.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(s.error_message(), "suppression not found: suppressions/Ana@example.com");
}

TEST_F(SuppressionE2eTest, TenantBNeitherSeesNorRemovesTenantAsEntries) {
  ASSERT_TRUE(Add(a_key_, "private@example.org", v1::Suppression::COMPLAINT, nullptr, "fbl").ok());
  ASSERT_TRUE(Add(a_key_, "other@example.org", v1::Suppression::MANUAL).ok());

  v1::ListSuppressionsResponse b_page;
  ASSERT_TRUE(List(b_key_, 0, "", &b_page).ok());
  EXPECT_EQ(b_page.suppressions_size(), 0);
  EXPECT_EQ(b_page.next_page_token(), "");

  // Removing A's entry looks exactly like removing one that never existed.
  grpc::Status theirs = Remove(b_key_, "suppressions/private@example.org");
  grpc::Status ghost = Remove(b_key_, "suppressions/ghost@example.org");
  EXPECT_EQ(theirs.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(ghost.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(theirs.error_message(), "suppression not found: suppressions/private@example.org");
  EXPECT_EQ(ghost.error_message(), "suppression not found: suppressions/ghost@example.org");
  EXPECT_EQ(ListAll(a_key_, 0), (std::vector<std::string>{"other@example.org", "private@example.org"}));

  // A page token of A's, presented by B, pages through B's own (empty) list.
  v1::ListSuppressionsResponse a_first;
  ASSERT_TRUE(List(a_key_, 1, "", &a_first).ok());
  ASSERT_FALSE(a_first.next_page_token().empty());
  ASSERT_TRUE(List(b_key_, 10, a_first.next_page_token(), &b_page).ok());
  EXPECT_EQ(b_page.suppressions_size(), 0);

  // B's entry for the same address is B's own: adding and removing it leaves A's alone.
  v1::Suppression b_entry;
  ASSERT_TRUE(Add(b_key_, "private@example.org", v1::Suppression::MANUAL, &b_entry).ok());
  EXPECT_EQ(b_entry.reason(), v1::Suppression::MANUAL);  // not A's COMPLAINT
  EXPECT_EQ(b_entry.detail(), "");
  ASSERT_TRUE(Remove(b_key_, "suppressions/private@example.org").ok());
  v1::ListSuppressionsResponse a_page;
  ASSERT_TRUE(List(a_key_, 0, "", &a_page).ok());
  ASSERT_EQ(a_page.suppressions_size(), 2);
  EXPECT_EQ(a_page.suppressions(1).reason(), v1::Suppression::COMPLAINT);
  EXPECT_EQ(a_page.suppressions(1).detail(), "fbl");
}

TEST_F(SuppressionE2eTest, PagingWalksTheWholeListInOrder) {
  std::vector<std::string> want;
  for (int i = 24; i >= 0; --i) {  // added in reverse order
    const std::string address = absl::StrCat("user", 100 + i, "@example.net");
    ASSERT_TRUE(Add(a_key_, address, v1::Suppression::HARD_BOUNCE).ok()) << address;
    want.insert(want.begin(), address);
  }
  int pages = 0;
  EXPECT_EQ(ListAll(a_key_, 7, &pages), want);
  EXPECT_EQ(pages, 4);  // 7 + 7 + 7 + 4
  EXPECT_EQ(ListAll(a_key_, 25, &pages), want);
  EXPECT_EQ(pages, 1);
  EXPECT_EQ(ListAll(a_key_, 0, &pages), want);  // the default page holds them all
  EXPECT_EQ(pages, 1);
}

TEST_F(SuppressionE2eTest, BadRequestsNameTheFieldAndStoreNothing) {
  auto redis = redis_.Client();
  const auto before = testing::Snapshot(*redis);
  grpc::Status s = Add(a_key_, "not an address", v1::Suppression::MANUAL);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(testing::BadRequestFields(s), std::vector<std::string>{"address"});
  s = Add(a_key_, "a@example.com", v1::Suppression::REASON_UNSPECIFIED);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(testing::BadRequestFields(s), std::vector<std::string>{"reason"});
  s = Remove(a_key_, "a@example.com");
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(testing::BadRequestFields(s), std::vector<std::string>{"name"});
  v1::ListSuppressionsResponse page;
  s = List(a_key_, -1, "garbage!", &page);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(testing::BadRequestFields(s), (std::vector<std::string>{"page_size", "page_token"}));
  EXPECT_EQ(testing::Snapshot(*redis), before);
}

TEST_F(SuppressionE2eTest, AnotherReplicaSeesAChangeAtOnce) {
  KirimdProcess second;
  ASSERT_TRUE(second.Start(Config(), {{"KIRIM_ADMIN_KEY", kirimd_.admin_key()}}).ok());
  ASSERT_TRUE(Add(a_key_, "a@example.com", v1::Suppression::MANUAL).ok());
  v1::ListSuppressionsResponse page;
  ASSERT_TRUE(List(a_key_, 0, "", &page, &second).ok());
  ASSERT_EQ(page.suppressions_size(), 1);
  ASSERT_TRUE(Remove(a_key_, "suppressions/a@example.com").ok());
  ASSERT_TRUE(List(a_key_, 0, "", &page, &second).ok());
  EXPECT_EQ(page.suppressions_size(), 0);
}

TEST_F(SuppressionE2eTest, KirimctlAddsListsAndRemoves) {
  const std::map<std::string, std::string> env = {{"KIRIM_API_KEY", a_key_}};
  auto run = [&](std::vector<std::string> args, int want_exit) {
    args.insert(args.begin(), {testing::Runfile("client/kirimctl"), "--address=" + kirimd_.address()});
    testing::Subprocess p;
    EXPECT_TRUE(p.Start(args, env).ok());
    EXPECT_EQ(testing::ExitCode(p.Wait(absl::Seconds(30))), want_exit) << absl::StrJoin(p.Lines(), "\n");
    return absl::StrJoin(p.Lines(), "\n");
  };
  EXPECT_EQ(run({"suppression", "add", "Ana@Example.COM", "--reason=unsubscribe", "--detail=phone"}, 0),
            "suppressed Ana@example.com (UNSUBSCRIBE)");
  EXPECT_EQ(run({"suppression", "add", "bo@example.com"}, 0), "suppressed bo@example.com (MANUAL)");
  const std::string listed = run({"suppression", "list"}, 0);
  EXPECT_NE(listed.find("Ana@example.com  UNSUBSCRIBE  "), std::string::npos) << listed;
  EXPECT_NE(listed.find("  phone\nbo@example.com  MANUAL  "), std::string::npos) << listed;
  EXPECT_EQ(run({"suppression", "remove", "Ana@example.com"}, 0), "removed suppressions/Ana@example.com");
  EXPECT_NE(run({"suppression", "remove", "Ana@example.com"}, 1).find("NOT_FOUND"), std::string::npos);
  EXPECT_NE(run({"suppression", "add", "x@example.com", "--reason=bogus"}, 2).find("unknown reason"),
            std::string::npos);
  EXPECT_EQ(ListAll(a_key_, 0), std::vector<std::string>{"bo@example.com"});
}

}  // namespace
}  // namespace kirim
