// Tests of AdminApi (server/api/admin_api.h) with FakeApiKeyStore, FakeSuppressionStore,
// FakeSendLimiter and a FakeClock: API keys are tenant-scoped (only the operator tenant crosses
// tenants), requests are validated field by field with google.rpc.BadRequest, a key's secret is
// returned once and never listed or logged, GetQuota reports the configured limits and today's
// usage, and the suppression list is the caller's tenant's only.
#include "server/api/admin_api.h"

#include <stdio.h>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "absl/strings/cord.h"
#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"
#include "gmock/gmock.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/message.h"
#include "google/rpc/error_details.pb.h"
#include "gtest/gtest.h"
#include "tests/common/status_payloads.h"
#include "server/api/limits_table.h"
#include "server/auth/api_key_format.h"
#include "server/common/logger.h"
#include "server/common/proto_time.h"
#include "tests/auth/fake_api_key_store.h"
#include "tests/common/fake_clock.h"
#include "tests/common/fake_random.h"
#include "tests/limits/fake_send_limiter.h"
#include "tests/suppression/fake_suppression_store.h"

namespace kirim {
namespace {

using ::kirim::testing::BadFields;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

constexpr char kOperatorTenant[] = "ops";

Principal Caller(std::string tenant, std::string key_id, std::vector<Scope> scopes) {
  Principal p;
  p.tenant = std::move(tenant);
  p.scopes = std::move(scopes);
  p.key_id = std::move(key_id);
  return p;
}

v1::CreateApiKeyRequest CreateRequest(std::string display_name, std::vector<Scope> scopes,
                                      std::string tenant = "") {
  v1::CreateApiKeyRequest r;
  r.set_display_name(std::move(display_name));
  for (Scope s : scopes) r.add_scopes(s);
  if (!tenant.empty()) r.set_tenant(std::move(tenant));
  return r;
}

v1::RevokeApiKeyRequest RevokeRequest(std::string name) {
  v1::RevokeApiKeyRequest r;
  r.set_name(std::move(name));
  return r;
}

// Every string (and bytes) value anywhere in `m`, nested messages included, with its path.
void CollectStrings(const google::protobuf::Message& m, const std::string& path,
                    std::vector<std::pair<std::string, std::string>>* out) {
  const google::protobuf::Reflection* refl = m.GetReflection();
  std::vector<const google::protobuf::FieldDescriptor*> fields;
  refl->ListFields(m, &fields);
  for (const google::protobuf::FieldDescriptor* f : fields) {
    const std::string where = absl::StrCat(path, ".", f->name());
    using FD = google::protobuf::FieldDescriptor;
    if (f->is_repeated()) {
      for (int i = 0; i < refl->FieldSize(m, f); ++i) {
        if (f->cpp_type() == FD::CPPTYPE_STRING) {
          out->emplace_back(absl::StrCat(where, "[", i, "]"), refl->GetRepeatedString(m, f, i));
        } else if (f->cpp_type() == FD::CPPTYPE_MESSAGE) {
          CollectStrings(refl->GetRepeatedMessage(m, f, i), absl::StrCat(where, "[", i, "]"), out);
        }
      }
    } else if (f->cpp_type() == FD::CPPTYPE_STRING) {
      out->emplace_back(where, refl->GetString(m, f));
    } else if (f->cpp_type() == FD::CPPTYPE_MESSAGE) {
      CollectStrings(refl->GetMessage(m, f), where, out);
    }
  }
}

// Fails unless no field of `m` holds `secret` or its secret part (the characters after the id).
void ExpectNoSecret(const google::protobuf::Message& m, const std::string& secret) {
  const std::string secret_part = secret.substr(kApiKeyPrefix.size() + kApiKeyIdLength + 1);
  ASSERT_EQ(secret_part.size(), kApiKeySecretLength);
  std::vector<std::pair<std::string, std::string>> strings;
  CollectStrings(m, m.GetDescriptor()->name(), &strings);
  EXPECT_FALSE(strings.empty());
  for (const auto& [path, value] : strings) {
    EXPECT_THAT(value, Not(HasSubstr(secret_part))) << path;
  }
  EXPECT_THAT(m.SerializeAsString(), Not(HasSubstr(secret_part)));
  EXPECT_THAT(m.DebugString(), Not(HasSubstr(secret_part)));
}

class AdminApiTest : public ::testing::Test {
 protected:
  AdminApiTest()
      : keys_(clock_, random_),
        null_(std::fopen("/dev/null", "w")),
        logger_(clock_, LogLevel::kDebug, null_),
        limiter_(clock_),
        api_(keys_, suppressions_, limiter_, limits_, clock_, logger_, Options()) {}
  ~AdminApiTest() override { std::fclose(null_); }

  static AdminApiOptions Options() {
    AdminApiOptions o;
    o.operator_tenant = kOperatorTenant;
    return o;
  }

  testing::FakeClock clock_;
  testing::FakeRandom random_;
  testing::FakeApiKeyStore keys_;
  testing::FakeSuppressionStore suppressions_;
  FILE* null_;
  Logger logger_;
  testing::FakeSendLimiter limiter_;
  LimitsTable limits_;
  AdminApi api_;

