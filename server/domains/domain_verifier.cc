#include "server/domains/domain_verifier.h"

#include <arpa/inet.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "server/common/status_macros.h"

namespace kirim::domains {
namespace {

using Purpose = v1::DnsRecord::Purpose;
using RecordStatus = v1::DnsRecord::Status;

// RFC 7208 §4.6.4: terms that cause DNS queries, counted over the whole evaluation.
constexpr int kMaxSpfLookups = 10;

// FWS inside DNS text (RFC 6376 §3.2): no line breaks survive in TXT data, but be lenient.
constexpr absl::string_view kWhitespace = " \t\r\n";

std::string RemoveWhitespace(absl::string_view text) {
  std::string out;
  for (char c : text) {
    if (!absl::StrContains(kWhitespace, c)) out.push_back(c);
  }
  return out;
}

absl::string_view Trim(absl::string_view text) {
  const size_t begin = text.find_first_not_of(kWhitespace);
  if (begin == text.npos) return {};
  return text.substr(begin, text.find_last_not_of(kWhitespace) - begin + 1);
}

// The TXT lookups of one Check or Verify call: each name is asked once, so a name shared by
// two records (or an include reached twice) costs one query and gets one answer.
class TxtLookups {
 public:
  explicit TxtLookups(dns::Resolver& resolver) : resolver_(resolver) {}

  // The TXT records at `name`; empty when it has none (NXDOMAIN or NODATA are answers).
  // Other failures are returned as the resolver gave them.
  absl::StatusOr<std::vector<std::string>> Get(absl::string_view name) {
    const std::string key = dns::CanonicalName(name);
    auto it = answers_.find(key);
    if (it == answers_.end()) {
      absl::StatusOr<std::vector<std::string>> answer = resolver_.LookupTxt(key);
      if (absl::IsNotFound(answer.status())) answer = std::vector<std::string>();
      it = answers_.emplace(key, std::move(answer)).first;
    }
    return it->second;
  }

