// ResolveMx (RFC 5321 §5.1 route selection) against FakeResolver, with a seeded FakeRandom.
#include "server/dns/mx_router.h"

#include <set>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "tests/common/fake_random.h"
#include "tests/dns/fake_resolver.h"

namespace kirim::testing {
namespace {

using dns::MxHost;
using dns::ResolveMx;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::UnorderedElementsAre;

std::vector<std::string> Hosts(const std::vector<MxHost>& route) {
  std::vector<std::string> hosts;
  for (const MxHost& mx : route) hosts.push_back(mx.host);
  return hosts;
}

TEST(ResolveMxTest, SortsByPreferenceLowestFirst) {
  FakeResolver dns;
  dns.AddMx("example.test", 30, "c.example.test");
  dns.AddMx("example.test", 10, "a.example.test");
  dns.AddMx("example.test", 20, "b.example.test");
  FakeRandom random;

  absl::StatusOr<std::vector<MxHost>> route = ResolveMx(dns, random, "example.test");
  ASSERT_TRUE(route.ok()) << route.status();
  EXPECT_THAT(*route, ElementsAre(MxHost{"a.example.test", 10}, MxHost{"b.example.test", 20},
                                  MxHost{"c.example.test", 30}));
  // MX records were enough: no address lookup of the domain.
  EXPECT_THAT(dns.queries(), ElementsAre("MX example.test"));
}

TEST(ResolveMxTest, EqualPreferencesAreShuffledAndBothOrdersAppear) {
  FakeResolver dns;
  dns.AddMx("example.test", 10, "a.example.test");
  dns.AddMx("example.test", 10, "b.example.test");
  dns.AddMx("example.test", 5, "first.example.test");
  dns.AddMx("example.test", 50, "last.example.test");

  std::set<std::vector<std::string>> orders;
  for (uint64_t seed = 1; seed <= 64; ++seed) {
    FakeRandom random(seed);
    absl::StatusOr<std::vector<MxHost>> route = ResolveMx(dns, random, "example.test");
    ASSERT_TRUE(route.ok()) << route.status();
    std::vector<std::string> hosts = Hosts(*route);
    // Shuffling never crosses preferences.
    ASSERT_EQ(hosts.size(), 4);
    EXPECT_EQ(hosts.front(), "first.example.test");
    EXPECT_EQ(hosts.back(), "last.example.test");
    orders.insert(hosts);
  }
  EXPECT_THAT(orders, UnorderedElementsAre(ElementsAre("first.example.test", "a.example.test",
                                                       "b.example.test", "last.example.test"),
                                           ElementsAre("first.example.test", "b.example.test",
                                                       "a.example.test", "last.example.test")));
}

TEST(ResolveMxTest, ThreeEqualHostsReachEveryOrder) {
  FakeResolver dns;
  for (const char* host : {"a.example.test", "b.example.test", "c.example.test"}) {
    dns.AddMx("example.test", 10, host);
  }
  std::set<std::vector<std::string>> orders;
  for (uint64_t seed = 1; seed <= 200; ++seed) {
    FakeRandom random(seed);
    absl::StatusOr<std::vector<MxHost>> route = ResolveMx(dns, random, "example.test");
    ASSERT_TRUE(route.ok()) << route.status();
    orders.insert(Hosts(*route));
  }
  EXPECT_EQ(orders.size(), 6);  // 3! permutations
}

TEST(ResolveMxTest, SameSeedSameRoute) {
  FakeResolver dns;
  for (const char* host : {"a.example.test", "b.example.test", "c.example.test"}) {
    dns.AddMx("example.test", 10, host);
  }
  FakeRandom first(42), second(42);
  absl::StatusOr<std::vector<MxHost>> a = ResolveMx(dns, first, "example.test");
  absl::StatusOr<std::vector<MxHost>> b = ResolveMx(dns, second, "example.test");
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(*a, *b);
}

TEST(ResolveMxTest, DuplicateExchangeKeepsItsBestPreference) {
  FakeResolver dns;
  dns.AddMx("example.test", 20, "mx.example.test");
  dns.AddMx("example.test", 10, "MX.Example.Test.");
  dns.AddMx("example.test", 10, "mx.example.test");
  dns.AddMx("example.test", 15, "other.example.test");
  FakeRandom random;

  absl::StatusOr<std::vector<MxHost>> route = ResolveMx(dns, random, "example.test");
  ASSERT_TRUE(route.ok()) << route.status();
  EXPECT_THAT(*route, ElementsAre(MxHost{"mx.example.test", 10}, MxHost{"other.example.test", 15}));
}

TEST(ResolveMxTest, NoMxButAddressIsImplicitMx) {
  for (const char* ip : {"192.0.2.1", "2001:db8::1"}) {
    FakeResolver dns;
    dns.AddAddress("example.test", ip);
    dns.AddTxt("example.test", "v=spf1 -all");  // the name exists: MX is NODATA
    FakeRandom random;

    absl::StatusOr<std::vector<MxHost>> route = ResolveMx(dns, random, "example.test");
    ASSERT_TRUE(route.ok()) << ip << ": " << route.status();
    EXPECT_THAT(*route, ElementsAre(MxHost{"example.test", 0, /*implicit=*/true})) << ip;
  }
}

TEST(ResolveMxTest, NullMxIsPermanentFailure) {
  FakeResolver dns;
  dns.AddMx("example.test", 0, ".");
  // An address must not resurrect the domain (RFC 7505 §3: no implicit MX).
  dns.AddAddress("example.test", "192.0.2.1");
  FakeRandom random;

  absl::StatusOr<std::vector<MxHost>> route = ResolveMx(dns, random, "example.test");
  EXPECT_EQ(route.status().code(), absl::StatusCode::kFailedPrecondition) << route.status();
  EXPECT_THAT(route.status().message(), HasSubstr("domain accepts no mail (null MX, RFC 7505)"));
  EXPECT_THAT(dns.queries(), ElementsAre("MX example.test"));
}

TEST(ResolveMxTest, NullMxNextToRealExchangesIsIgnored) {
  FakeResolver dns;
  dns.AddMx("example.test", 0, ".");
  dns.AddMx("example.test", 10, "mx.example.test");
  FakeRandom random;

  absl::StatusOr<std::vector<MxHost>> route = ResolveMx(dns, random, "example.test");
  ASSERT_TRUE(route.ok()) << route.status();
  EXPECT_THAT(*route, ElementsAre(MxHost{"mx.example.test", 10}));
}

TEST(ResolveMxTest, TransientMxFailureIsUnavailableWithoutFallback) {
  FakeResolver dns;
  dns.AddAddress("example.test", "192.0.2.1");
  dns.SetFailure("example.test", absl::UnavailableError("DNS MX lookup: SERVFAIL"),
                 FakeResolver::Type::kMx);
  FakeRandom random;

  absl::StatusOr<std::vector<MxHost>> route = ResolveMx(dns, random, "example.test");
  EXPECT_EQ(route.status().code(), absl::StatusCode::kUnavailable) << route.status();
  EXPECT_THAT(route.status().message(), HasSubstr("SERVFAIL"));
  // Falling back to the A record here would skip the real MX hosts (RFC 5321 §5.1).
  EXPECT_THAT(dns.queries(), ElementsAre("MX example.test"));
}

TEST(ResolveMxTest, TransientAddressFailureAfterNoMxIsUnavailable) {
  FakeResolver dns;
  dns.AddTxt("example.test", "hello");
  dns.SetFailure("example.test", absl::UnavailableError("timeout"), FakeResolver::Type::kAddress);
  FakeRandom random;

  absl::StatusOr<std::vector<MxHost>> route = ResolveMx(dns, random, "example.test");
  EXPECT_EQ(route.status().code(), absl::StatusCode::kUnavailable) << route.status();
}

TEST(ResolveMxTest, NeitherMxNorAddressIsNotFound) {
  FakeResolver dns;
  dns.AddTxt("exists.test", "v=spf1 -all");
  FakeRandom random;

  absl::StatusOr<std::vector<MxHost>> nodata = ResolveMx(dns, random, "exists.test");
  EXPECT_EQ(nodata.status().code(), absl::StatusCode::kNotFound) << nodata.status();
  EXPECT_THAT(nodata.status().message(), HasSubstr("no MX and no A/AAAA records"));
  EXPECT_THAT(nodata.status().message(), HasSubstr("NODATA"));

  absl::StatusOr<std::vector<MxHost>> nxdomain = ResolveMx(dns, random, "nowhere.test");
  EXPECT_EQ(nxdomain.status().code(), absl::StatusCode::kNotFound) << nxdomain.status();
  EXPECT_THAT(nxdomain.status().message(), HasSubstr("NXDOMAIN"));
}

TEST(ResolveMxTest, TrailingDotAndCaseAreNormalized) {
  FakeResolver dns;
  dns.AddAddress("example.test", "192.0.2.1");
  FakeRandom random;

  absl::StatusOr<std::vector<MxHost>> route = ResolveMx(dns, random, "Example.TEST.");
  ASSERT_TRUE(route.ok()) << route.status();
  EXPECT_THAT(*route, ElementsAre(MxHost{"example.test", 0, /*implicit=*/true}));
  EXPECT_THAT(dns.queries(), ElementsAre("MX example.test", "ADDR example.test"));
}

TEST(ResolveMxTest, InvalidDomainsAreRejectedWithoutLookups) {
  FakeResolver dns;
  FakeRandom random;
  const std::vector<std::string> invalid = {
      "",
      ".",
      "example",  // one label: Kirim's address syntax wants two
      "exa mple.test",
      "-bad.test",
      "bad-.test",
      "a..test",
      "example.test..",
      "user@example.test",
      "[192.0.2.1]",  // address literal: no MX lookup for those
      "[IPv6:2001:db8::1]",
      "192.0.2.1",           // an IP address missing its brackets (all-numeric TLD)
      "b\303\274cher.test",  // U-label: convert to A-labels (xn--) first
      std::string(64, 'a') + ".test",
      "example.test\r\nRCPT TO:<x@y>",
  };
  for (const std::string& domain : invalid) {
    absl::StatusOr<std::vector<MxHost>> route = ResolveMx(dns, random, domain);
    EXPECT_EQ(route.status().code(), absl::StatusCode::kInvalidArgument)
        << "\"" << domain << "\": " << route.status();
  }
  EXPECT_THAT(dns.queries(), IsEmpty());
}

}  // namespace
}  // namespace kirim::testing
