// SMTP replies: the parsed form of what a remote server answered, the incremental parser that
// builds it from reply lines, and Classify(), the one place that decides whether a reply means
// "done", "try again later" or "give up".
//
//   ReplyParser parser;
//   for (;;) {
//     KIRIM_ASSIGN_OR_RETURN(std::string line, conn.ReadLine(timeout));
//     KIRIM_ASSIGN_OR_RETURN(bool done, parser.AddLine(line));
//     if (done) break;
//   }
//   Reply reply = parser.Take();          // e.g. {550, "5.1.1", {"No such user"}}
//   if (Classify(reply) == ReplyClass::kPermanent) Bounce(reply.ToString());
//
// Implements RFC 5321 §4.2 (reply syntax, multi-line replies), §4.2.1 (reply code classes) and
// recognises RFC 3463 / RFC 2034 enhanced status codes.
#ifndef KIRIM_SERVER_SMTP_REPLY_H_
#define KIRIM_SERVER_SMTP_REPLY_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace kirim::smtp {

// One complete (possibly multi-line) reply, kept exactly as the server worded it so that
// bounces and logs can quote the remote text.
struct Reply {
  int code = 0;                    // 0 = no reply received
  std::string enhanced_code;       // RFC 3463 "x.y.z" if the first line carries one, else ""
  std::vector<std::string> lines;  // text of each line without code, separator or enhanced code

  // The lines joined with "\n".
  std::string Text() const;
  // One-line rendering for logs and Status messages, e.g.
  // "535 5.7.8 Authentication credentials invalid". Lines of a multi-line reply are joined with
  // a space because servers split one sentence over several lines (Gmail's 550-5.1.1 replies).
  std::string ToString() const;
};

enum class ReplyClass { kPositive, kTransient, kPermanent };

// THE place that decides transient vs permanent (RFC 5321 §4.2.1): 2yz and 3yz are positive
// (3yz is an intermediate "go on", e.g. 354 or 334), 4yz is a transient negative completion,
// 5yz a permanent one.
//
// Anything else (code 0 = no reply, 1yz which SMTP never uses, codes outside 100..599) is
// transient: a reply we cannot interpret says nothing reliable about the message, and bouncing
// mail because of a garbled line would lose it, whereas a retry costs only time.
ReplyClass Classify(const Reply& reply);

// Incremental parser for one reply (RFC 5321 §4.2): "250-text" continues the reply, "250 text"
// or a bare "250" ends it; every line must carry the same code.
//
// RFC 5321 §4.5.3.1.5 limits reply lines to 512 octets including CRLF; real servers exceed that
// with long banners, so lines of up to kMaxLineLength octets are accepted. A reply may have at
// most kMaxLines lines so that a hostile server cannot make the client buffer without bound.
//
// Errors are InvalidArgument and describe the offending line; the parser must then be
// discarded (or Take() to reset it). Not thread-safe.
class ReplyParser {
 public:
  static constexpr size_t kMaxLineLength = 4096;
  static constexpr size_t kMaxLines = 1000;

  // Feeds one line, without its CRLF. Returns true when the reply is complete; call Take()
  // before adding the first line of the next reply (FailedPrecondition otherwise).
  absl::StatusOr<bool> AddLine(absl::string_view line);

  // Returns the reply built so far and resets the parser for the next reply.
  Reply Take();

 private:
  Reply reply_;
  bool complete_ = false;
};

}  // namespace kirim::smtp

#endif  // KIRIM_SERVER_SMTP_REPLY_H_
