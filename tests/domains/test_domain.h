// Test data for the domain tests: a complete sending domain as Kirim would register it
// (TestDomain), and the public DKIM keys in it.
//
//   v1::Domain domain = TestDomain("example.com", options);   // SPF, 2 DKIM, DMARC, ...
//   for (const v1::DnsRecord& r : domain.records()) dns.AddTxt(r.host(), Joined(r));
//
// The keys are as they appear in p= (RFC 6376 §3.6.1): two real
// 2048-bit RSA SubjectPublicKeyInfos (392 base64 characters each, so a record is ~410 bytes
// and needs two TXT character-strings) and one real Ed25519 key (RFC 8463 §4.2). Public keys only;
// no private key exists anywhere in the tests.
#ifndef KIRIM_TESTS_DOMAINS_TEST_DOMAIN_H_
#define KIRIM_TESTS_DOMAINS_TEST_DOMAIN_H_

#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "kirim/v1/domain_service.pb.h"
#include "server/domains/dns_records.h"

namespace kirim::testing {

inline constexpr char kRsa2048PublicKey[] =
    "MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAsXjI+sRRM35Vdsc4FsXrflcp75psPkl5AynDHPUch2wqJw"
    "PCE47KpVZNlqOyrvpk4HajXZW7UtWC69jB/WPTzVU+8QeiS2ZkVeVxfd9eiSZDarxA3q5MvMfp6Jp3U/bjR7h5nKTh"
    "497iVmYhMnYpNNFjf24uAZkWr6B6+8TBYD4tZF3SpOLLMJq0f+z31XgcOmK8ihj3iAnpoQg8fSNZt8j3rYntIXLrQ2"
    "FKwvMzm1m5BLWCuPbMw4C/fhwynhnYMgK9ujhwhCHPodGRrxkNMFssa9nENU5In4vzxwG4KJzq2h6hYyunINsX0X99"
    "LK+TcFNkRkee0946LqEP7hjtiQIDAQAB";

// Another real 2048-bit RSA key: "the published key is not the key Kirim signs with".
inline constexpr char kOtherRsaPublicKey[] =
    "MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAujFvmzh/YBB1Wx92j6aEMZbfCC0MYRebqyTXb2Y3egJZ3k"
    "mhRezUrw1DoDrW7yKnvVY2VQbq2RiVG8zqHhFS9ESUdDrX9U0w4hEf8arbRkvflBO8M5x9eQ92zHJe+i7iGdr6gjYM"
    "9sBNHpm4dhVgmZkKxM5na1SIXnAPpy2M3WlL3v5YGb7OMM0cfJWIKEwAMtYPrBTcosdjW4okLCVknAcQoy+Yohisfv"
    "xVJ8thvvU0lBN4xSc47Ne2zW9zv5siMAKKYhB3DjctGPaw9BbOGYosc7elAS080MgMfOc7iXtfp3o818ZWjNihBtmX"
    "5HimHSjK6qcMUZevj5Z5GGZVvQIDAQAB";

inline constexpr char kEd25519PublicKey[] = "N1MgaI/qNF+8f1dLrrO8b6gJ3+oa1PMkiQvgzaskE+c=";

// Shorthands for the verdicts.
inline constexpr v1::DnsRecord::Status kFound = v1::DnsRecord::FOUND;
inline constexpr v1::DnsRecord::Status kMissing = v1::DnsRecord::MISSING;
inline constexpr v1::DnsRecord::Status kMismatched = v1::DnsRecord::MISMATCHED;
inline constexpr v1::DnsRecord::Status kNotChecked = v1::DnsRecord::NOT_CHECKED;

// A record's value as published: its character-strings joined (what LookupTxt returns).
inline std::string Joined(const v1::DnsRecord& record) {
  return absl::StrJoin(record.values(), "");
}

// `domain` with every record Kirim asks for: records = SPF, DKIM "rsa1" (kRsa2048PublicKey),
// DKIM "ed1" (kEd25519PublicKey), DMARC, MTA-STS (advisory), TLS-RPT (advisory); dkim_keys =
// the two keys, each with a copy of its record.
inline v1::Domain TestDomain(const std::string& domain, const domains::RecordOptions& options) {
  v1::Domain out;
  out.set_name("domains/" + domain);
  out.set_domain(domain);
  out.set_state(v1::Domain::PENDING_VERIFICATION);
  v1::DkimKey* rsa = out.add_dkim_keys();
  rsa->set_selector("rsa1");
  rsa->set_algorithm(v1::RSA_SHA256);
  rsa->set_state(v1::DkimKey::PENDING);
  rsa->set_bits(2048);
  *rsa->mutable_record() =
      domains::DkimRecord(domain, "rsa1", absl::StrCat("v=DKIM1; k=rsa; p=", kRsa2048PublicKey));
  v1::DkimKey* ed = out.add_dkim_keys();
  ed->set_selector("ed1");
  ed->set_algorithm(v1::ED25519_SHA256);
  ed->set_state(v1::DkimKey::PENDING);
  *ed->mutable_record() =
      domains::DkimRecord(domain, "ed1", absl::StrCat("v=DKIM1; k=ed25519; p=", kEd25519PublicKey));
  *out.add_records() = domains::SpfRecord(domain, options);
  *out.add_records() = rsa->record();
  *out.add_records() = ed->record();
  *out.add_records() = domains::DmarcRecord(domain, options);
  *out.add_records() = domains::MtaStsRecord(domain, "20260101");
  *out.add_records() = domains::TlsRptRecord(domain, options);
  return out;
}

}  // namespace kirim::testing

#endif  // KIRIM_TESTS_DOMAINS_TEST_DOMAIN_H_
