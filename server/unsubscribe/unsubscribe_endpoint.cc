#include "server/unsubscribe/unsubscribe_endpoint.h"

#include <memory>
#include <string>
#include <utility>

#include "absl/status/statusor.h"
#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "kirim/v1/admin_service.pb.h"
#include "server/common/status_macros.h"
#include "server/unsubscribe/list_unsubscribe.h"

namespace kirim {
namespace {

constexpr absl::string_view kComponent = "unsubscribe";
constexpr absl::string_view kDetail = "one-click unsubscribe";

// application/x-www-form-urlencoded value decoding: '+' is a space, %XX a byte. False on a
// '%' not followed by two hex digits.
bool FormDecode(absl::string_view in, std::string* out) {
  out->clear();
  for (size_t i = 0; i < in.size(); ++i) {
    if (in[i] == '+') {
      out->push_back(' ');
    } else if (in[i] != '%') {
      out->push_back(in[i]);
    } else {
      int value = 0;
      if (i + 2 >= in.size() || !absl::ascii_isxdigit(static_cast<unsigned char>(in[i + 1])) ||
          !absl::ascii_isxdigit(static_cast<unsigned char>(in[i + 2])) ||
          !absl::SimpleHexAtoi(in.substr(i + 1, 2), &value)) {
        return false;
      }
      out->push_back(static_cast<char>(value));
      i += 2;
    }
  }
  return true;
}

// The one "token" parameter of `query`; other parameters (a tracker's utm_*) are ignored.
// InvalidArgument when it is missing, empty, repeated or badly encoded.
absl::StatusOr<std::string> TokenParameter(absl::string_view query) {
  std::string token;
  bool found = false;
  for (absl::string_view pair : absl::StrSplit(query, '&', absl::SkipEmpty())) {
    std::pair<absl::string_view, absl::string_view> kv = absl::StrSplit(pair, absl::MaxSplits('=', 1));
    std::string name;
    if (!FormDecode(kv.first, &name)) return absl::InvalidArgumentError("malformed query");
    if (name != "token") continue;
    if (found) return absl::InvalidArgumentError("token given twice");
    if (!FormDecode(kv.second, &token)) return absl::InvalidArgumentError("malformed token");
    found = true;
  }
  if (token.empty()) return absl::InvalidArgumentError("no token");
  return token;
}

std::string HtmlEscape(absl::string_view text) {
  std::string out;
  for (char c : text) {
    switch (c) {
      case '&': out.append("&amp;"); break;
      case '<': out.append("&lt;"); break;
      case '>': out.append("&gt;"); break;
      case '"': out.append("&quot;"); break;
      case '\'': out.append("&#39;"); break;
      default: out.push_back(c);
    }
  }
  return out;
}

// What may be logged of an address: its domain, lower-cased.
std::string AddressDomain(absl::string_view address) {
  const size_t at = address.rfind('@');
  return at == absl::string_view::npos ? std::string()
                                       : absl::AsciiStrToLower(address.substr(at + 1));
}

HttpResponse Text(int status, absl::string_view body) {
  HttpResponse response;
  response.status = status;
  response.body = std::string(body);
  // The URL carries the token: keep it out of caches and out of Referer headers.
  response.headers = {{"Cache-Control", "no-store"},
                      {"Referrer-Policy", "no-referrer"},
                      {"X-Content-Type-Options", "nosniff"}};
  return response;
}

// The answer to a request whose token did not verify (or was not there).
HttpResponse Rejected(const absl::Status& status) {
  switch (status.code()) {
    case absl::StatusCode::kPermissionDenied:
      return Text(403, "This unsubscribe link is not valid.\n");
    case absl::StatusCode::kFailedPrecondition:
      return Text(410, "This unsubscribe link has expired.\n");
    default:
      return Text(400, "Malformed unsubscribe link.\n");
  }
}

absl::string_view RejectionReason(const absl::Status& status) {
  switch (status.code()) {
    case absl::StatusCode::kPermissionDenied: return "invalid_token";
    case absl::StatusCode::kFailedPrecondition: return "expired_token";
    default: return "malformed_query";
  }
}

HttpResponse ConfirmationPage(absl::string_view token, absl::string_view address) {
  HttpResponse response = Text(200, "");
  response.content_type = "text/html; charset=utf-8";
  response.headers.push_back(
      {"Content-Security-Policy",
       "default-src 'none'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"});
  response.headers.push_back({"X-Robots-Tag", "noindex"});
  // action="?token=..." keeps the path the page was fetched at, whatever prefix a proxy adds.
  response.body = absl::StrCat(
      "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
      "<meta name=\"robots\" content=\"noindex\">\n<title>Unsubscribe</title>\n</head>\n<body>\n"
      "<h1>Unsubscribe</h1>\n<p>Stop sending these emails to <strong>",
      HtmlEscape(address),
      "</strong>?</p>\n<form method=\"post\" action=\"?token=", HtmlEscape(token),
      "\">\n<input type=\"hidden\" name=\"List-Unsubscribe\" value=\"One-Click\">\n"
      "<button type=\"submit\">Unsubscribe</button>\n</form>\n</body>\n</html>\n");
  return response;
}

class UnsubscribeHandler {
 public:
  UnsubscribeHandler(const UnsubscribeSigner& signer, SuppressionStore& suppressions,
                     const Clock& clock, Logger& logger)
      : signer_(signer), suppressions_(suppressions), clock_(clock), logger_(logger) {}

