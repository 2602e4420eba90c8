#include "tests/dkim/dkim_test_util.h"

#include <cstdlib>
#include <iostream>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "gtest/gtest.h"

namespace kirim::dkim::testing {
namespace {

std::shared_ptr<const PrivateKey> GenerateOrDie(Algorithm algorithm) {
  absl::StatusOr<PrivateKey> key = PrivateKey::Generate(algorithm);
  if (!key.ok()) {
    std::cerr << "key generation failed: " << key.status() << "\n";
    std::abort();
  }
  return std::make_shared<const PrivateKey>(std::move(*key));
}

std::string WithoutWhiteSpace(absl::string_view text) {
  std::string out;
  for (char c : text) {
    if (c != ' ' && c != '\t' && c != '\r' && c != '\n') out.push_back(c);
  }
  return out;
}

}  // namespace

std::shared_ptr<const PrivateKey> RsaKey() {
  static const auto* const key =
      new std::shared_ptr<const PrivateKey>(GenerateOrDie(Algorithm::kRsaSha256));
  return *key;
}

std::shared_ptr<const PrivateKey> Ed25519Key() {
  static const auto* const key =
      new std::shared_ptr<const PrivateKey>(GenerateOrDie(Algorithm::kEd25519Sha256));
  return *key;
}

SigningKey RsaSigningKey(const std::string& domain, const std::string& selector) {
  return SigningKey{domain, selector, RsaKey()};
}

SigningKey Ed25519SigningKey(const std::string& domain, const std::string& selector) {
  return SigningKey{domain, selector, Ed25519Key()};
}

SignOptions At(int64_t unix_seconds) {
  SignOptions options;
  options.now = absl::FromUnixSeconds(unix_seconds);
  return options;
}

std::string SignOk(absl::string_view message, const std::vector<SigningKey>& keys,
                   const SignOptions& options) {
  absl::StatusOr<std::string> out = SignMessage(message, keys, options);
  EXPECT_TRUE(out.ok()) << out.status();
  return out.value_or("");
}

std::vector<std::string> SignatureFields(absl::string_view message) {
  std::vector<std::string> fields;
  bool in_signature = false;
  for (absl::string_view line : absl::StrSplit(message, "\r\n")) {
    if (!line.empty() && (line[0] == ' ' || line[0] == '\t')) {
      if (in_signature) absl::StrAppend(&fields.back(), "\r\n", line);
      continue;
    }
    in_signature = absl::StartsWithIgnoreCase(line, "DKIM-Signature:");
    if (!in_signature) break;
    fields.emplace_back(line);
  }
  return fields;
}

std::map<std::string, std::string> Tags(absl::string_view field) {
  absl::ConsumePrefix(&field, "DKIM-Signature:");
  std::map<std::string, std::string> tags;
  for (absl::string_view spec : absl::StrSplit(field, ';', absl::SkipWhitespace())) {
    const std::pair<absl::string_view, absl::string_view> kv =
        absl::StrSplit(spec, absl::MaxSplits('=', 1));
    tags[WithoutWhiteSpace(kv.first)] = WithoutWhiteSpace(kv.second);
  }
  return tags;
}

}  // namespace kirim::dkim::testing
