#include "engine/time.h"

#include <gtest/gtest.h>

namespace mesh {
namespace {

TEST(Time, DurationUnitsConvert) {
  EXPECT_EQ(Duration::from_ms(3).ns(), 3'000'000);
  EXPECT_EQ(Duration::from_seconds(2).ms(), 2'000);
  EXPECT_EQ(Duration::from_us(5).ns(), 5'000);
  EXPECT_LT(Duration::from_ms(1), Duration::from_seconds(1));
}

TEST(Time, InstantArithmetic) {
  const Instant start = Instant::from_ns(100);
  const Instant later = start + Duration::from_ns(50);
  EXPECT_EQ(later - start, Duration::from_ns(50));
  EXPECT_LT(start, later);
  EXPECT_EQ(later - Duration::from_ns(50), start);
}

TEST(Time, InstantPlusMaxSaturatesInsteadOfOverflowing) {
  const Instant start = Instant::from_ns(1'000);
  EXPECT_EQ(start + Duration::max(), Instant::max());
  EXPECT_GT(start + Duration::max(), start);
}

}  // namespace
}  // namespace mesh
