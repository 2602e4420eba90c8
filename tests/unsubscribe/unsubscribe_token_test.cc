// UnsubscribeSigner: round trips, a known-answer token (the format must not drift: links in mail
// already sent must keep working after an upgrade), tampering, other keys, the expiry boundary
// on simulated time, URL safety, and key parsing.
#include "server/unsubscribe/unsubscribe_token.h"

#include <algorithm>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/common/fake_clock.h"

namespace kirim {
namespace {

using ::kirim::testing::FakeClock;
using ::testing::HasSubstr;
using ::testing::Not;

// bytes 0x00..0x1f
constexpr char kKey[] = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
// 32 bytes of 0xfb: the standard and URL-safe spellings differ ("+/" vs "-_").
constexpr char kOtherKeyStandard[] = "+/v7+/v7+/v7+/v7+/v7+/v7+/v7+/v7+/v7+/v7+/s=";
constexpr char kOtherKeyUrlSafe[] = "-_v7-_v7-_v7-_v7-_v7-_v7-_v7-_v7-_v7-_v7-_s";

UnsubscribeSigner Signer(absl::string_view key) {
  absl::StatusOr<UnsubscribeSigner> signer = UnsubscribeSigner::FromBase64Key(key);
  EXPECT_TRUE(signer.ok()) << signer.status();
  return *std::move(signer);
}

class UnsubscribeTokenTest : public ::testing::Test {
 protected:
  FakeClock clock_;
  UnsubscribeSigner signer_ = Signer(kKey);
  UnsubscribeClaim claim_{"acme", "ana@example.net", clock_.Now() + absl::Hours(24)};
};

void ExpectDenied(const UnsubscribeSigner& signer, absl::string_view token, absl::Time now) {
  absl::StatusOr<UnsubscribeClaim> claim = signer.Verify(token, now);
  EXPECT_EQ(claim.status().code(), absl::StatusCode::kPermissionDenied) << token;
  if (!token.empty()) {
    EXPECT_THAT(std::string(claim.status().message()), Not(HasSubstr(std::string(token))));
  }
}

TEST_F(UnsubscribeTokenTest, RoundTrip) {
  const std::string token = signer_.Issue(claim_);
  absl::StatusOr<UnsubscribeClaim> got = signer_.Verify(token, clock_.Now());
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->tenant, "acme");
  EXPECT_EQ(got->address, "ana@example.net");
  EXPECT_EQ(got->expires, claim_.expires);
}

TEST_F(UnsubscribeTokenTest, KnownAnswer) {
  // Computed independently with Python's hmac: version 1, expiry 1767409445 (FakeClock's start
  // plus a day) as big-endian int64, tenant length, tenant, address.
  EXPECT_EQ(signer_.Issue(claim_),
            "AQAAAABpWIclBGFjbWVhbmFAZXhhbXBsZS5uZXQ."
            "T6zYU1AwNrnL2wSHakUf6SfIsenYxnXYjPv_v0RlQ_I");
}

TEST_F(UnsubscribeTokenTest, ExpiryIsRoundedDownToAWholeSecond) {
  claim_.expires = clock_.Now() + absl::Milliseconds(1500);
  absl::StatusOr<UnsubscribeClaim> got = signer_.Verify(signer_.Issue(claim_), clock_.Now());
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->expires, clock_.Now() + absl::Seconds(1));
}

TEST_F(UnsubscribeTokenTest, ExpiryBoundary) {
  claim_.expires = clock_.Now() + absl::Hours(1);
  const std::string token = signer_.Issue(claim_);
  clock_.Advance(absl::Hours(1) - absl::Seconds(1));
  EXPECT_TRUE(signer_.Verify(token, clock_.Now()).ok());
  clock_.Advance(absl::Milliseconds(999));
  EXPECT_TRUE(signer_.Verify(token, clock_.Now()).ok());
  clock_.Advance(absl::Milliseconds(1));  // now == expires
  absl::StatusOr<UnsubscribeClaim> at = signer_.Verify(token, clock_.Now());
  EXPECT_EQ(at.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(at.status().message()), HasSubstr("expired"));
  clock_.Advance(absl::Hours(24 * 365));
  EXPECT_EQ(signer_.Verify(token, clock_.Now()).status().code(),
            absl::StatusCode::kFailedPrecondition);
}

