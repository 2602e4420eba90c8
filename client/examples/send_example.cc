// send_example: the smallest useful program over kirim::client::KirimClient. Sends one message
// and prints its id.
//
//   export KIRIM_API_KEY=...            # an API key with the SEND scope
//   export KIRIM_ADDRESS=127.0.0.1:50051  # optional
//   bazel run //client/examples:send_example -- ana@example.net shop@example.com
//
// Exit codes: 0 sent; 1 the server refused or could not be reached; 2 usage.
#include <cstdlib>
#include <iostream>

#include "client/kirim_client.h"

int main(int argc, char** argv) {
  if (argc < 2 || argc > 3) {
    std::cerr << "usage: send_example <to> [from]   (API key in $KIRIM_API_KEY)\n";
    return 2;
  }
  kirim::client::ClientOptions options;
  if (const char* key = std::getenv("KIRIM_API_KEY")) options.api_key = key;
  if (const char* address = std::getenv("KIRIM_ADDRESS")) options.address = address;
  auto client = kirim::client::KirimClient::Connect(options);
  if (!client.ok()) {
    std::cerr << client.status() << "\n";
    return 2;
  }

  kirim::v1::SendEmailRequest request;
  request.set_from(argc == 3 ? argv[2] : "shop@example.com");
  request.add_to(argv[1]);
  request.set_subject("Hello from Kirim");
  request.set_text_body("This message was sent with the Kirim C++ client.\n");
  // SendEmail gives the request an idempotency key and retries transient failures with it, so
  // this sends at most one message however often it is retried.
  absl::StatusOr<kirim::v1::SendEmailResponse> sent = (*client)->SendEmail(request);
  if (!sent.ok()) {
    std::cerr << sent.status().code() << ": " << sent.status().message() << "\n";
    kirim::client::ErrorDetails details = kirim::client::DetailsOf(sent.status());
    for (const auto& v : details.field_violations) {
      std::cerr << "  " << v.field << ": " << v.description << "\n";
    }
    for (const auto& v : details.precondition_violations) {
      std::cerr << "  " << v.type << " " << v.subject << ": " << v.description << "\n";
    }
    return 1;
  }
  std::cout << sent->id() << "\n";
  return 0;
}
