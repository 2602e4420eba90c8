// Signs messages with SignMessage and verifies every signature with Debian's python3-dkim
// (tests/dkim/dkim_verify.py), an independent verifier: what a receiving MTA would conclude.
// The verifier gets our TXT records through its dnsfunc hook and our clock as its time.
#include <cstdint>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/dkim/dkim_signer.h"
#include "tests/dkim/dkim_test_util.h"
#include "tests/harness/subprocess.h"

namespace kirim::dkim {
namespace {

using testing::At;
using ::testing::Each;
using testing::Ed25519SigningKey;
using ::testing::ElementsAre;
using ::testing::Eq;
using ::testing::HasSubstr;
using testing::kNow;
using testing::RsaSigningKey;
using testing::SignatureFields;
using testing::SignOk;
using ::testing::SizeIs;
using ::testing::StartsWith;
using testing::Tags;

// The system interpreter: the one on PATH may be a different build without python3-dkim.
constexpr char kPython[] = "/usr/bin/python3";

struct Verdict {
  int signatures = -1;
  // Per signature, topmost first: "pass", "fail" or "error <exception>: <text>".
  std::vector<std::string> results;
};

// Runs the verifier on `message`, with the TXT records of `keys` as its whole DNS.
// The verifier's clock defaults to the signer's.
Verdict VerifyWithPython(const std::string& message, const std::vector<SigningKey>& keys,
                         int64_t verifier_now = kNow) {
  const std::string dir = kirim::testing::MakeTempDir("dkim");
  const std::string message_path = dir + "/message.eml";
  const std::string records_path = dir + "/records.txt";
  std::ofstream(message_path, std::ios::binary) << message;
  {
    std::ofstream records(records_path, std::ios::binary);
    for (const SigningKey& key : keys) {
      records << key.selector << "._domainkey." << key.domain << ".\t" << key.key->DnsRecordValue()
              << "\n";
    }
  }
  kirim::testing::Subprocess python;
  absl::Status started =
      python.Start({kPython, kirim::testing::Runfile("tests/dkim/dkim_verify.py"), message_path,
                    records_path, absl::StrCat(verifier_now)},
                   {{"PYTHONDONTWRITEBYTECODE", "1"}});
  EXPECT_TRUE(started.ok()) << started;
  const int status = python.Wait(absl::Seconds(60));
  const std::vector<std::string> lines = python.Lines();
  EXPECT_EQ(kirim::testing::ExitCode(status), 0) << absl::StrJoin(lines, "\n");

  Verdict verdict;
  for (const std::string& line : lines) {
    if (absl::StartsWith(line, "signatures ")) {
      EXPECT_TRUE(absl::SimpleAtoi(line.substr(11), &verdict.signatures)) << line;
    } else if (absl::StartsWith(line, "sig ")) {
      const std::vector<std::string> parts = absl::StrSplit(line, absl::MaxSplits(' ', 2));
      EXPECT_EQ(parts.size(), 3u) << line;
      if (parts.size() == 3) verdict.results.push_back(parts[2]);
    } else {
      ADD_FAILURE() << "unexpected verifier output: " << line;
    }
  }
  EXPECT_EQ(verdict.results.size(), static_cast<size_t>(std::max(verdict.signatures, 0)));
  return verdict;
}

// The key sets every message is signed with: RSA alone, Ed25519 alone, and both.
struct KeySet {
  const char* name;
  std::vector<SigningKey> keys;
};

std::vector<KeySet> AllKeySets() {
  return {{"rsa", {RsaSigningKey()}},
          {"ed25519", {Ed25519SigningKey()}},
          {"dual", {RsaSigningKey(), Ed25519SigningKey()}}};
}

// Signs `message` with each key set and expects every signature to pass.
void ExpectVerifies(const std::string& message) {
  for (const KeySet& set : AllKeySets()) {
    SCOPED_TRACE(set.name);
    const std::string signed_message = SignOk(message, set.keys);
    const Verdict verdict = VerifyWithPython(signed_message, set.keys);
    EXPECT_EQ(verdict.signatures, static_cast<int>(set.keys.size()));
    EXPECT_THAT(verdict.results, Each(Eq("pass"))) << signed_message;
  }
}

// Expects every signature of `tampered` (a changed signed message) to fail.
void ExpectAllFail(const std::string& tampered, const std::vector<SigningKey>& keys) {
  const Verdict verdict = VerifyWithPython(tampered, keys);
  EXPECT_EQ(verdict.signatures, static_cast<int>(keys.size()));
  EXPECT_THAT(verdict.results, SizeIs(keys.size()));
  for (const std::string& result : verdict.results) EXPECT_NE(result, "pass") << tampered;
}

constexpr char kPlain[] =
    "From: Kirim Sender <news@example.com>\r\n"
    "To: Alice <alice@example.net>\r\n"
    "Subject: Your order has shipped\r\n"
    "Date: Fri, 02 Jan 2026 03:04:05 +0000\r\n"
    "Message-ID: <01J000ABC@example.com>\r\n"
    "MIME-Version: 1.0\r\n"
    "Content-Type: text/plain; charset=us-ascii\r\n"
    "Content-Transfer-Encoding: 7bit\r\n"
    "\r\n"
    "Hello Alice,\r\n"
    "\r\n"
    "your order is on its way.\r\n";

TEST(PythonDkimVerifyTest, PlainMessage) { ExpectVerifies(kPlain); }

TEST(PythonDkimVerifyTest, DualSigningOrderAndBothChecked) {
  const std::vector<SigningKey> keys = {Ed25519SigningKey(), RsaSigningKey()};
  const std::string signed_message = SignOk(kPlain, keys);
  const std::vector<std::string> fields = SignatureFields(signed_message);
  ASSERT_THAT(fields, SizeIs(2));
  EXPECT_EQ(Tags(fields[0])["a"], "rsa-sha256");
  EXPECT_EQ(Tags(fields[1])["a"], "ed25519-sha256");
  EXPECT_THAT(VerifyWithPython(signed_message, keys).results, ElementsAre("pass", "pass"));
  // Each signature is checked against its own key: with only one key published, only that
  // signature passes.
  EXPECT_THAT(VerifyWithPython(signed_message, {RsaSigningKey()}).results[0], "pass");
  EXPECT_NE(VerifyWithPython(signed_message, {RsaSigningKey()}).results[1], "pass");
  EXPECT_NE(VerifyWithPython(signed_message, {Ed25519SigningKey()}).results[0], "pass");
  EXPECT_EQ(VerifyWithPython(signed_message, {Ed25519SigningKey()}).results[1], "pass");
}

TEST(PythonDkimVerifyTest, EncodedUtf8SubjectAndNames) {
  ExpectVerifies(
      "From: =?utf-8?B?SsO2cmcgTcO8bGxlciDigJMgVmVyc2FuZA==?= <noreply@example.com>\r\n"
      "To: =?utf-8?Q?Fran=C3=A7ois?= <f@example.net>,\r\n"
      " =?utf-8?B?5p2O5bCP6b6Z?= <bruce@example.cn>\r\n"
      "Subject: =?utf-8?B?8J+TpiBJaHJlIEJlc3RlbGx1bmcgd3VyZGUgdmVyc2FuZHQ=?=\r\n"
      " =?utf-8?B?IOKAkyBHcsO8w59l?=\r\n"
      "MIME-Version: 1.0\r\n"
      "Content-Type: text/plain; charset=utf-8\r\n"
      "Content-Transfer-Encoding: quoted-printable\r\n"
      "\r\n"
      "Hallo J=C3=B6rg\r\n");
}

TEST(PythonDkimVerifyTest, RawUtf8SubjectAndNames) {
  ExpectVerifies(
      "From: \"J\xc3\xb6rg M\xc3\xbcller\" <noreply@example.com>\r\n"
      "To: \xe6\x9d\x8e\xe5\xb0\x8f\xe9\xbe\x99 <bruce@example.cn>\r\n"
      "Subject: \xf0\x9f\x93\xa6 Ihre Bestellung \xe2\x80\x93 Gr\xc3\xbc\xc3\x9f"
      "e\r\n"
      "MIME-Version: 1.0\r\n"
      "Content-Type: text/plain; charset=utf-8\r\n"
      "Content-Transfer-Encoding: 8bit\r\n"
      "\r\n"
      "Gr\xc3\xbc\xc3\x9f"
      "e aus K\xc3\xb6ln \xf0\x9f\x90\x89\r\n");
}

TEST(PythonDkimVerifyTest, LongLinesAndLongFoldedHeaders) {
  std::string to = "To: ";
  for (int i = 0; i < 40; ++i) {
    absl::StrAppend(&to, i == 0 ? "" : ",\r\n ", "Recipient Number ", i, " <r", i, "@example.net>");
  }
  std::string references = "References:";
  for (int i = 0; i < 30; ++i) absl::StrAppend(&references, "\r\n <thread-", i, "@example.com>");
  std::string body;
  for (int i = 0; i < 5; ++i) {
    absl::StrAppend(&body, std::string(990, static_cast<char>('a' + i)), "\r\n");
    absl::StrAppend(&body, std::string(400, 'y'), "   ", std::string(500, 'z'), "\r\n");
  }
  ExpectVerifies(absl::StrCat(
      "From: news@example.com\r\n", to, "\r\n", references, "\r\n",
      "Subject: A subject that is long enough that it has to be folded over several lines\r\n"
      " because RFC 5322 asks for lines of at most 78 characters, and then some more\r\n"
      "\twords on a tab-indented continuation line\r\n",
      "Message-ID: <", std::string(200, 'm'), "@example.com>\r\n", "\r\n", body));
}

TEST(PythonDkimVerifyTest, MultipartWithBase64Attachment) {
  std::string base64;
  for (int i = 0; i < 40; ++i) {
    absl::StrAppend(&base64,
                    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGA",
                    i % 10, "\r\n");
  }
  ExpectVerifies(
      absl::StrCat("From: news@example.com\r\n"
                   "To: a@example.net\r\n"
                   "Subject: Report\r\n"
                   "MIME-Version: 1.0\r\n"
                   "Content-Type: multipart/mixed;\r\n"
                   " boundary=\"=_kirim_0123456789\"\r\n"
                   "\r\n"
                   "This is a multi-part message in MIME format.\r\n"
                   "\r\n"
                   "--=_kirim_0123456789\r\n"
                   "Content-Type: text/plain; charset=utf-8\r\n"
                   "Content-Transfer-Encoding: 7bit\r\n"
                   "\r\n"
                   "See the attachment.\r\n"
                   "\r\n"
                   "--=_kirim_0123456789\r\n"
                   "Content-Type: image/png; name=\"logo.png\"\r\n"
                   "Content-Disposition: attachment; filename=\"logo.png\"\r\n"
                   "Content-Transfer-Encoding: base64\r\n"
                   "\r\n",
                   base64,
                   "\r\n"
                   "--=_kirim_0123456789--\r\n"));
}

TEST(PythonDkimVerifyTest, TrailingWhiteSpaceOnBodyLinesAndHeaderValues) {
  ExpectVerifies(
      "From: news@example.com  \r\n"
      "To:\ta@example.net\t\r\n"
      "Subject:   spaced    out   \r\n"
      "\r\n"
      "line one   \r\n"
      "line\t\ttwo\t\r\n"
      "   \r\n"
      "\r\n"
      "after blank lines \r\n"
      " \t \r\n"
      "\r\n");
}

TEST(PythonDkimVerifyTest, EmptyBody) {
  ExpectVerifies("From: news@example.com\r\nSubject: nothing\r\n\r\n");
  ExpectVerifies("From: news@example.com\r\nSubject: no separator line\r\n");
  ExpectVerifies("From: news@example.com\r\nSubject: blank lines only\r\n\r\n\r\n\r\n");
}

TEST(PythonDkimVerifyTest, BodyWithoutFinalCrlf) {
  const std::string message =
      "From: news@example.com\r\nSubject: unterminated\r\n\r\nfirst\r\nlast line";
  ExpectVerifies(message);
  // SMTP transmission adds the missing CRLF; the signature must survive that.
  for (const KeySet& set : AllKeySets()) {
    const Verdict verdict = VerifyWithPython(SignOk(message, set.keys) + "\r\n", set.keys);
    EXPECT_THAT(verdict.results, Each(Eq("pass"))) << set.name;
  }
}

constexpr char kTwoTo[] =
    "From: news@example.com\r\n"
    "To: first@example.net\r\n"
    "Subject: two To fields\r\n"
    "To: second@example.net\r\n"
    "\r\n"
    "body\r\n";

TEST(PythonDkimVerifyTest, RepeatedHeaders) {
  ExpectVerifies(kTwoTo);
  const std::vector<SigningKey> keys = {RsaSigningKey(), Ed25519SigningKey()};
  const std::string signed_message = SignOk(kTwoTo, keys);
  EXPECT_EQ(Tags(SignatureFields(signed_message)[0])["h"], "from:to:to:subject:from");
  // Both instances are signed: swapping them or dropping one breaks the signatures.
  ExpectAllFail(absl::StrReplaceAll(signed_message, {{"To: first@", "To: xxxxx@"}}), keys);
  ExpectAllFail(absl::StrReplaceAll(signed_message, {{"first@example.net", "second@example.net"},
                                                     {"second@example.net", "first@example.net"}}),
                keys);
  ExpectAllFail(absl::StrReplaceAll(signed_message, {{"To: second@example.net\r\n", ""}}), keys);
}

TEST(PythonDkimVerifyTest, RelaxedToleratesRefoldingInTransit) {
  // The counterpart of the tampering tests: changes relaxed canonicalisation ignores pass, so
  // those failures are about content.
  for (const KeySet& set : AllKeySets()) {
    const std::string signed_message = SignOk(kPlain, set.keys);
    const std::string refolded = absl::StrReplaceAll(
        signed_message,
        {{"Subject: Your order has shipped", "subject:  Your order\r\n\thas  shipped "},
         {"your order is on its way.\r\n", "your  order is on its way. \t\r\n\r\n"}});
    ASSERT_NE(refolded, signed_message);
    EXPECT_THAT(VerifyWithPython(refolded, set.keys).results, Each(Eq("pass"))) << set.name;
  }
}

TEST(PythonDkimVerifyTest, TamperedSubjectFails) {
  for (const KeySet& set : AllKeySets()) {
    SCOPED_TRACE(set.name);
    const std::string signed_message = SignOk(kPlain, set.keys);
    ExpectAllFail(absl::StrReplaceAll(signed_message, {{"has shipped", "was cancelled"}}),
                  set.keys);
  }
}

TEST(PythonDkimVerifyTest, TamperedBodyByteFails) {
  for (const KeySet& set : AllKeySets()) {
    SCOPED_TRACE(set.name);
    std::string tampered = SignOk(kPlain, set.keys);
    const size_t pos = tampered.find("on its way");
    ASSERT_NE(pos, std::string::npos);
    tampered[pos] = 'O';
    ExpectAllFail(tampered, set.keys);
  }
}

TEST(PythonDkimVerifyTest, AddedSecondFromFails) {
  for (const KeySet& set : AllKeySets()) {
    SCOPED_TRACE(set.name);
    const std::string signed_message = SignOk(kPlain, set.keys);
    const std::vector<std::string> fields = SignatureFields(signed_message);
    ASSERT_THAT(fields, SizeIs(set.keys.size()));
    // "from" is listed once more than From occurs.
    const std::vector<std::string> h = absl::StrSplit(Tags(fields[0])["h"], ':');
    EXPECT_EQ(std::count(h.begin(), h.end(), "from"), 2);
    // A second From at the bottom of the header block, and one at the very top.
    ExpectAllFail(absl::StrReplaceAll(signed_message, {{"\r\n\r\nHello",
                                                        "\r\nFrom: ceo@example.com\r\n\r\nHello"}}),
                  set.keys);
    ExpectAllFail("From: ceo@example.com\r\n" + signed_message, set.keys);
  }
}

TEST(PythonDkimVerifyTest, MisalignedFromIsRefused) {
  const std::string message =
      absl::StrReplaceAll(kPlain, {{"news@example.com", "news@example.org"}});
  absl::StatusOr<std::string> out =
      SignMessage(message, {RsaSigningKey(), Ed25519SigningKey()}, At(kNow));
  EXPECT_EQ(out.status().code(), absl::StatusCode::kFailedPrecondition);
}

TEST(PythonDkimVerifyTest, SubdomainFromVerifies) {
  ExpectVerifies(absl::StrReplaceAll(kPlain, {{"news@example.com", "news@mail.example.com"}}));
}

TEST(PythonDkimVerifyTest, TimestampAndExpiry) {
  const std::vector<SigningKey> keys = {RsaSigningKey(), Ed25519SigningKey()};
  SignOptions options = At(kNow);
  options.expire_after = absl::Hours(24);
  const std::string signed_message = SignOk(kPlain, keys, options);
  for (const std::string& field : SignatureFields(signed_message)) {
    std::map<std::string, std::string> tags = Tags(field);
    EXPECT_EQ(tags["t"], absl::StrCat(kNow));
    EXPECT_EQ(tags["x"], absl::StrCat(kNow + 24 * 3600));
  }
  EXPECT_THAT(VerifyWithPython(signed_message, keys, kNow + 3600).results,
              ElementsAre("pass", "pass"));
  // python3-dkim allows 10 hours of clock skew past x=.
  const std::vector<std::string> expired =
      VerifyWithPython(signed_message, keys, kNow + 24 * 3600 + 11 * 3600).results;
  EXPECT_THAT(expired, ElementsAre(HasSubstr("x= value is past"), HasSubstr("x= value is past")));
  // Changing x= (or t=) invalidates the signature: the DKIM-Signature field signs itself.
  ExpectAllFail(absl::StrReplaceAll(signed_message, {{absl::StrCat("x=", kNow + 24 * 3600),
                                                      absl::StrCat("x=", kNow + 48 * 3600)}}),
                keys);
}

TEST(PythonDkimVerifyTest, NoExpiryTagByDefault) {
  const std::string signed_message = SignOk(kPlain, {Ed25519SigningKey()});
  EXPECT_EQ(Tags(SignatureFields(signed_message)[0]).count("x"), 0u);
  EXPECT_THAT(SignatureFields(signed_message)[0], StartsWith("DKIM-Signature: v=1; a=ed25519"));
}

}  // namespace
}  // namespace kirim::dkim
