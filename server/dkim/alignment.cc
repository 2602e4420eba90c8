#include "server/dkim/alignment.h"

#include <algorithm>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace kirim::dkim {
namespace {

// The From value with CRLFs removed and every quoted string and comment replaced by one SP,
// so '@', '<' and '>' inside a display name cannot confuse the address search.
std::string WithoutQuotesAndComments(absl::string_view value) {
  std::string out;
  out.reserve(value.size());
  bool quoted = false;
  int comment_depth = 0;
  for (size_t i = 0; i < value.size(); ++i) {
    const char c = value[i];
    if (c == '\r' || c == '\n') continue;
    if ((quoted || comment_depth > 0) && c == '\\') {
      ++i;  // quoted-pair: the next character is literal
      continue;
    }
    if (quoted) {
      if (c == '"') {
        quoted = false;
        out.push_back(' ');
      }
    } else if (comment_depth > 0) {
      if (c == '(') ++comment_depth;
      if (c == ')' && --comment_depth == 0) out.push_back(' ');
    } else if (c == '"') {
      quoted = true;
    } else if (c == '(') {
      comment_depth = 1;
    } else {
      out.push_back(c);
    }
  }
  return out;
}

bool IsLdh(char c) { return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '-'; }

// RFC 6376 §3.5 sub-domain *("." sub-domain), with RFC 1035 length limits.
absl::Status ValidateDnsName(absl::string_view name, absl::string_view tag, size_t min_labels) {
  if (name.empty()) return absl::InvalidArgumentError(absl::StrCat(tag, " is empty"));
  if (name.size() > 253) {
    return absl::InvalidArgumentError(absl::StrCat(tag, " is longer than 253 characters"));
  }
  const std::vector<absl::string_view> labels = absl::StrSplit(name, '.');
  if (labels.size() < min_labels) {
    return absl::InvalidArgumentError(
        absl::StrCat(tag, " \"", name, "\" needs at least ", min_labels, " labels"));
  }
  for (absl::string_view label : labels) {
    if (label.empty() || label.size() > 63 || label.front() == '-' || label.back() == '-' ||
        !std::all_of(label.begin(), label.end(), IsLdh)) {
      return absl::InvalidArgumentError(absl::StrCat(
          tag, " \"", name, "\" is not a host name (letters, digits, inner '-', labels 1..63)"));
    }
  }
  return absl::OkStatus();
}

absl::string_view WithoutTrailingDot(absl::string_view domain) {
  absl::ConsumeSuffix(&domain, ".");
  return domain;
}

}  // namespace

absl::StatusOr<std::string> FromDomain(absl::string_view from_value) {
  const std::string text = WithoutQuotesAndComments(from_value);
  const size_t at_count = std::count(text.begin(), text.end(), '@');
  if (at_count == 0) return absl::FailedPreconditionError("the From field holds no address");
  if (at_count > 1 || absl::StrContains(text, ',')) {
    return absl::FailedPreconditionError("the From field holds more than one address");
  }
  absl::string_view addr = text;
  const size_t open = addr.rfind('<');
  if (open != absl::string_view::npos) {
    const size_t close = addr.find('>', open);
    if (close == absl::string_view::npos) {
      return absl::FailedPreconditionError("the From field has '<' without '>'");
    }
    addr = addr.substr(open + 1, close - open - 1);
  }
  const size_t at = addr.rfind('@');
  if (at == absl::string_view::npos) {
    return absl::FailedPreconditionError("the From field's <...> holds no address");
  }
  const std::string domain =
      absl::AsciiStrToLower(WithoutTrailingDot(absl::StripAsciiWhitespace(addr.substr(at + 1))));
  if (!ValidateDnsName(domain, "From domain", 1).ok()) {
    return absl::FailedPreconditionError(
        absl::StrCat("the From domain \"", domain, "\" is not a host name"));
  }
  return domain;
}

bool DomainsAlign(absl::string_view from_domain, absl::string_view signing_domain) {
  const std::string from = absl::AsciiStrToLower(WithoutTrailingDot(from_domain));
  const std::string d = absl::AsciiStrToLower(WithoutTrailingDot(signing_domain));
  if (d.empty()) return false;
  return from == d || absl::EndsWith(from, absl::StrCat(".", d));
}

absl::Status ValidateSigningDomain(absl::string_view domain) {
  return ValidateDnsName(domain, "d= (signing domain)", 2);
}

absl::Status ValidateSelector(absl::string_view selector) {
  return ValidateDnsName(selector, "s= (selector)", 1);
}

}  // namespace kirim::dkim
