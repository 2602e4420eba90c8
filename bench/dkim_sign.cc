// Signing cost per message, in process: relaxed canonicalisation + SHA-256 + the signature, for
// RSA-2048, Ed25519 and both (dual), on a typical 4 KiB transactional message. Prints one line
// per case: messages/s on one core and microseconds per message.
//
//   bazel run -c opt //bench:dkim_sign -- --n=2000
#include <chrono>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/time/clock.h"
#include "server/dkim/dkim_signer.h"

ABSL_FLAG(int, n, 2000, "messages signed per case");

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  const int n = absl::GetFlag(FLAGS_n);
  std::string body;
  while (body.size() < 4096) body += "Your order 12345 has shipped and will arrive on Tuesday.\r\n";
  const std::string message =
      "From: Shop <shop@example.com>\r\nTo: ana@example.net\r\nSubject: Your order\r\n"
      "Date: Sat, 28 Nov 2026 10:00:00 +0000\r\nMessage-ID: <1@example.com>\r\n"
      "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n" + body;
  auto rsa = std::make_shared<const kirim::dkim::PrivateKey>(
      *kirim::dkim::PrivateKey::Generate(kirim::dkim::Algorithm::kRsaSha256, 2048));
  auto ed = std::make_shared<const kirim::dkim::PrivateKey>(
      *kirim::dkim::PrivateKey::Generate(kirim::dkim::Algorithm::kEd25519Sha256));
  const kirim::dkim::SigningKey rsa_key{"example.com", "r", rsa};
  const kirim::dkim::SigningKey ed_key{"example.com", "e", ed};
  struct Case {
    const char* name;
    std::vector<kirim::dkim::SigningKey> keys;
  };
  for (const Case& c : {Case{"rsa-sha256 (2048)", {rsa_key}}, Case{"ed25519-sha256", {ed_key}},
                        Case{"dual (rsa + ed25519)", {rsa_key, ed_key}}}) {
    kirim::dkim::SignOptions o;
    o.now = absl::Now();
    size_t bytes = 0;
    const auto start = std::chrono::steady_clock::now();
    for (int i = 0; i < n; ++i) bytes += kirim::dkim::SignMessage(message, c.keys, o)->size();
    const double secs =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::printf("%-22s %8.0f msgs/s  %7.1f us/msg  (%d messages, %zu bytes out)\n", c.name,
                n / secs, secs * 1e6 / n, n, bytes);
  }
  return 0;
}
