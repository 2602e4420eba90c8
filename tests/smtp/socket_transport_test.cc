// Tests of SocketConnector against an in-process loopback listener: line framing, EOF, timeouts,
// refused connections, name resolution and the STARTTLS injection guard. TLS against a real
// server is covered by smtp_client_aiosmtpd_test.
#include "server/smtp/socket_transport.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>
#include <memory>
#include <string>
#include <thread>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/harness/subprocess.h"

namespace kirim::smtp {
namespace {

using ::testing::HasSubstr;

constexpr absl::Duration kGenerous = absl::Seconds(30);

// A listening socket on loopback (port 0) standing in for a server; the test drives the
// accepted socket by hand.
class Listener {
 public:
  explicit Listener(int family = AF_INET) {
    fd_ = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd_ < 0) return;
    struct sockaddr_storage ss;
    std::memset(&ss, 0, sizeof ss);
    socklen_t len;
    if (family == AF_INET) {
      auto* a = reinterpret_cast<struct sockaddr_in*>(&ss);
      a->sin_family = AF_INET;
      a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
      len = sizeof *a;
    } else {
      auto* a = reinterpret_cast<struct sockaddr_in6*>(&ss);
      a->sin6_family = AF_INET6;
      a->sin6_addr = in6addr_loopback;
      len = sizeof *a;
    }
    if (bind(fd_, reinterpret_cast<struct sockaddr*>(&ss), len) != 0 || listen(fd_, 8) != 0 ||
        getsockname(fd_, reinterpret_cast<struct sockaddr*>(&ss), &len) != 0) {
      close(fd_);
      fd_ = -1;
      return;
    }
    port_ = ntohs(family == AF_INET ? reinterpret_cast<struct sockaddr_in*>(&ss)->sin_port
                                    : reinterpret_cast<struct sockaddr_in6*>(&ss)->sin6_port);
  }
  ~Listener() {
    if (peer_ >= 0) close(peer_);
    if (fd_ >= 0) close(fd_);
  }
  bool ok() const { return fd_ >= 0; }
  int port() const { return port_; }
  // The client's connect() has completed, so the connection is queued: accept() returns at once.
  void Accept() { peer_ = accept(fd_, nullptr, nullptr); }
  void Send(const std::string& data) {
    ASSERT_EQ(send(peer_, data.data(), data.size(), MSG_NOSIGNAL),
              static_cast<ssize_t>(data.size()));
  }
  std::string Receive(size_t n) {
    std::string out(n, '\0');
    size_t got = 0;
    while (got < n) {
      ssize_t r = recv(peer_, out.data() + got, n - got, 0);
      if (r <= 0) break;
      got += static_cast<size_t>(r);
    }
    out.resize(got);
    return out;
  }
  void ClosePeer() {
    close(peer_);
    peer_ = -1;
  }

 private:
  int fd_ = -1;
  int peer_ = -1;
  int port_ = 0;
};

// A connection from SocketConnector to a Listener, accepted and ready for both sides.
class SocketConnectionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(listener_.ok());
    absl::StatusOr<std::unique_ptr<Connection>> conn =
        connector_.Connect("127.0.0.1", listener_.port(), kGenerous, nullptr);
    ASSERT_TRUE(conn.ok()) << conn.status();
    conn_ = *std::move(conn);
    listener_.Accept();
  }

  Listener listener_;
  SocketConnector connector_;
  std::unique_ptr<Connection> conn_;
};

TEST_F(SocketConnectionTest, ReadsLinesAcrossSegmentsAndLineEndings) {
  EXPECT_EQ(conn_->Describe(), absl::StrCat("127.0.0.1:", listener_.port()));
  EXPECT_FALSE(conn_->IsTls());

  listener_.Send("220 mx.test ESMTP\r\n250-first\r\n250 sec");
  EXPECT_EQ(*conn_->ReadLine(kGenerous), "220 mx.test ESMTP");
  EXPECT_EQ(*conn_->ReadLine(kGenerous), "250-first");
  listener_.Send("ond\r\nbare lf\n\r\n");
  EXPECT_EQ(*conn_->ReadLine(kGenerous), "250 second");
  EXPECT_EQ(*conn_->ReadLine(kGenerous), "bare lf");
  EXPECT_EQ(*conn_->ReadLine(kGenerous), "");

  ASSERT_TRUE(conn_->Write("EHLO kirim.test\r\n", kGenerous).ok());
  EXPECT_EQ(listener_.Receive(17), "EHLO kirim.test\r\n");
}

TEST_F(SocketConnectionTest, LargeWriteWaitsForTheReader) {
  // Far more than the socket buffers hold, so Write() must wait for POLLOUT while the peer
  // drains it from another thread.
  std::string data;
  for (int i = 0; data.size() < 8 * 1024 * 1024; ++i) data += absl::StrCat("line ", i, "\r\n");
  std::string received;
  std::thread reader([&] { received = listener_.Receive(data.size()); });
  absl::Status written = conn_->Write(data, kGenerous);
  reader.join();
  ASSERT_TRUE(written.ok()) << written;
  EXPECT_TRUE(received == data);
}

