// Conversions between absl::Time and google.protobuf.Timestamp, in one place.
//
//   *m.mutable_create_time() = ToProtoTime(clock.Now());
//   absl::Time t = FromProtoTime(m.create_time());
#ifndef KIRIM_SERVER_COMMON_PROTO_TIME_H_
#define KIRIM_SERVER_COMMON_PROTO_TIME_H_

#include "absl/time/time.h"
#include "google/protobuf/timestamp.pb.h"

namespace kirim {

inline google::protobuf::Timestamp ToProtoTime(absl::Time t) {
  google::protobuf::Timestamp ts;
  const int64_t nanos = absl::ToUnixNanos(t);
  ts.set_seconds(nanos / 1000000000);
  ts.set_nanos(static_cast<int32_t>(nanos % 1000000000));
  return ts;
}

inline absl::Time FromProtoTime(const google::protobuf::Timestamp& ts) {
  return absl::FromUnixSeconds(ts.seconds()) + absl::Nanoseconds(ts.nanos());
}

}  // namespace kirim

#endif  // KIRIM_SERVER_COMMON_PROTO_TIME_H_
