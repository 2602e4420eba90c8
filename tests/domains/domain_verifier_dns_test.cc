// DomainVerifier through CaresResolver against a real DNS server (tests/peers/dns_server.py on
// loopback): a zone holding correct, missing and wrong records gets the right verdict for
// each; once the zone is fixed (DnsPeer::SetZone, same server), the domain verifies. What only
// a real server shows: a 2048-bit DKIM key split over several character-strings on the wire,
// NODATA, SERVFAIL.
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "server/dns/cares_resolver.h"
#include "server/domains/domain_verifier.h"
#include "tests/dns/dns_peer.h"
#include "tests/domains/test_domain.h"

namespace kirim::testing {
namespace {

using domains::DomainVerifier;
using domains::RecordOptions;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

// TestDomain's record order.
enum Index { kSpf = 0, kDkimRsa = 1, kDkimEd = 2, kDmarc = 3, kMtaSts = 4, kTlsRpt = 5 };

RecordOptions Options() {
  RecordOptions options;
  options.spf_includes = {"_spf.relay.test"};
  options.spf_ips = {"192.0.2.10", "2001:db8::/32"};
  return options;
}

// One TXT record in master-file syntax, one quoted character-string per element.
std::string Txt(const std::string& name, const std::vector<std::string>& strings) {
  std::string line = absl::StrCat(name, " 300 IN TXT");
  for (const std::string& s : strings) absl::StrAppend(&line, " \"", s, "\"");
  return line + "\n";
}

const std::string kSpfValue =
    "v=spf1 include:_spf.relay.test ip4:192.0.2.10 ip6:2001:db8::/32 ~all";
const std::string kRsaP = kRsa2048PublicKey;

// What every version of the zone has: the relay's SPF, the RSA key split unevenly into three
// strings (one break inside p=), a name with only an address for NODATA, MTA-STS.
std::string CommonZone() {
  return Txt("_spf.relay.test.", {"v=spf1 ip4:203.0.113.0/24 -all"}) +
         Txt("rsa1._domainkey.example.test.", {"v=DKIM1; k=rsa; p=" + kRsaP.substr(0, 100),
                                               kRsaP.substr(100, 250), kRsaP.substr(350)}) +
         "example.test. 300 IN MX 10 mx.example.test.\n" +
         "_smtp._tls.example.test. 300 IN A 192.0.2.1\n" +
         Txt("_mta-sts.example.test.", {"v=STSv1; id=20260101"});
}

// Wrong: two SPF records, a revoked Ed25519 key; missing: DMARC, TLS-RPT (NODATA).
std::string BrokenZone() {
  return CommonZone() + Txt("example.test.", {kSpfValue}) +
         Txt("example.test.", {"v=spf1 mx ~all"}) +
         Txt("example.test.", {"google-site-verification=abc"}) +
         Txt("ed1._domainkey.example.test.", {"v=DKIM1; k=ed25519; p="});
}

std::string FixedZone() {
  return CommonZone() + Txt("example.test.", {kSpfValue}) +
         Txt("example.test.", {"google-site-verification=abc"}) +
         Txt("ed1._domainkey.example.test.",
             {absl::StrCat("v=DKIM1; k=ed25519; p=", kEd25519PublicKey)}) +
         Txt("_dmarc.example.test.", {"v=DMARC1; p=quarantine; rua=mailto:d@example.test"});
}

TEST(DomainVerifierDnsTest, VerdictsFromARealServerThenFixedZoneVerifies) {
  DnsPeer peer;
  absl::Status started = peer.Start({.zone = BrokenZone(), .fail = {}});
  ASSERT_TRUE(started.ok()) << started;
  dns::CaresResolver resolver({.servers = peer.server()});  // default timeouts: generous
  DomainVerifier verifier(resolver, Options());

  v1::Domain domain = TestDomain("example.test", Options());
  absl::StatusOr<bool> verified = verifier.Verify(domain);
  ASSERT_TRUE(verified.ok()) << verified.status();
  EXPECT_FALSE(*verified);

  const v1::DnsRecord& spf = domain.records(kSpf);
  EXPECT_EQ(spf.status(), kMismatched);
  EXPECT_THAT(spf.problem(), HasSubstr("2 SPF records published"));
  EXPECT_THAT(spf.found_values(), ::testing::UnorderedElementsAre(kSpfValue, "v=spf1 mx ~all"));

  const v1::DnsRecord& rsa = domain.records(kDkimRsa);
  EXPECT_EQ(rsa.status(), kFound) << rsa.problem();
  // The three character-strings, joined again by the resolver.
  EXPECT_THAT(rsa.found_values(), ElementsAre(absl::StrCat("v=DKIM1; k=rsa; p=", kRsaP)));
  EXPECT_EQ(domain.dkim_keys(0).record().status(), kFound);

  const v1::DnsRecord& ed = domain.records(kDkimEd);
  EXPECT_EQ(ed.status(), kMismatched);
  EXPECT_THAT(ed.problem(), HasSubstr("the key is revoked"));
  EXPECT_EQ(domain.dkim_keys(1).record().status(), kMismatched);

  EXPECT_EQ(domain.records(kDmarc).status(), kMissing);
  EXPECT_EQ(domain.records(kMtaSts).status(), kFound);
  EXPECT_EQ(domain.records(kTlsRpt).status(), kMissing);
  EXPECT_THAT(domain.records(kTlsRpt).found_values(), ::testing::IsEmpty());

  // The owner fixes the zone; the same server now serves it.
  absl::Status reloaded = peer.SetZone(FixedZone());
  ASSERT_TRUE(reloaded.ok()) << reloaded;
  verified = verifier.Verify(domain);
  ASSERT_TRUE(verified.ok()) << verified.status();
  EXPECT_TRUE(*verified);
  for (const v1::DnsRecord& record : domain.records()) {
    if (!record.advisory()) {
      EXPECT_EQ(record.status(), kFound) << record.host() << ": " << record.problem();
    }
  }
  EXPECT_THAT(domain.records(kSpf).found_values(), ElementsAre(kSpfValue));
  EXPECT_EQ(domain.records(kSpf).problem(), "");
  EXPECT_EQ(domain.records(kTlsRpt).status(), kMissing);  // advisory: does not block
}

TEST(DomainVerifierDnsTest, ServfailIsUnavailableAndLeavesRecordsNotChecked) {
  DnsPeer peer;
  absl::Status started = peer.Start({.zone = FixedZone(), .fail = {"example.test=SERVFAIL"}});
  ASSERT_TRUE(started.ok()) << started;
  dns::CaresResolver resolver({.servers = peer.server()});  // default timeouts: generous
  DomainVerifier verifier(resolver, Options());

  v1::Domain domain = TestDomain("example.test", Options());
  absl::StatusOr<bool> verified = verifier.Verify(domain);
  EXPECT_EQ(verified.status().code(), absl::StatusCode::kUnavailable) << verified.status();
  EXPECT_EQ(domain.records(kSpf).status(), kNotChecked);
  EXPECT_THAT(domain.records(kSpf).problem(), HasSubstr("DNS lookup failed"));
  // Other names still answered.
  EXPECT_EQ(domain.records(kDkimRsa).status(), kFound);
  EXPECT_EQ(domain.records(kDmarc).status(), kFound);
}

}  // namespace
}  // namespace kirim::testing
