#include "server/queue/message_queue.h"

namespace kirim {

absl::string_view LaneName(Lane lane) {
  return lane == Lane::kTransactional ? "transactional" : "bulk";
}

}  // namespace kirim
