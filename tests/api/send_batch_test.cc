// MailApi::SendBatch (server/api/mail_api.h) against FakeMessageQueue, FakeSendLimiter,
// FakeSuppressionStore, FakeTemplateStore and simulated time: one template (inline or stored)
// rendered per recipient into messages of their own; a recipient's refusal is its item's error
// and never the others'; batch-level problems fail the call with google.rpc.BadRequest and queue
// nothing; an idempotency_key makes a retried batch answer with the same ids.
#include <cstdio>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "kirim/storage/v1/domain.pb.h"
#include "server/api/mail_api.h"
#include "server/domains/sender_policy.h"
#include "server/domains/sending_domains.h"
#include "server/queue/message_queue.h"
#include "tests/common/fake_clock.h"
#include "tests/common/fake_random.h"
#include "tests/common/status_payloads.h"
#include "tests/domains/store/fake_domain_store.h"
#include "tests/limits/fake_send_limiter.h"
#include "tests/queue/fake_message_queue.h"
#include "tests/suppression/fake_suppression_store.h"
#include "tests/templates/fake_template_store.h"

namespace kirim {
namespace {

using ::kirim::testing::BadFields;
using ::kirim::testing::Precondition;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::StartsWith;

v1::BatchRecipient Rcpt(std::string to, std::map<std::string, std::string> variables = {},
                        std::map<std::string, std::string> metadata = {}) {
  v1::BatchRecipient r;
  r.set_to(std::move(to));
  for (auto& [k, v] : variables) (*r.mutable_variables())[k] = v;
  for (auto& [k, v] : metadata) (*r.mutable_metadata())[k] = v;
  return r;
}

// Subject and text take values as they are; html escapes {{name}} but not {{{raw}}}.
v1::Template Welcome() {
  v1::Template t;
  t.set_subject("Welcome, {{name}}");
  t.set_text_body("Hi {{name}}, your plan is {{plan}}.");
  t.set_html_body("<p>Hi {{name}}</p>{{{raw}}}");
  (*t.mutable_default_variables())["plan"] = "free";
  (*t.mutable_default_variables())["raw"] = "<hr>";
  return t;
}

class SendBatchTest : public ::testing::Test {
 protected:
  SendBatchTest()
      : null_(std::fopen("/dev/null", "w")),
        logger_(clock_, LogLevel::kDebug, null_),
        limiter_(clock_) {}
  ~SendBatchTest() override { std::fclose(null_); }

  MailApiOptions Options() {
    MailApiOptions o;
    o.templates = &templates_;
    return o;
  }
  std::unique_ptr<MailApi> Api(MailApiOptions options, SenderPolicy* policy = nullptr) {
    return std::make_unique<MailApi>(queue_, limiter_, limits_, clock_, random_, logger_,
                                     std::move(options), &suppressions_, policy);
  }

  v1::SendBatchRequest Batch(std::vector<v1::BatchRecipient> recipients) {
    v1::SendBatchRequest r;
    r.set_from("Shop <shop@example.com>");
    *r.mutable_inline_template() = Welcome();
    for (auto& rc : recipients) *r.add_recipients() = std::move(rc);
    r.add_tags("welcome");
    return r;
  }

  StoredMessage Stored(const std::string& id, const std::string& tenant = "alice") {
    auto record = queue_.Get(tenant, id);
    EXPECT_TRUE(record.ok()) << record.status();
    if (!record.ok() || !record->has_value()) {
      ADD_FAILURE() << "no stored message " << id;
      return StoredMessage();
    }
    return **record;
  }

  // The id the idempotency key `key` was claimed for ("" when unclaimed).
  std::string Claimed(const std::string& key, const std::string& tenant = "alice") {
    auto claim = queue_.FindIdempotencyKey(tenant, key);
    EXPECT_TRUE(claim.ok()) << claim.status();
    return claim.ok() && claim->has_value() ? (*claim)->id : "";
  }

