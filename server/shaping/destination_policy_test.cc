#include "server/shaping/destination_policy.h"

#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace kirim {
namespace {

DestinationLimits Limits(int connections, int per_connection, double rate) {
  DestinationLimits l;
  l.max_connections = connections;
  l.max_messages_per_connection = per_connection;
  l.messages_per_second = rate;
  return l;
}

TEST(DestinationPolicyTest, OverridesApplyToTheirExactDomainOnly) {
  DestinationPolicy policy(Limits(10, 100, 0));
  policy.Set("gmail.com", Limits(2, 50, 5));
  EXPECT_EQ(policy.For("gmail.com"), Limits(2, 50, 5));
  EXPECT_EQ(policy.For("yahoo.com"), Limits(10, 100, 0));
  // Exact: neither a subdomain nor a parent inherits the override.
  EXPECT_EQ(policy.For("mail.gmail.com"), Limits(10, 100, 0));
  EXPECT_EQ(policy.For("com"), Limits(10, 100, 0));
}

TEST(DestinationPolicyTest, LookupAndSetAreCaseAndTrailingDotInsensitive) {
  DestinationPolicy policy(Limits(10, 100, 0));
  policy.Set("Outlook.COM.", Limits(3, 20, 1));
  EXPECT_EQ(policy.For("outlook.com"), Limits(3, 20, 1));
  EXPECT_EQ(policy.For("OUTLOOK.com."), Limits(3, 20, 1));
  // A later Set replaces the override.
  policy.Set("outlook.com", Limits(4, 20, 1));
  EXPECT_EQ(policy.For("Outlook.com"), Limits(4, 20, 1));
}

TEST(DestinationPolicyTest, UnusableNamesGetTheDefaults) {
  DestinationPolicy policy(Limits(10, 100, 0));
  policy.Set("{evil}", Limits(1000, 1, 0));
  EXPECT_EQ(policy.For("{evil}"), Limits(10, 100, 0));
  EXPECT_EQ(policy.For(""), Limits(10, 100, 0));
}

TEST(NormalizeDestinationTest, LowerCasesAndRefusesWhatBreaksTheKey) {
  EXPECT_EQ(*NormalizeDestination("Gmail.Com."), "gmail.com");
  EXPECT_EQ(*NormalizeDestination("[192.0.2.1]"), "[192.0.2.1]");
  for (const std::string& bad :
       std::vector<std::string>{"", ".", "a b", "a{b", "b}", "tab\there", std::string(256, 'a')}) {
    EXPECT_EQ(NormalizeDestination(bad).status().code(), absl::StatusCode::kInvalidArgument) << bad;
  }
  EXPECT_TRUE(NormalizeDestination(std::string(255, 'a')).ok());
}

TEST(ValidateDestinationLimitsTest, Ranges) {
  EXPECT_TRUE(ValidateDestinationLimits(DestinationLimits{}).ok());
  EXPECT_TRUE(ValidateDestinationLimits(Limits(1, 1, 0.001)).ok());
  EXPECT_TRUE(ValidateDestinationLimits(Limits(1'000'000, 1, 1e6)).ok());
  const auto invalid = [](const DestinationLimits& l) {
    return ValidateDestinationLimits(l).code() == absl::StatusCode::kInvalidArgument;
  };
  EXPECT_TRUE(invalid(Limits(0, 100, 0)));
  EXPECT_TRUE(invalid(Limits(1'000'001, 100, 0)));
  EXPECT_TRUE(invalid(Limits(10, 0, 0)));
  EXPECT_TRUE(invalid(Limits(10, 100, -1)));
  EXPECT_TRUE(invalid(Limits(10, 100, 0.0009)));
  EXPECT_TRUE(invalid(Limits(10, 100, 1.5e6)));
  EXPECT_TRUE(invalid(Limits(10, 100, std::nan(""))));
  EXPECT_TRUE(invalid(Limits(10, 100, std::numeric_limits<double>::infinity())));
}

}  // namespace
}  // namespace kirim
