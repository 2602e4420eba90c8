// UnsubscribeSigner: the signed tokens in List-Unsubscribe URLs (RFC 2369, RFC 8058), which let a
// recipient - or their mailbox provider, on their behalf - unsubscribe without logging in. The
// token names a tenant, an address and an expiry, and is authenticated with HMAC-SHA256 under a
// key that only kirimd holds: nobody can unsubscribe an address they were not sent mail for.
//
//   KIRIM_ASSIGN_OR_RETURN(UnsubscribeSigner signer, UnsubscribeSigner::FromBase64Key(key_text));
//   std::string token = signer.Issue({"acme", "ana@example.net", clock.Now() + absl::Hours(24 * 60)});
//   ...
//   KIRIM_ASSIGN_OR_RETURN(UnsubscribeClaim claim, signer.Verify(token, clock.Now()));
//   // claim.tenant == "acme", claim.address == "ana@example.net"
//
// Token format (URL-safe, no padding, nothing to escape in a URL or a header field):
//   base64url(payload) "." base64url(HMAC-SHA256(key, payload))
//   payload = version (1 byte, 1) | expiry (int64 unix seconds, big-endian) |
//             tenant length (1 byte) | tenant | address
// The token is signed, not encrypted: whoever sees it can read the tenant and the address
// (as can whoever sees the message it came in).
#ifndef KIRIM_SERVER_UNSUBSCRIBE_UNSUBSCRIBE_TOKEN_H_
#define KIRIM_SERVER_UNSUBSCRIBE_UNSUBSCRIBE_TOKEN_H_

#include <cstddef>
#include <string>
#include <utility>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace kirim {

struct UnsubscribeClaim {
  std::string tenant;   // a valid tenant (ValidateTenant): at most 64 bytes
  std::string address;  // the recipient's addr-spec, as the message was sent to it
  absl::Time expires;   // the token stops working at this instant (whole seconds)
};

class UnsubscribeSigner {
 public:
  // The shortest key accepted: 256 bits, the HMAC-SHA256 output size (RFC 2104 §3).
  static constexpr size_t kMinKeyBytes = 32;
  // Verify rejects longer tokens before decoding them; Issue's longest (a 64-byte tenant and a
  // 254-byte address, RFC 5321 §4.5.3.1.3) is 482 characters.
  static constexpr size_t kMaxTokenLength = 1024;

  // `key` is the base64 (standard or URL-safe, padding optional) of at least kMinKeyBytes
  // random bytes, surrounding whitespace ignored: what `openssl rand -base64 32` prints.
  // InvalidArgument otherwise; the error never echoes the key.
  static absl::StatusOr<UnsubscribeSigner> FromBase64Key(absl::string_view key);

  // A token for `claim`, its expiry rounded down to a whole second. Needs a tenant of at most
  // 255 bytes (valid tenants are at most 64); the token of a longer one never verifies.
  std::string Issue(const UnsubscribeClaim& claim) const;

  // The claim `token` carries, if this signer issued it:
  //   PermissionDenied: forged, tampered with, truncated, not a token at all, or signed with
  //     another key (the signature is compared in constant time, CRYPTO_memcmp);
  //   FailedPrecondition "unsubscribe token expired": genuine, but now >= claim.expires.
  // The messages never echo the token.
  absl::StatusOr<UnsubscribeClaim> Verify(absl::string_view token, absl::Time now) const;

 private:
  explicit UnsubscribeSigner(std::string key) : key_(std::move(key)) {}
  std::string Mac(absl::string_view payload) const;

  std::string key_;
};

}  // namespace kirim

#endif  // KIRIM_SERVER_UNSUBSCRIBE_UNSUBSCRIBE_TOKEN_H_
