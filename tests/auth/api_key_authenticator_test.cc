// Tests of ApiKeyAuthenticator (server/auth/api_key_authenticator.h) against FakeApiKeyStore
// and simulated time: which headers are admitted, that refusals say no more than needed, and
// the per-address failure budget with its RetryInfo.
#include "server/auth/api_key_authenticator.h"

#include <deque>
#include <thread>
#include <string>
#include <utility>

#include "absl/strings/cord.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "gmock/gmock.h"
#include "google/rpc/error_details.pb.h"
#include "gtest/gtest.h"
#include "server/auth/api_key_format.h"
#include "tests/auth/fake_api_key_store.h"
#include "tests/common/fake_clock.h"
#include "tests/common/fake_random.h"

namespace kirim {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kMissing[] = "missing API key: send \"authorization: Bearer <key>\"";
constexpr char kInvalid[] = "invalid API key";
constexpr char kTooMany[] = "too many failed authentications from this address";
constexpr char kRetryInfoUrl[] = "type.googleapis.com/google.rpc.RetryInfo";
constexpr char kPeer[] = "ipv4:192.0.2.1:1111";
constexpr char kSamePeerOtherPort[] = "ipv4:192.0.2.1:2222";
constexpr char kOtherPeer[] = "ipv4:192.0.2.2:1111";

// gRPC hands the server string_refs into its own buffers; here the strings live in a deque
// (whose elements never move) for as long as the Metadata object.
class Metadata {
 public:
  Metadata() = default;
  Metadata(std::string key, std::string value) { Add(std::move(key), std::move(value)); }
  Metadata(const Metadata&) = delete;
  Metadata& operator=(const Metadata&) = delete;

  Metadata& Add(std::string key, std::string value) {
    storage_.emplace_back(std::move(key), std::move(value));
    const auto& [k, v] = storage_.back();
    map_.emplace(grpc::string_ref(k.data(), k.size()), grpc::string_ref(v.data(), v.size()));
    return *this;
  }
  const ClientMetadata& get() const { return map_; }

 private:
  std::deque<std::pair<std::string, std::string>> storage_;
  ClientMetadata map_;
};

// The RetryInfo delay a status carries; fails the test if it has none.
absl::Duration RetryDelay(const absl::Status& status) {
  absl::optional<absl::Cord> payload = status.GetPayload(kRetryInfoUrl);
  EXPECT_TRUE(payload.has_value()) << status;
  if (!payload.has_value()) return absl::InfiniteDuration();
  google::rpc::RetryInfo info;
  EXPECT_TRUE(info.ParseFromString(std::string(*payload)));
  return absl::Seconds(info.retry_delay().seconds()) +
         absl::Nanoseconds(info.retry_delay().nanos());
}

class ApiKeyAuthenticatorTest : public ::testing::Test {
 protected:
  static constexpr int kBudget = 3;

  ApiKeyAuthenticatorTest()
      : store_(clock_, random_), auth_(store_, clock_, /*failures_per_minute=*/kBudget) {
    absl::StatusOr<NewApiKey> made =
        store_.Create("acme", "CI", {v1::ApiKey::READ, v1::ApiKey::SEND});
    EXPECT_TRUE(made.ok()) << made.status();
    key_ = *std::move(made);
  }

  absl::StatusOr<Principal> AuthWith(const std::string& authorization,
                                     absl::string_view peer = kPeer) {
    Metadata md("authorization", authorization);
    return auth_.Authenticate(md.get(), peer);
  }
  absl::StatusOr<Principal> AuthWithKey(const std::string& key, absl::string_view peer = kPeer) {
    return AuthWith("Bearer " + key, peer);
  }

  // A fresh client address, for tests that fail more often than the budget allows on purpose.
  std::string NextPeer() { return absl::StrCat("ipv4:198.51.100.", ++peers_, ":4000"); }

  // A well-formed key that this store never issued.
  static std::string ForeignKey() {
    testing::FakeRandom other(/*seed=*/987654321);
    return GenerateApiKeyString(other);
  }

  // `key_` with one secret character changed: same key id, wrong secret, still well-formed.
  std::string WrongSecret() const {
    std::string k = key_.secret;
    const size_t pos = kApiKeyPrefix.size() + kApiKeyIdLength + 1;
    k[pos] = k[pos] == 'A' ? 'B' : 'A';
    return k;
  }

