// Test helpers for DKIM: keys generated once per test binary (RSA generation takes a while),
// signing at a fixed time, and a reader for the DKIM-Signature fields a signed message starts
// with.
//
//   std::string signed_message = SignOk(message, {RsaSigningKey(), Ed25519SigningKey()});
//   std::vector<std::string> fields = SignatureFields(signed_message);
//   EXPECT_EQ(Tags(fields[0])["a"], "rsa-sha256");
#ifndef KIRIM_TESTS_DKIM_DKIM_TEST_UTIL_H_
#define KIRIM_TESTS_DKIM_DKIM_TEST_UTIL_H_

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "server/dkim/dkim_key.h"
#include "server/dkim/dkim_signer.h"

namespace kirim::dkim::testing {

// The signer's clock in these tests: 2026-01-02T03:04:05Z.
inline constexpr int64_t kNow = 1767323045;

// SignOptions with t= at `unix_seconds` and no x=.
SignOptions At(int64_t unix_seconds);

// SignMessage that must succeed (a test failure otherwise, and "" returned).
std::string SignOk(absl::string_view message, const std::vector<SigningKey>& keys,
                   const SignOptions& options = At(kNow));

// One RSA-2048 and one Ed25519 key, generated on first use and shared by the tests.
std::shared_ptr<const PrivateKey> RsaKey();
std::shared_ptr<const PrivateKey> Ed25519Key();

SigningKey RsaSigningKey(const std::string& domain = "example.com",
                         const std::string& selector = "rsa2026");
SigningKey Ed25519SigningKey(const std::string& domain = "example.com",
                             const std::string& selector = "ed2026");

// The DKIM-Signature fields at the top of `message`, each as written (folding included,
// without the final CRLF), topmost first. Stops at the first other field.
std::vector<std::string> SignatureFields(absl::string_view message);

// The tag=value pairs of a DKIM-Signature field (with or without the "DKIM-Signature:" name),
// with all white space (folding included) removed from names and values.
std::map<std::string, std::string> Tags(absl::string_view field);

}  // namespace kirim::dkim::testing

#endif  // KIRIM_TESTS_DKIM_DKIM_TEST_UTIL_H_
