// HttpServer and the metrics handler against a real HTTP client (Python's urllib.request, run
// through tests/http/http_client.py) on 127.0.0.1, port 0: routing, 404/405/413, request
// bodies and headers, HEAD, the /metrics exposition, Stop releasing the port.
#include "server/http/http_server.h"

#include <fstream>
#include <stdexcept>
#include <map>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/synchronization/mutex.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/http/metrics_handler.h"
#include "server/metrics/metrics.h"
#include "tests/harness/subprocess.h"
#include "tests/http/http_fetch.h"
#include "tests/metrics/exposition.h"

namespace kirim {
namespace {

using ::kirim::testing::Exposition;
using ::kirim::testing::Fetch;
using ::kirim::testing::Reply;
using ::kirim::testing::RequestOptions;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Optional;
using ::testing::StartsWith;

constexpr size_t kMaxBody = 64 * 1024;

// The handler's view of one request, for the test to inspect afterwards.
struct Recorder {
  absl::Mutex mu;
  std::vector<HttpRequest> requests ABSL_GUARDED_BY(mu);

  HttpHandler Handler(HttpResponse response) {
    return [this, response](const HttpRequest& r) {
      absl::MutexLock lock(&mu);
      requests.push_back(r);
      return response;
    };
  }
  std::vector<HttpRequest> Requests() {
    absl::MutexLock lock(&mu);
    return requests;
  }
};

class HttpServerTest : public ::testing::Test {
 protected:
  void StartServer() {
    ASSERT_TRUE(RegisterMetricsHandler(server_, metrics_).ok());
    ASSERT_TRUE(server_.Handle("POST", "/echo", recorder_.Handler(HttpResponse{
                                                    .status = 201,
                                                    .content_type = "application/json",
                                                    .body = "{\"ok\":true}",
                                                    .headers = {{"X-Kirim-Reply", "yes"}},
                                                })).ok());
    absl::Status started = server_.Start();
    ASSERT_TRUE(started.ok()) << started;
    ASSERT_GT(server_.port(), 0);
  }
  std::string Url(const std::string& path_and_query) {
    return absl::StrCat("http://127.0.0.1:", server_.port(), path_and_query);
  }

