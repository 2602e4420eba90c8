#include "server/metrics/metrics.h"

#include <algorithm>
#include <map>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/types/span.h"
#include "prometheus/counter.h"
#include "prometheus/family.h"
#include "prometheus/gauge.h"
#include "prometheus/histogram.h"
#include "prometheus/metric_family.h"
#include "prometheus/registry.h"
#include "prometheus/text_serializer.h"

namespace kirim {
namespace {

using prometheus::Counter;
using prometheus::Family;
using prometheus::Gauge;
using prometheus::Histogram;

constexpr absl::string_view kOther = "other";
constexpr absl::string_view kRoles[] = {"api", "worker", "all"};
constexpr absl::string_view kReplyClasses[] = {"2xx", "3xx", "4xx", "5xx", "error"};
constexpr absl::string_view kQueueStates[] = {"ready", "scheduled", "in_flight", "dead"};

// `value` if it is one of `allowed`, else "other": a label never takes a value from outside its
// closed set, so a caller's typo or a new enum value cannot grow the series count.
std::string Closed(absl::string_view value, absl::Span<const absl::string_view> allowed) {
  for (absl::string_view a : allowed) {
    if (a == value) return std::string(a);
  }
  return std::string(kOther);
}

// "2xx".."5xx"; "error" for code 0 (no reply: timeout, refused connection, TLS failure);
// "other" for anything outside 200..599 (RFC 5321 §4.2 reply codes are 2yz..5yz).
std::string ReplyClass(int code) {
  if (code == 0) return "error";
  if (code >= 200 && code <= 599) return absl::StrCat(code / 100, "xx");
  return std::string(kOther);
}

// A domain as a label value: lower case, no trailing dot; "other" unless it looks like a DNS
// name or an address literal (RFC 5321 §4.1.3), so no odd bytes reach the exposition.
std::string DomainLabel(absl::string_view domain) {
  std::string d = absl::AsciiStrToLower(domain);
  if (!d.empty() && d.back() == '.') d.pop_back();
  if (d.empty() || d.size() > 253) return std::string(kOther);
  for (char c : d) {
    bool ok = absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.' ||
              c == '_' || c == ':' || c == '[' || c == ']';
    if (!ok) return std::string(kOther);
  }
  return d;
}

// Seconds for a histogram: negative (clock skew between hosts) counts as 0.
double Seconds(absl::Duration d) { return std::max(0.0, absl::ToDoubleSeconds(d)); }

}  // namespace

struct Metrics::Families {
  Family<Gauge>* build_info = nullptr;
  Family<Counter>* accepted = nullptr;
  Family<Counter>* rejected = nullptr;
  Family<Counter>* recipients = nullptr;
  Family<Histogram>* delivery_latency = nullptr;
  Family<Counter>* smtp_replies = nullptr;
  Family<Histogram>* smtp_phase = nullptr;
  Family<Histogram>* redis_round_trip = nullptr;
  Family<Gauge>* queue = nullptr;
  Family<Gauge>* destinations = nullptr;

  // The pre-created histograms by label value; read-only after construction. Values outside
  // the sets ("other") go through Family::Add, which finds or creates the series.
  std::map<std::string, Histogram*, std::less<>> latency_by_lane;
  std::map<std::string, Histogram*, std::less<>> phase_by_name;
  Histogram* redis = nullptr;

  absl::Mutex destinations_mu;
  std::map<std::string, Gauge*> destination_gauges ABSL_GUARDED_BY(destinations_mu);

  absl::Mutex hooks_mu;
  std::vector<std::function<void()>> hooks ABSL_GUARDED_BY(hooks_mu);

