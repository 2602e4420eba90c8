// The SuppressionStore contract (see suppression_store_contract.h and
// server/suppression/suppression_store.h).
#include "tests/suppression/suppression_store_contract.h"

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"

namespace kirim::testing {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;
using Reason = v1::Suppression::Reason;

constexpr auto kInvalid = absl::StatusCode::kInvalidArgument;
// A fixed instant with nanoseconds, so a store that rounds times is caught.
const absl::Time kT0 = absl::FromUnixNanos(1767323045123456789);

SuppressionEntry Entry(std::string address, Reason reason, std::string detail = "",
                       absl::Time at = kT0) {
  return SuppressionEntry{std::move(address), reason, std::move(detail), at};
}

std::vector<std::string> Addresses(const std::vector<SuppressionEntry>& entries) {
  std::vector<std::string> out;
  for (const SuppressionEntry& e : entries) out.push_back(e.address);
  return out;
}

// The one entry stored for `address`, or nullopt.
std::optional<SuppressionEntry> Get(SuppressionStore& store, const std::string& tenant,
                                    const std::string& address) {
  auto hits = store.Lookup(tenant, {address});
  EXPECT_TRUE(hits.ok()) << hits.status();
  if (!hits.ok() || hits->size() != 1) return std::nullopt;
  return (*hits)[0];
}

// Every address of the tenant, page after page.
std::vector<std::string> ListAll(SuppressionStore& store, const std::string& tenant,
                                 int page_size) {
  std::vector<std::string> out;
  std::string token;
  do {
    auto page = store.List(tenant, page_size, token);
    EXPECT_TRUE(page.ok()) << page.status();
    if (!page.ok()) break;
    for (const std::string& a : Addresses(page->first)) out.push_back(a);
    token = page->second;
  } while (!token.empty());
  return out;
}

TEST_P(SuppressionStoreContractTest, AddedAddressIsFoundWithItsDomainLowerCased) {
  ASSERT_TRUE(store().Add("acme", Entry("Ana@Example.COM", v1::Suppression::MANUAL, "asked")).ok());
  auto hits = store().Lookup(
      "acme", {"Ana@example.com", "ana@example.com", "Ana@EXAMPLE.com", "bo@example.com"});
  ASSERT_TRUE(hits.ok()) << hits.status();
  ASSERT_EQ(hits->size(), 4u);
  ASSERT_TRUE((*hits)[0].has_value());
  EXPECT_EQ((*hits)[0]->address, "Ana@example.com");
  EXPECT_EQ((*hits)[0]->reason, v1::Suppression::MANUAL);
  EXPECT_EQ((*hits)[0]->detail, "asked");
  EXPECT_EQ((*hits)[0]->create_time, kT0);
  // RFC 5321 §2.4: the local part is the receiving host's business, so its case counts.
  EXPECT_FALSE((*hits)[1].has_value());
  ASSERT_TRUE((*hits)[2].has_value());
  EXPECT_EQ((*hits)[2]->address, "Ana@example.com");
  EXPECT_FALSE((*hits)[3].has_value());
}

TEST_P(SuppressionStoreContractTest, LookupAnswersInOrderWithRepeats) {
  ASSERT_TRUE(store().Add("acme", Entry("a@example.com", v1::Suppression::HARD_BOUNCE)).ok());
  ASSERT_TRUE(store().Add("acme", Entry("c@example.com", v1::Suppression::COMPLAINT)).ok());
  auto hits = store().Lookup("acme", {"c@example.com", "b@example.com", "a@example.com",
                                      "c@EXAMPLE.com", "\"quoted\"@example.com"});
  ASSERT_TRUE(hits.ok()) << hits.status();
  ASSERT_EQ(hits->size(), 5u);
  EXPECT_EQ((*hits)[0]->reason, v1::Suppression::COMPLAINT);
  EXPECT_FALSE((*hits)[1].has_value());
  EXPECT_EQ((*hits)[2]->reason, v1::Suppression::HARD_BOUNCE);
  EXPECT_EQ((*hits)[3]->address, "c@example.com");
  EXPECT_FALSE((*hits)[4].has_value());

  auto none = store().Lookup("acme", {});
  ASSERT_TRUE(none.ok()) << none.status();
  EXPECT_THAT(*none, IsEmpty());
}

TEST_P(SuppressionStoreContractTest, AddingTheSameEntryAgainChangesNothing) {
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(store().Add("acme", Entry("a@example.com", v1::Suppression::MANUAL, "x")).ok());
    ASSERT_TRUE(store().Add("acme", Entry("a@EXAMPLE.com", v1::Suppression::MANUAL, "x")).ok());
  }
  auto page = store().List("acme", 0, "");
  ASSERT_TRUE(page.ok()) << page.status();
  ASSERT_EQ(page->first.size(), 1u);
  EXPECT_EQ(page->first[0].address, "a@example.com");
  EXPECT_EQ(page->first[0].detail, "x");
  EXPECT_EQ(page->first[0].create_time, kT0);
  EXPECT_EQ(page->second, "");
}

