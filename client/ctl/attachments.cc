#include "client/ctl/attachments.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "client/ctl/files.h"

namespace kirim::ctl {

std::string GuessContentType(absl::string_view filename) {
  // The types people attach most; anything else is sent as bytes, which every mail client
  // offers to save.
  static constexpr struct {
    const char* extension;
    const char* type;
  } kTypes[] = {
      {"pdf", "application/pdf"},     {"txt", "text/plain"},
      {"csv", "text/csv"},            {"html", "text/html"},
      {"htm", "text/html"},           {"md", "text/markdown"},
      {"ics", "text/calendar"},       {"json", "application/json"},
      {"xml", "application/xml"},     {"zip", "application/zip"},
      {"gz", "application/gzip"},     {"png", "image/png"},
      {"jpg", "image/jpeg"},          {"jpeg", "image/jpeg"},
      {"gif", "image/gif"},           {"webp", "image/webp"},
      {"svg", "image/svg+xml"},       {"eml", "message/rfc822"},
      {"doc", "application/msword"},
      {"docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"},
      {"xls", "application/vnd.ms-excel"},
      {"xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"},
      {"odt", "application/vnd.oasis.opendocument.text"},
  };
  const size_t dot = filename.rfind('.');
  if (dot == absl::string_view::npos || dot == 0) return "application/octet-stream";
  const std::string extension = absl::AsciiStrToLower(filename.substr(dot + 1));
  for (const auto& t : kTypes) {
    if (extension == t.extension) return t.type;
  }
  return "application/octet-stream";
}

absl::StatusOr<v1::Attachment> AttachmentFromFile(const std::string& path) {
  const size_t slash = path.rfind('/');
  const std::string name = slash == std::string::npos ? path : path.substr(slash + 1);
  if (name.empty()) {
    return absl::InvalidArgumentError(absl::StrCat("--attach: ", path, " names no file"));
  }
  absl::StatusOr<std::string> content = ReadFile(path);
  if (!content.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("--attach: ", content.status().message()));
  }
  v1::Attachment a;
  a.set_filename(name);
  a.set_content_type(GuessContentType(name));
  a.set_content(*std::move(content));
  return a;
}

}  // namespace kirim::ctl
