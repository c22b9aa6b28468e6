#include "simulator/world.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <sstream>

#include "simulator/swarm.h"

namespace mesh::simulator {
namespace {

Scenario small(const std::string& yaml) {
  auto parsed = parse_scenario(yaml, "inline.yaml");
  EXPECT_TRUE(parsed.ok()) << (parsed.ok() ? "" : parsed.error().message);
  return parsed.value();
}

const char* const two_zones = R"(
name: t
zones: [zone1, zone2]
duration: 20s
controller: false
timeline:
  - {at: 1s, create: {zone: zone1, app: app1, placements: [zone1, zone2]}}
  - {at: 10s, assert: {exists: {app: app1}}}
)";

TEST(World, SameSeedSameTraceBitForBit) {
  const Scenario scenario = generate_scenario(3);
  std::ostringstream first_trace;
  std::ostringstream second_trace;
  const RunResult first = World(scenario, {.seed = 3, .trace = &first_trace}).run();
  const RunResult second = World(scenario, {.seed = 3, .trace = &second_trace}).run();
  EXPECT_EQ(first.trace_hash, second.trace_hash);
  EXPECT_EQ(first_trace.str(), second_trace.str());
  EXPECT_GT(first.stats.events, 100u);
}

TEST(World, OtherSeedOtherTrace) {
  const Scenario scenario = generate_scenario(3);
  EXPECT_NE(World(scenario, {.seed = 3}).run().trace_hash,
            World(scenario, {.seed = 4}).run().trace_hash);
}

TEST(World, SimpleReplicationPassesAndReportsStats) {
  const RunResult result = World(small(two_zones), {.seed = 1}).run();
  EXPECT_TRUE(result.passed()) << (result.violations.empty() ? "" : result.violations[0].message);
  EXPECT_TRUE(result.stats.converged_after.has_value());
  EXPECT_GT(result.stats.operations, 2u);
  const auto json = result.to_json();
  EXPECT_EQ(json["passed"], true);
  EXPECT_EQ(json["scenario"], "t");
}

// engine.meshpeers: false exists for very large worlds (n zones would write n^2 MeshPeer
// objects); replication must not depend on them.
TEST(World, WithoutMeshPeersReplicationStillConvergesWithFewerKubeRequests) {
  const RunResult with = World(small(two_zones), {.seed = 1}).run();
  Scenario scenario = small(two_zones);
  scenario.engine.meshpeers = false;
  scenario.checks.peer_status = false;
  const RunResult without = World(scenario, {.seed = 1}).run();
  EXPECT_TRUE(without.passed())
      << (without.violations.empty() ? "" : without.violations[0].message);
  EXPECT_LT(without.stats.kube_requests, with.stats.kube_requests);
}

// The cipher changes ciphertext only, never its size: the same world runs the same way on
// AESGCM, event for event, so its trace equals the ChaChaPoly run's.
TEST(World, AesGcmWorldReplicatesWithTheSameTraceAsChaChaPoly) {
  if (!engine::noise::cipher_available(engine::noise::Cipher::aes_gcm)) GTEST_SKIP();
  Scenario scenario = small(two_zones);
  const RunResult chacha_poly = World(scenario, {.seed = 1}).run();
  scenario.engine.cipher = engine::noise::Cipher::aes_gcm;
  const RunResult aes_gcm = World(scenario, {.seed = 1}).run();
  EXPECT_TRUE(aes_gcm.passed())
      << (aes_gcm.violations.empty() ? "" : aes_gcm.violations[0].message);
  EXPECT_GT(aes_gcm.stats.operations, 2u);
  EXPECT_EQ(aes_gcm.trace_hash, chacha_poly.trace_hash);
  EXPECT_EQ(aes_gcm.stats.segments, chacha_poly.stats.segments);
}

TEST(World, FailingAssertionNamesTheLine) {
  const RunResult result = World(small(R"(
name: t
zones: [zone1, zone2]
duration: 10s
controller: false
timeline:
  - {at: 5s, assert: {exists: {app: never}}}
)"),
                                 {.seed = 1})
                               .run();
  ASSERT_EQ(result.violations.size(), 1u);
  EXPECT_EQ(result.violations[0].kind, Violation::Kind::assertion);
  EXPECT_NE(result.violations[0].message.find("inline.yaml:7: assert exists at 5s: never does "
                                              "not exist"),
            std::string::npos)
      << result.violations[0].message;
}

TEST(World, IsolatedZoneIsReportedUnavailableThenRecovers) {
  const RunResult result = World(small(R"(
name: t
zones: [zone1, zone2, zone3]
duration: 60s
engine: {peer_unavailable_after: 15s}
controller: false
timeline:
  - {at: 5s, isolate: zone3}
  - {at: 30s, assert: {peer_state: {peer: zone3, state: Unavailable, observers: [zone1, zone2]}}}
  - {at: 35s, heal: {}}
  - {at: 55s, assert: {peer_state: {peer: zone3, state: Ready}}}
)"),
                                 {.seed = 5})
                               .run();
  EXPECT_TRUE(result.passed()) << (result.violations.empty() ? "" : result.violations[0].message);
}

TEST(World, BrokenMergeRuleIsCaught) {
  const RunResult result = World(small(R"(
name: t
zones: [zone1, zone2, zone3]
duration: 90s
engine: {peer_unavailable_after: 15s}
controller: false
timeline:
  - {at: 2s, create: {zone: zone1, app: app1, placements: [zone1]}}
  - {at: 10s, partition: {groups: [[zone1], [zone2], [zone3]]}}
  - {at: 11s, crash: zone1}
  - {at: 60s, heal: {}}
)"),
                                 {.seed = 13, .break_merge_rule = true})
                               .run();
  EXPECT_FALSE(result.passed());
}

// The regression files pin relay: all to replay the interleavings they were recorded with;
// the bugs they guard against must stay fixed under the default relay mode too.
TEST(World, EveryRegressionFilePassesWithTheDefaultRelayMode) {
  const std::filesystem::path directory =
      std::filesystem::path(MESH_SOURCE_DIR) / "scenarios" / "regressions";
  std::size_t count = 0;
  for (const auto& file : std::filesystem::directory_iterator(directory)) {
    if (file.path().extension() != ".yaml") continue;
    auto loaded = load_scenario(file.path().string());
    ASSERT_TRUE(loaded.ok()) << file.path() << ": " << loaded.error().message;
    Scenario scenario = std::move(loaded).value();
    ASSERT_EQ(scenario.engine.relay, engine::RelayMode::all) << file.path();
    scenario.engine.relay = engine::Config().relay;
    const RunResult result = World(scenario, {.seed = default_seed(scenario)}).run();
    EXPECT_TRUE(result.passed()) << file.path() << ": "
                                 << (result.violations.empty() ? std::string()
                                                               : result.violations[0].message);
    count++;
  }
  EXPECT_GE(count, 25u);
}

}  // namespace
}  // namespace mesh::simulator
