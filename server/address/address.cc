#include "server/address/address.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <algorithm>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "server/address/idna.h"
#include "server/common/status_macros.h"
#include "server/common/text.h"

namespace kirim {
namespace {

constexpr size_t kMaxLocalPart = 64;  // RFC 5321 §4.5.3.1.1
constexpr size_t kMaxLabel = 63;      // RFC 1035 §2.3.4
// RFC 5321 §4.5.3.1.3: a 256-octet path minus "<>". For an ASCII address it also keeps the
// domain within RFC 1035's 253-octet name limit; a domain with U-labels is checked for that in
// its A-label form, the one DNS sees.
constexpr size_t kMaxAddrSpec = 254;
constexpr size_t kMaxDomain = 253;  // RFC 1035 §2.3.4, without the root's trailing dot

absl::Status Invalid(absl::string_view reason) { return absl::InvalidArgumentError(reason); }

bool IsNonAscii(char c) { return static_cast<unsigned char>(c) >= 0x80; }

std::string Quoted(char c) { return absl::StrCat("'", absl::string_view(&c, 1), "'"); }

// Non-ASCII code points refused in an address although RFC 6532 §3.2 lets any UTF-8 through:
// C1 controls (U+0080..U+009F, the non-ASCII half of Unicode's Cc), the line and paragraph
// separators U+2028/U+2029 (line breaks to some readers) and the bidi embedding, override and
// isolate controls U+202A..U+202E, U+2066..U+2069, which make an address display as another.
// `text` is valid UTF-8.
absl::Status CheckUtf8Controls(absl::string_view text) {
  for (size_t i = 0; i < text.size(); i += Utf8SequenceLength(static_cast<unsigned char>(text[i]))) {
    const auto b0 = static_cast<unsigned char>(text[i]);
    const auto b1 = i + 1 < text.size() ? static_cast<unsigned char>(text[i + 1]) : 0;
    const auto b2 = i + 2 < text.size() ? static_cast<unsigned char>(text[i + 2]) : 0;
    const bool c1 = b0 == 0xC2 && b1 < 0xA0;
    const bool separator_or_bidi = b0 == 0xE2 && ((b1 == 0x80 && b2 >= 0xA8 && b2 <= 0xAE) ||
                                                  (b1 == 0x81 && b2 >= 0xA6 && b2 <= 0xA9));
    if (c1 || separator_or_bidi) {
      return Invalid("contains a Unicode control, line separator or bidi control character");
    }
  }
  return absl::OkStatus();
}

// RFC 5322 §3.2.3 specials that may not appear unquoted in a display name. '.' is left out:
// the obsolete phrase syntax (§4.1) allows it and "John Q. Public" is everywhere.
bool IsPhraseSpecial(char c) {
  return absl::string_view("()<>[]:;@\\,").find(c) != absl::string_view::npos;
}

// `text[start]` is '"'; returns the index just past the closing quote (RFC 5322 §3.2.4).
absl::StatusOr<size_t> QuotedStringEnd(absl::string_view text, size_t start) {
  for (size_t i = start + 1; i < text.size(); ++i) {
    if (text[i] == '\\') {
      ++i;  // quoted-pair: the next byte is literal, even a '"'
    } else if (text[i] == '"') {
      return i + 1;
    }
  }
  return Invalid("unterminated quoted string");
}

// The first `c` at or after `from` that is not inside a quoted string, or npos.
absl::StatusOr<size_t> FindUnquoted(absl::string_view text, char c, size_t from) {
  size_t i = from;
  while (i < text.size()) {
    if (text[i] == '"') {
      KIRIM_ASSIGN_OR_RETURN(i, QuotedStringEnd(text, i));
    } else if (text[i] == c) {
      return i;
    } else {
      ++i;
    }
  }
  return absl::string_view::npos;
}

absl::Status CheckDotAtom(absl::string_view local) {
  if (local.front() == '.') return Invalid("local part starts with '.'");
  if (local.back() == '.') return Invalid("local part ends with '.'");
  if (absl::StrContains(local, "..")) return Invalid("local part contains '..'");
  for (char c : local) {
    // RFC 6532 §3.2: atext also takes UTF8-non-ascii, already checked to be valid UTF-8.
    if (c != '.' && !IsAtext(c) && !IsNonAscii(c)) {
      return Invalid(absl::StrCat("invalid character ", Quoted(c), " in local part (quote it)"));
    }
  }
  return absl::OkStatus();
}

// RFC 5321 §4.1.3 IPv4-address-literal. Leading zeros are refused because some resolvers read
// them as octal, which would send mail somewhere other than where the sender meant.
bool IsIpv4(absl::string_view text) {
  std::vector<absl::string_view> parts = absl::StrSplit(text, '.');
  if (parts.size() != 4) return false;
  for (absl::string_view part : parts) {
    if (part.empty() || part.size() > 3 || (part.size() > 1 && part[0] == '0')) return false;
    int value = 0;
    for (char c : part) {
      if (!absl::ascii_isdigit(static_cast<unsigned char>(c))) return false;
      value = value * 10 + (c - '0');
    }
    if (value > 255) return false;
  }
  return true;
}

// "[192.0.2.1]" or "[IPv6:2001:db8::1]" (RFC 5321 §4.1.3); the tag is normalized to "IPv6:"
// and hex digits to lower case so equal literals compare equal.
absl::StatusOr<std::string> ParseAddressLiteral(absl::string_view literal) {
  if (literal.size() < 2 || literal.back() != ']') return Invalid("unterminated address literal");
  absl::string_view inner = literal.substr(1, literal.size() - 2);
  if (absl::StartsWithIgnoreCase(inner, "IPv6:")) {
    std::string ip(inner.substr(5));
    in6_addr unused;
    if (inet_pton(AF_INET6, ip.c_str(), &unused) != 1) {
      return Invalid("invalid IPv6 address literal");
    }
    return absl::StrCat("[IPv6:", absl::AsciiStrToLower(ip), "]");
  }
  if (IsIpv4(inner)) return std::string(literal);
  if (absl::StrContains(inner, ':')) return Invalid("unsupported address literal");
  return Invalid("invalid IPv4 address literal");
}

// An RFC 1035 §2.3.1 LDH label, or an RFC 5890 §2.3.2.1 U-label (RFC 6531 §3.3): LDH plus
// non-ASCII characters (valid UTF-8, checked by the caller), at most 63 octets as an A-label.
absl::Status CheckLabel(absl::string_view label) {
  if (label.empty()) return Invalid("empty domain label");
  for (char c : label) {
    if (c == '@') return Invalid("more than one '@'");
    if (c != '-' && !absl::ascii_isalnum(static_cast<unsigned char>(c)) && !IsNonAscii(c)) {
      return Invalid(absl::StrCat("invalid character ", Quoted(c), " in domain"));
    }
  }
  if (label.front() == '-' || label.back() == '-') {
    return Invalid("domain label starts or ends with '-'");
  }
  if (IsAscii(label)) {
    if (label.size() > kMaxLabel) return Invalid("domain label longer than 63 characters");
    return absl::OkStatus();
  }
  // RFC 5891 §4.2.3.1: "--" in the third and fourth positions is reserved for A-labels.
  if (label.size() >= 4 && label.substr(2, 2) == "--") {
    return Invalid("domain label has '--' in the third and fourth positions");
  }
  absl::StatusOr<std::string> a_label = ToALabel(label);
  if (!a_label.ok()) return Invalid(a_label.status().message());
  if (a_label->size() > kMaxLabel) {
    return Invalid("domain label longer than 63 characters (as an A-label)");
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> ParseDomain(absl::string_view domain) {
  if (domain.empty()) return Invalid("empty domain");
  if (domain.front() == '[') return ParseAddressLiteral(domain);
  std::vector<absl::string_view> labels = absl::StrSplit(domain, '.');
  for (absl::string_view label : labels) KIRIM_RETURN_IF_ERROR(CheckLabel(label));
  if (!IsAscii(domain)) {
    absl::StatusOr<std::string> ascii = DomainToAscii(domain);
    if (!ascii.ok()) return Invalid(ascii.status().message());
    if (ascii->size() > kMaxDomain) return Invalid("domain longer than 253 octets (as A-labels)");
  }
  // A bare "localhost" or intranet name is almost always a typo in a sending API, and a
  // single host can still be named exactly with an address literal.
  if (labels.size() < 2) return Invalid("domain needs at least two labels");
  // RFC 3696 §2: a top-level domain is never all-numeric, so "1.2.3.4" is an IP address
  // missing its brackets. Only ASCII is lower-cased: Unicode case mapping is UTS #46's business
  // and a U-label is kept as written.
  const absl::string_view tld = labels.back();
  if (std::all_of(tld.begin(), tld.end(),
                  [](char c) { return absl::ascii_isdigit(static_cast<unsigned char>(c)); })) {
    return Invalid("top-level domain is all-numeric (write an IP address as [192.0.2.1])");
  }
  return absl::AsciiStrToLower(domain);
}

// The display name before '<': RFC 5322 §3.2.5 phrase (atoms, quoted strings, RFC 6532 UTF-8)
// returned unquoted and unescaped, runs of white space between words folded to one space.
absl::StatusOr<std::string> ParsePhrase(absl::string_view raw) {
  std::string out;
  bool pending_space = false;
  size_t i = 0;
  while (i < raw.size()) {
    const char c = raw[i];
    if (c == ' ') {
      pending_space = !out.empty();
      ++i;
      continue;
    }
    if (pending_space) out.push_back(' ');
    pending_space = false;
    if (c == '"') {
      KIRIM_ASSIGN_OR_RETURN(const size_t end, QuotedStringEnd(raw, i));
      for (size_t k = i + 1; k + 1 < end; ++k) {
        if (raw[k] == '\\') ++k;
        out.push_back(raw[k]);
      }
      i = end;
      continue;
    }
    if (IsPhraseSpecial(c)) {
      return Invalid(absl::StrCat("display name contains ", Quoted(c), " (quote it)"));
    }
    out.push_back(c);
    ++i;
  }
  if (!IsValidUtf8(out)) return Invalid("display name is not valid UTF-8");
  return out;
}

// A mailbox without '<': it can only be a bare addr-spec.
absl::StatusOr<Mailbox> ParseBareMailbox(absl::string_view text) {
  KIRIM_ASSIGN_OR_RETURN(const size_t close, FindUnquoted(text, '>', 0));
  if (close != absl::string_view::npos) return Invalid("'>' without '<'");
  // Callers paste address lists into single-address fields; say so rather than complain
  // about a character in the local part.
  KIRIM_ASSIGN_OR_RETURN(const size_t comma, FindUnquoted(text, ',', 0));
  if (comma != absl::string_view::npos) return Invalid("more than one address");
  KIRIM_ASSIGN_OR_RETURN(const size_t space, FindUnquoted(text, ' ', 0));
  if (space != absl::string_view::npos && ParseAddrSpec(text.substr(text.rfind(' ') + 1)).ok()) {
    return Invalid("a display name needs the address in angle brackets");
  }
  return ParseAddrSpec(text);
}

}  // namespace

std::string Mailbox::Address() const { return absl::StrCat(local_part, "@", domain); }

bool NeedsSmtpUtf8(const Mailbox& mailbox) {
  return !IsAscii(mailbox.local_part) || !IsAscii(mailbox.domain);
}

absl::StatusOr<Mailbox> ParseAddrSpec(absl::string_view text) {
  KIRIM_RETURN_IF_ERROR(CheckNoControlChars(text, /*allow_tab=*/false));
  if (!IsValidUtf8(text)) return Invalid("address is not valid UTF-8");
  KIRIM_RETURN_IF_ERROR(CheckUtf8Controls(text));
  if (text.empty()) return Invalid("empty address");
  if (text.size() > kMaxAddrSpec) return Invalid("address longer than 254 octets");

  size_t at;
  const bool quoted = text.front() == '"';
  if (quoted) {
    KIRIM_ASSIGN_OR_RETURN(at, QuotedStringEnd(text, 0));
    if (at < text.size() && text[at] != '@') {
      return Invalid("unexpected text after quoted local part");
    }
  } else {
    at = text.find('@');
  }
  if (at >= text.size()) return Invalid("missing '@'");

  Mailbox mailbox;
  absl::string_view local = text.substr(0, at);
  if (local.empty()) return Invalid("empty local part");
  if (local.size() > kMaxLocalPart) return Invalid("local part longer than 64 octets");
  if (quoted) {
    // The scan above already enforced RFC 5321 qtextSMTP / quoted-pairSMTP as RFC 6531 §3.3
    // extends them: control characters are gone, and every other printable ASCII character and
    // any (valid, checked) UTF-8 is allowed.
    if (local.size() == 2) return Invalid("empty local part");
  } else {
    KIRIM_RETURN_IF_ERROR(CheckDotAtom(local));
  }
  mailbox.local_part = std::string(local);
  KIRIM_ASSIGN_OR_RETURN(mailbox.domain, ParseDomain(text.substr(at + 1)));
  return mailbox;
}

absl::StatusOr<Mailbox> ParseMailbox(absl::string_view text) {
  KIRIM_RETURN_IF_ERROR(CheckNoControlChars(text, /*allow_tab=*/false));
  text = absl::StripAsciiWhitespace(text);
  if (text.empty()) return Invalid("empty address");

  KIRIM_ASSIGN_OR_RETURN(const size_t open, FindUnquoted(text, '<', 0));
  if (open == absl::string_view::npos) return ParseBareMailbox(text);
  KIRIM_ASSIGN_OR_RETURN(const size_t close, FindUnquoted(text, '>', open + 1));
  if (close == absl::string_view::npos) return Invalid("missing '>'");
  if (close + 1 != text.size()) return Invalid("unexpected text after '>'");

  KIRIM_ASSIGN_OR_RETURN(std::string display_name, ParsePhrase(text.substr(0, open)));
  KIRIM_ASSIGN_OR_RETURN(
      Mailbox mailbox,
      ParseAddrSpec(absl::StripAsciiWhitespace(text.substr(open + 1, close - open - 1))));
  mailbox.display_name = std::move(display_name);
  return mailbox;
}

absl::Status ValidateMailbox(const Mailbox& mailbox) {
  if (absl::Status s = CheckNoControlChars(mailbox.display_name, /*allow_tab=*/false); !s.ok()) {
    return Invalid(absl::StrCat("display name ", s.message()));
  }
  if (!IsValidUtf8(mailbox.display_name)) return Invalid("display name is not valid UTF-8");
  KIRIM_ASSIGN_OR_RETURN(Mailbox parsed, ParseAddrSpec(mailbox.Address()));
  // Guards against an '@' hidden in one of the fields moving the split point.
  if (parsed.local_part != mailbox.local_part) return Invalid("local part contains '@'");
  return absl::OkStatus();
}

}  // namespace kirim