 private:
  dns::Resolver& resolver_;
  std::map<std::string, absl::StatusOr<std::vector<std::string>>> answers_;
};

// What a check concluded; applied to the record by ApplyVerdict.
struct Verdict {
  RecordStatus status = v1::DnsRecord::NOT_CHECKED;
  std::vector<std::string> found;
  std::vector<std::string> problems;
};

Verdict Found(std::vector<std::string> found) {
  return {v1::DnsRecord::FOUND, std::move(found), {}};
}
Verdict Missing(std::vector<std::string> found, std::string problem) {
  return {v1::DnsRecord::MISSING, std::move(found), {std::move(problem)}};
}
Verdict Mismatched(std::vector<std::string> found, std::vector<std::string> problems) {
  return {v1::DnsRecord::MISMATCHED, std::move(found), std::move(problems)};
}

std::string Quoted(absl::string_view text) { return absl::StrCat("\"", text, "\""); }

// ---- Tag lists: DKIM key records (RFC 6376 §3.2) and DMARC records (RFC 7489 §6.4). ----

struct Tag {
  std::string name;
  std::string value;  // trimmed; inner whitespace kept (p= removes it itself)
};

// "tag=value; tag=value[;]". Tag names are case-sensitive (RFC 6376 §3.2); a name twice makes
// the whole list invalid. The error message is plain words for DnsRecord.problem.
absl::StatusOr<std::vector<Tag>> ParseTagList(absl::string_view text) {
  std::vector<Tag> tags;
  for (absl::string_view spec : absl::StrSplit(text, ';')) {
    if (Trim(spec).empty()) continue;  // the optional trailing ';' (and tolerated ";;")
    const size_t eq = spec.find('=');
    if (eq == spec.npos) {
      return absl::InvalidArgumentError(absl::StrCat(Quoted(Trim(spec)), " is not tag=value"));
    }
    const absl::string_view name = Trim(spec.substr(0, eq));
    bool valid_name = !name.empty() && absl::ascii_isalpha(name[0]);
    for (char c : name) valid_name = valid_name && (absl::ascii_isalnum(c) || c == '_');
    if (!valid_name) {
      return absl::InvalidArgumentError(absl::StrCat(Quoted(name), " is not a tag name"));
    }
    for (const Tag& tag : tags) {
      if (tag.name == name) {
        return absl::InvalidArgumentError(absl::StrCat("tag ", name, "= appears twice"));
      }
    }
    tags.push_back({std::string(name), std::string(Trim(spec.substr(eq + 1)))});
  }
  return tags;
}

const Tag* FindTag(const std::vector<Tag>& tags, absl::string_view name) {
  for (const Tag& tag : tags) {
    if (tag.name == name) return &tag;
  }
  return nullptr;
}

// The first tag with the blanks around '=' dropped ("v = DMARC1; p=none" -> "v=DMARC1"): how
// DMARC, MTA-STS and TLS-RPT records announce themselves.
std::string VersionTag(absl::string_view text) {
  absl::string_view first = Trim(text.substr(0, text.find(';')));
  const size_t eq = first.find('=');
  if (eq == first.npos) return std::string(first);
  return absl::StrCat(Trim(first.substr(0, eq)), "=", Trim(first.substr(eq + 1)));
}

// Whether a TXT record is meant as a DKIM key: it has a p= tag or starts with v=DKIM1, even if
// the rest of it is broken (so a broken key is reported as broken, not as absent).
bool LooksLikeDkimKey(absl::string_view text) {
  if (VersionTag(text) == "v=DKIM1") return true;
  for (absl::string_view spec : absl::StrSplit(text, ';')) {
    if (Trim(spec.substr(0, spec.find('='))) == "p" && absl::StrContains(spec, '=')) return true;
  }
  return false;
}

// The items of a colon-separated tag value (h=, s=), lower case.
std::vector<std::string> ColonList(absl::string_view value) {
  std::vector<std::string> out;
  for (absl::string_view item : absl::StrSplit(value, ':')) {
    out.push_back(absl::AsciiStrToLower(Trim(item)));
  }
  return out;
}

bool Contains(const std::vector<std::string>& list, absl::string_view item) {
  return std::find(list.begin(), list.end(), item) != list.end();
}

// ---- DKIM (RFC 6376 §3.6.1). ----

struct DkimKeyTags {
  std::string k;  // lower case, default "rsa"
  std::string p;  // whitespace removed
};

DkimKeyTags KeyTags(const std::vector<Tag>& tags) {
  DkimKeyTags key;
  const Tag* k = FindTag(tags, "k");
  key.k = k == nullptr ? "rsa" : absl::AsciiStrToLower(k->value);
  const Tag* p = FindTag(tags, "p");
  if (p != nullptr) key.p = RemoveWhitespace(p->value);
  return key;
}

absl::StatusOr<Verdict> CheckDkim(const v1::DnsRecord& record, const DkimKeyTags& expected,
                                  TxtLookups& dns) {
  KIRIM_ASSIGN_OR_RETURN(std::vector<std::string> txt, dns.Get(record.host()));
  if (txt.empty()) {
    return Missing({}, absl::StrCat("no TXT record at ", record.host(),
                                    ": publish the DKIM key record there"));
  }
  std::vector<std::string> keys;
  for (const std::string& t : txt) {
    if (LooksLikeDkimKey(t)) keys.push_back(t);
  }
  if (keys.empty()) {
    return Mismatched(txt, {absl::StrCat("the TXT record at ", record.host(),
                                         " is not a DKIM key record (no p= tag, RFC 6376 "
                                         "§3.6.1): replace it with Kirim's")});
  }
  if (keys.size() > 1) {
    return Mismatched(txt,
                      {absl::StrCat(keys.size(), " DKIM key records published at ", record.host(),
                                    "; RFC 6376 §3.6.2.2 leaves the result "
                                    "undefined when there are several: keep only Kirim's")});
  }
  absl::StatusOr<std::vector<Tag>> tags = ParseTagList(keys[0]);
  if (!tags.ok()) {
    return Mismatched(txt, {absl::StrCat("not a valid DKIM key record: ", tags.status().message(),
                                         " (RFC 6376 §3.2)")});
  }
  const Tag* v = FindTag(*tags, "v");
  if (v != nullptr && (v->value != "DKIM1" || &tags->front() != v)) {
    return Mismatched(txt, {absl::StrCat("v=", v->value,
                                         ": RFC 6376 §3.6.1 allows only v=DKIM1, "
                                         "as the first tag")});
  }
  if (FindTag(*tags, "p") == nullptr) {
    return Mismatched(txt, {"no p= tag: the record holds no key (RFC 6376 §3.6.1)"});
  }
  const DkimKeyTags published = KeyTags(*tags);
  if (published.p.empty()) {
    return Mismatched(txt, {"p= is empty: the key is revoked (RFC 6376 §3.6.1)"});
  }
  if (published.k != expected.k) {
    return Mismatched(txt, {absl::StrCat("k=", published.k, " but Kirim signs with ", expected.k)});
  }
  if (published.p != expected.p) {
    return Mismatched(txt, {"the published key is not the key Kirim signs with"});
  }
  if (const Tag* h = FindTag(*tags, "h");
      h != nullptr && !Contains(ColonList(h->value), "sha256")) {
    return Mismatched(txt, {absl::StrCat("h=", h->value,
                                         " excludes sha256, which Kirim signs "
                                         "with (RFC 6376 §3.6.1)")});
  }
  if (const Tag* s = FindTag(*tags, "s"); s != nullptr) {
    const std::vector<std::string> services = ColonList(s->value);
    if (!Contains(services, "*") && !Contains(services, "email")) {
      return Mismatched(txt, {absl::StrCat("s=", s->value, " excludes email (RFC 6376 §3.6.1)")});
    }
  }
  return Found(txt);
}

// ---- SPF (RFC 7208). ----

// An IPv4 or IPv6 network: ip4:/ip6: terms (RFC 7208 §5.6) and RecordOptions::spf_ips.
struct Network {
  int family = 0;  // AF_INET or AF_INET6
  std::array<uint8_t, 16> bytes{};
  int prefix = 0;
};

// "192.0.2.10", "192.0.2.0/24", "2001:db8::/32". `family` 0 accepts either.
std::optional<Network> ParseNetwork(absl::string_view text, int family) {
  Network net;
  const size_t slash = text.find('/');
  const std::string address(text.substr(0, slash));
  if ((family == 0 || family == AF_INET) &&
      inet_pton(AF_INET, address.c_str(), net.bytes.data()) == 1) {
    net.family = AF_INET;
    net.prefix = 32;
  } else if ((family == 0 || family == AF_INET6) &&
             inet_pton(AF_INET6, address.c_str(), net.bytes.data()) == 1) {
    net.family = AF_INET6;
    net.prefix = 128;
  } else {
    return std::nullopt;
  }
  if (slash != text.npos) {
    int prefix = 0;
    if (!absl::SimpleAtoi(text.substr(slash + 1), &prefix) || prefix < 0 || prefix > net.prefix) {
      return std::nullopt;
    }
    net.prefix = prefix;
  }
  return net;
}

// Whether every address of `inner` is in `outer`.
bool Covers(const Network& outer, const Network& inner) {
  if (outer.family != inner.family || outer.prefix > inner.prefix) return false;
  const int whole = outer.prefix / 8;
  for (int i = 0; i < whole; ++i) {
    if (outer.bytes[i] != inner.bytes[i]) return false;
  }
  const int bits = outer.prefix % 8;
  if (bits == 0) return true;
  const uint8_t mask = static_cast<uint8_t>(0xff << (8 - bits));
  return (outer.bytes[whole] & mask) == (inner.bytes[whole] & mask);
}

// One term of an SPF record (RFC 7208 §4.6.1): a mechanism ("~include:x", "ip4:192.0.2.0/24",
// "mx/24", "-all") or a modifier ("redirect=x").
struct SpfTerm {
  std::string text;  // as published
  bool modifier = false;
  char qualifier = '+';  // mechanisms only; '+' when none was written
  std::string name;      // lower case: "include", "ip4", "redirect", ...
  std::string argument;  // after ':' (mechanisms) or '=' (modifiers); may hold "/cidr"
};

// "v=spf1", case-insensitively, followed by a space or the end (RFC 7208 §4.5).
bool IsSpfRecord(absl::string_view text) {
  return text.size() >= 6 && absl::EqualsIgnoreCase(text.substr(0, 6), "v=spf1") &&
         (text.size() == 6 || text[6] == ' ');
}

std::vector<SpfTerm> ParseSpfTerms(absl::string_view record) {
  std::vector<SpfTerm> terms;
  bool version = true;
  for (absl::string_view text :
       absl::StrSplit(record, absl::ByAnyChar(kWhitespace), absl::SkipEmpty())) {
    if (version) {  // "v=spf1"
      version = false;
      continue;
    }
    SpfTerm term;
    term.text = std::string(text);
    // A modifier is name "=" ... with a name of ALPHA *( ALPHA / DIGIT / "-" / "_" / "." ).
    size_t n = 0;
    while (n < text.size() && (absl::ascii_isalnum(text[n]) || absl::StrContains("-_.", text[n]))) {
      ++n;
    }
    if (n > 0 && absl::ascii_isalpha(text[0]) && n < text.size() && text[n] == '=') {
      term.modifier = true;
      term.name = absl::AsciiStrToLower(text.substr(0, n));
      term.argument = std::string(text.substr(n + 1));
    } else {
      if (absl::StrContains("+-~?", text[0])) {
        term.qualifier = text[0];
        text.remove_prefix(1);
      }
      const size_t end = text.find_first_of(":/");
      term.name = absl::AsciiStrToLower(text.substr(0, end));
      if (end != text.npos)
        term.argument = std::string(text.substr(text[end] == ':' ? end + 1 : end));
    }
    terms.push_back(std::move(term));
  }
  return terms;
}

bool IsKnownMechanism(absl::string_view name) {
  for (absl::string_view known : {"all", "include", "a", "mx", "ptr", "ip4", "ip6", "exists"}) {
    if (name == known) return true;
  }
  return false;
}

// The domain-spec of include:/redirect=, without a trailing dot, lower case.
std::string TargetDomain(const SpfTerm& term) { return dns::CanonicalName(term.argument); }

// Counts the DNS-querying terms of one SPF evaluation (RFC 7208 §4.6.4), following include
// and redirect= targets through DNS. Targets are fetched only while the count is within the
// limit, and never twice on one path, so a loop or a huge tree costs at most ~11 lookups.
class SpfLookupCounter {
 public:
  explicit SpfLookupCounter(TxtLookups& dns) : dns_(dns) {}

