#include "engine/wire.h"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include "engine/limits.h"
#include "tests/support/keys.h"

namespace mesh::engine {
namespace {

PublicKey key(std::uint8_t fill) {
  PublicKey out;
  out.bytes.fill(fill);
  return out;
}

Bytes encoded(const Message& message) {
  Bytes out;
  encode_message(message, out);
  return out;
}

TEST(Wire, HeightsRoundTrip) {
  const HeightsMessage message{{{{key(1), 5}, 3, 9}, {{key(2), 6}, 0, 0}}};
  const auto decoded = decode_message(encoded(message));
  ASSERT_TRUE(decoded.ok()) << decoded.error().message;
  EXPECT_EQ(std::get<HeightsMessage>(decoded.value()), message);
}

TEST(Wire, OperationsRoundTripAndKeepTheMoreFlag) {
  const Identity author = test::test_identity(1);
  auto op = Operation::create(author, {.log = {author.public_key(), 1}}, Bytes{1, 2, 3});
  ASSERT_TRUE(op.ok());
  Bytes bytes;
  encode_operations({&op.value()}, true, bytes);
  const auto decoded = decode_message(bytes);
  ASSERT_TRUE(decoded.ok()) << decoded.error().message;
  const auto& operations = std::get<OperationsMessage>(decoded.value());
  EXPECT_TRUE(operations.more);
  ASSERT_EQ(operations.operations.size(), 1u);
  EXPECT_EQ(operations.operations[0].hash(), op->hash());
}

TEST(Wire, LivenessAndGoodbyeRoundTrip) {
  const LivenessMessage liveness{{{key(3), 10, 99}}};
  EXPECT_EQ(std::get<LivenessMessage>(decode_message(encoded(liveness)).value()), liveness);
  const GoodbyeMessage goodbye{GoodbyeReason::duplicate, "keep the other"};
  EXPECT_EQ(std::get<GoodbyeMessage>(decode_message(encoded(goodbye)).value()), goodbye);
}

TEST(Wire, LinksRoundTrip) {
  const LinksMessage links{{key(1), key(2), key(7)}};
  const auto decoded = decode_message(encoded(links));
  ASSERT_TRUE(decoded.ok()) << decoded.error().message;
  EXPECT_EQ(std::get<LinksMessage>(decoded.value()), links);
  const LinksMessage none{};
  EXPECT_EQ(std::get<LinksMessage>(decode_message(encoded(none)).value()), none);
}

// Links by hand: encode_links asserts the order of our own messages.
Bytes links_bytes(std::initializer_list<std::uint8_t> fills) {
  Bytes bytes = {1, 5, static_cast<std::uint8_t>(fills.size()), 0, 0, 0};
  for (const std::uint8_t fill : fills) bytes.insert(bytes.end(), 32, fill);
  return bytes;
}

TEST(Wire, LinksOutOfOrderOrRepeatedAreInvalid) {
  EXPECT_TRUE(decode_message(links_bytes({1, 2})).ok());
  EXPECT_EQ(decode_message(links_bytes({2, 1})).error().code, WireError::invalid);
  EXPECT_EQ(decode_message(links_bytes({3, 3})).error().code, WireError::invalid);
}

TEST(Wire, LinksLongerThanTheLimitAreTooLarge) {
  // links_entries_max + 1 peers, fully present, so only the count can refuse them.
  const std::size_t count = links_entries_max + 1;
  Bytes bytes = {1, 5};
  for (int i = 0; i < 4; i++) bytes.push_back(static_cast<std::uint8_t>(count >> (8 * i)));
  for (std::size_t index = 0; index < count; index++) {
    Bytes peer(32, 0);
    peer[30] = static_cast<std::uint8_t>(index >> 8);
    peer[31] = static_cast<std::uint8_t>(index);
    bytes.insert(bytes.end(), peer.begin(), peer.end());
  }
  EXPECT_EQ(decode_message(bytes).error().code, WireError::too_large);
  bytes.resize(bytes.size() - 32);
  bytes[2] = static_cast<std::uint8_t>(links_entries_max);
  bytes[3] = static_cast<std::uint8_t>(links_entries_max >> 8);
  EXPECT_TRUE(decode_message(bytes).ok()) << "exactly links_entries_max peers are accepted";
}

TEST(Wire, UnknownTypeAndVersionAreDistinctErrors) {
  EXPECT_EQ(decode_message(Bytes{1, 99}).error().code, WireError::unknown_type);
  EXPECT_EQ(decode_message(Bytes{2, 1}).error().code, WireError::unsupported_version);
  EXPECT_EQ(decode_message(Bytes{}).error().code, WireError::truncated);
}

TEST(Wire, ForgedCountsCannotReserveMemory) {
  // A heights message claiming 4 billion entries in 6 bytes.
  const Bytes forged = {1, 1, 0xff, 0xff, 0xff, 0xff};
  const auto decoded = decode_message(forged);
  ASSERT_FALSE(decoded.ok());
  EXPECT_EQ(decoded.error().code, WireError::too_large);
}

TEST(Wire, TrailingBytesAreRejected) {
  Bytes bytes = encoded(LivenessMessage{{{key(3), 1, 2}}});
  bytes.push_back(0);
  EXPECT_EQ(decode_message(bytes).error().code, WireError::invalid);
}

// One heights entry encoded by hand: encode_heights asserts the invariants for our own
// messages, so a peer's broken ones must be built byte by byte.
Bytes heights_entry_bytes(std::uint64_t height, std::uint64_t next_seq, std::uint8_t head_byte) {
  Bytes bytes = {1, 1, 1, 0, 0, 0};
  bytes.insert(bytes.end(), 32, 1);
  for (const std::uint64_t value : {std::uint64_t{5}, height, next_seq}) {
    for (int i = 0; i < 8; i++) bytes.push_back(static_cast<std::uint8_t>(value >> (8 * i)));
  }
  bytes.insert(bytes.end(), 32, head_byte);
  return bytes;
}

TEST(Wire, HeightAboveNextSeqIsInvalid) {
  EXPECT_TRUE(decode_message(heights_entry_bytes(9, 10, 7)).ok());
  EXPECT_EQ(decode_message(heights_entry_bytes(10, 9, 7)).error().code, WireError::invalid);
}

TEST(Wire, HeadOfAnEmptyLogIsInvalid) {
  EXPECT_TRUE(decode_message(heights_entry_bytes(0, 0, 0)).ok());
  EXPECT_EQ(decode_message(heights_entry_bytes(0, 0, 7)).error().code, WireError::invalid);
}

TEST(Wire, HeightsCarryTheHeadHash) {
  LogHeight entry{.log = {key(1), 5}, .height = 2, .next_seq = 3};
  entry.head.bytes.fill(0xab);
  Bytes bytes;
  encode_heights({entry}, bytes);
  const auto decoded = decode_message(bytes);
  ASSERT_TRUE(decoded.ok());
  EXPECT_EQ(std::get<HeightsMessage>(decoded.value()).entries, std::vector<LogHeight>{entry});
}

RC_GTEST_PROP(Wire, DecodeOfArbitraryBytesNeverCrashes, (const std::vector<std::uint8_t>& bytes)) {
  (void)decode_message(bytes);
}

RC_GTEST_PROP(Wire, EveryPrefixOfAValidMessageIsRejected,
              (const std::vector<std::uint64_t>& heartbeats)) {
  LivenessMessage message;
  for (std::size_t i = 0; i < heartbeats.size() && i < 50; i++) {
    message.entries.push_back({key(static_cast<std::uint8_t>(i)), i, heartbeats[i]});
  }
  const Bytes bytes = encoded(message);
  RC_ASSERT(std::get<LivenessMessage>(decode_message(bytes).value()) == message);
  const auto cut = *rc::gen::inRange<std::size_t>(0, bytes.size());
  RC_ASSERT(!decode_message(ByteView(bytes).first(cut)).ok());
}

}  // namespace
}  // namespace mesh::engine