TEST_P(SuppressionStoreContractTest, AStrongerReasonReplacesTheEntry) {
  // MANUAL < HARD_BOUNCE < UNSUBSCRIBE < COMPLAINT, each later than the last.
  absl::Time at = kT0;
  for (Reason r : {v1::Suppression::MANUAL, v1::Suppression::HARD_BOUNCE,
                   v1::Suppression::UNSUBSCRIBE, v1::Suppression::COMPLAINT}) {
    at += absl::Minutes(1);
    ASSERT_TRUE(store().Add("acme", Entry("a@example.com", r, v1::Suppression::Reason_Name(r), at))
                    .ok());
    std::optional<SuppressionEntry> e = Get(store(), "acme", "a@example.com");
    ASSERT_TRUE(e.has_value());
    EXPECT_EQ(e->reason, r);
    EXPECT_EQ(e->detail, v1::Suppression::Reason_Name(r));
    EXPECT_EQ(e->create_time, at);
  }
}

TEST_P(SuppressionStoreContractTest, AStrongerReasonWinsEvenWithAnOlderTime) {
  ASSERT_TRUE(store().Add("acme", Entry("a@example.com", v1::Suppression::HARD_BOUNCE, "550",
                                        kT0 + absl::Hours(1)))
                  .ok());
  ASSERT_TRUE(store().Add("acme", Entry("a@example.com", v1::Suppression::UNSUBSCRIBE, "link")).ok());
  std::optional<SuppressionEntry> e = Get(store(), "acme", "a@example.com");
  ASSERT_TRUE(e.has_value());
  EXPECT_EQ(e->reason, v1::Suppression::UNSUBSCRIBE);
  EXPECT_EQ(e->detail, "link");
  EXPECT_EQ(e->create_time, kT0);
}

TEST_P(SuppressionStoreContractTest, AWeakerReasonNeverDowngradesConsent) {
  ASSERT_TRUE(store().Add("acme", Entry("a@example.com", v1::Suppression::COMPLAINT, "fbl")).ok());
  ASSERT_TRUE(store().Add("acme", Entry("u@example.com", v1::Suppression::UNSUBSCRIBE, "link")).ok());
  for (Reason weaker : {v1::Suppression::MANUAL, v1::Suppression::HARD_BOUNCE}) {
    ASSERT_TRUE(
        store().Add("acme", Entry("a@example.com", weaker, "later", kT0 + absl::Hours(1))).ok());
    ASSERT_TRUE(
        store().Add("acme", Entry("u@example.com", weaker, "later", kT0 + absl::Hours(1))).ok());
  }
  ASSERT_TRUE(store().Add("acme", Entry("a@example.com", v1::Suppression::UNSUBSCRIBE, "later",
                                        kT0 + absl::Hours(2)))
                  .ok());
  std::optional<SuppressionEntry> a = Get(store(), "acme", "a@example.com");
  ASSERT_TRUE(a.has_value());
  EXPECT_EQ(a->reason, v1::Suppression::COMPLAINT);
  EXPECT_EQ(a->detail, "fbl");
  EXPECT_EQ(a->create_time, kT0);
  std::optional<SuppressionEntry> u = Get(store(), "acme", "u@example.com");
  ASSERT_TRUE(u.has_value());
  EXPECT_EQ(u->reason, v1::Suppression::UNSUBSCRIBE);
  EXPECT_EQ(u->detail, "link");
}

