// DKIM signing of a complete message (RFC 6376 §5), with one signature per key so a domain can
// sign with RSA and Ed25519 at once (RFC 8463 §1: receivers that do not know ed25519-sha256
// ignore that signature and check the RSA one).
//
//   SigningKey rsa{"example.com", "k2026r", rsa_key}, ed{"example.com", "k2026e", ed_key};
//   KIRIM_ASSIGN_OR_RETURN(std::string signed_message,
//                          SignMessage(message, {rsa, ed}, {.now = clock.Now()}));
//   // DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed; d=example.com; s=k2026r;
//   //  t=1767323045; h=from:to:subject:date:message-id:from; bh=...; b=...
//   // DKIM-Signature: v=1; a=ed25519-sha256; ...
//   // From: ...
//
// Every signature: c=relaxed/relaxed (§3.4.2, §3.4.4), bh= = base64 SHA-256 of the relaxed
// body, no l= (a length limit would let anyone append content). h= lists, in this order, each
// instance present of From, To, Cc, Subject, Date, Message-ID, MIME-Version, Content-Type,
// Content-Transfer-Encoding, Reply-To, In-Reply-To, References, List-Unsubscribe and
// List-Unsubscribe-Post; repeated names are signed bottom-up (§5.4.2), and From is listed once
// more than it occurs, so adding a From breaks the signature (§8.15). The field is folded to
// lines of at most 78 octets (between tags, after ':' in h=, anywhere in b=) unless one tag
// (a very long d=) is longer than that by itself; relaxed canonicalisation unfolds it again,
// so the folding cannot change the hash (§3.7).
#ifndef KIRIM_SERVER_DKIM_DKIM_SIGNER_H_
#define KIRIM_SERVER_DKIM_DKIM_SIGNER_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "server/dkim/dkim_key.h"

namespace kirim::dkim {

struct SigningKey {
  std::string domain;    // d=: must align with the From domain (see alignment.h)
  std::string selector;  // s=: the key's TXT record is at <selector>._domainkey.<domain>
  std::shared_ptr<const PrivateKey> key;
};

struct SignOptions {
  // t=, whole seconds; from the injected Clock, never read here.
  absl::Time now = absl::UnixEpoch();
  // When > 0, x= = t= + expire_after (rounded up to whole seconds); zero means no x=.
  absl::Duration expire_after = absl::ZeroDuration();
};

// Returns `message` (a complete RFC 5322 message, CRLF line ends, not dot-stuffed) with one
// DKIM-Signature field per key prepended: RSA keys first, then Ed25519, each group in the
// order given. Each signature covers the message as passed in, not the other signatures.
//
// Errors: InvalidArgument if `keys` is empty, a key is null or empty, d= or s= is not a valid
// name, expire_after is negative, `now` is before 1970, or the header block cannot be parsed
// (see SplitMessage). FailedPrecondition if there is no From field, more than one, a From
// without exactly one address, or a d= that does not align with the From domain.
absl::StatusOr<std::string> SignMessage(absl::string_view message,
                                        const std::vector<SigningKey>& keys,
                                        const SignOptions& options);

}  // namespace kirim::dkim

#endif  // KIRIM_SERVER_DKIM_DKIM_SIGNER_H_
