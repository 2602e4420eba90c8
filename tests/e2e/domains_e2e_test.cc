// Sending domains end to end: kirimd in RELAY mode with the send policy enforced, a real DNS
// server (python3-dnslib) that the test publishes records to, a real SMTP relay (aiosmtpd) that
// keeps what it receives, and Debian's python3-dkim verifying every signature with keys fetched
// from that DNS server. Covers: refusal of an unregistered / unverified From domain, the
// records CreateDomain asks for, VerifyDomain against live DNS, dual signing, the whole
// rotation lifecycle with mail sent in every phase, keys sealed in Redis, and a wrong
// key-encryption key failing closed.
#include <fstream>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "kirim/storage/v1/domain.pb.h"
#include "kirim/v1/domain_service.grpc.pb.h"
#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"
#include "tests/dns/dns_peer.h"
#include "tests/e2e/e2e_util.h"
#include "tests/harness/kirimd_process.h"
#include "tests/harness/redis_server.h"
#include "tests/harness/smtp_peer.h"
#include "tests/harness/subprocess.h"

namespace kirim {
namespace {

using ::testing::HasSubstr;

// What DNS holds before the domain owner publishes anything: the relay's own SPF record, which
// the suggested SPF record includes.
constexpr char kEmptyZone[] = "_spf.relay.test. 300 IN TXT \"v=spf1 ip4:127.0.0.1 -all\"\n";

class DomainsE2eTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(redis_.Start().ok());
    ASSERT_TRUE(dns_.Start({.zone = kEmptyZone}).ok());
    ASSERT_TRUE(relay_.Start({}).ok());
    absl::Status started = StartKirimd("");
    ASSERT_TRUE(started.ok()) << started;
  }

  // `extra` goes inside domains { }, `top` at the top level of the config.
  absl::Status StartKirimd(const std::string& extra,
                           const std::map<std::string, std::string>& env = {},
                           const std::string& top = "") {
    return kirimd_.Start(
        absl::StrCat("redis { port: ", redis_.port(), " }\n",
                     "delivery { mode: RELAY poll_interval_ms: 200\n",
                     "  retry { first_retry_ms: 3600000 }\n",
                     "  relay { host: \"127.0.0.1\" port: ", relay_.port(), " tls: NONE }\n}\n",
                     "domains { send_policy: \"enforce\" dns_servers: \"", dns_.server(), "\"\n",
                     "  spf_includes: \"_spf.relay.test\" ", extra, " }\n", top),
        env);
  }

  grpc::Status Call(const std::function<grpc::Status(grpc::ClientContext*)>& rpc) {
    grpc::ClientContext ctx;
    kirimd_.Authorize(&ctx);
    return rpc(&ctx);
  }

  v1::Domain Create(const std::string& domain) {
    v1::CreateDomainRequest req;
    req.set_domain(domain);
    v1::Domain d;
    grpc::Status s = Call([&](auto* ctx) { return kirimd_.DomainStub()->CreateDomain(ctx, req, &d); });
    EXPECT_TRUE(s.ok()) << s.error_message();
    return d;
  }
  v1::Domain Verify(const std::string& domain) {
    v1::VerifyDomainRequest req;
    req.set_name("domains/" + domain);
    v1::Domain d;
    grpc::Status s = Call([&](auto* ctx) { return kirimd_.DomainStub()->VerifyDomain(ctx, req, &d); });
    EXPECT_TRUE(s.ok()) << s.error_message();
    return d;
  }
  v1::Domain Rotate(const std::string& domain) {
    v1::RotateDkimKeyRequest req;
    req.set_name("domains/" + domain);
    v1::Domain d;
    grpc::Status s = Call([&](auto* ctx) { return kirimd_.DomainStub()->RotateDkimKey(ctx, req, &d); });
    EXPECT_TRUE(s.ok()) << s.error_message();
    return d;
  }

  grpc::Status SendFrom(const std::string& from, std::string* id = nullptr) {
    v1::SendEmailRequest r;
    r.set_from(from);
    r.add_to("ana@dest.test");
    r.set_subject("Grüße aus Jakarta — a subject long enough to be folded by the encoder");
    r.set_text_body("hello \r\ntrailing spaces   \r\n\r\n");
    v1::SendEmailResponse resp;
    grpc::Status s = Call([&](auto* ctx) { return kirimd_.MailStub()->SendEmail(ctx, r, &resp); });
    if (id != nullptr) *id = resp.id();
    return s;
  }