  absl::Status Count(absl::string_view domain, const std::vector<SpfTerm>& terms) {
    path_.push_back(dns::CanonicalName(domain));
    absl::Status status = CountTerms(terms);
    path_.pop_back();
    return status;
  }

  int lookups() const { return lookups_; }
  // Some targets were not followed because the count was already over the limit.
  bool stopped() const { return stopped_; }
  // "a.example -> b.example -> a.example", or empty.
  const std::string& loop() const { return loop_; }
  // Broken include/redirect targets, in plain words.
  const std::vector<std::string>& problems() const { return problems_; }

 private:
  absl::Status CountTerms(const std::vector<SpfTerm>& terms) {
    bool has_all = false;
    for (const SpfTerm& term : terms) has_all = has_all || (!term.modifier && term.name == "all");
    for (const SpfTerm& term : terms) {
      // redirect= is ignored when the record has "all" (RFC 7208 §6.1).
      const bool follows =
          term.modifier ? term.name == "redirect" && !has_all : term.name == "include";
      const bool queries =
          follows || (!term.modifier && (term.name == "a" || term.name == "mx" ||
                                         term.name == "ptr" || term.name == "exists"));
      if (!queries) continue;
      ++lookups_;
      if (follows) KIRIM_RETURN_IF_ERROR(Follow(term));
    }
    return absl::OkStatus();
  }

