// Unit tests of the DKIM-Signature fields SignMessage writes; dkim_verify_python_test checks
// that an independent verifier accepts them.
#include "server/dkim/dkim_signer.h"

#include <map>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/dkim/dkim_test_util.h"

namespace kirim::dkim {
namespace {

using testing::At;
using testing::Ed25519SigningKey;
using ::testing::EndsWith;
using ::testing::HasSubstr;
using testing::kNow;
using testing::RsaSigningKey;
using testing::SignatureFields;
using testing::SignOk;
using ::testing::SizeIs;
using testing::Tags;

constexpr char kMessage[] =
    "From: Sender <news@example.com>\r\n"
    "To: a@example.net\r\n"
    "X-Custom: not signed\r\n"
    "Subject: Hello\r\n"
    "To: b@example.net\r\n"
    "Date: Fri, 02 Jan 2026 03:04:05 +0000\r\n"
    "Message-ID: <1@example.com>\r\n"
    "\r\n"
    "Hello\r\n";

TEST(SignMessageTest, PrependsOneFieldAndKeepsTheMessage) {
  const std::string out = SignOk(kMessage, {RsaSigningKey()});
  EXPECT_THAT(out, EndsWith(kMessage));
  const std::vector<std::string> fields = SignatureFields(out);
  ASSERT_THAT(fields, SizeIs(1));
  EXPECT_EQ(out, absl::StrCat(fields[0], "\r\n", kMessage));
}

TEST(SignMessageTest, Tags) {
  const std::string out = SignOk(kMessage, {RsaSigningKey("example.com", "sel1")});
  std::map<std::string, std::string> tags = Tags(SignatureFields(out).at(0));
  EXPECT_EQ(tags["v"], "1");
  EXPECT_EQ(tags["a"], "rsa-sha256");
  EXPECT_EQ(tags["c"], "relaxed/relaxed");
  EXPECT_EQ(tags["d"], "example.com");
  EXPECT_EQ(tags["s"], "sel1");
  EXPECT_EQ(tags["t"], absl::StrCat(kNow));
  EXPECT_EQ(tags.count("x"), 0u);
  EXPECT_EQ(tags.count("l"), 0u);
  EXPECT_EQ(tags["b"].size(), 344u);  // base64 of 256 bytes
}

TEST(SignMessageTest, SignedHeadersBottomUpAndFromOverSigned) {
  const std::string out = SignOk(kMessage, {Ed25519SigningKey()});
  EXPECT_EQ(Tags(SignatureFields(out).at(0))["h"], "from:to:to:subject:date:message-id:from");
}

TEST(SignMessageTest, SignsOnlyListedHeadersThatArePresent) {
  const std::string message =
      "FROM: a@example.com\r\n"
      "cc: c@example.org\r\n"
      "Received: by relay\r\n"
      "List-Unsubscribe: <https://example.com/u>\r\n"
      "List-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n"
      "Reply-To: r@example.com\r\n"
      "In-Reply-To: <0@example.com>\r\n"
      "References: <0@example.com>\r\n"
      "MIME-Version: 1.0\r\n"
      "Content-Type: text/plain; charset=utf-8\r\n"
      "Content-Transfer-Encoding: 8bit\r\n"
      "\r\n"
      "x\r\n";
  EXPECT_EQ(Tags(SignatureFields(SignOk(message, {Ed25519SigningKey()})).at(0))["h"],
            "from:cc:mime-version:content-type:content-transfer-encoding:reply-to:in-reply-to:"
            "references:list-unsubscribe:list-unsubscribe-post:from");
}

TEST(SignMessageTest, BodyHash) {
  // SHA-256 of the empty string: the relaxed form of an empty (or all blank-line) body.
  for (const char* body : {"", "\r\n", "\r\n \r\n\t\r\n"}) {
    const std::string out =
        SignOk(absl::StrCat("From: a@example.com\r\n\r\n", body), {Ed25519SigningKey()});
    EXPECT_EQ(Tags(SignatureFields(out).at(0))["bh"],
              "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=")
        << body;
  }
  // Relaxed canonicalisation: same hash for a body that differs in white space only.
  const std::string a = SignOk("From: a@example.com\r\n\r\nHi  there\r\n", {Ed25519SigningKey()});
  const std::string b =
      SignOk("From: a@example.com\r\n\r\nHi \t there \r\n\r\n", {Ed25519SigningKey()});
  const std::string c = SignOk("From: a@example.com\r\n\r\nHi there!\r\n", {Ed25519SigningKey()});
  EXPECT_EQ(Tags(SignatureFields(a)[0])["bh"], Tags(SignatureFields(b)[0])["bh"]);
  EXPECT_NE(Tags(SignatureFields(a)[0])["bh"], Tags(SignatureFields(c)[0])["bh"]);
}

TEST(SignMessageTest, ExpiryTag) {
  SignOptions options = At(kNow);
  options.expire_after = absl::Hours(24 * 7);
  std::map<std::string, std::string> tags =
      Tags(SignatureFields(SignOk(kMessage, {RsaSigningKey()}, options)).at(0));
  EXPECT_EQ(tags["t"], absl::StrCat(kNow));
  EXPECT_EQ(tags["x"], absl::StrCat(kNow + 7 * 24 * 3600));

  // Sub-second parts: t= rounds down, x= up, so x= is always later than t=.
  options.now = absl::FromUnixSeconds(kNow) + absl::Milliseconds(900);
  options.expire_after = absl::Milliseconds(1500);
  tags = Tags(SignatureFields(SignOk(kMessage, {RsaSigningKey()}, options)).at(0));
  EXPECT_EQ(tags["t"], absl::StrCat(kNow));
  EXPECT_EQ(tags["x"], absl::StrCat(kNow + 2));
}

TEST(SignMessageTest, RsaFirstThenEd25519) {
  const std::string out =
      SignOk(kMessage, {Ed25519SigningKey("example.com", "e1"), RsaSigningKey("example.com", "r1"),
                        Ed25519SigningKey("example.com", "e2")});
  const std::vector<std::string> fields = SignatureFields(out);
  ASSERT_THAT(fields, SizeIs(3));
  EXPECT_EQ(Tags(fields[0])["s"], "r1");
  EXPECT_EQ(Tags(fields[0])["a"], "rsa-sha256");
  EXPECT_EQ(Tags(fields[1])["s"], "e1");
  EXPECT_EQ(Tags(fields[1])["a"], "ed25519-sha256");
  EXPECT_EQ(Tags(fields[2])["s"], "e2");
}

TEST(SignMessageTest, FoldsLinesWithin78Octets) {
  // Many headers make a long h=; RSA makes a long b=.
  std::string message = "From: a@mail.example.com\r\n";
  for (int i = 0; i < 10; ++i) absl::StrAppend(&message, "To: r", i, "@example.net\r\n");
  absl::StrAppend(&message, "Subject: s\r\nDate: d\r\nMessage-ID: <m@example.com>\r\n\r\nbody\r\n");
  const std::string out = SignOk(
      message, {RsaSigningKey("mail.example.com", "selector-2026-rsa"), Ed25519SigningKey()});
  const std::vector<std::string> fields = SignatureFields(out);
  ASSERT_THAT(fields, SizeIs(2));
  for (const std::string& field : fields) {
    const std::vector<std::string> lines = absl::StrSplit(field, "\r\n");
    EXPECT_GT(lines.size(), 3u);
    for (size_t i = 0; i < lines.size(); ++i) {
      EXPECT_LE(lines[i].size(), 78u) << lines[i];
      EXPECT_FALSE(lines[i].empty());
      if (i > 0) {
        EXPECT_EQ(lines[i][0], ' ') << "continuation line must start with WSP";
      }
      EXPECT_FALSE(absl::EndsWith(lines[i], " ")) << "no trailing white space";
    }
  }
  EXPECT_THAT(Tags(fields[0])["h"], HasSubstr("from:to:to:to:to:to:to:to:to:to:to:subject"));
}

TEST(SignMessageTest, FromAlignment) {
  // Subdomain of d=, any case, and a display name with '@' in quotes: all align.
  EXPECT_TRUE(
      SignMessage("From: a@news.Example.COM\r\n\r\n", {RsaSigningKey("EXAMPLE.com")}, At(kNow))
          .ok());
  EXPECT_TRUE(
      SignMessage("From: \"x@other.org\" <a@example.com>\r\n\r\n", {RsaSigningKey()}, At(kNow))
          .ok());
  for (const char* from : {"From: a@example.org\r\n\r\n", "From: a@evilexample.com\r\n\r\n",
                           "From: a@example.com.evil.net\r\n\r\n"}) {
    absl::StatusOr<std::string> out = SignMessage(from, {RsaSigningKey()}, At(kNow));
    EXPECT_EQ(out.status().code(), absl::StatusCode::kFailedPrecondition) << from;
    EXPECT_THAT(out.status().message(), HasSubstr("does not align"));
  }
  // d= deeper than the From domain does not align (no organizational-domain lookup).
  EXPECT_EQ(
      SignMessage("From: a@example.com\r\n\r\n", {RsaSigningKey("mail.example.com")}, At(kNow))
          .status()
          .code(),
      absl::StatusCode::kFailedPrecondition);
  // One misaligned key fails the whole call.
  EXPECT_EQ(SignMessage(kMessage, {RsaSigningKey(), Ed25519SigningKey("example.org")}, At(kNow))
                .status()
                .code(),
            absl::StatusCode::kFailedPrecondition);
}

TEST(SignMessageTest, FromErrors) {
  struct Case {
    const char* message;
    const char* error;
  };
  for (const Case& c : {
           Case{"To: a@example.com\r\n\r\nbody\r\n", "no From"},
           Case{"From: a@example.com\r\nfrom: b@example.com\r\n\r\n", "more than one From"},
           Case{"From: a@example.com, b@example.com\r\n\r\n", "more than one address"},
           Case{"From: undisclosed\r\n\r\n", "no address"},
       }) {
    absl::StatusOr<std::string> out = SignMessage(c.message, {RsaSigningKey()}, At(kNow));
    EXPECT_EQ(out.status().code(), absl::StatusCode::kFailedPrecondition) << c.message;
    EXPECT_THAT(out.status().message(), HasSubstr(c.error));
  }
}

TEST(SignMessageTest, InvalidArguments) {
  EXPECT_EQ(SignMessage(kMessage, {}, At(kNow)).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(
      SignMessage(kMessage, {SigningKey{"example.com", "s", nullptr}}, At(kNow)).status().code(),
      absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(SignMessage(kMessage, {RsaSigningKey("example.com", "a;b")}, At(kNow)).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(SignMessage(kMessage, {RsaSigningKey("com")}, At(kNow)).status().code(),
            absl::StatusCode::kInvalidArgument);
  SignOptions negative = At(kNow);
  negative.expire_after = -absl::Seconds(1);
  EXPECT_EQ(SignMessage(kMessage, {RsaSigningKey()}, negative).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(SignMessage(kMessage, {RsaSigningKey()}, At(-1)).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(
      SignMessage("From: a@example.com\nTo: b@example.com\n\nx\n", {RsaSigningKey()}, At(kNow))
          .status()
          .code(),
      absl::StatusCode::kInvalidArgument);
}

TEST(SignMessageTest, Deterministic) {
  // Same input, same output: nothing but the options' clock reaches the signature.
  EXPECT_EQ(SignOk(kMessage, {RsaSigningKey(), Ed25519SigningKey()}),
            SignOk(kMessage, {RsaSigningKey(), Ed25519SigningKey()}));
  EXPECT_NE(SignOk(kMessage, {Ed25519SigningKey()}, At(kNow)),
            SignOk(kMessage, {Ed25519SigningKey()}, At(kNow + 1)));
}

}  // namespace
}  // namespace kirim::dkim