TEST_P(SuppressionStoreContractTest, TheSameReasonRefreshesDetailAndTimeButNeverGoesBack) {
  ASSERT_TRUE(store().Add("acme", Entry("a@example.com", v1::Suppression::HARD_BOUNCE,
                                        "550 5.1.1 unknown user"))
                  .ok());
  const absl::Time later = kT0 + absl::Hours(24);
  ASSERT_TRUE(store().Add("acme", Entry("a@example.com", v1::Suppression::HARD_BOUNCE,
                                        "550 5.1.1 still unknown", later))
                  .ok());
  std::optional<SuppressionEntry> e = Get(store(), "acme", "a@example.com");
  ASSERT_TRUE(e.has_value());
  EXPECT_EQ(e->detail, "550 5.1.1 still unknown");
  EXPECT_EQ(e->create_time, later);

  // A late report of an older bounce (a replayed message) leaves the newer one in place.
  ASSERT_TRUE(store().Add("acme", Entry("a@example.com", v1::Suppression::HARD_BOUNCE,
                                        "550 old", kT0 + absl::Hours(1)))
                  .ok());
  e = Get(store(), "acme", "a@example.com");
  ASSERT_TRUE(e.has_value());
  EXPECT_EQ(e->detail, "550 5.1.1 still unknown");
  EXPECT_EQ(e->create_time, later);
}

TEST_P(SuppressionStoreContractTest, RemoveSaysWhetherTheAddressWasSuppressed) {
  ASSERT_TRUE(store().Add("acme", Entry("Ana@example.com", v1::Suppression::COMPLAINT)).ok());
  ASSERT_TRUE(store().Add("acme", Entry("bo@example.com", v1::Suppression::MANUAL)).ok());
  absl::StatusOr<bool> removed = store().Remove("acme", "Ana@EXAMPLE.COM");
  ASSERT_TRUE(removed.ok()) << removed.status();
  EXPECT_TRUE(*removed);  // whatever the reason: removing is the operator's call
  EXPECT_FALSE(Get(store(), "acme", "Ana@example.com").has_value());
  absl::StatusOr<bool> again = store().Remove("acme", "Ana@example.com");
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_FALSE(*again);
  EXPECT_FALSE(*store().Remove("acme", "ana@example.com"));
  EXPECT_FALSE(*store().Remove("acme", "never@example.com"));
  auto page = store().List("acme", 10, "");
  ASSERT_TRUE(page.ok()) << page.status();
  EXPECT_THAT(Addresses(page->first), ElementsAre("bo@example.com"));

  // A removed address can be suppressed again, afresh.
  ASSERT_TRUE(store().Add("acme", Entry("Ana@example.com", v1::Suppression::MANUAL, "again")).ok());
  EXPECT_EQ(Get(store(), "acme", "Ana@example.com")->reason, v1::Suppression::MANUAL);
}