  const Principal acme_ = Caller("acme", "ACMEADMIN0000000", {v1::ApiKey::ADMIN});
  const Principal globex_ = Caller("globex", "GLOBEXADMIN00000", {v1::ApiKey::ADMIN});
  const Principal operator_ = Caller(kOperatorTenant, "OPERATOR00000000", {v1::ApiKey::ADMIN});
};

// ---- CreateApiKey ----

TEST_F(AdminApiTest, CreatesAKeyForTheCallersTenant) {
  auto r = api_.CreateApiKey(acme_, CreateRequest("CI deploys", {v1::ApiKey::READ,
                                                                 v1::ApiKey::SEND}));
  ASSERT_TRUE(r.ok()) << r.status();
  const v1::ApiKey& key = r->api_key();
  absl::StatusOr<std::string> id = ParseApiKeyName(key.name());
  ASSERT_TRUE(id.ok()) << key.name();
  EXPECT_EQ(key.tenant(), "acme");
  EXPECT_EQ(key.display_name(), "CI deploys");
  EXPECT_THAT(key.scopes(), ElementsAre(v1::ApiKey::SEND, v1::ApiKey::READ));
  EXPECT_EQ(key.prefix(), "kirim_" + *id);
  EXPECT_EQ(FromProtoTime(key.create_time()), clock_.Now());
  EXPECT_FALSE(key.has_revoke_time());

  // The secret is a key string for that id, and the store accepts it.
  EXPECT_EQ(r->secret().size(), kApiKeyLength);
  ASSERT_TRUE(ApiKeyIdOf(r->secret()).ok());
  EXPECT_EQ(*ApiKeyIdOf(r->secret()), *id);
  absl::StatusOr<ApiKeyRecord> verified = keys_.Verify(r->secret());
  ASSERT_TRUE(verified.ok()) << verified.status();
  EXPECT_EQ(verified->tenant, "acme");
  EXPECT_EQ(verified->key_id, *id);
  EXPECT_THAT(verified->scopes, ElementsAre(v1::ApiKey::SEND, v1::ApiKey::READ));
  // The ApiKey part of the response never holds the secret itself.
  ExpectNoSecret(key, r->secret());
}

TEST_F(AdminApiTest, NamingTheOwnTenantIsTheSameAsLeavingItOut) {
  auto r = api_.CreateApiKey(acme_, CreateRequest("x", {v1::ApiKey::SEND}, "acme"));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->api_key().tenant(), "acme");
  EXPECT_EQ(keys_.Verify(r->secret())->tenant, "acme");
}

TEST_F(AdminApiTest, EachKeyGetsItsOwnIdAndSecret) {
  auto a = api_.CreateApiKey(acme_, CreateRequest("a", {v1::ApiKey::SEND}));
  auto b = api_.CreateApiKey(acme_, CreateRequest("b", {v1::ApiKey::SEND}));
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_NE(a->api_key().name(), b->api_key().name());
  EXPECT_NE(a->secret(), b->secret());
}

TEST_F(AdminApiTest, DuplicateScopesAreMerged) {
  auto r = api_.CreateApiKey(
      acme_, CreateRequest("x", {v1::ApiKey::DOMAINS, v1::ApiKey::SEND, v1::ApiKey::DOMAINS}));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_THAT(r->api_key().scopes(), ElementsAre(v1::ApiKey::SEND, v1::ApiKey::DOMAINS));
}

TEST_F(AdminApiTest, AnotherTenantIsRefusedForANonOperator) {
  auto r = api_.CreateApiKey(acme_, CreateRequest("x", {v1::ApiKey::ADMIN}, "globex"));
  EXPECT_EQ(r.status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(r.status().message(), "only an operator key may create keys for another tenant");
  EXPECT_THAT(*keys_.List("globex"), IsEmpty());
  EXPECT_THAT(*keys_.List("acme"), IsEmpty());
}

TEST_F(AdminApiTest, TheOperatorTenantNameIsNotEnoughWhenTheCallerIsAnotherTenant) {
  // Asking for the operator tenant from outside it is just "another tenant".
  auto r = api_.CreateApiKey(acme_, CreateRequest("x", {v1::ApiKey::ADMIN}, kOperatorTenant));
  EXPECT_EQ(r.status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_THAT(*keys_.List(kOperatorTenant), IsEmpty());
}

TEST_F(AdminApiTest, OperatorCreatesForAnotherTenant) {
  auto r = api_.CreateApiKey(operator_, CreateRequest("globex CI", {v1::ApiKey::SEND}, "globex"));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->api_key().tenant(), "globex");
  absl::StatusOr<ApiKeyRecord> verified = keys_.Verify(r->secret());
  ASSERT_TRUE(verified.ok()) << verified.status();
  EXPECT_EQ(verified->tenant, "globex");
  EXPECT_EQ(keys_.List("globex")->size(), 1u);
  EXPECT_THAT(*keys_.List(kOperatorTenant), IsEmpty());
}

TEST_F(AdminApiTest, OperatorWithAMalformedTenantIsToldWhichField) {
  auto r = api_.CreateApiKey(operator_, CreateRequest("x", {v1::ApiKey::SEND}, "no such/tenant"));
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(BadFields(r.status()), ElementsAre("tenant"));
  EXPECT_THAT(std::string(r.status().message()), ::testing::StartsWith("tenant: "));
}

TEST_F(AdminApiTest, NoScopes) {
  auto r = api_.CreateApiKey(acme_, CreateRequest("x", {}));
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(r.status().message(), "scopes: at least one scope is required");
  EXPECT_THAT(BadFields(r.status()), ElementsAre("scopes"));
}

TEST_F(AdminApiTest, UnspecifiedScopeIsNamedByIndex) {
  auto r = api_.CreateApiKey(
      acme_, CreateRequest("x", {v1::ApiKey::SEND, v1::ApiKey::SCOPE_UNSPECIFIED}));
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(r.status().message(), "scopes[1]: unknown scope");
  EXPECT_THAT(BadFields(r.status()), ElementsAre("scopes[1]"));
}

TEST_F(AdminApiTest, UnknownScopeValueIsNamedByIndex) {
  v1::CreateApiKeyRequest req = CreateRequest("x", {});
  req.mutable_scopes()->Add(99);  // an enum value no release knows (proto3 keeps it)
  req.add_scopes(v1::ApiKey::READ);
  auto r = api_.CreateApiKey(acme_, req);
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(r.status().message(), "scopes[0]: unknown scope");
  EXPECT_THAT(BadFields(r.status()), ElementsAre("scopes[0]"));
}

TEST_F(AdminApiTest, EveryBadScopeIsReportedAtOnce) {
  v1::CreateApiKeyRequest req = CreateRequest("x", {v1::ApiKey::SCOPE_UNSPECIFIED, v1::ApiKey::SEND});
  req.mutable_scopes()->Add(-1);
  auto r = api_.CreateApiKey(acme_, req);
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(r.status().message(), "scopes[0]: unknown scope (and 1 more)");
  EXPECT_THAT(BadFields(r.status()), ElementsAre("scopes[0]", "scopes[2]"));
}

TEST_F(AdminApiTest, DisplayNameTooLong) {
  auto ok = api_.CreateApiKey(acme_, CreateRequest(std::string(256, 'n'), {v1::ApiKey::SEND}));
  EXPECT_TRUE(ok.ok()) << ok.status();
  auto r = api_.CreateApiKey(acme_, CreateRequest(std::string(257, 'n'), {v1::ApiKey::SEND}));
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(r.status().message(), "display_name: display name longer than 256 bytes");
  EXPECT_THAT(BadFields(r.status()), ElementsAre("display_name"));
  EXPECT_EQ(keys_.List("acme")->size(), 1u);
}

TEST_F(AdminApiTest, DisplayNameWithControlCharacters) {
  for (const std::string& name :
       {std::string("CI\ndeploys"), std::string("CI\r\n"), std::string("tab\there"),
        std::string("del\x7f"), std::string("nul\0x", 5), std::string("\x1b[31mred")}) {
    auto r = api_.CreateApiKey(acme_, CreateRequest(name, {v1::ApiKey::SEND}));
    EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument) << name;
    EXPECT_THAT(BadFields(r.status()), ElementsAre("display_name")) << name;
  }
  EXPECT_THAT(*keys_.List("acme"), IsEmpty());
}

TEST_F(AdminApiTest, InvalidUtf8AndC1ControlsAreBlamedOnTheDisplayName) {
  for (const std::string& name : {std::string("bad\xff"), std::string("next\xc2\x85line"),
                                  std::string("csi\xc2\x9b31m")}) {
    auto r = api_.CreateApiKey(acme_, CreateRequest(name, {v1::ApiKey::SEND}));
    EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument) << name;
    EXPECT_THAT(BadFields(r.status()), ElementsAre("display_name")) << name;
  }
  EXPECT_THAT(*keys_.List("acme"), IsEmpty());
}

