// The TemplateStore contract as one test suite, run against every implementation (the Redis
// store and the fake), so the fake that other tests rely on behaves like production.
//
//   class MyHarness : public TemplateStoreHarness { ... };
//   std::unique_ptr<TemplateStoreHarness> MakeMy() { return std::make_unique<MyHarness>(); }
//   INSTANTIATE_TEST_SUITE_P(My, TemplateStoreContractTest, ::testing::Values(&MakeMy));
//
// The test bodies live in template_store_contract.cc (an alwayslink library), so a test binary
// only adds the INSTANTIATE line.
#ifndef KIRIM_TESTS_TEMPLATES_TEMPLATE_STORE_CONTRACT_H_
#define KIRIM_TESTS_TEMPLATES_TEMPLATE_STORE_CONTRACT_H_

#include <memory>

#include "absl/status/status.h"
#include "gtest/gtest.h"
#include "server/templates/template_store.h"

namespace kirim::testing {

// One store under test with its surroundings.
class TemplateStoreHarness {
 public:
  virtual ~TemplateStoreHarness() = default;
  // Brings up what the store needs (a Redis server, say). Called once, before store().
  virtual absl::Status Start() = 0;
  virtual TemplateStore& store() = 0;
  // From now on, the store's backend is down (every call that needs it fails).
  virtual void TakeDown() = 0;
};

using TemplateStoreHarnessFactory = std::unique_ptr<TemplateStoreHarness> (*)();

class TemplateStoreContractTest : public ::testing::TestWithParam<TemplateStoreHarnessFactory> {
 protected:
  void SetUp() override {
    harness_ = GetParam()();
    ASSERT_TRUE(harness_->Start().ok());
  }
  TemplateStore& store() { return harness_->store(); }

  std::unique_ptr<TemplateStoreHarness> harness_;
};

}  // namespace kirim::testing

#endif  // KIRIM_TESTS_TEMPLATES_TEMPLATE_STORE_CONTRACT_H_
