// Tests of DomainApi (server/api/domain_api.h) with a real DkimKeyStore (KeyCipher under a test
// KEK), FakeDomainStore, FakeResolver holding the published records and a FakeClock: the records
// CreateDomain asks for, validation with google.rpc.BadRequest, tenant isolation, the VERIFIED
// rules, the DKIM key lifecycle through a whole rotation (PENDING -> ACTIVE -> RETIRING ->
// REMOVED) in simulated time, paging, and that no private key ever leaves the store.
#include "server/api/domain_api.h"

#include <cstdio>
#include <cstdlib>
#include <deque>
#include <functional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/cord.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "gmock/gmock.h"
#include "google/protobuf/util/message_differencer.h"
#include "google/rpc/error_details.pb.h"
#include "gtest/gtest.h"
#include "tests/common/status_payloads.h"
#include "server/common/logger.h"
#include "server/common/proto_time.h"
#include "server/dkim/alignment.h"
#include "server/keystore/key_cipher.h"
#include "tests/common/fake_clock.h"
#include "tests/common/fake_random.h"
#include "tests/dns/fake_resolver.h"
#include "tests/domains/store/fake_domain_store.h"

namespace kirim {
namespace {

using storage::v1::StoredDomain;
using ::kirim::testing::BadFields;
using ::kirim::testing::Precondition;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::MatchesRegex;
using ::testing::Not;
using ::testing::SizeIs;
using ::testing::StartsWith;
using ::testing::UnorderedElementsAre;

// The relay Kirim sends through, and what its own SPF record says.
constexpr char kRelaySpfHost[] = "_spf.relay.example";
constexpr char kRelaySpf[] = "v=spf1 ip4:203.0.113.0/24 -all";
const std::string kKek(32, 'k');
const absl::Duration kRetireAfter = absl::Hours(7 * 24);

domains::RecordOptions Records() {
  domains::RecordOptions records;
  records.spf_includes = {kRelaySpfHost};
  records.spf_ips = {"192.0.2.10"};
  return records;
}

std::string Joined(const v1::DnsRecord& record) { return absl::StrJoin(record.values(), ""); }

Principal Caller(std::string tenant) {
  Principal p;
  p.tenant = std::move(tenant);
  p.scopes = {v1::ApiKey::DOMAINS};
  p.key_id = "KEY0" + p.tenant;
  return p;
}

// The keys of `d` in `state` (and of `algorithm`, unless unspecified), by selector.
std::vector<std::string> Selectors(const v1::Domain& d, v1::DkimKey::State state,
                                   v1::DkimAlgorithm algorithm = v1::DKIM_ALGORITHM_UNSPECIFIED) {
  std::vector<std::string> out;
  for (const v1::DkimKey& k : d.dkim_keys()) {
    if (k.state() == state &&
        (algorithm == v1::DKIM_ALGORITHM_UNSPECIFIED || k.algorithm() == algorithm)) {
      out.push_back(k.selector());
    }
  }
  return out;
}

const v1::DkimKey* Key(const v1::Domain& d, const std::string& selector) {
  for (const v1::DkimKey& k : d.dkim_keys()) {
    if (k.selector() == selector) return &k;
  }
  return nullptr;
}

v1::DkimKey::State StateOf(const v1::Domain& d, const std::string& selector) {
  const v1::DkimKey* k = Key(d, selector);
  EXPECT_NE(k, nullptr) << "no key " << selector;
  return k == nullptr ? v1::DkimKey::STATE_UNSPECIFIED : k->state();
}

// The records of `d` with `purpose`.
std::vector<v1::DnsRecord> RecordsOf(const v1::Domain& d, v1::DnsRecord::Purpose purpose) {
  std::vector<v1::DnsRecord> out;
  for (const v1::DnsRecord& r : d.records()) {
    if (r.purpose() == purpose) out.push_back(r);
  }
  return out;
}

std::vector<std::string> Hosts(const std::vector<v1::DnsRecord>& records) {
  std::vector<std::string> out;
  for (const v1::DnsRecord& r : records) out.push_back(r.host());
  return out;
}

std::string DkimHost(const std::string& selector, const std::string& domain = "example.com") {
  return absl::StrCat(selector, "._domainkey.", domain);
}

// Random whose next 2-byte draws (DomainApi's selector suffixes) can be scripted; everything
// else comes from FakeRandom.
class ScriptedRandom final : public Random {
 public:
  void ForceSelectorBytes(std::string two_bytes, int times) {
    for (int i = 0; i < times; ++i) forced_.push_back(two_bytes);
  }
  std::string Bytes(size_t n) override {
    if (n == 2 && !forced_.empty()) {
      std::string out = forced_.front();
      forced_.pop_front();
      return out;
    }
    return inner_.Bytes(n);
  }
  uint64_t Uint64() override { return inner_.Uint64(); }

 private:
  testing::FakeRandom inner_;
  std::deque<std::string> forced_;
};

// A DomainStore in front of FakeDomainStore that can let "another replica" write right before
// the next Update reaches the store (between the API's read and its compare-and-set).
class RacingDomainStore final : public DomainStore {
 public:
  explicit RacingDomainStore(DomainStore& inner) : inner_(inner) {}
  void BeforeNextUpdate(std::function<void()> race) { race_ = std::move(race); }

  absl::StatusOr<StoredDomain> Get(absl::string_view tenant, absl::string_view domain) override {
    return inner_.Get(tenant, domain);
  }
  absl::StatusOr<std::vector<StoredDomain>> List(absl::string_view tenant) override {
    return inner_.List(tenant);
  }
  absl::Status Create(StoredDomain& record) override { return inner_.Create(record); }
  absl::Status Update(StoredDomain& record) override {
    if (race_) {
      std::function<void()> race = std::move(race_);
      race_ = nullptr;
      race();
    }
    return inner_.Update(record);
  }
  absl::Status Delete(absl::string_view tenant, absl::string_view domain) override {
    return inner_.Delete(tenant, domain);
  }

 private:
  DomainStore& inner_;
  std::function<void()> race_;
};

class DomainApiTest : public ::testing::Test {
 protected:
  DomainApiTest()
      : cipher_(*KeyCipher::Create(kKek)),
        keys_(&cipher_, random_),
        log_(open_memstream(&log_buffer_, &log_size_)),
        logger_(clock_, LogLevel::kDebug, log_),
        verifier_(dns_, Records()),
        api_(store_, keys_, verifier_, clock_, random_, logger_, Options()) {
    dns_.AddTxt(kRelaySpfHost, kRelaySpf);
  }
  ~DomainApiTest() override {
    std::fclose(log_);
    std::free(log_buffer_);
  }