  // A batch-level refusal: INVALID_ARGUMENT naming exactly `field`, and nothing queued.
  void ExpectBatchRefused(MailApi& api, const v1::SendBatchRequest& request,
                          const std::string& field) {
    auto r = api.SendBatch(alice_, request);
    ASSERT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument) << r.status();
    EXPECT_THAT(BadFields(r.status()), ElementsAre(field)) << r.status();
    EXPECT_THAT(std::string(r.status().message()), StartsWith(field + ": "));
    EXPECT_EQ(queue_.record_count(), 0u);
    EXPECT_THAT(queue_.events("alice"), IsEmpty());
  }

  testing::FakeClock clock_;
  testing::FakeRandom random_;
  testing::FakeMessageQueue queue_{&clock_};
  FILE* null_;
  Logger logger_;
  testing::FakeSendLimiter limiter_;
  testing::FakeSuppressionStore suppressions_;
  testing::FakeTemplateStore templates_;
  LimitsTable limits_;  // default: unlimited
  Principal alice_{"alice"};
};

// ---- rendering -----------------------------------------------------------------------------

TEST_F(SendBatchTest, AnInlineTemplateBecomesOneQueuedMessagePerRecipient) {
  auto api = Api(Options());
  v1::SendBatchRequest req = Batch({
      Rcpt("Ana <ana@example.net>", {{"name", "Ana & <Co> \"A'\""}, {"plan", "pro"}},
           {{"user", "1"}}),
      Rcpt("bo@example.org", {{"name", "Bo"}}),
  });
  (*req.mutable_headers())["X-Campaign"] = "spring";
  req.add_reply_to("help@example.com");

  auto r = api->SendBatch(alice_, req);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->accepted_count(), 2);
  EXPECT_EQ(r->rejected_count(), 0);
  ASSERT_EQ(r->items_size(), 2);
  for (int i = 0; i < 2; ++i) {
    EXPECT_EQ(r->items(i).index(), i);
    EXPECT_FALSE(r->items(i).id().empty());
    EXPECT_EQ(r->items(i).error_code(), 0);
    EXPECT_EQ(r->items(i).error_message(), "");
  }
  EXPECT_NE(r->items(0).id(), r->items(1).id());
  EXPECT_EQ(queue_.record_count(), 2u);

  const StoredMessage ana = Stored(r->items(0).id());
  EXPECT_THAT(ana.envelope_recipients(), ElementsAre("ana@example.net"));
  EXPECT_THAT(ana.request().to(), ElementsAre("Ana <ana@example.net>"));
  EXPECT_EQ(ana.request().from(), "Shop <shop@example.com>");
  EXPECT_THAT(ana.request().reply_to(), ElementsAre("help@example.com"));
  EXPECT_EQ(ana.request().subject(), "Welcome, Ana & <Co> \"A'\"");
  EXPECT_EQ(ana.message().subject(), "Welcome, Ana & <Co> \"A'\"");
  EXPECT_EQ(ana.request().text_body(), "Hi Ana & <Co> \"A'\", your plan is pro.");
  EXPECT_EQ(ana.request().html_body(),
            "<p>Hi Ana &amp; &lt;Co&gt; &quot;A&#39;&quot;</p><hr>");
  EXPECT_EQ(ana.request().headers().at("X-Campaign"), "spring");
  EXPECT_THAT(ana.message().tags(), ElementsAre("welcome"));
  ASSERT_EQ(ana.message().metadata().size(), 1u);
  EXPECT_EQ(ana.message().metadata().at("user"), "1");
  EXPECT_EQ(ana.message().priority(), v1::BULK);
  EXPECT_EQ(ana.message().state(), v1::QUEUED);

  const StoredMessage bo = Stored(r->items(1).id());
  EXPECT_THAT(bo.envelope_recipients(), ElementsAre("bo@example.org"));
  EXPECT_EQ(bo.request().subject(), "Welcome, Bo");
  EXPECT_EQ(bo.request().text_body(), "Hi Bo, your plan is free.") << "the template's default";
  EXPECT_EQ(bo.request().html_body(), "<p>Hi Bo</p><hr>");
  EXPECT_TRUE(bo.message().metadata().empty()) << "metadata is the recipient's own";
  EXPECT_THAT(bo.message().tags(), ElementsAre("welcome"));

