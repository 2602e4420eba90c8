#include "server/smtp/socket_transport.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <climits>
#include <cstring>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "server/common/status_macros.h"

namespace kirim::smtp {
namespace {

using SteadyClock = std::chrono::steady_clock;

// Size of one socket read, and of the plaintext slices handed to SSL_write (one TLS record).
constexpr size_t kChunk = 16 * 1024;

// A point on the monotonic clock by which one Connection call must finish.
class Deadline {
 public:
  explicit Deadline(absl::Duration timeout) {
    if (timeout == absl::InfiniteDuration()) {
      infinite_ = true;
    } else {
      end_ = SteadyClock::now() +
             std::chrono::duration_cast<SteadyClock::duration>(
                 absl::ToChronoNanoseconds(std::max(timeout, absl::ZeroDuration())));
    }
  }

  absl::Duration Remaining() const {
    if (infinite_) return absl::InfiniteDuration();
    return std::max(absl::FromChrono(end_ - SteadyClock::now()), absl::ZeroDuration());
  }

  // Milliseconds for poll(): rounded up so that a sub-millisecond remainder still waits, -1 when
  // infinite.
  int PollMillis() const {
    if (infinite_) return -1;
    auto left = end_ - SteadyClock::now();
    if (left <= SteadyClock::duration::zero()) return 0;
    auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(left).count() + 1;
    return ms > INT_MAX ? INT_MAX : static_cast<int>(ms);
  }

 private:
  bool infinite_ = false;
  SteadyClock::time_point end_;
};

absl::Status ErrnoError(int err, absl::string_view what) {
  return absl::UnavailableError(absl::StrCat(what, ": ", std::strerror(err)));
}

// Drains OpenSSL's thread-local error queue into one message.
std::string OpenSslErrors() {
  std::vector<std::string> parts;
  while (unsigned long e = ERR_get_error()) {
    char buf[256];
    ERR_error_string_n(e, buf, sizeof buf);
    parts.emplace_back(buf);
  }
  return parts.empty() ? "unknown TLS error" : absl::StrJoin(parts, "; ");
}

bool IsIpLiteral(const std::string& host) {
  unsigned char buf[sizeof(struct in6_addr)];
  return inet_pton(AF_INET, host.c_str(), buf) == 1 || inet_pton(AF_INET6, host.c_str(), buf) == 1;
}

// Waits until `fd` is ready for `events`. Error and hang-up conditions count as ready: the
// following read or write reports them with a proper errno.
absl::Status WaitFd(int fd, short events, const Deadline& deadline, absl::string_view what) {
  for (;;) {
    struct pollfd p = {fd, events, 0};
    int n = poll(&p, 1, deadline.PollMillis());
    if (n > 0) return absl::OkStatus();
    if (n == 0) return absl::DeadlineExceededError(absl::StrCat(what, ": timed out"));
    if (errno != EINTR) return ErrnoError(errno, what);
  }
}

class SocketConnection final : public Connection {
 public:
  SocketConnection(int fd, std::string host, std::string describe)
      : fd_(fd), host_(std::move(host)), describe_(std::move(describe)) {}

  ~SocketConnection() override {
    if (TlsEstablished()) {
      // Best effort close_notify (RFC 8446 §6.1) without waiting: the session is over either way.
      ERR_clear_error();
      SSL_shutdown(ssl_);
      char buf[kChunk];
      int n;
      while ((n = BIO_read(wbio_, buf, sizeof buf)) > 0) {
        if (send(fd_, buf, n, MSG_NOSIGNAL | MSG_DONTWAIT) != n) break;
      }
    }
    if (ssl_ != nullptr) SSL_free(ssl_);  // also frees both BIOs
    if (ctx_ != nullptr) SSL_CTX_free(ctx_);
    close(fd_);
  }

  absl::Status Write(absl::string_view data, absl::Duration timeout) override {
    KIRIM_RETURN_IF_ERROR(Usable());
    Deadline deadline(timeout);
    if (ssl_ == nullptr) return RawWrite(data, deadline);
    while (!data.empty()) {
      absl::string_view slice = data.substr(0, kChunk);
      ERR_clear_error();
      int n = SSL_write(ssl_, slice.data(), static_cast<int>(slice.size()));
      KIRIM_RETURN_IF_ERROR(FlushTls(deadline));
      if (n > 0) {
        data.remove_prefix(static_cast<size_t>(n));
        continue;
      }
      int err = SSL_get_error(ssl_, n);
      if (err != SSL_ERROR_WANT_READ) return TlsError("TLS write", err);
      // The peer is mid-handshake (e.g. a TLS 1.2 renegotiation): feed it and retry.
      KIRIM_RETURN_IF_ERROR(FillTlsInput(deadline));
    }
    return absl::OkStatus();
  }

