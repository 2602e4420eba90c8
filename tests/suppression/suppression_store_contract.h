// The SuppressionStore contract as one test suite, run against every implementation (the Redis
// store and the fake), so the fake that other tests rely on behaves like production.
//
//   class MyHarness : public SuppressionStoreHarness { ... };
//   std::unique_ptr<SuppressionStoreHarness> MakeMy() { return std::make_unique<MyHarness>(); }
//   INSTANTIATE_TEST_SUITE_P(My, SuppressionStoreContractTest, ::testing::Values(&MakeMy));
//
// The test bodies live in suppression_store_contract.cc (an alwayslink library), so a test
// binary only adds the INSTANTIATE line.
#ifndef KIRIM_TESTS_SUPPRESSION_SUPPRESSION_STORE_CONTRACT_H_
#define KIRIM_TESTS_SUPPRESSION_SUPPRESSION_STORE_CONTRACT_H_

#include <memory>

#include "absl/status/status.h"
#include "gtest/gtest.h"
#include "server/suppression/suppression_store.h"

namespace kirim::testing {

// One store under test with its surroundings.
class SuppressionStoreHarness {
 public:
  virtual ~SuppressionStoreHarness() = default;
  // Brings up what the store needs (a Redis server, say). Called once, before store().
  virtual absl::Status Start() = 0;
  virtual SuppressionStore& store() = 0;
  // From now on, the store's backend is down (every call that needs it fails).
  virtual void TakeDown() = 0;
};

using SuppressionStoreHarnessFactory = std::unique_ptr<SuppressionStoreHarness> (*)();

class SuppressionStoreContractTest
    : public ::testing::TestWithParam<SuppressionStoreHarnessFactory> {
 protected:
  void SetUp() override {
    harness_ = GetParam()();
    ASSERT_TRUE(harness_->Start().ok());
  }
  SuppressionStore& store() { return harness_->store(); }

  std::unique_ptr<SuppressionStoreHarness> harness_;
};

}  // namespace kirim::testing

#endif  // KIRIM_TESTS_SUPPRESSION_SUPPRESSION_STORE_CONTRACT_H_