  // Declared before the server, so they outlive it.
  Metrics metrics_{{.version = "9.9.9", .role = "api"}};
  Recorder recorder_;
  HttpServer server_{{.listen_address = "127.0.0.1:0", .num_threads = 2}};
};

TEST_F(HttpServerTest, GetMetricsServesTheExposition) {
  int collects = 0;
  metrics_.OnCollect([&] { ++collects; });
  metrics_.Accepted("bulk");
  metrics_.Accepted("bulk");
  metrics_.SmtpReply("rcpt", 550);
  StartServer();

  Reply reply = Fetch("GET", Url("/metrics"));
  ASSERT_EQ(reply.exit_code, 0) << reply.output;
  EXPECT_EQ(reply.status, 200);
  EXPECT_EQ(reply.headers["content-type"], "text/plain; version=0.0.4; charset=utf-8");
  EXPECT_EQ(reply.headers["content-length"], absl::StrCat(reply.body.size()));
  Exposition e = Exposition::Parse(reply.body);
  EXPECT_THAT(e.errors(), IsEmpty());
  EXPECT_THAT(e.Value("kirim_build_info", {{"version", "9.9.9"}, {"role", "api"}}),
              Optional(1.0));
  EXPECT_THAT(e.Value("kirim_messages_accepted_total", {{"lane", "bulk"}}), Optional(2.0));
  EXPECT_THAT(e.Value("kirim_smtp_replies_total", {{"phase", "rcpt"}, {"class", "5xx"}}),
              Optional(1.0));
  EXPECT_EQ(collects, 1);
}

TEST_F(HttpServerTest, HeadMetricsAnswersWithoutBody) {
  StartServer();
  Reply reply = Fetch("HEAD", Url("/metrics"));
  ASSERT_EQ(reply.exit_code, 0) << reply.output;
  EXPECT_EQ(reply.status, 200);
  EXPECT_EQ(reply.headers["content-type"], kMetricsContentType);
  EXPECT_EQ(reply.body, "");
}

TEST_F(HttpServerTest, UnknownPathIs404) {
  StartServer();
  for (const char* path : {"/nope", "/metrics/extra", "/", "/METRICS"}) {
    Reply reply = Fetch("GET", Url(path));
    EXPECT_EQ(reply.exit_code, 0) << reply.output;
    EXPECT_EQ(reply.status, 404) << path;
  }
  EXPECT_THAT(recorder_.Requests(), IsEmpty());
}

TEST_F(HttpServerTest, WrongMethodIs405WithAllow) {
  StartServer();
  Reply get_echo = Fetch("GET", Url("/echo"));
  EXPECT_EQ(get_echo.status, 405) << get_echo.output;
  EXPECT_EQ(get_echo.headers["allow"], "POST");

  Reply put_metrics = Fetch("PUT", Url("/metrics"), {.body = "x", .send_body = true});
  EXPECT_EQ(put_metrics.status, 405) << put_metrics.output;
  EXPECT_EQ(put_metrics.headers["allow"], "GET, HEAD");

  Reply delete_metrics = Fetch("DELETE", Url("/metrics"));
  EXPECT_EQ(delete_metrics.status, 405) << delete_metrics.output;
  EXPECT_THAT(recorder_.Requests(), IsEmpty());
}

TEST_F(HttpServerTest, PostHandlerGetsBodyQueryAndHeaders) {
  StartServer();
  const std::string body = "line one\r\nline two\n\x01\xff binary too";
  Reply reply = Fetch("POST", Url("/echo?a=1&b=two%20words"),
                      {.body = body,
                       .send_body = true,
                       .headers = {"X-Kirim-Test: Mixed Case Value", "Content-Type: text/x-kirim"}});
  ASSERT_EQ(reply.exit_code, 0) << reply.output;
  EXPECT_EQ(reply.status, 201);
  EXPECT_EQ(reply.headers["content-type"], "application/json");
  EXPECT_EQ(reply.headers["x-kirim-reply"], "yes");
  EXPECT_EQ(reply.body, "{\"ok\":true}");

  std::vector<HttpRequest> seen = recorder_.Requests();
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].method, "POST");
  EXPECT_EQ(seen[0].path, "/echo");
  EXPECT_EQ(seen[0].query, "a=1&b=two%20words");
  EXPECT_EQ(seen[0].body, body);
  EXPECT_EQ(seen[0].Header("x-kirim-test"), "Mixed Case Value");
  EXPECT_EQ(seen[0].Header("content-type"), "text/x-kirim");
  EXPECT_EQ(seen[0].Header("content-length"), absl::StrCat(body.size()));
  EXPECT_EQ(seen[0].Header("host"), absl::StrCat("127.0.0.1:", server_.port()));
  for (const auto& [name, value] : seen[0].headers) {
    EXPECT_EQ(name, absl::AsciiStrToLower(name));
  }
}

TEST_F(HttpServerTest, BodyAtTheCapIsAccepted) {
  StartServer();
  Reply reply = Fetch("POST", Url("/echo"), {.body = std::string(kMaxBody, 'a'), .send_body = true});
  EXPECT_EQ(reply.status, 201) << reply.output;
  std::vector<HttpRequest> seen = recorder_.Requests();
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].body.size(), kMaxBody);
}

TEST_F(HttpServerTest, OversizedBodyIs413) {
  StartServer();
  Reply one_over =
      Fetch("POST", Url("/echo"), {.body = std::string(kMaxBody + 1, 'b'), .send_body = true});
  EXPECT_EQ(one_over.status, 413) << one_over.output;
  // Without a Content-Length the server counts while reading.
  Reply chunked = Fetch("POST", Url("/echo"),
                        {.body = std::string(3 * kMaxBody, 'c'), .send_body = true, .chunked = true});
  EXPECT_EQ(chunked.status, 413) << chunked.output;
  EXPECT_THAT(recorder_.Requests(), IsEmpty());
}

TEST_F(HttpServerTest, SmallChunkedBodyIsReadWhole) {
  StartServer();
  const std::string body(10000, 'd');
  Reply reply = Fetch("POST", Url("/echo"), {.body = body, .send_body = true, .chunked = true});
  EXPECT_EQ(reply.status, 201) << reply.output;
  std::vector<HttpRequest> seen = recorder_.Requests();
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].Header("transfer-encoding"), "chunked");
  EXPECT_EQ(seen[0].body, body);
}