  absl::StatusOr<std::string> ReadLine(absl::Duration timeout) override {
    KIRIM_RETURN_IF_ERROR(Usable());
    Deadline deadline(timeout);
    size_t scanned = 0;
    for (;;) {
      size_t nl = in_.find('\n', scanned);
      if (nl != std::string::npos) {
        size_t end = (nl > 0 && in_[nl - 1] == '\r') ? nl - 1 : nl;
        std::string line = in_.substr(0, end);
        in_.erase(0, nl + 1);
        return line;
      }
      if (in_.size() > SocketConnector::kMaxLineLength) {
        return absl::UnavailableError(absl::StrCat(describe_, ": line longer than ",
                                                   SocketConnector::kMaxLineLength, " octets"));
      }
      scanned = in_.size();
      KIRIM_RETURN_IF_ERROR(ssl_ == nullptr ? RawRead(&in_, deadline) : ReadTls(deadline));
    }
  }

  absl::Status StartTls(const TlsOptions& tls, absl::Duration timeout) override {
    if (ssl_ != nullptr) {
      return absl::FailedPreconditionError(absl::StrCat(describe_, ": TLS already active"));
    }
    if (!in_.empty()) {
      return absl::UnavailableError(absl::StrCat(
          describe_, ": server sent data after the STARTTLS reply and before the TLS handshake "
                     "(possible command injection); refusing to continue"));
    }
    Deadline deadline(timeout);
    // Whatever happens below, a half-done handshake leaves the stream unusable for plaintext.
    tls_failed_ = true;
    KIRIM_RETURN_IF_ERROR(SetUpTls(tls));
    for (;;) {
      ERR_clear_error();
      int r = SSL_do_handshake(ssl_);
      // Send what the handshake produced, including a fatal alert, before judging the result.
      absl::Status flushed = FlushTls(deadline);
      if (r == 1) {
        KIRIM_RETURN_IF_ERROR(flushed);
        break;
      }
      int err = SSL_get_error(ssl_, r);
      if (err == SSL_ERROR_WANT_READ) {
        KIRIM_RETURN_IF_ERROR(flushed);
        absl::Status filled = FillTlsInput(deadline);
        if (!filled.ok()) return HandshakeFailed(filled);
        continue;
      }
      return HandshakeFailed(TlsError("TLS handshake", err));
    }
    if (verify_peer_ && SSL_get_verify_result(ssl_) != X509_V_OK) {
      return HandshakeFailed(absl::UnavailableError("certificate not verified"));
    }
    tls_failed_ = false;
    return absl::OkStatus();
  }

  bool IsTls() const override { return TlsEstablished(); }

  std::string Describe() const override { return describe_; }

 private:
  bool TlsEstablished() const { return ssl_ != nullptr && SSL_is_init_finished(ssl_); }

  absl::Status Usable() const {
    if (!tls_failed_) return absl::OkStatus();
    return absl::UnavailableError(
        absl::StrCat(describe_, ": connection unusable after a failed TLS handshake"));
  }

  absl::Status SetUpTls(const TlsOptions& tls) {
    const std::string& name = tls.server_name.empty() ? host_ : tls.server_name;
    verify_peer_ = tls.verify_peer;
    expected_name_ = name;
    ERR_clear_error();
    ctx_ = SSL_CTX_new(TLS_client_method());
    if (ctx_ == nullptr) return absl::InternalError("SSL_CTX_new: " + OpenSslErrors());
    SSL_CTX_set_min_proto_version(ctx_, TLS1_2_VERSION);
    if (tls.verify_peer) {
      SSL_CTX_set_verify(ctx_, SSL_VERIFY_PEER, nullptr);
      int loaded = tls.ca_file.empty()
                       ? SSL_CTX_set_default_verify_paths(ctx_)
                       : SSL_CTX_load_verify_locations(ctx_, tls.ca_file.c_str(), nullptr);
      if (loaded != 1) {
        // A configuration problem, not the peer's: retrying will not help until it is fixed.
        return absl::FailedPreconditionError(
            absl::StrCat("cannot load CA certificates from ",
                         tls.ca_file.empty() ? "the system default paths" : tls.ca_file, ": ",
                         OpenSslErrors()));
      }
    } else {
      SSL_CTX_set_verify(ctx_, SSL_VERIFY_NONE, nullptr);
    }
    ssl_ = SSL_new(ctx_);
    if (ssl_ == nullptr) return absl::InternalError("SSL_new: " + OpenSslErrors());
    rbio_ = BIO_new(BIO_s_mem());
    wbio_ = BIO_new(BIO_s_mem());
    if (rbio_ == nullptr || wbio_ == nullptr) {
      BIO_free(rbio_);
      BIO_free(wbio_);
      rbio_ = wbio_ = nullptr;
      return absl::InternalError("BIO_new: " + OpenSslErrors());
    }
    // An empty input BIO means "wait for more from the socket", not end of stream.
    BIO_set_mem_eof_return(rbio_, -1);
    SSL_set_bio(ssl_, rbio_, wbio_);
    SSL_set_connect_state(ssl_);
    bool ip = IsIpLiteral(name);
    if (!name.empty() && !ip && SSL_set_tlsext_host_name(ssl_, name.c_str()) != 1) {
      return absl::InvalidArgumentError(
          absl::StrCat("invalid TLS server name \"", name, "\": ", OpenSslErrors()));
    }
    if (tls.verify_peer) {
      X509_VERIFY_PARAM* param = SSL_get0_param(ssl_);
      X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
      int ok = ip ? X509_VERIFY_PARAM_set1_ip_asc(param, name.c_str())
                  : X509_VERIFY_PARAM_set1_host(param, name.c_str(), name.size());
      if (ok != 1) {
        return absl::InvalidArgumentError(absl::StrCat("invalid TLS server name \"", name, "\""));
      }
    }
    return absl::OkStatus();
  }

