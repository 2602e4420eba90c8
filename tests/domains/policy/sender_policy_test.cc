// SenderPolicy (server/domains/sender_policy.h) over SendingDomains and FakeDomainStore: enforce
// refuses a From domain that is not a verified sending domain (FAILED_PRECONDITION with
// google.rpc.PreconditionFailure DOMAIN_NOT_VERIFIED, saying what is missing), warn accepts and
// logs, off reads nothing.
#include "server/domains/sender_policy.h"

#include <cstdio>
#include <cstdlib>
#include <string>

#include "absl/strings/cord.h"
#include "gmock/gmock.h"
#include "google/rpc/error_details.pb.h"
#include "gtest/gtest.h"
#include "tests/common/status_payloads.h"
#include "server/common/logger.h"
#include "server/domains/dns_records.h"
#include "tests/common/fake_clock.h"
#include "tests/domains/policy/stored_domain.h"
#include "tests/domains/store/fake_domain_store.h"

namespace kirim {
namespace {

using storage::v1::StoredDomain;
using testing::StoredDomainFor;
using ::kirim::testing::Precondition;
using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::Not;


v1::DnsRecord* RecordOf(StoredDomain& d, v1::DnsRecord::Purpose purpose) {
  for (v1::DnsRecord& r : *d.mutable_domain()->mutable_records()) {
    if (r.purpose() == purpose) return &r;
  }
  return nullptr;
}

class SenderPolicyTest : public ::testing::Test {
 protected:
  SenderPolicyTest()
      : log_(open_memstream(&log_buffer_, &log_size_)), logger_(clock_, LogLevel::kDebug, log_) {}
  ~SenderPolicyTest() override {
    std::fclose(log_);
    std::free(log_buffer_);
  }

  std::string Log() {
    std::fflush(log_);
    return std::string(log_buffer_, log_size_);
  }
  void Register(StoredDomain d) { ASSERT_TRUE(store_.Create(d).ok()); }
  void Register(const std::string& domain, v1::Domain::State state,
                const std::string& tenant = "acme") {
    Register(StoredDomainFor(tenant, domain, state));
  }

