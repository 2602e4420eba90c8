// echo_server: the ceiling for bench/run's ingest figure. A kirim.v1.MailService whose
// SendEmail answers a fixed id and does nothing else: no authentication, no validation, no
// Redis. What Kirim's API reaches relative to it is the share of the gRPC stack's own speed
// (on the same machine, with the same load generator) that Kirim's work leaves.
//
//   echo_server --listen=127.0.0.1:0 --max_seconds=1800
//   -> prints "PORT 40123" on stdout once serving; stops on SIGTERM/SIGINT or after
//      --max_seconds, whichever comes first.
#include <signal.h>

#include <chrono>
#include <cstdio>
#include <iostream>
#include <memory>
#include <string>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "grpcpp/grpcpp.h"
#include "kirim/v1/mail_service.grpc.pb.h"

ABSL_FLAG(std::string, listen, "127.0.0.1:0", "Listen address (port 0 picks a free one)");
ABSL_FLAG(int, max_seconds, 1800, "Stop by itself after this long (1..86400)");

namespace {

class EchoMailService final : public kirim::v1::MailService::CallbackService {
 public:
  grpc::ServerUnaryReactor* SendEmail(grpc::CallbackServerContext* context,
                                      const kirim::v1::SendEmailRequest*,
                                      kirim::v1::SendEmailResponse* response) override {
    response->set_id("01JD3Y8Q7W9K2M4N6P8R0T2V4X");
    response->set_name("messages/01JD3Y8Q7W9K2M4N6P8R0T2V4X");
    auto* reactor = context->DefaultReactor();
    reactor->Finish(grpc::Status::OK);
    return reactor;
  }
};

}  // namespace

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage("A do-nothing kirim.v1.MailService, the ceiling for bench/run.");
  absl::ParseCommandLine(argc, argv);
  const int max_seconds = absl::GetFlag(FLAGS_max_seconds);
  if (max_seconds < 1 || max_seconds > 86400) {
    std::cerr << "echo_server: --max_seconds out of range\n";
    return 2;
  }

  // Signals are taken synchronously by this thread; gRPC's threads inherit the mask.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  EchoMailService service;
  int port = 0;
  grpc::ServerBuilder builder;
  builder.AddListeningPort(absl::GetFlag(FLAGS_listen), grpc::InsecureServerCredentials(), &port);
  // The same request size limit kirimd applies by default (2 × 25 MiB).
  builder.SetMaxReceiveMessageSize(50 * 1024 * 1024);
  builder.RegisterService(&service);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (server == nullptr || port == 0) {
    std::cerr << "echo_server: cannot listen on " << absl::GetFlag(FLAGS_listen) << "\n";
    return 1;
  }
  std::printf("PORT %d\n", port);
  std::fflush(stdout);

  const timespec limit = {max_seconds, 0};
  sigtimedwait(&signals, nullptr, &limit);
  server->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(2));
  return 0;
}
