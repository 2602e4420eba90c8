// Metrics handler: serves the process's Prometheus metrics (server/metrics/metrics.h) over an
// HttpServer, as GET /metrics in the text exposition format 0.0.4, which Prometheus scrapes.
//
//   HttpServer http({.listen_address = "0.0.0.0:9090"});
//   KIRIM_RETURN_IF_ERROR(RegisterMetricsHandler(http, metrics));
//   KIRIM_RETURN_IF_ERROR(http.Start());
//   // curl http://host:9090/metrics
//
// Every scrape runs Metrics::Serialize, so the OnCollect refresh hooks run once per scrape.
#ifndef KIRIM_SERVER_HTTP_METRICS_HANDLER_H_
#define KIRIM_SERVER_HTTP_METRICS_HANDLER_H_

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "server/http/http_server.h"
#include "server/metrics/metrics.h"

namespace kirim {

// The content type of the Prometheus text exposition format, version 0.0.4.
inline constexpr char kMetricsContentType[] = "text/plain; version=0.0.4; charset=utf-8";

// Registers GET `path` on `server`, answering metrics.Serialize(). `metrics` must outlive the
// server's serving (Stop it first). Errors as HttpServer::Handle (kAlreadyExists).
absl::Status RegisterMetricsHandler(HttpServer& server, Metrics& metrics,
                                    absl::string_view path = "/metrics");

}  // namespace kirim

#endif  // KIRIM_SERVER_HTTP_METRICS_HANDLER_H_
