// FakeApiKeyStore against the ApiKeyStore contract, so tests that use it test real behaviour.
#include "tests/auth/fake_api_key_store.h"

#include "tests/auth/api_key_store_contract.h"

namespace kirim::testing {
namespace {

class FakeHarness final : public ApiKeyStoreHarness {
 public:
  absl::Status Start() override { return absl::OkStatus(); }
  ApiKeyStore& store() override { return store_; }
  FakeClock& clock() override { return clock_; }
  void TakeDown() override { store_.set_unavailable(true); }

 private:
  FakeClock clock_;
  FakeRandom random_;
  FakeApiKeyStore store_{clock_, random_};
};

std::unique_ptr<ApiKeyStoreHarness> MakeFakeHarness() { return std::make_unique<FakeHarness>(); }

INSTANTIATE_TEST_SUITE_P(Fake, ApiKeyStoreContractTest, ::testing::Values(&MakeFakeHarness));

TEST(FakeApiKeyStoreTest, DefaultConstructedWorksAndComesBack) {
  FakeApiKeyStore store;
  absl::StatusOr<NewApiKey> made = store.Create("acme", "", {v1::ApiKey::SEND});
  ASSERT_TRUE(made.ok()) << made.status();
  store.set_unavailable(true);
  EXPECT_EQ(store.Verify(made->secret).status().code(), absl::StatusCode::kUnavailable);
  store.set_unavailable(false);
  EXPECT_TRUE(store.Verify(made->secret).ok());
}

}  // namespace
}  // namespace kirim::testing
