// DomainSigner: signs each message with every ACTIVE DKIM key of the registered domain its From
// domain aligns with (d= is always that domain, so DKIM aligns for DMARC): RSA always, plus
// Ed25519 when the domain has one (dual signing, RFC 8463 §1). PENDING keys (DNS not verified
// yet), RETIRING and REMOVED keys never sign, so a rotation never leaves a moment without a
// valid signature.
//
// A message whose From domain is not registered, or whose domain has no ACTIVE key yet, goes
// out unsigned: the send policy (sender_policy.h) already decided at accept time whether that is
// allowed. A key that cannot be opened (wrong key-encryption key, damaged record) fails closed:
// the message is deferred, never sent unsigned in its place.
//
//   DomainSigner signer(domains, keys, clock, {.expire_after = absl::Hours(24 * 7)});
//   worker uses it as its MessageSigner.
#ifndef KIRIM_SERVER_DOMAINS_DOMAIN_SIGNER_H_
#define KIRIM_SERVER_DOMAINS_DOMAIN_SIGNER_H_

#include <map>
#include <memory>
#include <string>
#include <tuple>

#include "absl/synchronization/mutex.h"
#include "server/common/clock.h"
#include "server/domains/message_signer.h"
#include "server/domains/sending_domains.h"
#include "server/keystore/dkim_key_store.h"

namespace kirim {

struct DomainSignerOptions {
  // When > 0, signatures carry x= (expiry) this long after t=.
  absl::Duration expire_after = absl::ZeroDuration();
};

class DomainSigner final : public MessageSigner {
 public:
  DomainSigner(SendingDomains& domains, const DkimKeyStore& keys, const Clock& clock,
               DomainSignerOptions options = {});

  absl::StatusOr<std::string> Sign(absl::string_view tenant, absl::string_view from_domain,
                                   std::string content) override;

 private:
  absl::StatusOr<std::shared_ptr<const dkim::PrivateKey>> OpenKey(
      const std::string& tenant, const std::string& domain, const std::string& selector,
      const std::string& sealed);

  SendingDomains& domains_;
  const DkimKeyStore& keys_;
  const Clock& clock_;
  const DomainSignerOptions options_;
  // Opened keys by (tenant, domain, selector, sealed blob): a selector name can come back (a
  // domain deleted and registered again), its sealed blob never does (fresh nonce each time).
  absl::Mutex mu_;
  std::map<std::tuple<std::string, std::string, std::string, std::string>,
           std::shared_ptr<const dkim::PrivateKey>>
      opened_ ABSL_GUARDED_BY(mu_);
};

}  // namespace kirim

#endif  // KIRIM_SERVER_DOMAINS_DOMAIN_SIGNER_H_
