#include "server/http/metrics_handler.h"

namespace kirim {

absl::Status RegisterMetricsHandler(HttpServer& server, Metrics& metrics,
                                    absl::string_view path) {
  return server.Handle("GET", path, [&metrics](const HttpRequest&) {
    HttpResponse response;
    response.content_type = kMetricsContentType;
    response.body = metrics.Serialize();
    return response;
  });
}

}  // namespace kirim
