// Test helper: reads a message with Python's email package (policy=email.policy.default, the
// strict modern parser of /usr/bin/python3's standard library), an independent reader for what
// the unit tests check against our own decoders, and returns what it found as "facts".
//
//   PythonFacts facts = ParseWithPython(message);
//   EXPECT_THAT(All(facts, "defect"), IsEmpty());
//   EXPECT_EQ(One(facts, "subject"), "Grüße");
//
// Facts, each a (key, UTF-8 or raw bytes value) pair, in message order:
//   parsed-as      "bytes", or "utf-8" for a message with 8-bit header fields (RFC 6532), which
//                  Python reads only from str: the message is decoded as UTF-8 first
//   structure      the MIME tree, e.g. "multipart/mixed(text/plain,application/pdf)"
//   defect         "ClassName: text" for every defect of every part
//   header-defect  "Field: text" for every defect of every header field
//   subject, date (ISO 8601), message-id
//   from, reply-to, to, cc   one "display name|addr-spec" per address
//   text, html     get_body(("plain",)) / (("html",)) content, CRLF turned into LF
//   leaf-type, leaf-cte, leaf-disposition, leaf-filename, leaf-cid, leaf-size, leaf-sha256
//                  one of each per non-multipart part; sha256 in hex, of the decoded payload
//   attachment     "filename|content-id|disposition" per attachment or inline part
//   content        its decoded bytes
// A failure to run Python or to read its output is a test failure.
#ifndef KIRIM_SERVER_MIME_PYTHON_EMAIL_H_
#define KIRIM_SERVER_MIME_PYTHON_EMAIL_H_

#include <map>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"

namespace kirim::testing {

using PythonFacts = std::multimap<std::string, std::string>;

PythonFacts ParseWithPython(absl::string_view message);

// Every value of `key`, in the order Python reported them.
std::vector<std::string> All(const PythonFacts& facts, const std::string& key);

// The single value of `key`; a test failure unless there is exactly one ("" if none).
std::string One(const PythonFacts& facts, const std::string& key);

}  // namespace kirim::testing

#endif  // KIRIM_SERVER_MIME_PYTHON_EMAIL_H_
