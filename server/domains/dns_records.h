// The DNS records Kirim asks the owner of a sending domain to publish: SPF (RFC 7208), a DKIM
// key per selector (RFC 6376 §3.6.1), DMARC (RFC 7489), and the advisory MTA-STS (RFC 8461)
// and TLS-RPT (RFC 8460) records. Pure functions: the verifier that checks them against live
// DNS is server/domains/domain_verifier.h.
//
//   RecordOptions options;
//   options.spf_includes = {"_spf.relay.example"};
//   options.spf_ips = {"192.0.2.10", "2001:db8::/32"};
//   v1::DnsRecord spf = SpfRecord("example.com", options);
//   // host "example.com", values {"v=spf1 include:_spf.relay.example ip4:192.0.2.10
//   //                              ip6:2001:db8::/32 ~all"}
//   v1::DnsRecord dkim = DkimRecord("example.com", "k2026a", "v=DKIM1; k=rsa; p=MIIBIjAN...");
//   // host "k2026a._domainkey.example.com", values split into <= 255-byte strings
//
// Every record is type "TXT", status NOT_CHECKED, its value split with SplitTxt. Hosts are in
// dns::CanonicalName form (lower case, no trailing dot); `domain` is an A-label (RFC 5890).
// The policies are safe starting points: SPF ends "~all" (softfail, RFC 7208 §8.5) and DMARC
// asks p=none (monitor only, RFC 7489 §6.3), so publishing them cannot make receivers reject
// mail that authenticated badly before; the owner tightens them once the reports look clean.
#ifndef KIRIM_SERVER_DOMAINS_DNS_RECORDS_H_
#define KIRIM_SERVER_DOMAINS_DNS_RECORDS_H_

#include <cstddef>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "kirim/v1/domain_service.pb.h"

namespace kirim::domains {

struct RecordOptions {
  // Domains whose SPF records authorize the hosts Kirim sends through, each published as
  // "include:<domain>", e.g. {"_spf.relay.example"} for the relay's SPF. Default: none.
  std::vector<std::string> spf_includes;
  // Addresses or CIDR networks Kirim sends from ("192.0.2.10", "2001:db8::/32"), published as
  // ip4: or ip6: (by whether they contain ':'). Default: none. With no includes and no IPs the
  // SPF record authorizes the domain's MX hosts ("v=spf1 mx ~all").
  std::vector<std::string> spf_ips;
  // The mailbox aggregate reports go to: DMARC rua= (RFC 7489 §6.3) and TLS-RPT rua=
  // (RFC 8460 §3). Empty (default) = "dmarc-reports@<domain>". A mailbox outside <domain> must
  // authorize the reports itself (RFC 7489 §7.1); that record is not Kirim's to suggest.
  std::string dmarc_report_address;
};

// Splits a TXT value into the character-strings of one TXT record, each at most `max` bytes
// (RFC 1035 §3.3.14: 255 at most; larger `max` are treated as 255, 0 as 1). Readers join them
// without separator (RFC 7208 §3.3, RFC 6376 §3.6.2.2), so the split may fall anywhere. An
// empty value is one empty string.
// A report mailbox that can go into a DMARC / TLS-RPT "mailto:" URI as it is: an RFC 5321
// addr-spec whose local part is a dot-atom without characters that would have to be
// percent-encoded there or would end the tag (RFC 7489 §6.2, §6.4: ';', ',', '!', '%', quotes,
// spaces). InvalidArgument saying why otherwise.
absl::Status ValidateReportAddress(absl::string_view address);

std::vector<std::string> SplitTxt(absl::string_view value, size_t max = 255);

// The DKIM key record of `selector`: host "<selector>._domainkey.<domain>", purpose DKIM, the
// `record_value` ("v=DKIM1; k=rsa; p=...", as the key store produced it) split.
v1::DnsRecord DkimRecord(absl::string_view domain, absl::string_view selector,
                         absl::string_view record_value);

// The SPF record at `domain`: "v=spf1" then include:<each spf_include>, ip4:/ip6:<each
// spf_ip>, then "~all"; with neither configured, "v=spf1 mx ~all".
v1::DnsRecord SpfRecord(absl::string_view domain, const RecordOptions& options);

// The DMARC record at "_dmarc.<domain>":
// "v=DMARC1; p=none; rua=mailto:<report address>; adkim=r; aspf=r".
v1::DnsRecord DmarcRecord(absl::string_view domain, const RecordOptions& options);

// Advisory. The MTA-STS discovery record at "_mta-sts.<domain>": "v=STSv1; id=<policy_id>"
// (RFC 8461 §3.1; the id is 1-32 letters and digits, changed whenever the policy changes).
v1::DnsRecord MtaStsRecord(absl::string_view domain, absl::string_view policy_id);

// Advisory. The TLS-RPT record at "_smtp._tls.<domain>":
// "v=TLSRPTv1; rua=mailto:<report address>" (RFC 8460 §3).
v1::DnsRecord TlsRptRecord(absl::string_view domain, const RecordOptions& options);

}  // namespace kirim::domains

#endif  // KIRIM_SERVER_DOMAINS_DNS_RECORDS_H_
