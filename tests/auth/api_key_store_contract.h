// The ApiKeyStore contract as one test suite, run against every implementation (the Redis store
// and the fake), so the fake that other tests rely on behaves like production.
//
//   class MyHarness : public ApiKeyStoreHarness { ... };
//   std::unique_ptr<ApiKeyStoreHarness> MakeMyHarness() { return std::make_unique<MyHarness>(); }
//   INSTANTIATE_TEST_SUITE_P(My, ApiKeyStoreContractTest, ::testing::Values(&MakeMyHarness));
//
// The test bodies live in api_key_store_contract.cc (an alwayslink library), so a test binary
// only adds the INSTANTIATE line.
#ifndef KIRIM_TESTS_AUTH_API_KEY_STORE_CONTRACT_H_
#define KIRIM_TESTS_AUTH_API_KEY_STORE_CONTRACT_H_

#include <memory>

#include "absl/status/status.h"
#include "gtest/gtest.h"
#include "server/auth/api_key_store.h"
#include "tests/common/fake_clock.h"

namespace kirim::testing {

// One store under test with its surroundings.
class ApiKeyStoreHarness {
 public:
  virtual ~ApiKeyStoreHarness() = default;
  // Brings up what the store needs (a Redis server, say). Called once, before store().
  virtual absl::Status Start() = 0;
  virtual ApiKeyStore& store() = 0;
  // The clock the store reads.
  virtual FakeClock& clock() = 0;
  // From now on, the store's backend is down (every call that needs it fails).
  virtual void TakeDown() = 0;
};

using ApiKeyStoreHarnessFactory = std::unique_ptr<ApiKeyStoreHarness> (*)();

class ApiKeyStoreContractTest : public ::testing::TestWithParam<ApiKeyStoreHarnessFactory> {
 protected:
  void SetUp() override {
    harness_ = GetParam()();
    ASSERT_TRUE(harness_->Start().ok());
  }
  ApiKeyStore& store() { return harness_->store(); }
  FakeClock& clock() { return harness_->clock(); }

  std::unique_ptr<ApiKeyStoreHarness> harness_;
};

}  // namespace kirim::testing

#endif  // KIRIM_TESTS_AUTH_API_KEY_STORE_CONTRACT_H_
