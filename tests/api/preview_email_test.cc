// MailApi::PreviewEmail (server/api/mail_api.h): what SendEmail would do, without doing it. The
// exact bytes (composed, with one-click unsubscribe headers for bulk mail when configured, then
// signed by the MessageSigner), the route, and the refusals (send policy, suppressed recipients)
// come back; nothing is stored, queued or charged. Against FakeMessageQueue, FakeSendLimiter,
// FakeSuppressionStore, a fake signer, a real UnsubscribeSigner and simulated time.
#include <cstdio>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "kirim/storage/v1/domain.pb.h"
#include "server/api/mail_api.h"
#include "server/compose/compose.h"
#include "server/domains/message_signer.h"
#include "server/domains/sender_policy.h"
#include "server/domains/sending_domains.h"
#include "server/unsubscribe/unsubscribe_token.h"
#include "tests/common/fake_clock.h"
#include "tests/common/fake_random.h"
#include "tests/common/status_payloads.h"
#include "tests/domains/store/fake_domain_store.h"
#include "tests/limits/fake_send_limiter.h"
#include "tests/queue/fake_message_queue.h"
#include "tests/suppression/fake_suppression_store.h"

namespace kirim {
namespace {

using ::kirim::testing::BadFields;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

// Records what it was asked to sign and prepends a recognisable header (or fails, when told to).
class FakeSigner final : public MessageSigner {
 public:
  absl::StatusOr<std::string> Sign(absl::string_view tenant, absl::string_view from_domain,
                                   std::string content) override {
    ++calls;
    tenant_seen = std::string(tenant);
    domain_seen = std::string(from_domain);
    content_seen = content;
    if (!fail_with.ok()) return fail_with;
    return absl::StrCat("DKIM-Signature: v=1; a=fake; d=", from_domain, "\r\n", content);
  }

  int calls = 0;
  std::string tenant_seen, domain_seen, content_seen;
  absl::Status fail_with;
};

// The header block of `mime`, unfolded (RFC 5322 §2.2.3), each field on its own CRLF line.
std::string Headers(const std::string& mime) {
  std::string block = mime.substr(0, mime.find("\r\n\r\n") + 2);
  block = absl::StrReplaceAll(block, {{"\r\n ", " "}, {"\r\n\t", " "}});
  return "\r\n" + block;
}

// How many header fields named `name` (exact case) the message has.
int FieldCount(const std::string& mime, const std::string& name) {
  const std::string headers = Headers(mime);
  const std::string needle = "\r\n" + name + ":";
  int n = 0;
  for (size_t at = headers.find(needle); at != std::string::npos;
       at = headers.find(needle, at + 1)) {
    ++n;
  }
  return n;
}

storage::v1::StoredDomain Domain(const std::string& tenant, const std::string& domain,
                                 v1::Domain::State state) {
  storage::v1::StoredDomain d;
  d.set_tenant(tenant);
  d.mutable_domain()->set_name("domains/" + domain);
  d.mutable_domain()->set_domain(domain);
  d.mutable_domain()->set_state(state);
  return d;
}

class PreviewEmailTest : public ::testing::Test {
 protected:
  PreviewEmailTest()
      : null_(std::fopen("/dev/null", "w")),
        logger_(clock_, LogLevel::kDebug, null_),
        limiter_(clock_) {
    absl::StatusOr<UnsubscribeSigner> signer =
        UnsubscribeSigner::FromBase64Key(absl::Base64Escape(std::string(32, '\x5a')));
    EXPECT_TRUE(signer.ok()) << signer.status();
    if (signer.ok()) unsubscribe_signer_.emplace(*std::move(signer));
    unsubscribe_.signer = unsubscribe_signer_ ? &*unsubscribe_signer_ : nullptr;
    unsubscribe_.options.base_url = "https://mail.example.com";
    unsubscribe_.options.mailto = "unsubscribe@example.com";
  }
  ~PreviewEmailTest() override { std::fclose(null_); }

  std::unique_ptr<MailApi> Api(MailApiOptions options = {}, SenderPolicy* policy = nullptr) {
    return std::make_unique<MailApi>(queue_, limiter_, limits_, clock_, random_, logger_,
                                     std::move(options), &suppressions_, policy);
  }