  absl::Status Follow(const SpfTerm& term) {
    const std::string target = TargetDomain(term);
    // Macros (RFC 7208 §7) expand per message; there is nothing to look up here.
    if (target.empty() || absl::StrContains(target, '%')) return absl::OkStatus();
    if (lookups_ > kMaxSpfLookups) {
      stopped_ = true;
      return absl::OkStatus();
    }
    if (std::find(path_.begin(), path_.end(), target) != path_.end()) {
      if (loop_.empty()) loop_ = absl::StrCat(absl::StrJoin(path_, " -> "), " -> ", target);
      return absl::OkStatus();
    }
    KIRIM_ASSIGN_OR_RETURN(std::vector<std::string> txt, dns_.Get(target));
    std::vector<std::string> spf;
    for (const std::string& t : txt) {
      if (IsSpfRecord(t)) spf.push_back(t);
    }
    const std::string what = term.modifier ? absl::StrCat("redirect=", term.argument)
                                           : absl::StrCat("include:", term.argument);
    if (spf.empty()) {
      problems_.push_back(absl::StrCat(what,
                                       " has no SPF record; receivers answer permerror "
                                       "(RFC 7208 §5.2)"));
      return absl::OkStatus();
    }
    if (spf.size() > 1) {
      problems_.push_back(absl::StrCat(what, " has ", spf.size(),
                                       " SPF records; receivers "
                                       "answer permerror (RFC 7208 §3.2)"));
      return absl::OkStatus();
    }
    path_.push_back(target);
    absl::Status status = CountTerms(ParseSpfTerms(spf[0]));
    path_.pop_back();
    return status;
  }

