// Membership's failure detector against a model that rescans every peer, as the first version
// did: evaluate() now looks only at changed peers and due deadlines, and keeps per-zone counts,
// so this checks that the shortcut reports exactly what a full scan would.
#include "engine/membership.h"

#include <algorithm>

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include "tests/support/keys.h"

namespace mesh::engine {
namespace {

struct ModelPeer {
  std::string zone;
  std::uint64_t heartbeat = 0;
  std::optional<Instant> last_advance;
  std::optional<Instant> known_since;
  PeerState state = PeerState::unknown;
};

constexpr Duration suspect_after = Duration::from_seconds(3);
constexpr Duration unavailable_after = Duration::from_seconds(6);

PeerState model_state(const ModelPeer& peer, Instant now) {
  if (!peer.last_advance) {
    return now - *peer.known_since >= unavailable_after ? PeerState::unavailable
                                                        : PeerState::unknown;
  }
  const Duration silent = now - *peer.last_advance;
  if (silent < suspect_after) return PeerState::ready;
  if (silent < unavailable_after) return PeerState::not_ready;
  return PeerState::unavailable;
}

std::optional<Instant> model_transition(const ModelPeer& peer) {
  if (!peer.last_advance) {
    if (peer.known_since && peer.state == PeerState::unknown) {
      return *peer.known_since + unavailable_after;
    }
    return std::nullopt;
  }
  if (peer.state == PeerState::ready || peer.state == PeerState::unknown) {
    return *peer.last_advance + suspect_after;
  }
  if (peer.state == PeerState::not_ready) return *peer.last_advance + unavailable_after;
  return std::nullopt;
}

RC_GTEST_PROP(MembershipProperty, IndexedEvaluationReportsWhatAFullScanWould, ()) {
  Config config;
  config.heartbeat_interval = Duration::from_seconds(1);
  config.peer_suspect_after = suspect_after;
  config.peer_unavailable_after = unavailable_after;
  Membership membership(config, test::test_identity(1).public_key());
  const auto peer_count = *rc::gen::inRange<std::uint8_t>(1, 7);
  std::vector<PublicKey> keys;
  std::map<PublicKey, ModelPeer> model;
  Instant now = Instant::from_ns(1'000'000'000);
  const auto steps = *rc::gen::inRange(1, 120);
  for (int step = 0; step < steps; step++) {
    const Now at{now, WallTime::from_unix_ms(1)};
    const auto action = *rc::gen::inRange(0, 4);
    const auto index = *rc::gen::inRange<std::uint8_t>(0, peer_count);
    const PublicKey key = test::test_identity(static_cast<std::uint8_t>(index + 2)).public_key();
    if (action == 0) {
      // A heartbeat, sometimes a stale one that is no evidence.
      const bool fresh = *rc::gen::arbitrary<bool>();
      ModelPeer& peer = model[key];
      const std::uint64_t beat = fresh ? peer.heartbeat + 1 : peer.heartbeat;
      membership.handle_liveness(at, {{key, 0, beat}});
      if (beat > peer.heartbeat) {
        peer.heartbeat = beat;
        peer.last_advance = now;
      }
    } else if (action == 1) {
      const std::string zone = "zone" + std::to_string(*rc::gen::inRange(1, 4));
      membership.handle_record({.key = key, .zone = zone, .incarnation = 0});
      model[key].zone = zone;
    } else {
      // Time passes, never more than two heartbeats at once (a longer gap is a stall, which
      // shifts every clock; that has its own test).
      now = now + Duration::from_ms(*rc::gen::inRange<std::int64_t>(0, 2000));
    }
    const auto changes = membership.evaluate({now, WallTime::from_unix_ms(1)});
    std::size_t expected_changes = 0;
    std::map<std::string, bool> expected_zones;
    std::optional<Instant> expected_next;
    for (auto& [peer_key, peer] : model) {
      if (!peer.known_since) peer.known_since = now;
      const PeerState next = model_state(peer, now);
      if (next != peer.state) expected_changes++;
      peer.state = next;
      RC_ASSERT(membership.state(peer_key) == peer.state);
      if (!peer.zone.empty()) {
        expected_zones[peer.zone] =
            expected_zones[peer.zone] || peer.state != PeerState::unavailable;
      }
      if (const auto at_time = model_transition(peer)) {
        if (!expected_next || *at_time < *expected_next) expected_next = at_time;
      }
    }
    RC_ASSERT(changes.size() == expected_changes);
    // In key order, whatever order the peers were first tracked in (refs follow that order).
    for (std::size_t next = 1; next < changes.size(); next++) {
      RC_ASSERT(changes[next - 1].key < changes[next].key);
    }
    RC_ASSERT(membership.zones_alive() == expected_zones);
    RC_ASSERT(membership.next_transition() == expected_next);
  }
}

// Refs number peers in the order they were first tracked; what membership reports is still in
// key order. Peers tracked here in descending key order.
TEST(Membership, ReportsComeInKeyOrderWhateverTheOrderOfRefs) {
  Config config;
  config.heartbeat_interval = Duration::from_seconds(1);
  config.peer_suspect_after = suspect_after;
  config.peer_unavailable_after = unavailable_after;
  const PublicKey self = test::test_identity(1).public_key();
  Membership membership(config, self);
  std::vector<PublicKey> keys;
  for (std::uint8_t index = 2; index < 8; index++) {
    keys.push_back(test::test_identity(index).public_key());
  }
  std::sort(keys.begin(), keys.end());
  std::vector<std::uint32_t> refs;
  for (auto key = keys.rbegin(); key != keys.rend(); key++) {
    refs.push_back(membership.track(*key).value());
  }
  EXPECT_TRUE(std::is_sorted(refs.begin(), refs.end())) << "refs in tracking order";
  EXPECT_EQ(membership.track(self), Membership::self_ref);
  const Now now{Instant::from_ns(1'000'000'000), WallTime::from_unix_ms(1)};
  for (auto key = keys.rbegin(); key != keys.rend(); key++) {
    membership.handle_liveness_ref(now, membership.track(*key).value(), 0, 1);
  }
  membership.tick(now);
  const auto changes = membership.evaluate(now);
  ASSERT_EQ(changes.size(), keys.size());
  for (std::size_t index = 0; index < keys.size(); index++) {
    EXPECT_EQ(changes[index].key, keys[index]);
  }
  std::vector<PublicKey> relayed;
  std::vector<std::uint32_t> relayed_refs;
  for (const LivenessEntry& entry : membership.take_liveness_changes(true, &relayed_refs)) {
    relayed.push_back(entry.peer);
  }
  ASSERT_EQ(relayed_refs.size(), relayed.size());
  for (std::size_t index = 0; index < relayed.size(); index++) {
    EXPECT_EQ(membership.track(relayed[index]), relayed_refs[index]) << "refs match the entries";
  }
  std::vector<PublicKey> expected = keys;
  expected.push_back(self);
  std::sort(expected.begin(), expected.end());
  EXPECT_EQ(relayed, expected);
}

TEST(Membership, ZoneChangesReportAppearancesAndFlipsOnly) {
  Config config;
  config.heartbeat_interval = Duration::from_seconds(1);
  config.peer_suspect_after = suspect_after;
  config.peer_unavailable_after = unavailable_after;
  Membership membership(config, test::test_identity(1).public_key());
  const PublicKey a = test::test_identity(2).public_key();
  const PublicKey b = test::test_identity(3).public_key();
  using Changes = std::vector<std::pair<std::string, std::optional<bool>>>;
  Now now{Instant::from_ns(1'000'000'000), WallTime::from_unix_ms(1)};
  // Time passes one heartbeat at a time (a longer gap would be a stall of this process).
  std::uint64_t b_heartbeat = 1;
  const auto pass = [&](int seconds, bool b_beats) {
    for (int second = 0; second < seconds; second++) {
      now.monotonic = now.monotonic + Duration::from_seconds(1);
      if (b_beats) membership.handle_liveness(now, {{b, 0, ++b_heartbeat}});
      (void)membership.evaluate(now);
    }
  };
  membership.handle_liveness(now, {{a, 0, 1}, {b, 0, 1}});
  membership.handle_record({.key = a, .zone = "zone2"});
  membership.handle_record({.key = b, .zone = "zone2"});
  membership.handle_record({.key = b, .zone = "zone3"});  // b moved: zone3 appears
  (void)membership.evaluate(now);
  EXPECT_EQ(membership.take_zone_changes(), (Changes{{"zone2", true}, {"zone3", true}}));
  membership.handle_record({.key = b, .zone = "zone2"});  // back: zone3 vanishes
  EXPECT_EQ(membership.take_zone_changes(), (Changes{{"zone3", std::nullopt}}));
  pass(7, true);  // a goes silent; b keeps beating: zone2 stays alive, nothing to report
  EXPECT_EQ(membership.state(a), PeerState::unavailable);
  EXPECT_TRUE(membership.take_zone_changes().empty());
  pass(7, false);  // both silent: the zone flips
  EXPECT_EQ(membership.state(b), PeerState::unavailable);
  EXPECT_EQ(membership.take_zone_changes(), (Changes{{"zone2", false}}));
  EXPECT_FALSE(membership.zones_alive().at("zone2"));
}

}  // namespace
}  // namespace mesh::engine
