// CaresResolver: the production Resolver, on c-ares (Debian's libc-ares-dev, 1.18).
//
//   CaresOptions options;
//   options.servers = "127.0.0.1:5353";          // empty = the system's /etc/resolv.conf
//   options.timeout = absl::Seconds(2);
//   KIRIM_RETURN_IF_ERROR(CaresResolver::Validate(options));   // when the config is loaded
//   CaresResolver resolver(options);
//   KIRIM_ASSIGN_OR_RETURN(std::vector<MxRecord> mx, resolver.LookupMx("example.com"));
//
// Each lookup asks for exactly the name given, one query per record type (ares_query: no
// search list, no /etc/hosts), because a mail domain is always fully qualified
// (RFC 5321 §2.3.5) and must never be completed with a local suffix. Answers that do not fit a
// 512-byte UDP reply (RFC 1035 §4.2.1) are fetched again over TCP, which long TXT records (DKIM
// keys) need.
//
// Thread-safe: every lookup opens its own c-ares channel and runs its own event loop on the
// calling thread, so lookups never wait on one another. The cost is reading resolv.conf per
// lookup when `servers` is empty, which is small next to a network round trip.
#ifndef KIRIM_SERVER_DNS_CARES_RESOLVER_H_
#define KIRIM_SERVER_DNS_CARES_RESOLVER_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "server/dns/resolver.h"

namespace kirim::dns {

struct CaresOptions {
  // Name servers as "host:port" separated by commas ("127.0.0.1:5353,[::1]:53"; the port
  // defaults to 53). Empty = the servers in /etc/resolv.conf.
  std::string servers;
  // How long one attempt waits for an answer. c-ares doubles it for each later round over all
  // servers, so a lookup against one silent server gives up after about
  // timeout * (2^tries - 1).
  absl::Duration timeout = absl::Seconds(5);
  // Attempts per server before a query fails with kUnavailable.
  int tries = 2;
};

class CaresResolver final : public Resolver {
 public:
  // Bad options make every lookup fail with kInvalidArgument; call Validate() first to learn
  // that at startup instead.
  explicit CaresResolver(CaresOptions options);
  ~CaresResolver() override;
  CaresResolver(const CaresResolver&) = delete;
  CaresResolver& operator=(const CaresResolver&) = delete;

  // kInvalidArgument if c-ares rejects `options` (a malformed server list, a non-positive
  // timeout or tries).
  static absl::Status Validate(const CaresOptions& options);

  absl::StatusOr<std::vector<MxRecord>> LookupMx(const std::string& domain) override;
  absl::StatusOr<std::vector<std::string>> LookupAddresses(const std::string& host) override;
  absl::StatusOr<std::vector<std::string>> LookupTxt(const std::string& name) override;

 private:
  const CaresOptions options_;
};

// Maps a c-ares status (ARES_*) for a query of `type` ("MX", "A", ...) about `name` to the
// Resolver contract's status (see server/dns/resolver.h): ENOTFOUND (NXDOMAIN) and ENODATA
// (NODATA) -> kNotFound; EBADNAME -> kInvalidArgument; ENOMEM -> kResourceExhausted; every
// other failure (ETIMEOUT, ESERVFAIL, EREFUSED, ECONNREFUSED, EBADRESP, ...) -> kUnavailable.
// The message names the query and c-ares's reason.
absl::Status StatusFromAres(int ares_status, absl::string_view type, absl::string_view name);

}  // namespace kirim::dns

#endif  // KIRIM_SERVER_DNS_CARES_RESOLVER_H_
