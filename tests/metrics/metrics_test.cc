// Metrics: records known events, reads the exposition back and checks exact values and label
// sets: closed sets ("other" for anything else), pre-created zeros, stale destinations removed,
// histogram buckets for known durations, build info, refresh hooks.
#include "server/metrics/metrics.h"

#include <algorithm>
#include <cmath>
#include <iterator>
#include <limits>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/metrics/buckets.h"
#include "tests/metrics/exposition.h"

namespace kirim {
namespace {

using ::kirim::testing::Exposition;
using ::kirim::testing::LabelSet;
using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::Optional;

Exposition Scrape(Metrics& metrics) {
  Exposition e = Exposition::Parse(metrics.Serialize());
  EXPECT_THAT(e.errors(), IsEmpty());
  return e;
}

// The label values of every sample of `name` for label `key`.
std::vector<std::string> LabelValues(const Exposition& e, const std::string& name,
                                     const std::string& key) {
  std::vector<std::string> out;
  for (const auto& s : e.All(name)) {
    auto it = s.labels.find(key);
    out.push_back(it == s.labels.end() ? "" : it->second);
  }
  std::sort(out.begin(), out.end());
  return out;
}

TEST(MetricsTest, BuildInfoIsOneWithVersionAndRole) {
  Metrics metrics({.version = "0.6.0", .role = "worker"});
  Exposition e = Scrape(metrics);
  EXPECT_EQ(e.Type("kirim_build_info"), "gauge");
  EXPECT_THAT(e.Value("kirim_build_info", {{"version", "0.6.0"}, {"role", "worker"}}),
              Optional(1.0));
  EXPECT_EQ(e.All("kirim_build_info").size(), 1u);
}

TEST(MetricsTest, UnknownRoleIsOther) {
  Metrics metrics({.version = "1.2.3", .role = "bogus"});
  Exposition e = Scrape(metrics);
  EXPECT_THAT(e.Value("kirim_build_info", {{"version", "1.2.3"}, {"role", "other"}}),
              Optional(1.0));
}

TEST(MetricsTest, ClosedSetsExistAtZeroBeforeAnyEvent) {
  Metrics metrics;
  Exposition e = Scrape(metrics);
  for (absl::string_view lane : kLanes) {
    const std::string l(lane);
    EXPECT_THAT(e.Value("kirim_messages_accepted_total", {{"lane", l}}), Optional(0.0)) << l;
    for (absl::string_view outcome : kOutcomes) {
      EXPECT_THAT(e.Value("kirim_recipients_total", {{"lane", l}, {"outcome", std::string(outcome)}}),
                  Optional(0.0))
          << l << " " << outcome;
    }
    EXPECT_THAT(e.Value("kirim_delivery_latency_seconds_count", {{"lane", l}}), Optional(0.0));
    for (const char* state : {"ready", "scheduled", "in_flight", "dead"}) {
      EXPECT_THAT(e.Value("kirim_queue_messages", {{"lane", l}, {"state", state}}),
                  Optional(0.0));
    }
  }
  for (absl::string_view reason : kRejectReasons) {
    EXPECT_THAT(e.Value("kirim_messages_rejected_total", {{"reason", std::string(reason)}}),
                Optional(0.0))
        << reason;
  }
  for (absl::string_view phase : kSmtpPhases) {
    const std::string p(phase);
    for (const char* cls : {"2xx", "3xx", "4xx", "5xx", "error"}) {
      EXPECT_THAT(e.Value("kirim_smtp_replies_total", {{"phase", p}, {"class", cls}}),
                  Optional(0.0))
          << p << " " << cls;
    }
    EXPECT_THAT(e.Value("kirim_smtp_phase_duration_seconds_count", {{"phase", p}}),
                Optional(0.0));
  }
  EXPECT_THAT(e.Value("kirim_redis_round_trip_seconds_count"), Optional(0.0));
  // Exactly the closed sets: no "other" series until something unknown is recorded.
  EXPECT_EQ(e.All("kirim_messages_accepted_total").size(), std::size(kLanes));
  EXPECT_EQ(e.All("kirim_recipients_total").size(), std::size(kLanes) * std::size(kOutcomes));
  EXPECT_EQ(e.All("kirim_messages_rejected_total").size(), std::size(kRejectReasons));
  EXPECT_EQ(e.All("kirim_smtp_replies_total").size(), std::size(kSmtpPhases) * 5);
  EXPECT_THAT(e.All("kirim_destination_deferred_recipients"), IsEmpty());
}

TEST(MetricsTest, CountersCountAndUnknownValuesBecomeOther) {
  Metrics metrics;
  metrics.Accepted("transactional");
  metrics.Accepted("transactional");
  metrics.Accepted("bulk");
  metrics.Accepted("marketing");  // not a lane
  metrics.Rejected("rate_limited");
  metrics.Rejected("cosmic_rays");  // not a reason
  metrics.Rejected("other");
  metrics.Recipient("bulk", "delivered");
  metrics.Recipient("bulk", "delivered");
  metrics.Recipient("bulk", "vanished");               // not an outcome
  metrics.Recipient("user-1234@example.com", "deferred");  // never a per-recipient label
  Exposition e = Scrape(metrics);

  EXPECT_THAT(e.Value("kirim_messages_accepted_total", {{"lane", "transactional"}}),
              Optional(2.0));
  EXPECT_THAT(e.Value("kirim_messages_accepted_total", {{"lane", "bulk"}}), Optional(1.0));
  EXPECT_THAT(e.Value("kirim_messages_accepted_total", {{"lane", "other"}}), Optional(1.0));
  EXPECT_THAT(LabelValues(e, "kirim_messages_accepted_total", "lane"),
              ElementsAre("bulk", "other", "transactional"));

  EXPECT_THAT(e.Value("kirim_messages_rejected_total", {{"reason", "rate_limited"}}),
              Optional(1.0));
  EXPECT_THAT(e.Value("kirim_messages_rejected_total", {{"reason", "other"}}), Optional(2.0));
  EXPECT_EQ(e.All("kirim_messages_rejected_total").size(), std::size(kRejectReasons));

  EXPECT_THAT(e.Value("kirim_recipients_total", {{"lane", "bulk"}, {"outcome", "delivered"}}),
              Optional(2.0));
  EXPECT_THAT(e.Value("kirim_recipients_total", {{"lane", "bulk"}, {"outcome", "other"}}),
              Optional(1.0));
  EXPECT_THAT(e.Value("kirim_recipients_total", {{"lane", "other"}, {"outcome", "deferred"}}),
              Optional(1.0));
  EXPECT_EQ(e.All("kirim_recipients_total").size(),
            std::size(kLanes) * std::size(kOutcomes) + 2);
}

TEST(MetricsTest, SmtpRepliesByPhaseAndClass) {
  Metrics metrics;
  metrics.SmtpReply("rcpt", 550);
  metrics.SmtpReply("rcpt", 551);
  metrics.SmtpReply("mail", 250);
  metrics.SmtpReply("data", 354);
  metrics.SmtpReply("greeting", 421);
  metrics.SmtpReply("connect", 0);   // refused: no reply
  metrics.SmtpReply("data", 999);    // not a reply code
  metrics.SmtpReply("helo", 250);    // not a phase
  Exposition e = Scrape(metrics);
  auto replies = [&](const char* phase, const char* cls) {
    return e.Value("kirim_smtp_replies_total", {{"phase", phase}, {"class", cls}});
  };
  EXPECT_THAT(replies("rcpt", "5xx"), Optional(2.0));
  EXPECT_THAT(replies("rcpt", "2xx"), Optional(0.0));
  EXPECT_THAT(replies("mail", "2xx"), Optional(1.0));
  EXPECT_THAT(replies("data", "3xx"), Optional(1.0));
  EXPECT_THAT(replies("greeting", "4xx"), Optional(1.0));
  EXPECT_THAT(replies("connect", "error"), Optional(1.0));
  EXPECT_THAT(replies("data", "other"), Optional(1.0));
  EXPECT_THAT(replies("other", "2xx"), Optional(1.0));
  EXPECT_EQ(e.All("kirim_smtp_replies_total").size(), std::size(kSmtpPhases) * 5 + 2);
}

// The cumulative count expected in each bucket of `bounds` (then +Inf) after observing
// `seconds`, worked out independently of BucketIndex.
std::vector<double> Cumulative(const std::vector<double>& bounds,
                               const std::vector<double>& seconds) {
  std::vector<double> out;
  for (double b : bounds) {
    double n = 0;
    for (double s : seconds) n += s <= b ? 1 : 0;
    out.push_back(n);
  }
  out.push_back(static_cast<double>(seconds.size()));
  return out;
}

void ExpectBuckets(const Exposition& e, const std::string& family, const LabelSet& labels,
                   const std::vector<double>& bounds, const std::vector<double>& observed) {
  auto buckets = e.Buckets(family, labels);
  ASSERT_EQ(buckets.size(), bounds.size() + 1) << family;
  std::vector<double> want = Cumulative(bounds, observed);
  for (size_t i = 0; i < bounds.size(); ++i) {
    EXPECT_DOUBLE_EQ(buckets[i].first, bounds[i]) << family << " bucket " << i;
    EXPECT_EQ(buckets[i].second, want[i]) << family << " le=" << bounds[i];
  }
  EXPECT_TRUE(std::isinf(buckets.back().first));
  EXPECT_EQ(buckets.back().second, want.back());
  double sum = 0;
  for (double s : observed) sum += std::max(0.0, s);
  LabelSet plain = labels;
  EXPECT_THAT(e.Value(family + "_count", plain), Optional(static_cast<double>(observed.size())));
  auto got_sum = e.Value(family + "_sum", plain);
  ASSERT_TRUE(got_sum.has_value());
  EXPECT_NEAR(*got_sum, sum, 1e-9 * std::max(1.0, sum));
}

TEST(MetricsTest, DeliveryLatencyHistogramBucketsKnownDurations) {
  Metrics metrics;
  // On a bound (buckets are inclusive), between bounds, beyond the last bound.
  metrics.AcceptToDelivered("transactional", absl::Milliseconds(100));
  metrics.AcceptToDelivered("transactional", absl::Seconds(3));
  metrics.AcceptToDelivered("transactional", absl::Hours(48));
  metrics.AcceptToDelivered("bulk", absl::Minutes(2));
  metrics.AcceptToDelivered("carrier-pigeon", absl::Seconds(1));
  Exposition e = Scrape(metrics);
  EXPECT_EQ(e.Type("kirim_delivery_latency_seconds"), "histogram");
  const auto& bounds = DeliveryLatencyBuckets();
  ExpectBuckets(e, "kirim_delivery_latency_seconds", {{"lane", "transactional"}}, bounds,
                {0.1, 3, 48 * 3600});
  ExpectBuckets(e, "kirim_delivery_latency_seconds", {{"lane", "bulk"}}, bounds, {120});
  ExpectBuckets(e, "kirim_delivery_latency_seconds", {{"lane", "other"}}, bounds, {1});
  // The 0.1 s observation sits in the first bucket, as BucketIndex says.
  EXPECT_EQ(BucketIndex(bounds, 0.1), 0u);
  EXPECT_EQ(e.Buckets("kirim_delivery_latency_seconds", {{"lane", "transactional"}})[0].second,
            1);
  EXPECT_EQ(BucketIndex(bounds, 48 * 3600), bounds.size());
}

TEST(MetricsTest, SmtpPhaseAndRedisHistograms) {
  Metrics metrics;
  metrics.SmtpPhase("rcpt", absl::Milliseconds(1));
  metrics.SmtpPhase("rcpt", absl::Milliseconds(30));
  metrics.SmtpPhase("data_end", absl::Seconds(700));
  metrics.SmtpPhase("vrfy", absl::Milliseconds(2));  // not a phase
  metrics.RedisRoundTrip(absl::Microseconds(40));
  metrics.RedisRoundTrip(absl::Microseconds(300));
  metrics.RedisRoundTrip(absl::Seconds(2));
  metrics.RedisRoundTrip(-absl::Microseconds(5));  // clock went backwards: counts as 0 s
  Exposition e = Scrape(metrics);
  ExpectBuckets(e, "kirim_smtp_phase_duration_seconds", {{"phase", "rcpt"}}, SmtpPhaseBuckets(),
                {0.001, 0.030});
  ExpectBuckets(e, "kirim_smtp_phase_duration_seconds", {{"phase", "data_end"}},
                SmtpPhaseBuckets(), {700});
  ExpectBuckets(e, "kirim_smtp_phase_duration_seconds", {{"phase", "other"}}, SmtpPhaseBuckets(),
                {0.002});
  ExpectBuckets(e, "kirim_smtp_phase_duration_seconds", {{"phase", "ehlo"}}, SmtpPhaseBuckets(),
                {});
  ExpectBuckets(e, "kirim_redis_round_trip_seconds", {}, RedisBuckets(),
                {0.00004, 0.0003, 2, 0});
}

TEST(MetricsTest, QueueGauges) {
  Metrics metrics;
  metrics.SetQueue("bulk", {.ready = 7, .scheduled = 3, .in_flight = 2, .dead = 1});
  metrics.SetQueue("bulk", {.ready = 5, .scheduled = 3, .in_flight = 0, .dead = 1});
  metrics.SetQueue("urgent", {.ready = 9});
  Exposition e = Scrape(metrics);
  auto queue = [&](const char* lane, const char* state) {
    return e.Value("kirim_queue_messages", {{"lane", lane}, {"state", state}});
  };
  EXPECT_THAT(queue("bulk", "ready"), Optional(5.0));
  EXPECT_THAT(queue("bulk", "scheduled"), Optional(3.0));
  EXPECT_THAT(queue("bulk", "in_flight"), Optional(0.0));
  EXPECT_THAT(queue("bulk", "dead"), Optional(1.0));
  EXPECT_THAT(queue("transactional", "ready"), Optional(0.0));
  EXPECT_THAT(queue("other", "ready"), Optional(9.0));
}

TEST(MetricsTest, DestinationsBoundedAndStaleOnesRemoved) {
  Metrics metrics({.max_destinations = 2});
  metrics.SetDestinations({{"gmail.com", 40}, {"Yahoo.COM.", 12}, {"example.org", 3}});
  Exposition first = Scrape(metrics);
  EXPECT_THAT(first.Value("kirim_destination_deferred_recipients", {{"domain", "gmail.com"}}),
              Optional(40.0));
  EXPECT_THAT(first.Value("kirim_destination_deferred_recipients", {{"domain", "yahoo.com"}}),
              Optional(12.0));
  EXPECT_EQ(first.All("kirim_destination_deferred_recipients").size(), 2u);

  metrics.SetDestinations({{"yahoo.com", 8}, {"bad domain\n", 1}});
  Exposition second = Scrape(metrics);
  EXPECT_THAT(LabelValues(second, "kirim_destination_deferred_recipients", "domain"),
              ElementsAre("other", "yahoo.com"));
  EXPECT_THAT(second.Value("kirim_destination_deferred_recipients", {{"domain", "yahoo.com"}}),
              Optional(8.0));
  EXPECT_EQ(second.Value("kirim_destination_deferred_recipients", {{"domain", "gmail.com"}}),
            std::nullopt);

  metrics.SetDestinations({});
  EXPECT_THAT(Scrape(metrics).All("kirim_destination_deferred_recipients"), IsEmpty());
}

TEST(MetricsTest, OnCollectHooksRunAtTheStartOfEverySerialize) {
  Metrics metrics;
  int calls = 0;
  metrics.OnCollect([&] {
    ++calls;
    metrics.SetQueue("transactional", {.ready = calls * 10});
  });
  EXPECT_EQ(calls, 0);
  EXPECT_THAT(Scrape(metrics).Value("kirim_queue_messages",
                                    {{"lane", "transactional"}, {"state", "ready"}}),
              Optional(10.0));
  EXPECT_THAT(Scrape(metrics).Value("kirim_queue_messages",
                                    {{"lane", "transactional"}, {"state", "ready"}}),
              Optional(20.0));
  EXPECT_EQ(calls, 2);
}

TEST(MetricsTest, EveryFamilyHasHelpAndType) {
  Metrics metrics;
  // A family without series is left out of the exposition altogether.
  metrics.SetDestinations({{"gmail.com", 1}});
  Exposition e = Scrape(metrics);
  const std::pair<const char*, const char*> families[] = {
      {"kirim_build_info", "gauge"},
      {"kirim_messages_accepted_total", "counter"},
      {"kirim_messages_rejected_total", "counter"},
      {"kirim_recipients_total", "counter"},
      {"kirim_delivery_latency_seconds", "histogram"},
      {"kirim_smtp_replies_total", "counter"},
      {"kirim_smtp_phase_duration_seconds", "histogram"},
      {"kirim_redis_round_trip_seconds", "histogram"},
      {"kirim_queue_messages", "gauge"},
      {"kirim_destination_deferred_recipients", "gauge"},
  };
  for (const auto& [name, type] : families) {
    EXPECT_EQ(e.Type(name), type) << name;
    EXPECT_FALSE(e.Help(name).empty()) << name;
  }
}

}  // namespace
}  // namespace kirim