  // Each message is queued on the bulk lane with its own QUEUED event.
  auto taken = queue_.Take("w1", 10, absl::ZeroDuration());
  ASSERT_TRUE(taken.ok()) << taken.status();
  ASSERT_EQ(taken->size(), 2u);
  for (const Lease& l : *taken) EXPECT_EQ(l.lane, Lane::kBulk) << l.id;
  std::vector<v1::Event> events = queue_.events("alice");
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].type(), v1::Event::QUEUED);
  EXPECT_EQ(events[0].message(), "messages/" + r->items(0).id());
  EXPECT_EQ(events[0].metadata().at("user"), "1");
  EXPECT_EQ(events[1].message(), "messages/" + r->items(1).id());
}

TEST_F(SendBatchTest, AStoredTemplateIsTheCallersTenants) {
  ASSERT_TRUE(templates_.Create("alice", "welcome", Welcome(), clock_.Now()).ok());
  v1::Template bobs;
  bobs.set_subject("Bob's own");
  bobs.set_text_body("not for alice");
  ASSERT_TRUE(templates_.Create("bob", "welcome", bobs, clock_.Now()).ok());
  ASSERT_TRUE(templates_.Create("bob", "only-bob", bobs, clock_.Now()).ok());
  auto api = Api(Options());

  v1::SendBatchRequest req = Batch({Rcpt("ana@example.net", {{"name", "Ana <3"}}),
                                    Rcpt("bo@example.org", {{"name", "Bo"}, {"plan", "team"}})});
  req.set_template_name("templates/welcome");  // replaces the inline template (oneof)
  ASSERT_FALSE(req.has_inline_template());
  auto r = api->SendBatch(alice_, req);
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_EQ(r->accepted_count(), 2);
  const StoredMessage ana = Stored(r->items(0).id());
  EXPECT_EQ(ana.request().subject(), "Welcome, Ana <3");
  EXPECT_EQ(ana.request().text_body(), "Hi Ana <3, your plan is free.");
  EXPECT_EQ(ana.request().html_body(), "<p>Hi Ana &lt;3</p><hr>");
  const StoredMessage bo = Stored(r->items(1).id());
  EXPECT_EQ(bo.request().subject(), "Welcome, Bo");
  EXPECT_EQ(bo.request().text_body(), "Hi Bo, your plan is team.");

  // Another tenant's template is no template at all.
  req.set_template_name("templates/only-bob");
  auto other = api->SendBatch(alice_, req);
  EXPECT_EQ(other.status().code(), absl::StatusCode::kInvalidArgument) << other.status();
  EXPECT_THAT(BadFields(other.status()), ElementsAre("template_name"));
  EXPECT_EQ(queue_.record_count(), 2u);
}

TEST_F(SendBatchTest, ThePriorityIsBulkUnlessTheRequestSaysOtherwise) {
  auto api = Api(Options());
  v1::SendBatchRequest req = Batch({Rcpt("ana@example.net", {{"name", "Ana"}})});
  req.set_priority(v1::TRANSACTIONAL);
  auto r = api->SendBatch(alice_, req);
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_EQ(r->accepted_count(), 1);
  EXPECT_EQ(Stored(r->items(0).id()).message().priority(), v1::TRANSACTIONAL);
  auto taken = queue_.Take("w1", 10, absl::ZeroDuration());
  ASSERT_TRUE(taken.ok() && taken->size() == 1u);
  EXPECT_EQ((*taken)[0].lane, Lane::kTransactional);
}

TEST_F(SendBatchTest, SendAtHoldsEveryMessageOfTheBatch) {
  auto api = Api(Options());
  v1::SendBatchRequest req =
      Batch({Rcpt("ana@example.net", {{"name", "Ana"}}), Rcpt("bo@example.org", {{"name", "Bo"}})});
  req.mutable_send_at()->set_seconds(absl::ToUnixSeconds(clock_.Now() + absl::Hours(1)));
  auto r = api->SendBatch(alice_, req);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->accepted_count(), 2);
  EXPECT_EQ(queue_.scheduled_count(), 2u);
  EXPECT_EQ(queue_.ready_count(), 0u);
}

// ---- per-recipient refusals ----------------------------------------------------------------