  TxtLookups& dns_;
  int lookups_ = 0;
  bool stopped_ = false;
  std::string loop_;
  std::vector<std::string> path_;
  std::vector<std::string> problems_;
};

absl::StatusOr<Verdict> CheckSpf(const v1::DnsRecord& record, const RecordOptions& options,
                                 TxtLookups& dns) {
  KIRIM_ASSIGN_OR_RETURN(std::vector<std::string> txt, dns.Get(record.host()));
  std::vector<std::string> spf;
  for (const std::string& t : txt) {
    if (IsSpfRecord(t)) spf.push_back(t);
  }
  if (spf.empty()) {
    return Missing(
        {}, absl::StrCat("no SPF record (a TXT record starting \"v=spf1\") at ", record.host()));
  }
  if (spf.size() > 1) {
    return Mismatched(spf, {absl::StrCat(spf.size(),
                                         " SPF records published; RFC 7208 §3.2 "
                                         "allows one, receivers answer permerror: merge them")});
  }
  const std::vector<SpfTerm> terms = ParseSpfTerms(spf[0]);
  std::vector<std::string> problems;

  // Syntax receivers reject outright.
  std::map<std::string, int> modifiers;
  std::vector<Network> authorized;  // ip4:/ip6: networks before "all", not qualified '-'
  bool after_all = false;
  const SpfTerm* all = nullptr;
  for (const SpfTerm& term : terms) {
    if (term.modifier) {
      if (++modifiers[term.name] == 2 && (term.name == "redirect" || term.name == "exp")) {
        problems.push_back(absl::StrCat(term.name,
                                        "= appears twice; RFC 7208 §6 allows it once, "
                                        "receivers answer permerror"));
      }
      continue;
    }
    if (!IsKnownMechanism(term.name)) {
      problems.push_back(absl::StrCat("unknown mechanism ", Quoted(term.text),
                                      "; receivers answer permerror (RFC 7208 §5)"));
      continue;
    }
    if (term.name == "ip4" || term.name == "ip6") {
      std::optional<Network> net =
          ParseNetwork(term.argument, term.name == "ip4" ? AF_INET : AF_INET6);
      if (!net.has_value()) {
        problems.push_back(absl::StrCat(Quoted(term.text), " is not an ",
                                        term.name == "ip4" ? "IPv4" : "IPv6",
                                        " network; receivers answer permerror (RFC 7208 §5.6)"));
      } else if (!after_all && term.qualifier != '-') {
        authorized.push_back(*net);
      }
    }
    if (term.name == "include" && term.argument.empty()) {
      problems.push_back(absl::StrCat(Quoted(term.text),
                                      " names no domain; receivers answer "
                                      "permerror (RFC 7208 §5.2)"));
    }
    if (term.name == "all" && all == nullptr) {
      all = &term;
      after_all = true;
    }
  }
  if (all != nullptr && all->qualifier == '+') {
    problems.push_back(absl::StrCat(Quoted(all->text),
                                    " authorizes every host on the internet: "
                                    "end with ~all or -all"));
  }

  // Kirim's servers must be authorized, before "all" ends the evaluation (RFC 7208 §5.1).
  std::vector<std::string> absent;
  for (const std::string& include : options.spf_includes) {
    bool present = false;
    for (const SpfTerm& term : terms) {
      if (&term == all) break;
      present = present || (!term.modifier && term.name == "include" && term.qualifier != '-' &&
                            TargetDomain(term) == dns::CanonicalName(include));
    }
    if (!present) absent.push_back(absl::StrCat("include:", include));
  }
  for (const std::string& ip : options.spf_ips) {
    const std::optional<Network> wanted = ParseNetwork(ip, 0);  // validated by ValidateRecord
    bool present = false;
    for (const Network& net : authorized) present = present || (wanted && Covers(net, *wanted));
    if (!present) absent.push_back(absl::StrCat(absl::StrContains(ip, ':') ? "ip6:" : "ip4:", ip));
  }
  if (!absent.empty()) {
    problems.push_back(
        absl::StrCat("does not authorize Kirim's servers: add ", absl::StrJoin(absent, " "),
                     all != nullptr ? absl::StrCat(" before ", Quoted(all->text)) : ""));
  }

  // The lookup limit, counted through includes (RFC 7208 §4.6.4).
  SpfLookupCounter counter(dns);
  KIRIM_RETURN_IF_ERROR(counter.Count(record.host(), terms));
  if (!counter.loop().empty()) {
    problems.push_back(absl::StrCat("include loop (", counter.loop(), "): receivers stop after ",
                                    kMaxSpfLookups,
                                    " DNS lookups and answer permerror "
                                    "(RFC 7208 §4.6.4)"));
  } else if (counter.lookups() > kMaxSpfLookups) {
    problems.push_back(absl::StrCat("needs ", counter.stopped() ? "at least " : "",
                                    counter.lookups(), " DNS lookups; RFC 7208 §4.6.4 allows ",
                                    kMaxSpfLookups, ", receivers answer permerror"));
  }
  for (const std::string& p : counter.problems()) problems.push_back(p);

  if (!problems.empty()) return Mismatched(spf, std::move(problems));
  return Found(spf);
}

// ---- DMARC (RFC 7489 §6.3). ----

absl::StatusOr<Verdict> CheckDmarc(const v1::DnsRecord& record, TxtLookups& dns) {
  KIRIM_ASSIGN_OR_RETURN(std::vector<std::string> txt, dns.Get(record.host()));
  std::vector<std::string> dmarc;
  for (const std::string& t : txt) {
    if (VersionTag(t) == "v=DMARC1") dmarc.push_back(t);
  }
  if (dmarc.empty()) {
    return Missing(txt, absl::StrCat("no DMARC record (a TXT record starting \"v=DMARC1\") at ",
                                     record.host()));
  }
  if (dmarc.size() > 1) {
    return Mismatched(txt,
                      {absl::StrCat(dmarc.size(), " DMARC records published at ", record.host(),
                                    "; RFC 7489 §6.6.3 allows one, receivers "
                                    "then apply no DMARC policy at all")});
  }
  absl::StatusOr<std::vector<Tag>> tags = ParseTagList(dmarc[0]);
  if (!tags.ok()) {
    return Mismatched(txt, {absl::StrCat("not a valid DMARC record: ", tags.status().message(),
                                         " (RFC 7489 §6.4)")});
  }
  const Tag* p = FindTag(*tags, "p");
  if (p == nullptr) {
    return Mismatched(txt, {"no p= tag; RFC 7489 §6.3 requires a policy: none, quarantine or "
                            "reject"});
  }
  const std::string policy = absl::AsciiStrToLower(p->value);
  if (policy != "none" && policy != "quarantine" && policy != "reject") {
    return Mismatched(txt, {absl::StrCat("p=", p->value,
                                         " is not a DMARC policy; use none, "
                                         "quarantine or reject (RFC 7489 §6.3)")});
  }
  return Found(txt);
}

// ---- MTA-STS (RFC 8461 §3.1) and TLS-RPT (RFC 8460 §3): advisory. ----

absl::StatusOr<Verdict> CheckVersioned(const v1::DnsRecord& record, absl::string_view version,
                                       absl::string_view what, absl::string_view rfc,
                                       TxtLookups& dns) {
  KIRIM_ASSIGN_OR_RETURN(std::vector<std::string> txt, dns.Get(record.host()));
  int matching = 0;
  for (const std::string& t : txt) matching += VersionTag(t) == version ? 1 : 0;
  if (matching == 0) {
    return Missing(txt, absl::StrCat("no ", what, " record (a TXT record starting ",
                                     Quoted(version), ") at ", record.host()));
  }
  if (matching > 1) {
    return Mismatched(
        txt, {absl::StrCat(matching, " ", what, " records published at ", record.host(), "; ", rfc,
                           " allows one, senders then "
                           "ignore them all")});
  }
  return Found(txt);
}

std::string ExpectedValue(const v1::DnsRecord& record) {
  return absl::StrJoin(record.values(), "");
}

// Refuses records Kirim never builds, before anything is looked up.
absl::Status ValidateRecord(const v1::DnsRecord& record, const RecordOptions& options) {
  const std::string what = absl::StrCat("DNS record ", Quoted(record.host()));
  if (record.type() != "TXT") {
    return absl::InvalidArgumentError(
        absl::StrCat(what, ": type ", Quoted(record.type()), ", want \"TXT\""));
  }
  if (record.host().empty()) return absl::InvalidArgumentError("DNS record without a host");
  switch (record.purpose()) {
    case v1::DnsRecord::DKIM: {
      absl::StatusOr<std::vector<Tag>> tags = ParseTagList(ExpectedValue(record));
      if (!tags.ok() || FindTag(*tags, "p") == nullptr || KeyTags(*tags).p.empty()) {
        return absl::InvalidArgumentError(absl::StrCat(what,
                                                       ": the DKIM value to publish has "
                                                       "no key (p=)"));
      }
      return absl::OkStatus();
    }
    case v1::DnsRecord::SPF:
      for (const std::string& ip : options.spf_ips) {
        if (!ParseNetwork(ip, 0).has_value()) {
          return absl::InvalidArgumentError(absl::StrCat("RecordOptions.spf_ips: ", Quoted(ip),
                                                         " is not an IP address or network"));
        }
      }
      return absl::OkStatus();
    case v1::DnsRecord::DMARC:
    case v1::DnsRecord::MTA_STS:
    case v1::DnsRecord::TLS_RPT:
      return absl::OkStatus();
    default:
      return absl::InvalidArgumentError(absl::StrCat(what, ": no purpose (SPF, DKIM, ...)"));
  }
}

absl::StatusOr<Verdict> Judge(const v1::DnsRecord& record, const RecordOptions& options,
                              TxtLookups& dns) {
  switch (record.purpose()) {
    case v1::DnsRecord::DKIM: {
      absl::StatusOr<std::vector<Tag>> expected = ParseTagList(ExpectedValue(record));
      return CheckDkim(record, KeyTags(*expected), dns);  // ValidateRecord parsed it
    }
    case v1::DnsRecord::SPF:
      return CheckSpf(record, options, dns);
    case v1::DnsRecord::DMARC:
      return CheckDmarc(record, dns);
    case v1::DnsRecord::MTA_STS:
      return CheckVersioned(record, "v=STSv1", "MTA-STS", "RFC 8461 §3.1", dns);
    case v1::DnsRecord::TLS_RPT:
      return CheckVersioned(record, "v=TLSRPTv1", "TLS-RPT", "RFC 8460 §3", dns);
    default:
      return absl::InvalidArgumentError("unreachable: ValidateRecord passed an unknown purpose");
  }
}

// Judges `record` (already validated) and writes the verdict into it.
absl::Status CheckValidated(v1::DnsRecord& record, const RecordOptions& options, TxtLookups& dns) {
  record.clear_found_values();
  record.clear_problem();
  absl::StatusOr<Verdict> verdict = Judge(record, options, dns);
  if (!verdict.ok()) {
    record.set_status(v1::DnsRecord::NOT_CHECKED);
    record.set_problem(absl::StrCat("DNS lookup failed: ", verdict.status().message()));
    return verdict.status();
  }
  record.set_status(verdict->status);
  for (std::string& value : verdict->found) record.add_found_values(std::move(value));
  record.set_problem(absl::StrJoin(verdict->problems, ". "));
  return absl::OkStatus();
}

}  // namespace

DomainVerifier::DomainVerifier(dns::Resolver& resolver, RecordOptions options)
    : resolver_(resolver), options_(std::move(options)) {}

absl::Status DomainVerifier::Check(v1::DnsRecord& record) {
  KIRIM_RETURN_IF_ERROR(ValidateRecord(record, options_));
  TxtLookups dns(resolver_);
  return CheckValidated(record, options_, dns);
}

absl::StatusOr<bool> DomainVerifier::Verify(v1::Domain& domain) {
  std::vector<v1::DnsRecord*> records;
  for (v1::DnsRecord& record : *domain.mutable_records()) records.push_back(&record);
  for (v1::DkimKey& key : *domain.mutable_dkim_keys()) {
    if (key.has_record()) records.push_back(key.mutable_record());
  }
  int required = 0;
  for (const v1::DnsRecord* record : records) {
    KIRIM_RETURN_IF_ERROR(ValidateRecord(*record, options_));
    if (!record->advisory()) ++required;
  }
  if (required == 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("domain ", Quoted(domain.domain()), " has no required DNS record to check"));
  }

  TxtLookups dns(resolver_);
  absl::Status failure;
  bool verified = true;
  for (v1::DnsRecord* record : records) {
    absl::Status checked = CheckValidated(*record, options_, dns);
    if (record->advisory()) continue;
    verified = verified && record->status() == v1::DnsRecord::FOUND;
    if (!checked.ok() && failure.ok()) failure = checked;
  }
  if (!failure.ok()) return failure;
  return verified;
}

}  // namespace kirim::domains
