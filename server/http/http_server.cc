#include "server/http/http_server.h"

#include <arpa/inet.h>

#include <CivetServer.h>
#include <civetweb.h>

#include <algorithm>
#include <atomic>
#include <exception>
#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/synchronization/mutex.h"

namespace kirim {
namespace {

// An RFC 9110 §5.6.2 token in upper case, as methods are registered here.
bool IsMethod(absl::string_view method) {
  if (method.empty()) return false;
  for (char c : method) {
    if (!(absl::ascii_isupper(static_cast<unsigned char>(c)) || c == '-' || c == '_')) {
      return false;
    }
  }
  return true;
}

bool HasLineBreak(absl::string_view s) {
  return s.find('\r') != absl::string_view::npos || s.find('\n') != absl::string_view::npos;
}

// "host:port" with a numeric IPv4 host or a bracketed IPv6 one, as civetweb's listening_ports
// takes it. civetweb would treat anything else (a bare port, "s"/"r" suffixes, lists) as
// something we do not want here, so it is refused up front.
absl::Status CheckListenAddress(absl::string_view address) {
  size_t colon = address.rfind(':');
  if (colon == absl::string_view::npos) {
    return absl::InvalidArgumentError(
        absl::StrCat("listen address \"", address, "\" is not host:port"));
  }
  absl::string_view host = address.substr(0, colon);
  absl::string_view port_text = address.substr(colon + 1);
  int port = -1;
  if (port_text.empty() || !absl::SimpleAtoi(port_text, &port) || port < 0 || port > 65535 ||
      !std::all_of(port_text.begin(), port_text.end(),
                   [](char c) { return absl::ascii_isdigit(static_cast<unsigned char>(c)); })) {
    return absl::InvalidArgumentError(
        absl::StrCat("listen address \"", address, "\" has no port 0..65535"));
  }
  unsigned char buf[16];
  bool ok;
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    ok = inet_pton(AF_INET6, std::string(host.substr(1, host.size() - 2)).c_str(), buf) == 1;
  } else {
    ok = inet_pton(AF_INET, std::string(host).c_str(), buf) == 1;
  }
  if (!ok) {
    return absl::InvalidArgumentError(absl::StrCat(
        "listen address \"", address, "\" needs a numeric host (127.0.0.1, [::1], 0.0.0.0)"));
  }
  return absl::OkStatus();
}

HttpResponse Plain(int status, absl::string_view text) {
  HttpResponse r;
  r.status = status;
  r.body = absl::StrCat(text, "\n");
  return r;
}

}  // namespace

class HttpServer::Impl : public CivetHandler {
 public:
  explicit Impl(HttpServerOptions options) : options_(std::move(options)) {}
  ~Impl() override { Stop(); }

  absl::Status Handle(absl::string_view method, absl::string_view path, HttpHandler handler) {
    if (!IsMethod(method)) {
      return absl::InvalidArgumentError(absl::StrCat("\"", method, "\" is not an HTTP method"));
    }
    if (path.empty() || path.front() != '/' || HasLineBreak(path)) {
      return absl::InvalidArgumentError(absl::StrCat("path \"", path, "\" must start with /"));
    }
    absl::MutexLock lock(&routes_mu_);
    auto& methods = routes_[std::string(path)];
    if (!methods.emplace(std::string(method), std::move(handler)).second) {
      return absl::AlreadyExistsError(absl::StrCat(method, " ", path, " already has a handler"));
    }
    return absl::OkStatus();
  }