  // Turns a handshake failure into a message that says why, preferring the certificate
  // verification result: "ssl3_read_bytes:... certificate verify failed" alone does not tell an
  // operator whether the chain, the name or the expiry was wrong.
  absl::Status HandshakeFailed(const absl::Status& cause) {
    long verify = SSL_get_verify_result(ssl_);
    if (verify_peer_ && verify != X509_V_OK) {
      return absl::UnavailableError(absl::StrCat(
          describe_, ": TLS certificate verification failed (expected name \"", expected_name_,
          "\"): ", X509_verify_cert_error_string(verify)));
    }
    if (cause.code() == absl::StatusCode::kDeadlineExceeded) return cause;
    return absl::UnavailableError(cause.message());
  }

  absl::Status TlsError(absl::string_view what, int ssl_error) {
    if (ssl_error == SSL_ERROR_ZERO_RETURN) {
      return absl::UnavailableError(absl::StrCat(describe_, ": connection closed by peer (TLS)"));
    }
    return absl::UnavailableError(
        absl::StrCat(describe_, ": ", what, " failed: ", OpenSslErrors()));
  }

  // Appends whatever the socket has (at least one byte) to `out`.
  absl::Status RawRead(std::string* out, const Deadline& deadline) {
    char buf[kChunk];
    for (;;) {
      ssize_t n = recv(fd_, buf, sizeof buf, 0);
      if (n > 0) {
        out->append(buf, static_cast<size_t>(n));
        return absl::OkStatus();
      }
      if (n == 0) {
        return absl::UnavailableError(absl::StrCat(describe_, ": connection closed by peer"));
      }
      if (errno == EINTR) continue;
      if (errno != EAGAIN && errno != EWOULDBLOCK) {
        return ErrnoError(errno, absl::StrCat(describe_, ": read"));
      }
      KIRIM_RETURN_IF_ERROR(WaitFd(fd_, POLLIN, deadline, absl::StrCat(describe_, ": read")));
    }
  }

  absl::Status RawWrite(absl::string_view data, const Deadline& deadline) {
    while (!data.empty()) {
      ssize_t n = send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
      if (n >= 0) {
        data.remove_prefix(static_cast<size_t>(n));
        continue;
      }
      if (errno == EINTR) continue;
      if (errno != EAGAIN && errno != EWOULDBLOCK) {
        return ErrnoError(errno, absl::StrCat(describe_, ": write"));
      }
      KIRIM_RETURN_IF_ERROR(WaitFd(fd_, POLLOUT, deadline, absl::StrCat(describe_, ": write")));
    }
    return absl::OkStatus();
  }

  // Moves ciphertext OpenSSL produced to the socket.
  absl::Status FlushTls(const Deadline& deadline) {
    char buf[kChunk];
    while (BIO_ctrl_pending(wbio_) > 0) {
      int n = BIO_read(wbio_, buf, sizeof buf);
      if (n <= 0) break;
      KIRIM_RETURN_IF_ERROR(RawWrite(absl::string_view(buf, static_cast<size_t>(n)), deadline));
    }
    return absl::OkStatus();
  }

  // Moves ciphertext from the socket to OpenSSL.
  absl::Status FillTlsInput(const Deadline& deadline) {
    std::string raw;
    KIRIM_RETURN_IF_ERROR(RawRead(&raw, deadline));
    if (BIO_write(rbio_, raw.data(), static_cast<int>(raw.size())) != static_cast<int>(raw.size())) {
      return absl::InternalError("BIO_write to memory BIO failed");
    }
    return absl::OkStatus();
  }