  // Publishes `records` (and only them) in the DNS server.
  void Publish(const std::vector<v1::DnsRecord>& records) {
    std::string zone = kEmptyZone;
    for (const v1::DnsRecord& r : records) {
      std::vector<std::string> quoted;
      for (const std::string& v : r.values()) quoted.push_back(absl::StrCat("\"", v, "\""));
      absl::StrAppend(&zone, r.host(), ". 300 IN TXT ", absl::StrJoin(quoted, " "), "\n");
    }
    ASSERT_TRUE(dns_.SetZone(zone).ok());
  }
  static std::vector<v1::DnsRecord> Required(const v1::Domain& d) {
    std::vector<v1::DnsRecord> out;
    for (const v1::DnsRecord& r : d.records()) {
      if (!r.advisory()) out.push_back(r);
    }
    return out;
  }

  // Sends from `from`, waits for the relay to receive it, and returns the selectors of its
  // signatures after python3-dkim verified every one of them against the DNS server.
  std::vector<std::string> SendAndVerify(const std::string& from) {
    std::string id;
    grpc::Status s = SendFrom(from, &id);
    EXPECT_TRUE(s.ok()) << s.error_message();
    absl::StatusOr<testing::ReceivedMessage> m = relay_.WaitForMessage();
    EXPECT_TRUE(m.ok()) << m.status();
    if (!m.ok()) return {};
    return Verified(m->content);
  }

  // The selectors of `content`'s DKIM signatures, after python3-dkim verified every one.
  std::vector<std::string> Verified(const std::string& content) {
    const std::string path = testing::MakeTempDir("dkim") + "/message.eml";
    std::ofstream(path, std::ios::binary) << content;
    testing::Subprocess verify;
    EXPECT_TRUE(verify
                    .Start({"/usr/bin/python3",
                            testing::Runfile("tests/peers/dkim_verify_dns.py"), path, "--dns",
                            dns_.server()},
                           {{"PYTHONDONTWRITEBYTECODE", "1"}})
                    .ok());
    EXPECT_TRUE(verify.WaitForOutput("SIGNATURES ", absl::Seconds(30)).ok());
    const int code = verify.Wait(absl::Seconds(30));
    std::vector<std::string> selectors;
    for (const std::string& line : verify.Lines()) {
      if (!absl::StartsWith(line, "SIG ")) continue;
      EXPECT_TRUE(absl::EndsWith(line, " PASS")) << line;
      const size_t s_at = line.find(" s=");
      selectors.push_back(line.substr(s_at + 3, line.find(' ', s_at + 3) - s_at - 3));
    }
    EXPECT_EQ(code, 0) << absl::StrJoin(verify.Lines(), "\n");
    return selectors;
  }

  static std::vector<std::string> Selectors(const v1::Domain& d, v1::DkimKey::State state) {
    std::vector<std::string> out;
    for (const v1::DkimKey& k : d.dkim_keys()) {
      if (k.state() == state) out.push_back(k.selector());
    }
    return out;
  }

  testing::RedisServer redis_;
  testing::DnsPeer dns_;
  testing::SmtpPeer relay_;
  testing::KirimdProcess kirimd_;
};

TEST_F(DomainsE2eTest, AnUnregisteredFromDomainIsRefusedAndNothingIsStored) {
  auto redis = redis_.Client();
  const auto before = testing::Snapshot(*redis);
  grpc::Status s = SendFrom("shop@example.test");
  ASSERT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_THAT(s.error_message(), HasSubstr("example.test"));
  google::rpc::Status details;
  ASSERT_TRUE(details.ParseFromString(s.error_details()));
  google::rpc::PreconditionFailure failure;
  ASSERT_EQ(details.details_size(), 1);
  ASSERT_TRUE(details.details(0).UnpackTo(&failure));
  ASSERT_EQ(failure.violations_size(), 1);
  EXPECT_EQ(failure.violations(0).type(), "DOMAIN_NOT_VERIFIED");
  EXPECT_EQ(failure.violations(0).subject(), "domains/example.test");
  EXPECT_EQ(testing::Snapshot(*redis), before);
}

