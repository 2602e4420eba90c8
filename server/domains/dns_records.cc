#include "server/domains/dns_records.h"

#include "absl/strings/ascii.h"

#include <algorithm>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "server/dns/resolver.h"

namespace kirim::domains {
namespace {

// RFC 1035 §3.3.14: a character-string is one length byte and that many bytes.
constexpr size_t kMaxCharacterString = 255;

v1::DnsRecord TxtRecord(v1::DnsRecord::Purpose purpose, absl::string_view host,
                        absl::string_view value, bool advisory) {
  v1::DnsRecord record;
  record.set_purpose(purpose);
  record.set_type("TXT");
  record.set_host(dns::CanonicalName(host));
  for (std::string& s : SplitTxt(value)) record.add_values(std::move(s));
  record.set_advisory(advisory);
  record.set_status(v1::DnsRecord::NOT_CHECKED);
  return record;
}

std::string ReportAddress(absl::string_view domain, const RecordOptions& options) {
  if (!options.dmarc_report_address.empty()) return options.dmarc_report_address;
  return absl::StrCat("dmarc-reports@", dns::CanonicalName(domain));
}

}  // namespace

absl::Status ValidateReportAddress(absl::string_view address) {
  const size_t at = address.rfind('@');
  if (at == absl::string_view::npos || at == 0 || at + 1 == address.size()) {
    return absl::InvalidArgumentError("expected an email address, e.g. dmarc@example.com");
  }
  for (char c : address) {
    const bool ok = absl::ascii_isalnum(static_cast<unsigned char>(c)) ||
                    absl::string_view("@.-_+=").find(c) != absl::string_view::npos;
    if (!ok) {
      return absl::InvalidArgumentError(absl::StrCat(
          "'", std::string(1, c),
          "' cannot appear in a DMARC report address (letters, digits and @ . - _ + = only)"));
    }
  }
  const absl::string_view local = address.substr(0, at);
  const absl::string_view domain = address.substr(at + 1);
  if (absl::StartsWith(local, ".") || absl::EndsWith(local, ".") ||
      absl::StrContains(local, "..") || !absl::StrContains(domain, ".") ||
      absl::StartsWith(domain, ".") || absl::EndsWith(domain, ".") ||
      absl::StrContains(domain, "..") || absl::StrContains(domain, "@")) {
    return absl::InvalidArgumentError("expected an email address, e.g. dmarc@example.com");
  }
  return absl::OkStatus();
}

std::vector<std::string> SplitTxt(absl::string_view value, size_t max) {
  max = std::clamp<size_t>(max, 1, kMaxCharacterString);
  std::vector<std::string> strings;
  do {
    strings.emplace_back(value.substr(0, max));
    value.remove_prefix(std::min(max, value.size()));
  } while (!value.empty());
  return strings;
}

v1::DnsRecord DkimRecord(absl::string_view domain, absl::string_view selector,
                         absl::string_view record_value) {
  return TxtRecord(v1::DnsRecord::DKIM, absl::StrCat(selector, "._domainkey.", domain),
                   record_value, /*advisory=*/false);
}

v1::DnsRecord SpfRecord(absl::string_view domain, const RecordOptions& options) {
  std::string value = "v=spf1";
  for (const std::string& include : options.spf_includes) {
    absl::StrAppend(&value, " include:", include);
  }
  for (const std::string& ip : options.spf_ips) {
    absl::StrAppend(&value, absl::StrContains(ip, ':') ? " ip6:" : " ip4:", ip);
  }
  if (options.spf_includes.empty() && options.spf_ips.empty()) absl::StrAppend(&value, " mx");
  absl::StrAppend(&value, " ~all");
  return TxtRecord(v1::DnsRecord::SPF, domain, value, /*advisory=*/false);
}

v1::DnsRecord DmarcRecord(absl::string_view domain, const RecordOptions& options) {
  return TxtRecord(v1::DnsRecord::DMARC, absl::StrCat("_dmarc.", domain),
                   absl::StrCat("v=DMARC1; p=none; rua=mailto:", ReportAddress(domain, options),
                                "; adkim=r; aspf=r"),
                   /*advisory=*/false);
}

v1::DnsRecord MtaStsRecord(absl::string_view domain, absl::string_view policy_id) {
  return TxtRecord(v1::DnsRecord::MTA_STS, absl::StrCat("_mta-sts.", domain),
                   absl::StrCat("v=STSv1; id=", policy_id), /*advisory=*/true);
}

v1::DnsRecord TlsRptRecord(absl::string_view domain, const RecordOptions& options) {
  return TxtRecord(v1::DnsRecord::TLS_RPT, absl::StrCat("_smtp._tls.", domain),
                   absl::StrCat("v=TLSRPTv1; rua=mailto:", ReportAddress(domain, options)),
                   /*advisory=*/true);
}

}  // namespace kirim::domains
