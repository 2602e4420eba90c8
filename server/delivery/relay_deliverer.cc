#include "server/delivery/relay_deliverer.h"

#include "absl/strings/str_cat.h"

namespace kirim {

std::string RelayDeliverer::Describe() const {
  const char* tls = options_.tls == smtp::TlsMode::kImplicit       ? "implicit-tls"
                    : options_.tls == smtp::TlsMode::kNone         ? "plaintext"
                    : options_.tls == smtp::TlsMode::kStartTlsOpportunistic ? "starttls-opportunistic"
                                                                            : "starttls";
  return absl::StrCat("relay ", options_.host, ":", options_.port, " ", tls);
}

DeliveryReport RelayDeliverer::Deliver(const smtp::Envelope& envelope, absl::string_view content,
                                       absl::string_view) {
  const std::string remote = absl::StrCat(options_.host, ":", options_.port);
  smtp::ClientOptions client = options_.client;
  client.tls = options_.tls;
  if (client.tls_options.server_name.empty()) client.tls_options.server_name = options_.host;

  auto conn = connector_.Connect(options_.host, options_.port, options_.connect_timeout,
                                 options_.tls == smtp::TlsMode::kImplicit ? &client.tls_options
                                                                          : nullptr);
  if (!conn.ok()) {
    // Refused, unreachable, timed out, or the implicit-TLS handshake failed: all transient.
    smtp::TransactionResult failed;
    failed.failed_phase = "connect";
    failed.local_error = conn.status();
    return ReportFromTransaction(envelope, failed, remote);
  }
  smtp::SmtpClient session(**conn, std::move(client));
  smtp::SessionResult hello = session.Handshake();
  if (!hello.ok()) {
    smtp::TransactionResult failed;
    static_cast<smtp::SessionResult&>(failed) = hello;
    session.Quit();
    return ReportFromTransaction(envelope, failed, remote);
  }
  smtp::TransactionResult result = session.Send(envelope, content);
  session.Quit();
  return ReportFromTransaction(envelope, result, remote);
}

}  // namespace kirim
