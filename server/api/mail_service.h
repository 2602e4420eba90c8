// MailService: the gRPC face of MailApi (callback API). Each handler goes through RpcGuard
// (authenticate, authorize), calls MailApi, and converts the result with ToGrpcStatus.
// WatchEvents streams through EventStreams (one reader thread per stream, bounded); call
// Shutdown() before the gRPC server shuts down so open streams end at once.
//
//   MailService service(api, guard, logger, EventStreamOptions{.max_streams = 256});
//   builder.RegisterService(&service);
//   ...
//   service.Shutdown();
//   server->Shutdown(deadline);
#ifndef KIRIM_SERVER_API_MAIL_SERVICE_H_
#define KIRIM_SERVER_API_MAIL_SERVICE_H_

#include "kirim/v1/mail_service.grpc.pb.h"
#include "server/api/mail_api.h"
#include "server/api/rpc_guard.h"
#include "server/common/logger.h"
#include "server/events/event_streams.h"

namespace kirim {

class MailService final : public v1::MailService::CallbackService {
 public:
  MailService(MailApi& api, RpcGuard& guard, Logger& logger, EventStreamOptions streams = {})
      : api_(api), guard_(guard), streams_(logger, std::move(streams)) {}

  grpc::ServerUnaryReactor* SendEmail(grpc::CallbackServerContext* context,
                                      const v1::SendEmailRequest* request,
                                      v1::SendEmailResponse* response) override;
  grpc::ServerUnaryReactor* GetMessage(grpc::CallbackServerContext* context,
                                       const v1::GetMessageRequest* request,
                                       v1::Message* response) override;
  grpc::ServerUnaryReactor* CancelMessage(grpc::CallbackServerContext* context,
                                          const v1::CancelMessageRequest* request,
                                          v1::Message* response) override;
  // Streams the caller's tenant's events (READ scope), filtered by the request; the headers are
  // sent once the starting position is fixed.
  grpc::ServerWriteReactor<v1::Event>* WatchEvents(grpc::CallbackServerContext* context,
                                                   const v1::WatchEventsRequest* request) override;
  // Guarded, not built yet.
  grpc::ServerUnaryReactor* SendBatch(grpc::CallbackServerContext* context,
                                      const v1::SendBatchRequest*, v1::SendBatchResponse*) override;
  grpc::ServerUnaryReactor* PreviewEmail(grpc::CallbackServerContext* context,
                                         const v1::SendEmailRequest*,
                                         v1::PreviewEmailResponse*) override;

  // Ends every open WatchEvents stream (UNAVAILABLE) and refuses new ones.
  void Shutdown() { streams_.Shutdown(); }
  // Open WatchEvents streams.
  int active_streams() { return streams_.active(); }

 private:
  static std::string Method(absl::string_view name) {
    return FullMethod(v1::MailService::service_full_name(), name);
  }
  MailApi& api_;
  RpcGuard& guard_;
  EventStreams streams_;
};

}  // namespace kirim

#endif  // KIRIM_SERVER_API_MAIL_SERVICE_H_