TEST_F(SendBatchTest, ARecipientsRefusalIsItsItemsErrorAndTheRestAreAccepted) {
  ASSERT_TRUE(suppressions_
                  .Add("alice", {"gone@example.net", v1::Suppression::HARD_BOUNCE, "550 5.1.1",
                                 clock_.Now()})
                  .ok());
  auto api = Api(Options());
  v1::SendBatchRequest req = Batch({
      Rcpt("ana@example.net", {{"name", "Ana"}}),
      Rcpt("not an address", {{"name", "Nobody"}}),
      Rcpt("cy@example.net"),  // no "name", and the template has no default for it
      Rcpt("gone@example.net", {{"name", "Gone"}}),
      Rcpt("dee@example.net", {{"name", "Dee"}}),
  });
  auto r = api->SendBatch(alice_, req);
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_EQ(r->items_size(), 5);
  EXPECT_EQ(r->accepted_count(), 2);
  EXPECT_EQ(r->rejected_count(), 3);
  EXPECT_EQ(r->accepted_count() + r->rejected_count(), r->items_size());

  for (int i : {0, 4}) {
    EXPECT_FALSE(r->items(i).id().empty()) << i;
    EXPECT_EQ(r->items(i).error_code(), 0) << i;
  }
  const auto& bad_address = r->items(1);
  EXPECT_EQ(bad_address.index(), 1);
  EXPECT_EQ(bad_address.id(), "");
  EXPECT_EQ(bad_address.error_code(), static_cast<int>(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(bad_address.error_message(), StartsWith("recipients[1]: to[0]: "));

  const auto& missing = r->items(2);
  EXPECT_EQ(missing.id(), "");
  EXPECT_EQ(missing.error_code(), static_cast<int>(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(missing.error_message(), StartsWith("recipients[2]: variables.name: "));
  EXPECT_THAT(missing.error_message(), HasSubstr("missing variable \"name\""));

  const auto& suppressed = r->items(3);
  EXPECT_EQ(suppressed.id(), "");
  EXPECT_EQ(suppressed.error_code(), static_cast<int>(absl::StatusCode::kFailedPrecondition));
  EXPECT_THAT(suppressed.error_message(), StartsWith("recipients[3]: "));
  EXPECT_THAT(suppressed.error_message(), HasSubstr("suppression list"));

  // Only the accepted ones are stored, each to its own recipient.
  EXPECT_EQ(queue_.record_count(), 2u);
  EXPECT_THAT(Stored(r->items(0).id()).envelope_recipients(), ElementsAre("ana@example.net"));
  EXPECT_THAT(Stored(r->items(4).id()).envelope_recipients(), ElementsAre("dee@example.net"));
  std::vector<v1::Event> events = queue_.events("alice");
  ASSERT_EQ(events.size(), 2u);
  for (const v1::Event& e : events) EXPECT_EQ(e.type(), v1::Event::QUEUED);
}

TEST_F(SendBatchTest, AVariableOnlyInASkippedSectionIsNotMissing) {
  v1::Template t;
  t.set_subject("Hello");
  t.set_text_body("{{#vip}}Dear {{title}} {{/vip}}customer");
  v1::SendBatchRequest req = Batch({Rcpt("ana@example.net"),
                                    Rcpt("bo@example.org", {{"vip", "true"}}),
                                    Rcpt("cy@example.net", {{"vip", "1"}, {"title", "Dr."}})});
  *req.mutable_inline_template() = t;
  auto r = Api(Options())->SendBatch(alice_, req);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->accepted_count(), 2);
  EXPECT_EQ(Stored(r->items(0).id()).request().text_body(), "customer");
  EXPECT_THAT(r->items(1).error_message(), StartsWith("recipients[1]: variables.title: "));
  EXPECT_EQ(Stored(r->items(2).id()).request().text_body(), "Dear Dr. customer");
}

TEST_F(SendBatchTest, TheRateLimitRefusesTheItemsBeyondItAndKeepsTheRest) {
  limits_.Set("alice", TenantLimits{.rate_per_second = 0, .burst = 0, .daily_quota = 2});
  auto api = Api(Options());
  auto r = api->SendBatch(alice_, Batch({Rcpt("a@example.net", {{"name", "A"}}),
                                         Rcpt("b@example.net", {{"name", "B"}}),
                                         Rcpt("c@example.net", {{"name", "C"}})}));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->accepted_count(), 2);
  EXPECT_EQ(r->rejected_count(), 1);
  EXPECT_EQ(r->items(2).error_code(), static_cast<int>(absl::StatusCode::kResourceExhausted));
  EXPECT_THAT(r->items(2).error_message(), StartsWith("recipients[2]: "));
  EXPECT_EQ(queue_.record_count(), 2u);
}

// ---- batch-level refusals ------------------------------------------------------------------

TEST_F(SendBatchTest, NoRecipientsIsABatchError) {
  auto api = Api(Options());
  ExpectBatchRefused(*api, Batch({}), "recipients");
}

TEST_F(SendBatchTest, NoFromIsABatchError) {
  auto api = Api(Options());
  v1::SendBatchRequest req = Batch({Rcpt("ana@example.net", {{"name", "Ana"}})});
  req.clear_from();
  ExpectBatchRefused(*api, req, "from");
}

TEST_F(SendBatchTest, MoreThanMaxBatchRecipientsIsABatchErrorAndTheCapItselfIsFine) {
  MailApiOptions o = Options();
  o.max_batch_recipients = 5;
  auto api = Api(o);
  std::vector<v1::BatchRecipient> six;
  for (int i = 0; i < 6; ++i) {
    six.push_back(Rcpt(absl::StrCat("u", i, "@example.net"), {{"name", absl::StrCat("U", i)}}));
  }
  ExpectBatchRefused(*api, Batch(six), "recipients");
  auto refused = api->SendBatch(alice_, Batch(six));
  EXPECT_THAT(std::string(refused.status().message()), HasSubstr("at most 5"));

  six.pop_back();
  auto five = api->SendBatch(alice_, Batch(six));
  ASSERT_TRUE(five.ok()) << five.status();
  EXPECT_EQ(five->accepted_count(), 5);
  EXPECT_EQ(queue_.record_count(), 5u);
}

TEST_F(SendBatchTest, TheDefaultCapIsTenThousandRecipients) {
  auto api = Api(Options());
  v1::Template cheap;
  cheap.set_subject("Hi");
  cheap.set_text_body("x");
  v1::SendBatchRequest req;
  req.set_from("shop@example.com");
  *req.mutable_inline_template() = cheap;
  for (int i = 0; i < 10001; ++i) {
    req.add_recipients()->set_to(absl::StrCat("u", i, "@example.net"));
  }
  ExpectBatchRefused(*api, req, "recipients");

  req.mutable_recipients()->RemoveLast();
  ASSERT_EQ(req.recipients_size(), 10000);
  auto r = api->SendBatch(alice_, req);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->accepted_count(), 10000);
  EXPECT_EQ(r->rejected_count(), 0);
  ASSERT_EQ(r->items_size(), 10000);
  std::set<std::string> ids;
  for (int i = 0; i < r->items_size(); ++i) {
    ASSERT_EQ(r->items(i).index(), i);
    ids.insert(r->items(i).id());
  }
  EXPECT_EQ(ids.size(), 10000u);
  EXPECT_EQ(ids.count(""), 0u);
  EXPECT_EQ(queue_.record_count(), 10000u);
}

TEST_F(SendBatchTest, NoTemplateSourceIsABatchError) {
  auto api = Api(Options());
  v1::SendBatchRequest req = Batch({Rcpt("ana@example.net", {{"name", "Ana"}})});
  req.clear_template_source();
  ExpectBatchRefused(*api, req, "template_name");
}

TEST_F(SendBatchTest, AnUnknownTemplateNameIsABatchError) {
  auto api = Api(Options());
  v1::SendBatchRequest req = Batch({Rcpt("ana@example.net", {{"name", "Ana"}})});
  req.set_template_name("templates/nope");
  ExpectBatchRefused(*api, req, "template_name");
}

TEST_F(SendBatchTest, AMalformedTemplateNameIsABatchError) {
  ASSERT_TRUE(templates_.Create("alice", "welcome", Welcome(), clock_.Now()).ok());
  auto api = Api(Options());
  for (const char* name : {"welcome", "templates/", "templates/Welcome", "templates/a/b",
                           "template/welcome", "templates/welcome "}) {
    SCOPED_TRACE(name);
    v1::SendBatchRequest req = Batch({Rcpt("ana@example.net", {{"name", "Ana"}})});
    req.set_template_name(name);
    ExpectBatchRefused(*api, req, "template_name");
  }
}

TEST_F(SendBatchTest, StoredTemplatesWithoutAStoreAreABatchError) {
  MailApiOptions o = Options();
  o.templates = nullptr;
  auto api = Api(o);
  v1::SendBatchRequest req = Batch({Rcpt("ana@example.net", {{"name", "Ana"}})});
  req.set_template_name("templates/welcome");
  ExpectBatchRefused(*api, req, "template_name");
  // Inline templates still work.
  auto inline_ok = api->SendBatch(alice_, Batch({Rcpt("ana@example.net", {{"name", "Ana"}})}));
  ASSERT_TRUE(inline_ok.ok()) << inline_ok.status();
  EXPECT_EQ(inline_ok->accepted_count(), 1);
}

TEST_F(SendBatchTest, AnInlineTemplateThatDoesNotCompileIsABatchError) {
  auto api = Api(Options());
  v1::SendBatchRequest req = Batch({Rcpt("ana@example.net", {{"name", "Ana"}})});
  req.mutable_inline_template()->set_html_body("<p>{{name</p>");
  ExpectBatchRefused(*api, req, "inline_template");
  auto r = api->SendBatch(alice_, req);
  EXPECT_THAT(std::string(r.status().message()), HasSubstr("html_body:1:"));
}

TEST_F(SendBatchTest, AStoredTemplateThatDoesNotCompileIsABatchError) {
  // Stores do not check syntax (template_store.h); the send path must.
  v1::Template broken = Welcome();
  broken.set_subject("{{#open}}never closed");
  ASSERT_TRUE(templates_.Create("alice", "broken", broken, clock_.Now()).ok());
  auto api = Api(Options());
  v1::SendBatchRequest req = Batch({Rcpt("ana@example.net", {{"name", "Ana"}})});
  req.set_template_name("templates/broken");
  ExpectBatchRefused(*api, req, "template_name");
}

TEST_F(SendBatchTest, AnUnreachableTemplateStoreIsUnavailableWithRetryInfo) {
  ASSERT_TRUE(templates_.Create("alice", "welcome", Welcome(), clock_.Now()).ok());
  templates_.set_unavailable(true);
  auto api = Api(Options());
  v1::SendBatchRequest req = Batch({Rcpt("ana@example.net", {{"name", "Ana"}})});
  req.set_template_name("templates/welcome");
  auto r = api->SendBatch(alice_, req);
  EXPECT_EQ(r.status().code(), absl::StatusCode::kUnavailable) << r.status();
  EXPECT_TRUE(r.status().GetPayload("type.googleapis.com/google.rpc.RetryInfo").has_value());
  EXPECT_EQ(queue_.record_count(), 0u);
}

// ---- idempotency ---------------------------------------------------------------------------

TEST_F(SendBatchTest, ARetriedBatchWithTheSameKeyAnswersTheSameIdsAndQueuesOnce) {
  auto api = Api(Options());
  v1::SendBatchRequest req = Batch({Rcpt("ana@example.net", {{"name", "Ana"}}),
                                    Rcpt("bo@example.org", {{"name", "Bo"}}),
                                    Rcpt("cy@example.net", {{"name", "Cy"}})});
  req.set_idempotency_key("campaign-7");
  auto first = api->SendBatch(alice_, req);
  ASSERT_TRUE(first.ok()) << first.status();
  ASSERT_EQ(first->accepted_count(), 3);
  auto retry = api->SendBatch(alice_, req);
  ASSERT_TRUE(retry.ok()) << retry.status();
  ASSERT_EQ(retry->items_size(), 3);
  EXPECT_EQ(retry->rejected_count(), 0);
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(retry->items(i).id(), first->items(i).id()) << i;
    // The derived key is "<key>/<index>".
    EXPECT_EQ(Claimed(absl::StrCat("campaign-7/", i)), first->items(i).id()) << i;
  }
  EXPECT_EQ(queue_.record_count(), 3u);
  EXPECT_EQ(queue_.ready_count(), 3u);
  EXPECT_EQ(queue_.events("alice").size(), 3u);

  // A new key is a new batch.
  req.set_idempotency_key("campaign-8");
  auto next = api->SendBatch(alice_, req);
  ASSERT_TRUE(next.ok()) << next.status();
  EXPECT_NE(next->items(0).id(), first->items(0).id());
  EXPECT_EQ(queue_.record_count(), 6u);
}

