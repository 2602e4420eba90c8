// The Resolver contract (server/dns/resolver.h) as one test suite, run against every
// implementation (CaresResolver against a real DNS server, and FakeResolver), so the fake that
// other tests rely on behaves like production.
//
//   class MyHarness : public ResolverHarness { ... };
//   std::unique_ptr<ResolverHarness> MakeMyHarness() { return std::make_unique<MyHarness>(); }
//   INSTANTIATE_TEST_SUITE_P(My, ResolverContractTest, ::testing::Values(&MakeMyHarness));
//
// The test bodies live in resolver_contract.cc (an alwayslink library), so a test binary only
// adds the INSTANTIATE line. Every harness serves ContractZone().
#ifndef KIRIM_TESTS_DNS_RESOLVER_CONTRACT_H_
#define KIRIM_TESTS_DNS_RESOLVER_CONTRACT_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "gtest/gtest.h"
#include "server/dns/resolver.h"

namespace kirim::testing {

// Records to serve, as written in a zone file: names may carry any case and a trailing dot.
struct TestZone {
  struct Mx {
    std::string name;
    int preference;
    std::string exchange;  // "." = null MX
  };
  struct Address {
    std::string name;
    std::string ip;  // an IPv4 address is an A record, an IPv6 address (with ':') AAAA
  };
  struct Txt {
    std::string name;
    std::vector<std::string> strings;  // the record's character-strings, each <= 255 bytes
  };
  std::vector<Mx> mx;
  std::vector<Address> addresses;
  std::vector<Txt> txt;
};

// The zone every contract test queries (names under .test, RFC 2606).
const TestZone& ContractZone();

// One resolver under test with what it needs.
class ResolverHarness {
 public:
  virtual ~ResolverHarness() = default;
  // Brings up a resolver that answers from `zone`. Called once, before resolver().
  virtual absl::Status Start(const TestZone& zone) = 0;
  virtual dns::Resolver& resolver() = 0;
};

using ResolverHarnessFactory = std::unique_ptr<ResolverHarness> (*)();

class ResolverContractTest : public ::testing::TestWithParam<ResolverHarnessFactory> {
 protected:
  void SetUp() override {
    harness_ = GetParam()();
    absl::Status started = harness_->Start(ContractZone());
    ASSERT_TRUE(started.ok()) << started;
  }
  dns::Resolver& resolver() { return harness_->resolver(); }

  std::unique_ptr<ResolverHarness> harness_;
};

}  // namespace kirim::testing

#endif  // KIRIM_TESTS_DNS_RESOLVER_CONTRACT_H_
