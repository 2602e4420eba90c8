// Reading the files kirimctl is pointed at (bodies, attachments, recipients, the API key, TLS
// material, the config file), with an error that names the path and the reason.
//
//   absl::StatusOr<std::string> text = ReadFile(path);   // NotFound: "cannot read x: No such file"
#ifndef KIRIM_CLIENT_CTL_FILES_H_
#define KIRIM_CLIENT_CTL_FILES_H_

#include <string>

#include "absl/status/statusor.h"

namespace kirim::ctl {

// The whole file, bytes as they are. NotFound when it does not exist, PermissionDenied when it
// cannot be opened, Unavailable on a read error; the message names `path`.
absl::StatusOr<std::string> ReadFile(const std::string& path);

}  // namespace kirim::ctl

#endif  // KIRIM_CLIENT_CTL_FILES_H_
