#include "engine/payload_cache.h"

#include <gtest/gtest.h>

namespace mesh::engine {
namespace {

Digest digest(std::uint8_t fill) {
  Digest out;
  out.bytes.fill(fill);
  return out;
}

TEST(PayloadCache, FindsWhatWasInsertedAndNothingElse) {
  PayloadCache cache;
  EXPECT_EQ(cache.find(digest(1)), nullptr);
  const Json* kept = cache.insert(digest(1), Json(7), 10);
  ASSERT_NE(kept, nullptr);
  EXPECT_EQ(*kept, Json(7));
  ASSERT_NE(cache.find(digest(1)), nullptr);
  EXPECT_EQ(*cache.find(digest(1)), Json(7));
  EXPECT_EQ(cache.find(digest(2)), nullptr);
  // A second insert under the same hash keeps the first tree (both parse the same bytes).
  EXPECT_EQ(*cache.insert(digest(1), Json(8), 10), Json(7));
  EXPECT_EQ(cache.size(), 1u);
  EXPECT_EQ(cache.payload_size(), 10u);
}

TEST(PayloadCache, ForgetsTheOldestBeyondItsEntries) {
  PayloadCache cache({.entries_max = 2, .payload_size_max = 1'000});
  cache.insert(digest(1), Json(1), 10);
  cache.insert(digest(2), Json(2), 10);
  const Json* newest = cache.insert(digest(3), Json(3), 10);
  EXPECT_EQ(cache.find(digest(1)), nullptr);
  EXPECT_NE(cache.find(digest(2)), nullptr);
  EXPECT_EQ(cache.find(digest(3)), newest);
  EXPECT_EQ(cache.size(), 2u);
  EXPECT_EQ(cache.payload_size(), 20u);
}

TEST(PayloadCache, ForgetsTheOldestBeyondItsBytesAndDoesNotTakeAnOversizePayload) {
  PayloadCache cache({.entries_max = 100, .payload_size_max = 25});
  cache.insert(digest(1), Json(1), 10);
  cache.insert(digest(2), Json(2), 10);
  cache.insert(digest(3), Json(3), 10);  // 30 > 25: the oldest goes
  EXPECT_EQ(cache.find(digest(1)), nullptr);
  EXPECT_EQ(cache.payload_size(), 20u);
  EXPECT_TRUE(cache.fits(25));
  EXPECT_FALSE(cache.fits(26)) << "larger than the whole cache: the caller keeps its own tree";
  EXPECT_NE(cache.find(digest(2)), nullptr);
  EXPECT_EQ(cache.size(), 2u);
}

TEST(PayloadCache, AHeldTreeKeepsItsAddressAcrossOtherInserts) {
  PayloadCache cache({.entries_max = 3, .payload_size_max = 1'000});
  const Json* first = cache.insert(digest(1), Json(1), 10);
  cache.insert(digest(2), Json(2), 10);
  cache.insert(digest(3), Json(3), 10);
  EXPECT_EQ(cache.find(digest(1)), first);
  EXPECT_EQ(*first, Json(1));
}

}  // namespace
}  // namespace mesh::engine