TEST_F(DomainsE2eTest, RegisteredButUnverifiedSaysWhatIsMissing) {
  Create("example.test");
  v1::Domain d = Verify("example.test");
  EXPECT_EQ(d.state(), v1::Domain::FAILED_VERIFICATION);
  for (const v1::DnsRecord& r : d.records()) {
    EXPECT_EQ(r.status(), v1::DnsRecord::MISSING) << r.host();
  }
  grpc::Status s = SendFrom("shop@example.test");
  ASSERT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_THAT(s.error_message(), HasSubstr("not verified"));
  EXPECT_THAT(s.error_message(), HasSubstr("SPF record at example.test is missing"));
}

TEST_F(DomainsE2eTest, CreateReturnsTheRecordsToPublishAndSealsTheKeys) {
  v1::Domain d = Create("example.test");
  EXPECT_EQ(d.name(), "domains/example.test");
  EXPECT_EQ(d.state(), v1::Domain::PENDING_VERIFICATION);
  ASSERT_EQ(d.dkim_keys_size(), 2);
  EXPECT_EQ(d.dkim_keys(0).algorithm(), v1::RSA_SHA256);
  EXPECT_EQ(d.dkim_keys(0).bits(), 2048);
  EXPECT_EQ(d.dkim_keys(1).algorithm(), v1::ED25519_SHA256);
  std::map<v1::DnsRecord::Purpose, v1::DnsRecord> by_purpose;
  int dkim = 0;
  for (const v1::DnsRecord& r : d.records()) {
    if (r.purpose() == v1::DnsRecord::DKIM) {
      ++dkim;
      EXPECT_TRUE(absl::EndsWith(r.host(), "._domainkey.example.test")) << r.host();
      for (const std::string& v : r.values()) EXPECT_LE(v.size(), 255u);
    } else {
      by_purpose[r.purpose()] = r;
    }
  }
  EXPECT_EQ(dkim, 2);
  EXPECT_EQ(absl::StrJoin(by_purpose[v1::DnsRecord::SPF].values(), ""),
            "v=spf1 include:_spf.relay.test ~all");
  EXPECT_EQ(by_purpose[v1::DnsRecord::DMARC].host(), "_dmarc.example.test");
  EXPECT_THAT(absl::StrJoin(by_purpose[v1::DnsRecord::DMARC].values(), ""), HasSubstr("p=none"));
  EXPECT_TRUE(by_purpose[v1::DnsRecord::MTA_STS].advisory());
  EXPECT_TRUE(by_purpose[v1::DnsRecord::TLS_RPT].advisory());
  EXPECT_FALSE(absl::StrContains(d.SerializeAsString(), "PRIVATE"));

  // In Redis the keys are sealed (KeyCipher's format): no PEM, nothing that looks like one.
  auto redis = redis_.Client();
  absl::StatusOr<redis::RedisValue> keys = redis->Command({"KEYS", "*{domains}:d:*"});
  ASSERT_TRUE(keys.ok());
  ASSERT_EQ(keys->elements.size(), 1u);
  absl::StatusOr<redis::RedisValue> payload =
      redis->Command({"HGET", keys->elements[0].str, "p"});
  ASSERT_TRUE(payload.ok());
  storage::v1::StoredDomain stored;
  ASSERT_TRUE(stored.ParseFromString(payload->str));
  EXPECT_FALSE(absl::StrContains(payload->str, "PRIVATE KEY"));
  ASSERT_EQ(stored.sealed_keys_size(), 2);
  for (const auto& [selector, sealed] : stored.sealed_keys()) {
    EXPECT_TRUE(absl::StartsWith(sealed, "KKC1")) << selector;
    EXPECT_FALSE(absl::StrContains(sealed, "MII")) << selector;  // base64 DER of a key
  }
}

