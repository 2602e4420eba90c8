// HttpServer: a small embedded HTTP/1.1 server (civetweb's CivetServer underneath) for kirimd's
// HTTP port: GET /metrics and the like. Handlers are plain functions from an HttpRequest to an
// HttpResponse; routing is by exact path and method. The server answers the protocol errors
// itself (RFC 9110 §15.5):
//   unknown path                          -> 404
//   known path, method not registered     -> 405 with an Allow header (§10.2.1)
//   request body over max_body_bytes      -> 413, without reading the body into memory
//   handler throws                        -> 500
// HEAD is served by the GET handler without the body, unless a HEAD handler is registered.
// Nothing here logs a request or its body.
//
//   HttpServer server({.listen_address = "127.0.0.1:0"});
//   KIRIM_RETURN_IF_ERROR(server.Handle("GET", "/healthz", [](const HttpRequest&) {
//     return HttpResponse{.body = "ok\n"};
//   }));
//   KIRIM_RETURN_IF_ERROR(server.Start());
//   int port = server.port();   // the port the kernel picked
//   ...
//   server.Stop();              // waits for requests in progress; the port refuses connections
//
// Thread-safe: handlers run on the server's worker threads, several at once.
#ifndef KIRIM_SERVER_HTTP_HTTP_SERVER_H_
#define KIRIM_SERVER_HTTP_HTTP_SERVER_H_

#include <cstddef>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace kirim {

struct HttpRequest {
  std::string method;  // "GET", "POST", ...
  std::string path;    // percent-decoded, without the query: "/metrics"
  std::string query;   // after '?', as sent (not decoded); "" if none
  // Names lower-cased; a header sent several times is joined with ", " (RFC 9110 §5.3).
  std::map<std::string, std::string> headers;
  std::string body;    // at most HttpServerOptions::max_body_bytes

  // The header's value, or "" when absent. `name` in lower case.
  std::string Header(const std::string& name) const {
    auto it = headers.find(name);
    return it == headers.end() ? std::string() : it->second;
  }
};

struct HttpResponse {
  int status = 200;
  std::string content_type = "text/plain; charset=utf-8";
  std::string body;
  // Further response headers (Content-Type and Content-Length are set from the fields above).
  // Names and values must not contain CR or LF: such a response becomes a 500.
  std::vector<std::pair<std::string, std::string>> headers;
};

using HttpHandler = std::function<HttpResponse(const HttpRequest&)>;

struct HttpServerOptions {
  // "host:port" with a numeric host: "127.0.0.1:9090", "0.0.0.0:9090", "[::1]:9090". Port 0
  // lets the kernel pick one; port() tells which.
  std::string listen_address = "127.0.0.1:0";
  // Worker threads, i.e. requests served at once (a scrape endpoint needs few).
  int num_threads = 4;
  // How long one network read or write of a request may take before the connection is dropped.
  int request_timeout_ms = 10000;
  // Largest request body accepted; beyond it the answer is 413.
  size_t max_body_bytes = 64 * 1024;
};

class HttpServer {
 public:
  explicit HttpServer(HttpServerOptions options = {});
  ~HttpServer();  // Stop()
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Routes `method` requests for exactly `path` to `handler`; before or after Start.
  // kInvalidArgument: path not starting with '/', or method not an upper-case token.
  // kAlreadyExists: that method and path already have a handler.
  absl::Status Handle(absl::string_view method, absl::string_view path, HttpHandler handler);

  // Binds and starts serving. kInvalidArgument: a malformed listen_address or option;
  // kUnavailable: the address could not be bound (in use, not local); kFailedPrecondition:
  // already started.
  absl::Status Start();

  // Stops accepting, waits for the requests in progress, releases the port. Idempotent.
  void Stop();

  // The bound port once Start succeeded (the picked one for port 0); 0 otherwise.
  int port() const;

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace kirim

#endif  // KIRIM_SERVER_HTTP_HTTP_SERVER_H_