TEST_F(SendBatchTest, ARetryIsNotChargedAgain) {
  limits_.Set("alice", TenantLimits{.rate_per_second = 0, .burst = 0, .daily_quota = 2});
  auto api = Api(Options());
  v1::SendBatchRequest req =
      Batch({Rcpt("ana@example.net", {{"name", "Ana"}}), Rcpt("bo@example.org", {{"name", "Bo"}})});
  req.set_idempotency_key("k");
  auto first = api->SendBatch(alice_, req);
  ASSERT_TRUE(first.ok() && first->accepted_count() == 2) << first.status();
  auto retry = api->SendBatch(alice_, req);  // the quota is used up: only a dedup can pass
  ASSERT_TRUE(retry.ok()) << retry.status();
  EXPECT_EQ(retry->rejected_count(), 0);
  EXPECT_EQ(retry->items(1).id(), first->items(1).id());
  EXPECT_EQ(queue_.record_count(), 2u);
}

TEST_F(SendBatchTest, ARecipientsOwnKeyWinsOverTheDerivedOne) {
  auto api = Api(Options());
  v1::SendBatchRequest req =
      Batch({Rcpt("ana@example.net", {{"name", "Ana"}}), Rcpt("bo@example.org", {{"name", "Bo"}})});
  req.mutable_recipients(0)->set_idempotency_key("ana-welcome");
  req.set_idempotency_key("batch-1");
  auto first = api->SendBatch(alice_, req);
  ASSERT_TRUE(first.ok()) << first.status();
  ASSERT_EQ(first->accepted_count(), 2);
  EXPECT_EQ(Claimed("ana-welcome"), first->items(0).id());
  EXPECT_EQ(Claimed("batch-1/0"), "") << "the recipient's key replaces the derived one";
  EXPECT_EQ(Claimed("batch-1/1"), first->items(1).id());

  // Another batch key: Ana's own key still answers with her message; Bo gets a new one.
  req.set_idempotency_key("batch-2");
  auto second = api->SendBatch(alice_, req);
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_EQ(second->items(0).id(), first->items(0).id());
  EXPECT_NE(second->items(1).id(), first->items(1).id());
  EXPECT_EQ(queue_.record_count(), 3u);
}

