// FakeSuppressionStore against the SuppressionStore contract, so tests that use it test real
// behaviour.
#include "tests/suppression/fake_suppression_store.h"

#include "tests/suppression/suppression_store_contract.h"

namespace kirim::testing {
namespace {

class FakeHarness final : public SuppressionStoreHarness {
 public:
  absl::Status Start() override { return absl::OkStatus(); }
  SuppressionStore& store() override { return store_; }
  void TakeDown() override { store_.set_unavailable(true); }

 private:
  FakeSuppressionStore store_;
};

std::unique_ptr<SuppressionStoreHarness> MakeFakeHarness() {
  return std::make_unique<FakeHarness>();
}

INSTANTIATE_TEST_SUITE_P(Fake, SuppressionStoreContractTest, ::testing::Values(&MakeFakeHarness));

TEST(FakeSuppressionStoreTest, ComesBackAndCountsLookups) {
  FakeSuppressionStore store;
  ASSERT_TRUE(store.Add("acme", {"a@example.com", v1::Suppression::MANUAL, "", absl::FromUnixSeconds(1767323045)}).ok());
  store.set_unavailable(true);
  EXPECT_EQ(store.Lookup("acme", {"a@example.com"}).status().code(),
            absl::StatusCode::kUnavailable);
  store.set_unavailable(false);
  auto hits = store.Lookup("acme", {"a@example.com", "b@example.com"});
  ASSERT_TRUE(hits.ok()) << hits.status();
  EXPECT_TRUE((*hits)[0].has_value());
  EXPECT_EQ(store.lookup_calls(), 2);  // one per call, however many addresses
  ASSERT_TRUE(store.Lookup("acme", {}).ok());
  EXPECT_EQ(store.lookup_calls(), 2);  // an empty lookup asks nothing
}

}  // namespace
}  // namespace kirim::testing