TEST_F(DomainsE2eTest, VerifiedDomainSignsDualAndEveryRotationPhaseVerifies) {
  // Without the send path's domain cache, so each phase's keys sign from its first message
  // (with it, the previous keys would sign for up to cache_ttl: still valid, but not what this
  // test pins down).
  kirimd_.Stop();
  ASSERT_TRUE(StartKirimd("cache_ttl_ms: -1").ok());
  v1::Domain d = Create("example.test");
  Publish(Required(d));
  d = Verify("example.test");
  ASSERT_EQ(d.state(), v1::Domain::VERIFIED) << d.DebugString();
  const std::vector<std::string> first = Selectors(d, v1::DkimKey::ACTIVE);
  ASSERT_EQ(first.size(), 2u);

  // Phase ACTIVE: dual signature, RSA first, both verify; a subdomain From aligns too.
  EXPECT_EQ(SendAndVerify("shop@example.test"), first);
  EXPECT_EQ(SendAndVerify("news@mail.example.test"), first);

  // Rotation requested: the new keys are PENDING, the old ones still sign.
  v1::Domain rotated = Rotate("example.test");
  const std::vector<std::string> second = Selectors(rotated, v1::DkimKey::PENDING);
  ASSERT_EQ(second.size(), 2u);
  EXPECT_EQ(Selectors(rotated, v1::DkimKey::ACTIVE), first);
  EXPECT_EQ(SendAndVerify("shop@example.test"), first);

  // A verification before the new records are published changes nothing.
  EXPECT_EQ(Selectors(Verify("example.test"), v1::DkimKey::ACTIVE), first);

  // New records published next to the old ones: new keys ACTIVE, old RETIRING (still
  // published, no longer signing).
  Publish(Required(rotated));
  d = Verify("example.test");
  EXPECT_EQ(d.state(), v1::Domain::VERIFIED);
  EXPECT_EQ(Selectors(d, v1::DkimKey::ACTIVE), second);
  EXPECT_EQ(Selectors(d, v1::DkimKey::RETIRING), first);
  EXPECT_EQ(SendAndVerify("shop@example.test"), second);

  // Restarted with a retire period already over: the old keys are REMOVED and their records
  // may go. Mail still verifies with only the new records in DNS.
  kirimd_.Stop();
  ASSERT_TRUE(StartKirimd("cache_ttl_ms: -1 retire_after_ms: 1").ok());
  d = Verify("example.test");
  EXPECT_EQ(Selectors(d, v1::DkimKey::REMOVED), first);
  std::vector<v1::DnsRecord> current;
  for (const v1::DnsRecord& r : d.records()) {
    if (!r.advisory()) current.push_back(r);
  }
  EXPECT_EQ(current.size(), 4u);  // SPF, DMARC and the two ACTIVE keys
  Publish(current);
  EXPECT_EQ(Verify("example.test").state(), v1::Domain::VERIFIED);
  EXPECT_EQ(SendAndVerify("shop@example.test"), second);
}

TEST_F(DomainsE2eTest, AWrongKeyEncryptionKeyFailsClosedAndNothingIsSentUnsigned) {
  v1::Domain d = Create("example.test");
  Publish(Required(d));
  ASSERT_EQ(Verify("example.test").state(), v1::Domain::VERIFIED);
  kirimd_.Stop();
  // Another key-encryption key: the stored keys cannot be opened.
  ASSERT_TRUE(StartKirimd("", {{"KIRIM_KEY_ENCRYPTION_KEY",
                                "b3RoZXIta2V5LW90aGVyLWtleS1vdGhlci1rZXktMDE="}})
                  .ok());
  std::string id;
  ASSERT_TRUE(SendFrom("shop@example.test", &id).ok());
  absl::StatusOr<std::string> line = kirimd_.WaitForEvent("signing_failed", id);
  ASSERT_TRUE(line.ok()) << line.status();
  EXPECT_THAT(*line, HasSubstr("key-encryption key"));
  absl::StatusOr<v1::Message> m = kirimd_.GetMessage(id);
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m->state(), v1::DEFERRED);
  ASSERT_GE(m->attempts_size(), 1);
  EXPECT_THAT(m->attempts(0).error(), HasSubstr("dkim: "));
  EXPECT_EQ(relay_.ReceivedCount(), 0);
}

