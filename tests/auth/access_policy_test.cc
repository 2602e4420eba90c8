// Tests of the access policy (server/auth/access_policy.h): the table is complete for the
// kirim.v1 contract (checked against the generated descriptors, so a new RPC without an entry
// fails here), has no stale entries, and Authorize/Principal::Has apply it as documented.
#include "server/auth/access_policy.h"

#include <algorithm>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/descriptor_database.h"
#include "gtest/gtest.h"
#include "kirim/v1/admin_service.pb.h"
#include "kirim/v1/domain_service.pb.h"
#include "kirim/v1/mail_service.pb.h"
#include "kirim/v1/message.pb.h"

namespace kirim {
namespace {

using ::google::protobuf::DescriptorPool;
using ::google::protobuf::FileDescriptor;
using ::google::protobuf::MethodDescriptor;
using ::google::protobuf::ServiceDescriptor;
using ::testing::ElementsAreArray;

constexpr char kPackage[] = "kirim.v1";

// The services the contract is known to have; the descriptor scan below also catches any
// service added later in another kirim.v1 file.
const std::vector<std::string>& KnownServices() {
  static const auto* services = new std::vector<std::string>{
      "kirim.v1.MailService", "kirim.v1.DomainService", "kirim.v1.AdminService"};
  return *services;
}

// Referencing one message of each kirim.v1 file links its .pb.cc, which registers the file
// with the generated pool.
void ForceLinkKirimV1() {
  ASSERT_NE(v1::SendEmailRequest::descriptor(), nullptr);
  ASSERT_NE(v1::CreateDomainRequest::descriptor(), nullptr);
  ASSERT_NE(v1::CreateApiKeyRequest::descriptor(), nullptr);
  ASSERT_NE(v1::Message::descriptor(), nullptr);
}

// Every service of every kirim.v1 file in the generated pool (known services first).
std::vector<const ServiceDescriptor*> AllKirimV1Services() {
  ForceLinkKirimV1();
  const DescriptorPool* pool = DescriptorPool::generated_pool();
  std::set<std::string> seen;
  std::vector<const ServiceDescriptor*> out;
  auto add = [&](const ServiceDescriptor* s) {
    if (s != nullptr && seen.insert(s->full_name()).second) out.push_back(s);
  };
  for (const std::string& name : KnownServices()) add(pool->FindServiceByName(name));
  std::vector<std::string> files;
  DescriptorPool::internal_generated_database()->FindAllFileNames(&files);
  for (const std::string& file_name : files) {
    const FileDescriptor* file = pool->FindFileByName(file_name);
    if (file == nullptr || file->package() != kPackage) continue;
    for (int i = 0; i < file->service_count(); ++i) add(file->service(i));
  }
  return out;
}

std::string FullMethodName(const MethodDescriptor& m) {
  return absl::StrCat("/", m.service()->full_name(), "/", m.name());
}

std::vector<std::string> AllKirimV1Methods() {
  std::vector<std::string> out;
  for (const ServiceDescriptor* s : AllKirimV1Services()) {
    for (int i = 0; i < s->method_count(); ++i) out.push_back(FullMethodName(*s->method(i)));
  }
  return out;
}

Principal WithScopes(std::vector<Scope> scopes) {
  Principal p;
  p.tenant = "acme";
  p.scopes = std::move(scopes);
  p.key_id = "0123456789ABCDEF";
  return p;
}

const std::vector<Scope>& AllScopes() {
  static const auto* scopes = new std::vector<Scope>{v1::ApiKey::SEND, v1::ApiKey::READ,
                                                     v1::ApiKey::DOMAINS, v1::ApiKey::ADMIN};
  return *scopes;
}

TEST(AccessPolicyCompletenessTest, KnownServicesAreInTheGeneratedPool) {
  ForceLinkKirimV1();
  for (const std::string& name : KnownServices()) {
    const ServiceDescriptor* s = DescriptorPool::generated_pool()->FindServiceByName(name);
    ASSERT_NE(s, nullptr) << name;
    EXPECT_GT(s->method_count(), 0) << name;
  }
}

TEST(AccessPolicyCompletenessTest, EveryMethodOfEveryKirimV1ServiceHasAnEntry) {
  const std::vector<std::string> methods = AllKirimV1Methods();
  // Sanity: the scan really saw the contract (MailService alone has six RPCs).
  ASSERT_GE(methods.size(), 6u + 6u + 16u);
  for (const std::string& method : methods) {
    absl::StatusOr<Scope> scope = RequiredScope(method);
    EXPECT_TRUE(scope.ok()) << method << " has no access policy: " << scope.status();
    if (scope.ok()) {
      EXPECT_NE(*scope, v1::ApiKey::SCOPE_UNSPECIFIED) << method;
      EXPECT_TRUE(v1::ApiKey::Scope_IsValid(*scope)) << method;
    }
  }
}

TEST(AccessPolicyCompletenessTest, EveryEntryNamesAMethodThatExists) {
  ForceLinkKirimV1();
  const DescriptorPool* pool = DescriptorPool::generated_pool();
  for (const std::string& entry : PolicyMethods()) {
    // "/kirim.v1.Service/Method": empty, service, method.
    std::vector<std::string> parts = absl::StrSplit(entry, '/');
    ASSERT_EQ(parts.size(), 3u) << entry;
    EXPECT_EQ(parts[0], "") << entry;
    const ServiceDescriptor* service = pool->FindServiceByName(parts[1]);
    ASSERT_NE(service, nullptr) << entry << ": no such service";
    EXPECT_EQ(service->file()->package(), kPackage) << entry;
    EXPECT_NE(service->FindMethodByName(parts[2]), nullptr) << entry << ": no such method";
  }
}

TEST(AccessPolicyCompletenessTest, EntriesAreExactlyTheContractsMethods) {
  std::vector<std::string> contract = AllKirimV1Methods();
  std::sort(contract.begin(), contract.end());
  std::vector<std::string> policy = PolicyMethods();
  std::sort(policy.begin(), policy.end());
  EXPECT_THAT(policy, ElementsAreArray(contract));
}

TEST(AccessPolicyCompletenessTest, EntriesAreSortedWithoutDuplicates) {
  const std::vector<std::string> policy = PolicyMethods();
  ASSERT_FALSE(policy.empty());
  for (size_t i = 1; i < policy.size(); ++i) {
    EXPECT_LT(policy[i - 1], policy[i]) << "entries " << i - 1 << " and " << i;
  }
}

TEST(RequiredScopeTest, MapsMethodsToTheirScopes) {
  const std::vector<std::pair<std::string, Scope>> expected = {
      {"/kirim.v1.MailService/SendEmail", v1::ApiKey::SEND},
      {"/kirim.v1.MailService/SendBatch", v1::ApiKey::SEND},
      {"/kirim.v1.MailService/PreviewEmail", v1::ApiKey::SEND},
      {"/kirim.v1.MailService/CancelMessage", v1::ApiKey::SEND},
      {"/kirim.v1.MailService/GetMessage", v1::ApiKey::READ},
      {"/kirim.v1.MailService/WatchEvents", v1::ApiKey::READ},
      {"/kirim.v1.DomainService/CreateDomain", v1::ApiKey::DOMAINS},
      {"/kirim.v1.DomainService/RotateDkimKey", v1::ApiKey::DOMAINS},
      {"/kirim.v1.AdminService/CreateApiKey", v1::ApiKey::ADMIN},
      {"/kirim.v1.AdminService/ListApiKeys", v1::ApiKey::ADMIN},
      {"/kirim.v1.AdminService/RevokeApiKey", v1::ApiKey::ADMIN},
      {"/kirim.v1.AdminService/AddSuppression", v1::ApiKey::ADMIN},
      {"/kirim.v1.AdminService/PauseDestination", v1::ApiKey::ADMIN},
      {"/kirim.v1.AdminService/RetryNow", v1::ApiKey::ADMIN},
      {"/kirim.v1.AdminService/GetQuota", v1::ApiKey::READ},
  };
  for (const auto& [method, scope] : expected) {
    absl::StatusOr<Scope> got = RequiredScope(method);
    ASSERT_TRUE(got.ok()) << method << ": " << got.status();
    EXPECT_EQ(*got, scope) << method << " needs " << v1::ApiKey::Scope_Name(*got);
  }
}

TEST(RequiredScopeTest, KeyManagementNeedsAdmin) {
  // Key management must never be reachable with a lesser scope: that would be an escalation.
  for (const char* m : {"CreateApiKey", "ListApiKeys", "RevokeApiKey"}) {
    const std::string method = absl::StrCat("/kirim.v1.AdminService/", m);
    ASSERT_TRUE(RequiredScope(method).ok()) << method;
    EXPECT_EQ(*RequiredScope(method), v1::ApiKey::ADMIN) << method;
  }
}

TEST(RequiredScopeTest, UnknownMethodIsNotFoundNamingIt) {
  absl::StatusOr<Scope> s = RequiredScope("/kirim.v1.MailService/DeleteEverything");
  EXPECT_EQ(s.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(s.status().message(), "no access policy for /kirim.v1.MailService/DeleteEverything");
}

TEST(RequiredScopeTest, MatchesOnlyTheExactFullMethodName) {
  for (const char* near_miss : {
           "",
           "/",
           "SendEmail",
           "kirim.v1.MailService/SendEmail",    // no leading slash
           "/kirim.v1.MailService/SendEmail/",  // trailing slash
           "/kirim.v1.MailService/sendemail",   // case
           "/KIRIM.V1.MAILSERVICE/SendEmail",
           "/kirim.v1.MailService/SendEmai",    // prefix
           "/kirim.v1.MailService/SendEmailX",  // extension
           "/kirim.v2.MailService/SendEmail",   // other package
           "/kirim.v1.AdminService/SendEmail",  // other service
           " /kirim.v1.MailService/SendEmail",
       }) {
    EXPECT_EQ(RequiredScope(near_miss).status().code(), absl::StatusCode::kNotFound)
        << "'" << near_miss << "'";
  }
  // Not fooled by an embedded NUL after a real name either.
  const std::string with_nul("/kirim.v1.MailService/SendEmail\0x", 33);
  EXPECT_EQ(RequiredScope(with_nul).status().code(), absl::StatusCode::kNotFound);
}

TEST(PrincipalHasTest, NoScopesHasNothing) {
  const Principal p = WithScopes({});
  for (Scope s : AllScopes()) EXPECT_FALSE(p.Has(s)) << v1::ApiKey::Scope_Name(s);
}

TEST(PrincipalHasTest, HasExactlyItsScopes) {
  const Principal p = WithScopes({v1::ApiKey::READ, v1::ApiKey::DOMAINS});
  EXPECT_TRUE(p.Has(v1::ApiKey::READ));
  EXPECT_TRUE(p.Has(v1::ApiKey::DOMAINS));
  EXPECT_FALSE(p.Has(v1::ApiKey::SEND));
  EXPECT_FALSE(p.Has(v1::ApiKey::ADMIN));
}

TEST(PrincipalHasTest, AdminImpliesEveryScope) {
  const Principal p = WithScopes({v1::ApiKey::ADMIN});
  for (Scope s : AllScopes()) EXPECT_TRUE(p.Has(s)) << v1::ApiKey::Scope_Name(s);
}

TEST(PrincipalHasTest, NoOtherScopeImpliesAdmin) {
  const Principal p = WithScopes({v1::ApiKey::SEND, v1::ApiKey::READ, v1::ApiKey::DOMAINS});
  EXPECT_FALSE(p.Has(v1::ApiKey::ADMIN));
}

TEST(AuthorizeTest, ReadOnlyKeyCannotSendAndIsToldTheMissingScope) {
  const absl::Status s = Authorize(WithScopes({v1::ApiKey::READ}), "/kirim.v1.MailService/SendEmail");
  EXPECT_EQ(s.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(s.message(), "the API key lacks the SEND scope");
}

TEST(AuthorizeTest, ReadOnlyKeyMayRead) {
  EXPECT_TRUE(
      Authorize(WithScopes({v1::ApiKey::READ}), "/kirim.v1.MailService/GetMessage").ok());
}

TEST(AuthorizeTest, SendKeyCannotManageKeys) {
  const absl::Status s = Authorize(WithScopes({v1::ApiKey::SEND, v1::ApiKey::READ}),
                                   "/kirim.v1.AdminService/CreateApiKey");
  EXPECT_EQ(s.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(s.message(), "the API key lacks the ADMIN scope");
}

TEST(AuthorizeTest, AdminMayCallEveryMethodOfTheContract) {
  const Principal admin = WithScopes({v1::ApiKey::ADMIN});
  for (const std::string& method : AllKirimV1Methods()) {
    EXPECT_TRUE(Authorize(admin, method).ok()) << method << ": " << Authorize(admin, method);
  }
}

TEST(AuthorizeTest, EachMethodNeedsItsScopeAndNoOther) {
  for (const std::string& method : PolicyMethods()) {
    const Scope needed = *RequiredScope(method);
    EXPECT_TRUE(Authorize(WithScopes({needed}), method).ok()) << method;
    std::vector<Scope> others;
    for (Scope s : AllScopes()) {
      if (s != needed && s != v1::ApiKey::ADMIN) others.push_back(s);
    }
    const absl::Status refused = Authorize(WithScopes(others), method);
    EXPECT_EQ(refused.code(), absl::StatusCode::kPermissionDenied) << method;
    EXPECT_EQ(refused.message(),
              absl::StrCat("the API key lacks the ", v1::ApiKey::Scope_Name(needed), " scope"))
        << method;
  }
}

TEST(AuthorizeTest, NoScopesIsDeniedEverywhere) {
  const Principal none = WithScopes({});
  for (const std::string& method : PolicyMethods()) {
    EXPECT_EQ(Authorize(none, method).code(), absl::StatusCode::kPermissionDenied) << method;
  }
}

TEST(AuthorizeTest, UnknownMethodIsDeniedEvenForAdmin) {
  for (const char* method :
       {"/kirim.v1.MailService/DeleteEverything", "", "/grpc.health.v1.Health/Check"}) {
    const absl::Status s = Authorize(WithScopes({v1::ApiKey::ADMIN}), method);
    EXPECT_EQ(s.code(), absl::StatusCode::kPermissionDenied) << method;
    EXPECT_EQ(s.message(), "method not allowed") << method;
  }
}

TEST(AuthorizeTest, RefusalOfUnknownMethodDoesNotEchoIt) {
  const absl::Status s = Authorize(WithScopes({v1::ApiKey::READ}), "/evil\r\nname/x");
  EXPECT_EQ(s.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_THAT(std::string(s.message()), ::testing::Not(::testing::HasSubstr("evil")));
}

}  // namespace
}  // namespace kirim