TEST_F(AdminApiTest, Utf8DisplayNameIsFine) {
  auto r = api_.CreateApiKey(acme_, CreateRequest("Déploiement — été", {v1::ApiKey::SEND}));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->api_key().display_name(), "Déploiement — été");
}

TEST_F(AdminApiTest, DisplayNameAndScopesAreReportedTogether) {
  auto r = api_.CreateApiKey(acme_, CreateRequest("bad\nname", {}));
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(BadFields(r.status()), ElementsAre("display_name", "scopes"));
}

TEST_F(AdminApiTest, CreateWithTheStoreDownIsUnavailable) {
  keys_.set_unavailable(true);
  auto r = api_.CreateApiKey(acme_, CreateRequest("x", {v1::ApiKey::SEND}));
  EXPECT_EQ(r.status().code(), absl::StatusCode::kUnavailable);
}

TEST(AdminApiLogTest, LogsWhoDidWhatButNeverASecretOrASuppressedAddress) {
  testing::FakeClock clock;
  testing::FakeRandom random;
  testing::FakeApiKeyStore keys(clock, random);
  testing::FakeSuppressionStore suppressions;
  testing::FakeSendLimiter limiter(clock);
  LimitsTable limits;
  char* buffer = nullptr;
  size_t size = 0;
  FILE* log = open_memstream(&buffer, &size);
  ASSERT_NE(log, nullptr);
  std::string secret;
  std::string key_id;
  {
    Logger logger(clock, LogLevel::kDebug, log);
    AdminApiOptions options;
    options.operator_tenant = kOperatorTenant;
    AdminApi api(keys, suppressions, limiter, limits, clock, logger, options);
    const Principal caller = Caller("acme", "CALLERKEY0000000", {v1::ApiKey::ADMIN});
    auto r = api.CreateApiKey(caller, CreateRequest("CI", {v1::ApiKey::SEND, v1::ApiKey::READ}));
    ASSERT_TRUE(r.ok()) << r.status();
    secret = r->secret();
    key_id = *ParseApiKeyName(r->api_key().name());
    ASSERT_TRUE(api.ListApiKeys(caller, {}).ok());
    ASSERT_TRUE(api.RevokeApiKey(caller, RevokeRequest(r->api_key().name())).ok());
    v1::AddSuppressionRequest add;
    add.set_address("private.person@example.org");
    add.set_reason(v1::Suppression::COMPLAINT);
    add.set_detail("feedback loop");
    ASSERT_TRUE(api.AddSuppression(caller, add).ok());
    v1::RemoveSuppressionRequest remove;
    remove.set_name("suppressions/private.person@example.org");
    ASSERT_TRUE(api.RemoveSuppression(caller, remove).ok());
  }
  std::fclose(log);
  const std::string text(buffer, size);
  std::free(buffer);

  EXPECT_THAT(text, HasSubstr("\"event\":\"api_key_created\""));
  EXPECT_THAT(text, HasSubstr("\"event\":\"api_key_revoked\""));
  EXPECT_THAT(text, HasSubstr(absl::StrCat("\"key_id\":\"", key_id, "\"")));
  EXPECT_THAT(text, HasSubstr("\"by_key_id\":\"CALLERKEY0000000\""));
  EXPECT_THAT(text, HasSubstr("\"tenant\":\"acme\""));
  EXPECT_THAT(text, HasSubstr("\"event\":\"suppression_added\""));
  EXPECT_THAT(text, HasSubstr("\"reason\":\"COMPLAINT\""));
  EXPECT_THAT(text, HasSubstr("\"event\":\"suppression_removed\""));
  // Whom a tenant may not mail is personal data: it stays in the tenant's list.
  EXPECT_THAT(text, Not(HasSubstr("private.person")));
  EXPECT_THAT(text, Not(HasSubstr(secret)));
  EXPECT_THAT(text, Not(HasSubstr(secret.substr(kApiKeyPrefix.size() + kApiKeyIdLength + 1))));
  // Not even a sizeable piece of it.
  EXPECT_THAT(text, Not(HasSubstr(secret.substr(kApiKeyPrefix.size() + kApiKeyIdLength + 1, 12))));
}

