#include "server/queue/queue_stats.h"

#include <map>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "server/common/proto_time.h"
#include "server/metrics/buckets.h"

namespace kirim {
namespace {

std::string DomainOf(absl::string_view address) {
  const size_t at = address.rfind('@');
  return absl::AsciiStrToLower(at == absl::string_view::npos ? address : address.substr(at + 1));
}

std::map<std::string, bool> DeferredByAddress(const storage::v1::StoredMessage& m) {
  std::map<std::string, bool> out;
  for (const v1::RecipientResult& r : m.message().recipients()) {
    out[r.address()] = r.state() == v1::RECIPIENT_DEFERRED;
  }
  return out;
}

}  // namespace

std::vector<std::string> StatisticsFor(const storage::v1::StoredMessage* before,
                                       const storage::v1::StoredMessage& after,
                                       const std::vector<v1::Event>& events) {
  std::vector<std::string> out;
  const absl::Time accepted = FromProtoTime(after.message().create_time());
  for (const v1::Event& e : events) {
    out.push_back(absl::StrCat("n:", absl::AsciiStrToLower(v1::Event::Type_Name(e.type())), " 1"));
    if (e.type() == v1::Event::DELIVERED) {
      const double seconds = absl::ToDoubleSeconds(FromProtoTime(e.time()) - accepted);
      out.push_back(
          absl::StrCat("n:lat:", BucketIndex(DeliveryLatencyBuckets(), seconds), " 1"));
    }
  }
  const int attempts_before = before == nullptr ? 0 : before->message().attempts_size();
  for (int i = attempts_before; i < after.message().attempts_size(); ++i) {
    const v1::Attempt& a = after.message().attempts(i);
    const double seconds =
        absl::ToDoubleSeconds(FromProtoTime(a.end_time()) - FromProtoTime(a.start_time()));
    out.push_back(absl::StrCat("n:smtp:", BucketIndex(SmtpPhaseBuckets(), seconds), " 1"));
  }
  std::map<std::string, bool> was;
  if (before != nullptr) was = DeferredByAddress(*before);
  for (const auto& [address, now_deferred] : DeferredByAddress(after)) {
    const bool was_deferred = was.count(address) && was[address];
    if (now_deferred != was_deferred) {
      out.push_back(absl::StrCat("d:", DomainOf(address), now_deferred ? " 1" : " -1"));
    }
  }
  return out;
}

}  // namespace kirim
