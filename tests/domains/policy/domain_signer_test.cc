// DomainSigner (server/domains/domain_signer.h) with keys made by a real DkimKeyStore, stored in
// FakeDomainStore, and a FakeClock: it signs with the ACTIVE keys of the registered domain the
// From domain aligns with (RSA first, d= that domain), never with PENDING / RETIRING keys, leaves
// mail of unregistered or keyless domains unsigned, and fails closed when a key cannot be opened.
#include "server/domains/domain_signer.h"

#include <map>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/keystore/dkim_key_store.h"
#include "server/keystore/key_cipher.h"
#include "tests/common/fake_clock.h"
#include "tests/common/fake_random.h"
#include "tests/dkim/dkim_test_util.h"
#include "tests/domains/policy/stored_domain.h"
#include "tests/domains/store/fake_domain_store.h"

namespace kirim {
namespace {

using dkim::testing::SignatureFields;
using dkim::testing::Tags;
using storage::v1::StoredDomain;
using testing::StoredDomainFor;
using ::testing::EndsWith;
using ::testing::HasSubstr;
using ::testing::SizeIs;

const std::string kKek(32, 'k');
const std::string kOtherKek(32, 'o');

std::string Message(const std::string& from_domain = "example.com") {
  return absl::StrCat("From: Shop <shop@", from_domain,
                      ">\r\n"
                      "To: ana@example.net\r\n"
                      "Subject: Order 42\r\n"
                      "Date: Fri, 02 Jan 2026 03:04:05 +0000\r\n"
                      "Message-ID: <1@example.com>\r\n"
                      "\r\n"
                      "Thanks\r\n");
}

class DomainSignerTest : public ::testing::Test {
 protected:
  DomainSignerTest()
      : cipher_(*KeyCipher::Create(kKek)),
        other_cipher_(*KeyCipher::Create(kOtherKek)),
        keys_(&cipher_, random_),
        other_keys_(&other_cipher_, random_) {}

  // Adds a key for `selector` to `d`, generated and sealed by `store` for (`slot_tenant`, the
  // domain, selector).
  void AddKey(StoredDomain& d, const std::string& selector, v1::DkimAlgorithm algorithm,
              v1::DkimKey::State state, const DkimKeyStore* store = nullptr,
              const std::string& slot_tenant = "") {
    absl::StatusOr<DkimKeyStore::NewKey> k =
        (store != nullptr ? *store : keys_)
            .Generate(slot_tenant.empty() ? d.tenant() : slot_tenant, d.domain().domain(),
                      selector,
                      algorithm == v1::ED25519_SHA256 ? dkim::Algorithm::kEd25519Sha256
                                                      : dkim::Algorithm::kRsaSha256);
    ASSERT_TRUE(k.ok()) << k.status();
    v1::DkimKey* key = d.mutable_domain()->add_dkim_keys();
    key->set_selector(selector);
    key->set_algorithm(algorithm);
    key->set_state(state);
    (*d.mutable_sealed_keys())[selector] = k->sealed;
  }
  void Register(StoredDomain d) { ASSERT_TRUE(store_.Create(d).ok()); }

  std::string SignOk(const std::string& message, const std::string& from_domain = "example.com",
                     const std::string& tenant = "acme") {
    absl::StatusOr<std::string> out = signer_.Sign(tenant, from_domain, message);
    EXPECT_TRUE(out.ok()) << out.status();
    return out.value_or("");
  }