TEST_F(SendBatchTest, WithoutAKeyEveryCallQueuesAgain) {
  auto api = Api(Options());
  v1::SendBatchRequest req = Batch({Rcpt("ana@example.net", {{"name", "Ana"}})});
  auto a = api->SendBatch(alice_, req);
  auto b = api->SendBatch(alice_, req);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_NE(a->items(0).id(), b->items(0).id());
  EXPECT_EQ(queue_.record_count(), 2u);
}

// A batch idempotency_key too long for the derived per-recipient keys is refused as a whole.
TEST_F(SendBatchTest, ALongBatchKeyIsTreatedAlikeForEveryRecipient) {
  auto api = Api(Options());
  std::vector<v1::BatchRecipient> eleven;
  for (int i = 0; i < 11; ++i) {
    eleven.push_back(Rcpt(absl::StrCat("u", i, "@example.net"), {{"name", "U"}}));
  }
  v1::SendBatchRequest req = Batch(eleven);
  req.set_idempotency_key(std::string(254, 'k'));
  auto r = api->SendBatch(alice_, req);
  if (r.ok()) {
    EXPECT_EQ(r->accepted_count(), 11) << "items refused: " << r->rejected_count() << "; item 10: "
                                       << r->items(10).error_message();
  } else {
    EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(BadFields(r.status()), ElementsAre("idempotency_key"));
    EXPECT_EQ(queue_.record_count(), 0u);
  }
}

