#include "server/address/idna.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace kirim {
namespace {

struct Vector {
  std::string utf8;
  std::string punycode;
};

// RFC 3492 §7.1 samples (B, L) and well-known domains; checked against Python's codec.
const Vector kVectors[] = {
    {"b\xc3\xbc" "cher", "bcher-kva"},
    {"m\xc3\xbcnchen", "mnchen-3ya"},
    {"B\xc3\xbc" "cher", "Bcher-kva"},  // case is kept: no UTS #46 mapping
    {"\xc3\xbc", "tda"},
    {"a-\xc3\xbc-b", "a--b-1ra"},
    {"\xe4\xbe\x8b\xe5\xad\x90", "fsqu00a"},
    {"\xe4\xb8\xad\xe5\x9b\xbd", "fiqs8s"},
    {"\xf0\x9f\x98\x80", "e28h"},
    {"\xe4\xbb\x96\xe4\xbb\xac\xe4\xb8\xba\xe4\xbb\x80\xe4\xb9\x88\xe4\xb8\x8d\xe8\xaf\xb4\xe4\xb8"
     "\xad\xe6\x96\x87",
     "ihqwcrb4cv8a8dqg056pqjye"},
    {"\xd9\x84\xd9\x8a\xd9\x87\xd9\x85\xd8\xa7\xd8\xa8\xd8\xaa\xd9\x83\xd9\x84\xd9\x85\xd9\x88\xd8"
     "\xb4\xd8\xb9\xd8\xb1\xd8\xa8\xd9\x8a\xd8\x9f",
     "egbpdaj6bu4bxfgehfvwxn"},
};

TEST(PunycodeTest, EncodesKnownVectors) {
  for (const Vector& v : kVectors) {
    absl::StatusOr<std::string> encoded = PunycodeEncode(v.utf8);
    ASSERT_TRUE(encoded.ok()) << encoded.status();
    EXPECT_EQ(*encoded, v.punycode) << v.punycode;
  }
}

TEST(PunycodeTest, AsciiOnlyGetsTheDelimiter) {
  EXPECT_EQ(*PunycodeEncode("abc"), "abc-");
  EXPECT_EQ(*PunycodeEncode(""), "");
}

TEST(PunycodeTest, RejectsInvalidUtf8) {
  EXPECT_EQ(PunycodeEncode("\xff").status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(PunycodeEncode("\xc3").status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(ToALabelTest, PrefixesOnlyNonAsciiLabels) {
  EXPECT_EQ(*ToALabel("b\xc3\xbc" "cher"), "xn--bcher-kva");
  EXPECT_EQ(*ToALabel("example"), "example");
}

TEST(DomainToAsciiTest, ConvertsEachLabel) {
  EXPECT_EQ(*DomainToAscii("mail.b\xc3\xbc" "cher.de"), "mail.xn--bcher-kva.de");
  EXPECT_EQ(*DomainToAscii("\xe4\xbe\x8b\xe5\xad\x90.\xe4\xb8\xad\xe5\x9b\xbd"),
            "xn--fsqu00a.xn--fiqs8s");
  EXPECT_EQ(*DomainToAscii("example.com"), "example.com");
}

}  // namespace
}  // namespace kirim