  testing::FakeClock clock_;
  testing::FakeRandom random_;
  KeyCipher cipher_;
  KeyCipher other_cipher_;
  DkimKeyStore keys_;
  DkimKeyStore other_keys_;
  testing::FakeDomainStore store_;
  SendingDomains domains_{store_, clock_, {.cache_ttl = absl::ZeroDuration()}};
  DomainSigner signer_{domains_, keys_, clock_};
};

TEST_F(DomainSignerTest, SignsWithEveryActiveKeyRsaFirstAndNoOtherKey) {
  StoredDomain d = StoredDomainFor("acme", "example.com", v1::Domain::VERIFIED);
  // Listed Ed25519 first: the output still starts with the RSA signature.
  AddKey(d, "ed-active", v1::ED25519_SHA256, v1::DkimKey::ACTIVE);
  AddKey(d, "rsa-retiring", v1::RSA_SHA256, v1::DkimKey::RETIRING);
  AddKey(d, "rsa-active", v1::RSA_SHA256, v1::DkimKey::ACTIVE);
  AddKey(d, "rsa-pending", v1::RSA_SHA256, v1::DkimKey::PENDING);
  AddKey(d, "ed-pending", v1::ED25519_SHA256, v1::DkimKey::PENDING);
  v1::DkimKey* removed = d.mutable_domain()->add_dkim_keys();  // private key already erased
  removed->set_selector("rsa-removed");
  removed->set_algorithm(v1::RSA_SHA256);
  removed->set_state(v1::DkimKey::REMOVED);
  Register(d);

  clock_.Advance(absl::Minutes(7));
  const std::string message = Message();
  const std::string out = SignOk(message);
  EXPECT_THAT(out, EndsWith(message));
  const std::vector<std::string> fields = SignatureFields(out);
  ASSERT_THAT(fields, SizeIs(2));
  std::map<std::string, std::string> rsa = Tags(fields[0]);
  std::map<std::string, std::string> ed = Tags(fields[1]);
  EXPECT_EQ(rsa["a"], "rsa-sha256");
  EXPECT_EQ(rsa["d"], "example.com");
  EXPECT_EQ(rsa["s"], "rsa-active");
  EXPECT_EQ(ed["a"], "ed25519-sha256");
  EXPECT_EQ(ed["d"], "example.com");
  EXPECT_EQ(ed["s"], "ed-active");
  const std::string now = absl::StrCat(absl::ToUnixSeconds(clock_.Now()));
  EXPECT_EQ(rsa["t"], now);
  EXPECT_EQ(ed["t"], now);
  EXPECT_EQ(rsa.count("x"), 0u) << "no expiry unless configured";
  // Nothing but the two signatures was added.
  EXPECT_EQ(out, absl::StrCat(fields[0], "\r\n", fields[1], "\r\n", message));
}

TEST_F(DomainSignerTest, ASubdomainFromIsSignedAsTheRegisteredDomain) {
  StoredDomain d = StoredDomainFor("acme", "example.com", v1::Domain::VERIFIED);
  AddKey(d, "rsa1", v1::RSA_SHA256, v1::DkimKey::ACTIVE);
  Register(d);
  const std::string out = SignOk(Message("news.example.com"), "news.example.com");
  const std::vector<std::string> fields = SignatureFields(out);
  ASSERT_THAT(fields, SizeIs(1));
  EXPECT_EQ(Tags(fields[0])["d"], "example.com");
  EXPECT_EQ(Tags(fields[0])["s"], "rsa1");
}

TEST_F(DomainSignerTest, ExpiryIsAddedWhenConfigured) {
  StoredDomain d = StoredDomainFor("acme", "example.com", v1::Domain::VERIFIED);
  AddKey(d, "ed1", v1::ED25519_SHA256, v1::DkimKey::ACTIVE);
  Register(d);
  DomainSigner expiring(domains_, keys_, clock_, {.expire_after = absl::Hours(24)});
  absl::StatusOr<std::string> out = expiring.Sign("acme", "example.com", Message());
  ASSERT_TRUE(out.ok()) << out.status();
  std::map<std::string, std::string> tags = Tags(SignatureFields(*out).at(0));
  EXPECT_EQ(tags["t"], absl::StrCat(absl::ToUnixSeconds(clock_.Now())));
  EXPECT_EQ(tags["x"], absl::StrCat(absl::ToUnixSeconds(clock_.Now() + absl::Hours(24))));
}

TEST_F(DomainSignerTest, PendingAndRetiringKeysNeverSign) {
  StoredDomain d = StoredDomainFor("acme", "example.com", v1::Domain::PENDING_VERIFICATION);
  AddKey(d, "rsa-pending", v1::RSA_SHA256, v1::DkimKey::PENDING);
  AddKey(d, "ed-retiring", v1::ED25519_SHA256, v1::DkimKey::RETIRING);
  Register(d);
  EXPECT_EQ(SignOk(Message()), Message());
}

TEST_F(DomainSignerTest, AnUnregisteredDomainIsLeftUnsigned) {
  StoredDomain d = StoredDomainFor("globex", "example.com", v1::Domain::VERIFIED);
  AddKey(d, "rsa1", v1::RSA_SHA256, v1::DkimKey::ACTIVE);
  Register(d);
  EXPECT_EQ(SignOk(Message("example.org"), "example.org"), Message("example.org"));
  // Another tenant's domain is not the caller's.
  EXPECT_EQ(SignOk(Message(), "example.com", "acme"), Message());
}

TEST_F(DomainSignerTest, ADomainWithoutKeysIsLeftUnsigned) {
  Register(StoredDomainFor("acme", "example.com", v1::Domain::PENDING_VERIFICATION));
  EXPECT_EQ(SignOk(Message()), Message());
}

TEST_F(DomainSignerTest, AKeySealedUnderAnotherKekFailsClosed) {
  StoredDomain d = StoredDomainFor("acme", "example.com", v1::Domain::VERIFIED);
  AddKey(d, "rsa1", v1::RSA_SHA256, v1::DkimKey::ACTIVE, &other_keys_);
  Register(d);
  absl::StatusOr<std::string> out = signer_.Sign("acme", "example.com", Message());
  EXPECT_EQ(out.status().code(), absl::StatusCode::kFailedPrecondition) << out.status();
  EXPECT_THAT(std::string(out.status().message()), HasSubstr("rsa1"));
}

TEST_F(DomainSignerTest, OneUnusableKeyFailsTheWholeMessage) {
  // The Ed25519 key is fine, the RSA one is not: no partial (Ed25519-only) signing.
  StoredDomain d = StoredDomainFor("acme", "example.com", v1::Domain::VERIFIED);
  AddKey(d, "ed1", v1::ED25519_SHA256, v1::DkimKey::ACTIVE);
  AddKey(d, "rsa1", v1::RSA_SHA256, v1::DkimKey::ACTIVE, &other_keys_);
  Register(d);
  EXPECT_EQ(signer_.Sign("acme", "example.com", Message()).status().code(),
            absl::StatusCode::kFailedPrecondition);
}

TEST_F(DomainSignerTest, AKeySealedForAnotherTenantDoesNotOpen) {
  StoredDomain d = StoredDomainFor("acme", "example.com", v1::Domain::VERIFIED);
  AddKey(d, "rsa1", v1::RSA_SHA256, v1::DkimKey::ACTIVE, nullptr, "globex");
  Register(d);
  absl::StatusOr<std::string> out = signer_.Sign("acme", "example.com", Message());
  EXPECT_EQ(out.status().code(), absl::StatusCode::kDataLoss) << out.status();
}

TEST_F(DomainSignerTest, AnActiveKeyWithoutItsPrivateKeyFailsClosed) {
  StoredDomain d = StoredDomainFor("acme", "example.com", v1::Domain::VERIFIED);
  AddKey(d, "rsa1", v1::RSA_SHA256, v1::DkimKey::ACTIVE);
  d.mutable_sealed_keys()->erase("rsa1");
  Register(d);
  EXPECT_EQ(signer_.Sign("acme", "example.com", Message()).status().code(),
            absl::StatusCode::kDataLoss);
}

TEST_F(DomainSignerTest, AKeyOfTheWrongAlgorithmFailsClosed) {
  StoredDomain d = StoredDomainFor("acme", "example.com", v1::Domain::VERIFIED);
  AddKey(d, "k1", v1::ED25519_SHA256, v1::DkimKey::ACTIVE);
  d.mutable_domain()->mutable_dkim_keys(0)->set_algorithm(v1::RSA_SHA256);  // says RSA
  Register(d);
  EXPECT_EQ(signer_.Sign("acme", "example.com", Message()).status().code(),
            absl::StatusCode::kDataLoss);
}

TEST_F(DomainSignerTest, TheStoreDownIsAnErrorNotUnsignedMail) {
  store_.SetDown(absl::UnavailableError("redis down"));
  EXPECT_EQ(signer_.Sign("acme", "example.com", Message()).status().code(),
            absl::StatusCode::kUnavailable);
}

TEST_F(DomainSignerTest, ARotationSwitchesTheSigningKey) {
  StoredDomain d = StoredDomainFor("acme", "example.com", v1::Domain::VERIFIED);
  AddKey(d, "old", v1::RSA_SHA256, v1::DkimKey::ACTIVE);
  AddKey(d, "new", v1::RSA_SHA256, v1::DkimKey::PENDING);
  Register(d);
  EXPECT_EQ(Tags(SignatureFields(SignOk(Message())).at(0))["s"], "old");

  StoredDomain stored = *store_.Get("acme", "example.com");
  stored.mutable_domain()->mutable_dkim_keys(0)->set_state(v1::DkimKey::RETIRING);
  stored.mutable_domain()->mutable_dkim_keys(1)->set_state(v1::DkimKey::ACTIVE);
  ASSERT_TRUE(store_.Update(stored).ok());
  clock_.Advance(absl::Seconds(30));
  const std::vector<std::string> fields = SignatureFields(SignOk(Message()));
  ASSERT_THAT(fields, SizeIs(1));
  EXPECT_EQ(Tags(fields[0])["s"], "new");
  EXPECT_EQ(Tags(fields[0])["t"], absl::StrCat(absl::ToUnixSeconds(clock_.Now())));
}

// A domain deleted and registered again can get a selector it had before (selectors are
// "<prefix>-<yyyymmdd>-<alg>-<4 hex>", unique only within one stored domain). The new key must
// sign, not the old one the signer opened earlier. RSA PKCS#1 v1.5 is deterministic, so two
// signers holding the same key write the same b=.
TEST_F(DomainSignerTest, ANewKeyUnderAReusedSelectorIsTheOneThatSigns) {
  StoredDomain first = StoredDomainFor("acme", "example.com", v1::Domain::VERIFIED);
  AddKey(first, "kirim-20260102-rsa-abcd", v1::RSA_SHA256, v1::DkimKey::ACTIVE);
  Register(first);
  // Control: a second signer with the same key writes the same b=.
  DomainSigner control(domains_, keys_, clock_);
  absl::StatusOr<std::string> same = control.Sign("acme", "example.com", Message());
  ASSERT_TRUE(same.ok()) << same.status();
  ASSERT_EQ(Tags(SignatureFields(SignOk(Message())).at(0))["b"],
            Tags(SignatureFields(*same).at(0))["b"]);

  ASSERT_TRUE(store_.Delete("acme", "example.com").ok());
  StoredDomain second = StoredDomainFor("acme", "example.com", v1::Domain::VERIFIED);
  AddKey(second, "kirim-20260102-rsa-abcd", v1::RSA_SHA256, v1::DkimKey::ACTIVE);
  Register(second);

  DomainSigner fresh(domains_, keys_, clock_);
  absl::StatusOr<std::string> expected = fresh.Sign("acme", "example.com", Message());
  ASSERT_TRUE(expected.ok()) << expected.status();
  EXPECT_EQ(Tags(SignatureFields(SignOk(Message())).at(0))["b"],
            Tags(SignatureFields(*expected).at(0))["b"]);
}

}  // namespace
}  // namespace kirim