  testing::FakeClock clock_;
  testing::FakeRandom random_;
  testing::FakeApiKeyStore store_;
  ApiKeyAuthenticator auth_;
  NewApiKey key_;
  int peers_ = 0;
};

// ---- Admission ----

TEST_F(ApiKeyAuthenticatorTest, ValidKeyIsTheKeysTenantWithItsScopes) {
  absl::StatusOr<Principal> p = AuthWithKey(key_.secret);
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(p->tenant, "acme");
  EXPECT_THAT(p->scopes, ElementsAre(v1::ApiKey::SEND, v1::ApiKey::READ));
  EXPECT_EQ(p->key_id, key_.record.key_id);
  EXPECT_EQ(p->key_id.size(), kApiKeyIdLength);
  EXPECT_THAT(key_.secret, HasSubstr(p->key_id));
  EXPECT_NE(p->key_id, key_.secret);
}

TEST_F(ApiKeyAuthenticatorTest, TwoKeysOfTwoTenantsAreTwoPrincipals) {
  NewApiKey other = *store_.Create("globex", "ops", {v1::ApiKey::ADMIN});
  absl::StatusOr<Principal> a = AuthWithKey(key_.secret);
  absl::StatusOr<Principal> b = AuthWithKey(other.secret);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(a->tenant, "acme");
  EXPECT_EQ(b->tenant, "globex");
  EXPECT_THAT(b->scopes, ElementsAre(v1::ApiKey::ADMIN));
  EXPECT_EQ(b->key_id, other.record.key_id);
  EXPECT_NE(a->key_id, b->key_id);
}

TEST_F(ApiKeyAuthenticatorTest, SchemeIsCaseInsensitive) {
  for (const char* scheme : {"Bearer ", "bearer ", "BEARER ", "bEaReR "}) {
    absl::StatusOr<Principal> p = AuthWith(scheme + key_.secret);
    ASSERT_TRUE(p.ok()) << scheme << ": " << p.status();
    EXPECT_EQ(p->tenant, "acme");
  }
}

TEST_F(ApiKeyAuthenticatorTest, SpacesAroundTheKeyAreTolerated) {
  // RFC 6750 §2.1: "Bearer" 1*SP b64token.
  EXPECT_TRUE(AuthWith("Bearer   " + key_.secret).ok());
  EXPECT_TRUE(AuthWith("Bearer " + key_.secret + " ").ok());
}

// ---- Refusals ----

TEST_F(ApiKeyAuthenticatorTest, MissingAuthorizationHeader) {
  Metadata md;
  absl::StatusOr<Principal> p = auth_.Authenticate(md.get(), kPeer);
  EXPECT_EQ(p.status().code(), absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(p.status().message(), kMissing);
}

TEST_F(ApiKeyAuthenticatorTest, KeyInAnotherHeaderIsNotLookedAt) {
  Metadata md;
  md.Add("x-api-key", key_.secret).Add("authorization-bearer", key_.secret);
  absl::StatusOr<Principal> p = auth_.Authenticate(md.get(), kPeer);
  EXPECT_EQ(p.status().code(), absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(p.status().message(), kMissing);
}

TEST_F(ApiKeyAuthenticatorTest, NonBearerSchemeIsRefusedEvenWithAValidKey) {
  for (const std::string& value :
       {"Basic " + key_.secret, "Token " + key_.secret, key_.secret, "Bearer" + key_.secret,
        "Bearer:" + key_.secret, "Bearerx " + key_.secret}) {
    absl::StatusOr<Principal> p = AuthWith(value, NextPeer());
    EXPECT_EQ(p.status().code(), absl::StatusCode::kUnauthenticated) << value;
    EXPECT_EQ(p.status().message(), kMissing) << value;
  }
}

TEST_F(ApiKeyAuthenticatorTest, BearerWithEmptyKey) {
  for (const char* value : {"", "Bearer", "Bearer "}) {
    absl::StatusOr<Principal> p = AuthWith(value, NextPeer());
    EXPECT_EQ(p.status().code(), absl::StatusCode::kUnauthenticated) << "'" << value << "'";
    EXPECT_EQ(p.status().message(), kMissing) << "'" << value << "'";
  }
  // Only blanks after the scheme: still no key.
  EXPECT_EQ(AuthWith("Bearer    ", NextPeer()).status().code(),
            absl::StatusCode::kUnauthenticated);
}

TEST_F(ApiKeyAuthenticatorTest, MalformedKey) {
  for (const std::string& key :
       {std::string("kirim_short"), std::string("not-a-key"), key_.secret + "x",
        key_.secret.substr(1), "KIRIM_" + key_.secret.substr(6)}) {
    absl::StatusOr<Principal> p = AuthWithKey(key, NextPeer());
    EXPECT_EQ(p.status().code(), absl::StatusCode::kUnauthenticated) << key;
    EXPECT_EQ(p.status().message(), kInvalid) << key;
  }
}

TEST_F(ApiKeyAuthenticatorTest, UnknownKey) {
  absl::StatusOr<Principal> p = AuthWithKey(ForeignKey());
  EXPECT_EQ(p.status().code(), absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(p.status().message(), kInvalid);
}

TEST_F(ApiKeyAuthenticatorTest, KnownKeyIdWithWrongSecret) {
  ASSERT_TRUE(ApiKeyIdOf(WrongSecret()).ok()) << "the test key must stay well-formed";
  absl::StatusOr<Principal> p = AuthWithKey(WrongSecret());
  EXPECT_EQ(p.status().code(), absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(p.status().message(), kInvalid);
}

TEST_F(ApiKeyAuthenticatorTest, RevokedKey) {
  ASSERT_TRUE(AuthWithKey(key_.secret).ok());
  ASSERT_TRUE(store_.Revoke("acme", key_.record.key_id).ok());
  absl::StatusOr<Principal> p = AuthWithKey(key_.secret);
  EXPECT_EQ(p.status().code(), absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(p.status().message(), kInvalid);
}

TEST_F(ApiKeyAuthenticatorTest, RefusalsNeverEchoThePresentedKey) {
  for (const std::string& key : {ForeignKey(), WrongSecret(), key_.secret + "x"}) {
    absl::StatusOr<Principal> p = AuthWithKey(key, "ipv4:203.0.113.7:1");
    ASSERT_FALSE(p.ok());
    EXPECT_THAT(std::string(p.status().message()), Not(HasSubstr(key.substr(6, 16))));
    EXPECT_THAT(p.status().ToString(), Not(HasSubstr(key)));
  }
}

TEST_F(ApiKeyAuthenticatorTest, StoreDownIsUnavailable) {
  store_.set_unavailable(true);
  absl::StatusOr<Principal> p = AuthWithKey(key_.secret);
  EXPECT_EQ(p.status().code(), absl::StatusCode::kUnavailable);
  // An unauthenticated caller learns only that it may retry: no backend detail.
  EXPECT_EQ(p.status().message(), "authentication is unavailable, retry");
  EXPECT_TRUE(p.status().GetPayload("type.googleapis.com/google.rpc.RetryInfo").has_value());
}

TEST_F(ApiKeyAuthenticatorTest, StoreDownDoesNotCountAsAFailure) {
  store_.set_unavailable(true);
  for (int i = 0; i < 2 * kBudget; ++i) {
    EXPECT_EQ(AuthWithKey(key_.secret).status().code(), absl::StatusCode::kUnavailable) << i;
  }
  store_.set_unavailable(false);
  // The whole budget is still there: a valid key passes, and the next kBudget failures are
  // plain refusals.
  EXPECT_TRUE(AuthWithKey(key_.secret).ok());
  for (int i = 0; i < kBudget; ++i) {
    EXPECT_EQ(AuthWithKey(ForeignKey()).status().code(), absl::StatusCode::kUnauthenticated) << i;
  }
  EXPECT_EQ(AuthWithKey(key_.secret).status().code(), absl::StatusCode::kResourceExhausted);
}

// ---- Failure budget ----

TEST_F(ApiKeyAuthenticatorTest, AddressOverBudgetIsRefusedEvenWithAValidKey) {
  // Three failures from one address, on two source ports, spread over 30 s.
  EXPECT_EQ(AuthWithKey(ForeignKey(), kPeer).status().code(), absl::StatusCode::kUnauthenticated);
  clock_.Advance(absl::Seconds(10));
  EXPECT_EQ(AuthWithKey(WrongSecret(), kSamePeerOtherPort).status().code(),
            absl::StatusCode::kUnauthenticated);
  clock_.Advance(absl::Seconds(5));
  EXPECT_EQ(AuthWith("Basic xyz", kPeer).status().code(), absl::StatusCode::kUnauthenticated);
  clock_.Advance(absl::Seconds(15));

  absl::StatusOr<Principal> p = AuthWithKey(key_.secret, kSamePeerOtherPort);
  EXPECT_EQ(p.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(p.status().message(), kTooMany);
  // The window opened with the first failure, 30 s ago.
  EXPECT_EQ(RetryDelay(p.status()), absl::Seconds(30));
}

TEST_F(ApiKeyAuthenticatorTest, FailuresUpToTheBudgetAreOrdinaryRefusals) {
  for (int i = 0; i < kBudget; ++i) {
    absl::StatusOr<Principal> p = AuthWithKey(ForeignKey());
    EXPECT_EQ(p.status().code(), absl::StatusCode::kUnauthenticated) << i;
    EXPECT_FALSE(p.status().GetPayload(kRetryInfoUrl).has_value()) << i;
  }
  EXPECT_EQ(AuthWithKey(ForeignKey()).status().code(), absl::StatusCode::kResourceExhausted);
}

TEST_F(ApiKeyAuthenticatorTest, EveryKindOfFailureCounts) {
  Metadata none;
  EXPECT_EQ(auth_.Authenticate(none.get(), kPeer).status().code(),
            absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(AuthWithKey("garbage").status().code(), absl::StatusCode::kUnauthenticated);
  ASSERT_TRUE(store_.Revoke("acme", key_.record.key_id).ok());
  EXPECT_EQ(AuthWithKey(key_.secret).status().code(), absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(AuthWithKey(key_.secret).status().code(), absl::StatusCode::kResourceExhausted);
}

TEST_F(ApiKeyAuthenticatorTest, OverBudgetTheStoreIsNotConsulted) {
  for (int i = 0; i < kBudget; ++i) ASSERT_FALSE(AuthWithKey(ForeignKey()).ok());
  store_.set_unavailable(true);
  // Refused before the key is checked: not UNAVAILABLE.
  EXPECT_EQ(AuthWithKey(key_.secret).status().code(), absl::StatusCode::kResourceExhausted);
}

TEST_F(ApiKeyAuthenticatorTest, OtherAddressIsUnaffected) {
  for (int i = 0; i < kBudget; ++i) ASSERT_FALSE(AuthWithKey(ForeignKey(), kPeer).ok());
  ASSERT_EQ(AuthWithKey(key_.secret, kPeer).status().code(), absl::StatusCode::kResourceExhausted);

  absl::StatusOr<Principal> p = AuthWithKey(key_.secret, kOtherPeer);
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(p->tenant, "acme");
  // And its own failures are ordinary refusals.
  absl::StatusOr<Principal> bad = AuthWithKey(ForeignKey(), kOtherPeer);
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(bad.status().message(), kInvalid);
}

TEST_F(ApiKeyAuthenticatorTest, AfterAMinuteTheAddressMayTryAgain) {
  for (int i = 0; i < kBudget; ++i) ASSERT_FALSE(AuthWithKey(ForeignKey()).ok());
  ASSERT_EQ(AuthWithKey(key_.secret).status().code(), absl::StatusCode::kResourceExhausted);

  clock_.Advance(absl::Minutes(1));
  absl::StatusOr<Principal> p = AuthWithKey(key_.secret);
  ASSERT_TRUE(p.ok()) << p.status();
  // A fresh budget: kBudget refusals, then blocked again with a full minute to wait.
  for (int i = 0; i < kBudget; ++i) {
    EXPECT_EQ(AuthWithKey(ForeignKey()).status().code(), absl::StatusCode::kUnauthenticated) << i;
  }
  absl::StatusOr<Principal> blocked = AuthWithKey(key_.secret);
  EXPECT_EQ(blocked.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(RetryDelay(blocked.status()), absl::Minutes(1));
}

TEST_F(ApiKeyAuthenticatorTest, WaitingTheAdvertisedDelayIsEnough) {
  for (int i = 0; i < kBudget; ++i) {
    ASSERT_FALSE(AuthWithKey(ForeignKey()).ok());
    clock_.Advance(absl::Seconds(7));
  }
  absl::StatusOr<Principal> blocked = AuthWithKey(key_.secret);
  ASSERT_EQ(blocked.status().code(), absl::StatusCode::kResourceExhausted);
  const absl::Duration delay = RetryDelay(blocked.status());
  EXPECT_EQ(delay, absl::Seconds(60 - 21));

  // Blocked attempts do not push the window out: one second short is still refused, with the
  // delay counting down...
  clock_.Advance(delay - absl::Seconds(1));
  absl::StatusOr<Principal> still = AuthWithKey(key_.secret);
  ASSERT_EQ(still.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(RetryDelay(still.status()), absl::Seconds(1));
  // ...and at the advertised instant the key is admitted.
  clock_.Advance(absl::Seconds(1));
  EXPECT_TRUE(AuthWithKey(key_.secret).ok());
}

TEST_F(ApiKeyAuthenticatorTest, RetryDelayKeepsSubSecondPrecision) {
  ASSERT_FALSE(AuthWithKey(ForeignKey()).ok());
  clock_.Advance(absl::Milliseconds(1500));
  ASSERT_FALSE(AuthWithKey(ForeignKey()).ok());
  ASSERT_FALSE(AuthWithKey(ForeignKey()).ok());
  absl::StatusOr<Principal> blocked = AuthWithKey(key_.secret);
  ASSERT_EQ(blocked.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(RetryDelay(blocked.status()), absl::Milliseconds(58500));
}

TEST_F(ApiKeyAuthenticatorTest, Ipv6PortsOfOneAddressShareABudget) {
  ASSERT_FALSE(AuthWithKey(ForeignKey(), "ipv6:[::1]:5").ok());
  ASSERT_FALSE(AuthWithKey(ForeignKey(), "ipv6:[::1]:6").ok());
  ASSERT_FALSE(AuthWithKey(ForeignKey(), "ipv6:[::1]:7").ok());
  EXPECT_EQ(AuthWithKey(key_.secret, "ipv6:[::1]:8").status().code(),
            absl::StatusCode::kResourceExhausted);
  EXPECT_TRUE(AuthWithKey(key_.secret, "ipv6:[::2]:5").ok());
  EXPECT_TRUE(AuthWithKey(key_.secret, kPeer).ok());
}

TEST_F(ApiKeyAuthenticatorTest, BudgetOfOne) {
  ApiKeyAuthenticator strict(store_, clock_, /*failures_per_minute=*/1);
  Metadata bad("authorization", "Bearer " + ForeignKey());
  Metadata good("authorization", "Bearer " + key_.secret);
  EXPECT_TRUE(strict.Authenticate(good.get(), kPeer).ok());
  EXPECT_EQ(strict.Authenticate(bad.get(), kPeer).status().code(),
            absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(strict.Authenticate(good.get(), kPeer).status().code(),
            absl::StatusCode::kResourceExhausted);
}

TEST_F(ApiKeyAuthenticatorTest, BudgetsArePerAuthenticator) {
  for (int i = 0; i < kBudget; ++i) ASSERT_FALSE(AuthWithKey(ForeignKey()).ok());
  ApiKeyAuthenticator other_replica(store_, clock_, kBudget);
  Metadata good("authorization", "Bearer " + key_.secret);
  EXPECT_TRUE(other_replica.Authenticate(good.get(), kPeer).ok());
}

// ---- PeerAddress ----

TEST(PeerAddressTest, DropsThePort) {
  EXPECT_EQ(ApiKeyAuthenticator::PeerAddress("ipv4:192.0.2.1:1111"), "ipv4:192.0.2.1");
  EXPECT_EQ(ApiKeyAuthenticator::PeerAddress("ipv4:192.0.2.1:2222"), "ipv4:192.0.2.1");
  EXPECT_EQ(ApiKeyAuthenticator::PeerAddress("ipv4:127.0.0.1:53012"), "ipv4:127.0.0.1");
}

TEST(PeerAddressTest, Ipv6KeepsItsColons) {
  EXPECT_EQ(ApiKeyAuthenticator::PeerAddress("ipv6:[::1]:5"), "ipv6:[::1]");
  EXPECT_EQ(ApiKeyAuthenticator::PeerAddress("ipv6:[2001:db8::7]:443"), "ipv6:[2001:db8::7]");
}

TEST(PeerAddressTest, UnixSocketHasNoPort) {
  EXPECT_EQ(ApiKeyAuthenticator::PeerAddress("unix:/x"), "unix:/x");
  EXPECT_EQ(ApiKeyAuthenticator::PeerAddress("unix:/run/kirim.sock"), "unix:/run/kirim.sock");
}

TEST(PeerAddressTest, OddInputIsKeptWhole) {
  EXPECT_EQ(ApiKeyAuthenticator::PeerAddress(""), "");
  EXPECT_EQ(ApiKeyAuthenticator::PeerAddress("nocolon"), "nocolon");
}

}  // namespace
}  // namespace kirim

namespace kirim {
namespace {

// A store whose Verify waits until released, to hold attempts "in flight".
class GateStore final : public ApiKeyStore {
 public:
  explicit GateStore(ApiKeyStore& inner) : inner_(inner) {}
  absl::StatusOr<NewApiKey> Create(const std::string& t, const std::string& d,
                                   std::vector<v1::ApiKey::Scope> s) override {
    return inner_.Create(t, d, std::move(s));
  }
  absl::Status Import(absl::string_view k, const std::string& t, const std::string& d,
                      std::vector<v1::ApiKey::Scope> s) override {
    return inner_.Import(k, t, d, std::move(s));
  }
  absl::StatusOr<ApiKeyRecord> Verify(absl::string_view presented) override {
    {
      absl::MutexLock lock(&mu_);
      ++entered_;
    }
    open_.WaitForNotification();
    return inner_.Verify(presented);
  }
  absl::StatusOr<std::vector<ApiKeyRecord>> List(const std::string& t) override { return inner_.List(t); }
  absl::StatusOr<ApiKeyRecord> Revoke(const std::string& t, const std::string& id) override {
    return inner_.Revoke(t, id);
  }
  void Open() { open_.Notify(); }
  int entered() {
    absl::MutexLock lock(&mu_);
    return entered_;
  }

 private:
  ApiKeyStore& inner_;
  absl::Notification open_;
  absl::Mutex mu_;
  int entered_ = 0;
};

TEST(ApiKeyAuthenticatorParallelTest, ParallelGuessesCannotOverrunTheBudget) {
  testing::FakeClock clock;
  testing::FakeRandom random;
  testing::FakeApiKeyStore inner(clock, random);
  GateStore gate(inner);
  constexpr int kBudget = 3, kGuesses = 10;
  ApiKeyAuthenticator auth(gate, clock, kBudget);
  const std::string guess = [] {
    testing::FakeRandom other(/*seed=*/42);
    return "Bearer " + GenerateApiKeyString(other);
  }();

  absl::Mutex mu;
  int exhausted = 0, unauthenticated = 0;
  std::vector<std::thread> threads;
  for (int i = 0; i < kGuesses; ++i) {
    threads.emplace_back([&] {
      std::string name = "authorization";
      ClientMetadata md;
      md.emplace(grpc::string_ref(name), grpc::string_ref(guess));
      absl::StatusOr<Principal> p = auth.Authenticate(md, "ipv4:203.0.113.9:1234");
      absl::MutexLock lock(&mu);
      (p.status().code() == absl::StatusCode::kResourceExhausted ? exhausted : unauthenticated)++;
    });
  }
  // Everything beyond the budget is refused before reaching the store, while the budget's
  // worth of attempts are still being verified.
  {
    absl::MutexLock lock(&mu);
    auto refused = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu) { return exhausted == kGuesses - kBudget; };
    ASSERT_TRUE(mu.AwaitWithTimeout(absl::Condition(&refused), absl::Seconds(30)));
  }
  EXPECT_EQ(gate.entered(), kBudget);
  gate.Open();
  for (auto& t : threads) t.join();
  EXPECT_EQ(unauthenticated, kBudget);
}

}  // namespace
}  // namespace kirim
