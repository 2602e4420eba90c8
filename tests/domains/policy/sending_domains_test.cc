// SendingDomains (server/domains/sending_domains.h) against FakeDomainStore and a FakeClock:
// which registered domain a From domain aligns with, and the positive-only cache (a VERIFIED
// domain is reused for cache_ttl; a miss or a domain not verified yet is never remembered).
#include "server/domains/sending_domains.h"

#include <optional>
#include <string>

#include "gtest/gtest.h"
#include "tests/common/fake_clock.h"
#include "tests/domains/policy/stored_domain.h"
#include "tests/domains/store/fake_domain_store.h"

namespace kirim {
namespace {

using storage::v1::StoredDomain;
using testing::StoredDomainFor;

constexpr absl::Duration kTtl = absl::Seconds(10);

class SendingDomainsTest : public ::testing::Test {
 protected:
  void Register(const std::string& domain, v1::Domain::State state = v1::Domain::VERIFIED,
                const std::string& tenant = "acme") {
    StoredDomain d = StoredDomainFor(tenant, domain, state);
    ASSERT_TRUE(store_.Create(d).ok());
  }
  // The registered domain `from_domain` aligns with, "" when none; fails the test on an error.
  std::string Found(SendingDomains& domains, const std::string& from_domain,
                    const std::string& tenant = "acme") {
    absl::StatusOr<std::optional<StoredDomain>> d = domains.Find(tenant, from_domain);
    EXPECT_TRUE(d.ok()) << d.status();
    if (!d.ok() || !d->has_value()) return "";
    return (*d)->domain().domain();
  }
  v1::Domain::State StateFound(SendingDomains& domains, const std::string& from_domain) {
    absl::StatusOr<std::optional<StoredDomain>> d = domains.Find("acme", from_domain);
    EXPECT_TRUE(d.ok() && d->has_value()) << from_domain;
    return d.ok() && d->has_value() ? (*d)->domain().state() : v1::Domain::STATE_UNSPECIFIED;
  }

