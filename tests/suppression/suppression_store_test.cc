// The shared rules of server/suppression/suppression_store.h: address normalization, names,
// the order of reasons, Add's merge and List's arguments.
#include "server/suppression/suppression_store.h"

#include <optional>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/common/proto_time.h"

namespace kirim {
namespace {

constexpr auto kInvalid = absl::StatusCode::kInvalidArgument;
const absl::Time kT0 = absl::FromUnixSeconds(1767323045);

SuppressionEntry Entry(v1::Suppression::Reason reason, std::string detail, absl::Time at) {
  return SuppressionEntry{"a@example.com", reason, std::move(detail), at};
}

TEST(NormalizeAddressTest, LowerCasesTheDomainOnly) {
  EXPECT_EQ(NormalizeAddress("Ana.Maria@Example.COM"), "Ana.Maria@example.com");
  EXPECT_EQ(NormalizeAddress("ana@example.com"), "ana@example.com");
  EXPECT_EQ(NormalizeAddress("\"A B\"@Mail.Example.org"), "\"A B\"@mail.example.org");
  EXPECT_EQ(NormalizeAddress("x@[IPV6:2001:DB8::1]"), "x@[IPv6:2001:db8::1]");
  EXPECT_EQ(NormalizeAddress("x@[192.0.2.1]"), "x@[192.0.2.1]");
  // Not an addr-spec: still only what follows the last '@' is folded, and nothing else.
  EXPECT_EQ(NormalizeAddress("Bad Local@Example.COM"), "Bad Local@example.com");
  EXPECT_EQ(NormalizeAddress("no-at-SIGN"), "no-at-SIGN");
  EXPECT_EQ(NormalizeAddress(""), "");
}

TEST(NormalizeAddressTest, AgreesWithCanonicalAddressOnValidInput) {
  for (const char* a : {"Ana@EXAMPLE.com", "a+tag@sub.Example.co.uk", "\"q@x\"@Example.com",
                        "o'neil@example.IE"}) {
    absl::StatusOr<std::string> canonical = CanonicalAddress(a);
    ASSERT_TRUE(canonical.ok()) << a << ": " << canonical.status();
    EXPECT_EQ(NormalizeAddress(a), *canonical) << a;
    EXPECT_EQ(NormalizeAddress(*canonical), *canonical) << a;  // idempotent
  }
}

TEST(CanonicalAddressTest, RefusesWhatIsNotAnAddrSpecWithTheReason) {
  EXPECT_EQ(CanonicalAddress("nobody").status(), absl::InvalidArgumentError("missing '@'"));
  for (const char* bad : {"", "@example.com", "a@", "Ana <a@example.com>", "a@example.com ",
                          "a@b", "a\n@example.com"}) {
    EXPECT_EQ(CanonicalAddress(bad).status().code(), kInvalid) << bad;
  }
}

TEST(SuppressionNameTest, RoundTripsAndNormalizes) {
  EXPECT_EQ(SuppressionName("a@example.com"), "suppressions/a@example.com");
  absl::StatusOr<std::string> parsed = ParseSuppressionName("suppressions/Ana@EXAMPLE.com");
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(*parsed, "Ana@example.com");
  EXPECT_EQ(*ParseSuppressionName("suppressions/\"a/b\"@example.com"), "\"a/b\"@example.com");
  for (const char* bad : {"", "a@example.com", "suppressions/", "Suppressions/a@example.com",
                          "suppression/a@example.com", "suppressions/a", "/suppressions/a@b.co",
                          "suppressions/a@example.com/x"}) {
    absl::StatusOr<std::string> r = ParseSuppressionName(bad);
    EXPECT_EQ(r.status().code(), kInvalid) << bad;
    EXPECT_THAT(std::string(r.status().message()), ::testing::StartsWith("not a suppression name"))
        << bad;
  }
}

TEST(SuppressionEntryTest, ToProto) {
  SuppressionEntry e{"Ana@example.com", v1::Suppression::COMPLAINT, "fbl report",
                     kT0 + absl::Nanoseconds(5)};
  v1::Suppression p = e.ToProto();
  EXPECT_EQ(p.name(), "suppressions/Ana@example.com");
  EXPECT_EQ(p.address(), "Ana@example.com");
  EXPECT_EQ(p.reason(), v1::Suppression::COMPLAINT);
  EXPECT_EQ(p.detail(), "fbl report");
  EXPECT_EQ(FromProtoTime(p.create_time()), kT0 + absl::Nanoseconds(5));
}

TEST(SuppressionReasonTest, ValidationAndRank) {
  EXPECT_EQ(ValidateSuppressionReason(v1::Suppression::REASON_UNSPECIFIED),
            absl::InvalidArgumentError("a reason is required"));
  EXPECT_EQ(ValidateSuppressionReason(static_cast<v1::Suppression::Reason>(42)),
            absl::InvalidArgumentError("unknown reason"));
  EXPECT_TRUE(ValidateSuppressionReason(v1::Suppression::MANUAL).ok());
  EXPECT_LT(SuppressionReasonRank(v1::Suppression::REASON_UNSPECIFIED),
            SuppressionReasonRank(v1::Suppression::MANUAL));
  EXPECT_LT(SuppressionReasonRank(v1::Suppression::MANUAL),
            SuppressionReasonRank(v1::Suppression::HARD_BOUNCE));
  EXPECT_LT(SuppressionReasonRank(v1::Suppression::HARD_BOUNCE),
            SuppressionReasonRank(v1::Suppression::UNSUBSCRIBE));
  EXPECT_LT(SuppressionReasonRank(v1::Suppression::UNSUBSCRIBE),
            SuppressionReasonRank(v1::Suppression::COMPLAINT));
  // Every reason this build knows has a rank: a new one must be placed in the order.
  for (int r = v1::Suppression::Reason_MIN; r <= v1::Suppression::Reason_MAX; ++r) {
    if (r == v1::Suppression::REASON_UNSPECIFIED || !v1::Suppression::Reason_IsValid(r)) continue;
    EXPECT_GT(SuppressionReasonRank(static_cast<v1::Suppression::Reason>(r)), 0) << r;
  }
}

TEST(SuppressionDetailTest, Rules) {
  EXPECT_TRUE(ValidateSuppressionDetail("").ok());
  EXPECT_TRUE(ValidateSuppressionDetail("550-5.1.1 a\n550 5.1.1\tb").ok());
  EXPECT_TRUE(ValidateSuppressionDetail(std::string(kMaxSuppressionDetailBytes, 'x')).ok());
  EXPECT_EQ(ValidateSuppressionDetail(std::string(kMaxSuppressionDetailBytes + 1, 'x')),
            absl::InvalidArgumentError("detail longer than 1024 bytes"));
  EXPECT_EQ(ValidateSuppressionDetail("\xc3"), absl::InvalidArgumentError("detail is not valid UTF-8"));
  for (const std::string& bad : {std::string("cr\r"), std::string("nul\0x", 5),
                                 std::string("esc\x1b[31m"), std::string("del\x7f")}) {
    EXPECT_EQ(ValidateSuppressionDetail(bad),
              absl::InvalidArgumentError("detail contains a control character"));
  }
}

TEST(MergeSuppressionTest, TheRulesOfAdd) {
  const SuppressionEntry manual = Entry(v1::Suppression::MANUAL, "note", kT0);
  const SuppressionEntry bounce = Entry(v1::Suppression::HARD_BOUNCE, "550", kT0);
  // Nothing stored: the new entry.
  EXPECT_EQ(MergeSuppression(std::nullopt, manual)->detail, "note");
  // Stronger replaces, whatever the times.
  EXPECT_EQ(MergeSuppression(manual, Entry(v1::Suppression::HARD_BOUNCE, "550", kT0 - absl::Hours(1)))
                ->reason,
            v1::Suppression::HARD_BOUNCE);
  // Weaker never does.
  EXPECT_FALSE(MergeSuppression(bounce, Entry(v1::Suppression::MANUAL, "x", kT0 + absl::Hours(1)))
                   .has_value());
  // Same reason: newer or same-time with another detail refreshes; a repeat or older does not.
  std::optional<SuppressionEntry> newer =
      MergeSuppression(bounce, Entry(v1::Suppression::HARD_BOUNCE, "550 again", kT0 + absl::Hours(1)));
  ASSERT_TRUE(newer.has_value());
  EXPECT_EQ(newer->detail, "550 again");
  EXPECT_EQ(newer->create_time, kT0 + absl::Hours(1));
  EXPECT_TRUE(MergeSuppression(bounce, Entry(v1::Suppression::HARD_BOUNCE, "other", kT0)).has_value());
  EXPECT_FALSE(MergeSuppression(bounce, bounce).has_value());
  EXPECT_FALSE(MergeSuppression(bounce, Entry(v1::Suppression::HARD_BOUNCE, "old", kT0 - absl::Seconds(1)))
                   .has_value());
}

TEST(ListArgsTest, PageSizeDefaultsAndCaps) {
  EXPECT_EQ(CheckListArgs("acme", 0, "")->limit, kDefaultSuppressionPageSize);
  EXPECT_EQ(CheckListArgs("acme", 1, "")->limit, 1);
  EXPECT_EQ(CheckListArgs("acme", kMaxSuppressionPageSize, "")->limit, kMaxSuppressionPageSize);
  EXPECT_EQ(CheckListArgs("acme", kMaxSuppressionPageSize + 1, "")->limit, kMaxSuppressionPageSize);
  EXPECT_EQ(CheckListArgs("acme", INT32_MAX, "")->limit, kMaxSuppressionPageSize);
  EXPECT_EQ(CheckListArgs("acme", -1, "").status(),
            absl::InvalidArgumentError("page size must not be negative"));
  EXPECT_EQ(CheckListArgs("", 0, "").status().code(), kInvalid);
  EXPECT_EQ(CheckListArgs("acme", 0, "")->after, "");
}

TEST(ListArgsTest, PageTokensRoundTripAndAreOpaque) {
  for (const char* a : {"a@example.com", "\"x y\"@example.com", "ops@[IPv6:2001:db8::1]"}) {
    const std::string token = SuppressionPageToken(a);
    EXPECT_EQ(token.find('@'), std::string::npos) << token;
    absl::StatusOr<std::string> after = DecodeSuppressionPageToken(token);
    ASSERT_TRUE(after.ok()) << a << ": " << after.status();
    EXPECT_EQ(*after, a);
    EXPECT_EQ(CheckListArgs("acme", 0, token)->after, a);
  }
  EXPECT_EQ(DecodeSuppressionPageToken("!!").status(), absl::InvalidArgumentError("malformed page token"));
}

}  // namespace
}  // namespace kirim
