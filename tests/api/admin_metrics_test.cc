// Tests of AdminApi::GetMetrics (server/api/admin_api.h) with a FakeQueueStats: a tenant's keys
// see their own tenant's counters and nothing of the shared queue; the operator tenant's ADMIN
// keys see every tenant summed, the depth per lane and the busiest destinations; latency
// summaries are interpolated from the bucket counts; no stats backend is UNIMPLEMENTED.
#include <cstdio>
#include <optional>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/api/admin_api.h"
#include "server/api/limits_table.h"
#include "server/common/logger.h"
#include "server/metrics/buckets.h"
#include "tests/auth/fake_api_key_store.h"
#include "tests/common/fake_clock.h"
#include "tests/common/fake_random.h"
#include "tests/limits/fake_send_limiter.h"
#include "tests/queue/fake_queue_stats.h"
#include "tests/suppression/fake_suppression_store.h"

namespace kirim {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::UnorderedElementsAre;

constexpr char kOperatorTenant[] = "ops";

Principal Caller(std::string tenant, std::vector<Scope> scopes) {
  Principal p;
  p.tenant = std::move(tenant);
  p.scopes = std::move(scopes);
  p.key_id = "KEY0000000000000";
  return p;
}

class AdminMetricsTest : public ::testing::Test {
 protected:
  AdminMetricsTest()
      : keys_(clock_, random_),
        null_(std::fopen("/dev/null", "w")),
        logger_(clock_, LogLevel::kDebug, null_),
        limiter_(clock_),
        api_(keys_, suppressions_, limiter_, limits_, clock_, logger_, Options(), nullptr, &stats_),
        no_stats_(keys_, suppressions_, limiter_, limits_, clock_, logger_, Options()) {
    TenantCounters& acme = stats_.counters("acme");
    acme.events = {{"queued", 5},  {"rejected", 2}, {"delivered", 3}, {"deferred", 4},
                   {"bounced", 6}, {"expired", 7},  {"suppressed", 8}, {"cancelled", 9}};
    TenantCounters& globex = stats_.counters("globex");
    globex.events = {{"queued", 100}, {"rejected", 200}, {"delivered", 300}};
    stats_.set_depth({{Lane::kTransactional, {1, 2, 3, 4}}, {Lane::kBulk, {10, 20, 30, 40}}});
    stats_.set_destinations({{"gmail.com", 7}, {"yahoo.com", 3}, {"tiny.example", 1}});
  }
  ~AdminMetricsTest() override { std::fclose(null_); }

  static AdminApiOptions Options() {
    AdminApiOptions o;
    o.operator_tenant = kOperatorTenant;
    o.top_destinations = 2;
    return o;
  }

  v1::Metrics Get(const Principal& caller) {
    absl::StatusOr<v1::Metrics> m = api_.GetMetrics(caller, v1::GetMetricsRequest());
    EXPECT_TRUE(m.ok()) << m.status();
    return m.ok() ? *m : v1::Metrics();
  }

