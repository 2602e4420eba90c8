// Histogram bucket bounds shared by the Prometheus histograms (metrics.h) and the cluster-wide
// latency counts kept in Redis (server/queue/queue_stats.h), so both views bucket alike. A
// separate library so the queue does not link the Prometheus client.
//
//   size_t b = BucketIndex(DeliveryLatencyBuckets(), 3.2);   // first bound >= 3.2 s
#ifndef KIRIM_SERVER_METRICS_BUCKETS_H_
#define KIRIM_SERVER_METRICS_BUCKETS_H_

#include <cstddef>
#include <cstdint>
#include <vector>

namespace kirim {

// Upper bounds, seconds, increasing.
const std::vector<double>& DeliveryLatencyBuckets();  // 0.1 s .. 1 day
const std::vector<double>& SmtpPhaseBuckets();        // 1 ms .. 10 min
const std::vector<double>& RedisBuckets();            // 50 µs .. 1 s

// Index of the first bucket whose bound is >= seconds (bounds.size() for +Inf).
size_t BucketIndex(const std::vector<double>& bounds, double seconds);

// The value below which `quantile` (0..1) of the counted observations fall, interpolated
// linearly inside the bucket (as Prometheus' histogram_quantile does); `counts` has one entry
// per bound plus one for +Inf. 0 when nothing was counted; the largest finite bound when the
// quantile falls in +Inf.
double BucketQuantile(const std::vector<double>& bounds, const std::vector<int64_t>& counts,
                      double quantile);

}  // namespace kirim

#endif  // KIRIM_SERVER_METRICS_BUCKETS_H_