  static DomainApiOptions Options() {
    DomainApiOptions o;
    o.records = Records();
    o.retire_after = kRetireAfter;
    return o;
  }

  std::string Log() {
    std::fflush(log_);
    return std::string(log_buffer_, log_size_);
  }

  v1::Domain Create(const std::string& domain, std::vector<v1::DkimAlgorithm> algorithms = {},
                    const Principal& caller = Caller("acme")) {
    v1::CreateDomainRequest r;
    r.set_domain(domain);
    for (v1::DkimAlgorithm a : algorithms) r.add_algorithms(a);
    absl::StatusOr<v1::Domain> d = api_.CreateDomain(caller, r);
    EXPECT_TRUE(d.ok()) << d.status();
    return d.value_or(v1::Domain());
  }
  absl::StatusOr<v1::Domain> Get(const std::string& name, const Principal& caller = Caller("acme")) {
    v1::GetDomainRequest r;
    r.set_name(name);
    return api_.GetDomain(caller, r);
  }
  absl::StatusOr<v1::Domain> Verify(const std::string& name,
                                    const Principal& caller = Caller("acme")) {
    v1::VerifyDomainRequest r;
    r.set_name(name);
    return api_.VerifyDomain(caller, r);
  }
  v1::Domain VerifyOk(const std::string& name) {
    absl::StatusOr<v1::Domain> d = Verify(name);
    EXPECT_TRUE(d.ok()) << d.status();
    return d.value_or(v1::Domain());
  }
  absl::StatusOr<v1::Domain> Rotate(const std::string& name,
                                    v1::DkimAlgorithm algorithm = v1::DKIM_ALGORITHM_UNSPECIFIED,
                                    const Principal& caller = Caller("acme")) {
    v1::RotateDkimKeyRequest r;
    r.set_name(name);
    r.set_algorithm(algorithm);
    return api_.RotateDkimKey(caller, r);
  }
  absl::Status Delete(const std::string& name, const Principal& caller = Caller("acme")) {
    v1::DeleteDomainRequest r;
    r.set_name(name);
    return api_.DeleteDomain(caller, r).status();
  }
  absl::StatusOr<v1::ListDomainsResponse> List(int page_size, const std::string& token = "",
                                               const Principal& caller = Caller("acme")) {
    v1::ListDomainsRequest r;
    r.set_page_size(page_size);
    r.set_page_token(token);
    return api_.ListDomains(caller, r);
  }
  StoredDomain Stored(const std::string& domain = "example.com",
                      const std::string& tenant = "acme") {
    absl::StatusOr<StoredDomain> s = fake_.Get(tenant, domain);
    EXPECT_TRUE(s.ok()) << s.status();
    return s.value_or(StoredDomain());
  }

  // Publishes `record` in DNS exactly as Kirim asked (its strings joined), once.
  void Publish(const v1::DnsRecord& record) {
    if (published_.insert({record.host(), Joined(record)}).second) {
      dns_.AddTxt(record.host(), Joined(record));
    }
  }
  // Every record of `d` (DKIM keys' included).
  void PublishAll(const v1::Domain& d) {
    for (const v1::DnsRecord& r : d.records()) Publish(r);
  }
  // Every record of `d` except the DKIM keys'.
  void PublishPolicyRecords(const v1::Domain& d) {
    for (const v1::DnsRecord& r : d.records()) {
      if (r.purpose() != v1::DnsRecord::DKIM) Publish(r);
    }
  }
  void PublishKey(const v1::Domain& d, const std::string& selector) {
    const v1::DkimKey* k = Key(d, selector);
    ASSERT_NE(k, nullptr) << selector;
    Publish(k->record());
  }

  // Once verified, a domain always has an ACTIVE RSA key whose sealed private key is stored: mail
  // is never left without a signature Gmail and Outlook check.
  void ExpectSigningRsaKey(const v1::Domain& view, const std::string& step) {
    const StoredDomain stored = Stored(view.domain());
    const std::vector<std::string> active =
        Selectors(stored.domain(), v1::DkimKey::ACTIVE, v1::RSA_SHA256);
    EXPECT_EQ(active.size(), 1u) << step;
    for (const std::string& s : active) EXPECT_TRUE(stored.sealed_keys().count(s)) << step;
    EXPECT_EQ(Selectors(view, v1::DkimKey::ACTIVE, v1::RSA_SHA256), active) << step;
  }

