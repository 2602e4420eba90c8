#include "server/delivery/sandbox_deliverer.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "server/common/logger.h"

namespace kirim {
namespace {

// Writes `data` to `path` so that it appears complete or not at all.
absl::Status WriteAtomically(const std::string& path, absl::string_view data) {
  const std::string tmp = path + ".tmp";
  int fd = open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return absl::UnavailableError(absl::StrCat("open ", tmp, ": ", std::strerror(errno)));
  size_t off = 0;
  while (off < data.size()) {
    ssize_t n = write(fd, data.data() + off, data.size() - off);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      int err = errno;
      close(fd);
      unlink(tmp.c_str());
      return absl::UnavailableError(absl::StrCat("write ", tmp, ": ", std::strerror(err)));
    }
    off += static_cast<size_t>(n);
  }
  if (fsync(fd) != 0 || close(fd) != 0) {
    unlink(tmp.c_str());
    return absl::UnavailableError(absl::StrCat("fsync ", tmp, ": ", std::strerror(errno)));
  }
  if (rename(tmp.c_str(), path.c_str()) != 0) {
    unlink(tmp.c_str());
    return absl::UnavailableError(absl::StrCat("rename ", path, ": ", std::strerror(errno)));
  }
  return absl::OkStatus();
}

absl::Status MakeDirs(const std::string& dir) {
  for (size_t pos = 1; pos <= dir.size(); ++pos) {
    if (pos == dir.size() || dir[pos] == '/') {
      std::string part = dir.substr(0, pos);
      if (mkdir(part.c_str(), 0755) != 0 && errno != EEXIST) {
        return absl::UnavailableError(absl::StrCat("mkdir ", part, ": ", std::strerror(errno)));
      }
    }
  }
  return absl::OkStatus();
}

}  // namespace

DeliveryReport SandboxDeliverer::Deliver(const smtp::Envelope& envelope,
                                         absl::string_view content,
                                         absl::string_view message_id) {
  DeliveryReport report;
  report.remote = "sandbox";
  const std::string eml = absl::StrCat(dir_, "/", message_id, ".eml");
  std::string json = "{\"mail_from\":";
  AppendJsonString(&json, envelope.mail_from);
  json.append(",\"rcpt_to\":[");
  for (size_t i = 0; i < envelope.rcpt_to.size(); ++i) {
    if (i) json.push_back(',');
    AppendJsonString(&json, envelope.rcpt_to[i]);
  }
  json.append("]}\n");

  absl::Status s = MakeDirs(dir_);
  // The envelope first: once the .eml exists, everything about the message is there.
  if (s.ok()) s = WriteAtomically(absl::StrCat(dir_, "/", message_id, ".envelope.json"), json);
  if (s.ok()) s = WriteAtomically(eml, content);

  smtp::Reply reply;
  if (s.ok()) {
    reply.code = 250;
    reply.enhanced_code = "2.0.0";
    reply.lines = {absl::StrCat("sandbox: written to ", eml)};
  } else {
    // A full disk is transient for mail purposes: retry later, lose nothing.
    reply.code = 451;
    reply.enhanced_code = "4.3.0";
    reply.lines = {absl::StrCat("sandbox: ", s.message())};
    report.error = std::string(s.message());
    report.failed_phase = "data";
  }
  report.reply = reply;
  for (const std::string& rcpt : envelope.rcpt_to) {
    report.recipients.push_back({rcpt, reply, smtp::Classify(reply)});
  }
  return report;
}

}  // namespace kirim