// ---- ListApiKeys ----

TEST_F(AdminApiTest, ListsOnlyTheCallersKeysNewestFirst) {
  auto first = api_.CreateApiKey(acme_, CreateRequest("first", {v1::ApiKey::SEND}));
  clock_.Advance(absl::Seconds(1));
  auto theirs = api_.CreateApiKey(globex_, CreateRequest("theirs", {v1::ApiKey::SEND}));
  clock_.Advance(absl::Seconds(1));
  auto second = api_.CreateApiKey(acme_, CreateRequest("second", {v1::ApiKey::READ}));
  ASSERT_TRUE(first.ok() && theirs.ok() && second.ok());

  auto list = api_.ListApiKeys(acme_, {});
  ASSERT_TRUE(list.ok()) << list.status();
  ASSERT_EQ(list->api_keys_size(), 2);
  EXPECT_EQ(list->api_keys(0).name(), second->api_key().name());
  EXPECT_EQ(list->api_keys(1).name(), first->api_key().name());
  for (const v1::ApiKey& k : list->api_keys()) EXPECT_EQ(k.tenant(), "acme");
  EXPECT_EQ(list->api_keys(0).display_name(), "second");
  EXPECT_THAT(list->api_keys(0).scopes(), ElementsAre(v1::ApiKey::READ));
  EXPECT_EQ(list->api_keys(0).prefix(), second->api_key().prefix());
  EXPECT_EQ(FromProtoTime(list->api_keys(1).create_time()),
            FromProtoTime(first->api_key().create_time()));

  auto other = api_.ListApiKeys(globex_, {});
  ASSERT_TRUE(other.ok());
  ASSERT_EQ(other->api_keys_size(), 1);
  EXPECT_EQ(other->api_keys(0).name(), theirs->api_key().name());
}

TEST_F(AdminApiTest, ListNeverContainsASecret) {
  std::vector<std::string> secrets;
  for (const char* name : {"a", "b", "c"}) {
    auto r = api_.CreateApiKey(acme_, CreateRequest(name, {v1::ApiKey::SEND, v1::ApiKey::ADMIN}));
    ASSERT_TRUE(r.ok()) << r.status();
    secrets.push_back(r->secret());
    clock_.Advance(absl::Seconds(1));
  }
  ASSERT_TRUE(api_.RevokeApiKey(acme_, RevokeRequest(
                                           absl::StrCat("apiKeys/", *ApiKeyIdOf(secrets[1]))))
                  .ok());
  auto list = api_.ListApiKeys(acme_, {});
  ASSERT_TRUE(list.ok()) << list.status();
  ASSERT_EQ(list->api_keys_size(), 3);
  for (const std::string& secret : secrets) {
    ExpectNoSecret(*list, secret);
    for (const v1::ApiKey& k : list->api_keys()) {
      ExpectNoSecret(k, secret);
      EXPECT_EQ(k.prefix().size(), kApiKeyPrefix.size() + kApiKeyIdLength);
    }
  }
}

TEST_F(AdminApiTest, ListShowsRevokedKeysWithTheirRevokeTime) {
  auto r = api_.CreateApiKey(acme_, CreateRequest("x", {v1::ApiKey::SEND}));
  ASSERT_TRUE(r.ok());
  clock_.Advance(absl::Minutes(5));
  ASSERT_TRUE(api_.RevokeApiKey(acme_, RevokeRequest(r->api_key().name())).ok());
  auto list = api_.ListApiKeys(acme_, {});
  ASSERT_TRUE(list.ok());
  ASSERT_EQ(list->api_keys_size(), 1);
  ASSERT_TRUE(list->api_keys(0).has_revoke_time());
  EXPECT_EQ(FromProtoTime(list->api_keys(0).revoke_time()), clock_.Now());
}

TEST_F(AdminApiTest, ListOfATenantWithoutKeysIsEmpty) {
  auto list = api_.ListApiKeys(acme_, {});
  ASSERT_TRUE(list.ok()) << list.status();
  EXPECT_EQ(list->api_keys_size(), 0);
  EXPECT_EQ(list->next_page_token(), "");
}

TEST_F(AdminApiTest, ListWithTheStoreDownIsUnavailable) {
  keys_.set_unavailable(true);
  EXPECT_EQ(api_.ListApiKeys(acme_, {}).status().code(), absl::StatusCode::kUnavailable);
}

// ---- RevokeApiKey ----

TEST_F(AdminApiTest, RevokesByName) {
  auto r = api_.CreateApiKey(acme_, CreateRequest("x", {v1::ApiKey::SEND}));
  ASSERT_TRUE(r.ok());
  ASSERT_TRUE(keys_.Verify(r->secret()).ok());
  clock_.Advance(absl::Seconds(42));

  auto revoked = api_.RevokeApiKey(acme_, RevokeRequest(r->api_key().name()));
  ASSERT_TRUE(revoked.ok()) << revoked.status();
  EXPECT_EQ(revoked->name(), r->api_key().name());
  EXPECT_EQ(revoked->tenant(), "acme");
  ASSERT_TRUE(revoked->has_revoke_time());
  EXPECT_EQ(FromProtoTime(revoked->revoke_time()), clock_.Now());
  ExpectNoSecret(*revoked, r->secret());

  absl::StatusOr<ApiKeyRecord> v = keys_.Verify(r->secret());
  EXPECT_EQ(v.status().code(), absl::StatusCode::kUnauthenticated);
}