  testing::FakeClock clock_;
  ScriptedRandom random_;
  KeyCipher cipher_;
  DkimKeyStore keys_;
  testing::FakeDomainStore fake_;
  RacingDomainStore store_{fake_};
  testing::FakeResolver dns_;
  char* log_buffer_ = nullptr;
  size_t log_size_ = 0;
  FILE* log_;
  Logger logger_;
  domains::DomainVerifier verifier_;
  DomainApi api_;
  std::set<std::pair<std::string, std::string>> published_;
};

// ---- CreateDomain ----

TEST_F(DomainApiTest, CreateReturnsEveryRecordToPublishWithPendingRsaAndEd25519Keys) {
  const v1::Domain d = Create("example.com");
  EXPECT_EQ(d.name(), "domains/example.com");
  EXPECT_EQ(d.domain(), "example.com");
  EXPECT_EQ(d.state(), v1::Domain::PENDING_VERIFICATION);
  EXPECT_EQ(FromProtoTime(d.create_time()), clock_.Now());
  EXPECT_FALSE(d.has_verify_time());

  // Dual signing by default, RSA first; both wait for their DNS records.
  ASSERT_EQ(d.dkim_keys_size(), 2);
  const v1::DkimKey& rsa = d.dkim_keys(0);
  const v1::DkimKey& ed = d.dkim_keys(1);
  EXPECT_EQ(rsa.algorithm(), v1::RSA_SHA256);
  EXPECT_EQ(rsa.bits(), 2048);
  EXPECT_EQ(ed.algorithm(), v1::ED25519_SHA256);
  EXPECT_EQ(ed.bits(), 0);
  for (const v1::DkimKey& k : d.dkim_keys()) {
    EXPECT_EQ(k.state(), v1::DkimKey::PENDING) << k.selector();
    EXPECT_EQ(FromProtoTime(k.create_time()), clock_.Now());
    EXPECT_TRUE(dkim::ValidateSelector(k.selector()).ok()) << k.selector();
    EXPECT_EQ(k.record().purpose(), v1::DnsRecord::DKIM);
    EXPECT_EQ(k.record().type(), "TXT");
    EXPECT_EQ(k.record().host(), DkimHost(k.selector()));
    EXPECT_FALSE(k.record().advisory());
    EXPECT_EQ(k.record().status(), v1::DnsRecord::NOT_CHECKED);
    for (const std::string& s : k.record().values()) EXPECT_LE(s.size(), 255u);
  }
  EXPECT_THAT(rsa.selector(), MatchesRegex("kirim-20260102-rsa-[0-9a-f]{4}"));
  EXPECT_THAT(ed.selector(), MatchesRegex("kirim-20260102-ed-[0-9a-f]{4}"));
  EXPECT_NE(rsa.selector(), ed.selector());
  EXPECT_THAT(Joined(rsa.record()), StartsWith("v=DKIM1; k=rsa; p=MIIBIjAN"));
  EXPECT_GE(rsa.record().values_size(), 2) << "a 2048-bit key needs two TXT strings";
  EXPECT_THAT(Joined(ed.record()), StartsWith("v=DKIM1; k=ed25519; p="));

  // Every record to publish, the DKIM keys' included.
  EXPECT_EQ(d.records_size(), 6);
  const std::vector<v1::DnsRecord> spf = RecordsOf(d, v1::DnsRecord::SPF);
  ASSERT_EQ(spf.size(), 1u);
  EXPECT_EQ(spf[0].host(), "example.com");
  EXPECT_EQ(Joined(spf[0]), "v=spf1 include:_spf.relay.example ip4:192.0.2.10 ~all");
  EXPECT_FALSE(spf[0].advisory());
  const std::vector<v1::DnsRecord> dmarc = RecordsOf(d, v1::DnsRecord::DMARC);
  ASSERT_EQ(dmarc.size(), 1u);
  EXPECT_EQ(dmarc[0].host(), "_dmarc.example.com");
  EXPECT_EQ(Joined(dmarc[0]),
            "v=DMARC1; p=none; rua=mailto:dmarc-reports@example.com; adkim=r; aspf=r");
  EXPECT_FALSE(dmarc[0].advisory());
  const std::vector<v1::DnsRecord> sts = RecordsOf(d, v1::DnsRecord::MTA_STS);
  ASSERT_EQ(sts.size(), 1u);
  EXPECT_EQ(sts[0].host(), "_mta-sts.example.com");
  EXPECT_EQ(Joined(sts[0]), "v=STSv1; id=20260102030405");
  EXPECT_TRUE(sts[0].advisory());
  const std::vector<v1::DnsRecord> tlsrpt = RecordsOf(d, v1::DnsRecord::TLS_RPT);
  ASSERT_EQ(tlsrpt.size(), 1u);
  EXPECT_EQ(tlsrpt[0].host(), "_smtp._tls.example.com");
  EXPECT_EQ(Joined(tlsrpt[0]), "v=TLSRPTv1; rua=mailto:dmarc-reports@example.com");
  EXPECT_TRUE(tlsrpt[0].advisory());
  EXPECT_THAT(Hosts(RecordsOf(d, v1::DnsRecord::DKIM)),
              UnorderedElementsAre(DkimHost(rsa.selector()), DkimHost(ed.selector())));
  for (const v1::DnsRecord& r : d.records()) {
    EXPECT_EQ(r.status(), v1::DnsRecord::NOT_CHECKED) << r.host();
  }
}

TEST_F(DomainApiTest, CreateStoresTheSealedKeysThatMatchThePublishedRecords) {
  const v1::Domain d = Create("example.com");
  const StoredDomain stored = Stored();
  EXPECT_EQ(stored.tenant(), "acme");
  EXPECT_EQ(stored.version(), 1);
  EXPECT_EQ(stored.domain().state(), v1::Domain::PENDING_VERIFICATION);
  ASSERT_EQ(stored.sealed_keys_size(), 2);
  for (const v1::DkimKey& k : d.dkim_keys()) {
    auto sealed = stored.sealed_keys().find(k.selector());
    ASSERT_NE(sealed, stored.sealed_keys().end()) << k.selector();
    EXPECT_THAT(sealed->second, Not(HasSubstr("PRIVATE"))) << "sealed, not plain PEM";
    auto opened = keys_.Open("acme", "example.com", k.selector(), sealed->second);
    ASSERT_TRUE(opened.ok()) << opened.status();
    EXPECT_EQ((*opened)->DnsRecordValue(), Joined(k.record())) << k.selector();
  }
  // The stored record keeps the DKIM records with their keys only; the view adds them.
  EXPECT_EQ(stored.domain().records_size(), 4);
  EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(DomainView(stored), d));
}

TEST_F(DomainApiTest, RsaIsAlwaysAddedAndDuplicateAlgorithmsAreMerged) {
  const v1::Domain ed_only = Create("ed.example", {v1::ED25519_SHA256});
  ASSERT_EQ(ed_only.dkim_keys_size(), 2);
  EXPECT_EQ(ed_only.dkim_keys(0).algorithm(), v1::RSA_SHA256);
  EXPECT_EQ(ed_only.dkim_keys(1).algorithm(), v1::ED25519_SHA256);

  const v1::Domain rsa_only = Create("rsa.example", {v1::RSA_SHA256});
  ASSERT_EQ(rsa_only.dkim_keys_size(), 1);
  EXPECT_EQ(rsa_only.dkim_keys(0).algorithm(), v1::RSA_SHA256);
  EXPECT_EQ(RecordsOf(rsa_only, v1::DnsRecord::DKIM).size(), 1u);

  const v1::Domain twice =
      Create("twice.example", {v1::ED25519_SHA256, v1::RSA_SHA256, v1::ED25519_SHA256});
  ASSERT_EQ(twice.dkim_keys_size(), 2);
  EXPECT_EQ(twice.dkim_keys(0).algorithm(), v1::RSA_SHA256);
  EXPECT_EQ(twice.dkim_keys(1).algorithm(), v1::ED25519_SHA256);
}

TEST_F(DomainApiTest, TheDomainIsStoredInCanonicalForm) {
  const v1::Domain d = Create(" Example.COM. ");
  EXPECT_EQ(d.domain(), "example.com");
  EXPECT_EQ(d.name(), "domains/example.com");
  EXPECT_EQ(Stored().domain().domain(), "example.com");
  absl::StatusOr<v1::Domain> got = Get("domains/EXAMPLE.com");
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->domain(), "example.com");
}

TEST_F(DomainApiTest, AReportAddressOfTheCallersGoesIntoDmarcAndTlsRpt) {
  v1::CreateDomainRequest r;
  r.set_domain("example.com");
  r.set_dmarc_report_address("reports@mail.example.com");
  absl::StatusOr<v1::Domain> d = api_.CreateDomain(Caller("acme"), r);
  ASSERT_TRUE(d.ok()) << d.status();
  EXPECT_THAT(Joined(RecordsOf(*d, v1::DnsRecord::DMARC)[0]),
              HasSubstr("rua=mailto:reports@mail.example.com;"));
  EXPECT_EQ(Joined(RecordsOf(*d, v1::DnsRecord::TLS_RPT)[0]),
            "v=TLSRPTv1; rua=mailto:reports@mail.example.com");
}