TEST_F(UnsubscribeTokenTest, ExpiredTokenFromAnotherKeyIsDeniedNotExpired) {
  claim_.expires = clock_.Now() - absl::Hours(1);
  ExpectDenied(signer_, Signer(kOtherKeyStandard).Issue(claim_), clock_.Now());
}

TEST_F(UnsubscribeTokenTest, TokensAreUrlSafe) {
  const UnsubscribeClaim claims[] = {
      claim_,
      {"t", "a+b/c=d?e&f%g@example.com", claim_.expires},
      {"tenant_with-64-chars-xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
       "\"quoted local <part>\"@[IPv6:2001:db8::1]", absl::InfiniteFuture()},
      {"acme", std::string(64, 'l') + "@" + std::string(189, 'd'), claim_.expires},
  };
  for (const UnsubscribeClaim& claim : claims) {
    const std::string token = signer_.Issue(claim);
    EXPECT_LE(token.size(), 482u) << token;
    EXPECT_EQ(std::count(token.begin(), token.end(), '.'), 1) << token;
    for (char c : token) {
      EXPECT_TRUE(absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' ||
                  c == '.')
          << token;
    }
    absl::StatusOr<UnsubscribeClaim> got = signer_.Verify(token, clock_.Now());
    ASSERT_TRUE(got.ok()) << got.status();
    EXPECT_EQ(got->tenant, claim.tenant);
    EXPECT_EQ(got->address, claim.address);
  }
}

TEST_F(UnsubscribeTokenTest, AlteredPayloadIsDenied) {
  const std::string token = signer_.Issue(claim_);
  const size_t dot = token.find('.');
  const std::string signature = token.substr(dot + 1);
  std::string payload;
  ASSERT_TRUE(absl::WebSafeBase64Unescape(token.substr(0, dot), &payload));

  // Each byte changed in turn, re-encoded properly: only the signature can tell.
  for (size_t i = 0; i < payload.size(); ++i) {
    std::string altered = payload;
    altered[i] ^= 0x01;
    ExpectDenied(signer_, absl::StrCat(absl::WebSafeBase64Escape(altered), ".", signature),
                 clock_.Now());
  }
  // Another recipient's payload under this one's signature.
  const std::string other = signer_.Issue({"acme", "bo@example.net", claim_.expires});
  ExpectDenied(signer_, absl::StrCat(other.substr(0, other.find('.')), ".", signature),
               clock_.Now());
  // A later expiry, re-encoded.
  const std::string later = signer_.Issue({"acme", "ana@example.net", claim_.expires + absl::Hours(1)});
  ExpectDenied(signer_, absl::StrCat(later.substr(0, later.find('.')), ".", signature),
               clock_.Now());
}

TEST_F(UnsubscribeTokenTest, AlteredSignatureIsDenied) {
  const std::string token = signer_.Issue(claim_);
  const size_t dot = token.find('.');
  std::string mac;
  ASSERT_TRUE(absl::WebSafeBase64Unescape(token.substr(dot + 1), &mac));
  ASSERT_EQ(mac.size(), 32u);
  for (size_t i = 0; i < mac.size(); ++i) {
    std::string altered = mac;
    altered[i] ^= 0x80;
    ExpectDenied(signer_, absl::StrCat(token.substr(0, dot + 1), absl::WebSafeBase64Escape(altered)),
                 clock_.Now());
  }
  // A truncated MAC, properly encoded.
  ExpectDenied(signer_,
               absl::StrCat(token.substr(0, dot + 1), absl::WebSafeBase64Escape(mac.substr(0, 16))),
               clock_.Now());
}

TEST_F(UnsubscribeTokenTest, TruncatedOrExtendedTokensAreDenied) {
  const std::string token = signer_.Issue(claim_);
  for (size_t n = 0; n < token.size(); ++n) ExpectDenied(signer_, token.substr(0, n), clock_.Now());
  for (const char* suffix : {"A", "=", "==", ".", ".x", " ", "\n"}) {
    ExpectDenied(signer_, absl::StrCat(token, suffix), clock_.Now());
  }
  ExpectDenied(signer_, absl::StrCat(" ", token), clock_.Now());
}