  // One Serialize at a time, so refresh hooks never run concurrently with each other.
  absl::Mutex collect_mu;
};

Metrics::Metrics(MetricsOptions options)
    : options_(std::move(options)),
      registry_(std::make_shared<prometheus::Registry>()),
      families_(std::make_unique<Families>()) {
  Families& f = *families_;
  prometheus::Registry& r = *registry_;
  f.build_info = &prometheus::BuildGauge()
                      .Name("kirim_build_info")
                      .Help("Build information of this kirimd process: version and role "
                            "(api, worker or all). Always 1.")
                      .Register(r);
  f.accepted = &prometheus::BuildCounter()
                    .Name("kirim_messages_accepted_total")
                    .Help("Messages accepted by SendEmail and stored in the queue, by lane.")
                    .Register(r);
  f.rejected = &prometheus::BuildCounter()
                    .Name("kirim_messages_rejected_total")
                    .Help("SendEmail requests refused before anything was stored, by reason.")
                    .Register(r);
  f.recipients = &prometheus::BuildCounter()
                      .Name("kirim_recipients_total")
                      .Help("Recipient delivery events by lane and outcome (delivered, deferred, "
                            "bounced, expired, suppressed, cancelled).")
                      .Register(r);
  f.delivery_latency = &prometheus::BuildHistogram()
                            .Name("kirim_delivery_latency_seconds")
                            .Help("Time from acceptance to successful delivery of one recipient, "
                                  "in seconds, by lane.")
                            .Register(r);
  f.smtp_replies = &prometheus::BuildCounter()
                        .Name("kirim_smtp_replies_total")
                        .Help("SMTP replies by phase and reply class (2xx to 5xx), or error when "
                              "no reply came (timeout, refused connection, TLS failure).")
                        .Register(r);
  f.smtp_phase = &prometheus::BuildHistogram()
                      .Name("kirim_smtp_phase_duration_seconds")
                      .Help("Duration of one SMTP phase, from sending the command to reading "
                            "the reply, in seconds.")
                      .Register(r);
  f.redis_round_trip = &prometheus::BuildHistogram()
                            .Name("kirim_redis_round_trip_seconds")
                            .Help("Duration of one Redis round trip (a command, a pipeline or a "
                                  "script), in seconds.")
                            .Register(r);
  f.queue = &prometheus::BuildGauge()
                 .Name("kirim_queue_messages")
                 .Help("Messages in the queue by lane and state (ready, scheduled, in_flight, "
                       "dead).")
                 .Register(r);
  f.destinations = &prometheus::BuildGauge()
                        .Name("kirim_destination_deferred_recipients")
                        .Help("Recipients waiting for a retry, for the busiest destination "
                              "domains only.")
                        .Register(r);

  f.build_info->Add({{"version", options_.version}, {"role", Closed(options_.role, kRoles)}})
      .Set(1);
  // Every series of the closed sets exists from the start, at zero: rate() and absent()-style
  // alerts need a series before its first event.
  for (absl::string_view lane : kLanes) {
    const std::string l(lane);
    f.accepted->Add({{"lane", l}});
    for (absl::string_view outcome : kOutcomes) {
      f.recipients->Add({{"lane", l}, {"outcome", std::string(outcome)}});
    }
    f.latency_by_lane[l] = &f.delivery_latency->Add({{"lane", l}}, DeliveryLatencyBuckets());
    for (absl::string_view state : kQueueStates) {
      f.queue->Add({{"lane", l}, {"state", std::string(state)}});
    }
  }
  for (absl::string_view reason : kRejectReasons) {
    f.rejected->Add({{"reason", std::string(reason)}});
  }
  for (absl::string_view phase : kSmtpPhases) {
    const std::string p(phase);
    for (absl::string_view cls : kReplyClasses) {
      f.smtp_replies->Add({{"phase", p}, {"class", std::string(cls)}});
    }
    f.phase_by_name[p] = &f.smtp_phase->Add({{"phase", p}}, SmtpPhaseBuckets());
  }
  f.redis = &f.redis_round_trip->Add({}, RedisBuckets());
}

Metrics::~Metrics() = default;

void Metrics::Accepted(absl::string_view lane) {
  families_->accepted->Add({{"lane", Closed(lane, kLanes)}}).Increment();
}

void Metrics::Rejected(absl::string_view reason) {
  families_->rejected->Add({{"reason", Closed(reason, kRejectReasons)}}).Increment();
}

void Metrics::Recipient(absl::string_view lane, absl::string_view outcome) {
  families_->recipients
      ->Add({{"lane", Closed(lane, kLanes)}, {"outcome", Closed(outcome, kOutcomes)}})
      .Increment();
}

void Metrics::AcceptToDelivered(absl::string_view lane, absl::Duration latency) {
  auto it = families_->latency_by_lane.find(lane);
  Histogram& h = it != families_->latency_by_lane.end()
                     ? *it->second
                     : families_->delivery_latency->Add({{"lane", std::string(kOther)}},
                                                        DeliveryLatencyBuckets());
  h.Observe(Seconds(latency));
}

void Metrics::SmtpReply(absl::string_view phase, int code) {
  families_->smtp_replies->Add({{"phase", Closed(phase, kSmtpPhases)}, {"class", ReplyClass(code)}})
      .Increment();
}

void Metrics::SmtpPhase(absl::string_view phase, absl::Duration duration) {
  auto it = families_->phase_by_name.find(phase);
  Histogram& h = it != families_->phase_by_name.end()
                     ? *it->second
                     : families_->smtp_phase->Add({{"phase", std::string(kOther)}},
                                                  SmtpPhaseBuckets());
  h.Observe(Seconds(duration));
}

void Metrics::RedisRoundTrip(absl::Duration duration) {
  families_->redis->Observe(Seconds(duration));
}

void Metrics::SetQueue(absl::string_view lane, const QueueFigures& figures) {
  const std::string l = Closed(lane, kLanes);
  const std::pair<absl::string_view, int64_t> values[] = {{"ready", figures.ready},
                                                          {"scheduled", figures.scheduled},
                                                          {"in_flight", figures.in_flight},
                                                          {"dead", figures.dead}};
  for (const auto& [state, value] : values) {
    families_->queue->Add({{"lane", l}, {"state", std::string(state)}})
        .Set(static_cast<double>(value));
  }
}

void Metrics::SetDestinations(const std::vector<std::pair<std::string, int64_t>>& deferred) {
  // The first max_destinations distinct labels; a domain listed twice (or two that both map
  // to "other") add up.
  std::map<std::string, int64_t> wanted;
  for (const auto& [domain, count] : deferred) {
    std::string label = DomainLabel(domain);
    auto it = wanted.find(label);
    if (it == wanted.end()) {
      if (wanted.size() >= options_.max_destinations) continue;
      it = wanted.emplace(std::move(label), 0).first;
    }
    it->second += count;
  }
  Families& f = *families_;
  absl::MutexLock lock(&f.destinations_mu);
  for (auto it = f.destination_gauges.begin(); it != f.destination_gauges.end();) {
    if (wanted.count(it->first) == 0) {
      f.destinations->Remove(it->second);
      it = f.destination_gauges.erase(it);
    } else {
      ++it;
    }
  }
  for (const auto& [label, count] : wanted) {
    Gauge*& gauge = f.destination_gauges[label];
    if (gauge == nullptr) gauge = &f.destinations->Add({{"domain", label}});
    gauge->Set(static_cast<double>(count));
  }
}

void Metrics::OnCollect(std::function<void()> refresh) {
  absl::MutexLock lock(&families_->hooks_mu);
  families_->hooks.push_back(std::move(refresh));
}

std::string Metrics::Serialize() {
  absl::MutexLock collect(&families_->collect_mu);
  std::vector<std::function<void()>> hooks;
  {
    absl::MutexLock lock(&families_->hooks_mu);
    hooks = families_->hooks;
  }
  // Outside hooks_mu, so a hook may register another hook without deadlocking.
  for (const auto& hook : hooks) hook();
  std::vector<prometheus::MetricFamily> families = registry_->Collect();
  // Stable order (the registry keeps series in hash order), so two scrapes diff cleanly.
  std::sort(families.begin(), families.end(),
            [](const auto& a, const auto& b) { return a.name < b.name; });
  for (auto& family : families) {
    std::stable_sort(family.metric.begin(), family.metric.end(),
                     [](const auto& a, const auto& b) { return a.label < b.label; });
  }
  return prometheus::TextSerializer().Serialize(families);
}

prometheus::Registry& Metrics::registry() { return *registry_; }

}  // namespace kirim
