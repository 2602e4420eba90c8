// DomainVerifier against an in-memory zone (FakeResolver): every verdict of each purpose,
// DNS failures, and Verify over a whole domain. The same verifier against a real DNS server:
// domain_verifier_dns_test.cc.
#include "server/domains/domain_verifier.h"

#include <algorithm>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "tests/dns/fake_resolver.h"
#include "tests/domains/test_domain.h"

namespace kirim::domains {
namespace {

using ::kirim::testing::FakeResolver;
using ::kirim::testing::Joined;
using ::kirim::testing::kEd25519PublicKey;
using ::kirim::testing::kFound;
using ::kirim::testing::kMismatched;
using ::kirim::testing::kMissing;
using ::kirim::testing::kNotChecked;
using ::kirim::testing::kOtherRsaPublicKey;
using ::kirim::testing::kRsa2048PublicKey;
using ::kirim::testing::TestDomain;
using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using ::testing::StartsWith;

const std::string kRsaValue = absl::StrCat("v=DKIM1; k=rsa; p=", kRsa2048PublicKey);
const std::string kEdValue = absl::StrCat("v=DKIM1; k=ed25519; p=", kEd25519PublicKey);
// What the relay's own SPF record says (no lookups of its own).
constexpr char kRelaySpf[] = "v=spf1 ip4:203.0.113.0/24 -all";

RecordOptions Options() {
  RecordOptions options;
  options.spf_includes = {"_spf.relay.example"};
  options.spf_ips = {"192.0.2.10", "2001:db8::/32"};
  return options;
}

class DomainVerifierTest : public ::testing::Test {
 protected:
  DomainVerifierTest() { dns_.AddTxt("_spf.relay.example", kRelaySpf); }

  // Checks `record`; fails the test unless Check returned OK.
  v1::DnsRecord Checked(v1::DnsRecord record) {
    absl::Status status = verifier_.Check(record);
    EXPECT_TRUE(status.ok()) << status;
    return record;
  }
  v1::DnsRecord CheckedSpf(const std::string& published) {
    dns_.AddTxt("example.com", published);
    return Checked(SpfRecord("example.com", Options()));
  }
  int QueriesFor(const std::string& query) {
    const std::vector<std::string> q = dns_.queries();
    return static_cast<int>(std::count(q.begin(), q.end(), query));
  }

