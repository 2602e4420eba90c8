#include "server/events/event_filter.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "server/common/status_details.h"
#include "server/queue/message_id.h"

namespace kirim {

absl::StatusOr<EventFilter> EventFilter::FromRequest(const v1::WatchEventsRequest& request) {
  EventFilter f;
  FieldViolations bad;
  for (int i = 0; i < request.types_size(); ++i) {
    const int t = request.types(i);
    if (t == v1::Event::TYPE_UNSPECIFIED || !v1::Event::Type_IsValid(t)) {
      bad.Add(absl::StrCat("types[", i, "]"), "not an event type");
      continue;
    }
    f.types_.insert(t);
  }
  f.tag_ = request.tag();
  if (!request.message().empty()) {
    absl::StatusOr<std::string> id = ParseMessageName(request.message());
    if (id.ok()) {
      f.message_ = MessageName(*id);
    } else {
      bad.Add("message", std::string(id.status().message()));
    }
  }
  if (!bad.empty()) return bad.ToStatus();
  return f;
}

bool EventFilter::Matches(const v1::Event& event) const {
  if (event.type() == v1::Event::TYPE_UNSPECIFIED) return false;
  if (!types_.empty() && types_.count(event.type()) == 0) return false;
  if (!message_.empty() && event.message() != message_) return false;
  if (!tag_.empty() &&
      std::find(event.tags().begin(), event.tags().end(), tag_) == event.tags().end()) {
    return false;
  }
  return true;
}

}  // namespace kirim