TEST_P(SuppressionStoreContractTest, TenantsNeverSeeOrChangeEachOthersEntries) {
  ASSERT_TRUE(store().Add("acme", Entry("a@example.com", v1::Suppression::COMPLAINT, "acme's")).ok());
  EXPECT_FALSE(Get(store(), "globex", "a@example.com").has_value());
  auto globex_page = store().List("globex", 0, "");
  ASSERT_TRUE(globex_page.ok()) << globex_page.status();
  EXPECT_THAT(globex_page->first, IsEmpty());
  EXPECT_EQ(globex_page->second, "");
  absl::StatusOr<bool> removed = store().Remove("globex", "a@example.com");
  ASSERT_TRUE(removed.ok()) << removed.status();
  EXPECT_FALSE(*removed);

  // Globex's own entry for the same address is its own.
  ASSERT_TRUE(store().Add("globex", Entry("a@example.com", v1::Suppression::MANUAL, "globex's")).ok());
  EXPECT_EQ(Get(store(), "acme", "a@example.com")->detail, "acme's");
  EXPECT_EQ(Get(store(), "globex", "a@example.com")->detail, "globex's");
  ASSERT_TRUE(*store().Remove("globex", "a@example.com"));
  EXPECT_EQ(Get(store(), "acme", "a@example.com")->reason, v1::Suppression::COMPLAINT);
}

TEST_P(SuppressionStoreContractTest, ListPagesInByteOrderOfTheAddress) {
  // Added out of order; upper case sorts before lower case, '.' before letters.
  for (const char* a : {"mia@example.com", "Zed@example.com", "ana@example.org", "ana@example.com",
                        "bo@example.com", "ana.b@example.com", "zoe@example.com"}) {
    ASSERT_TRUE(store().Add("acme", Entry(a, v1::Suppression::MANUAL)).ok()) << a;
  }
  auto first = store().List("acme", 3, "");
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_THAT(Addresses(first->first),
              ElementsAre("Zed@example.com", "ana.b@example.com", "ana@example.com"));
  ASSERT_FALSE(first->second.empty());
  auto second = store().List("acme", 3, first->second);
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_THAT(Addresses(second->first),
              ElementsAre("ana@example.org", "bo@example.com", "mia@example.com"));
  ASSERT_FALSE(second->second.empty());
  auto third = store().List("acme", 3, second->second);
  ASSERT_TRUE(third.ok()) << third.status();
  EXPECT_THAT(Addresses(third->first), ElementsAre("zoe@example.com"));
  EXPECT_EQ(third->second, "");
  EXPECT_EQ(third->first[0].reason, v1::Suppression::MANUAL);
  EXPECT_EQ(third->first[0].create_time, kT0);

  // A page that ends exactly at the last entry says so.
  auto exact = store().List("acme", 7, "");
  ASSERT_TRUE(exact.ok()) << exact.status();
  EXPECT_EQ(exact->first.size(), 7u);
  EXPECT_EQ(exact->second, "");
  EXPECT_EQ(ListAll(store(), "acme", 1).size(), 7u);
  EXPECT_EQ(ListAll(store(), "acme", 2), ListAll(store(), "acme", 1000));
}

TEST_P(SuppressionStoreContractTest, PageSizeZeroMeansTheDefault) {
  for (int i = 0; i <= kDefaultSuppressionPageSize; ++i) {
    ASSERT_TRUE(store().Add("acme", Entry(absl::StrCat("u", 1000 + i, "@example.com"),
                                          v1::Suppression::HARD_BOUNCE))
                    .ok());
  }
  auto page = store().List("acme", 0, "");
  ASSERT_TRUE(page.ok()) << page.status();
  EXPECT_EQ(page->first.size(), static_cast<size_t>(kDefaultSuppressionPageSize));
  ASSERT_FALSE(page->second.empty());
  auto rest = store().List("acme", 0, page->second);
  ASSERT_TRUE(rest.ok()) << rest.status();
  EXPECT_THAT(Addresses(rest->first), ElementsAre("u1100@example.com"));
  EXPECT_EQ(rest->second, "");
}