  testing::FakeClock clock_;
  testing::FakeDomainStore store_;
  SendingDomains domains_{store_, clock_, {.cache_ttl = kTtl}};
};

TEST_F(SendingDomainsTest, FindsTheDomainItselfOrItsNearestRegisteredParent) {
  Register("example.com");
  Register("mail.example.com");
  EXPECT_EQ(Found(domains_, "example.com"), "example.com");
  EXPECT_EQ(Found(domains_, "a.b.example.com"), "example.com");
  EXPECT_EQ(Found(domains_, "x.mail.example.com"), "mail.example.com");
  EXPECT_EQ(Found(domains_, "mail.example.com"), "mail.example.com");
  EXPECT_EQ(Found(domains_, "News.Example.COM."), "example.com");
  EXPECT_EQ(Found(domains_, "example.org"), "");
  EXPECT_EQ(Found(domains_, "notexample.com"), "");
}

TEST_F(SendingDomainsTest, NeverAlignsWithABareTld) {
  // A record for "com" cannot be created through the API, but must never match either.
  Register("com");
  EXPECT_EQ(Found(domains_, "example.com"), "");
  EXPECT_EQ(Found(domains_, "com"), "");
}

TEST_F(SendingDomainsTest, AnotherTenantsDomainIsNotFound) {
  Register("example.com", v1::Domain::VERIFIED, "globex");
  EXPECT_EQ(Found(domains_, "example.com"), "");
  EXPECT_EQ(Found(domains_, "example.com", "globex"), "example.com");
  // Cached for globex now: still not acme's.
  EXPECT_EQ(Found(domains_, "example.com"), "");
}

TEST_F(SendingDomainsTest, AFoundDomainIsReusedWithinTheTtlAndReadAgainAfterIt) {
  Register("example.com", v1::Domain::VERIFIED);
  EXPECT_EQ(StateFound(domains_, "example.com"), v1::Domain::VERIFIED);
  EXPECT_GE(store_.reads(), 1);

  // A change to a known domain (here: a verification that failed) is seen within cache_ttl:
  // until then the cached answer stands, without a read.
  StoredDomain stored = *store_.Get("acme", "example.com");
  stored.mutable_domain()->set_state(v1::Domain::FAILED_VERIFICATION);
  ASSERT_TRUE(store_.Update(stored).ok());
  const int reads = store_.reads();
  clock_.Advance(kTtl - absl::Milliseconds(1));
  EXPECT_EQ(StateFound(domains_, "example.com"), v1::Domain::VERIFIED);
  EXPECT_EQ(store_.reads(), reads);

  // After it, the store is read again and the change is seen; no longer VERIFIED, it is not
  // cached any more.
  clock_.Advance(absl::Seconds(1));
  EXPECT_EQ(StateFound(domains_, "example.com"), v1::Domain::FAILED_VERIFICATION);
  EXPECT_EQ(store_.reads(), reads + 1);
  EXPECT_EQ(StateFound(domains_, "example.com"), v1::Domain::FAILED_VERIFICATION);
  EXPECT_EQ(store_.reads(), reads + 2);
}

TEST_F(SendingDomainsTest, AnUnverifiedDomainIsReadEachTimeSoItsVerificationIsSeenAtOnce) {
  Register("example.com", v1::Domain::PENDING_VERIFICATION);
  EXPECT_EQ(StateFound(domains_, "example.com"), v1::Domain::PENDING_VERIFICATION);
  const int reads = store_.reads();
  EXPECT_EQ(StateFound(domains_, "example.com"), v1::Domain::PENDING_VERIFICATION);
  EXPECT_EQ(store_.reads(), reads + 1);

  // Verified a moment later (no time passes): the next lookup sees it, then caches it.
  StoredDomain stored = *store_.Get("acme", "example.com");
  stored.mutable_domain()->set_state(v1::Domain::VERIFIED);
  ASSERT_TRUE(store_.Update(stored).ok());
  const int before = store_.reads();
  EXPECT_EQ(StateFound(domains_, "example.com"), v1::Domain::VERIFIED);
  EXPECT_EQ(store_.reads(), before + 1);
  EXPECT_EQ(StateFound(domains_, "example.com"), v1::Domain::VERIFIED);
  EXPECT_EQ(store_.reads(), before + 1);
}

TEST_F(SendingDomainsTest, ASubdomainHitIsCachedToo) {
  Register("example.com");
  EXPECT_EQ(Found(domains_, "news.example.com"), "example.com");
  const int reads = store_.reads();
  EXPECT_EQ(Found(domains_, "news.example.com"), "example.com");
  EXPECT_EQ(store_.reads(), reads);
}

TEST_F(SendingDomainsTest, ANotFoundDomainIsNeverCached) {
  EXPECT_EQ(Found(domains_, "example.com"), "");
  EXPECT_EQ(Found(domains_, "news.example.com"), "");
  const int reads = store_.reads();
  EXPECT_EQ(Found(domains_, "example.com"), "");
  EXPECT_GT(store_.reads(), reads) << "a miss is asked again";

  // Registered a moment later: seen at once, no waiting for a TTL.
  Register("example.com");
  EXPECT_EQ(Found(domains_, "example.com"), "example.com");
  EXPECT_EQ(Found(domains_, "news.example.com"), "example.com");
}

TEST_F(SendingDomainsTest, AZeroTtlDisablesTheCache) {
  SendingDomains uncached(store_, clock_, {.cache_ttl = absl::ZeroDuration()});
  Register("example.com");
  EXPECT_EQ(Found(uncached, "example.com"), "example.com");
  const int reads = store_.reads();
  EXPECT_EQ(Found(uncached, "example.com"), "example.com");
  EXPECT_EQ(store_.reads(), reads + 1);
  EXPECT_EQ(Found(uncached, "example.com"), "example.com");
  EXPECT_EQ(store_.reads(), reads + 2);
}

TEST_F(SendingDomainsTest, AFullCacheStartsOver) {
  SendingDomains small(store_, clock_, {.cache_ttl = kTtl, .max_entries = 1});
  Register("a.example");
  Register("b.example");
  EXPECT_EQ(Found(small, "a.example"), "a.example");
  const int reads = store_.reads();
  EXPECT_EQ(Found(small, "a.example"), "a.example");
  EXPECT_EQ(store_.reads(), reads);
  EXPECT_EQ(Found(small, "b.example"), "b.example");  // evicts a.example
  EXPECT_EQ(store_.reads(), reads + 1);
  EXPECT_EQ(Found(small, "a.example"), "a.example");
  EXPECT_EQ(store_.reads(), reads + 2);
}

TEST_F(SendingDomainsTest, StoreErrorsPassThroughAndACachedDomainStillAnswers) {
  Register("example.com");
  EXPECT_EQ(Found(domains_, "example.com"), "example.com");
  store_.SetDown(absl::UnavailableError("redis down"));
  // Known: answered from the cache.
  EXPECT_EQ(Found(domains_, "example.com"), "example.com");
  // Unknown: the store's error, not "not registered".
  absl::StatusOr<std::optional<StoredDomain>> unknown = domains_.Find("acme", "example.org");
  EXPECT_EQ(unknown.status().code(), absl::StatusCode::kUnavailable);
  clock_.Advance(kTtl);
  EXPECT_EQ(domains_.Find("acme", "example.com").status().code(), absl::StatusCode::kUnavailable);

  store_.SetDown(absl::OkStatus());
  EXPECT_EQ(Found(domains_, "example.com"), "example.com");
}

}  // namespace
}  // namespace kirim