  testing::FakeClock clock_;
  testing::FakeDomainStore store_;
  SendingDomains domains_{store_, clock_};
  char* log_buffer_ = nullptr;
  size_t log_size_ = 0;
  FILE* log_;
  Logger logger_;
  SenderPolicy enforce_{domains_, logger_, SenderPolicy::Mode::kEnforce};
  SenderPolicy warn_{domains_, logger_, SenderPolicy::Mode::kWarn};
  SenderPolicy off_{domains_, logger_, SenderPolicy::Mode::kOff};
};

TEST(SenderPolicyModeTest, ParsesTheThreeModes) {
  EXPECT_EQ(*SenderPolicy::ParseMode("enforce"), SenderPolicy::Mode::kEnforce);
  EXPECT_EQ(*SenderPolicy::ParseMode("warn"), SenderPolicy::Mode::kWarn);
  EXPECT_EQ(*SenderPolicy::ParseMode("off"), SenderPolicy::Mode::kOff);
  for (const char* bad : {"", "Enforce", "on", "enforce "}) {
    EXPECT_EQ(SenderPolicy::ParseMode(bad).status().code(), absl::StatusCode::kInvalidArgument)
        << bad;
  }
}

TEST_F(SenderPolicyTest, EnforceRefusesAnUnregisteredDomain) {
  absl::Status s = enforce_.Check("acme", "example.com");
  ASSERT_EQ(s.code(), absl::StatusCode::kFailedPrecondition) << s;
  EXPECT_THAT(std::string(s.message()),
              AllOf(HasSubstr("example.com"), HasSubstr("not a registered sending domain")));
  const google::rpc::PreconditionFailure::Violation v = Precondition(s);
  EXPECT_EQ(v.type(), "DOMAIN_NOT_VERIFIED");
  EXPECT_EQ(v.subject(), "domains/example.com");
  EXPECT_THAT(v.description(), HasSubstr("not a registered sending domain"));
}

TEST_F(SenderPolicyTest, EnforceRefusesAnUnverifiedDomainNamingWhatIsMissing) {
  StoredDomain d = StoredDomainFor("acme", "example.com", v1::Domain::FAILED_VERIFICATION);
  RecordOf(d, v1::DnsRecord::SPF)->set_status(v1::DnsRecord::MISSING);
  RecordOf(d, v1::DnsRecord::DMARC)->set_status(v1::DnsRecord::MISMATCHED);
  RecordOf(d, v1::DnsRecord::DMARC)->set_problem("no p= tag");
  RecordOf(d, v1::DnsRecord::MTA_STS)->set_status(v1::DnsRecord::MISSING);
  v1::DkimKey* k = d.mutable_domain()->add_dkim_keys();
  k->set_selector("k1");
  k->set_algorithm(v1::RSA_SHA256);
  k->set_state(v1::DkimKey::PENDING);
  *k->mutable_record() = domains::DkimRecord("example.com", "k1", "v=DKIM1; k=rsa; p=AAAA");
  k->mutable_record()->set_status(v1::DnsRecord::MISSING);
  Register(d);

  absl::Status s = enforce_.Check("acme", "example.com");
  ASSERT_EQ(s.code(), absl::StatusCode::kFailedPrecondition) << s;
  const std::string message(s.message());
  EXPECT_THAT(message, HasSubstr("example.com is not verified"));
  EXPECT_THAT(message, HasSubstr("SPF record at example.com is missing"));
  EXPECT_THAT(message, HasSubstr("DMARC record at _dmarc.example.com is wrong: no p= tag"));
  EXPECT_THAT(message, HasSubstr("DKIM record at k1._domainkey.example.com is missing"));
  EXPECT_THAT(message, Not(HasSubstr("MTA_STS"))) << "advisory records are not required";
  const google::rpc::PreconditionFailure::Violation v = Precondition(s);
  EXPECT_EQ(v.type(), "DOMAIN_NOT_VERIFIED");
  EXPECT_EQ(v.subject(), "domains/example.com");
  EXPECT_EQ(v.description(), message);
}

TEST_F(SenderPolicyTest, ADomainNeverCheckedSaysSo) {
  Register("example.com", v1::Domain::PENDING_VERIFICATION);
  absl::Status s = enforce_.Check("acme", "example.com");
  ASSERT_EQ(s.code(), absl::StatusCode::kFailedPrecondition) << s;
  EXPECT_THAT(std::string(s.message()),
              HasSubstr("SPF record at example.com has not been checked"));
}

TEST_F(SenderPolicyTest, AVerifiedDomainAndItsSubdomainsPass) {
  Register("example.com", v1::Domain::VERIFIED);
  EXPECT_TRUE(enforce_.Check("acme", "example.com").ok());
  EXPECT_TRUE(enforce_.Check("acme", "news.example.com").ok());
  EXPECT_TRUE(enforce_.Check("acme", "a.b.Example.COM").ok());
  // Only subdomains align, not look-alikes.
  EXPECT_EQ(enforce_.Check("acme", "badexample.com").code(), absl::StatusCode::kFailedPrecondition);
}

TEST_F(SenderPolicyTest, ASubdomainOfAnUnverifiedDomainIsRefusedNamingTheRegisteredDomain) {
  Register("example.com", v1::Domain::PENDING_VERIFICATION);
  absl::Status s = enforce_.Check("acme", "news.example.com");
  ASSERT_EQ(s.code(), absl::StatusCode::kFailedPrecondition) << s;
  EXPECT_EQ(Precondition(s).subject(), "domains/example.com");
}

TEST_F(SenderPolicyTest, AnotherTenantsVerifiedDomainDoesNotCount) {
  Register("example.com", v1::Domain::VERIFIED, "globex");
  EXPECT_EQ(enforce_.Check("acme", "example.com").code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_TRUE(enforce_.Check("globex", "example.com").ok());
}

TEST_F(SenderPolicyTest, WarnAcceptsButLogsWhy) {
  Register("example.com", v1::Domain::PENDING_VERIFICATION);
  EXPECT_TRUE(warn_.Check("acme", "example.com").ok());
  EXPECT_TRUE(warn_.Check("acme", "unknown.example").ok());
  const std::string log = Log();
  EXPECT_THAT(log, HasSubstr("sender_domain_not_verified"));
  EXPECT_THAT(log, HasSubstr("example.com is not verified"));
  EXPECT_THAT(log, HasSubstr("unknown.example is not a registered sending domain"));
  EXPECT_GT(store_.reads(), 0) << "warn checks like enforce";
}

TEST_F(SenderPolicyTest, WarnLogsNothingForAVerifiedDomain) {
  Register("example.com", v1::Domain::VERIFIED);
  EXPECT_TRUE(warn_.Check("acme", "example.com").ok());
  EXPECT_THAT(Log(), Not(HasSubstr("sender_domain_not_verified")));
}

TEST_F(SenderPolicyTest, OffAcceptsWithoutReadingTheStore) {
  EXPECT_EQ(off_.mode(), SenderPolicy::Mode::kOff);
  EXPECT_TRUE(off_.Check("acme", "unknown.example").ok());
  store_.SetDown(absl::UnavailableError("redis down"));
  EXPECT_TRUE(off_.Check("acme", "example.com").ok());
  EXPECT_EQ(store_.reads(), 0);
  EXPECT_THAT(Log(), Not(HasSubstr("sender_domain_not_verified")));
}

TEST_F(SenderPolicyTest, TheStoreDownIsUnavailableNotARefusal) {
  store_.SetDown(absl::UnavailableError("redis down"));
  absl::Status s = enforce_.Check("acme", "example.com");
  EXPECT_EQ(s.code(), absl::StatusCode::kUnavailable) << s;
  EXPECT_FALSE(s.GetPayload(testing::kPreconditionFailureUrl).has_value());
}

}  // namespace
}  // namespace kirim
