#include "server/unsubscribe/list_unsubscribe.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "server/address/address.h"

namespace kirim {
namespace {

absl::Status BadUrl(absl::string_view why) {
  return absl::InvalidArgumentError(absl::StrCat("base_url: ", why));
}

// RFC 3986 §2.3 unreserved.
bool IsUnreserved(char c) {
  return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.' ||
         c == '_' || c == '~';
}

// RFC 3986 §3.3 pchar and '/', minus ',' (RFC 2369 §2 separates the URIs of a field with
// commas, and some readers split there even inside the angle brackets).
bool IsPathChar(char c) {
  return IsUnreserved(c) || absl::StrContains("!$&'()*+;=:@/", c);
}

// RFC 6068 §2: what may stand unescaped in the addr-spec of a mailto: URI, minus ',' (which
// separates addresses there).
bool IsMailtoChar(char c) { return IsUnreserved(c) || absl::StrContains("!$'()*+;:@", c); }

std::string MailtoEscape(absl::string_view address) {
  std::string out;
  for (char c : address) {
    if (IsMailtoChar(c)) {
      out.push_back(c);
    } else {
      absl::StrAppend(&out, "%", absl::AsciiStrToUpper(absl::BytesToHexString({&c, 1})));
    }
  }
  return out;
}

absl::Status ValidateHostPort(absl::string_view authority, bool loopback_only) {
  if (absl::StrContains(authority, '@')) return BadUrl("must not contain user info");
  absl::string_view host = authority, port;
  bool has_port = false;
  if (absl::StartsWith(authority, "[")) {
    const size_t close = authority.find(']');
    if (close == absl::string_view::npos) return BadUrl("unterminated IPv6 address");
    host = authority.substr(0, close + 1);
    absl::string_view rest = authority.substr(close + 1);
    has_port = absl::ConsumePrefix(&rest, ":");
    if (!has_port && !rest.empty()) return BadUrl("malformed host");
    port = rest;
    if (host.size() == 2) return BadUrl("empty host");
    for (char c : host.substr(1, host.size() - 2)) {
      if (!absl::ascii_isxdigit(static_cast<unsigned char>(c)) && c != ':' && c != '.') {
        return BadUrl("malformed IPv6 address");
      }
    }
  } else {
    const size_t colon = authority.find(':');
    if (colon != absl::string_view::npos) {
      has_port = true;
      host = authority.substr(0, colon);
      port = authority.substr(colon + 1);
    }
    if (host.empty()) return BadUrl("empty host");
    for (absl::string_view label : absl::StrSplit(host, '.')) {
      if (label.empty()) return BadUrl("malformed host");
      for (char c : label) {
        if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '-') {
          return BadUrl("malformed host");
        }
      }
    }
  }
  if (has_port) {
    int number = 0;
    if (port.empty() || port.size() > 5 ||
        !std::all_of(port.begin(), port.end(),
                     [](char c) { return absl::ascii_isdigit(static_cast<unsigned char>(c)); }) ||
        !absl::SimpleAtoi(port, &number) || number < 1 || number > 65535) {
      return BadUrl("malformed port");
    }
  }
  const std::string lower_host = absl::AsciiStrToLower(host);
  if (loopback_only && lower_host != "127.0.0.1" && lower_host != "localhost" &&
      lower_host != "[::1]") {
    return BadUrl("must start with https:// (http:// only for 127.0.0.1, [::1] and localhost)");
  }
  return absl::OkStatus();
}

absl::Status ValidateBaseUrl(absl::string_view url) {
  if (url.empty()) return BadUrl("required");
  if (url.size() > kMaxBaseUrlLength) {
    return BadUrl(absl::StrCat("longer than ", kMaxBaseUrlLength, " characters"));
  }
  if (absl::StrContains(url, '?')) return BadUrl("must not have a query");
  if (absl::StrContains(url, '#')) return BadUrl("must not have a fragment");
  absl::string_view rest = url;
  const bool loopback_only = absl::ConsumePrefix(&rest, "http://");
  if (!loopback_only && !absl::ConsumePrefix(&rest, "https://")) {
    return BadUrl("must start with https://");
  }
  const size_t slash = rest.find('/');
  const absl::string_view authority = rest.substr(0, slash);
  const absl::string_view path =
      slash == absl::string_view::npos ? absl::string_view() : rest.substr(slash);
  if (absl::Status s = ValidateHostPort(authority, loopback_only); !s.ok()) return s;
  for (size_t i = 0; i < path.size(); ++i) {
    if (path[i] == '%' && i + 2 < path.size() &&
        absl::ascii_isxdigit(static_cast<unsigned char>(path[i + 1])) &&
        absl::ascii_isxdigit(static_cast<unsigned char>(path[i + 2]))) {
      i += 2;
    } else if (!IsPathChar(path[i])) {
      return BadUrl("the path holds a character a URL must escape");
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status ValidateListUnsubscribeOptions(const ListUnsubscribeOptions& options) {
  if (absl::Status s = ValidateBaseUrl(options.base_url); !s.ok()) return s;
  if (!options.mailto.empty()) {
    absl::StatusOr<Mailbox> mailbox = ParseAddrSpec(options.mailto);
    if (!mailbox.ok()) {
      return absl::InvalidArgumentError(absl::StrCat("mailto: ", mailbox.status().message()));
    }
    if (MailtoEscape(options.mailto).size() > kMaxBaseUrlLength) {
      return absl::InvalidArgumentError(
          absl::StrCat("mailto: longer than ", kMaxBaseUrlLength, " characters once escaped"));
    }
  }
  if (options.validity <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError("validity: must be positive");
  }
  return absl::OkStatus();
}

std::vector<std::pair<std::string, std::string>> ListUnsubscribeHeaders(
    const UnsubscribeSigner& signer, const ListUnsubscribeOptions& options,
    absl::string_view tenant, absl::string_view address, absl::Time now) {
  const std::string token = signer.Issue(
      {std::string(tenant), std::string(address), now + options.validity});
  absl::string_view base = options.base_url;
  while (absl::ConsumeSuffix(&base, "/")) {
  }
  std::string value = absl::StrCat("<", base, kUnsubscribePath, "?token=", token, ">");
  if (!options.mailto.empty()) {
    // RFC 6068 §5: the space in the subject is "%20".
    absl::StrAppend(&value, ", <mailto:", MailtoEscape(options.mailto),
                    "?subject=unsubscribe%20", token, ">");
  }
  return {{"List-Unsubscribe", std::move(value)},
          {"List-Unsubscribe-Post", "List-Unsubscribe=One-Click"}};
}

}  // namespace kirim
