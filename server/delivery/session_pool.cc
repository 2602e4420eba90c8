#include "server/delivery/session_pool.h"

#include "absl/strings/str_cat.h"

namespace kirim {

SessionPool::~SessionPool() {
  absl::MutexLock lock(&mu_);
  for (auto& [key, sessions] : idle_) {
    for (auto& s : sessions) s->client->Quit();
  }
}

std::string SessionPool::KeyOf(const Target& t, const smtp::ClientOptions& c) {
  // Everything that shaped the session: a session authenticated as one user, or verified for
  // one name, must never carry another's mail.
  return absl::StrCat(t.address, "|", t.port, "|", static_cast<int>(t.tls), "|",
                      t.tls_server_name.empty() ? t.host : t.tls_server_name, "|", c.username,
                      "|", c.helo_name);
}

std::unique_ptr<PooledSession> SessionPool::Acquire(const Target& target,
                                                    const smtp::ClientOptions& client,
                                                    smtp::TransactionResult* failure) {
  const std::string key = KeyOf(target, client);
  CloseExpired();  // idle sockets of quiet destinations are not kept open for ever
  while (true) {
    std::unique_ptr<PooledSession> idle;
    {
      absl::MutexLock lock(&mu_);
      auto it = idle_.find(key);
      if (it == idle_.end() || it->second.empty()) break;
      idle = std::move(it->second.back());
      it->second.pop_back();
    }
    if (clock_.Now() - idle->idle_since > options_.idle_timeout) {
      idle->client->Quit();
      continue;
    }
    // RSET proves the session is alive and clears any state (RFC 5321 §4.1.1.5); a server that
    // dropped it meanwhile just costs a new connection.
    if (idle->client->Reset().ok() && idle->client->usable()) {
      idle->reused = true;
      return idle;
    }
  }

  auto session = std::make_unique<PooledSession>();
  session->key = key;
  smtp::ClientOptions options = client;
  options.tls = target.tls;
  options.tls_options.server_name =
      target.tls_server_name.empty() ? target.host : target.tls_server_name;
  auto conn = connector_.Connect(target.address, target.port, options_.connect_timeout,
                                 target.tls == smtp::TlsMode::kImplicit ? &options.tls_options
                                                                        : nullptr);
  if (!conn.ok()) {
    failure->failed_phase = "connect";
    failure->local_error = conn.status();
    return nullptr;
  }
  session->connection = std::move(*conn);
  session->client = std::make_unique<smtp::SmtpClient>(*session->connection, std::move(options));
  smtp::SessionResult hello = session->client->Handshake();
  if (!hello.ok()) {
    static_cast<smtp::SessionResult&>(*failure) = hello;
    session->client->Quit();
    return nullptr;
  }
  return session;
}

void SessionPool::Release(std::unique_ptr<PooledSession> session) {
  ++session->messages;
  if (!session->client->usable() || session->messages >= options_.max_messages ||
      options_.max_idle_per_destination <= 0) {
    session->client->Quit();
    return;
  }
  session->idle_since = clock_.Now();
  std::unique_ptr<PooledSession> surplus;
  {
    absl::MutexLock lock(&mu_);
    auto& list = idle_[session->key];
    list.push_back(std::move(session));
    if (static_cast<int>(list.size()) > options_.max_idle_per_destination) {
      surplus = std::move(list.front());
      list.erase(list.begin());
    }
  }
  if (surplus) surplus->client->Quit();  // outside the lock: QUIT waits on the network
}

void SessionPool::CloseExpired() {
  std::vector<std::unique_ptr<PooledSession>> expired;
  {
    absl::MutexLock lock(&mu_);
    const absl::Time now = clock_.Now();
    for (auto& [key, list] : idle_) {
      for (auto it = list.begin(); it != list.end();) {
        if (now - (*it)->idle_since > options_.idle_timeout) {
          expired.push_back(std::move(*it));
          it = list.erase(it);
        } else {
          ++it;
        }
      }
    }
  }
  for (auto& s : expired) s->client->Quit();
}

int SessionPool::idle_count() {
  absl::MutexLock lock(&mu_);
  int n = 0;
  for (const auto& [key, list] : idle_) n += static_cast<int>(list.size());
  return n;
}

}  // namespace kirim
