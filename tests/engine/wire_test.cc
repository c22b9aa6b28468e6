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
  EXPECT_EQ(decode_message(Bytes{1}).error().code, WireError::truncated);
  EXPECT_NE(decode_message(Bytes{1}).error().message.find("message type"), std::string::npos);
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

TEST(Wire, FeaturesRoundTripAndKeepUnknownBits) {
  const FeaturesMessage features{wire_feature::liveness_refs | (std::uint64_t{1} << 40)};
  const auto decoded = decode_message(encoded(features));
  ASSERT_TRUE(decoded.ok()) << decoded.error().message;
  EXPECT_EQ(std::get<FeaturesMessage>(decoded.value()), features);
}

TEST(Wire, LivenessRefsRoundTripWithAndWithoutKeys) {
  const LivenessRefsMessage message{{{.ref = 0, .key = key(1), .incarnation = 7, .heartbeat = 0},
                                     {.ref = 1, .incarnation = 1767225600000, .heartbeat = 300},
                                     {.ref = liveness_ref_max,
                                      .key = key(9),
                                      .incarnation = UINT64_MAX,
                                      .heartbeat = UINT64_MAX}}};
  const auto decoded = decode_message(encoded(message));
  ASSERT_TRUE(decoded.ok()) << decoded.error().message;
  EXPECT_EQ(std::get<LivenessRefsMessage>(decoded.value()), message);
  const LivenessRefsMessage none{};
  EXPECT_EQ(std::get<LivenessRefsMessage>(decode_message(encoded(none)).value()), none);
}

// The per-connection encoder carries each ref's key once, and says so in `key_sent`.
TEST(Wire, LivenessRefsCarryEachKeyOncePerConnection) {
  const std::vector<LivenessEntry> entries = {{key(1), 5, 10}, {key(2), 6, 11}};
  const std::vector<std::uint32_t> refs = {0, 3};
  std::vector<bool> key_sent;
  Bytes first;
  encode_liveness_refs(entries, refs, key_sent, first);
  EXPECT_EQ(key_sent, (std::vector<bool>{true, false, false, true}));
  Bytes second;
  encode_liveness_refs(entries, refs, key_sent, second);
  const auto decoded_first = decode_message(first);
  const auto decoded_second = decode_message(second);
  ASSERT_TRUE(decoded_first.ok() && decoded_second.ok());
  EXPECT_EQ(std::get<LivenessRefsMessage>(decoded_first.value()).entries,
            (std::vector<LivenessRefEntry>{{0, key(1), 5, 10}, {3, key(2), 6, 11}}));
  EXPECT_EQ(std::get<LivenessRefsMessage>(decoded_second.value()).entries,
            (std::vector<LivenessRefEntry>{{0, std::nullopt, 5, 10}, {3, std::nullopt, 6, 11}}));
  // A full-mesh heartbeat of five peers, keys known: a fifth of the full-key form.
  const std::vector<LivenessEntry> five(5, LivenessEntry{key(1), 1767225600000, 3600});
  const std::vector<std::uint32_t> five_refs = {0, 1, 2, 3, 4};
  std::vector<bool> all_sent(5, true);
  Bytes compact;
  encode_liveness_refs(five, five_refs, all_sent, compact);
  Bytes full;
  encode_liveness(five, full);
  EXPECT_EQ(compact.size(), 3u + 5 * (1 + 8 + 2));
  EXPECT_EQ(full.size(), 6u + 5 * 48);
}

// A LivenessRefs message with one entry (ref 1, no key, incarnation 0), its heartbeat given
// as raw varint bytes.
Bytes refs_with_heartbeat(std::initializer_list<std::uint8_t> heartbeat) {
  Bytes bytes = {1, 7, 1, 2, 0, 0, 0, 0, 0, 0, 0, 0};
  bytes.insert(bytes.end(), heartbeat);
  return bytes;
}

