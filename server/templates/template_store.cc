#include "server/templates/template_store.h"

#include <algorithm>
#include <utility>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "server/auth/api_key_store.h"
#include "server/common/proto_time.h"
#include "server/common/status_macros.h"

namespace kirim {
namespace {

constexpr absl::string_view kNamePrefix = "templates/";

bool IsIdChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
}

}  // namespace

absl::Status ValidateTemplateId(absl::string_view id) {
  if (id.empty()) return absl::InvalidArgumentError("a template id is required");
  if (id.size() > kMaxTemplateIdBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("template id longer than ", kMaxTemplateIdBytes, " characters"));
  }
  if (!std::all_of(id.begin(), id.end(), IsIdChar)) {
    return absl::InvalidArgumentError("template id must be lowercase letters, digits, _ and -");
  }
  return absl::OkStatus();
}

absl::Status CheckTemplateKey(absl::string_view tenant, absl::string_view id) {
  KIRIM_RETURN_IF_ERROR(ValidateTenant(tenant));
  return ValidateTemplateId(id);
}

std::string TemplateName(absl::string_view id) { return absl::StrCat(kNamePrefix, id); }

absl::StatusOr<std::string> ParseTemplateName(absl::string_view name) {
  if (!absl::StartsWith(name, kNamePrefix)) {
    return absl::InvalidArgumentError(
        "not a template name: expected \"templates/{template_id}\"");
  }
  const absl::string_view id = name.substr(kNamePrefix.size());
  if (absl::Status s = ValidateTemplateId(id); !s.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("not a template name: ", s.message()));
  }
  return std::string(id);
}

absl::Status TemplateNotFoundError(absl::string_view id) {
  return absl::NotFoundError(absl::StrCat("template ", TemplateName(id), " not found"));
}

absl::Status TemplateExistsError(absl::string_view id) {
  return absl::AlreadyExistsError(absl::StrCat("template ", TemplateName(id), " already exists"));
}

v1::Template StampTemplate(absl::string_view id, v1::Template t, absl::Time now) {
  t.set_name(TemplateName(id));
  *t.mutable_create_time() = ToProtoTime(now);
  *t.mutable_update_time() = ToProtoTime(now);
  return t;
}

std::string TemplatePageToken(absl::string_view last_id) {
  return absl::WebSafeBase64Escape(last_id);
}

absl::StatusOr<std::string> DecodeTemplatePageToken(absl::string_view page_token) {
  if (page_token.empty()) return std::string();
  std::string id;
  if (absl::WebSafeBase64Unescape(page_token, &id) && TemplatePageToken(id) == page_token &&
      ValidateTemplateId(id).ok()) {
    return id;
  }
  return absl::InvalidArgumentError("malformed page token");
}

absl::StatusOr<TemplatePageRequest> CheckTemplateListArgs(absl::string_view tenant, int page_size,
                                                          absl::string_view page_token) {
  KIRIM_RETURN_IF_ERROR(ValidateTenant(tenant));
  if (page_size < 0) return absl::InvalidArgumentError("page size must not be negative");
  TemplatePageRequest out;
  if (page_size > 0) out.limit = std::min(page_size, kMaxTemplatePageSize);
  KIRIM_ASSIGN_OR_RETURN(out.after, DecodeTemplatePageToken(page_token));
  return out;
}

}  // namespace kirim
