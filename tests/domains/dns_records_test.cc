// The records Kirim asks a domain owner to publish: exact values and hosts, and the splitting
// of long values into <= 255-byte character-strings (RFC 1035 §3.3.14).
#include "server/domains/dns_records.h"

#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "gmock/gmock.h"
#include "tests/domains/test_domain.h"

namespace kirim::domains {
namespace {

using ::testing::ElementsAre;
using ::testing::SizeIs;

// With its tags, a 2048-bit RSA key record is about 410 bytes: two character-strings.
std::string Rsa2048Value() {
  return absl::StrCat("v=DKIM1; k=rsa; p=", testing::kRsa2048PublicKey);
}

TEST(SplitTxtTest, ShortValueIsOneString) {
  EXPECT_THAT(SplitTxt("v=spf1 mx ~all"), ElementsAre("v=spf1 mx ~all"));
  EXPECT_THAT(SplitTxt(""), ElementsAre(""));
}

TEST(SplitTxtTest, ExactlyMaxIsOneStringAndOneMoreIsTwo) {
  EXPECT_THAT(SplitTxt(std::string(255, 'a')), ElementsAre(std::string(255, 'a')));
  EXPECT_THAT(SplitTxt(std::string(256, 'a')),
              ElementsAre(std::string(255, 'a'), std::string(1, 'a')));
}

TEST(SplitTxtTest, SmallerMaxAndOutOfRangeMax) {
  EXPECT_THAT(SplitTxt("abcdefg", 3), ElementsAre("abc", "def", "g"));
  // Larger than RFC 1035 allows: still 255.
  EXPECT_THAT(SplitTxt(std::string(300, 'x'), 1000), SizeIs(2));
  EXPECT_THAT(SplitTxt("ab", 0), ElementsAre("a", "b"));
}

TEST(DkimRecordTest, Rsa2048ValueIsSplitAndConcatenatesBack) {
  const std::string value = Rsa2048Value();
  ASSERT_EQ(value.size(), 410u);

  v1::DnsRecord record = DkimRecord("Example.COM.", "k2026a", value);
  EXPECT_EQ(record.host(), "k2026a._domainkey.example.com");
  EXPECT_EQ(record.purpose(), v1::DnsRecord::DKIM);
  EXPECT_EQ(record.type(), "TXT");
  EXPECT_FALSE(record.advisory());
  EXPECT_EQ(record.status(), v1::DnsRecord::NOT_CHECKED);
  ASSERT_EQ(record.values_size(), 2);
  EXPECT_EQ(record.values(0).size(), 255u);
  for (const std::string& s : record.values()) EXPECT_LE(s.size(), 255u);
  EXPECT_EQ(absl::StrJoin(record.values(), ""), value);
}

TEST(SpfRecordTest, IncludesThenIpsThenSoftfail) {
  RecordOptions options;
  options.spf_includes = {"_spf.relay.example"};
  options.spf_ips = {"192.0.2.10", "2001:db8::/32"};
  v1::DnsRecord record = SpfRecord("example.com", options);
  EXPECT_EQ(record.host(), "example.com");
  EXPECT_EQ(record.purpose(), v1::DnsRecord::SPF);
  EXPECT_EQ(record.type(), "TXT");
  EXPECT_FALSE(record.advisory());
  EXPECT_EQ(record.status(), v1::DnsRecord::NOT_CHECKED);
  EXPECT_THAT(
      record.values(),
      ElementsAre("v=spf1 include:_spf.relay.example ip4:192.0.2.10 ip6:2001:db8::/32 ~all"));
}

TEST(SpfRecordTest, NothingConfiguredAuthorizesTheMxHosts) {
  EXPECT_THAT(SpfRecord("example.com", {}).values(), ElementsAre("v=spf1 mx ~all"));
}

TEST(SpfRecordTest, ManyTermsAreSplit) {
  RecordOptions options;
  for (int i = 0; i < 30; ++i) options.spf_ips.push_back("198.51.100." + std::to_string(i));
  v1::DnsRecord record = SpfRecord("example.com", options);
  ASSERT_GT(record.values_size(), 1);
  for (const std::string& s : record.values()) EXPECT_LE(s.size(), 255u);
  const std::string joined = absl::StrJoin(record.values(), "");
  EXPECT_TRUE(absl::StartsWith(joined, "v=spf1 ip4:198.51.100.0 ip4:198.51.100.1 ")) << joined;
  EXPECT_TRUE(absl::EndsWith(joined, " ip4:198.51.100.28 ip4:198.51.100.29 ~all")) << joined;
}

TEST(DmarcRecordTest, MonitorOnlyPolicyWithDefaultReportAddress) {
  v1::DnsRecord record = DmarcRecord("example.com", {});
  EXPECT_EQ(record.host(), "_dmarc.example.com");
  EXPECT_EQ(record.purpose(), v1::DnsRecord::DMARC);
  EXPECT_FALSE(record.advisory());
  EXPECT_EQ(record.status(), v1::DnsRecord::NOT_CHECKED);
  EXPECT_THAT(record.values(),
              ElementsAre("v=DMARC1; p=none; rua=mailto:dmarc-reports@example.com; adkim=r; "
                          "aspf=r"));
}

TEST(DmarcRecordTest, ConfiguredReportAddress) {
  RecordOptions options;
  options.dmarc_report_address = "reports@example.net";
  EXPECT_THAT(DmarcRecord("example.com", options).values(),
              ElementsAre("v=DMARC1; p=none; rua=mailto:reports@example.net; adkim=r; aspf=r"));
}

TEST(MtaStsRecordTest, AdvisoryWithPolicyId) {
  v1::DnsRecord record = MtaStsRecord("example.com", "20260101T000000");
  EXPECT_EQ(record.host(), "_mta-sts.example.com");
  EXPECT_EQ(record.purpose(), v1::DnsRecord::MTA_STS);
  EXPECT_EQ(record.type(), "TXT");
  EXPECT_TRUE(record.advisory());
  EXPECT_EQ(record.status(), v1::DnsRecord::NOT_CHECKED);
  EXPECT_THAT(record.values(), ElementsAre("v=STSv1; id=20260101T000000"));
}

TEST(TlsRptRecordTest, AdvisoryWithReportAddress) {
  v1::DnsRecord record = TlsRptRecord("example.com", {});
  EXPECT_EQ(record.host(), "_smtp._tls.example.com");
  EXPECT_EQ(record.purpose(), v1::DnsRecord::TLS_RPT);
  EXPECT_TRUE(record.advisory());
  EXPECT_EQ(record.status(), v1::DnsRecord::NOT_CHECKED);
  EXPECT_THAT(record.values(), ElementsAre("v=TLSRPTv1; rua=mailto:dmarc-reports@example.com"));

  RecordOptions options;
  options.dmarc_report_address = "tls@example.net";
  EXPECT_THAT(TlsRptRecord("example.com", options).values(),
              ElementsAre("v=TLSRPTv1; rua=mailto:tls@example.net"));
}

}  // namespace
}  // namespace kirim::domains