TEST(Wire, LivenessRefsVarintsMustBeShortestAndInRange) {
  const auto heartbeat_of = [](const Bytes& bytes) {
    return std::get<LivenessRefsMessage>(decode_message(bytes).value()).entries.at(0).heartbeat;
  };
  EXPECT_EQ(heartbeat_of(refs_with_heartbeat({0x7f})), 127u);
  EXPECT_EQ(heartbeat_of(refs_with_heartbeat({0x80, 0x01})), 128u);
  EXPECT_EQ(heartbeat_of(refs_with_heartbeat({0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
                                              0xff, 0x01})),
            UINT64_MAX);
  // 0 as two bytes, a padded 1, 2^64, eleven bytes, and a varint cut short.
  for (const Bytes& bad :
       {refs_with_heartbeat({0x80, 0x00}), refs_with_heartbeat({0x81, 0x80, 0x00}),
        refs_with_heartbeat({0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x02}),
        refs_with_heartbeat({0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x81, 0x00}),
        refs_with_heartbeat({0x80})}) {
    const auto decoded = decode_message(bad);
    ASSERT_FALSE(decoded.ok());
    EXPECT_NE(decoded.error().message.find("liveness refs heartbeat"), std::string::npos)
        << decoded.error().message;
  }
  EXPECT_EQ(decode_message(refs_with_heartbeat({0x80})).error().code, WireError::truncated);
  // Each fixed field cut short names itself too: a key announced with nine of its bytes, and
  // after a whole entry, an incarnation with three.
  const auto cut_error = [](const Bytes& bytes) { return decode_message(bytes).error().message; };
  Bytes cut_key = {1, 7, 1, 1};
  cut_key.insert(cut_key.end(), 9, 0xab);
  EXPECT_NE(cut_error(cut_key).find("liveness refs key"), std::string::npos) << cut_error(cut_key);
  Bytes cut_incarnation = {1, 7, 2, 1};
  cut_incarnation.insert(cut_incarnation.end(), 32 + 8, 0xab);
  cut_incarnation.insert(cut_incarnation.end(), {1, 2, 0, 0, 0});
  EXPECT_NE(cut_error(cut_incarnation).find("liveness refs incarnation"), std::string::npos)
      << cut_error(cut_incarnation);
}

// A LivenessRefs message of one entry under `ref` (no key), as bytes.
Bytes one_ref_bytes(std::uint64_t ref) {
  Bytes bytes = {1, 7, 1};
  for (std::uint64_t tagged = ref << 1;; tagged >>= 7) {
    bytes.push_back(static_cast<std::uint8_t>(tagged >= 0x80 ? (tagged & 0x7f) | 0x80 : tagged));
    if (tagged < 0x80) break;
  }
  bytes.insert(bytes.end(), 8, 0);
  bytes.push_back(1);
  return bytes;
}

TEST(Wire, LivenessRefsBeyondTheLimitsAreTooLarge) {
  // Refs above what this version sends decode (a later version may have more peers; the node
  // skips them); only a ref beyond 32 bits is malformed.
  EXPECT_EQ(std::get<LivenessRefsMessage>(decode_message(one_ref_bytes(liveness_ref_max + 1))
                                              .value())
                .entries.at(0)
                .ref,
            liveness_ref_max + 1);
  EXPECT_TRUE(decode_message(one_ref_bytes(UINT32_MAX)).ok());
  EXPECT_EQ(decode_message(one_ref_bytes(std::uint64_t{UINT32_MAX} + 1)).error().code,
            WireError::too_large);
  // A count over the limit, and a count the bytes left cannot hold.
  const std::uint64_t count = liveness_refs_entries_max + 1;
  const Bytes too_many = {1, 7, static_cast<std::uint8_t>(count | 0x80),
                          static_cast<std::uint8_t>(count >> 7)};
  EXPECT_EQ(decode_message(too_many).error().code, WireError::too_large);
  EXPECT_EQ(decode_message(Bytes{1, 7, 100, 0}).error().code, WireError::truncated);
}

// Features is how later versions extend the protocol: what follows its bits is read past.
TEST(Wire, FeaturesIgnoreWhatFollowsTheirBits) {
  Bytes bytes;
  encode_features(wire_feature::liveness_refs, bytes);
  bytes.insert(bytes.end(), {9, 9, 9});
  const auto decoded = decode_message(bytes);
  ASSERT_TRUE(decoded.ok()) << decoded.error().message;
  EXPECT_EQ(std::get<FeaturesMessage>(decoded.value()).features, wire_feature::liveness_refs);
  EXPECT_TRUE(is_compact_liveness_message(bytes));
  Bytes liveness;
  encode_liveness({}, liveness);
  EXPECT_FALSE(is_compact_liveness_message(liveness));
  EXPECT_FALSE(is_compact_liveness_message(Bytes{2, 7}));
}

RC_GTEST_PROP(Wire, LivenessRefsRoundTripAndEveryPrefixIsRejected,
              (const std::vector<std::pair<std::uint64_t, std::uint64_t>>& counters)) {
  LivenessRefsMessage message;
  for (std::size_t index = 0; index < counters.size() && index < 50; index++) {
    const auto ref = static_cast<std::uint32_t>(counters[index].first);
    std::optional<PublicKey> with_key;
    if (counters[index].second % 3 == 0) with_key = key(static_cast<std::uint8_t>(index));
    message.entries.push_back({ref, with_key, counters[index].first, counters[index].second});
  }
  const Bytes bytes = encoded(message);
  RC_ASSERT(std::get<LivenessRefsMessage>(decode_message(bytes).value()) == message);
  const auto cut = *rc::gen::inRange<std::size_t>(0, bytes.size());
  RC_ASSERT(!decode_message(ByteView(bytes).first(cut)).ok());
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