TEST_F(UnsubscribeTokenTest, MalformedTokensAreDenied) {
  const std::string token = signer_.Issue(claim_);
  const size_t dot = token.find('.');
  std::string standard_base64 = token;  // '-' and '_' spelled the standard way
  for (char& c : standard_base64) {
    if (c == '-') c = '+';
    if (c == '_') c = '/';
  }
  ASSERT_NE(standard_base64, token) << "the known token has '-' or '_' in its MAC";
  for (const std::string& bad :
       {std::string(""), std::string("."), std::string("abc"), std::string("a.b.c"),
        absl::StrCat(token.substr(0, dot), "..", token.substr(dot + 1)), standard_base64,
        absl::StrCat(token.substr(0, dot), "=.", token.substr(dot + 1)),
        std::string(UnsubscribeSigner::kMaxTokenLength + 1, 'A'),
        std::string("\0.\0", 3)}) {
    ExpectDenied(signer_, bad, clock_.Now());
  }
}

TEST_F(UnsubscribeTokenTest, AnotherKeysTokenIsDenied) {
  ExpectDenied(signer_, Signer(kOtherKeyStandard).Issue(claim_), clock_.Now());
  ExpectDenied(Signer(kOtherKeyStandard), signer_.Issue(claim_), clock_.Now());
}

TEST_F(UnsubscribeTokenTest, OverlongTenantNeverVerifies) {
  claim_.tenant = std::string(256, 't');
  ExpectDenied(signer_, signer_.Issue(claim_), clock_.Now());
}

TEST(UnsubscribeKeyTest, StandardAndUrlSafeSpellingsAreOneKey) {
  UnsubscribeSigner standard = Signer(kOtherKeyStandard);
  UnsubscribeSigner url_safe = Signer(kOtherKeyUrlSafe);
  UnsubscribeSigner padded_url_safe = Signer(absl::StrCat(kOtherKeyUrlSafe, "="));
  UnsubscribeSigner surrounded = Signer(absl::StrCat("  \n", kOtherKeyStandard, "\r\n\t "));
  const UnsubscribeClaim claim{"acme", "ana@example.net", absl::FromUnixSeconds(2000000000)};
  const std::string token = standard.Issue(claim);
  for (const UnsubscribeSigner* s : {&url_safe, &padded_url_safe, &surrounded}) {
    EXPECT_EQ(s->Issue(claim), token);
    EXPECT_TRUE(s->Verify(token, absl::FromUnixSeconds(0)).ok());
  }
}

TEST(UnsubscribeKeyTest, LongerKeysAreAccepted) {
  EXPECT_TRUE(UnsubscribeSigner::FromBase64Key(absl::Base64Escape(std::string(64, 'k'))).ok());
}

TEST(UnsubscribeKeyTest, ShortOrNonBase64KeysAreRejectedWithoutEchoingThem) {
  const std::string short_key = absl::Base64Escape("thirty-one bytes of secret key!");  // 31
  const std::string cases[] = {"", "   ", short_key, "not base64 at all!!",
                               std::string("secret-key-material-") + std::string(30, '*')};
  for (const std::string& key : cases) {
    absl::StatusOr<UnsubscribeSigner> signer = UnsubscribeSigner::FromBase64Key(key);
    EXPECT_EQ(signer.status().code(), absl::StatusCode::kInvalidArgument) << key;
    EXPECT_THAT(std::string(signer.status().message()), HasSubstr("openssl rand -base64 32"));
    if (!absl::StripAsciiWhitespace(key).empty()) {
      EXPECT_THAT(std::string(signer.status().message()),
                  Not(HasSubstr(std::string(absl::StripAsciiWhitespace(key)))));
    }
  }
  absl::StatusOr<UnsubscribeSigner> too_short = UnsubscribeSigner::FromBase64Key(short_key);
  EXPECT_THAT(std::string(too_short.status().message()), HasSubstr("at least 32 bytes, got 31"));
}

}  // namespace
}  // namespace kirim