// Whatever report address CreateDomain accepts, the records it asks for, published exactly,
// must verify.
TEST_F(DomainApiTest, ReportAddressesThatWouldNeedEncodingAreRefused) {
  for (const char* address : {"a!b@example.com", "a,b@example.com", "a;p=reject@example.com",
                              "a b@example.com", "a%b@example.com"}) {
    v1::CreateDomainRequest r;
    r.set_domain("example.com");
    r.set_dmarc_report_address(address);
    absl::StatusOr<v1::Domain> d = api_.CreateDomain(Caller("acme"), r);
    EXPECT_THAT(BadFields(d.status()), ElementsAre("dmarc_report_address")) << address;
  }
}

TEST_F(DomainApiTest, AnAcceptedReportAddressNeverBreaksTheDmarcRecord) {
  v1::CreateDomainRequest r;
  r.set_domain("example.com");
  r.set_dmarc_report_address("\"x; p=reject\"@example.com");
  absl::StatusOr<v1::Domain> d = api_.CreateDomain(Caller("acme"), r);
  if (!d.ok()) {
    // Refusing it is fine too, as long as the field is named.
    EXPECT_THAT(BadFields(d.status()), ElementsAre("dmarc_report_address"));
    return;
  }
  PublishAll(*d);
  const v1::Domain verified = VerifyOk("domains/example.com");
  const v1::DnsRecord dmarc = RecordsOf(verified, v1::DnsRecord::DMARC)[0];
  EXPECT_EQ(dmarc.status(), v1::DnsRecord::FOUND) << Joined(dmarc) << ": " << dmarc.problem();
  EXPECT_EQ(verified.state(), v1::Domain::VERIFIED);
}

TEST_F(DomainApiTest, NoPrivateKeyMaterialLeavesTheApiOrReachesTheLog) {
  const v1::Domain created = Create("example.com");
  PublishAll(created);
  const v1::Domain verified = VerifyOk("domains/example.com");
  absl::StatusOr<v1::Domain> rotated = Rotate("domains/example.com");
  ASSERT_TRUE(rotated.ok()) << rotated.status();
  absl::StatusOr<v1::Domain> got = Get("domains/example.com");
  ASSERT_TRUE(got.ok()) << got.status();
  absl::StatusOr<v1::ListDomainsResponse> listed = List(0);
  ASSERT_TRUE(listed.ok()) << listed.status();

  const StoredDomain stored = Stored();
  ASSERT_EQ(stored.sealed_keys_size(), 4);
  std::vector<std::string> pems;
  for (const auto& [selector, sealed] : stored.sealed_keys()) {
    auto key = keys_.Open("acme", "example.com", selector, sealed);
    ASSERT_TRUE(key.ok()) << key.status();
    auto pem = (*key)->ToPem();
    ASSERT_TRUE(pem.ok());
    pems.push_back(*pem);
  }
  const std::vector<const google::protobuf::Message*> answers = {&created, &verified, &*rotated,
                                                                 &*got, &*listed};
  for (const google::protobuf::Message* m : answers) {
    for (const std::string& text : {m->SerializeAsString(), m->DebugString()}) {
      EXPECT_THAT(text, Not(HasSubstr("PRIVATE"))) << m->GetDescriptor()->name();
      for (const auto& [selector, sealed] : stored.sealed_keys()) {
        EXPECT_THAT(text, Not(HasSubstr(sealed))) << selector;
      }
      for (const std::string& pem : pems) {
        // A line from the middle of the PEM body: key bytes, not the armour.
        const std::string body_line = pem.substr(pem.find('\n') + 1, 40);
        EXPECT_THAT(text, Not(HasSubstr(body_line)));
      }
    }
  }
  const std::string log = Log();
  EXPECT_THAT(log, HasSubstr("domain_created")) << "the log was captured";
  EXPECT_THAT(log, Not(HasSubstr("PRIVATE")));
  for (const std::string& pem : pems) {
    EXPECT_THAT(log, Not(HasSubstr(pem.substr(pem.find('\n') + 1, 40))));
  }
}

struct InvalidCreate {
  std::string test_name;
  std::string domain;
  std::vector<int> algorithms;
  std::string dmarc_report_address;
  std::vector<std::string> bad_fields;
};

class InvalidCreateTest : public DomainApiTest,
                          public ::testing::WithParamInterface<InvalidCreate> {};

TEST_P(InvalidCreateTest, IsInvalidArgumentNamingTheFieldAndStoresNothing) {
  v1::CreateDomainRequest r;
  r.set_domain(GetParam().domain);
  for (int a : GetParam().algorithms) r.add_algorithms(static_cast<v1::DkimAlgorithm>(a));
  r.set_dmarc_report_address(GetParam().dmarc_report_address);
  absl::StatusOr<v1::Domain> d = api_.CreateDomain(Caller("acme"), r);
  EXPECT_EQ(d.status().code(), absl::StatusCode::kInvalidArgument) << d.status();
  EXPECT_EQ(BadFields(d.status()), GetParam().bad_fields);
  absl::StatusOr<std::vector<StoredDomain>> all = fake_.List("acme");
  ASSERT_TRUE(all.ok());
  EXPECT_THAT(*all, IsEmpty());
}

INSTANTIATE_TEST_SUITE_P(
    Requests, InvalidCreateTest,
    ::testing::Values(
        InvalidCreate{"EmptyDomain", "", {}, "", {"domain"}},
        InvalidCreate{"Localhost", "localhost", {}, "", {"domain"}},
        InvalidCreate{"NotAHostName", "exa mple.com", {}, "", {"domain"}},
        InvalidCreate{"ResourceName", "domains/example.com", {}, "", {"domain"}},
        InvalidCreate{"UnknownAlgorithm", "example.com", {7}, "", {"algorithms[0]"}},
        InvalidCreate{"UnspecifiedAlgorithm", "example.com", {1, 0}, "", {"algorithms[1]"}},
        InvalidCreate{"BadReportAddress", "example.com", {}, "not an address",
                      {"dmarc_report_address"}},
        InvalidCreate{"EveryFieldAtOnce", "localhost", {9}, "@", {"domain", "algorithms[0]",
                                                                  "dmarc_report_address"}}),
    [](const ::testing::TestParamInfo<InvalidCreate>& info) { return info.param.test_name; });

