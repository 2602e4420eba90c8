#include "server/mime/python_email.h"

#include <cstdio>
#include <cstdlib>
#include <fstream>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "gtest/gtest.h"

namespace kirim::testing {
namespace {

// The system interpreter: the one on PATH may be a different build without the same stdlib.
constexpr char kPython[] = "/usr/bin/python3";

// Prints one "key<TAB>hex(value)" line per fact, so no text encoding gets in the way.
constexpr char kScript[] = R"PY(
import hashlib, sys, email, email.policy

def out(key, value):
    if isinstance(value, str):
        value = value.encode("utf-8", "surrogateescape")
    print(key + "\t" + value.hex())

data = open(sys.argv[1], "rb").read()
if data.isascii():
    m = email.message_from_bytes(data, policy=email.policy.default)
    out("parsed-as", "bytes")
else:
    # RFC 6532 header fields: the bytes parser would see undecodable bytes.
    m = email.message_from_string(data.decode("utf-8"), policy=email.policy.default)
    out("parsed-as", "utf-8")

def structure(part):
    if part.is_multipart():
        return part.get_content_type() + "(" + ",".join(structure(p) for p in part.iter_parts()) + ")"
    return part.get_content_type()

out("structure", structure(m))
for part in m.walk():
    for d in part.defects:
        out("defect", type(d).__name__ + ": " + str(d))
    for name, value in part.items():
        for d in getattr(value, "defects", ()):
            out("header-defect", name + ": " + str(d))
out("subject", m["subject"] if m["subject"] is not None else "<none>")
if m["date"] is not None:
    out("date", m["date"].datetime.isoformat())
if m["message-id"] is not None:
    out("message-id", m["message-id"])
for field in ("from", "reply-to", "to", "cc"):
    if m[field] is not None:
        for a in m[field].addresses:
            out(field, a.display_name + "|" + a.addr_spec)
body = m.get_body(preferencelist=("plain",))
if body is not None and body.get_content_type() == "text/plain":
    out("text", body.get_content().replace("\r\n", "\n"))
html = m.get_body(preferencelist=("html",))
if html is not None and html.get_content_type() == "text/html":
    out("html", html.get_content().replace("\r\n", "\n"))
for part in m.walk():
    if part.is_multipart():
        continue
    payload = part.get_payload(decode=True) or b""
    out("leaf-type", part.get_content_type())
    out("leaf-cte", part.get("content-transfer-encoding", ""))
    out("leaf-disposition", part.get_content_disposition() or "")
    out("leaf-filename", part.get_filename() or "")
    out("leaf-cid", part.get("content-id", ""))
    out("leaf-size", str(len(payload)))
    out("leaf-sha256", hashlib.sha256(payload).hexdigest())
    if part.get_content_disposition() in ("attachment", "inline"):
        out("attachment", (part.get_filename() or "") + "|" + (part["content-id"] or "") + "|" +
            part.get_content_disposition())
        out("content", payload)
)PY";

std::string TempDir() {
  const char* tmp = std::getenv("TEST_TMPDIR");
  return tmp != nullptr ? tmp : "/tmp";
}

}  // namespace

PythonFacts ParseWithPython(absl::string_view message) {
  const std::string script = absl::StrCat(TempDir(), "/read_message.py");
  const std::string path = absl::StrCat(TempDir(), "/message.eml");
  std::ofstream(script, std::ios::binary) << kScript;
  std::ofstream(path, std::ios::binary) << message;
  const std::string command = absl::StrCat(kPython, " '", script, "' '", path, "' 2>&1");
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) {
    ADD_FAILURE() << "popen failed";
    return {};
  }
  std::string output;
  char buffer[4096];
  for (size_t n; (n = fread(buffer, 1, sizeof buffer, pipe)) > 0;) output.append(buffer, n);
  const int status = pclose(pipe);
  EXPECT_EQ(status, 0) << output;
  PythonFacts facts;
  for (absl::string_view line : absl::StrSplit(output, '\n', absl::SkipEmpty())) {
    const std::vector<std::string> kv = absl::StrSplit(line, absl::MaxSplits('\t', 1));
    if (kv.size() != 2) {
      ADD_FAILURE() << "unexpected python output: " << line;
      continue;
    }
    facts.emplace(kv[0], absl::HexStringToBytes(kv[1]));
  }
  return facts;
}

std::vector<std::string> All(const PythonFacts& facts, const std::string& key) {
  std::vector<std::string> values;
  for (auto [it, end] = facts.equal_range(key); it != end; ++it) values.push_back(it->second);
  return values;
}

std::string One(const PythonFacts& facts, const std::string& key) {
  const std::vector<std::string> values = All(facts, key);
  EXPECT_EQ(values.size(), 1u) << key;
  return values.empty() ? "" : values.front();
}

}  // namespace kirim::testing
