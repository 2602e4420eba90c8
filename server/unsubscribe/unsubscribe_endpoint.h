// The unsubscribe endpoint on kirimd's HTTP port, where the List-Unsubscribe URLs
// (list_unsubscribe.h) lead:
//   POST /unsubscribe?token=T  RFC 8058 §3.2 one-click: the mailbox provider POSTs
//                              "List-Unsubscribe=One-Click" (form-encoded or multipart) when the
//                              user clicks its unsubscribe button. The body is accepted as sent,
//                              or absent: the token alone authorizes. Adds the token's address to
//                              its tenant's suppression list as UNSUBSCRIBE, detail
//                              "one-click unsubscribe" -> 200 "unsubscribed". Repeating it is
//                              harmless (SuppressionStore::Add is an upsert).
//   GET /unsubscribe?token=T   a small HTML page with a button that POSTs the same. A GET never
//                              unsubscribes: link scanners and previews fetch every URL in a
//                              message (RFC 8058 §1), and a GET may be repeated by anyone.
// Both answer
//   400  no token, or a query that is not form-encoded (RFC 3986 percent-encoding);
//   403  a token this server did not issue (forged, altered, another key);
//   410  a genuine but expired token;
//   503  with Retry-After, the suppression store is unavailable (nothing was changed; retry);
//   500  any other store failure.
// Every answer is `Cache-Control: no-store` and `Referrer-Policy: no-referrer` (the URL holds the
// token); the page is served under a Content-Security-Policy that allows no script.
//
// Logs (component "unsubscribe") name the tenant and the address's domain only, never the token
// or the whole address: the log is read by more people than the suppression list.
//
//   HttpServer http({.listen_address = "0.0.0.0:8080"});   // behind a TLS proxy
//   KIRIM_RETURN_IF_ERROR(RegisterUnsubscribeEndpoint(http, signer, suppressions, clock, logger));
//   KIRIM_RETURN_IF_ERROR(http.Start());
#ifndef KIRIM_SERVER_UNSUBSCRIBE_UNSUBSCRIBE_ENDPOINT_H_
#define KIRIM_SERVER_UNSUBSCRIBE_UNSUBSCRIBE_ENDPOINT_H_

#include "absl/status/status.h"
#include "server/common/clock.h"
#include "server/common/logger.h"
#include "server/http/http_server.h"
#include "server/suppression/suppression_store.h"
#include "server/unsubscribe/unsubscribe_token.h"

namespace kirim {

// What the 503 asks the client to wait before retrying, in seconds (RFC 9110 §10.2.3).
inline constexpr int kUnsubscribeRetryAfterSeconds = 60;

// Registers GET and POST /unsubscribe on `server`. Everything passed must outlive the server's
// serving (Stop it first). Errors as HttpServer::Handle (kAlreadyExists when already registered).
absl::Status RegisterUnsubscribeEndpoint(HttpServer& server, const UnsubscribeSigner& signer,
                                         SuppressionStore& suppressions, const Clock& clock,
                                         Logger& logger);

}  // namespace kirim

#endif  // KIRIM_SERVER_UNSUBSCRIBE_UNSUBSCRIBE_ENDPOINT_H_
