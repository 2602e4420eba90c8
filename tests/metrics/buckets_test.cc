// Tests of the shared histogram buckets (server/metrics/buckets.h): BucketIndex follows
// Prometheus' `le` (a value equal to a bound is inside that bucket) and BucketQuantile
// interpolates like histogram_quantile, with the edges the header promises (nothing counted,
// one bucket, the +Inf bucket).
#include "server/metrics/buckets.h"

#include <cstdint>
#include <vector>

#include "gtest/gtest.h"

namespace kirim {
namespace {

// Small bounds whose arithmetic is exact in binary, so interpolations compare with EXPECT_EQ.
const std::vector<double> kBounds = {1, 2, 4, 8};

TEST(BucketIndexTest, ValueOnABoundIsInThatBucket) {
  EXPECT_EQ(BucketIndex(kBounds, 1), 0u);
  EXPECT_EQ(BucketIndex(kBounds, 2), 1u);
  EXPECT_EQ(BucketIndex(kBounds, 4), 2u);
  EXPECT_EQ(BucketIndex(kBounds, 8), 3u);
}

TEST(BucketIndexTest, ValueJustAboveABoundIsInTheNextBucket) {
  EXPECT_EQ(BucketIndex(kBounds, 1.0001), 1u);
  EXPECT_EQ(BucketIndex(kBounds, 2.5), 2u);
  EXPECT_EQ(BucketIndex(kBounds, 7.999), 3u);
}

TEST(BucketIndexTest, ZeroAndNegativeAreInTheFirstBucket) {
  EXPECT_EQ(BucketIndex(kBounds, 0), 0u);
  EXPECT_EQ(BucketIndex(kBounds, 0.5), 0u);
  // A clock step can make a measured duration negative; it must still land somewhere valid.
  EXPECT_EQ(BucketIndex(kBounds, -3), 0u);
}

TEST(BucketIndexTest, AboveTheLargestBoundIsPlusInf) {
  EXPECT_EQ(BucketIndex(kBounds, 8.5), kBounds.size());
  EXPECT_EQ(BucketIndex(kBounds, 1e12), kBounds.size());
  EXPECT_EQ(BucketIndex({}, 1), 0u);  // no bounds: everything is +Inf (index 0 == size)
}

TEST(BucketIndexTest, ProductionBucketsAreIncreasingAndIndexTheirOwnBounds) {
  for (const std::vector<double>* bounds :
       {&DeliveryLatencyBuckets(), &SmtpPhaseBuckets(), &RedisBuckets()}) {
    ASSERT_FALSE(bounds->empty());
    for (size_t i = 0; i < bounds->size(); ++i) {
      if (i > 0) {
        EXPECT_LT((*bounds)[i - 1], (*bounds)[i]) << i;
      }
      EXPECT_EQ(BucketIndex(*bounds, (*bounds)[i]), i);
    }
    EXPECT_EQ(BucketIndex(*bounds, bounds->back() * 2), bounds->size());
  }
}

TEST(BucketIndexTest, ProductionBucketsHaveTheDocumentedRanges) {
  EXPECT_EQ(DeliveryLatencyBuckets().front(), 0.1);
  EXPECT_EQ(DeliveryLatencyBuckets().back(), 86400);  // 1 day
  EXPECT_EQ(SmtpPhaseBuckets().front(), 0.001);
  EXPECT_EQ(SmtpPhaseBuckets().back(), 600);  // 10 min
  EXPECT_EQ(RedisBuckets().front(), 0.00005);
  EXPECT_EQ(RedisBuckets().back(), 1);
}

TEST(BucketQuantileTest, NothingCountedIsZero) {
  EXPECT_EQ(BucketQuantile(kBounds, {0, 0, 0, 0, 0}, 0.5), 0);
  EXPECT_EQ(BucketQuantile(kBounds, {0, 0, 0, 0, 0}, 0.99), 0);
  EXPECT_EQ(BucketQuantile(kBounds, {}, 0.5), 0);
}

TEST(BucketQuantileTest, NoBoundsIsZero) { EXPECT_EQ(BucketQuantile({}, {5}, 0.5), 0); }

TEST(BucketQuantileTest, FirstBucketInterpolatesFromZero) {
  // 4 observations in (0, 1]: the median is half way up the bucket.
  EXPECT_EQ(BucketQuantile(kBounds, {4, 0, 0, 0, 0}, 0.5), 0.5);
  EXPECT_EQ(BucketQuantile(kBounds, {4, 0, 0, 0, 0}, 0.25), 0.25);
  EXPECT_EQ(BucketQuantile(kBounds, {4, 0, 0, 0, 0}, 1.0), 1);
}

TEST(BucketQuantileTest, OneInnerBucketInterpolatesBetweenItsBounds) {
  // Everything in (2, 4].
  const std::vector<int64_t> counts = {0, 0, 8, 0, 0};
  EXPECT_EQ(BucketQuantile(kBounds, counts, 0.5), 3);
  EXPECT_EQ(BucketQuantile(kBounds, counts, 0.25), 2.5);
  EXPECT_EQ(BucketQuantile(kBounds, counts, 0.75), 3.5);
  EXPECT_EQ(BucketQuantile(kBounds, counts, 1.0), 4);
}

TEST(BucketQuantileTest, InterpolatesInsideTheBucketHoldingTheRank) {
  // 2 in (0,1], 2 in (1,2], 4 in (4,8]; total 8.
  const std::vector<int64_t> counts = {2, 2, 0, 4, 0};
  // rank 4 = the end of (1,2].
  EXPECT_EQ(BucketQuantile(kBounds, counts, 0.5), 2);
  // rank 3: half of (1,2].
  EXPECT_EQ(BucketQuantile(kBounds, counts, 0.375), 1.5);
  // rank 6: two of four into (4,8], skipping the empty (2,4].
  EXPECT_EQ(BucketQuantile(kBounds, counts, 0.75), 6);
  // rank 7.92: 3.92/4 of the way from 4 to 8.
  EXPECT_DOUBLE_EQ(BucketQuantile(kBounds, counts, 0.99), 4 + 4 * (3.92 / 4));
}

TEST(BucketQuantileTest, QuantileInPlusInfIsTheLargestFiniteBound) {
  EXPECT_EQ(BucketQuantile(kBounds, {0, 0, 0, 0, 3}, 0.5), 8);
  // 9 of 10 finite; p99 falls in +Inf, p50 does not.
  const std::vector<int64_t> counts = {9, 0, 0, 0, 1};
  EXPECT_EQ(BucketQuantile(kBounds, counts, 0.99), 8);
  EXPECT_DOUBLE_EQ(BucketQuantile(kBounds, counts, 0.5), 5.0 / 9.0);
}

TEST(BucketQuantileTest, MatchesHistogramQuantileOnProductionBuckets) {
  // 10 deliveries between 0.5 s and 1 s (index 3 of DeliveryLatencyBuckets).
  std::vector<int64_t> counts(DeliveryLatencyBuckets().size() + 1, 0);
  counts[BucketIndex(DeliveryLatencyBuckets(), 0.75)] = 10;
  ASSERT_EQ(BucketIndex(DeliveryLatencyBuckets(), 0.75), 3u);
  EXPECT_DOUBLE_EQ(BucketQuantile(DeliveryLatencyBuckets(), counts, 0.5), 0.75);
  EXPECT_DOUBLE_EQ(BucketQuantile(DeliveryLatencyBuckets(), counts, 0.9), 0.95);
  EXPECT_DOUBLE_EQ(BucketQuantile(DeliveryLatencyBuckets(), counts, 0.99), 0.995);
}

}  // namespace
}  // namespace kirim
