// The Resolver contract (see resolver_contract.h and server/dns/resolver.h).
#include "tests/dns/resolver_contract.h"

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"

namespace kirim::testing {

const TestZone& ContractZone() {
  static const TestZone* const zone = new TestZone{
      .mx =
          {
              // Case and the trailing dot as a zone file has them: answers come back canonical.
              {"two.test.", 10, "MX1.Two.Test."},
              {"two.test.", 20, "mx2.two.test."},
              {"equal.test.", 10, "a.equal.test."},
              {"equal.test.", 10, "b.equal.test."},
              {"nullmx.test.", 0, "."},
          },
      .addresses =
          {
              {"aonly.test.", "192.0.2.10"},
              {"v6.test.", "2001:db8::25"},
              // AAAA listed first: answers still put IPv4 first.
              {"dual.test.", "2001:db8::26"},
              {"dual.test.", "192.0.2.26"},
          },
      .txt =
          {
              // 560 bytes in three character-strings: over 255, and over 512 as a UDP reply.
              {"txt.test.", {std::string(250, 'a'), std::string(250, 'b'), std::string(60, 'c')}},
              {"txt.test.", {"v=spf1 -all"}},
          },
  };
  return *zone;
}

namespace {

using dns::MxRecord;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::UnorderedElementsAre;

TEST_P(ResolverContractTest, MxRecordsComeBackInCanonicalForm) {
  absl::StatusOr<std::vector<MxRecord>> mx = resolver().LookupMx("two.test");
  ASSERT_TRUE(mx.ok()) << mx.status();
  EXPECT_THAT(*mx,
              UnorderedElementsAre(MxRecord{10, "mx1.two.test"}, MxRecord{20, "mx2.two.test"}));
}

TEST_P(ResolverContractTest, EqualPreferenceMxAreAllReturned) {
  absl::StatusOr<std::vector<MxRecord>> mx = resolver().LookupMx("equal.test");
  ASSERT_TRUE(mx.ok()) << mx.status();
  EXPECT_THAT(*mx,
              UnorderedElementsAre(MxRecord{10, "a.equal.test"}, MxRecord{10, "b.equal.test"}));
}

TEST_P(ResolverContractTest, NullMxIsOneRecordWithEmptyExchange) {
  absl::StatusOr<std::vector<MxRecord>> mx = resolver().LookupMx("nullmx.test");
  ASSERT_TRUE(mx.ok()) << mx.status();
  EXPECT_THAT(*mx, ElementsAre(MxRecord{0, ""}));
}

TEST_P(ResolverContractTest, NamesIgnoreCaseAndTrailingDot) {
  for (const char* name : {"TWO.Test", "two.test.", "Two.TEST."}) {
    absl::StatusOr<std::vector<MxRecord>> mx = resolver().LookupMx(name);
    ASSERT_TRUE(mx.ok()) << name << ": " << mx.status();
    EXPECT_EQ(mx->size(), 2) << name;
  }
}

TEST_P(ResolverContractTest, ExistingNameWithoutThatTypeIsNodata) {
  absl::StatusOr<std::vector<MxRecord>> mx = resolver().LookupMx("aonly.test");
  EXPECT_EQ(mx.status().code(), absl::StatusCode::kNotFound) << mx.status();
  EXPECT_THAT(mx.status().message(), HasSubstr("NODATA"));

  absl::StatusOr<std::vector<std::string>> txt = resolver().LookupTxt("two.test");
  EXPECT_EQ(txt.status().code(), absl::StatusCode::kNotFound) << txt.status();
  EXPECT_THAT(txt.status().message(), HasSubstr("NODATA"));

  absl::StatusOr<std::vector<std::string>> addresses = resolver().LookupAddresses("two.test");
  EXPECT_EQ(addresses.status().code(), absl::StatusCode::kNotFound) << addresses.status();
  EXPECT_THAT(addresses.status().message(), HasSubstr("NODATA"));
}

TEST_P(ResolverContractTest, UnknownNameIsNxdomainForEveryType) {
  absl::StatusOr<std::vector<MxRecord>> mx = resolver().LookupMx("nope.test");
  EXPECT_EQ(mx.status().code(), absl::StatusCode::kNotFound) << mx.status();
  EXPECT_THAT(mx.status().message(), HasSubstr("NXDOMAIN"));
  EXPECT_THAT(mx.status().message(), HasSubstr("nope.test"));

  absl::StatusOr<std::vector<std::string>> addresses = resolver().LookupAddresses("nope.test");
  EXPECT_EQ(addresses.status().code(), absl::StatusCode::kNotFound) << addresses.status();
  EXPECT_THAT(addresses.status().message(), HasSubstr("NXDOMAIN"));

  absl::StatusOr<std::vector<std::string>> txt = resolver().LookupTxt("nope.test");
  EXPECT_EQ(txt.status().code(), absl::StatusCode::kNotFound) << txt.status();
  EXPECT_THAT(txt.status().message(), HasSubstr("NXDOMAIN"));
}

TEST_P(ResolverContractTest, ARecordOnly) {
  absl::StatusOr<std::vector<std::string>> addresses = resolver().LookupAddresses("aonly.test");
  ASSERT_TRUE(addresses.ok()) << addresses.status();
  EXPECT_THAT(*addresses, ElementsAre("192.0.2.10"));
}

TEST_P(ResolverContractTest, AaaaRecordOnly) {
  absl::StatusOr<std::vector<std::string>> addresses = resolver().LookupAddresses("v6.test");
  ASSERT_TRUE(addresses.ok()) << addresses.status();
  EXPECT_THAT(*addresses, ElementsAre("2001:db8::25"));
}

TEST_P(ResolverContractTest, BothFamiliesIpv4First) {
  absl::StatusOr<std::vector<std::string>> addresses = resolver().LookupAddresses("dual.test");
  ASSERT_TRUE(addresses.ok()) << addresses.status();
  EXPECT_THAT(*addresses, ElementsAre("192.0.2.26", "2001:db8::26"));
}

TEST_P(ResolverContractTest, TxtRecordStringsAreConcatenatedPerRecord) {
  absl::StatusOr<std::vector<std::string>> txt = resolver().LookupTxt("txt.test");
  ASSERT_TRUE(txt.ok()) << txt.status();
  const std::string long_record =
      absl::StrCat(std::string(250, 'a'), std::string(250, 'b'), std::string(60, 'c'));
  EXPECT_THAT(*txt, UnorderedElementsAre(long_record, "v=spf1 -all"));
}

}  // namespace
}  // namespace kirim::testing