  static v1::SendEmailRequest Request() {
    v1::SendEmailRequest r;
    r.set_from("Shop <shop@example.com>");
    r.add_to("ana@example.net");
    r.add_bcc("audit@example.com");
    r.set_subject("Order 42");
    r.set_text_body("Thanks for your order");
    r.add_tags("orders");
    return r;
  }
  // One recipient, as bulk mail with an unsubscribe link needs.
  static v1::SendEmailRequest Single(v1::Priority priority) {
    v1::SendEmailRequest r = Request();
    r.clear_bcc();
    r.set_priority(priority);
    return r;
  }

  void ExpectNothingStored() {
    EXPECT_EQ(queue_.record_count(), 0u);
    EXPECT_EQ(queue_.ready_count(), 0u);
    EXPECT_EQ(queue_.scheduled_count(), 0u);
    EXPECT_THAT(queue_.events("alice"), IsEmpty());
  }

  testing::FakeClock clock_;
  testing::FakeRandom random_;
  testing::FakeMessageQueue queue_{&clock_};
  FILE* null_;
  Logger logger_;
  testing::FakeSendLimiter limiter_;
  testing::FakeSuppressionStore suppressions_;
  LimitsTable limits_;  // default: unlimited
  std::optional<UnsubscribeSigner> unsubscribe_signer_;
  UnsubscribeHeaders unsubscribe_;
  Principal alice_{"alice"};
};

// ---- nothing happens -----------------------------------------------------------------------

TEST_F(PreviewEmailTest, StoresQueuesAndChargesNothing) {
  limits_.Set("alice", TenantLimits{.rate_per_second = 1, .burst = 2, .daily_quota = 2});
  auto api = Api();
  v1::SendEmailRequest req = Request();  // 2 recipients: the whole burst and quota
  req.set_idempotency_key("order-42");
  for (int i = 0; i < 3; ++i) {
    auto p = api->PreviewEmail(alice_, req);
    ASSERT_TRUE(p.ok()) << i << ": " << p.status();
    EXPECT_FALSE(p->mime().empty());
  }
  ExpectNothingStored();
  auto state = limiter_.Peek("alice", limits_.For("alice"));
  ASSERT_TRUE(state.ok()) << state.status();
  EXPECT_EQ(state->daily_used, 0);
  EXPECT_EQ(state->daily_remaining, 2);
  EXPECT_DOUBLE_EQ(state->tokens_left, 2);
  auto claim = queue_.FindIdempotencyKey("alice", "order-42");
  ASSERT_TRUE(claim.ok());
  EXPECT_FALSE(claim->has_value()) << "a preview claims no idempotency key";

  // The real send still has the whole quota and is not a duplicate of anything.
  auto sent = api->SendEmail(alice_, req);
  ASSERT_TRUE(sent.ok()) << sent.status();
  EXPECT_FALSE(sent->deduplicated());
  EXPECT_EQ(queue_.record_count(), 1u);
}

TEST_F(PreviewEmailTest, APreviewIsAnsweredEvenWhenTheQuotaIsUsedUp) {
  limits_.Set("alice", TenantLimits{.rate_per_second = 0, .burst = 0, .daily_quota = 2});
  auto api = Api();
  ASSERT_TRUE(api->SendEmail(alice_, Request()).ok());
  ASSERT_EQ(api->SendEmail(alice_, Request()).status().code(),
            absl::StatusCode::kResourceExhausted);
  auto p = api->PreviewEmail(alice_, Request());
  EXPECT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(queue_.record_count(), 1u);
}

// ---- the bytes -----------------------------------------------------------------------------

TEST_F(PreviewEmailTest, TheMimeHasTheRenderedHeadersAndBody) {
  v1::SendEmailRequest req = Request();
  req.set_html_body("<p>Thanks &amp; see you</p>");
  req.add_reply_to("help@example.com");
  (*req.mutable_headers())["X-Order"] = "42";
  auto p = Api()->PreviewEmail(alice_, req);
  ASSERT_TRUE(p.ok()) << p.status();
  const std::string& mime = p->mime();
  const std::string headers = Headers(mime);
  EXPECT_THAT(headers, HasSubstr("\r\nFrom: Shop <shop@example.com>\r\n"));
  EXPECT_THAT(headers, HasSubstr("\r\nTo: ana@example.net\r\n"));
  EXPECT_THAT(headers, HasSubstr("\r\nReply-To: help@example.com\r\n"));
  EXPECT_THAT(headers, HasSubstr("\r\nSubject: Order 42\r\n"));
  EXPECT_THAT(headers, HasSubstr("\r\nX-Order: 42\r\n"));
  EXPECT_THAT(headers, HasSubstr("\r\nMIME-Version: 1.0\r\n"));
  EXPECT_THAT(headers, HasSubstr("02 Jan 2026 03:04:05"));  // the FakeClock's now
  EXPECT_THAT(headers, HasSubstr("@example.com>\r\n"));    // Message-ID on the From domain
  EXPECT_EQ(FieldCount(mime, "Message-ID"), 1);
  EXPECT_THAT(headers, HasSubstr("multipart/alternative"));
  EXPECT_THAT(mime, HasSubstr("Thanks for your order"));
  EXPECT_THAT(mime, HasSubstr("<p>Thanks &amp; see you</p>"));
  // Bcc is envelope-only.
  EXPECT_THAT(mime, Not(HasSubstr("audit@example.com")));
  EXPECT_EQ(FieldCount(mime, "Bcc"), 0);
  EXPECT_EQ(FieldCount(mime, "DKIM-Signature"), 0) << "no signer configured";
  EXPECT_EQ(mime.find('\n'), mime.find("\r\n") + 1) << "CRLF line ends";
  EXPECT_FALSE(p->has_route()) << "no route function configured";
  EXPECT_THAT(p->refusals(), IsEmpty());
}

TEST_F(PreviewEmailTest, WithASignerTheMimeIsWhatTheSignerReturned) {
  FakeSigner signer;
  MailApiOptions o;
  o.signer = &signer;
  auto p = Api(o)->PreviewEmail(alice_, Request());
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(signer.calls, 1);
  EXPECT_EQ(signer.tenant_seen, "alice");
  EXPECT_EQ(signer.domain_seen, "example.com");
  EXPECT_THAT(signer.content_seen, HasSubstr("Subject: Order 42\r\n"));
  EXPECT_EQ(p->mime(),
            absl::StrCat("DKIM-Signature: v=1; a=fake; d=example.com\r\n", signer.content_seen));
  ExpectNothingStored();
}

TEST_F(PreviewEmailTest, ASignerThatRefusesFailsThePreview) {
  FakeSigner signer;
  signer.fail_with = absl::FailedPreconditionError("no active DKIM key for example.com");
  MailApiOptions o;
  o.signer = &signer;
  auto p = Api(o)->PreviewEmail(alice_, Request());
  EXPECT_EQ(p.status().code(), absl::StatusCode::kFailedPrecondition) << p.status();
  EXPECT_THAT(std::string(p.status().message()), HasSubstr("no active DKIM key"));
  ExpectNothingStored();
}

// ---- one-click unsubscribe -----------------------------------------------------------------

TEST_F(PreviewEmailTest, BulkMailToOneRecipientGetsOneClickUnsubscribe) {
  ASSERT_TRUE(unsubscribe_signer_.has_value());
  MailApiOptions o;
  o.unsubscribe = &unsubscribe_;
  auto p = Api(o)->PreviewEmail(alice_, Single(v1::BULK));
  ASSERT_TRUE(p.ok()) << p.status();
  const std::string headers = Headers(p->mime());
  EXPECT_EQ(FieldCount(p->mime(), "List-Unsubscribe"), 1);
  EXPECT_EQ(FieldCount(p->mime(), "List-Unsubscribe-Post"), 1);
  EXPECT_THAT(headers, HasSubstr("\r\nList-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n"));
  EXPECT_THAT(headers, HasSubstr("\r\nList-Unsubscribe: <https://mail.example.com/unsubscribe?token="));
  EXPECT_THAT(headers, HasSubstr("<mailto:unsubscribe@example.com?subject=unsubscribe%20"));

  // The token names this tenant and recipient and verifies under the configured key.
  const std::string prefix = "https://mail.example.com/unsubscribe?token=";
  const size_t start = headers.find(prefix);
  ASSERT_NE(start, std::string::npos);
  const size_t end = headers.find('>', start);
  ASSERT_NE(end, std::string::npos);
  const std::string token = headers.substr(start + prefix.size(), end - start - prefix.size());
  auto claim = unsubscribe_signer_->Verify(token, clock_.Now());
  ASSERT_TRUE(claim.ok()) << claim.status();
  EXPECT_EQ(claim->tenant, "alice");
  EXPECT_EQ(claim->address, "ana@example.net");
  EXPECT_GT(claim->expires, clock_.Now());
}

TEST_F(PreviewEmailTest, TransactionalMailGetsNoUnsubscribeHeaders) {
  MailApiOptions o;
  o.unsubscribe = &unsubscribe_;
  auto api = Api(o);
  for (v1::Priority priority : {v1::TRANSACTIONAL, v1::PRIORITY_UNSPECIFIED}) {
    SCOPED_TRACE(v1::Priority_Name(priority));
    auto p = api->PreviewEmail(alice_, Single(priority));
    ASSERT_TRUE(p.ok()) << p.status();
    EXPECT_EQ(FieldCount(p->mime(), "List-Unsubscribe"), 0);
    EXPECT_EQ(FieldCount(p->mime(), "List-Unsubscribe-Post"), 0);
  }
}

TEST_F(PreviewEmailTest, BulkMailToSeveralRecipientsGetsNoUnsubscribeHeaders) {
  MailApiOptions o;
  o.unsubscribe = &unsubscribe_;
  v1::SendEmailRequest req = Request();  // to + bcc: a token names one recipient only
  req.set_priority(v1::BULK);
  auto p = Api(o)->PreviewEmail(alice_, req);
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(FieldCount(p->mime(), "List-Unsubscribe"), 0);
}

TEST_F(PreviewEmailTest, ARequestsOwnListUnsubscribeIsKept) {
  MailApiOptions o;
  o.unsubscribe = &unsubscribe_;
  v1::SendEmailRequest req = Single(v1::BULK);
  (*req.mutable_headers())["List-Unsubscribe"] = "<mailto:leave@example.com>";
  auto p = Api(o)->PreviewEmail(alice_, req);
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(FieldCount(p->mime(), "List-Unsubscribe"), 1);
  EXPECT_THAT(Headers(p->mime()), HasSubstr("\r\nList-Unsubscribe: <mailto:leave@example.com>\r\n"));
  EXPECT_EQ(FieldCount(p->mime(), "List-Unsubscribe-Post"), 0);
  EXPECT_THAT(p->mime(), Not(HasSubstr("mail.example.com/unsubscribe")));
}

TEST_F(PreviewEmailTest, WithoutUnsubscribeOptionsBulkMailGetsNone) {
  auto p = Api()->PreviewEmail(alice_, Single(v1::BULK));
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(FieldCount(p->mime(), "List-Unsubscribe"), 0);
}

TEST_F(PreviewEmailTest, TheSignerSignsTheUnsubscribeHeaders) {
  FakeSigner signer;
  MailApiOptions o;
  o.signer = &signer;
  o.unsubscribe = &unsubscribe_;
  auto p = Api(o)->PreviewEmail(alice_, Single(v1::BULK));
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_THAT(signer.content_seen, HasSubstr("List-Unsubscribe-Post: List-Unsubscribe=One-Click"));
}

// ---- refusals ------------------------------------------------------------------------------

TEST_F(PreviewEmailTest, ASuppressedRecipientIsARefusalWithItsReason) {
  ASSERT_TRUE(suppressions_
                  .Add("alice", {"audit@example.com", v1::Suppression::HARD_BOUNCE,
                                 "550 5.1.1 gone", clock_.Now()})
                  .ok());
  auto api = Api();
  auto p = api->PreviewEmail(alice_, Request());
  ASSERT_TRUE(p.ok()) << p.status();
  ASSERT_EQ(p->refusals_size(), 1);
  EXPECT_EQ(p->refusals(0).recipient(), "audit@example.com");
  EXPECT_EQ(p->refusals(0).reason(), "suppressed (HARD_BOUNCE: 550 5.1.1 gone)");
  EXPECT_FALSE(p->mime().empty());
  ExpectNothingStored();

  // Every recipient suppressed: still a preview, with a refusal each.
  ASSERT_TRUE(suppressions_
                  .Add("alice", {"ana@example.net", v1::Suppression::UNSUBSCRIBE, "", clock_.Now()})
                  .ok());
  auto all = api->PreviewEmail(alice_, Request());
  ASSERT_TRUE(all.ok()) << all.status();
  ASSERT_EQ(all->refusals_size(), 2);
  EXPECT_EQ(all->refusals(0).recipient(), "ana@example.net");
  EXPECT_EQ(all->refusals(0).reason(), "suppressed (UNSUBSCRIBE)");

  // Another tenant's list does not apply.
  auto bobs = api->PreviewEmail(Principal{"bob"}, Request());
  ASSERT_TRUE(bobs.ok()) << bobs.status();
  EXPECT_THAT(bobs->refusals(), IsEmpty());
}

TEST_F(PreviewEmailTest, AnUnreachableSuppressionListIsUnavailable) {
  suppressions_.set_unavailable(true);
  auto p = Api()->PreviewEmail(alice_, Request());
  EXPECT_EQ(p.status().code(), absl::StatusCode::kUnavailable) << p.status();
  EXPECT_TRUE(p.status().GetPayload("type.googleapis.com/google.rpc.RetryInfo").has_value());
}

TEST_F(PreviewEmailTest, AFromDomainTheSendPolicyRefusesIsARefusal) {
  testing::FakeDomainStore store;
  SendingDomains domains(store, clock_);
  SenderPolicy policy(domains, logger_, SenderPolicy::Mode::kEnforce);
  auto api = Api({}, &policy);

  auto p = api->PreviewEmail(alice_, Request());
  ASSERT_TRUE(p.ok()) << p.status();
  ASSERT_EQ(p->refusals_size(), 1);
  EXPECT_EQ(p->refusals(0).recipient(), "Shop <shop@example.com>");
  EXPECT_THAT(p->refusals(0).reason(), HasSubstr("example.com"));
  EXPECT_THAT(p->refusals(0).reason(), HasSubstr("not a registered sending domain"));
  EXPECT_FALSE(p->mime().empty()) << "the bytes are still shown";
  ExpectNothingStored();

  storage::v1::StoredDomain verified = Domain("alice", "example.com", v1::Domain::VERIFIED);
  ASSERT_TRUE(store.Create(verified).ok());
  auto allowed = api->PreviewEmail(alice_, Request());
  ASSERT_TRUE(allowed.ok()) << allowed.status();
  EXPECT_THAT(allowed->refusals(), IsEmpty());

  // Verified for alice only.
  auto bobs = api->PreviewEmail(Principal{"bob"}, Request());
  ASSERT_TRUE(bobs.ok()) << bobs.status();
  EXPECT_EQ(bobs->refusals_size(), 1);
}

TEST_F(PreviewEmailTest, AnUnreachableDomainStoreIsUnavailable) {
  testing::FakeDomainStore store;
  store.SetDown(absl::UnavailableError("redis down"));
  SendingDomains domains(store, clock_);
  SenderPolicy policy(domains, logger_, SenderPolicy::Mode::kEnforce);
  auto p = Api({}, &policy)->PreviewEmail(alice_, Request());
  EXPECT_EQ(p.status().code(), absl::StatusCode::kUnavailable) << p.status();
  EXPECT_TRUE(p.status().GetPayload("type.googleapis.com/google.rpc.RetryInfo").has_value());
}

// ---- the route -----------------------------------------------------------------------------

TEST_F(PreviewEmailTest, TheRouteFunctionsAnswerIsReturned) {
  std::vector<std::pair<std::string, std::string>> asked;
  MailApiOptions o;
  o.route = [&](absl::string_view sender_domain,
                absl::string_view recipient_domain) -> absl::StatusOr<v1::Route> {
    asked.emplace_back(std::string(sender_domain), std::string(recipient_domain));
    v1::Route r;
    r.set_kind(v1::Route::MX);
    r.set_host("mx1.example.net");
    r.set_port(25);
    r.set_tls(v1::Route::STARTTLS);
    return r;
  };
  auto p = Api(o)->PreviewEmail(alice_, Request());
  ASSERT_TRUE(p.ok()) << p.status();
  ASSERT_TRUE(p->has_route());
  EXPECT_EQ(p->route().kind(), v1::Route::MX);
  EXPECT_EQ(p->route().host(), "mx1.example.net");
  EXPECT_EQ(p->route().port(), 25);
  EXPECT_EQ(p->route().tls(), v1::Route::STARTTLS);
  // Asked once, for the From domain and the first envelope recipient's domain.
  EXPECT_THAT(asked, ElementsAre(std::make_pair(std::string("example.com"),
                                                std::string("example.net"))));
}

TEST_F(PreviewEmailTest, AnUnavailableRouteIsUnavailableWithRetryInfo) {
  MailApiOptions o;
  o.route = [](absl::string_view, absl::string_view) -> absl::StatusOr<v1::Route> {
    return absl::UnavailableError("DNS timed out");
  };
  auto p = Api(o)->PreviewEmail(alice_, Request());
  ASSERT_EQ(p.status().code(), absl::StatusCode::kUnavailable) << p.status();
  EXPECT_THAT(std::string(p.status().message()), HasSubstr("DNS timed out"));
  auto retry = p.status().GetPayload("type.googleapis.com/google.rpc.RetryInfo");
  ASSERT_TRUE(retry.has_value());
  google::rpc::RetryInfo info;
  ASSERT_TRUE(info.ParseFromString(std::string(*retry)));
  EXPECT_GT(info.retry_delay().seconds() * 1000000000LL + info.retry_delay().nanos(), 0);
  ExpectNothingStored();
}

TEST_F(PreviewEmailTest, AnyOtherRouteErrorIsPassedOn) {
  MailApiOptions o;
  o.route = [](absl::string_view, absl::string_view) -> absl::StatusOr<v1::Route> {
    return absl::FailedPreconditionError("example.net has a null MX");
  };
  auto p = Api(o)->PreviewEmail(alice_, Request());
  EXPECT_EQ(p.status().code(), absl::StatusCode::kFailedPrecondition) << p.status();
  EXPECT_THAT(std::string(p.status().message()), HasSubstr("null MX"));
}

// ---- invalid requests ----------------------------------------------------------------------

TEST_F(PreviewEmailTest, AnInvalidRequestIsInvalidArgumentNamingTheField) {
  FakeSigner signer;
  int routes = 0;
  MailApiOptions o;
  o.signer = &signer;
  o.route = [&](absl::string_view, absl::string_view) -> absl::StatusOr<v1::Route> {
    ++routes;
    return v1::Route();
  };
  auto api = Api(o);
  struct Case {
    std::string field;
    void (*spoil)(v1::SendEmailRequest&);
  };
  const std::vector<Case> cases = {
      {"subject", [](v1::SendEmailRequest& r) { r.set_subject("x\r\nBcc: victim@example.org"); }},
      {"from", [](v1::SendEmailRequest& r) { r.clear_from(); }},
      {"to", [](v1::SendEmailRequest& r) {
         r.clear_to();
         r.clear_bcc();
       }},
      {"to[1]", [](v1::SendEmailRequest& r) { r.add_to("not an address"); }},
      {"text_body", [](v1::SendEmailRequest& r) { r.clear_text_body(); }},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.field);
    v1::SendEmailRequest req = Request();
    c.spoil(req);
    auto p = api->PreviewEmail(alice_, req);
    ASSERT_EQ(p.status().code(), absl::StatusCode::kInvalidArgument) << p.status();
    EXPECT_THAT(BadFields(p.status()), ElementsAre(c.field));
  }
  EXPECT_EQ(signer.calls, 0);
  EXPECT_EQ(routes, 0);
  ExpectNothingStored();
}

}  // namespace
}  // namespace kirim
