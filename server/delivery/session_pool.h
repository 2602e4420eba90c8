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
#include <memory>
#include <string>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "server/common/clock.h"
#include "server/delivery/router.h"
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
  // Declared before `client`, which refers to it, so it is destroyed after it.
  std::unique_ptr<smtp::Connection> connection;
  std::unique_ptr<smtp::SmtpClient> client;
  int messages = 0;
  absl::Time idle_since;
  bool reused = false;
};

class SessionPool {
 public:
  SessionPool(smtp::Connector& connector, const Clock& clock, SessionPoolOptions options)
      : connector_(connector), clock_(clock), options_(options) {}
  ~SessionPool();

  // A ready session to `target` (handshake done). On failure returns null and fills `failure`
  // with the phase and reply (or local error) that stopped it.
  std::unique_ptr<PooledSession> Acquire(const Target& target, const smtp::ClientOptions& client,
                                         smtp::TransactionResult* failure);
  // Gives a session back after a transaction; it is kept if still usable, else closed (QUIT).
  void Release(std::unique_ptr<PooledSession> session);
  // Closes idle sessions past their idle timeout.
  void CloseExpired();
  // Open idle sessions (for tests and metrics).
  int idle_count();

 private:
  static std::string KeyOf(const Target& target, const smtp::ClientOptions& client);

  smtp::Connector& connector_;
  const Clock& clock_;
  const SessionPoolOptions options_;
  absl::Mutex mu_;
  std::map<std::string, std::vector<std::unique_ptr<PooledSession>>> idle_ ABSL_GUARDED_BY(mu_);
};

}  // namespace kirim

#endif  // KIRIM_SERVER_DELIVERY_SESSION_POOL_H_
