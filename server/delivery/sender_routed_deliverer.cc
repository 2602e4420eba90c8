#include "server/delivery/sender_routed_deliverer.h"

#include "absl/strings/str_cat.h"

namespace kirim {

std::string SenderRoutedDeliverer::Describe() const {
  std::string out = fallback_->Describe();
  for (const auto& [domain, deliverer] : routes_) {
    absl::StrAppend(&out, "; from ", domain, ": ", deliverer->Describe());
  }
  return out;
}

}  // namespace kirim