TEST_F(DomainApiTest, ADuplicateIsAlreadyExistsAndKeepsTheFirstKeys) {
  const v1::Domain first = Create("example.com");
  v1::CreateDomainRequest again;
  again.set_domain("EXAMPLE.com");
  EXPECT_EQ(api_.CreateDomain(Caller("acme"), again).status().code(),
            absl::StatusCode::kAlreadyExists);
  const StoredDomain stored = Stored();
  EXPECT_EQ(stored.version(), 1);
  EXPECT_THAT(Selectors(stored.domain(), v1::DkimKey::PENDING),
              ElementsAre(first.dkim_keys(0).selector(), first.dkim_keys(1).selector()));
  EXPECT_EQ(stored.sealed_keys_size(), 2);
}

TEST_F(DomainApiTest, BadResourceNamesAreInvalidArgument) {
  Create("example.com");
  for (const std::string name : {"example.com", "domains/", "domain/example.com",
                                 "domains/localhost", "domains/a b.example"}) {
    SCOPED_TRACE(name);
    EXPECT_THAT(BadFields(Get(name).status()), ElementsAre("name"));
    EXPECT_THAT(BadFields(Verify(name).status()), ElementsAre("name"));
    EXPECT_THAT(BadFields(Rotate(name).status()), ElementsAre("name"));
    EXPECT_THAT(BadFields(Delete(name)), ElementsAre("name"));
  }
  absl::Status bad_algorithm = Rotate("domains/example.com", static_cast<v1::DkimAlgorithm>(9))
                                   .status();
  EXPECT_EQ(bad_algorithm.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(BadFields(bad_algorithm), ElementsAre("algorithm"));
  EXPECT_EQ(Stored().version(), 1);
}

// ---- Tenants ----

TEST_F(DomainApiTest, AnotherTenantsDomainIsNotFound) {
  Create("example.com");
  PublishAll(*Get("domains/example.com"));
  const Principal globex = Caller("globex");
  EXPECT_EQ(Get("domains/example.com", globex).status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(Verify("domains/example.com", globex).status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(Rotate("domains/example.com", v1::DKIM_ALGORITHM_UNSPECIFIED, globex).status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(Delete("domains/example.com", globex).code(), absl::StatusCode::kNotFound);
  absl::StatusOr<v1::ListDomainsResponse> listed = List(0, "", globex);
  ASSERT_TRUE(listed.ok()) << listed.status();
  EXPECT_THAT(listed->domains(), IsEmpty());
  // The owner's domain is untouched.
  EXPECT_EQ(Stored().version(), 1);
  EXPECT_EQ(Stored().domain().state(), v1::Domain::PENDING_VERIFICATION);
}

// ---- VerifyDomain ----

TEST_F(DomainApiTest, NothingPublishedFailsVerificationWithEveryRecordMissing) {
  Create("example.com");
  clock_.Advance(absl::Minutes(3));
  const v1::Domain d = VerifyOk("domains/example.com");
  EXPECT_EQ(d.state(), v1::Domain::FAILED_VERIFICATION);
  EXPECT_EQ(FromProtoTime(d.verify_time()), clock_.Now());
  ASSERT_EQ(d.records_size(), 6);
  for (const v1::DnsRecord& r : d.records()) {
    EXPECT_EQ(r.status(), v1::DnsRecord::MISSING) << r.host();
    EXPECT_THAT(r.problem(), Not(IsEmpty())) << r.host();
  }
  EXPECT_THAT(Selectors(d, v1::DkimKey::PENDING), SizeIs(2));
  // The verdicts are stored.
  const StoredDomain stored = Stored();
  EXPECT_EQ(stored.version(), 2);
  EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(DomainView(stored), d));
}

TEST_F(DomainApiTest, EverythingPublishedVerifiesAndActivatesBothKeys) {
  const v1::Domain created = Create("example.com");
  PublishAll(created);
  const v1::Domain d = VerifyOk("domains/example.com");
  EXPECT_EQ(d.state(), v1::Domain::VERIFIED);
  for (const v1::DnsRecord& r : d.records()) {
    EXPECT_EQ(r.status(), v1::DnsRecord::FOUND) << r.host() << ": " << r.problem();
  }
  EXPECT_THAT(Selectors(d, v1::DkimKey::ACTIVE),
              ElementsAre(created.dkim_keys(0).selector(), created.dkim_keys(1).selector()));
  const StoredDomain stored = Stored();
  EXPECT_EQ(stored.domain().state(), v1::Domain::VERIFIED);
  EXPECT_THAT(Selectors(stored.domain(), v1::DkimKey::ACTIVE), SizeIs(2));
  EXPECT_THAT(stored.retire_times(), IsEmpty());
  ExpectSigningRsaKey(d, "verified");

  // Verifying again changes nothing about the keys.
  const v1::Domain again = VerifyOk("domains/example.com");
  EXPECT_EQ(again.state(), v1::Domain::VERIFIED);
  EXPECT_THAT(Selectors(again, v1::DkimKey::ACTIVE), SizeIs(2));
}

TEST_F(DomainApiTest, OnlyTheRsaKeyPublishedVerifiesWithEd25519StillPending) {
  const v1::Domain created = Create("example.com");
  PublishPolicyRecords(created);
  PublishKey(created, created.dkim_keys(0).selector());
  const v1::Domain d = VerifyOk("domains/example.com");
  EXPECT_EQ(d.state(), v1::Domain::VERIFIED);
  EXPECT_EQ(StateOf(d, created.dkim_keys(0).selector()), v1::DkimKey::ACTIVE);
  EXPECT_EQ(StateOf(d, created.dkim_keys(1).selector()), v1::DkimKey::PENDING);
  EXPECT_EQ(Key(d, created.dkim_keys(1).selector())->record().status(), v1::DnsRecord::MISSING);
  ExpectSigningRsaKey(d, "rsa only");

  // Published later, the Ed25519 key joins.
  PublishKey(created, created.dkim_keys(1).selector());
  const v1::Domain later = VerifyOk("domains/example.com");
  EXPECT_EQ(later.state(), v1::Domain::VERIFIED);
  EXPECT_EQ(StateOf(later, created.dkim_keys(1).selector()), v1::DkimKey::ACTIVE);
  EXPECT_EQ(StateOf(later, created.dkim_keys(0).selector()), v1::DkimKey::ACTIVE);
}

TEST_F(DomainApiTest, WithoutAnActiveRsaKeyTheDomainIsNotVerified) {
  const v1::Domain created = Create("example.com");
  PublishPolicyRecords(created);
  PublishKey(created, created.dkim_keys(1).selector());  // Ed25519 only
  const v1::Domain d = VerifyOk("domains/example.com");
  EXPECT_EQ(d.state(), v1::Domain::FAILED_VERIFICATION);
  EXPECT_EQ(StateOf(d, created.dkim_keys(0).selector()), v1::DkimKey::PENDING);
}

TEST_F(DomainApiTest, MissingSpfOrDmarcFailsVerificationButAdvisoryRecordsDoNot) {
  const v1::Domain created = Create("example.com");
  for (const v1::DnsRecord& r : created.records()) {
    if (r.purpose() != v1::DnsRecord::DMARC && !r.advisory()) Publish(r);
  }
  v1::Domain d = VerifyOk("domains/example.com");
  EXPECT_EQ(d.state(), v1::Domain::FAILED_VERIFICATION);
  EXPECT_EQ(RecordsOf(d, v1::DnsRecord::DMARC)[0].status(), v1::DnsRecord::MISSING);

  Publish(RecordsOf(created, v1::DnsRecord::DMARC)[0]);
  d = VerifyOk("domains/example.com");
  EXPECT_EQ(d.state(), v1::Domain::VERIFIED) << "MTA-STS and TLS-RPT are advice only";
  EXPECT_EQ(RecordsOf(d, v1::DnsRecord::MTA_STS)[0].status(), v1::DnsRecord::MISSING);
  EXPECT_EQ(RecordsOf(d, v1::DnsRecord::TLS_RPT)[0].status(), v1::DnsRecord::MISSING);
}

TEST_F(DomainApiTest, ADnsFailureIsUnavailableAndChangesNothing) {
  const v1::Domain created = Create("example.com");
  PublishAll(created);
  ASSERT_EQ(VerifyOk("domains/example.com").state(), v1::Domain::VERIFIED);
  const StoredDomain before = Stored();

  // A rotation's new keys are published, but one lookup fails: nothing may move.
  ASSERT_TRUE(Rotate("domains/example.com").ok());
  const StoredDomain rotated = Stored();
  PublishAll(DomainView(rotated));
  clock_.Advance(absl::Hours(1));
  const std::string new_ed = Selectors(rotated.domain(), v1::DkimKey::PENDING,
                                       v1::ED25519_SHA256)[0];
  dns_.SetFailure(DkimHost(new_ed), absl::UnavailableError("SERVFAIL"));
  absl::StatusOr<v1::Domain> failed = Verify("domains/example.com");
  EXPECT_EQ(failed.status().code(), absl::StatusCode::kUnavailable) << failed.status();
  EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(Stored(), rotated))
      << Stored().DebugString();

  dns_.SetFailure("example.com", absl::UnavailableError("timeout"));
  EXPECT_EQ(Verify("domains/example.com").status().code(), absl::StatusCode::kUnavailable);
  EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(Stored(), rotated));

  // Back up: the verification goes through.
  dns_.SetFailure(DkimHost(new_ed), absl::OkStatus());
  dns_.SetFailure("example.com", absl::OkStatus());
  const v1::Domain d = VerifyOk("domains/example.com");
  EXPECT_EQ(d.state(), v1::Domain::VERIFIED);
  EXPECT_EQ(StateOf(d, new_ed), v1::DkimKey::ACTIVE);
  EXPECT_EQ(before.version() + 2, Stored().version());
}

TEST_F(DomainApiTest, TheStoreDownIsUnavailable) {
  Create("example.com");
  fake_.SetDown(absl::UnavailableError("redis down"));
  EXPECT_EQ(Get("domains/example.com").status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(Verify("domains/example.com").status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(List(0).status().code(), absl::StatusCode::kUnavailable);
  v1::CreateDomainRequest r;
  r.set_domain("other.example");
  EXPECT_EQ(api_.CreateDomain(Caller("acme"), r).status().code(), absl::StatusCode::kUnavailable);
}

// ---- RotateDkimKey and the key lifecycle ----

TEST_F(DomainApiTest, AWholeRotationAlwaysKeepsAnActiveRsaKey) {
  const v1::Domain created = Create("example.com");
  const std::string old_rsa = created.dkim_keys(0).selector();
  const std::string old_ed = created.dkim_keys(1).selector();
  PublishAll(created);
  clock_.Advance(absl::Hours(1));
  v1::Domain d = VerifyOk("domains/example.com");
  ASSERT_EQ(d.state(), v1::Domain::VERIFIED);
  ExpectSigningRsaKey(d, "verified");

  // Rotate: a new PENDING key per algorithm beside the ACTIVE ones.
  clock_.Advance(absl::Hours(24));
  absl::StatusOr<v1::Domain> rotated = Rotate("domains/example.com");
  ASSERT_TRUE(rotated.ok()) << rotated.status();
  d = *rotated;
  EXPECT_EQ(d.state(), v1::Domain::VERIFIED);
  const std::vector<std::string> pending = Selectors(d, v1::DkimKey::PENDING);
  ASSERT_EQ(pending.size(), 2u);
  const std::string new_rsa = Selectors(d, v1::DkimKey::PENDING, v1::RSA_SHA256)[0];
  const std::string new_ed = Selectors(d, v1::DkimKey::PENDING, v1::ED25519_SHA256)[0];
  EXPECT_THAT(new_rsa, MatchesRegex("kirim-20260103-rsa-[0-9a-f]{4}"));
  EXPECT_THAT(new_ed, MatchesRegex("kirim-20260103-ed-[0-9a-f]{4}"));
  EXPECT_EQ(FromProtoTime(Key(d, new_rsa)->create_time()), clock_.Now());
  EXPECT_THAT(Selectors(d, v1::DkimKey::ACTIVE), ElementsAre(old_rsa, old_ed));
  EXPECT_THAT(Hosts(RecordsOf(d, v1::DnsRecord::DKIM)),
              UnorderedElementsAre(DkimHost(old_rsa), DkimHost(old_ed), DkimHost(new_rsa),
                                   DkimHost(new_ed)));
  EXPECT_EQ(Stored().sealed_keys_size(), 4);
  ExpectSigningRsaKey(d, "rotated");

  // A second rotation must wait for the first.
  absl::Status again = Rotate("domains/example.com").status();
  EXPECT_EQ(again.code(), absl::StatusCode::kFailedPrecondition) << again;
  EXPECT_EQ(Precondition(again).type(), "DKIM_KEY_PENDING");
  EXPECT_EQ(Precondition(again).subject(), "domains/example.com");
  EXPECT_EQ(Rotate("domains/example.com", v1::ED25519_SHA256).status().code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(Selectors(Stored().domain(), v1::DkimKey::PENDING).size(), 2u);

  // Verified before the new records are published: the old keys keep signing.
  clock_.Advance(absl::Hours(1));
  d = VerifyOk("domains/example.com");
  EXPECT_EQ(d.state(), v1::Domain::VERIFIED);
  EXPECT_THAT(Selectors(d, v1::DkimKey::ACTIVE), ElementsAre(old_rsa, old_ed));
  EXPECT_THAT(Selectors(d, v1::DkimKey::PENDING), ElementsAre(new_rsa, new_ed));
  EXPECT_EQ(Key(d, new_rsa)->record().status(), v1::DnsRecord::MISSING);
  ExpectSigningRsaKey(d, "new keys not published");

  // Published and verified: the new keys sign, the old ones retire but stay published.
  PublishAll(d);
  clock_.Advance(absl::Hours(1));
  const absl::Time retired_at = clock_.Now();
  d = VerifyOk("domains/example.com");
  EXPECT_EQ(d.state(), v1::Domain::VERIFIED);
  EXPECT_THAT(Selectors(d, v1::DkimKey::ACTIVE), ElementsAre(new_rsa, new_ed));
  EXPECT_THAT(Selectors(d, v1::DkimKey::RETIRING), ElementsAre(old_rsa, old_ed));
  EXPECT_THAT(Hosts(RecordsOf(d, v1::DnsRecord::DKIM)),
              UnorderedElementsAre(DkimHost(old_rsa), DkimHost(old_ed), DkimHost(new_rsa),
                                   DkimHost(new_ed)));
  StoredDomain stored = Stored();
  EXPECT_EQ(stored.sealed_keys_size(), 4) << "a RETIRING key's private key is kept";
  ASSERT_EQ(stored.retire_times().count(old_rsa), 1u);
  EXPECT_EQ(FromProtoTime(stored.retire_times().at(old_rsa)), retired_at);
  ExpectSigningRsaKey(d, "new keys active");

  // Just before retire_after the old keys are still RETIRING.
  clock_.Advance(kRetireAfter - absl::Seconds(1));
  d = VerifyOk("domains/example.com");
  EXPECT_THAT(Selectors(d, v1::DkimKey::RETIRING), ElementsAre(old_rsa, old_ed));
  EXPECT_EQ(Stored().sealed_keys_size(), 4);

  // After it, they are REMOVED: private key erased, record no longer asked for.
  clock_.Advance(absl::Seconds(2));
  d = VerifyOk("domains/example.com");
  EXPECT_EQ(d.state(), v1::Domain::VERIFIED);
  EXPECT_EQ(StateOf(d, old_rsa), v1::DkimKey::REMOVED);
  EXPECT_EQ(StateOf(d, old_ed), v1::DkimKey::REMOVED);
  EXPECT_THAT(Selectors(d, v1::DkimKey::ACTIVE), ElementsAre(new_rsa, new_ed));
  EXPECT_THAT(Hosts(RecordsOf(d, v1::DnsRecord::DKIM)),
              UnorderedElementsAre(DkimHost(new_rsa), DkimHost(new_ed)));
  stored = Stored();
  EXPECT_EQ(stored.sealed_keys().count(old_rsa), 0u);
  EXPECT_EQ(stored.sealed_keys().count(old_ed), 0u);
  EXPECT_EQ(stored.sealed_keys().count(new_rsa), 1u);
  EXPECT_EQ(stored.sealed_keys().count(new_ed), 1u);
  EXPECT_THAT(stored.retire_times(), IsEmpty());
  EXPECT_THAT(Hosts(RecordsOf(DomainView(stored), v1::DnsRecord::DKIM)),
              UnorderedElementsAre(DkimHost(new_rsa), DkimHost(new_ed)));
  ExpectSigningRsaKey(d, "old keys removed");

  // The next rotation starts from the new keys; the removed ones stay removed.
  clock_.Advance(absl::Hours(1));
  ASSERT_TRUE(Rotate("domains/example.com", v1::RSA_SHA256).ok());
  PublishAll(*Get("domains/example.com"));
  d = VerifyOk("domains/example.com");
  EXPECT_EQ(StateOf(d, old_rsa), v1::DkimKey::REMOVED);
  EXPECT_EQ(StateOf(d, new_rsa), v1::DkimKey::RETIRING);
  EXPECT_EQ(StateOf(d, new_ed), v1::DkimKey::ACTIVE);
  ExpectSigningRsaKey(d, "second rotation");
}

TEST_F(DomainApiTest, RotateAlsoRemovesKeysPastRetireAfter) {
  const v1::Domain created = Create("example.com", {v1::RSA_SHA256});
  const std::string old_rsa = created.dkim_keys(0).selector();
  PublishAll(created);
  VerifyOk("domains/example.com");
  ASSERT_TRUE(Rotate("domains/example.com").ok());
  PublishAll(*Get("domains/example.com"));
  clock_.Advance(absl::Minutes(1));
  v1::Domain d = VerifyOk("domains/example.com");
  ASSERT_EQ(StateOf(d, old_rsa), v1::DkimKey::RETIRING);

  clock_.Advance(kRetireAfter);
  absl::StatusOr<v1::Domain> rotated = Rotate("domains/example.com");
  ASSERT_TRUE(rotated.ok()) << rotated.status();
  EXPECT_EQ(StateOf(*rotated, old_rsa), v1::DkimKey::REMOVED);
  EXPECT_EQ(Stored().sealed_keys().count(old_rsa), 0u);
  EXPECT_EQ(Selectors(*rotated, v1::DkimKey::PENDING).size(), 1u);
  EXPECT_EQ(Selectors(*rotated, v1::DkimKey::ACTIVE).size(), 1u);
}

TEST_F(DomainApiTest, RotatingBeforeAnyKeyIsActiveIsFailedPrecondition) {
  Create("example.com");
  absl::Status all = Rotate("domains/example.com").status();
  EXPECT_EQ(all.code(), absl::StatusCode::kFailedPrecondition) << all;
  absl::Status rsa = Rotate("domains/example.com", v1::RSA_SHA256).status();
  EXPECT_EQ(rsa.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(Precondition(rsa).type(), "DKIM_KEY_NOT_ACTIVE");
  EXPECT_EQ(Precondition(rsa).subject(), "domains/example.com");
  EXPECT_THAT(std::string(rsa.message()), HasSubstr("RSA_SHA256"));
  EXPECT_EQ(Stored().version(), 1);
  EXPECT_EQ(Stored().sealed_keys_size(), 2) << "no key generated for a refused rotation";
}

TEST_F(DomainApiTest, RotatingOneAlgorithmLeavesTheOtherAlone) {
  const v1::Domain created = Create("example.com");
  PublishAll(created);
  VerifyOk("domains/example.com");
  absl::StatusOr<v1::Domain> d = Rotate("domains/example.com", v1::ED25519_SHA256);
  ASSERT_TRUE(d.ok()) << d.status();
  EXPECT_EQ(Selectors(*d, v1::DkimKey::PENDING, v1::ED25519_SHA256).size(), 1u);
  EXPECT_THAT(Selectors(*d, v1::DkimKey::PENDING, v1::RSA_SHA256), IsEmpty());
  EXPECT_THAT(Selectors(*d, v1::DkimKey::ACTIVE),
              ElementsAre(created.dkim_keys(0).selector(), created.dkim_keys(1).selector()));
  // RSA can still rotate while the Ed25519 rotation is pending.
  absl::StatusOr<v1::Domain> rsa = Rotate("domains/example.com", v1::RSA_SHA256);
  ASSERT_TRUE(rsa.ok()) << rsa.status();
  EXPECT_EQ(Selectors(*rsa, v1::DkimKey::PENDING).size(), 2u);
}

TEST_F(DomainApiTest, ARotationOnTheSameDayNeverReusesASelector) {
  // Every selector suffix drawn comes out "abcd" at first, so the rotation's first candidate
  // collides with the key it replaces.
  random_.ForceSelectorBytes("\xab\xcd", 4);
  const v1::Domain created = Create("example.com", {v1::RSA_SHA256});
  ASSERT_EQ(created.dkim_keys(0).selector(), "kirim-20260102-rsa-abcd");
  PublishAll(created);
  VerifyOk("domains/example.com");
  absl::StatusOr<v1::Domain> d = Rotate("domains/example.com");
  ASSERT_TRUE(d.ok()) << d.status();
  ASSERT_EQ(d->dkim_keys_size(), 2);
  EXPECT_THAT(d->dkim_keys(1).selector(), MatchesRegex("kirim-20260102-rsa-[0-9a-f]{4}"));
  EXPECT_NE(d->dkim_keys(1).selector(), d->dkim_keys(0).selector());
  EXPECT_EQ(Stored().sealed_keys_size(), 2);
  EXPECT_EQ(StateOf(*d, "kirim-20260102-rsa-abcd"), v1::DkimKey::ACTIVE);
}

TEST_F(DomainApiTest, AConcurrentWriteIsAbortedAndNotOverwritten) {
  const v1::Domain created = Create("example.com");
  PublishAll(created);
  // Another replica verifies the domain between this call's read and its write.
  store_.BeforeNextUpdate([&] {
    StoredDomain other = Stored();
    other.mutable_domain()->set_state(v1::Domain::FAILED_VERIFICATION);
    ASSERT_TRUE(fake_.Update(other).ok());
  });
  absl::Status lost = Verify("domains/example.com").status();
  EXPECT_EQ(lost.code(), absl::StatusCode::kAborted) << lost;
  EXPECT_EQ(Stored().version(), 2);
  EXPECT_EQ(Stored().domain().state(), v1::Domain::FAILED_VERIFICATION);
  EXPECT_THAT(Selectors(Stored().domain(), v1::DkimKey::ACTIVE), IsEmpty());

  // Called again, it succeeds.
  EXPECT_EQ(VerifyOk("domains/example.com").state(), v1::Domain::VERIFIED);

  // A rotation racing another rotation does not lose the other's key.
  std::string other_selector;
  store_.BeforeNextUpdate([&] {
    StoredDomain other = Stored();
    v1::DkimKey* k = other.mutable_domain()->add_dkim_keys();
    k->set_selector("other-replica");
    k->set_state(v1::DkimKey::PENDING);
    ASSERT_TRUE(fake_.Update(other).ok());
  });
  EXPECT_EQ(Rotate("domains/example.com").status().code(), absl::StatusCode::kAborted);
  const StoredDomain stored = Stored();
  EXPECT_NE(Key(stored.domain(), "other-replica"), nullptr);
  EXPECT_EQ(stored.domain().dkim_keys_size(), 3);
}

// ---- ListDomains ----

TEST_F(DomainApiTest, ListPagesInDomainOrder) {
  Create("c.example");
  Create("a.example");
  Create("b.example");
  Create("z.example", {}, Caller("globex"));

  absl::StatusOr<v1::ListDomainsResponse> page1 = List(2);
  ASSERT_TRUE(page1.ok()) << page1.status();
  ASSERT_EQ(page1->domains_size(), 2);
  EXPECT_EQ(page1->domains(0).domain(), "a.example");
  EXPECT_EQ(page1->domains(1).domain(), "b.example");
  EXPECT_THAT(page1->next_page_token(), Not(IsEmpty()));
  // Listed domains are full views: the DKIM records are among the records.
  EXPECT_EQ(RecordsOf(page1->domains(0), v1::DnsRecord::DKIM).size(), 2u);

  absl::StatusOr<v1::ListDomainsResponse> page2 = List(2, page1->next_page_token());
  ASSERT_TRUE(page2.ok()) << page2.status();
  ASSERT_EQ(page2->domains_size(), 1);
  EXPECT_EQ(page2->domains(0).domain(), "c.example");
  EXPECT_THAT(page2->next_page_token(), IsEmpty());

  // Exactly a page full: no token pointing at an empty page.
  absl::StatusOr<v1::ListDomainsResponse> three = List(3);
  ASSERT_TRUE(three.ok());
  EXPECT_EQ(three->domains_size(), 3);
  EXPECT_THAT(three->next_page_token(), IsEmpty());

  absl::StatusOr<v1::ListDomainsResponse> all = List(0);
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->domains_size(), 3);
}

TEST_F(DomainApiTest, ABadPageTokenOrSizeIsInvalidArgument) {
  Create("a.example");
  for (const std::string token : {"%%%", "not a token", "YS5leGFtcGxl==="}) {
    absl::Status s = List(2, token).status();
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << token;
    EXPECT_THAT(BadFields(s), ElementsAre("page_token")) << token;
  }
  EXPECT_THAT(BadFields(List(-1).status()), ElementsAre("page_size"));
}

// ---- DeleteDomain ----

TEST_F(DomainApiTest, ADeletedDomainIsGone) {
  const v1::Domain first = Create("example.com");
  ASSERT_TRUE(Delete("domains/example.com").ok());
  EXPECT_EQ(Get("domains/example.com").status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(Verify("domains/example.com").status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(Delete("domains/example.com").code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(fake_.Get("acme", "example.com").status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(List(0)->domains(), IsEmpty());
  // Registered again, it gets fresh keys.
  const v1::Domain second = Create("example.com");
  EXPECT_NE(second.dkim_keys(0).selector(), first.dkim_keys(0).selector());
  EXPECT_NE(Joined(second.dkim_keys(0).record()), Joined(first.dkim_keys(0).record()));
}

}  // namespace
}  // namespace kirim