  testing::FakeClock clock_;
  testing::FakeRandom random_;
  testing::FakeApiKeyStore keys_;
  testing::FakeSuppressionStore suppressions_;
  FILE* null_;
  Logger logger_;
  testing::FakeSendLimiter limiter_;
  LimitsTable limits_;
  testing::FakeQueueStats stats_;
  AdminApi api_;
  AdminApi no_stats_;
};

TEST_F(AdminMetricsTest, WithoutStatsIsUnimplemented) {
  auto m = no_stats_.GetMetrics(Caller("acme", {v1::ApiKey::READ}), v1::GetMetricsRequest());
  EXPECT_EQ(m.status().code(), absl::StatusCode::kUnimplemented);
  auto op = no_stats_.GetMetrics(Caller(kOperatorTenant, {v1::ApiKey::ADMIN}),
                                 v1::GetMetricsRequest());
  EXPECT_EQ(op.status().code(), absl::StatusCode::kUnimplemented);
}

TEST_F(AdminMetricsTest, TenantSeesItsOwnCountersAndNoQueueFigures) {
  const v1::Metrics m = Get(Caller("acme", {v1::ApiKey::READ}));
  EXPECT_THAT(stats_.counters_asked(), ElementsAre(std::optional<std::string>("acme")));
  EXPECT_EQ(m.accepted_total(), 5);  // "queued" events
  EXPECT_EQ(m.rejected_total(), 2);
  EXPECT_EQ(m.delivered_total(), 3);
  EXPECT_EQ(m.deferred_total(), 4);
  EXPECT_EQ(m.bounced_total(), 6);
  EXPECT_EQ(m.expired_total(), 7);
  EXPECT_EQ(m.suppressed_total(), 8);
  EXPECT_THAT(m.queue_by_lane(), IsEmpty());
  EXPECT_THAT(m.queue_by_destination(), IsEmpty());
  // The shared queue is not even read for a tenant.
  EXPECT_EQ(stats_.depth_calls(), 0);
  EXPECT_THAT(stats_.destinations_asked(), IsEmpty());
}

TEST_F(AdminMetricsTest, AnotherTenantsAdminKeyIsStillATenantView) {
  const v1::Metrics m = Get(Caller("globex", {v1::ApiKey::ADMIN}));
  EXPECT_THAT(stats_.counters_asked(), ElementsAre(std::optional<std::string>("globex")));
  EXPECT_EQ(m.accepted_total(), 100);
  EXPECT_EQ(m.rejected_total(), 200);
  EXPECT_EQ(m.delivered_total(), 300);
  EXPECT_EQ(m.bounced_total(), 0);
  EXPECT_THAT(m.queue_by_lane(), IsEmpty());
  EXPECT_THAT(m.queue_by_destination(), IsEmpty());
  EXPECT_EQ(stats_.depth_calls(), 0);
}

TEST_F(AdminMetricsTest, OperatorTenantWithoutAdminScopeGetsItsOwnTenantView) {
  stats_.counters(kOperatorTenant).events["queued"] = 1;
  const v1::Metrics m = Get(Caller(kOperatorTenant, {v1::ApiKey::READ, v1::ApiKey::SEND}));
  EXPECT_THAT(stats_.counters_asked(), ElementsAre(std::optional<std::string>(kOperatorTenant)));
  EXPECT_EQ(m.accepted_total(), 1);
  EXPECT_THAT(m.queue_by_lane(), IsEmpty());
  EXPECT_THAT(m.queue_by_destination(), IsEmpty());
  EXPECT_EQ(stats_.depth_calls(), 0);
}

TEST_F(AdminMetricsTest, OperatorAdminSeesEveryTenantAndTheSharedQueue) {
  const v1::Metrics m = Get(Caller(kOperatorTenant, {v1::ApiKey::ADMIN}));
  EXPECT_THAT(stats_.counters_asked(), ElementsAre(std::nullopt));
  EXPECT_EQ(m.accepted_total(), 105);
  EXPECT_EQ(m.rejected_total(), 202);
  EXPECT_EQ(m.delivered_total(), 303);
  EXPECT_EQ(m.suppressed_total(), 8);

  ASSERT_EQ(m.queue_by_lane().size(), 2u);
  ASSERT_EQ(m.queue_by_lane().count("transactional"), 1u);
  ASSERT_EQ(m.queue_by_lane().count("bulk"), 1u);
  const v1::QueueDepth& tx = m.queue_by_lane().at("transactional");
  EXPECT_EQ(tx.ready(), 1);
  EXPECT_EQ(tx.scheduled(), 2);
  EXPECT_EQ(tx.in_flight(), 3);
  EXPECT_EQ(tx.dead(), 4);
  const v1::QueueDepth& bulk = m.queue_by_lane().at("bulk");
  EXPECT_EQ(bulk.ready(), 10);
  EXPECT_EQ(bulk.scheduled(), 20);
  EXPECT_EQ(bulk.in_flight(), 30);
  EXPECT_EQ(bulk.dead(), 40);

  // The busiest `top_destinations` (2), deferred recipients reported as `scheduled`.
  EXPECT_THAT(stats_.destinations_asked(), ElementsAre(2u));
  std::vector<std::string> domains;
  for (const auto& [domain, d] : m.queue_by_destination()) domains.push_back(domain);
  EXPECT_THAT(domains, UnorderedElementsAre("gmail.com", "yahoo.com"));
  const v1::QueueDepth& gmail = m.queue_by_destination().at("gmail.com");
  EXPECT_EQ(gmail.scheduled(), 7);
  EXPECT_EQ(gmail.ready(), 0);
  EXPECT_EQ(gmail.in_flight(), 0);
  EXPECT_EQ(gmail.dead(), 0);
  EXPECT_EQ(m.queue_by_destination().at("yahoo.com").scheduled(), 3);
}

TEST_F(AdminMetricsTest, LatencySummariesAreInterpolatedFromTheBuckets) {
  // 10 deliveries in (0.5 s, 1 s]: bucket 3 of DeliveryLatencyBuckets().
  stats_.counters("acme").accept_to_delivered[3] = 10;
  // 4 attempts in (5 ms, 10 ms]: bucket 2 of SmtpPhaseBuckets().
  stats_.counters("acme").smtp_attempt[2] = 4;
  const v1::Metrics m = Get(Caller("acme", {v1::ApiKey::READ}));
  EXPECT_EQ(m.accept_to_delivered().count(), 10);
  EXPECT_DOUBLE_EQ(m.accept_to_delivered().p50_seconds(), 0.75);
  EXPECT_DOUBLE_EQ(m.accept_to_delivered().p90_seconds(), 0.95);
  EXPECT_DOUBLE_EQ(m.accept_to_delivered().p99_seconds(), 0.995);
  EXPECT_EQ(m.smtp_session().count(), 4);
  EXPECT_DOUBLE_EQ(m.smtp_session().p50_seconds(), 0.0075);
  EXPECT_DOUBLE_EQ(m.smtp_session().p90_seconds(), 0.005 + 0.005 * 0.9);
  EXPECT_DOUBLE_EQ(m.smtp_session().p99_seconds(), 0.005 + 0.005 * 0.99);
}

TEST_F(AdminMetricsTest, NothingCountedIsAZeroSummary) {
  const v1::Metrics m = Get(Caller("acme", {v1::ApiKey::READ}));
  for (const v1::LatencySummary* s : {&m.accept_to_delivered(), &m.smtp_session()}) {
    EXPECT_EQ(s->count(), 0);
    EXPECT_EQ(s->p50_seconds(), 0);
    EXPECT_EQ(s->p90_seconds(), 0);
    EXPECT_EQ(s->p99_seconds(), 0);
  }
}

TEST_F(AdminMetricsTest, SlowTailInPlusInfIsReportedAsTheLargestBound) {
  // 9 fast attempts (bucket 0, <= 1 ms) and 1 beyond 10 min (+Inf).
  std::vector<int64_t>& smtp = stats_.counters("acme").smtp_attempt;
  smtp[0] = 9;
  smtp[SmtpPhaseBuckets().size()] = 1;
  const v1::Metrics m = Get(Caller("acme", {v1::ApiKey::READ}));
  EXPECT_EQ(m.smtp_session().count(), 10);
  EXPECT_DOUBLE_EQ(m.smtp_session().p50_seconds(), 0.001 * 5 / 9);
  EXPECT_DOUBLE_EQ(m.smtp_session().p99_seconds(), 600);
}

TEST_F(AdminMetricsTest, OperatorSummariesCoverEveryTenant) {
  stats_.counters("acme").accept_to_delivered[3] = 5;
  stats_.counters("globex").accept_to_delivered[3] = 5;
  const v1::Metrics tenant = Get(Caller("acme", {v1::ApiKey::READ}));
  EXPECT_EQ(tenant.accept_to_delivered().count(), 5);
  const v1::Metrics all = Get(Caller(kOperatorTenant, {v1::ApiKey::ADMIN}));
  EXPECT_EQ(all.accept_to_delivered().count(), 10);
  EXPECT_DOUBLE_EQ(all.accept_to_delivered().p50_seconds(), 0.75);
}

TEST_F(AdminMetricsTest, StatsErrorsAreReturned) {
  stats_.set_unavailable(true);
  EXPECT_EQ(api_.GetMetrics(Caller("acme", {v1::ApiKey::READ}), v1::GetMetricsRequest())
                .status()
                .code(),
            absl::StatusCode::kUnavailable);
  EXPECT_EQ(api_.GetMetrics(Caller(kOperatorTenant, {v1::ApiKey::ADMIN}), v1::GetMetricsRequest())
                .status()
                .code(),
            absl::StatusCode::kUnavailable);
}

}  // namespace
}  // namespace kirim
