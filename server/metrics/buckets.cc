#include "server/metrics/buckets.h"

#include <algorithm>

namespace kirim {

const std::vector<double>& DeliveryLatencyBuckets() {
  static const std::vector<double> kBounds = {0.1,  0.25, 0.5,  1,     2.5,   5,     10,
                                              30,   60,   300,  900,   3600,  14400, 86400};
  return kBounds;
}

const std::vector<double>& SmtpPhaseBuckets() {
  static const std::vector<double> kBounds = {0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25,
                                              0.5,   1,     2.5,  5,     10,   30,  60,
                                              300,   600};
  return kBounds;
}

const std::vector<double>& RedisBuckets() {
  static const std::vector<double> kBounds = {0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025,
                                              0.005,   0.01,   0.025,   0.05,   0.1,   0.25,
                                              0.5,     1};
  return kBounds;
}

size_t BucketIndex(const std::vector<double>& bounds, double seconds) {
  return static_cast<size_t>(std::lower_bound(bounds.begin(), bounds.end(), seconds) -
                             bounds.begin());
}

double BucketQuantile(const std::vector<double>& bounds, const std::vector<int64_t>& counts,
                      double quantile) {
  int64_t total = 0;
  for (int64_t c : counts) total += c;
  if (total == 0 || bounds.empty()) return 0;
  const double rank = quantile * static_cast<double>(total);
  int64_t seen = 0;
  for (size_t i = 0; i < counts.size(); ++i) {
    if (counts[i] > 0 && static_cast<double>(seen + counts[i]) >= rank) {
      if (i >= bounds.size()) return bounds.back();
      const double lower = i == 0 ? 0 : bounds[i - 1];
      const double within = (rank - static_cast<double>(seen)) / static_cast<double>(counts[i]);
      return lower + (bounds[i] - lower) * within;
    }
    seen += counts[i];
  }
  return bounds.back();
}

}  // namespace kirim
