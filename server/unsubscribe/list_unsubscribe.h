// List-Unsubscribe (RFC 2369 §3.2) and List-Unsubscribe-Post (RFC 8058 §3.1) for one recipient:
// an HTTPS URL carrying a signed token (unsubscribe_token.h), which mailbox providers POST to
// when the user clicks their "unsubscribe" button (RFC 8058 one-click; the endpoint is
// unsubscribe_endpoint.h), and optionally a mailto: URI for clients that only know RFC 2369.
//
//   ListUnsubscribeOptions options{.base_url = "https://mail.example.com",
//                                  .mailto = "unsubscribe@example.com"};
//   KIRIM_RETURN_IF_ERROR(ValidateListUnsubscribeOptions(options));   // once, at startup
//   for (const auto& [name, value] :
//        ListUnsubscribeHeaders(signer, options, "acme", "ana@example.net", clock.Now())) {
//     KIRIM_RETURN_IF_ERROR(AppendHeader(name, value, &header_block));
//   }
//   // List-Unsubscribe: <https://mail.example.com/unsubscribe?token=AQAA...>,
//   //  <mailto:unsubscribe@example.com?subject=unsubscribe%20AQAA...>
//   // List-Unsubscribe-Post: List-Unsubscribe=One-Click
//
// RFC 8058 §4 also requires a DKIM signature covering both fields (h= lists them), or mailbox
// providers ignore them; Kirim's signer covers them. The token names one recipient, so the
// fields belong on a copy of the message sent to that recipient alone.
#ifndef KIRIM_SERVER_UNSUBSCRIBE_LIST_UNSUBSCRIBE_H_
#define KIRIM_SERVER_UNSUBSCRIBE_LIST_UNSUBSCRIBE_H_

#include <cstddef>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "server/unsubscribe/unsubscribe_token.h"

namespace kirim {

// The path the endpoint serves and the URLs point at.
inline constexpr absl::string_view kUnsubscribePath = "/unsubscribe";

// The longest base_url, and mailto once escaped: with them the longest URI, token included,
// stays well inside RFC 5322 §2.1.1's 998-octet line.
inline constexpr size_t kMaxBaseUrlLength = 256;

struct ListUnsubscribeOptions {
  // The public URL of kirimd's HTTP port, behind TLS: "https://mail.example.com", optionally
  // with a path prefix a proxy strips ("https://example.com/kirim"). "/unsubscribe?token=..." is
  // appended. http:// only for 127.0.0.1, [::1] and localhost (tests).
  std::string base_url;
  // An addr-spec for RFC 2369 mailto: unsubscribes, e.g. "unsubscribe@example.com"; "" for none.
  std::string mailto;
  // How long a link keeps working after the message is sent; 60 days, as mail is read late.
  absl::Duration validity = absl::Hours(24 * 60);
};

// InvalidArgument naming the field:
//   base_url: "https://" then host[:port] (a DNS name, IPv4 or [IPv6]) and an optional path; no
//     user info, query or fragment, nothing a URL must escape, at most kMaxBaseUrlLength;
//   mailto: "" or an addr-spec (ParseAddrSpec; RFC 6532 UTF-8 too) of at most
//     kMaxBaseUrlLength once escaped for the URI (RFC 6068 §2 percent-encoding);
//   validity: positive.
absl::Status ValidateListUnsubscribeOptions(const ListUnsubscribeOptions& options);

// The two fields for `address` at `tenant`, the token expiring at now + options.validity:
//   {"List-Unsubscribe", "<https://.../unsubscribe?token=T>, <mailto:...?subject=unsubscribe%20T>"}
//   {"List-Unsubscribe-Post", "List-Unsubscribe=One-Click"}
// The https URI comes first: RFC 2369 §2 has clients use the first method they support. The
// values are unfolded (the header writer folds after the ", "). `options` must have passed
// ValidateListUnsubscribeOptions; `tenant` and `address` are the message's, already valid.
std::vector<std::pair<std::string, std::string>> ListUnsubscribeHeaders(
    const UnsubscribeSigner& signer, const ListUnsubscribeOptions& options,
    absl::string_view tenant, absl::string_view address, absl::Time now);

}  // namespace kirim

#endif  // KIRIM_SERVER_UNSUBSCRIBE_LIST_UNSUBSCRIBE_H_