  FakeResolver dns_;
  DomainVerifier verifier_{dns_, Options()};
};

// ---- DKIM ----

TEST_F(DomainVerifierTest, DkimFound) {
  dns_.AddTxt("rsa1._domainkey.example.com", kRsaValue);
  v1::DnsRecord record = Checked(DkimRecord("example.com", "rsa1", kRsaValue));
  EXPECT_EQ(record.status(), kFound) << record.problem();
  EXPECT_THAT(record.found_values(), ElementsAre(kRsaValue));
  EXPECT_EQ(record.problem(), "");
}

TEST_F(DomainVerifierTest, DkimFoundDespiteWhitespaceTagOrderAndDefaults) {
  // No v=, k= left to its default (rsa), spaces around tags and inside p= (FWS,
  // RFC 6376 §3.6.1), a tag Kirim did not ask for, a trailing ';'.
  std::string key = kRsa2048PublicKey;
  key.insert(200, " ");
  key.insert(100, "\t ");
  dns_.AddTxt("rsa1._domainkey.example.com", absl::StrCat(" t = s ;p= ", key, " ; "));
  v1::DnsRecord record = Checked(DkimRecord("example.com", "rsa1", kRsaValue));
  EXPECT_EQ(record.status(), kFound) << record.problem();
}

TEST_F(DomainVerifierTest, DkimMissingOnNxdomainAndNodata) {
  v1::DnsRecord nx = Checked(DkimRecord("example.com", "rsa1", kRsaValue));
  EXPECT_EQ(nx.status(), kMissing);
  EXPECT_THAT(nx.problem(), HasSubstr("rsa1._domainkey.example.com"));
  EXPECT_THAT(nx.found_values(), IsEmpty());

  dns_.AddAddress("ed1._domainkey.example.com", "192.0.2.1");  // the name exists, no TXT
  EXPECT_EQ(Checked(DkimRecord("example.com", "ed1", kEdValue)).status(), kMissing);
}

TEST_F(DomainVerifierTest, DkimWrongKey) {
  const std::string other = absl::StrCat("v=DKIM1; k=rsa; p=", kOtherRsaPublicKey);
  dns_.AddTxt("rsa1._domainkey.example.com", other);
  v1::DnsRecord record = Checked(DkimRecord("example.com", "rsa1", kRsaValue));
  EXPECT_EQ(record.status(), kMismatched);
  EXPECT_EQ(record.problem(), "the published key is not the key Kirim signs with");
  EXPECT_THAT(record.found_values(), ElementsAre(other));
}

TEST_F(DomainVerifierTest, DkimRevokedKey) {
  dns_.AddTxt("rsa1._domainkey.example.com", "v=DKIM1; k=rsa; p=");
  v1::DnsRecord record = Checked(DkimRecord("example.com", "rsa1", kRsaValue));
  EXPECT_EQ(record.status(), kMismatched);
  EXPECT_THAT(record.problem(), HasSubstr("p= is empty: the key is revoked"));
}

TEST_F(DomainVerifierTest, DkimWrongKeyType) {
  // The Ed25519 key published as if it were RSA (k= defaults to rsa, RFC 6376 §3.6.1).
  dns_.AddTxt("ed1._domainkey.example.com", absl::StrCat("v=DKIM1; p=", kEd25519PublicKey));
  v1::DnsRecord record = Checked(DkimRecord("example.com", "ed1", kEdValue));
  EXPECT_EQ(record.status(), kMismatched);
  EXPECT_EQ(record.problem(), "k=rsa but Kirim signs with ed25519");
}

TEST_F(DomainVerifierTest, DkimSeveralKeysAtOneSelector) {
  dns_.AddTxt("rsa1._domainkey.example.com", kRsaValue);
  dns_.AddTxt("rsa1._domainkey.example.com", absl::StrCat("v=DKIM1; p=", kOtherRsaPublicKey));
  v1::DnsRecord record = Checked(DkimRecord("example.com", "rsa1", kRsaValue));
  EXPECT_EQ(record.status(), kMismatched);
  EXPECT_THAT(record.problem(), AllOf(HasSubstr("2 DKIM key records"), HasSubstr("§3.6.2.2")));
  EXPECT_EQ(record.found_values_size(), 2);
}

TEST_F(DomainVerifierTest, DkimTxtThatIsNoKey) {
  dns_.AddTxt("rsa1._domainkey.example.com", "hello world");
  v1::DnsRecord record = Checked(DkimRecord("example.com", "rsa1", kRsaValue));
  EXPECT_EQ(record.status(), kMismatched);
  EXPECT_THAT(record.problem(), HasSubstr("not a DKIM key record"));
  EXPECT_THAT(record.found_values(), ElementsAre("hello world"));
}

TEST_F(DomainVerifierTest, DkimBrokenTagLists) {
  dns_.AddTxt("dup._domainkey.example.com", absl::StrCat(kRsaValue, "; p=", kRsa2048PublicKey));
  v1::DnsRecord dup = Checked(DkimRecord("example.com", "dup", kRsaValue));
  EXPECT_EQ(dup.status(), kMismatched);
  EXPECT_THAT(dup.problem(), HasSubstr("tag p= appears twice"));

  dns_.AddTxt("ver._domainkey.example.com", absl::StrCat("v=DKIM2; p=", kRsa2048PublicKey));
  v1::DnsRecord version = Checked(DkimRecord("example.com", "ver", kRsaValue));
  EXPECT_EQ(version.status(), kMismatched);
  EXPECT_THAT(version.problem(), HasSubstr("v=DKIM2"));

  dns_.AddTxt("sha1._domainkey.example.com", absl::StrCat("h=sha1; p=", kRsa2048PublicKey));
  v1::DnsRecord sha1 = Checked(DkimRecord("example.com", "sha1", kRsaValue));
  EXPECT_EQ(sha1.status(), kMismatched);
  EXPECT_THAT(sha1.problem(), HasSubstr("h=sha1 excludes sha256"));

  dns_.AddTxt("both._domainkey.example.com",
              absl::StrCat("h=sha1:sha256; s=email; p=", kRsa2048PublicKey));
  EXPECT_EQ(Checked(DkimRecord("example.com", "both", kRsaValue)).status(), kFound);
}

TEST_F(DomainVerifierTest, DkimExpectedValueWithoutKeyIsTheCallersBug) {
  v1::DnsRecord record = DkimRecord("example.com", "rsa1", "v=DKIM1; k=rsa");
  EXPECT_EQ(verifier_.Check(record).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(record.status(), kNotChecked);
  EXPECT_THAT(dns_.queries(), IsEmpty());
}

// ---- SPF ----

TEST_F(DomainVerifierTest, SpfFoundAndOnlySpfRecordsAreReported) {
  dns_.AddTxt("example.com", "google-site-verification=abc");
  const std::string spf = Joined(SpfRecord("example.com", Options()));
  v1::DnsRecord record = CheckedSpf(spf);
  EXPECT_EQ(record.status(), kFound) << record.problem();
  EXPECT_THAT(record.found_values(), ElementsAre(spf));
  EXPECT_EQ(record.problem(), "");
}

TEST_F(DomainVerifierTest, SpfFoundWithOwnersTermsAndWiderNetworks) {
  dns_.AddTxt("_spf.google.com", "v=spf1 ip4:198.51.100.0/24 ~all");
  v1::DnsRecord record = CheckedSpf(
      "V=SPF1 mx include:_spf.google.com ?include:_SPF.Relay.Example. ip4:192.0.2.0/24 "
      "ip6:2001:db8::/16 -all");
  EXPECT_EQ(record.status(), kFound) << record.problem();
}

TEST_F(DomainVerifierTest, SpfWithNothingConfiguredRequiresNoTerms) {
  DomainVerifier verifier(dns_, RecordOptions{});
  dns_.AddTxt("example.com", "v=spf1 a -all");
  v1::DnsRecord record = SpfRecord("example.com", RecordOptions{});
  ASSERT_TRUE(verifier.Check(record).ok());
  EXPECT_EQ(record.status(), kFound) << record.problem();
}

TEST_F(DomainVerifierTest, SpfMissing) {
  dns_.AddTxt("example.com", "v=spf10 include:_spf.relay.example ~all");  // not "v=spf1"
  dns_.AddTxt("example.com", "spf1 please");
  v1::DnsRecord record = Checked(SpfRecord("example.com", Options()));
  EXPECT_EQ(record.status(), kMissing);
  EXPECT_THAT(record.problem(), HasSubstr("no SPF record"));
  EXPECT_THAT(record.found_values(), IsEmpty());

  EXPECT_EQ(Checked(SpfRecord("nothing.example", Options())).status(), kMissing);
}

TEST_F(DomainVerifierTest, SpfTwoRecords) {
  dns_.AddTxt("example.com", Joined(SpfRecord("example.com", Options())));
  v1::DnsRecord record = CheckedSpf("v=spf1 include:_spf.other.example ~all");
  EXPECT_EQ(record.status(), kMismatched);
  EXPECT_THAT(record.problem(),
              StartsWith("2 SPF records published; RFC 7208 §3.2 allows one, receivers answer "
                         "permerror"));
  EXPECT_EQ(record.found_values_size(), 2);
}

TEST_F(DomainVerifierTest, SpfMissingInclude) {
  v1::DnsRecord record = CheckedSpf("v=spf1 ip4:192.0.2.10 ip6:2001:db8::/32 ~all");
  EXPECT_EQ(record.status(), kMismatched);
  EXPECT_EQ(record.problem(),
            "does not authorize Kirim's servers: add include:_spf.relay.example before \"~all\"");
}

TEST_F(DomainVerifierTest, SpfMissingIps) {
  // 192.0.2.10 excluded by '-', the IPv6 network narrower than Kirim's /32.
  v1::DnsRecord record =
      CheckedSpf("v=spf1 include:_spf.relay.example -ip4:192.0.2.10 ip6:2001:db8::/48 ~all");
  EXPECT_EQ(record.status(), kMismatched);
  EXPECT_THAT(record.problem(), HasSubstr("add ip4:192.0.2.10 ip6:2001:db8::/32"));
  EXPECT_THAT(record.problem(), Not(HasSubstr("include:")));
}

TEST_F(DomainVerifierTest, SpfTermsAfterAllDoNotCount) {
  v1::DnsRecord record =
      CheckedSpf("v=spf1 ip4:192.0.2.10 ip6:2001:db8::/32 -all include:_spf.relay.example");
  EXPECT_EQ(record.status(), kMismatched);
  EXPECT_THAT(record.problem(), HasSubstr("add include:_spf.relay.example before \"-all\""));
}

TEST_F(DomainVerifierTest, SpfPlusAll) {
  for (const char* all : {"+all", "all"}) {
    FakeResolver dns;
    dns.AddTxt("_spf.relay.example", kRelaySpf);
    dns.AddTxt(
        "example.com",
        absl::StrCat("v=spf1 include:_spf.relay.example ip4:192.0.2.10 ip6:2001:db8::/32 ", all));
    DomainVerifier verifier(dns, Options());
    v1::DnsRecord record = SpfRecord("example.com", Options());
    ASSERT_TRUE(verifier.Check(record).ok());
    EXPECT_EQ(record.status(), kMismatched) << all;
    EXPECT_THAT(record.problem(), HasSubstr("authorizes every host on the internet")) << all;
  }
}

// A chain of includes below the relay's: l1 and l2 ("a mx include:next", 3 lookups each) and
// l3 with `last`, under a top record with two includes. Returns the top record's check.
class SpfLookupLimitTest : public DomainVerifierTest {
 protected:
  v1::DnsRecord CheckChain(const std::string& last) {
    dns_.AddTxt("l1.example", "v=spf1 a mx include:l2.example ~all");
    dns_.AddTxt("l2.example", "v=spf1 a mx include:l3.example ~all");
    dns_.AddTxt("l3.example", "v=spf1 " + last + " ~all");
    return CheckedSpf(
        "v=spf1 include:_spf.relay.example include:l1.example ip4:192.0.2.10 "
        "ip6:2001:db8::/32 ~all");
  }
};

TEST_F(SpfLookupLimitTest, TenLookupsAreAllowed) {
  v1::DnsRecord record = CheckChain("a mx");  // 2 + 3 + 3 + 2
  EXPECT_EQ(record.status(), kFound) << record.problem();
}

TEST_F(SpfLookupLimitTest, ElevenLookupsThroughNestedIncludes) {
  v1::DnsRecord record = CheckChain("a mx exists:%{i}.bl.example");  // 2 + 3 + 3 + 3
  EXPECT_EQ(record.status(), kMismatched);
  EXPECT_EQ(record.problem(),
            "needs 11 DNS lookups; RFC 7208 §4.6.4 allows 10, receivers answer permerror");
}

TEST_F(DomainVerifierTest, SpfRedirectIsFollowedAndCounted) {
  dns_.AddTxt("spf.example.net", "v=spf1 a a a a a a a a a ~all");  // 9
  v1::DnsRecord record = CheckedSpf(
      "v=spf1 include:_spf.relay.example ip4:192.0.2.10 ip6:2001:db8::/32 "
      "redirect=spf.example.net");  // 1 + 1 + 9
  EXPECT_EQ(record.status(), kMismatched);
  EXPECT_THAT(record.problem(), HasSubstr("needs 11 DNS lookups"));
}

TEST_F(DomainVerifierTest, SpfLongIncludeChainStopsBeingFollowedPastTheLimit) {
  for (int i = 0; i < 30; ++i) {
    dns_.AddTxt(absl::StrCat("c", i, ".example"),
                absl::StrCat("v=spf1 include:c", i + 1, ".example ~all"));
  }
  v1::DnsRecord record = CheckedSpf(
      "v=spf1 include:_spf.relay.example ip4:192.0.2.10 ip6:2001:db8::/32 include:c0.example "
      "~all");
  EXPECT_EQ(record.status(), kMismatched);
  EXPECT_THAT(record.problem(), HasSubstr("needs at least 11 DNS lookups; RFC 7208 §4.6.4"));
  EXPECT_EQ(QueriesFor("TXT c8.example"), 1);
  EXPECT_EQ(QueriesFor("TXT c9.example"), 0);
}

TEST_F(DomainVerifierTest, SpfIncludeLoopEnds) {
  dns_.AddTxt("loop-a.example", "v=spf1 include:loop-b.example ~all");
  dns_.AddTxt("loop-b.example", "v=spf1 mx include:loop-a.example ~all");
  v1::DnsRecord record = CheckedSpf(
      "v=spf1 include:_spf.relay.example ip4:192.0.2.10 ip6:2001:db8::/32 "
      "include:loop-a.example ~all");
  EXPECT_EQ(record.status(), kMismatched);
  EXPECT_THAT(record.problem(),
              HasSubstr("include loop (example.com -> loop-a.example -> loop-b.example -> "
                        "loop-a.example)"));
  EXPECT_EQ(QueriesFor("TXT loop-a.example"), 1);
}

TEST_F(DomainVerifierTest, SpfIncludingItselfIsALoop) {
  v1::DnsRecord record = CheckedSpf(
      "v=spf1 include:_spf.relay.example ip4:192.0.2.10 ip6:2001:db8::/32 include:EXAMPLE.com "
      "~all");
  EXPECT_EQ(record.status(), kMismatched);
  EXPECT_THAT(record.problem(), HasSubstr("include loop (example.com -> example.com)"));
}

TEST_F(DomainVerifierTest, SpfIncludeWithoutSpfRecord) {
  dns_.AddTxt("nospf.example", "some other text");
  v1::DnsRecord record = CheckedSpf(
      "v=spf1 include:_spf.relay.example include:nospf.example include:gone.example "
      "ip4:192.0.2.10 ip6:2001:db8::/32 ~all");
  EXPECT_EQ(record.status(), kMismatched);
  EXPECT_THAT(record.problem(), HasSubstr("include:nospf.example has no SPF record"));
  EXPECT_THAT(record.problem(), HasSubstr("include:gone.example has no SPF record"));
}

TEST_F(DomainVerifierTest, SpfSyntaxReceiversReject) {
  v1::DnsRecord unknown = CheckedSpf(
      "v=spf1 include:_spf.relay.example ip4:192.0.2.10 ip6:2001:db8::/32 ipv4:192.0.2.11 ~all");
  EXPECT_EQ(unknown.status(), kMismatched);
  EXPECT_THAT(unknown.problem(), HasSubstr("unknown mechanism \"ipv4:192.0.2.11\""));

  FakeResolver dns;
  dns.AddTxt("_spf.relay.example", kRelaySpf);
  dns.AddTxt("example.com",
             "v=spf1 include:_spf.relay.example ip4:192.0.2.10 ip6:2001:db8::/32 ip4:192.0.2.300 "
             "~all");
  DomainVerifier verifier(dns, Options());
  v1::DnsRecord bad_ip = SpfRecord("example.com", Options());
  ASSERT_TRUE(verifier.Check(bad_ip).ok());
  EXPECT_EQ(bad_ip.status(), kMismatched);
  EXPECT_THAT(bad_ip.problem(), HasSubstr("\"ip4:192.0.2.300\" is not an IPv4 network"));
}

TEST_F(DomainVerifierTest, SpfBadConfiguredIpIsTheCallersBug) {
  RecordOptions options = Options();
  options.spf_ips.push_back("relay.example");
  DomainVerifier verifier(dns_, options);
  v1::DnsRecord record = SpfRecord("example.com", Options());
  EXPECT_EQ(verifier.Check(record).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(dns_.queries(), IsEmpty());
}

// ---- DMARC ----

TEST_F(DomainVerifierTest, DmarcFoundWithOursOrAStricterPolicy) {
  dns_.AddTxt("_dmarc.example.com", Joined(DmarcRecord("example.com", Options())));
  v1::DnsRecord ours = Checked(DmarcRecord("example.com", Options()));
  EXPECT_EQ(ours.status(), kFound) << ours.problem();

  dns_.AddTxt("_dmarc.strict.example", "v=DMARC1;p=reject;pct=100");
  v1::DnsRecord strict = Checked(DmarcRecord("strict.example", Options()));
  EXPECT_EQ(strict.status(), kFound) << strict.problem();
  EXPECT_THAT(strict.found_values(), ElementsAre("v=DMARC1;p=reject;pct=100"));
}

TEST_F(DomainVerifierTest, DmarcMissing) {
  EXPECT_EQ(Checked(DmarcRecord("example.com", Options())).status(), kMissing);

  dns_.AddTxt("_dmarc.typo.example", "v=DMARC; p=none");
  v1::DnsRecord typo = Checked(DmarcRecord("typo.example", Options()));
  EXPECT_EQ(typo.status(), kMissing);
  EXPECT_THAT(typo.found_values(), ElementsAre("v=DMARC; p=none"));
}

TEST_F(DomainVerifierTest, DmarcSeveral) {
  dns_.AddTxt("_dmarc.example.com", "v=DMARC1; p=none");
  dns_.AddTxt("_dmarc.example.com", "v=DMARC1; p=reject");
  v1::DnsRecord record = Checked(DmarcRecord("example.com", Options()));
  EXPECT_EQ(record.status(), kMismatched);
  EXPECT_THAT(record.problem(), HasSubstr("2 DMARC records"));
}

TEST_F(DomainVerifierTest, DmarcWithoutOrWithBadPolicy) {
  dns_.AddTxt("_dmarc.nop.example", "v=DMARC1; rua=mailto:r@nop.example");
  v1::DnsRecord no_p = Checked(DmarcRecord("nop.example", Options()));
  EXPECT_EQ(no_p.status(), kMismatched);
  EXPECT_THAT(no_p.problem(), HasSubstr("no p= tag"));

  dns_.AddTxt("_dmarc.bad.example", "v=DMARC1; p=block");
  v1::DnsRecord bad = Checked(DmarcRecord("bad.example", Options()));
  EXPECT_EQ(bad.status(), kMismatched);
  EXPECT_THAT(bad.problem(), HasSubstr("p=block is not a DMARC policy"));
}

// ---- MTA-STS, TLS-RPT ----

TEST_F(DomainVerifierTest, AdvisoryRecordsFoundOrMissing) {
  dns_.AddTxt("_mta-sts.example.com", "v=STSv1; id=other-id");
  v1::DnsRecord sts = Checked(MtaStsRecord("example.com", "20260101"));
  EXPECT_EQ(sts.status(), kFound);
  EXPECT_THAT(sts.found_values(), ElementsAre("v=STSv1; id=other-id"));

  dns_.AddTxt("_smtp._tls.example.com", "v=TLSRPTv2; rua=mailto:x@example.com");
  v1::DnsRecord tlsrpt = Checked(TlsRptRecord("example.com", Options()));
  EXPECT_EQ(tlsrpt.status(), kMissing);
  EXPECT_THAT(tlsrpt.problem(), HasSubstr("v=TLSRPTv1"));

  EXPECT_EQ(Checked(MtaStsRecord("none.example", "1")).status(), kMissing);
}

// ---- DNS failures ----

TEST_F(DomainVerifierTest, DnsFailureLeavesNotCheckedAndIsReturned) {
  dns_.SetFailure("example.com", absl::UnavailableError("SERVFAIL"));
  v1::DnsRecord record = SpfRecord("example.com", Options());
  record.set_status(kFound);  // a previous verdict, to be replaced
  record.add_found_values("stale");
  absl::Status status = verifier_.Check(record);
  EXPECT_EQ(status.code(), absl::StatusCode::kUnavailable) << status;
  EXPECT_EQ(record.status(), kNotChecked);
  EXPECT_THAT(record.problem(), StartsWith("DNS lookup failed: "));
  EXPECT_THAT(record.problem(), HasSubstr("SERVFAIL"));
  EXPECT_THAT(record.found_values(), IsEmpty());
}

TEST_F(DomainVerifierTest, DnsFailureOfAnIncludeTarget) {
  dns_.SetFailure("_spf.relay.example", absl::UnavailableError("timeout"));
  dns_.AddTxt("example.com", Joined(SpfRecord("example.com", Options())));
  v1::DnsRecord record = SpfRecord("example.com", Options());
  EXPECT_EQ(verifier_.Check(record).code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(record.status(), kNotChecked);
  EXPECT_THAT(record.problem(), StartsWith("DNS lookup failed: "));
}

// ---- Verify ----

void PublishAll(FakeResolver& dns, const v1::Domain& domain) {
  for (const v1::DnsRecord& record : domain.records()) dns.AddTxt(record.host(), Joined(record));
}

TEST_F(DomainVerifierTest, VerifyAllPublished) {
  v1::Domain domain = TestDomain("example.com", Options());
  PublishAll(dns_, domain);
  absl::StatusOr<bool> verified = verifier_.Verify(domain);
  ASSERT_TRUE(verified.ok()) << verified.status();
  EXPECT_TRUE(*verified);
  for (const v1::DnsRecord& record : domain.records()) {
    EXPECT_EQ(record.status(), kFound) << record.host() << ": " << record.problem();
  }
  for (const v1::DkimKey& key : domain.dkim_keys()) {
    EXPECT_EQ(key.record().status(), kFound) << key.selector();
  }
  // The DKIM names are in both domain.records and dkim_keys: asked once.
  EXPECT_EQ(QueriesFor("TXT rsa1._domainkey.example.com"), 1);
}

TEST_F(DomainVerifierTest, VerifyIgnoresAdvisoryRecords) {
  v1::Domain domain = TestDomain("example.com", Options());
  for (const v1::DnsRecord& record : domain.records()) {
    if (!record.advisory()) dns_.AddTxt(record.host(), Joined(record));
  }
  dns_.SetFailure("_smtp._tls.example.com", absl::UnavailableError("SERVFAIL"));
  absl::StatusOr<bool> verified = verifier_.Verify(domain);
  ASSERT_TRUE(verified.ok()) << verified.status();
  EXPECT_TRUE(*verified);
  EXPECT_EQ(domain.records(4).purpose(), v1::DnsRecord::MTA_STS);
  EXPECT_EQ(domain.records(4).status(), kMissing);
  EXPECT_EQ(domain.records(5).purpose(), v1::DnsRecord::TLS_RPT);
  EXPECT_EQ(domain.records(5).status(), kNotChecked);
}

TEST_F(DomainVerifierTest, VerifyFalseWhenARequiredRecordIsWrong) {
  v1::Domain domain = TestDomain("example.com", Options());
  PublishAll(dns_, domain);
  dns_.AddTxt("_dmarc.example.com", "v=DMARC1; p=reject");  // a second DMARC record
  absl::StatusOr<bool> verified = verifier_.Verify(domain);
  ASSERT_TRUE(verified.ok()) << verified.status();
  EXPECT_FALSE(*verified);
  EXPECT_EQ(domain.records(3).status(), kMismatched);
  EXPECT_EQ(domain.records(0).status(), kFound);
}

TEST_F(DomainVerifierTest, VerifyDnsUnavailableIsAnErrorAndTheRestIsStillChecked) {
  v1::Domain domain = TestDomain("example.com", Options());
  PublishAll(dns_, domain);
  dns_.SetFailure("example.com", absl::UnavailableError("SERVFAIL"));
  absl::StatusOr<bool> verified = verifier_.Verify(domain);
  EXPECT_EQ(verified.status().code(), absl::StatusCode::kUnavailable) << verified.status();
  EXPECT_EQ(domain.records(0).status(), kNotChecked);
  EXPECT_THAT(domain.records(0).problem(), HasSubstr("DNS lookup failed"));
  EXPECT_EQ(domain.records(1).status(), kFound);
  EXPECT_EQ(domain.dkim_keys(1).record().status(), kFound);
}

TEST_F(DomainVerifierTest, VerifyRefusesDomainsWithoutRequiredRecords) {
  v1::Domain empty;
  empty.set_domain("example.com");
  EXPECT_EQ(verifier_.Verify(empty).status().code(), absl::StatusCode::kInvalidArgument);

  v1::Domain advisory_only;
  *advisory_only.add_records() = MtaStsRecord("example.com", "1");
  EXPECT_EQ(verifier_.Verify(advisory_only).status().code(), absl::StatusCode::kInvalidArgument);

  v1::Domain bad_type = TestDomain("example.com", Options());
  bad_type.mutable_records(2)->set_type("CNAME");
  EXPECT_EQ(verifier_.Verify(bad_type).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(dns_.queries(), IsEmpty());
}

}  // namespace
}  // namespace kirim::domains