  // Appends at least one byte of plaintext to in_.
  absl::Status ReadTls(const Deadline& deadline) {
    char buf[kChunk];
    for (;;) {
      ERR_clear_error();
      int n = SSL_read(ssl_, buf, sizeof buf);
      // Reading can produce output too (TLS 1.3 KeyUpdate replies, alerts).
      KIRIM_RETURN_IF_ERROR(FlushTls(deadline));
      if (n > 0) {
        in_.append(buf, static_cast<size_t>(n));
        return absl::OkStatus();
      }
      int err = SSL_get_error(ssl_, n);
      if (err != SSL_ERROR_WANT_READ) return TlsError("TLS read", err);
      KIRIM_RETURN_IF_ERROR(FillTlsInput(deadline));
    }
  }

  int fd_;
  std::string host_;
  std::string describe_;
  std::string in_;  // plaintext received but not yet returned by ReadLine
  SSL_CTX* ctx_ = nullptr;
  SSL* ssl_ = nullptr;
  BIO* rbio_ = nullptr;  // owned by ssl_ once attached
  BIO* wbio_ = nullptr;
  bool verify_peer_ = false;
  bool tls_failed_ = false;
  std::string expected_name_;
};

std::string HostPort(const std::string& host, int port) {
  bool v6 = host.find(':') != std::string::npos;
  return v6 ? absl::StrCat("[", host, "]:", port) : absl::StrCat(host, ":", port);
}

// Connects one address; returns the connected non-blocking socket.
absl::StatusOr<int> ConnectOne(const struct addrinfo& ai, const Deadline& deadline,
                               absl::string_view what) {
  int fd = socket(ai.ai_family, ai.ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, ai.ai_protocol);
  if (fd < 0) return ErrnoError(errno, absl::StrCat(what, ": socket"));
  int rc = connect(fd, ai.ai_addr, ai.ai_addrlen);
  if (rc != 0 && errno != EINPROGRESS) {
    absl::Status s = ErrnoError(errno, absl::StrCat(what, ": connect"));
    close(fd);
    return s;
  }
  if (rc != 0) {
    absl::Status waited = WaitFd(fd, POLLOUT, deadline, absl::StrCat(what, ": connect"));
    if (!waited.ok()) {
      close(fd);
      return waited;
    }
    int err = 0;
    socklen_t len = sizeof err;
    if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0) err = errno;
    if (err != 0) {
      close(fd);
      return ErrnoError(err, absl::StrCat(what, ": connect"));
    }
  }
  // SMTP commands are small and each waits for a reply: Nagle would only add latency.
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  return fd;
}

}  // namespace

absl::StatusOr<std::unique_ptr<Connection>> SocketConnector::Connect(
    const std::string& host, int port, absl::Duration timeout, const TlsOptions* implicit_tls) {
  if (host.empty()) return absl::InvalidArgumentError("empty host");
  if (port < 1 || port > 65535) {
    return absl::InvalidArgumentError(absl::StrCat("port ", port, " out of range"));
  }
  Deadline deadline(timeout);
  std::string describe = HostPort(host, port);

  struct addrinfo hints;
  std::memset(&hints, 0, sizeof hints);
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_protocol = IPPROTO_TCP;
  hints.ai_flags = AI_NUMERICSERV;
  struct addrinfo* addrs = nullptr;
  int gai = getaddrinfo(host.c_str(), std::to_string(port).c_str(), &hints, &addrs);
  if (gai != 0) {
    std::string why = gai == EAI_SYSTEM ? std::strerror(errno) : gai_strerror(gai);
    return absl::UnavailableError(absl::StrCat(describe, ": cannot resolve host: ", why));
  }

  absl::Status last = absl::UnavailableError(absl::StrCat(describe, ": no addresses"));
  int fd = -1;
  for (struct addrinfo* ai = addrs; ai != nullptr; ai = ai->ai_next) {
    absl::StatusOr<int> connected = ConnectOne(*ai, deadline, describe);
    if (connected.ok()) {
      fd = *connected;
      break;
    }
    last = connected.status();
    // The deadline covers all addresses: once it has passed, there is no time for the next one.
    if (last.code() == absl::StatusCode::kDeadlineExceeded) break;
  }
  freeaddrinfo(addrs);
  if (fd < 0) return last;

  auto conn = std::make_unique<SocketConnection>(fd, host, describe);
  if (implicit_tls != nullptr) {
    KIRIM_RETURN_IF_ERROR(conn->StartTls(*implicit_tls, deadline.Remaining()));
  }
  return std::unique_ptr<Connection>(std::move(conn));
}

}  // namespace kirim::smtp