  absl::Status Start() {
    absl::MutexLock lock(&lifecycle_mu_);
    if (server_ != nullptr) return absl::FailedPreconditionError("HTTP server already started");
    if (absl::Status s = CheckListenAddress(options_.listen_address); !s.ok()) return s;
    if (options_.num_threads < 1 || options_.request_timeout_ms < 1) {
      return absl::InvalidArgumentError("num_threads and request_timeout_ms must be positive");
    }
    const std::vector<std::string> civet_options = {
        "listening_ports", options_.listen_address,
        "num_threads", absl::StrCat(options_.num_threads),
        "request_timeout_ms", absl::StrCat(options_.request_timeout_ms),
        // One request per connection: a worker thread is never parked on an idle client.
        "enable_keep_alive", "no",
    };
    CivetCallbacks callbacks;
    callbacks.log_message = &Impl::OnCivetLog;
    {
      absl::MutexLock log_lock(&log_mu_);
      civet_errors_.clear();
    }
    try {
      // The CivetServer hands `this` back through getUserContext() in OnCivetLog, which is how
      // a bind error's text reaches the status below.
      server_ = std::make_unique<CivetServer>(civet_options, &callbacks, this);
    } catch (const std::exception& e) {
      server_.reset();
      absl::MutexLock log_lock(&log_mu_);
      return absl::UnavailableError(absl::StrCat(
          "cannot serve HTTP on ", options_.listen_address, ": ",
          civet_errors_.empty() ? std::string(e.what()) : absl::StrJoin(civet_errors_, "; ")));
    }
    // Every path goes to Serve, which answers unknown ones itself ("**" matches any URI).
    server_->addHandler("**", this);
    std::vector<int> ports = server_->getListeningPorts();
    port_.store(ports.empty() ? 0 : ports.front());
    return absl::OkStatus();
  }

  void Stop() {
    absl::MutexLock lock(&lifecycle_mu_);
    if (server_ == nullptr) return;
    server_->close();  // mg_stop: joins the worker threads, closes the listening socket
    server_.reset();
    port_.store(0);
  }

  // Lock-free, so a handler may ask while Stop (holding lifecycle_mu_) waits for it.
  int port() const { return port_.load(); }

  // CivetHandler: every method civetweb dispatches goes to Serve. The status code goes back to
  // civetweb for its own bookkeeping (it then discards any unread request body).
  bool handleGet(CivetServer*, mg_connection* conn, int* status) override {
    return Serve(conn, status);
  }
  bool handlePost(CivetServer*, mg_connection* conn, int* status) override {
    return Serve(conn, status);
  }
  bool handleHead(CivetServer*, mg_connection* conn, int* status) override {
    return Serve(conn, status);
  }
  bool handlePut(CivetServer*, mg_connection* conn, int* status) override {
    return Serve(conn, status);
  }
  bool handleDelete(CivetServer*, mg_connection* conn, int* status) override {
    return Serve(conn, status);
  }
  bool handleOptions(CivetServer*, mg_connection* conn, int* status) override {
    return Serve(conn, status);
  }
  bool handlePatch(CivetServer*, mg_connection* conn, int* status) override {
    return Serve(conn, status);
  }
  using CivetHandler::handleDelete;
  using CivetHandler::handleGet;
  using CivetHandler::handleHead;
  using CivetHandler::handleOptions;
  using CivetHandler::handlePatch;
  using CivetHandler::handlePost;
  using CivetHandler::handlePut;

 private:
  // civetweb's error log (bind failures, socket errors): keeps the first few lines for Start's
  // status and returns 1 so civetweb prints nothing itself. Its lines never carry request
  // bodies.
  static int OnCivetLog(const mg_connection* conn, const char* message) {
    const mg_context* ctx = conn == nullptr ? nullptr : mg_get_context(conn);
    const auto* server =
        ctx == nullptr ? nullptr : static_cast<const CivetServer*>(mg_get_user_data(ctx));
    const auto* self =
        server == nullptr ? nullptr : static_cast<const Impl*>(server->getUserContext());
    if (self != nullptr && message != nullptr) {
      absl::MutexLock lock(&self->log_mu_);
      if (self->civet_errors_.size() < kMaxCivetErrors) self->civet_errors_.push_back(message);
    }
    return 1;
  }

  bool Serve(mg_connection* conn, int* status) {
    HttpResponse response;
    bool head = false;
    try {
      response = Dispatch(conn, &head);
    } catch (...) {
      // A handler's exception must not unwind into civetweb's C code.
      response = Plain(500, "internal error");
    }
    Send(conn, response, head);
    *status = response.status;
    return true;
  }

