// A real DNS server for tests: tests/peers/dns_server.py (Debian's python3-dnslib) serving a
// zone file over UDP and TCP on 127.0.0.1, on a port the kernel picked. Tests wait on the lines
// it prints ("PORT <n>", "QUERY tcp txt.test. TXT NOERROR", "RELOADED <n>"), never by sleeping.
//
//   DnsPeer dns;
//   ASSERT_OK(dns.Start({.zone = "example.test. 300 IN MX 10 mx.example.test.\n"}));
//   CaresResolver resolver({.servers = dns.server()});
//   ... resolver.LookupMx("example.test") ...
//   ASSERT_OK(dns.WaitForQuery("QUERY udp example.test. MX", absl::Seconds(10)));
//   ASSERT_OK(dns.SetZone("example.test. 300 IN MX 10 mx2.example.test.\n"));  // same port
//   ... resolver.LookupMx("example.test") now sees mx2 ...
//
// Not thread-safe: one thread drives the peer (lookups against it may come from any thread).
#ifndef KIRIM_TESTS_DNS_DNS_PEER_H_
#define KIRIM_TESTS_DNS_DNS_PEER_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "tests/harness/subprocess.h"

namespace kirim::testing {

struct DnsPeerOptions {
  // The zone in master-file syntax (RFC 1035 §5), absolute names ("example.test.").
  std::string zone;
  // "name=RCODE" (SERVFAIL, REFUSED, NOTIMP, FORMERR): every query for name gets that answer.
  std::vector<std::string> fail;
};

class DnsPeer {
 public:
  DnsPeer();
  absl::Status Start(const DnsPeerOptions& options);
  // SIGTERM; returns the waitpid status (0: the server exits cleanly on SIGTERM).
  int Stop() { return process_.Stop(); }

  int port() const { return port_; }
  // "127.0.0.1:<port>", the form CaresOptions::servers takes.
  std::string server() const;

  // Replaces the zone (the same syntax as DnsPeerOptions::zone; the --fail answers stay):
  // rewrites the zone file, sends SIGHUP and waits for the server's "RELOADED <n>". Every query
  // sent after this returns is answered from the new zone. kInvalidArgument if the server
  // cannot parse `zone` (it keeps serving the old one), kFailedPrecondition before Start,
  // kDeadlineExceeded if the server neither reloads nor exits within `timeout`.
  absl::Status SetZone(const std::string& zone, absl::Duration timeout = absl::Seconds(30));

  // Waits for an answered query logged as a line starting with `prefix`, e.g.
  // "QUERY tcp txt.test. TXT" (protocol, name as asked, type, then the RCODE).
  absl::StatusOr<std::string> WaitForQuery(const std::string& prefix,
                                           absl::Duration timeout = absl::Seconds(30));

 private:
  absl::Status WriteZone(const std::string& zone);

  std::string dir_;
  std::string zone_file_;
  int port_ = 0;
  // SIGHUPs sent so far: the n the server prints in "RELOADED <n>".
  int reloads_ = 0;
  Subprocess process_;
};

}  // namespace kirim::testing

#endif  // KIRIM_TESTS_DNS_DNS_PEER_H_