TEST_P(SuppressionStoreContractTest, ChangesBetweenPagesNeitherRepeatNorSkipAnEntry) {
  for (const char* a : {"b@example.com", "d@example.com", "f@example.com", "h@example.com"}) {
    ASSERT_TRUE(store().Add("acme", Entry(a, v1::Suppression::MANUAL)).ok());
  }
  auto first = store().List("acme", 2, "");
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_THAT(Addresses(first->first), ElementsAre("b@example.com", "d@example.com"));
  // The page's last entry goes, one lands before the token and one after it.
  ASSERT_TRUE(*store().Remove("acme", "d@example.com"));
  ASSERT_TRUE(store().Add("acme", Entry("a@example.com", v1::Suppression::MANUAL)).ok());
  ASSERT_TRUE(store().Add("acme", Entry("e@example.com", v1::Suppression::MANUAL)).ok());
  auto second = store().List("acme", 10, first->second);
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_THAT(Addresses(second->first),
              ElementsAre("e@example.com", "f@example.com", "h@example.com"));
  EXPECT_EQ(second->second, "");
}

TEST_P(SuppressionStoreContractTest, ATokenIsAPositionNotAPermission) {
  ASSERT_TRUE(store().Add("acme", Entry("a@example.com", v1::Suppression::MANUAL)).ok());
  ASSERT_TRUE(store().Add("acme", Entry("b@example.com", v1::Suppression::MANUAL)).ok());
  ASSERT_TRUE(store().Add("globex", Entry("c@example.com", v1::Suppression::MANUAL)).ok());
  auto acme = store().List("acme", 1, "");
  ASSERT_TRUE(acme.ok()) << acme.status();
  ASSERT_FALSE(acme->second.empty());
  // Presented by another tenant, it pages through that tenant's own list only.
  auto globex = store().List("globex", 10, acme->second);
  ASSERT_TRUE(globex.ok()) << globex.status();
  EXPECT_THAT(Addresses(globex->first), ElementsAre("c@example.com"));
}

TEST_P(SuppressionStoreContractTest, MalformedListArguments) {
  ASSERT_TRUE(store().Add("acme", Entry("a@example.com", v1::Suppression::MANUAL)).ok());
  EXPECT_EQ(store().List("acme", -1, "").status().code(), kInvalid);
  for (const std::string& token :
       {std::string("not a token"), std::string("YUBleGFtcGxlLmNvbQ=="),  // padded
        SuppressionPageToken("a@EXAMPLE.com"),                           // not normalized
        SuppressionPageToken("no-at-sign"), SuppressionPageToken("")  + "=", std::string("%%")}) {
    EXPECT_EQ(store().List("acme", 10, token).status().code(), kInvalid) << token;
  }
  EXPECT_EQ(store().List("a:b", 10, "").status().code(), kInvalid);
}