  HttpResponse Dispatch(mg_connection* conn, bool* head) {
    const mg_request_info* info = mg_get_request_info(conn);
    HttpRequest request;
    request.method = info->request_method ? info->request_method : "";
    request.path = info->local_uri ? info->local_uri : "";
    request.query = info->query_string ? info->query_string : "";

    HttpHandler handler;
    std::set<std::string> allowed;
    {
      absl::ReaderMutexLock lock(&routes_mu_);
      auto route = routes_.find(request.path);
      if (route == routes_.end()) return Plain(404, "not found");
      const auto& methods = route->second;
      for (const auto& [method, h] : methods) allowed.insert(method);
      auto it = methods.find(request.method);
      if (it == methods.end() && request.method == "HEAD") {
        it = methods.find("GET");
        *head = it != methods.end();
      }
      if (it != methods.end()) handler = it->second;
    }
    if (allowed.count("GET")) allowed.insert("HEAD");
    if (!handler) {
      HttpResponse r = Plain(405, "method not allowed");
      r.headers.emplace_back("Allow", absl::StrJoin(allowed, ", "));
      return r;
    }

    for (int i = 0; i < info->num_headers; ++i) {
      std::string name = absl::AsciiStrToLower(info->http_headers[i].name);
      std::string value = info->http_headers[i].value ? info->http_headers[i].value : "";
      auto [it, inserted] = request.headers.emplace(name, value);
      if (!inserted) absl::StrAppend(&it->second, ", ", value);
    }

    // content_length is -1 when the client sent none (chunked, or read until close).
    if (info->content_length > 0 &&
        static_cast<unsigned long long>(info->content_length) > options_.max_body_bytes) {
      return Plain(413, "request body too large");
    }
    if (!ReadBody(conn, &request.body)) {
      if (request.body.size() > options_.max_body_bytes) {
        return Plain(413, "request body too large");
      }
      return Plain(400, "cannot read the request body");
    }
    return handler(request);
  }

  // Reads at most max_body_bytes + 1 bytes; false on a read error or when the body is larger.
  bool ReadBody(mg_connection* conn, std::string* body) {
    char buf[8192];
    while (true) {
      int n = mg_read(conn, buf, sizeof buf);
      if (n == 0) return true;
      if (n < 0) return false;
      body->append(buf, static_cast<size_t>(n));
      if (body->size() > options_.max_body_bytes) return false;
    }
  }

  static void Send(mg_connection* conn, HttpResponse& response, bool head) {
    bool valid = response.status >= 100 && response.status <= 599 &&
                 !HasLineBreak(response.content_type);
    for (const auto& [name, value] : response.headers) {
      if (name.empty() || HasLineBreak(name) || HasLineBreak(value) ||
          name.find(':') != std::string::npos) {
        valid = false;
      }
    }
    if (!valid) response = Plain(500, "internal error");
    mg_response_header_start(conn, response.status);
    mg_response_header_add(conn, "Content-Type", response.content_type.c_str(), -1);
    mg_response_header_add(conn, "Content-Length", absl::StrCat(response.body.size()).c_str(),
                           -1);
    for (const auto& [name, value] : response.headers) {
      mg_response_header_add(conn, name.c_str(), value.c_str(), -1);
    }
    mg_response_header_send(conn);
    if (!head && !response.body.empty()) {
      mg_write(conn, response.body.data(), response.body.size());
    }
  }

  const HttpServerOptions options_;

  absl::Mutex routes_mu_;
  std::map<std::string, std::map<std::string, HttpHandler>> routes_ ABSL_GUARDED_BY(routes_mu_);

  absl::Mutex lifecycle_mu_;
  std::unique_ptr<CivetServer> server_ ABSL_GUARDED_BY(lifecycle_mu_);
  std::atomic<int> port_{0};

  static constexpr size_t kMaxCivetErrors = 4;
  mutable absl::Mutex log_mu_;
  mutable std::vector<std::string> civet_errors_ ABSL_GUARDED_BY(log_mu_);
};

HttpServer::HttpServer(HttpServerOptions options)
    : impl_(std::make_unique<Impl>(std::move(options))) {}

HttpServer::~HttpServer() = default;

absl::Status HttpServer::Handle(absl::string_view method, absl::string_view path,
                                HttpHandler handler) {
  return impl_->Handle(method, path, std::move(handler));
}

absl::Status HttpServer::Start() { return impl_->Start(); }

void HttpServer::Stop() { impl_->Stop(); }

int HttpServer::port() const { return impl_->port(); }

}  // namespace kirim