TEST_F(AdminApiTest, RevokingTwiceKeepsTheFirstRevokeTime) {
  auto r = api_.CreateApiKey(acme_, CreateRequest("x", {v1::ApiKey::SEND}));
  ASSERT_TRUE(r.ok());
  auto once = api_.RevokeApiKey(acme_, RevokeRequest(r->api_key().name()));
  clock_.Advance(absl::Hours(1));
  auto twice = api_.RevokeApiKey(acme_, RevokeRequest(r->api_key().name()));
  ASSERT_TRUE(once.ok() && twice.ok());
  EXPECT_EQ(FromProtoTime(twice->revoke_time()), FromProtoTime(once->revoke_time()));
}

TEST_F(AdminApiTest, RevokeLeavesOtherKeysAlone) {
  auto a = api_.CreateApiKey(acme_, CreateRequest("a", {v1::ApiKey::SEND}));
  auto b = api_.CreateApiKey(acme_, CreateRequest("b", {v1::ApiKey::SEND}));
  ASSERT_TRUE(a.ok() && b.ok());
  ASSERT_TRUE(api_.RevokeApiKey(acme_, RevokeRequest(a->api_key().name())).ok());
  EXPECT_FALSE(keys_.Verify(a->secret()).ok());
  EXPECT_TRUE(keys_.Verify(b->secret()).ok());
}

TEST_F(AdminApiTest, RevokeWithAMalformedName) {
  auto r = api_.CreateApiKey(acme_, CreateRequest("x", {v1::ApiKey::SEND}));
  ASSERT_TRUE(r.ok());
  const std::string id = *ParseApiKeyName(r->api_key().name());
  for (const std::string& name : std::vector<std::string>{
           "", id, "apiKeys/", "apiKeys/SHORT", "apikeys/" + id, "APIKEYS/" + id,
        "apiKeys/" + id + "/x", "apiKeys//" + id, "/apiKeys/" + id, "apiKeys/" + id + " ",
        r->secret(), "messages/" + id}) {
    auto revoked = api_.RevokeApiKey(acme_, RevokeRequest(name));
    EXPECT_EQ(revoked.status().code(), absl::StatusCode::kInvalidArgument) << name;
    EXPECT_EQ(revoked.status().message(),
              "name: not an API key name: expected \"apiKeys/{key_id}\" with a 16-character key "
              "id")
        << name;
    EXPECT_THAT(BadFields(revoked.status()), ElementsAre("name")) << name;
  }
  EXPECT_TRUE(keys_.Verify(r->secret()).ok());
}

