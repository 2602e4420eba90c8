// IsThrottleReply: does an SMTP reply mean "you are sending to us too much or too fast"? A yes
// is reported to the DestinationShaper (ReportThrottle), which halves the destination's limits
// for a cool-down. smtp::Classify (server/smtp/reply.h) still decides the message's own fate:
// a throttle reply is also a transient failure, retried later.
//
//   if (IsThrottleReply(reply)) shaper.ReportThrottle(domain, reply.ToString()).IgnoreError();
//
// The rule, most specific first:
// 1. 421 (RFC 5321 §3.8, "closing transmission channel"): yes, whatever the enhanced code. It
//    is how the large providers refuse sessions for volume (Gmail 421-4.7.0/4.7.28 "unusual
//    rate", Yahoo 421 4.7.0 [TSS04] "unexpected volume", Outlook.com 421 RP-001 "limits for how
//    many messages", Exchange Online 421 4.3.2 "maximum number of concurrent connections", Postfix
//    and Exim "too many connections"). The rare 421 for a shutdown or an idle timeout costs a
//    temporary halving, which is harmless.
// 2. Anything but 4yz: no (2yz/3yz succeeded; a 5yz is permanent and slowing down cannot help).
// 3. 4.4.5 (RFC 3463 "mail system congestion") and 4.7.28 (Gmail: rate limited for unsolicited
//    mail, https://support.google.com/a/answer/3726730): yes.
// 4. Another 4.7.x (RFC 3463 §3.8, security or policy status), or no enhanced code at all
//    except 452: yes only if the text speaks of volume or speed, as a word or word start, case
//    insensitively: "rate" (not "generate"), "limit" (not "unlimited"), "throttl", "too many",
//    "too much", "too fast", "slow down", "busy", "congest", "volume". So Outlook's
//    "451 4.7.500 Server busy" and "451 4.7.650 ... temporarily rate limited", and Postfix's
//    "450 4.7.1 Error: too much mail from" are throttles; greylisting ("451 4.7.1 Greylisting in
//    action, please come back later", "451 4.7.1 Please try again later") is NOT: it concerns one
//    sender/recipient pair and a plain "try again later" says nothing about load, so such
//    replies only defer the message. Neither are 4.7.0 TLS or authentication failures.
// 5. Everything else: no. Notably 4.2.x is about one mailbox (Gmail's "450-4.2.1 The user you are
//    trying to contact is receiving mail at a rate that prevents additional messages" throttles
//    that one user, not gmail.com), 4.5.3 / 452 "too many recipients" limits one transaction
//    (RFC 5321 §4.5.3.1.10: send the rest in another one), 4.3.x is the server's own trouble.
#ifndef KIRIM_SERVER_SHAPING_THROTTLE_REPLY_H_
#define KIRIM_SERVER_SHAPING_THROTTLE_REPLY_H_

#include "absl/strings/string_view.h"
#include "server/smtp/reply.h"

namespace kirim {

// `enhanced_code`: the RFC 3463 code as smtp::ReplyParser extracts it ("4.7.0"), or "".
// `text`: the reply's text, without code or enhanced code (all lines).
bool IsThrottleReply(int code, absl::string_view enhanced_code, absl::string_view text);

// The same for a parsed reply.
bool IsThrottleReply(const smtp::Reply& reply);

}  // namespace kirim

#endif  // KIRIM_SERVER_SHAPING_THROTTLE_REPLY_H_
