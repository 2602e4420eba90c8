#include "server/shaping/throttle_reply.h"

#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "server/smtp/reply.h"

namespace kirim {
namespace {

smtp::Reply Parse(const std::vector<std::string>& lines) {
  smtp::ReplyParser parser;
  for (const std::string& line : lines) {
    absl::StatusOr<bool> done = parser.AddLine(line);
    EXPECT_TRUE(done.ok()) << done.status() << " at " << line;
  }
  return parser.Take();
}

struct Case {
  const char* source;
  std::vector<std::string> lines;  // as the server sent them
  bool throttle;
};

// Replies as the providers word them (IPs, ids and hostnames replaced by documentation values),
// each run through the real reply parser, as the delivery worker sees them.
const std::vector<Case>& Cases() {
  static const auto* cases = new std::vector<Case>{
      // Gmail.
      {"gmail 421 4.7.0 unusual rate",
       {"421-4.7.0 [192.0.2.1      15] Our system has detected an unusual rate of",
        "421-4.7.0 unsolicited mail originating from your IP address. To protect our",
        "421-4.7.0 users from spam, mail sent from your IP address has been temporarily",
        "421-4.7.0 rate limited. Please visit",
        "421-4.7.0  https://support.google.com/mail/?p=UnsolicitedRateLimitError to",
        "421 4.7.0 review our Bulk Email Senders Guidelines. a1si1234567qkb.123 - gsmtp"},
       true},
      {"gmail 421 4.7.28",
       {"421-4.7.28 [192.0.2.1      15] Our system has detected an unusual rate of",
        "421-4.7.28 unsolicited mail originating from your IP address. To protect our",
        "421-4.7.28 users from spam, mail sent from your IP address has been temporarily",
        "421 4.7.28 rate limited. - gsmtp"},
       true},
      {"gmail 421 try again later",
       {"421 4.7.0 Try again later, closing connection. (EHLO) s1si1234567wrb.55 - gsmtp"},
       true},
      {"gmail 450 4.2.1 one user receives too fast",
       {"450-4.2.1 The user you are trying to contact is receiving mail at a rate that",
        "450-4.2.1 prevents additional messages from being delivered. Please resend your",
        "450-4.2.1 message at a later point. If the user is able to receive mail at that",
        "450-4.2.1 time, your message will be delivered. For more information, please",
        "450-4.2.1 visit",
        "450 4.2.1  https://support.google.com/mail/?p=ReceivingRate d2si123 - gsmtp"},
       false},
      {"gmail 452 4.2.2 over quota",
       {"452-4.2.2 The email account that you tried to reach is over quota. Please direct",
        "452 4.2.2 the recipient to https://support.google.com/mail/?p=OverQuotaTemp - gsmtp"},
       false},
      {"gmail 451 4.3.0",
       {"451-4.3.0 Mail server temporarily rejected message.",
        "451 4.3.0 x5si123456pfb.12 - gsmtp"},
       false},
      {"gmail 550 5.7.28 (permanent)",
       {"550-5.7.28 [192.0.2.1      15] Our system has detected an unusual rate of",
        "550 5.7.28 unsolicited mail originating from your IP address. - gsmtp"},
       false},
      // Microsoft (Outlook.com, Exchange Online).
      {"outlook 451 4.7.500 server busy",
       {"451 4.7.500 Server busy. Please try again later from [192.0.2.1]. (S77714) "
        "[Name=Protocol Filter Agent][AGT=PFA][MxId=11BA9D6E88E5F1D8] "
        "[BN8NAM11FT066.eop-nam11.prod.protection.outlook.com]"},
       true},
      {"outlook 451 4.7.650 rate limited",
       {"451 4.7.650 The mail server [192.0.2.1] has been temporarily rate limited due to IP "
        "reputation. For e-mail delivery information, see https://postmaster.live.com (S775) "
        "[DM6NAM12FT034.eop-nam12.prod.protection.outlook.com]"},
       true},
      {"outlook.com 421 RP-001",
       {"421 RP-001 (COL004-MC1F9) Unfortunately, some messages from 192.0.2.1 weren't sent. "
        "Please try again. We have limits for how many messages can be sent per hour and per "
        "day. You can also refer to http://mail.live.com/mail/troubleshooting.aspx#errors."},
       true},
      {"exchange 421 4.3.2 concurrent connections",
       {"421 4.3.2 The maximum number of concurrent server connections has exceeded a limit, "
        "closing transmission channel"},
       true},
      {"outlook 452 4.5.3 too many recipients",
       {"452 4.5.3 Too many recipients (AS780090) "
        "[BN8NAM11FT066.eop-nam11.prod.protection.outlook.com]"},
       false},
      {"outlook 451 4.7.0 PRX4",
       {"451 4.7.0 Temporary server error. Please try again later. PRX4 "
        "[AM0PR01MB1234.eurprd01.prod.exchangelabs.com]"},
       false},
      // Yahoo.
      {"yahoo 421 TSS04 volume",
       {"421 4.7.0 [TSS04] Messages from 192.0.2.1 temporarily deferred due to unexpected "
        "volume or user complaints - 4.16.55.1; see https://postmaster.yahooinc.com/error-codes"},
       true},
      {"yahoo 421 TS01 complaints",
       {"421 4.7.0 [TS01] Messages from 192.0.2.1 temporarily deferred due to user complaints "
        "- 4.16.55.1; see https://help.yahoo.com/kb/postmaster/SLN3434.html"},
       true},
      {"yahoo 451 deferred", {"451 Message temporarily deferred - [160]"}, false},
      {"yahoo 554 5.7.9 policy", {"554 5.7.9 Message not accepted for policy reasons."}, false},
      // Postfix, Exim, greylisting.
      {"postfix anvil connections",
       {"421 4.7.0 mx.example.com Error: too many connections from 192.0.2.1"},
       true},
      {"postfix anvil message rate", {"450 4.7.1 Error: too much mail from 192.0.2.1"}, true},
      {"postfix recipient limit", {"452 4.5.3 Error: too many recipients"}, false},
      {"postfix reverse dns",
       {"450 4.7.1 Client host rejected: cannot find your reverse hostname, [192.0.2.1]"},
       false},
      {"exim accept_max_per_host",
       {"421 Too many concurrent SMTP connections from this IP address; please try again later."},
       true},
      {"exim ratelimit defer (a typical ACL message)",
       {"451 Sender rate exceeds 100 messages per 1h"},
       true},
      {"milter-greylist", {"451 4.7.1 Greylisting in action, please come back later"}, false},
      {"postgrey",
       {"450 4.2.0 <bob@example.com>: Recipient address rejected: Greylisted, see "
        "http://postgrey.schweikert.ch/help/example.com.html"},
       false},
      {"plain try again later", {"451 4.7.1 Please try again later"}, false},
      {"tls unavailable", {"454 4.7.0 TLS not available due to local problem"}, false},
      {"rfc 3463 x.4.5 (its own wording)", {"451 4.4.5 Mail system congestion"}, true},
      {"success", {"250 2.0.0 OK rate 5/s accepted"}, false},
  };
  return *cases;
}

TEST(IsThrottleReplyTest, RealReplies) {
  for (const Case& c : Cases()) {
    smtp::Reply reply = Parse(c.lines);
    EXPECT_EQ(IsThrottleReply(reply), c.throttle) << c.source << ": " << reply.ToString();
    EXPECT_EQ(IsThrottleReply(reply.code, reply.enhanced_code, reply.Text()), c.throttle)
        << c.source;
  }
}

TEST(IsThrottleReplyTest, VolumeWordsMatchAtAWordStartOnly) {
  EXPECT_TRUE(IsThrottleReply(451, "4.7.1", "RateLimit exceeded"));
  EXPECT_TRUE(IsThrottleReply(451, "4.7.1", "sending limits reached"));
  EXPECT_TRUE(IsThrottleReply(451, "4.7.1", "you are being throttled"));
  EXPECT_TRUE(IsThrottleReply(451, "4.7.1", "Too\nmany messages"));  // split over two lines
  EXPECT_FALSE(IsThrottleReply(451, "4.7.1", "could not generate a key"));
  EXPECT_FALSE(IsThrottleReply(451, "4.7.1", "unlimited retries, please come back later"));
}

TEST(IsThrottleReplyTest, CodesDecideWhereTheTextCounts) {
  // 421 always; 4.4.5 and 4.7.28 without any text.
  EXPECT_TRUE(IsThrottleReply(421, "", ""));
  EXPECT_TRUE(IsThrottleReply(451, "4.4.5", ""));
  EXPECT_TRUE(IsThrottleReply(450, "4.7.28", ""));
  // Volume words outside 4.7.x and bare 4yz do not count.
  EXPECT_FALSE(IsThrottleReply(451, "4.3.0", "server busy"));
  EXPECT_FALSE(IsThrottleReply(452, "", "too many recipients"));
  EXPECT_FALSE(IsThrottleReply(550, "5.7.1", "rate limited"));
  EXPECT_FALSE(IsThrottleReply(0, "", "too many connections"));
}

}  // namespace
}  // namespace kirim
