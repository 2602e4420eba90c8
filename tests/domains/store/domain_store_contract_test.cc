// The DomainStore contract, run against RedisDomainStore (a real redis-server on a free
// loopback port) and FakeDomainStore, so the fake other tests rely on behaves like production.
#include <functional>
#include <memory>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/common/status_macros.h"
#include "server/domains/redis_domain_store.h"
#include "tests/domains/store/fake_domain_store.h"
#include "tests/harness/redis_server.h"

namespace kirim::testing {
namespace {

using storage::v1::StoredDomain;
using ::testing::ElementsAre;
using ::testing::IsEmpty;

class Harness {
 public:
  virtual ~Harness() = default;
  virtual absl::Status Start() = 0;
  virtual DomainStore& store() = 0;
  virtual void TakeDown() = 0;
};

class RedisHarness final : public Harness {
 public:
  absl::Status Start() override {
    KIRIM_RETURN_IF_ERROR(server_.Start());
    client_ = server_.Client();
    store_ = std::make_unique<RedisDomainStore>(*client_, "kirim");
    return absl::OkStatus();
  }
  DomainStore& store() override { return *store_; }
  void TakeDown() override { server_.Stop(); }

 private:
  RedisServer server_;
  std::unique_ptr<redis::HiredisClient> client_;
  std::unique_ptr<RedisDomainStore> store_;
};

class FakeHarness final : public Harness {
 public:
  absl::Status Start() override { return absl::OkStatus(); }
  DomainStore& store() override { return store_; }
  void TakeDown() override { store_.SetDown(absl::UnavailableError("down")); }

 private:
  FakeDomainStore store_;
};

using Factory = std::function<std::unique_ptr<Harness>()>;

class DomainStoreContractTest : public ::testing::TestWithParam<Factory> {
 protected:
  void SetUp() override {
    harness_ = GetParam()();
    ASSERT_TRUE(harness_->Start().ok());
  }
  DomainStore& store() { return harness_->store(); }
  std::unique_ptr<Harness> harness_;
};

StoredDomain Domain(const std::string& tenant, const std::string& name) {
  StoredDomain d;
  d.set_tenant(tenant);
  d.mutable_domain()->set_domain(name);
  d.mutable_domain()->set_name("domains/" + name);
  (*d.mutable_sealed_keys())["k1"] = std::string("sealed\0bytes", 12);
  return d;
}

std::vector<std::string> Names(const std::vector<StoredDomain>& ds) {
  std::vector<std::string> out;
  for (const auto& d : ds) out.push_back(d.domain().domain());
  return out;
}

TEST_P(DomainStoreContractTest, CreateThenGetRoundTripsEveryField) {
  StoredDomain d = Domain("acme", "example.com");
  ASSERT_TRUE(store().Create(d).ok());
  EXPECT_EQ(d.version(), 1);
  absl::StatusOr<StoredDomain> got = store().Get("acme", "Example.COM.");
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->SerializeAsString(), d.SerializeAsString());
  EXPECT_EQ(got->sealed_keys().at("k1"), std::string("sealed\0bytes", 12));
}

TEST_P(DomainStoreContractTest, CreatingTwiceIsAlreadyExists) {
  StoredDomain a = Domain("acme", "example.com");
  ASSERT_TRUE(store().Create(a).ok());
  StoredDomain b = Domain("acme", "example.com");
  EXPECT_EQ(store().Create(b).code(), absl::StatusCode::kAlreadyExists);
}

TEST_P(DomainStoreContractTest, TenantsDoNotSeeEachOther) {
  StoredDomain a = Domain("acme", "example.com");
  ASSERT_TRUE(store().Create(a).ok());
  EXPECT_EQ(store().Get("other", "example.com").status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(store().Delete("other", "example.com").code(), absl::StatusCode::kNotFound);
  absl::StatusOr<std::vector<StoredDomain>> other = store().List("other");
  ASSERT_TRUE(other.ok());
  EXPECT_THAT(*other, IsEmpty());
  // The same domain may be registered by another tenant, with its own keys.
  StoredDomain b = Domain("other", "example.com");
  EXPECT_TRUE(store().Create(b).ok());
}

TEST_P(DomainStoreContractTest, UpdateIsCompareAndSet) {
  StoredDomain d = Domain("acme", "example.com");
  ASSERT_TRUE(store().Create(d).ok());
  StoredDomain first = *store().Get("acme", "example.com");
  StoredDomain second = first;
  first.mutable_domain()->set_state(v1::Domain::VERIFIED);
  ASSERT_TRUE(store().Update(first).ok());
  EXPECT_EQ(first.version(), 2);
  second.mutable_domain()->set_state(v1::Domain::FAILED_VERIFICATION);
  EXPECT_EQ(store().Update(second).code(), absl::StatusCode::kAborted);
  EXPECT_EQ(store().Get("acme", "example.com")->domain().state(), v1::Domain::VERIFIED);
}

TEST_P(DomainStoreContractTest, UpdateOfADeletedDomainIsNotFound) {
  StoredDomain d = Domain("acme", "example.com");
  ASSERT_TRUE(store().Create(d).ok());
  ASSERT_TRUE(store().Delete("acme", "example.com").ok());
  EXPECT_EQ(store().Update(d).code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(store().Get("acme", "example.com").status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(store().Delete("acme", "example.com").code(), absl::StatusCode::kNotFound);
}

TEST_P(DomainStoreContractTest, ListIsSortedAndOnlyTheTenants) {
  for (const char* n : {"b.example", "a.example", "c.example"}) {
    StoredDomain d = Domain("acme", n);
    ASSERT_TRUE(store().Create(d).ok());
  }
  StoredDomain x = Domain("other", "x.example");
  ASSERT_TRUE(store().Create(x).ok());
  ASSERT_TRUE(store().Delete("acme", "c.example").ok());
  absl::StatusOr<std::vector<StoredDomain>> list = store().List("acme");
  ASSERT_TRUE(list.ok());
  EXPECT_THAT(Names(*list), ElementsAre("a.example", "b.example"));
  EXPECT_EQ((*list)[0].version(), 1);
}

TEST_P(DomainStoreContractTest, BackendDownIsUnavailable) {
  harness_->TakeDown();
  EXPECT_EQ(store().Get("acme", "example.com").status().code(), absl::StatusCode::kUnavailable);
  StoredDomain d = Domain("acme", "example.com");
  EXPECT_EQ(store().Create(d).code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(store().List("acme").status().code(), absl::StatusCode::kUnavailable);
}

INSTANTIATE_TEST_SUITE_P(Redis, DomainStoreContractTest,
                         ::testing::Values(Factory([] { return std::make_unique<RedisHarness>(); })));
INSTANTIATE_TEST_SUITE_P(Fake, DomainStoreContractTest,
                         ::testing::Values(Factory([] { return std::make_unique<FakeHarness>(); })));

}  // namespace
}  // namespace kirim::testing