  HttpResponse Get(const HttpRequest& request) const {
    std::string token;
    absl::StatusOr<UnsubscribeClaim> claim = Authorize(request, &token);
    if (!claim.ok()) return Rejected(claim.status());
    return ConfirmationPage(token, claim->address);
  }

  HttpResponse Post(const HttpRequest& request) const {
    std::string token;
    absl::StatusOr<UnsubscribeClaim> claim = Authorize(request, &token);
    if (!claim.ok()) return Rejected(claim.status());
    const std::string domain = AddressDomain(claim->address);
    absl::Status added = suppressions_.Add(
        claim->tenant, {claim->address, v1::Suppression::UNSUBSCRIBE, std::string(kDetail),
                        clock_.Now()});
    if (added.code() == absl::StatusCode::kUnavailable) {
      logger_.Warning(kComponent, "store_unavailable",
                      {{"tenant", claim->tenant}, {"domain", domain}});
      HttpResponse response = Text(503, "Please try again later.\n");
      response.headers.push_back({"Retry-After", absl::StrCat(kUnsubscribeRetryAfterSeconds)});
      return response;
    }
    if (!added.ok()) {
      // Only the code: a store's message may quote the address.
      logger_.Error(kComponent, "store_failed",
                    {{"tenant", claim->tenant},
                     {"domain", domain},
                     {"code", absl::StatusCodeToString(added.code())}});
      return Text(500, "Internal error.\n");
    }
    logger_.Info(kComponent, "unsubscribed", {{"tenant", claim->tenant}, {"domain", domain}});
    return Text(200, "unsubscribed\n");
  }

 private:
  absl::StatusOr<UnsubscribeClaim> Authorize(const HttpRequest& request,
                                             std::string* token) const {
    absl::StatusOr<std::string> parameter = TokenParameter(request.query);
    absl::StatusOr<UnsubscribeClaim> claim =
        parameter.ok() ? signer_.Verify(*parameter, clock_.Now())
                       : absl::StatusOr<UnsubscribeClaim>(parameter.status());
    if (!claim.ok()) {
      logger_.Info(kComponent, "rejected",
                   {{"method", request.method}, {"reason", RejectionReason(claim.status())}});
      return claim;
    }
    *token = *std::move(parameter);
    return claim;
  }

  const UnsubscribeSigner& signer_;
  SuppressionStore& suppressions_;
  const Clock& clock_;
  Logger& logger_;
};

}  // namespace

absl::Status RegisterUnsubscribeEndpoint(HttpServer& server, const UnsubscribeSigner& signer,
                                         SuppressionStore& suppressions, const Clock& clock,
                                         Logger& logger) {
  auto handler = std::make_shared<UnsubscribeHandler>(signer, suppressions, clock, logger);
  KIRIM_RETURN_IF_ERROR(server.Handle(
      "POST", kUnsubscribePath, [handler](const HttpRequest& r) { return handler->Post(r); }));
  return server.Handle("GET", kUnsubscribePath,
                       [handler](const HttpRequest& r) { return handler->Get(r); });
}

}  // namespace kirim