TEST_F(AdminApiTest, AnotherTenantsKeyIsNotFound) {
  auto theirs = api_.CreateApiKey(globex_, CreateRequest("x", {v1::ApiKey::ADMIN}));
  ASSERT_TRUE(theirs.ok());
  auto r = api_.RevokeApiKey(acme_, RevokeRequest(theirs->api_key().name()));
  EXPECT_EQ(r.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(r.status().message(), "API key not found: " + theirs->api_key().name());
  EXPECT_TRUE(keys_.Verify(theirs->secret()).ok());
}

TEST_F(AdminApiTest, AnotherTenantsKeyLooksLikeAMissingKey) {
  auto theirs = api_.CreateApiKey(globex_, CreateRequest("x", {v1::ApiKey::ADMIN}));
  ASSERT_TRUE(theirs.ok());
  const std::string missing = "apiKeys/0000000000000000";
  auto a = api_.RevokeApiKey(acme_, RevokeRequest(theirs->api_key().name()));
  auto b = api_.RevokeApiKey(acme_, RevokeRequest(missing));
  EXPECT_EQ(b.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(b.status().message(), "API key not found: " + missing);
  EXPECT_EQ(a.status().code(), b.status().code());
}

TEST_F(AdminApiTest, OperatorCannotRevokeAnotherTenantsKey) {
  // Only creation crosses tenants (admin_api.h); revocation stays within the caller's tenant.
  auto theirs = api_.CreateApiKey(operator_, CreateRequest("x", {v1::ApiKey::SEND}, "globex"));
  ASSERT_TRUE(theirs.ok()) << theirs.status();
  auto r = api_.RevokeApiKey(operator_, RevokeRequest(theirs->api_key().name()));
  EXPECT_EQ(r.status().code(), absl::StatusCode::kNotFound);
  EXPECT_TRUE(keys_.Verify(theirs->secret()).ok());
}

TEST_F(AdminApiTest, RevokeWithTheStoreDownIsUnavailable) {
  auto r = api_.CreateApiKey(acme_, CreateRequest("x", {v1::ApiKey::SEND}));
  ASSERT_TRUE(r.ok());
  keys_.set_unavailable(true);
  EXPECT_EQ(api_.RevokeApiKey(acme_, RevokeRequest(r->api_key().name())).status().code(),
            absl::StatusCode::kUnavailable);
  keys_.set_unavailable(false);
  EXPECT_TRUE(keys_.Verify(r->secret()).ok());
}

// ---- GetQuota ----

class GetQuotaTest : public AdminApiTest {
 protected:
  GetQuotaTest() {
    acme_limits_.rate_per_second = 10;
    acme_limits_.burst = 20;
    acme_limits_.daily_quota = 1000;
    limits_.Set("acme", acme_limits_);
    default_limits_.rate_per_second = 1.5;
    default_limits_.burst = 5;
    default_limits_.daily_quota = 50;
    limits_.SetDefault(default_limits_);
  }

  TenantLimits acme_limits_;
  TenantLimits default_limits_;
};

TEST_F(GetQuotaTest, ReportsTheTenantsConfiguredLimits) {
  auto q = api_.GetQuota(acme_, {});
  ASSERT_TRUE(q.ok()) << q.status();
  EXPECT_EQ(q->rate_per_second(), 10);
  EXPECT_EQ(q->burst(), 20);
  EXPECT_EQ(q->daily_limit(), 1000);
  EXPECT_EQ(q->daily_remaining(), 1000);
}

TEST_F(GetQuotaTest, TenantWithoutItsOwnLimitsGetsTheDefault) {
  auto q = api_.GetQuota(globex_, {});
  ASSERT_TRUE(q.ok()) << q.status();
  EXPECT_EQ(q->rate_per_second(), 1.5);
  EXPECT_EQ(q->burst(), 5);
  EXPECT_EQ(q->daily_limit(), 50);
  EXPECT_EQ(q->daily_remaining(), 50);
}

TEST_F(GetQuotaTest, DailyRemainingCountsTodaysRecipients) {
  ASSERT_TRUE(limiter_.Acquire("acme", acme_limits_, 3)->allowed);
  ASSERT_TRUE(limiter_.Acquire("acme", acme_limits_, 4)->allowed);
  ASSERT_TRUE(limiter_.Acquire("globex", default_limits_, 4)->allowed);
  auto q = api_.GetQuota(acme_, {});
  ASSERT_TRUE(q.ok()) << q.status();
  EXPECT_EQ(q->daily_remaining(), 1000 - 7);
  // Asking does not spend.
  EXPECT_EQ(api_.GetQuota(acme_, {})->daily_remaining(), 1000 - 7);
  EXPECT_EQ(api_.GetQuota(globex_, {})->daily_remaining(), 50 - 4);
}

TEST_F(GetQuotaTest, DailyRemainingReachesZeroWhenTheQuotaIsSpent) {
  for (int i = 0; i < 10; ++i) {
    ASSERT_TRUE(limiter_.Acquire("globex", default_limits_, 5)->allowed) << i;
    clock_.Advance(absl::Seconds(10));  // let the bucket refill
  }
  EXPECT_FALSE(limiter_.Acquire("globex", default_limits_, 1)->allowed);
  EXPECT_EQ(api_.GetQuota(globex_, {})->daily_remaining(), 0);
}

TEST_F(GetQuotaTest, ResetTimeIsTheNextUtcMidnight) {
  // The FakeClock starts at 2026-01-02T03:04:05Z.
  ASSERT_EQ(clock_.Now(), absl::FromCivil(absl::CivilSecond(2026, 1, 2, 3, 4, 5),
                                          absl::UTCTimeZone()));
  auto q = api_.GetQuota(acme_, {});
  ASSERT_TRUE(q.ok()) << q.status();
  EXPECT_EQ(q->daily_reset_time().seconds(), 1767398400);  // 2026-01-03T00:00:00Z
  EXPECT_EQ(q->daily_reset_time().nanos(), 0);
}

TEST_F(GetQuotaTest, ResetTimeAroundMidnight) {
  const absl::TimeZone utc = absl::UTCTimeZone();
  clock_.Set(absl::FromCivil(absl::CivilSecond(2026, 1, 2, 23, 59, 59), utc) +
             absl::Milliseconds(999));
  EXPECT_EQ(FromProtoTime(api_.GetQuota(acme_, {})->daily_reset_time()),
            absl::FromCivil(absl::CivilDay(2026, 1, 3), utc));
  clock_.Set(absl::FromCivil(absl::CivilDay(2026, 1, 3), utc));
  EXPECT_EQ(FromProtoTime(api_.GetQuota(acme_, {})->daily_reset_time()),
            absl::FromCivil(absl::CivilDay(2026, 1, 4), utc));
  // Across a month and a year end.
  clock_.Set(absl::FromCivil(absl::CivilSecond(2026, 12, 31, 12, 0, 0), utc));
  EXPECT_EQ(FromProtoTime(api_.GetQuota(acme_, {})->daily_reset_time()),
            absl::FromCivil(absl::CivilDay(2027, 1, 1), utc));
}

TEST_F(GetQuotaTest, AtTheResetTimeTheDailyQuotaIsWholeAgain) {
  ASSERT_TRUE(limiter_.Acquire("acme", acme_limits_, 20)->allowed);
  auto before = api_.GetQuota(acme_, {});
  ASSERT_TRUE(before.ok());
  EXPECT_EQ(before->daily_remaining(), 980);
  clock_.Set(FromProtoTime(before->daily_reset_time()));
  auto after = api_.GetQuota(acme_, {});
  ASSERT_TRUE(after.ok());
  EXPECT_EQ(after->daily_remaining(), 1000);
  EXPECT_EQ(FromProtoTime(after->daily_reset_time()),
            FromProtoTime(before->daily_reset_time()) + absl::Hours(24));
}

TEST_F(AdminApiTest, QuotaWithoutLimitsIsUnlimited) {
  // The default LimitsTable limits nothing.
  auto q = api_.GetQuota(acme_, {});
  ASSERT_TRUE(q.ok()) << q.status();
  EXPECT_EQ(q->rate_per_second(), 0);
  EXPECT_EQ(q->burst(), 0);
  EXPECT_EQ(q->daily_limit(), 0);
  EXPECT_EQ(q->daily_remaining(), -1);  // LimitDecision: -1 = no daily quota
}

TEST_F(GetQuotaTest, LimiterDownIsUnavailable) {
  limiter_.set_unavailable(true);
  EXPECT_EQ(api_.GetQuota(acme_, {}).status().code(), absl::StatusCode::kUnavailable);
}

// ---- Suppressions ----

v1::AddSuppressionRequest AddRequest(std::string address, v1::Suppression::Reason reason,
                                     std::string detail = "") {
  v1::AddSuppressionRequest r;
  r.set_address(std::move(address));
  r.set_reason(reason);
  r.set_detail(std::move(detail));
  return r;
}

v1::RemoveSuppressionRequest RemoveRequest(std::string name) {
  v1::RemoveSuppressionRequest r;
  r.set_name(std::move(name));
  return r;
}

v1::ListSuppressionsRequest ListRequest(int page_size, std::string page_token = "") {
  v1::ListSuppressionsRequest r;
  r.set_page_size(page_size);
  r.set_page_token(std::move(page_token));
  return r;
}

std::vector<std::string> Names(const v1::ListSuppressionsResponse& r) {
  std::vector<std::string> names;
  for (const v1::Suppression& s : r.suppressions()) names.push_back(s.name());
  return names;
}

TEST_F(AdminApiTest, AddsASuppressionForTheCallersTenant) {
  auto r = api_.AddSuppression(
      acme_, AddRequest("Ana@Example.COM", v1::Suppression::MANUAL, "asked by phone"));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->name(), "suppressions/Ana@example.com");
  EXPECT_EQ(r->address(), "Ana@example.com");
  EXPECT_EQ(r->reason(), v1::Suppression::MANUAL);
  EXPECT_EQ(r->detail(), "asked by phone");
  EXPECT_EQ(FromProtoTime(r->create_time()), clock_.Now());

  auto acme = suppressions_.Lookup("acme", {"Ana@example.com"});
  ASSERT_TRUE(acme.ok()) << acme.status();
  EXPECT_TRUE((*acme)[0].has_value());
  auto globex = suppressions_.Lookup("globex", {"Ana@example.com"});
  ASSERT_TRUE(globex.ok()) << globex.status();
  EXPECT_FALSE((*globex)[0].has_value());
}

TEST_F(AdminApiTest, AddingAnAlreadySuppressedAddressAnswersWithWhatIsStored) {
  auto complaint = api_.AddSuppression(acme_, AddRequest("a@example.com", v1::Suppression::COMPLAINT,
                                                          "feedback loop"));
  ASSERT_TRUE(complaint.ok()) << complaint.status();
  clock_.Advance(absl::Hours(1));
  // A weaker reason changes nothing, and the answer says so.
  auto manual = api_.AddSuppression(acme_, AddRequest("a@EXAMPLE.com", v1::Suppression::MANUAL, "x"));
  ASSERT_TRUE(manual.ok()) << manual.status();
  EXPECT_EQ(manual->reason(), v1::Suppression::COMPLAINT);
  EXPECT_EQ(manual->detail(), "feedback loop");
  EXPECT_EQ(FromProtoTime(manual->create_time()), clock_.Now() - absl::Hours(1));
  // The same reason again refreshes detail and time.
  auto again = api_.AddSuppression(acme_, AddRequest("a@example.com", v1::Suppression::COMPLAINT,
                                                      "second report"));
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(again->detail(), "second report");
  EXPECT_EQ(FromProtoTime(again->create_time()), clock_.Now());
  EXPECT_EQ(api_.ListSuppressions(acme_, {})->suppressions_size(), 1);
}

TEST_F(AdminApiTest, AddSuppressionNamesEveryBadField) {
  struct Case {
    v1::AddSuppressionRequest request;
    std::vector<std::string> fields;
    std::string message;
  } cases[] = {
      {AddRequest("", v1::Suppression::MANUAL), {"address"}, "address: empty address"},
      {AddRequest("nobody", v1::Suppression::MANUAL), {"address"}, "address: missing '@'"},
      {AddRequest("Ana <a@example.com>", v1::Suppression::MANUAL), {"address"}, ""},
      {AddRequest("a@example.com\r\nBcc: b@example.com", v1::Suppression::MANUAL), {"address"}, ""},
      {AddRequest("a@example.com", v1::Suppression::REASON_UNSPECIFIED),
       {"reason"},
       "reason: a reason is required"},
      {AddRequest("a@example.com", static_cast<v1::Suppression::Reason>(99)),
       {"reason"},
       "reason: unknown reason"},
      {AddRequest("a@example.com", v1::Suppression::MANUAL, std::string(1025, 'd')),
       {"detail"},
       "detail: detail longer than 1024 bytes"},
      {AddRequest("a@example.com", v1::Suppression::MANUAL, "bad\xff"), {"detail"}, ""},
      {AddRequest("nobody", v1::Suppression::REASON_UNSPECIFIED, "\x1b[31m"),
       {"address", "reason", "detail"},
       "address: missing '@' (and 2 more)"},
  };
  for (const Case& c : cases) {
    auto r = api_.AddSuppression(acme_, c.request);
    EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument) << c.request.DebugString();
    EXPECT_EQ(BadFields(r.status()), c.fields) << c.request.DebugString();
    if (!c.message.empty()) {
      EXPECT_EQ(r.status().message(), c.message);
    }
  }
  EXPECT_EQ(api_.ListSuppressions(acme_, {})->suppressions_size(), 0);  // nothing stored
}

