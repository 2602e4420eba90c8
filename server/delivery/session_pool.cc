#include "server/delivery/session_pool.h"

#include "absl/strings/str_cat.h"
#include "server/shaping/throttle_reply.h"

namespace kirim {

SessionPool::~SessionPool() {
  std::map<std::string, std::vector<std::unique_ptr<PooledSession>>> idle;
  {
    absl::MutexLock lock(&mu_);
    idle.swap(idle_);
  }
  for (auto& [key, sessions] : idle) {
    for (auto& s : sessions) Close(std::move(s));
  }
}

void SessionPool::Close(std::unique_ptr<PooledSession> session) {
  if (session->client) session->client->Quit();
  if (shaper_ != nullptr) {
    // Best effort: a slot that is not given back expires with its lease.
    if (session->permit.has_value()) shaper_->Release(*session->permit).IgnoreError();
    if (session->host_permit.has_value()) shaper_->Release(*session->host_permit).IgnoreError();
  }
}

void SessionPool::Shaped(const ShapingDecision& d, smtp::TransactionResult* failure,
                         absl::Duration* retry_after) {
  failure->failed_phase = "shaping";
  failure->failed_reply.code = 451;
  failure->failed_reply.enhanced_code = "4.4.5";
  failure->failed_reply.lines = {absl::StrCat("destination busy (", d.reason, "), retry in ",
                                              absl::FormatDuration(d.retry_after))};
  if (retry_after != nullptr) *retry_after = d.retry_after;
}

void SessionPool::ReportReply(const std::string& destination, const smtp::Reply& reply) {
  if (shaper_ == nullptr || !IsThrottleReply(reply)) return;
  shaper_->ReportThrottle(destination, reply.ToString()).IgnoreError();
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
                                                    const std::string& destination,
                                                    smtp::TransactionResult* failure,
                                                    absl::Duration* retry_after) {
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
      Close(std::move(idle));
      continue;
    }
    if (shaper_ != nullptr) {
      // The session holds its connection slot; this message still needs a rate token.
      absl::StatusOr<ShapingDecision> d = shaper_->AcquireMessage(destination);
      if (d.ok() && !d->allowed) {
        Release(std::move(idle));
        Shaped(*d, failure, retry_after);
        return nullptr;
      }
      // Slots are renewed once half their lease has passed, not with every message.
      const absl::Time now = clock_.Now();
      for (std::optional<Permit>* p : {&idle->permit, &idle->host_permit}) {
        if (p->has_value() && now >= (*p)->renew_after) shaper_->Renew(**p).IgnoreError();
      }
    }
    // RSET proves the session is alive and clears any state (RFC 5321 §4.1.1.5); a server that
    // dropped it meanwhile just costs a new connection.
    if (idle->client->Reset().ok() && idle->client->usable()) {
      idle->reused = true;
      return idle;
    }
    Close(std::move(idle));
  }

  auto session = std::make_unique<PooledSession>();
  session->key = key;
  session->destination = destination;
  if (shaper_ != nullptr) {
    absl::StatusOr<ShapingDecision> d = shaper_->AcquireConnection(destination);
    // A shaper outage must not stop mail: deliver unshaped rather than not at all.
    if (d.ok() && !d->allowed) {
      Shaped(*d, failure, retry_after);
      return nullptr;
    }
    if (d.ok()) session->permit = d->permit;
    if (target.host != destination) {
      absl::StatusOr<ShapingDecision> h = shaper_->AcquireConnection("mx:" + target.host);
      if (h.ok() && !h->allowed) {
        Shaped(*h, failure, retry_after);
        Close(std::move(session));  // gives the domain's slot back
        return nullptr;
      }
      if (h.ok()) session->host_permit = h->permit;
    }
  }
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
    Close(std::move(session));
    return nullptr;
  }
  session->connection = std::move(*conn);
  session->client = std::make_unique<smtp::SmtpClient>(*session->connection, std::move(options));
  smtp::SessionResult hello = session->client->Handshake();
  if (!hello.ok()) {
    static_cast<smtp::SessionResult&>(*failure) = hello;
    ReportReply(destination, hello.failed_reply);
    Close(std::move(session));
    return nullptr;
  }
  return session;
}

void SessionPool::Release(std::unique_ptr<PooledSession> session) {
  ++session->messages;
  const int max_messages = policy_ != nullptr
                               ? policy_->For(session->destination).max_messages_per_connection
                               : options_.max_messages;
  if (!session->client->usable() || session->messages >= max_messages ||
      options_.max_idle_per_destination <= 0) {
    Close(std::move(session));
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
  if (surplus) Close(std::move(surplus));  // outside the lock: QUIT waits on the network
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
  for (auto& s : expired) Close(std::move(s));
}

int SessionPool::idle_count() {
  absl::MutexLock lock(&mu_);
  int n = 0;
  for (const auto& [key, list] : idle_) n += static_cast<int>(list.size());
  return n;
}

}  // namespace kirim