TEST_P(SuppressionStoreContractTest, BadArgumentsAreRefusedAndStoreNothing) {
  const SuppressionEntry good = Entry("a@example.com", v1::Suppression::MANUAL);
  auto with = [&](auto change) {
    SuppressionEntry e = good;
    change(e);
    return e;
  };
  for (const std::string& address :
       {std::string(""), std::string("a"), std::string("a@"), std::string("@example.com"),
        std::string("a b@example.com"), std::string("Ana <a@example.com>"),
        std::string("a@example.com\r\nBcc: x@example.com"), std::string("a@localhost"),
        std::string("\xfc@example.com") /* Latin-1, not UTF-8 */, std::string(" a@example.com")}) {
    EXPECT_EQ(store().Add("acme", with([&](auto& e) { e.address = address; })).code(), kInvalid)
        << address;
    EXPECT_EQ(store().Remove("acme", address).status().code(), kInvalid) << address;
  }
  EXPECT_EQ(store().Add("acme", with([](auto& e) { e.reason = v1::Suppression::REASON_UNSPECIFIED; }))
                .code(),
            kInvalid);
  EXPECT_EQ(store().Add("acme", with([](auto& e) { e.reason = static_cast<Reason>(99); })).code(),
            kInvalid);
  EXPECT_EQ(store().Add("acme", with([](auto& e) {
                          e.detail = std::string(kMaxSuppressionDetailBytes + 1, 'd');
                        })).code(),
            kInvalid);
  EXPECT_EQ(store().Add("acme", with([](auto& e) { e.detail = "bad\xff"; })).code(), kInvalid);
  EXPECT_EQ(store().Add("acme", with([](auto& e) { e.detail = "bell\a"; })).code(), kInvalid);
  for (const std::string& tenant : {std::string(""), std::string("a:b"), std::string("{x}"),
                                    std::string(65, 't')}) {
    EXPECT_EQ(store().Add(tenant, good).code(), kInvalid) << tenant;
    EXPECT_EQ(store().Remove(tenant, "a@example.com").status().code(), kInvalid) << tenant;
    EXPECT_EQ(store().Lookup(tenant, {"a@example.com"}).status().code(), kInvalid) << tenant;
  }
  absl::StatusOr<std::vector<std::optional<SuppressionEntry>>> bad_lookup =
      store().Lookup("acme", {"a@example.com", "not an address"});
  EXPECT_EQ(bad_lookup.status().code(), kInvalid);
  EXPECT_THAT(std::string(bad_lookup.status().message()), ::testing::StartsWith("addresses[1]: "));

  auto page = store().List("acme", 0, "");
  ASSERT_TRUE(page.ok()) << page.status();
  EXPECT_THAT(page->first, IsEmpty());  // nothing half-made

  // The longest detail, tabs and line breaks (multi-line SMTP replies) and UTF-8 are fine.
  ASSERT_TRUE(store().Add("acme", with([](auto& e) {
                            e.detail = std::string(kMaxSuppressionDetailBytes, 'd');
                          })).ok());
  ASSERT_TRUE(store().Add("acme", with([](auto& e) {
                            e.address = "b@example.com";
                            e.detail = "550-5.1.1 one\n550 5.1.1\ttwo — été";
                          })).ok());
  EXPECT_EQ(Get(store(), "acme", "b@example.com")->detail, "550-5.1.1 one\n550 5.1.1\ttwo — été");
}

TEST_P(SuppressionStoreContractTest, QuotedLocalPartsAndAddressLiteralsAreKeptExactly) {
  ASSERT_TRUE(store().Add("acme", Entry("\"Ana Maria\"@Example.com", v1::Suppression::MANUAL)).ok());
  ASSERT_TRUE(store().Add("acme", Entry("ops@[IPV6:2001:DB8::1]", v1::Suppression::MANUAL)).ok());
  auto hits = store().Lookup("acme", {"\"Ana Maria\"@example.COM", "ops@[IPv6:2001:db8::1]"});
  ASSERT_TRUE(hits.ok()) << hits.status();
  ASSERT_TRUE((*hits)[0].has_value());
  EXPECT_EQ((*hits)[0]->address, "\"Ana Maria\"@example.com");
  ASSERT_TRUE((*hits)[1].has_value());
  EXPECT_EQ((*hits)[1]->address, "ops@[IPv6:2001:db8::1]");
  EXPECT_EQ(ListAll(store(), "acme", 1).size(), 2u);
}

TEST_P(SuppressionStoreContractTest, BackendDownIsUnavailable) {
  ASSERT_TRUE(store().Add("acme", Entry("a@example.com", v1::Suppression::MANUAL)).ok());
  harness_->TakeDown();
  constexpr auto kUnavailable = absl::StatusCode::kUnavailable;
  // Not "not suppressed": the send path must retry, never send to a suppressed address.
  EXPECT_EQ(store().Lookup("acme", {"a@example.com"}).status().code(), kUnavailable);
  EXPECT_EQ(store().Add("acme", Entry("b@example.com", v1::Suppression::MANUAL)).code(),
            kUnavailable);
  EXPECT_EQ(store().Remove("acme", "a@example.com").status().code(), kUnavailable);
  EXPECT_EQ(store().List("acme", 0, "").status().code(), kUnavailable);
  // Arguments are still checked first, and an empty lookup needs no backend.
  EXPECT_EQ(store().Add("acme", Entry("bad", v1::Suppression::MANUAL)).code(), kInvalid);
  EXPECT_TRUE(store().Lookup("acme", {}).ok());
}

}  // namespace
}  // namespace kirim::testing