TEST_F(AdminApiTest, AddSuppressionWithTheStoreDownIsUnavailable) {
  suppressions_.set_unavailable(true);
  auto r = api_.AddSuppression(acme_, AddRequest("a@example.com", v1::Suppression::MANUAL));
  EXPECT_EQ(r.status().code(), absl::StatusCode::kUnavailable);
}

TEST_F(AdminApiTest, ListsOnlyTheCallersSuppressionsPageByPage) {
  for (const char* a : {"e@example.com", "a@example.com", "d@example.com", "b@example.com",
                        "c@example.com"}) {
    ASSERT_TRUE(api_.AddSuppression(acme_, AddRequest(a, v1::Suppression::HARD_BOUNCE, "550")).ok());
  }
  ASSERT_TRUE(api_.AddSuppression(globex_, AddRequest("theirs@example.com", v1::Suppression::MANUAL))
                  .ok());
  auto first = api_.ListSuppressions(acme_, ListRequest(2));
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_THAT(Names(*first), ElementsAre("suppressions/a@example.com", "suppressions/b@example.com"));
  EXPECT_EQ(first->suppressions(0).address(), "a@example.com");
  EXPECT_EQ(first->suppressions(0).reason(), v1::Suppression::HARD_BOUNCE);
  EXPECT_EQ(first->suppressions(0).detail(), "550");
  EXPECT_EQ(FromProtoTime(first->suppressions(0).create_time()), clock_.Now());
  ASSERT_NE(first->next_page_token(), "");
  auto second = api_.ListSuppressions(acme_, ListRequest(2, first->next_page_token()));
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_THAT(Names(*second), ElementsAre("suppressions/c@example.com", "suppressions/d@example.com"));
  auto third = api_.ListSuppressions(acme_, ListRequest(2, second->next_page_token()));
  ASSERT_TRUE(third.ok()) << third.status();
  EXPECT_THAT(Names(*third), ElementsAre("suppressions/e@example.com"));
  EXPECT_EQ(third->next_page_token(), "");

  auto all = api_.ListSuppressions(acme_, {});  // page_size 0: the default, 100
  ASSERT_TRUE(all.ok()) << all.status();
  EXPECT_EQ(all->suppressions_size(), 5);
  EXPECT_EQ(all->next_page_token(), "");
  auto theirs = api_.ListSuppressions(globex_, {});
  ASSERT_TRUE(theirs.ok()) << theirs.status();
  EXPECT_THAT(Names(*theirs), ElementsAre("suppressions/theirs@example.com"));
}

