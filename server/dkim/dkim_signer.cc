#include "server/dkim/dkim_signer.h"

#include <openssl/evp.h>

#include <algorithm>
#include <map>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "server/common/status_macros.h"
#include "server/dkim/alignment.h"
#include "server/dkim/canonicalization.h"

namespace kirim::dkim {
namespace {

// Lower-case, in h= order; "from" is listed once more at the end (see SelectHeaders).
constexpr absl::string_view kSignedHeaders[] = {
    "from",
    "to",
    "cc",
    "subject",
    "date",
    "message-id",
    "mime-version",
    "content-type",
    "content-transfer-encoding",
    "reply-to",
    "in-reply-to",
    "references",
    "list-unsubscribe",
    "list-unsubscribe-post",
};

constexpr absl::string_view kFieldName = "DKIM-Signature";

// RFC 5322 §2.1.1: lines SHOULD be at most 78 characters, excluding the CRLF.
constexpr size_t kMaxLine = 78;

// Builds a folded header field from tokens, breaking lines with CRLF SP before a token that
// would pass kMaxLine.
class FoldedField {
 public:
  explicit FoldedField(absl::string_view name) : text_(absl::StrCat(name, ":")) {
    column_ = text_.size();
  }

  // Adds `token` after a SP (`space_before`) or directly; folds first if it would not fit and
  // this line has something to fold after.
  void Add(absl::string_view token, bool space_before) {
    const size_t needed = token.size() + (space_before ? 1 : 0);
    if (column_ + needed > kMaxLine && column_ > 1) {
      Fold();
      space_before = false;  // the fold's SP separates already
    }
    if (space_before) Append(" ");
    Append(token);
  }

  // Adds `text` directly after what is there, breaking it anywhere (for base64 values).
  void AddBreakable(absl::string_view text) {
    while (!text.empty()) {
      if (column_ >= kMaxLine) Fold();
      const size_t take = std::min(text.size(), kMaxLine - column_);
      Append(text.substr(0, take));
      text.remove_prefix(take);
    }
  }

  const std::string& text() const { return text_; }

 private:
  void Fold() {
    text_ += "\r\n ";
    column_ = 1;
  }
  void Append(absl::string_view s) {
    text_.append(s.data(), s.size());
    column_ += s.size();
  }

