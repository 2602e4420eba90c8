// SessionPool: open SMTP sessions kept for reuse, per destination. Opening a session costs a
// TCP handshake, a greeting, EHLO and often a TLS handshake and AUTH; a busy destination gets
// many messages over one session instead (RFC 5321 §4.1.4: RSET between transactions), which is
// what keeps Kirim fast and polite. Sessions are keyed by everything that made them (address,
// port, TLS mode and name, credentials), idle ones are closed after idle_timeout, and a session
// carries at most max_messages before it is retired.
//
// Thread-safe; a session is used by one thread at a time (Acquire hands it out, Release takes
// it back).
//
//   auto s = pool.Acquire(target, client_options, &failure);  // reused (after RSET) or new
//   if (s) { result = s->client->Send(envelope, content); pool.Release(std::move(s)); }
#ifndef KIRIM_SERVER_DELIVERY_SESSION_POOL_H_
#define KIRIM_SERVER_DELIVERY_SESSION_POOL_H_

#include <map>
#include <optional>
#include <memory>
#include <string>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "server/common/clock.h"
#include "server/delivery/router.h"
#include "server/shaping/destination_policy.h"
#include "server/shaping/destination_shaper.h"
#include "server/smtp/smtp_client.h"
#include "server/smtp/transport.h"

namespace kirim {

struct SessionPoolOptions {
  // Idle sessions kept per destination (0 disables reuse).
  int max_idle_per_destination = 4;
  // An idle session older than this is closed instead of reused (servers drop idle clients;
  // RFC 5321 §4.5.3.2.7 lets them after 5 minutes).
  absl::Duration idle_timeout = absl::Seconds(30);
  // Transactions per session before it is retired.
  int max_messages = 100;
  absl::Duration connect_timeout = absl::Seconds(30);
};

struct PooledSession {
  std::string key;
  // The destination whose connection slot this session holds (per-destination shaping).
  std::string destination;
  std::optional<Permit> permit;
  // In DIRECT mode also a slot of the MX host itself ("mx:<host>"): many domains share one
  // provider's MX hosts, and the host's limit protects it whichever domain the mail is for.
  std::optional<Permit> host_permit;
  // Declared before `client`, which refers to it, so it is destroyed after it.
  std::unique_ptr<smtp::Connection> connection;
  std::unique_ptr<smtp::SmtpClient> client;
  int messages = 0;
  absl::Time idle_since;
  bool reused = false;
};

class SessionPool {
 public:
  // `shaper` (may be null) enforces per-destination limits across every worker process: a new
  // session needs a connection slot, each transaction a rate token.
  // `policy` (may be null) gives each destination's messages per session.
  SessionPool(smtp::Connector& connector, const Clock& clock, SessionPoolOptions options,
              DestinationShaper* shaper = nullptr, const DestinationPolicy* policy = nullptr)
      : connector_(connector), clock_(clock), options_(options), shaper_(shaper), policy_(policy) {}
  ~SessionPool();

  // A ready session to `target` (handshake done) for mail to `destination`. On failure returns
  // null and fills `failure` with the phase and reply (or local error) that stopped it; when
  // shaping refused, the phase is "shaping", the reply a synthetic 451 4.4.5 and `retry_after`
  // says when the destination has room again.
  std::unique_ptr<PooledSession> Acquire(const Target& target, const smtp::ClientOptions& client,
                                         const std::string& destination,
                                         smtp::TransactionResult* failure,
                                         absl::Duration* retry_after = nullptr);
  // Tells the shaper a destination asked us to slow down (421, 4.7.x rate replies).
  void ReportReply(const std::string& destination, const smtp::Reply& reply);
  // Gives a session back after a transaction; it is kept if still usable, else closed (QUIT).
  void Release(std::unique_ptr<PooledSession> session);
  // Closes idle sessions past their idle timeout.
  void CloseExpired();
  // Open idle sessions (for tests and metrics).
  int idle_count();

 private:
  static std::string KeyOf(const Target& target, const smtp::ClientOptions& client);
  // QUIT and give the connection slot back.
  void Close(std::unique_ptr<PooledSession> session);
  // A refusal by the shaper, as a transaction failure.
  static void Shaped(const ShapingDecision& d, smtp::TransactionResult* failure,
                     absl::Duration* retry_after);

  smtp::Connector& connector_;
  const Clock& clock_;
  const SessionPoolOptions options_;
  DestinationShaper* const shaper_;
  const DestinationPolicy* const policy_;
  absl::Mutex mu_;
  std::map<std::string, std::vector<std::unique_ptr<PooledSession>>> idle_ ABSL_GUARDED_BY(mu_);
};

}  // namespace kirim

#endif  // KIRIM_SERVER_DELIVERY_SESSION_POOL_H_
