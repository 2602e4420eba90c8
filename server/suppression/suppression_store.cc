#include "server/suppression/suppression_store.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "server/address/address.h"
#include "server/auth/api_key_store.h"
#include "server/common/proto_time.h"
#include "server/common/status_macros.h"
#include "server/common/text.h"

namespace kirim {
namespace {

constexpr absl::string_view kNamePrefix = "suppressions/";

}  // namespace

v1::Suppression SuppressionEntry::ToProto() const {
  v1::Suppression out;
  out.set_name(SuppressionName(address));
  out.set_address(address);
  out.set_reason(reason);
  out.set_detail(detail);
  *out.mutable_create_time() = ToProtoTime(create_time);
  return out;
}

absl::StatusOr<std::string> CanonicalAddress(absl::string_view address) {
  KIRIM_ASSIGN_OR_RETURN(Mailbox parsed, ParseAddrSpec(address));
  return parsed.Address();
}

std::string NormalizeAddress(absl::string_view address) {
  absl::StatusOr<std::string> canonical = CanonicalAddress(address);
  if (canonical.ok()) return *std::move(canonical);
  const size_t at = address.rfind('@');
  if (at == absl::string_view::npos) return std::string(address);
  return absl::StrCat(address.substr(0, at + 1), absl::AsciiStrToLower(address.substr(at + 1)));
}

std::string SuppressionName(absl::string_view address) {
  return absl::StrCat(kNamePrefix, address);
}

absl::StatusOr<std::string> ParseSuppressionName(absl::string_view name) {
  if (!absl::StartsWith(name, kNamePrefix)) {
    return absl::InvalidArgumentError("not a suppression name: expected \"suppressions/{address}\"");
  }
  absl::StatusOr<std::string> address = CanonicalAddress(name.substr(kNamePrefix.size()));
  if (!address.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("not a suppression name: invalid address: ", address.status().message()));
  }
  return address;
}

absl::Status ValidateSuppressionReason(v1::Suppression::Reason reason) {
  if (reason == v1::Suppression::REASON_UNSPECIFIED) {
    return absl::InvalidArgumentError("a reason is required");
  }
  if (!v1::Suppression::Reason_IsValid(reason)) {
    return absl::InvalidArgumentError("unknown reason");
  }
  return absl::OkStatus();
}

absl::Status ValidateSuppressionDetail(absl::string_view detail) {
  if (detail.size() > kMaxSuppressionDetailBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("detail longer than ", kMaxSuppressionDetailBytes, " bytes"));
  }
  if (!IsValidUtf8(detail)) return absl::InvalidArgumentError("detail is not valid UTF-8");
  for (char c : detail) {
    const auto u = static_cast<unsigned char>(c);
    if ((u < 0x20 && c != '\t' && c != '\n') || u == 0x7f) {
      return absl::InvalidArgumentError("detail contains a control character");
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<SuppressionEntry> CheckSuppressionEntry(absl::string_view tenant,
                                                       SuppressionEntry entry) {
  KIRIM_RETURN_IF_ERROR(ValidateTenant(tenant));
  KIRIM_ASSIGN_OR_RETURN(entry.address, CanonicalAddress(entry.address));
  KIRIM_RETURN_IF_ERROR(ValidateSuppressionReason(entry.reason));
  KIRIM_RETURN_IF_ERROR(ValidateSuppressionDetail(entry.detail));
  return entry;
}

int SuppressionReasonRank(v1::Suppression::Reason reason) {
  switch (reason) {
    case v1::Suppression::MANUAL:
      return 1;
    case v1::Suppression::HARD_BOUNCE:
      return 2;
    case v1::Suppression::UNSUBSCRIBE:
      return 3;
    case v1::Suppression::COMPLAINT:
      return 4;
    default:
      return 0;
  }
}

std::optional<SuppressionEntry> MergeSuppression(const std::optional<SuppressionEntry>& stored,
                                                 const SuppressionEntry& incoming) {
  if (!stored.has_value()) return incoming;
  const int have = SuppressionReasonRank(stored->reason);
  const int want = SuppressionReasonRank(incoming.reason);
  if (want > have) return incoming;
  if (want < have || incoming.create_time < stored->create_time) return std::nullopt;
  if (incoming.detail == stored->detail && incoming.create_time == stored->create_time) {
    return std::nullopt;  // a repeat: nothing to write
  }
  return incoming;
}

absl::Status ValidatePageSize(int page_size) {
  if (page_size < 0) return absl::InvalidArgumentError("page size must not be negative");
  return absl::OkStatus();
}

absl::StatusOr<std::string> DecodeSuppressionPageToken(absl::string_view page_token) {
  if (page_token.empty()) return std::string();
  // Only tokens List made: the base64url of an address in its normalized form.
  std::string address;
  if (absl::WebSafeBase64Unescape(page_token, &address) &&
      SuppressionPageToken(address) == page_token) {
    absl::StatusOr<std::string> canonical = CanonicalAddress(address);
    if (canonical.ok() && *canonical == address) return address;
  }
  return absl::InvalidArgumentError("malformed page token");
}

std::string SuppressionPageToken(absl::string_view last_address) {
  return absl::WebSafeBase64Escape(last_address);
}

absl::StatusOr<SuppressionPageRequest> CheckListArgs(absl::string_view tenant, int page_size,
                                                     absl::string_view page_token) {
  KIRIM_RETURN_IF_ERROR(ValidateTenant(tenant));
  KIRIM_RETURN_IF_ERROR(ValidatePageSize(page_size));
  SuppressionPageRequest out;
  if (page_size > 0) out.limit = std::min(page_size, kMaxSuppressionPageSize);
  KIRIM_ASSIGN_OR_RETURN(out.after, DecodeSuppressionPageToken(page_token));
  return out;
}

}  // namespace kirim