// PreviewEmail shows the bytes as the worker would send them: signed (the signatures verify),
// and for bulk mail with one-click unsubscribe headers that DKIM covers too (RFC 8058 §4).
TEST_F(DomainsE2eTest, PreviewAndBulkMailAreSignedIncludingListUnsubscribe) {
  const int http = testing::FreePort();
  kirimd_.Stop();
  ASSERT_TRUE(StartKirimd("",
                          {{"KIRIM_UNSUBSCRIBE_KEY", "a2lyaW0tdW5zdWJzY3JpYmUta2V5LWZvci10ZXN0cyEh"}},
                          absl::StrCat("http_listen_address: \"127.0.0.1:", http,
                                       "\"\nunsubscribe { base_url: \"http://127.0.0.1:", http,
                                       "\" }\n"))
                  .ok());
  v1::Domain d = Create("example.test");
  Publish(Required(d));
  ASSERT_EQ(Verify("example.test").state(), v1::Domain::VERIFIED);

  v1::SendEmailRequest r;
  r.set_from("news@example.test");
  r.add_to("ana@dest.test");
  r.set_subject("Weekly news");
  r.set_text_body("news");
  r.set_priority(v1::BULK);
  v1::PreviewEmailResponse preview;
  grpc::Status s = Call([&](auto* ctx) { return kirimd_.MailStub()->PreviewEmail(ctx, r, &preview); });
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(Verified(preview.mime()).size(), 2u);
  EXPECT_THAT(preview.mime(), HasSubstr("List-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n"));
  EXPECT_EQ(preview.route().kind(), v1::Route::RELAY);
  EXPECT_EQ(relay_.ReceivedCount(), 0);  // a preview sends nothing

  v1::SendEmailResponse sent;
  ASSERT_TRUE(Call([&](auto* ctx) { return kirimd_.MailStub()->SendEmail(ctx, r, &sent); }).ok());
  absl::StatusOr<testing::ReceivedMessage> m = relay_.WaitForMessage();
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(Verified(m->content).size(), 2u);
  // Both signatures cover the unsubscribe headers.
  const size_t h = m->content.find(" h=");
  ASSERT_NE(h, std::string::npos);
  const std::string signed_headers = m->content.substr(h, m->content.find(';', h) - h);
  EXPECT_THAT(signed_headers, HasSubstr("list-unsubscribe"));
  EXPECT_THAT(signed_headers, HasSubstr("list-unsubscribe-post"));
}

// docs/dns-setup.md, followed literally: `kirimctl domains create --output zone` prints the
// records as zone-file lines, the domain owner publishes them as they are, and
// `kirimctl domains verify` succeeds (exit 4 and the reasons before that).
TEST_F(DomainsE2eTest, KirimctlWalksADomainFromCreateToVerified) {
  const std::map<std::string, std::string> env = {{"KIRIM_API_KEY", kirimd_.admin_key()}};
  auto kirimctl = [&](std::vector<std::string> args, testing::Subprocess& p) {
    args.insert(args.begin(), {testing::Runfile("client/kirimctl"),
                               "--address=" + kirimd_.address()});
    EXPECT_TRUE(p.Start(args, env).ok());
    return WEXITSTATUS(p.Wait(absl::Seconds(60)));
  };
  testing::Subprocess create;
  ASSERT_EQ(kirimctl({"domains", "create", "example.test", "--output=zone"}, create), 0)
      << absl::StrJoin(create.Lines(), "\n");
  std::vector<std::string> zone_lines;
  for (const std::string& line : create.Lines()) {
    if (absl::StrContains(line, " IN TXT ")) zone_lines.push_back(line);
  }
  ASSERT_EQ(zone_lines.size(), 6u) << absl::StrJoin(create.Lines(), "\n");

  // Refused before verification (and not remembered as refused: see below).
  EXPECT_EQ(SendFrom("shop@example.test").error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  testing::Subprocess early;
  EXPECT_EQ(kirimctl({"domains", "verify", "example.test"}, early), 4);
  EXPECT_TRUE(early.WaitForOutput("[MISSING] SPF", absl::Seconds(1)).ok())
      << absl::StrJoin(early.Lines(), "\n");

  ASSERT_TRUE(dns_.SetZone(absl::StrCat(kEmptyZone, absl::StrJoin(zone_lines, "\n"), "\n")).ok());
  testing::Subprocess verify;
  EXPECT_EQ(kirimctl({"domains", "verify", "example.test"}, verify), 0)
      << absl::StrJoin(verify.Lines(), "\n");
  EXPECT_TRUE(verify.WaitForOutput("example.test  VERIFIED", absl::Seconds(1)).ok());
  // Accepted and dual-signed at once, with the send path's domain cache on (default).
  EXPECT_EQ(SendAndVerify("shop@example.test").size(), 2u);

  testing::Subprocess list;
  EXPECT_EQ(kirimctl({"domains", "list"}, list), 0);
  EXPECT_TRUE(list.WaitForOutput("example.test  VERIFIED", absl::Seconds(1)).ok());
  testing::Subprocess remove;
  EXPECT_EQ(kirimctl({"domains", "delete", "example.test"}, remove), 0);
  testing::Subprocess gone;
  EXPECT_EQ(kirimctl({"domains", "get", "example.test"}, gone), 1);
  EXPECT_TRUE(gone.WaitForOutput("NOT_FOUND", absl::Seconds(1)).ok());
}

}  // namespace
}  // namespace kirim
