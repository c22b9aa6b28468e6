#include "engine/payload_cache.h"

#include <gtest/gtest.h>

namespace mesh::engine {
namespace {

Digest digest(std::uint8_t fill) {
  Digest out;
  out.bytes.fill(fill);
  return out;
}

std::shared_ptr<const Json> tree(int value) { return std::make_shared<const Json>(value); }

TEST(PayloadCache, FindsWhatWasInsertedAndNothingElse) {
  PayloadCache cache;
  EXPECT_EQ(cache.find(digest(1)), nullptr);
  cache.insert(digest(1), tree(7), 10);
  ASSERT_NE(cache.find(digest(1)), nullptr);
  EXPECT_EQ(*cache.find(digest(1)), Json(7));
  EXPECT_EQ(cache.find(digest(2)), nullptr);
  // A second insert under the same hash keeps the first tree (both parse the same bytes).
  cache.insert(digest(1), tree(8), 10);
  EXPECT_EQ(*cache.find(digest(1)), Json(7));
  EXPECT_EQ(cache.size(), 1u);
  EXPECT_EQ(cache.payload_size(), 10u);
}

TEST(PayloadCache, ForgetsTheOldestBeyondItsEntries) {
  PayloadCache cache(2, 1'000);
  cache.insert(digest(1), tree(1), 10);
  cache.insert(digest(2), tree(2), 10);
  cache.insert(digest(3), tree(3), 10);
  EXPECT_EQ(cache.find(digest(1)), nullptr);
  EXPECT_NE(cache.find(digest(2)), nullptr);
  EXPECT_NE(cache.find(digest(3)), nullptr);
  EXPECT_EQ(cache.size(), 2u);
  EXPECT_EQ(cache.payload_size(), 20u);
}

TEST(PayloadCache, ForgetsTheOldestBeyondItsBytesAndRefusesAnOversizePayload) {
  PayloadCache cache(100, 25);
  cache.insert(digest(1), tree(1), 10);
  cache.insert(digest(2), tree(2), 10);
  cache.insert(digest(3), tree(3), 10);  // 30 > 25: the oldest goes
  EXPECT_EQ(cache.find(digest(1)), nullptr);
  EXPECT_EQ(cache.payload_size(), 20u);
  cache.insert(digest(4), tree(4), 26);  // larger than the whole cache: not kept
  EXPECT_EQ(cache.find(digest(4)), nullptr);
  EXPECT_NE(cache.find(digest(2)), nullptr) << "an oversize payload evicts nothing";
  EXPECT_EQ(cache.size(), 2u);
}

TEST(PayloadCache, AHeldTreeOutlivesItsEviction) {
  PayloadCache cache(1, 1'000);
  cache.insert(digest(1), tree(1), 10);
  const auto held = cache.find(digest(1));
  cache.insert(digest(2), tree(2), 10);
  EXPECT_EQ(cache.find(digest(1)), nullptr);
  ASSERT_NE(held, nullptr);
  EXPECT_EQ(*held, Json(1));
}

}  // namespace
}  // namespace mesh::engine