TEST_F(HttpServerTest, ThrowingHandlerIs500AndTheServerCarriesOn) {
  ASSERT_TRUE(server_.Handle("GET", "/boom", [](const HttpRequest&) -> HttpResponse {
                       throw std::runtime_error("handler bug");
                     }).ok());
  ASSERT_TRUE(server_.Handle("GET", "/split", [](const HttpRequest&) {
                       return HttpResponse{.headers = {{"X-Evil", "a\r\nSet-Cookie: x=1"}}};
                     }).ok());
  StartServer();
  EXPECT_EQ(Fetch("GET", Url("/boom")).status, 500);
  Reply split = Fetch("GET", Url("/split"));
  EXPECT_EQ(split.status, 500) << split.output;
  EXPECT_EQ(split.headers.count("set-cookie"), 0u);
  EXPECT_EQ(Fetch("GET", Url("/metrics")).status, 200);
}

TEST_F(HttpServerTest, StopReleasesThePort) {
  StartServer();
  const int port = server_.port();
  ASSERT_EQ(Fetch("GET", Url("/metrics")).status, 200);
  server_.Stop();
  EXPECT_EQ(server_.port(), 0);
  Reply reply = Fetch("GET", absl::StrCat("http://127.0.0.1:", port, "/metrics"));
  EXPECT_EQ(reply.exit_code, 3) << reply.output;
  EXPECT_THAT(reply.error, StartsWith("ConnectionRefusedError")) << reply.output;
  server_.Stop();  // idempotent
}

TEST(HttpServerStartTest, SecondServerOnTheSamePortIsUnavailable) {
  HttpServer first({.listen_address = "127.0.0.1:0"});
  ASSERT_TRUE(first.Start().ok());
  HttpServer second({.listen_address = absl::StrCat("127.0.0.1:", first.port())});
  absl::Status status = second.Start();
  EXPECT_EQ(status.code(), absl::StatusCode::kUnavailable) << status;
  // civetweb's own reason comes through, not just its generic exception text.
  EXPECT_THAT(std::string(status.message()), HasSubstr("Address already in use")) << status;
  EXPECT_EQ(second.port(), 0);
  EXPECT_EQ(first.Start().code(), absl::StatusCode::kFailedPrecondition);
}

TEST(HttpServerStartTest, MalformedAddressesAreInvalidArguments) {
  for (const char* address : {"", "9090", "localhost:9090", "127.0.0.1:70000", "127.0.0.1:-1",
                              "127.0.0.1:http", "::1:80", "127.0.0.1:80,127.0.0.1:81"}) {
    HttpServer server({.listen_address = address});
    EXPECT_EQ(server.Start().code(), absl::StatusCode::kInvalidArgument) << address;
  }
}

TEST(HttpServerStartTest, RestartAfterStopServesAgain) {
  HttpServer server({.listen_address = "127.0.0.1:0"});
  ASSERT_TRUE(server.Handle("GET", "/ping", [](const HttpRequest&) {
                      return HttpResponse{.body = "pong"};
                    }).ok());
  ASSERT_TRUE(server.Start().ok());
  server.Stop();
  ASSERT_TRUE(server.Start().ok());
  Reply reply = Fetch("GET", absl::StrCat("http://127.0.0.1:", server.port(), "/ping"));
  EXPECT_EQ(reply.status, 200) << reply.output;
  EXPECT_EQ(reply.body, "pong");
}

TEST(HttpServerHandleTest, RejectsBadRoutesAndDuplicates) {
  HttpServer server;
  auto ok = [](const HttpRequest&) { return HttpResponse{}; };
  EXPECT_TRUE(server.Handle("GET", "/a", ok).ok());
  EXPECT_EQ(server.Handle("GET", "/a", ok).code(), absl::StatusCode::kAlreadyExists);
  EXPECT_TRUE(server.Handle("POST", "/a", ok).ok());
  EXPECT_EQ(server.Handle("get", "/b", ok).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(server.Handle("", "/b", ok).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(server.Handle("GET", "b", ok).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(server.Handle("GET", "", ok).code(), absl::StatusCode::kInvalidArgument);
  Metrics metrics;
  EXPECT_TRUE(RegisterMetricsHandler(server, metrics).ok());
  EXPECT_EQ(RegisterMetricsHandler(server, metrics).code(), absl::StatusCode::kAlreadyExists);
}

}  // namespace
}  // namespace kirim