TEST_F(SocketConnectionTest, EofIsUnavailable) {
  listener_.Send("221 partial");
  listener_.ClosePeer();
  absl::StatusOr<std::string> line = conn_->ReadLine(kGenerous);
  EXPECT_EQ(line.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(line.status().message(), HasSubstr("closed by peer"));
}

TEST_F(SocketConnectionTest, SilentPeerIsDeadlineExceeded) {
  absl::StatusOr<std::string> line = conn_->ReadLine(absl::Milliseconds(50));
  EXPECT_EQ(line.status().code(), absl::StatusCode::kDeadlineExceeded);
  // A partial line does not count as a line.
  listener_.Send("220 no end");
  line = conn_->ReadLine(absl::Milliseconds(50));
  EXPECT_EQ(line.status().code(), absl::StatusCode::kDeadlineExceeded);
  listener_.Send("\r\n");
  EXPECT_EQ(*conn_->ReadLine(kGenerous), "220 no end");
}

TEST_F(SocketConnectionTest, OverlongLineIsRefused) {
  listener_.Send(std::string(SocketConnector::kMaxLineLength + 10, 'x'));
  absl::StatusOr<std::string> line = conn_->ReadLine(kGenerous);
  EXPECT_EQ(line.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(line.status().message(), HasSubstr("line longer"));
}

TEST(SocketTransportTest, RefusedConnectionIsUnavailable) {
  const int port = kirim::testing::FreePort();
  ASSERT_GT(port, 0);
  SocketConnector connector;
  auto conn = connector.Connect("127.0.0.1", port, kGenerous, nullptr);
  EXPECT_EQ(conn.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(conn.status().message(), HasSubstr("refused"));
}

TEST(SocketTransportTest, BadArgumentsAndUnknownHosts) {
  SocketConnector connector;
  EXPECT_EQ(connector.Connect("127.0.0.1", 0, kGenerous, nullptr).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(connector.Connect("127.0.0.1", 70000, kGenerous, nullptr).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(connector.Connect("", 25, kGenerous, nullptr).status().code(),
            absl::StatusCode::kInvalidArgument);
  // .invalid never resolves (RFC 6761 §6.4); /etc/hosts answers without DNS for localhost.
  auto unknown = connector.Connect("no-such-host.invalid", 25, kGenerous, nullptr);
  EXPECT_EQ(unknown.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(unknown.status().message(), HasSubstr("resolve"));
}

TEST(SocketTransportTest, ResolvesNamesAndTriesEachAddress) {
  Listener listener;
  ASSERT_TRUE(listener.ok());
  SocketConnector connector;
  // "localhost" may resolve to ::1 first, where nothing listens on this port; the connector must
  // move on to 127.0.0.1.
  auto conn = connector.Connect("localhost", listener.port(), kGenerous, nullptr);
  ASSERT_TRUE(conn.ok()) << conn.status();
  listener.Accept();
  listener.Send("220 hi\r\n");
  EXPECT_EQ(*(*conn)->ReadLine(kGenerous), "220 hi");
  EXPECT_EQ((*conn)->Describe(), absl::StrCat("localhost:", listener.port()));
}

TEST(SocketTransportTest, Ipv6Loopback) {
  Listener listener(AF_INET6);
  if (!listener.ok()) GTEST_SKIP() << "no IPv6 loopback in this sandbox";
  SocketConnector connector;
  auto conn = connector.Connect("::1", listener.port(), kGenerous, nullptr);
  ASSERT_TRUE(conn.ok()) << conn.status();
  listener.Accept();
  EXPECT_EQ((*conn)->Describe(), absl::StrCat("[::1]:", listener.port()));
  listener.Send("220 v6\r\n");
  EXPECT_EQ(*(*conn)->ReadLine(kGenerous), "220 v6");
}

TEST_F(SocketConnectionTest, StartTlsRefusesBufferedPlaintext) {
  // A man in the middle appends a forged reply after "220 ready" (CVE-2011-0411 class).
  listener_.Send("220 2.0.0 Ready to start TLS\r\n250 forged\r\n");
  EXPECT_EQ(*conn_->ReadLine(kGenerous), "220 2.0.0 Ready to start TLS");
  TlsOptions tls;
  absl::Status s = conn_->StartTls(tls, kGenerous);
  EXPECT_EQ(s.code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(s.message(), HasSubstr("injection"));
  EXPECT_FALSE(conn_->IsTls());
}

TEST_F(SocketConnectionTest, HandshakeAgainstNonTlsPeerFailsAndConnectionIsDead) {
  // The "server" answers the ClientHello with plaintext.
  listener_.Send("500 what is this\r\n");
  absl::Status s = conn_->StartTls(TlsOptions(), kGenerous);
  EXPECT_EQ(s.code(), absl::StatusCode::kUnavailable);
  EXPECT_FALSE(conn_->IsTls());
  EXPECT_EQ(conn_->Write("QUIT\r\n", kGenerous).code(), absl::StatusCode::kUnavailable);
}

}  // namespace
}  // namespace kirim::smtp