TEST_F(AdminApiTest, OperatorSeesOnlyItsOwnSuppressions) {
  ASSERT_TRUE(api_.AddSuppression(acme_, AddRequest("a@example.com", v1::Suppression::MANUAL)).ok());
  auto list = api_.ListSuppressions(operator_, {});
  ASSERT_TRUE(list.ok()) << list.status();
  EXPECT_EQ(list->suppressions_size(), 0);
  EXPECT_EQ(api_.RemoveSuppression(operator_, RemoveRequest("suppressions/a@example.com"))
                .status()
                .code(),
            absl::StatusCode::kNotFound);
}

TEST_F(AdminApiTest, ListSuppressionsNamesABadPageSizeOrToken) {
  auto negative = api_.ListSuppressions(acme_, ListRequest(-1));
  EXPECT_EQ(negative.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(negative.status().message(), "page_size: page size must not be negative");
  EXPECT_THAT(BadFields(negative.status()), ElementsAre("page_size"));
  auto token = api_.ListSuppressions(acme_, ListRequest(10, "not-a-token!"));
  EXPECT_EQ(token.status().message(), "page_token: malformed page token");
  EXPECT_THAT(BadFields(token.status()), ElementsAre("page_token"));
  EXPECT_THAT(BadFields(api_.ListSuppressions(acme_, ListRequest(-5, "x@")).status()),
              ElementsAre("page_size", "page_token"));
}

TEST_F(AdminApiTest, ListSuppressionsWithTheStoreDownIsUnavailable) {
  suppressions_.set_unavailable(true);
  EXPECT_EQ(api_.ListSuppressions(acme_, {}).status().code(), absl::StatusCode::kUnavailable);
}

TEST_F(AdminApiTest, RemovesASuppressionByName) {
  ASSERT_TRUE(api_.AddSuppression(acme_, AddRequest("Ana@example.com", v1::Suppression::COMPLAINT))
                  .ok());
  ASSERT_TRUE(api_.AddSuppression(acme_, AddRequest("bo@example.com", v1::Suppression::MANUAL)).ok());
  // The domain's case does not matter; the local part's does.
  EXPECT_EQ(api_.RemoveSuppression(acme_, RemoveRequest("suppressions/ana@example.com"))
                .status()
                .code(),
            absl::StatusCode::kNotFound);
  auto removed = api_.RemoveSuppression(acme_, RemoveRequest("suppressions/Ana@EXAMPLE.com"));
  ASSERT_TRUE(removed.ok()) << removed.status();
  EXPECT_THAT(Names(*api_.ListSuppressions(acme_, {})), ElementsAre("suppressions/bo@example.com"));

  auto again = api_.RemoveSuppression(acme_, RemoveRequest("suppressions/Ana@example.com"));
  EXPECT_EQ(again.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(again.status().message(), "suppression not found: suppressions/Ana@example.com");
}

TEST_F(AdminApiTest, AnotherTenantsSuppressionIsNotFoundAndStays) {
  ASSERT_TRUE(api_.AddSuppression(acme_, AddRequest("a@example.com", v1::Suppression::COMPLAINT))
                  .ok());
  auto theirs = api_.RemoveSuppression(globex_, RemoveRequest("suppressions/a@example.com"));
  auto never = api_.RemoveSuppression(globex_, RemoveRequest("suppressions/z@example.com"));
  EXPECT_EQ(theirs.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(theirs.status().message(), "suppression not found: suppressions/a@example.com");
  EXPECT_EQ(never.status().message(), "suppression not found: suppressions/z@example.com");
  EXPECT_EQ(api_.ListSuppressions(acme_, {})->suppressions_size(), 1);
  EXPECT_EQ(api_.ListSuppressions(globex_, {})->suppressions_size(), 0);
}

TEST_F(AdminApiTest, RemoveSuppressionWithAMalformedName) {
  ASSERT_TRUE(api_.AddSuppression(acme_, AddRequest("a@example.com", v1::Suppression::MANUAL)).ok());
  for (const std::string& name :
       {std::string(""), std::string("a@example.com"), std::string("suppressions/"),
        std::string("suppressions/a"), std::string("Suppressions/a@example.com"),
        std::string("apiKeys/a@example.com"), std::string("suppressions/a@example.com/x"),
        std::string("suppressions/ a@example.com")}) {
    auto r = api_.RemoveSuppression(acme_, RemoveRequest(name));
    EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument) << name;
    EXPECT_THAT(BadFields(r.status()), ElementsAre("name")) << name;
    EXPECT_THAT(std::string(r.status().message()), ::testing::StartsWith("name: not a suppression name"))
        << name;
  }
  EXPECT_EQ(api_.ListSuppressions(acme_, {})->suppressions_size(), 1);
}

TEST_F(AdminApiTest, RemoveSuppressionWithTheStoreDownIsUnavailable) {
  ASSERT_TRUE(api_.AddSuppression(acme_, AddRequest("a@example.com", v1::Suppression::MANUAL)).ok());
  suppressions_.set_unavailable(true);
  EXPECT_EQ(api_.RemoveSuppression(acme_, RemoveRequest("suppressions/a@example.com")).status().code(),
            absl::StatusCode::kUnavailable);
  suppressions_.set_unavailable(false);
  EXPECT_EQ(api_.ListSuppressions(acme_, {})->suppressions_size(), 1);
}

}  // namespace
}  // namespace kirim
