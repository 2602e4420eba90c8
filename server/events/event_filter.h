// EventFilter: which events one WatchEvents call wants, from kirim.v1.WatchEventsRequest:
// any of `types` (all when empty), carrying `tag` (any when empty), of `message` (any when
// empty). Validated once, matched per event.
//
//   absl::StatusOr<EventFilter> f = EventFilter::FromRequest(request);  // INVALID_ARGUMENT +
//   BadRequest if (f->Matches(event)) ...
#ifndef KIRIM_SERVER_EVENTS_EVENT_FILTER_H_
#define KIRIM_SERVER_EVENTS_EVENT_FILTER_H_

#include <set>
#include <string>

#include "absl/status/statusor.h"
#include "kirim/v1/mail_service.pb.h"
#include "kirim/v1/message.pb.h"

namespace kirim {

class EventFilter {
 public:
  // Matches every event.
  EventFilter() = default;

  // INVALID_ARGUMENT with google.rpc.BadRequest naming `types[i]` (unknown or TYPE_UNSPECIFIED)
  // or `message` (not "messages/{id}" or an id).
  static absl::StatusOr<EventFilter> FromRequest(const v1::WatchEventsRequest& request);

  // TYPE_UNSPECIFIED events (placeholders for unreadable entries) never match.
  bool Matches(const v1::Event& event) const;

 private:
  std::set<int> types_;
  std::string tag_;
  // "messages/{id}", normalized.
  std::string message_;
};

}  // namespace kirim

#endif  // KIRIM_SERVER_EVENTS_EVENT_FILTER_H_