// ---- send policy ---------------------------------------------------------------------------

storage::v1::StoredDomain Domain(const std::string& tenant, const std::string& domain,
                                 v1::Domain::State state) {
  storage::v1::StoredDomain d;
  d.set_tenant(tenant);
  d.mutable_domain()->set_name("domains/" + domain);
  d.mutable_domain()->set_domain(domain);
  d.mutable_domain()->set_state(state);
  return d;
}

TEST_F(SendBatchTest, AFromDomainTheSendPolicyRefusesFailsTheWholeBatch) {
  testing::FakeDomainStore store;
  SendingDomains domains(store, clock_);
  SenderPolicy policy(domains, logger_, SenderPolicy::Mode::kEnforce);
  auto api = Api(Options(), &policy);
  v1::SendBatchRequest req =
      Batch({Rcpt("ana@example.net", {{"name", "Ana"}}), Rcpt("bo@example.org", {{"name", "Bo"}})});

  auto unregistered = api->SendBatch(alice_, req);
  ASSERT_EQ(unregistered.status().code(), absl::StatusCode::kFailedPrecondition)
      << unregistered.status();
  EXPECT_EQ(Precondition(unregistered.status()).type(), "DOMAIN_NOT_VERIFIED");
  EXPECT_EQ(Precondition(unregistered.status()).subject(), "domains/example.com");
  EXPECT_EQ(queue_.record_count(), 0u);

  storage::v1::StoredDomain pending = Domain("alice", "example.com", v1::Domain::PENDING_VERIFICATION);
  ASSERT_TRUE(store.Create(pending).ok());
  auto unverified = api->SendBatch(alice_, req);
  ASSERT_EQ(unverified.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(queue_.record_count(), 0u);
  EXPECT_THAT(queue_.events("alice"), IsEmpty());

  // Verified for another tenant only: still refused for alice.
  storage::v1::StoredDomain bobs = Domain("bob", "shop.example", v1::Domain::VERIFIED);
  ASSERT_TRUE(store.Create(bobs).ok());
  req.set_from("shop@shop.example");
  EXPECT_EQ(api->SendBatch(alice_, req).status().code(), absl::StatusCode::kFailedPrecondition);

  // A From that does not parse is named as such.
  req.set_from("not a mailbox");
  auto unparsable = api->SendBatch(alice_, req);
  EXPECT_EQ(unparsable.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(BadFields(unparsable.status()), ElementsAre("from"));
  EXPECT_EQ(queue_.record_count(), 0u);

  // Once alice's domain is verified the same batch goes through.
  storage::v1::StoredDomain verified = Domain("alice", "shop.example", v1::Domain::VERIFIED);
  ASSERT_TRUE(store.Create(verified).ok());
  req.set_from("Shop <shop@shop.example>");
  auto ok = api->SendBatch(alice_, req);
  ASSERT_TRUE(ok.ok()) << ok.status();
  EXPECT_EQ(ok->accepted_count(), 2);
  EXPECT_EQ(queue_.record_count(), 2u);
}

TEST_F(SendBatchTest, AnUnreachableDomainStoreIsUnavailable) {
  testing::FakeDomainStore store;
  store.SetDown(absl::UnavailableError("redis down"));
  SendingDomains domains(store, clock_);
  SenderPolicy policy(domains, logger_, SenderPolicy::Mode::kEnforce);
  auto api = Api(Options(), &policy);
  auto r = api->SendBatch(alice_, Batch({Rcpt("ana@example.net", {{"name", "Ana"}})}));
  EXPECT_EQ(r.status().code(), absl::StatusCode::kUnavailable) << r.status();
  EXPECT_TRUE(r.status().GetPayload("type.googleapis.com/google.rpc.RetryInfo").has_value());
  EXPECT_EQ(queue_.record_count(), 0u);
}

}  // namespace
}  // namespace kirim