  std::string text_;
  size_t column_;
};

std::string Sha256Base64(absl::string_view data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  EVP_Digest(data.data(), data.size(), digest, &size, EVP_sha256(), nullptr);
  return absl::Base64Escape(absl::string_view(reinterpret_cast<const char*>(digest), size));
}

absl::Status ValidateKeys(const std::vector<SigningKey>& keys) {
  if (keys.empty()) return absl::InvalidArgumentError("no DKIM signing keys");
  for (const SigningKey& key : keys) {
    KIRIM_RETURN_IF_ERROR(ValidateSigningDomain(key.domain));
    KIRIM_RETURN_IF_ERROR(ValidateSelector(key.selector));
    if (key.key == nullptr || key.key->empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat("no private key for d=", key.domain, " s=", key.selector));
    }
  }
  return absl::OkStatus();
}

// The single From field's domain; FailedPrecondition unless there is exactly one.
absl::StatusOr<std::string> SingleFromDomain(const std::vector<HeaderField>& fields) {
  const HeaderField* from = nullptr;
  for (const HeaderField& field : fields) {
    if (!absl::EqualsIgnoreCase(field.name, "from")) continue;
    if (from != nullptr) {
      return absl::FailedPreconditionError("the message has more than one From field");
    }
    from = &field;
  }
  if (from == nullptr) return absl::FailedPreconditionError("the message has no From field");
  return FromDomain(from->RawValue());
}

// The h= names and the canonical header data they select, which is the same for every key.
struct SignedHeaders {
  std::vector<std::string> names;
  std::string canonical;
};

SignedHeaders SelectHeaders(const std::vector<HeaderField>& fields) {
  std::map<std::string, std::vector<const HeaderField*>> by_name;
  for (const HeaderField& field : fields) {
    by_name[absl::AsciiStrToLower(field.name)].push_back(&field);
  }
  SignedHeaders out;
  for (absl::string_view name : kSignedHeaders) {
    auto it = by_name.find(std::string(name));
    const std::vector<const HeaderField*> none;
    const std::vector<const HeaderField*>& present = it == by_name.end() ? none : it->second;
    // RFC 6376 §5.4.2: the last instance is signed first.
    for (auto field = present.rbegin(); field != present.rend(); ++field) {
      out.names.emplace_back(name);
      out.canonical += RelaxedHeader((*field)->name, (*field)->RawValue());
    }
  }
  // Over-signing (§8.15): one "from" more than there are From fields. It selects nothing now
  // (§5.4.2: the null string), and a From added later would be selected by it.
  out.names.emplace_back("from");
  return out;
}

absl::StatusOr<std::string> SignatureField(const SigningKey& key, const SignedHeaders& headers,
                                           absl::string_view body_hash,
                                           const SignOptions& options) {
  FoldedField field(kFieldName);
  field.Add("v=1;", true);
  field.Add(absl::StrCat("a=", AlgorithmTag(key.key->algorithm()), ";"), true);
  field.Add("c=relaxed/relaxed;", true);
  field.Add(absl::StrCat("d=", key.domain, ";"), true);
  field.Add(absl::StrCat("s=", key.selector, ";"), true);
  const int64_t t = absl::ToUnixSeconds(options.now);
  field.Add(absl::StrCat("t=", t, ";"), true);
  if (options.expire_after > absl::ZeroDuration()) {
    const int64_t x = t + absl::ToInt64Seconds(absl::Ceil(options.expire_after, absl::Seconds(1)));
    field.Add(absl::StrCat("x=", x, ";"), true);
  }
  // h= may fold after each ':' (RFC 6376 §3.5: hdr-name *( *FWS ":" *FWS hdr-name )).
  for (size_t i = 0; i < headers.names.size(); ++i) {
    const bool last = i + 1 == headers.names.size();
    field.Add(absl::StrCat(i == 0 ? "h=" : "", headers.names[i], last ? ";" : ":"), i == 0);
  }
  field.Add(absl::StrCat("bh=", body_hash, ";"), true);
  field.Add("b=", true);

  // §3.7: the field itself is hashed last, with an empty b= and without its final CRLF.
  const absl::string_view unsigned_field = field.text();
  std::string data = headers.canonical;
  data += RelaxedHeader(kFieldName, unsigned_field.substr(kFieldName.size() + 1));
  data.resize(data.size() - 2);
  KIRIM_ASSIGN_OR_RETURN(const std::string signature, key.key->Sign(data));
  field.AddBreakable(absl::Base64Escape(signature));
  return absl::StrCat(field.text(), "\r\n");
}

}  // namespace

absl::StatusOr<std::string> SignMessage(absl::string_view message,
                                        const std::vector<SigningKey>& keys,
                                        const SignOptions& options) {
  KIRIM_RETURN_IF_ERROR(ValidateKeys(keys));
  if (options.expire_after < absl::ZeroDuration()) {
    return absl::InvalidArgumentError("expire_after is negative");
  }
  if (options.now < absl::UnixEpoch()) {
    return absl::InvalidArgumentError("the signing time is before 1970");
  }
  KIRIM_ASSIGN_OR_RETURN(auto split, SplitMessage(message));
  const auto& [fields, body] = split;
  KIRIM_ASSIGN_OR_RETURN(const std::string from_domain, SingleFromDomain(fields));
  for (const SigningKey& key : keys) {
    if (!DomainsAlign(from_domain, key.domain)) {
      return absl::FailedPreconditionError(
          absl::StrCat("d=", key.domain, " does not align with the From domain ", from_domain,
                       " (DMARC needs it equal or a parent domain)"));
    }
  }

  const SignedHeaders headers = SelectHeaders(fields);
  const std::string body_hash = Sha256Base64(RelaxedBody(body));
  std::vector<const SigningKey*> ordered;
  for (const SigningKey& key : keys) ordered.push_back(&key);
  std::stable_partition(ordered.begin(), ordered.end(), [](const SigningKey* key) {
    return key->key->algorithm() == Algorithm::kRsaSha256;
  });

  std::string out;
  for (const SigningKey* key : ordered) {
    KIRIM_ASSIGN_OR_RETURN(const std::string field,
                           SignatureField(*key, headers, body_hash, options));
    out += field;
  }
  out.append(message.data(), message.size());
  return out;
}

}  // namespace kirim::dkim
