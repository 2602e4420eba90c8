// FakeResolver against the Resolver contract, so tests that use it test real behaviour, plus
// the fake's own knobs.
#include "tests/dns/fake_resolver.h"

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_join.h"
#include "gmock/gmock.h"
#include "tests/dns/resolver_contract.h"

namespace kirim::testing {
namespace {

using ::testing::ElementsAre;

class FakeHarness final : public ResolverHarness {
 public:
  absl::Status Start(const TestZone& zone) override {
    for (const TestZone::Mx& mx : zone.mx) resolver_.AddMx(mx.name, mx.preference, mx.exchange);
    for (const TestZone::Address& a : zone.addresses) resolver_.AddAddress(a.name, a.ip);
    for (const TestZone::Txt& t : zone.txt) resolver_.AddTxt(t.name, absl::StrJoin(t.strings, ""));
    return absl::OkStatus();
  }
  dns::Resolver& resolver() override { return resolver_; }

 private:
  FakeResolver resolver_;
};

std::unique_ptr<ResolverHarness> MakeFakeHarness() { return std::make_unique<FakeHarness>(); }

INSTANTIATE_TEST_SUITE_P(Fake, ResolverContractTest, ::testing::Values(&MakeFakeHarness));

TEST(FakeResolverTest, FailureForOneTypeLeavesTheOthersAlone) {
  FakeResolver dns;
  dns.AddMx("example.test", 10, "mx.example.test");
  dns.AddAddress("example.test", "192.0.2.1");
  dns.SetFailure("Example.Test.", absl::UnavailableError("SERVFAIL"), FakeResolver::Type::kMx);

  EXPECT_EQ(dns.LookupMx("example.test").status().code(), absl::StatusCode::kUnavailable);
  EXPECT_TRUE(dns.LookupAddresses("example.test").ok());
}

TEST(FakeResolverTest, FailureForAnyTypeAndClearing) {
  FakeResolver dns;
  dns.AddMx("example.test", 10, "mx.example.test");
  dns.SetFailure("example.test", absl::UnavailableError("timeout"));
  EXPECT_EQ(dns.LookupMx("example.test").status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(dns.LookupTxt("example.test").status().code(), absl::StatusCode::kUnavailable);
  // A failure can stand in for a name that has no records at all.
  dns.SetFailure("unknown.test", absl::UnavailableError("timeout"));
  EXPECT_EQ(dns.LookupMx("unknown.test").status().code(), absl::StatusCode::kUnavailable);

  dns.SetFailure("example.test", absl::OkStatus());
  EXPECT_TRUE(dns.LookupMx("example.test").ok());
}

TEST(FakeResolverTest, RecordsQueriesAsAsked) {
  FakeResolver dns;
  (void)dns.LookupMx("A.test");
  (void)dns.LookupAddresses("b.test.");
  (void)dns.LookupTxt("c.test");
  EXPECT_THAT(dns.queries(), ElementsAre("MX A.test", "ADDR b.test.", "TXT c.test"));
}

}  // namespace
}  // namespace kirim::testing
