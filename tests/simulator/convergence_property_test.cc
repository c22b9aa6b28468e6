// Convergence properties: rapidcheck generates whole worlds (2-7 zones, topology, latency, a
// workload of user edits and the AnyApplication controller's status writes, and a schedule of
// faults), runs each in the simulator, heals everything, and checks convergence within the
// bound, no resurrected deletes, one owner per application, every MeshPeer Ready, and the
// same trace for the same seed. A failure shrinks (rapidcheck removes timeline entries and
// simplifies values) and the minimal scenario is written as YAML that `mesh-sim run` replays.
//
// The timeline is a plain vector rather than rc::state commands: the world replays a whole
// timeline from its seed, so removing entries from the vector is already the shrink that
// matters, and each candidate stays a valid scenario file.
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <filesystem>
#include <fstream>
#include <optional>

#include "simulator/scenario.h"
#include "simulator/world.h"
#include "tests/support/property.h"

namespace mesh::simulator {
namespace {

struct Step {
  int at_s = 0;  // whole seconds: equal times make concurrent writes likely
  int kind = 0;
  int zone = 0;
  int other = 0;
  int app = 0;
  int value = 0;
};

rc::Gen<Step> step_gen() {
  return rc::gen::build<Step>(rc::gen::set(&Step::at_s, rc::gen::inRange(1, 45)),
                              rc::gen::set(&Step::kind, rc::gen::inRange(0, 13)),
                              rc::gen::set(&Step::zone, rc::gen::inRange(0, 7)),
                              rc::gen::set(&Step::other, rc::gen::inRange(0, 7)),
                              rc::gen::set(&Step::app, rc::gen::inRange(0, 3)),
                              rc::gen::set(&Step::value, rc::gen::inRange(1, 20)));
}

std::string zone_name(int index, int count) {
  return "zone" + std::to_string(index % count + 1);
}

// Two groups chosen by the bits of the step's value; none when one group would be empty.
std::optional<Action> partition_of(const Step& step, int zones) {
  Action cut{.at = Duration::from_seconds(step.at_s), .kind = ActionKind::partition};
  cut.groups = {{}, {}};
  for (int i = 0; i < zones; i++) {
    cut.groups[((step.value >> (i % 5)) & 1) != 0 ? 0 : 1].push_back(zone_name(i, zones));
  }
  if (cut.groups[0].empty() || cut.groups[1].empty()) return std::nullopt;
  return cut;
}

// Turns one generated step into timeline actions (a fault and, where it has one, its end).
void add_step(Scenario& scenario, const Step& step, int zones) {
  const Duration at = Duration::from_seconds(step.at_s);
  const std::string zone = zone_name(step.zone, zones);
  const std::string other = zone_name(step.other, zones);
  const std::string app = "app" + std::to_string(step.app);
  const Duration later = at + Duration::from_seconds(step.value);
  auto& timeline = scenario.timeline;
  switch (step.kind) {
    case 0:
    case 1:
      timeline.push_back(
          {.at = at, .kind = ActionKind::create, .zone = zone, .app = app, .zones = {zone, other}});
      break;
    case 2:
      timeline.push_back({.at = at, .kind = ActionKind::update, .zone = zone, .app = app});
      break;
    case 3:
      timeline.push_back({.at = at, .kind = ActionKind::remove, .zone = zone, .app = app});
      break;
    case 4:
      if (auto cut = partition_of(step, zones)) {
        timeline.push_back(std::move(*cut));
        timeline.push_back({.at = later, .kind = ActionKind::heal});
      }
      break;
    case 5:
      if (zone == other) break;
      timeline.push_back(
          {.at = at, .kind = ActionKind::block, .one_way = true, .from = zone, .to = other});
      timeline.push_back(
          {.at = later, .kind = ActionKind::unblock, .one_way = true, .from = zone, .to = other});
      break;
    case 6:
      timeline.push_back({.at = at, .kind = ActionKind::crash, .zone = zone});
      // Half the restarts resume from the zone's last checkpoint.
      timeline.push_back({.at = later,
                          .kind = ActionKind::restart,
                          .zone = zone,
                          .from_checkpoint = (step.value & 1) != 0});
      break;
    case 7:
      timeline.push_back({.at = at, .kind = ActionKind::pause, .zone = zone});
      timeline.push_back({.at = later, .kind = ActionKind::resume, .zone = zone});
      break;
    case 8:
      timeline.push_back({.at = at,
                          .kind = ActionKind::clock_jump,
                          .zone = zone,
                          .by = Duration::from_seconds((step.value - 10) * 300)});
      break;
    case 9: timeline.push_back({.at = at, .kind = ActionKind::watch_drop, .zone = zone}); break;
    case 10: timeline.push_back({.at = at, .kind = ActionKind::compact, .zone = zone}); break;
    case 11:
      timeline.push_back({.at = at,
                          .kind = ActionKind::conflict_storm,
                          .zone = zone,
                          .count = static_cast<std::size_t>(step.value % 4 + 1)});
      break;
    case 12:
      timeline.push_back({.at = at, .kind = ActionKind::api_pause, .zone = zone});
      timeline.push_back({.at = later, .kind = ActionKind::api_resume, .zone = zone});
      break;
    default:
      timeline.push_back(
          {.at = at, .kind = ActionKind::clock_drift, .zone = zone, .ppm = (step.value - 10) * 40});
      break;
  }
}

Scenario generate_world(bool break_merge_rule) {
  Scenario scenario;
  scenario.name = "property";
  const int zones = *rc::gen::inRange(2, 8);
  for (int i = 0; i < zones; i++) scenario.zones.push_back({.name = zone_name(i, zones)});
  scenario.topology =
      *rc::gen::element(Topology::full, Topology::bootstrap_first, Topology::ring, Topology::line);
  const int latency_min = *rc::gen::inRange(1, 20);
  scenario.latency = io_sim::LatencyModel::uniform(
      Duration::from_ms(latency_min), Duration::from_ms(latency_min + *rc::gen::inRange(0, 80)));
  scenario.engine.peer_unavailable_after = Duration::from_seconds(*rc::gen::inRange(10, 25));
  scenario.engine.snapshot_max_log = static_cast<std::size_t>(*rc::gen::inRange(4, 40));
  scenario.controller = *rc::gen::arbitrary<bool>();
  scenario.duration = Duration::from_seconds(70);
  scenario.seed = *rc::gen::inRange<std::uint64_t>(1, 1'000'000);
  scenario.test_break_merge_rule = break_merge_rule;
  for (const Step& step : *rc::gen::container<std::vector<Step>>(step_gen())) {
    add_step(scenario, step, zones);
  }
  std::stable_sort(scenario.timeline.begin(), scenario.timeline.end(),
                   [](const Action& a, const Action& b) { return a.at < b.at; });
  return scenario;
}

// One file per property, so the broken-merge-rule run never overwrites a real failure.
std::filesystem::path counterexample_path(bool break_merge_rule) {
  return std::filesystem::path(MESH_BINARY_DIR) /
         (break_merge_rule ? "property-counterexample-broken-merge-rule.yaml"
                           : "property-counterexample.yaml");
}

// The property itself. A failing case overwrites the counterexample file; rapidcheck's last
// failing case is the shrunk one, so the file ends up holding the minimal scenario.
void converges_after_heal(bool break_merge_rule) {
  const Scenario scenario = generate_world(break_merge_rule);
  const RunOptions options{.seed = *scenario.seed, .record_timeline = false};
  const RunResult first = World(scenario, options).run();
  const RunResult second = World(scenario, options).run();
  const bool deterministic = first.trace_hash == second.trace_hash;
  if (first.passed() && deterministic) return;
  const std::filesystem::path path = counterexample_path(break_merge_rule);
  std::ofstream(path) << to_yaml(scenario);
  RC_FAIL((deterministic ? first.violations.at(0).message : "trace hash differs") +
          "\n  scenario written to " + path.string() + "\n  replay: mesh-sim run " + path.string());
}

TEST(ConvergenceProperty,
     EveryWorldConvergesAfterHealWithoutResurrectionWithOneOwnerAndPeersReady) {
  EXPECT_TRUE(test::check_property("every world converges after heal", test::property_cases(12),
                                   [] { converges_after_heal(false); }));
}

TEST(ConvergenceProperty, ABrokenMergeRuleFailsShrinksToAHandfulOfEventsAndReplays) {
  std::filesystem::remove(counterexample_path(true));
  const bool passed = test::check_property("broken merge rule is caught", test::property_cases(200),
                                           [] { converges_after_heal(true); });
  ASSERT_FALSE(passed) << "the checkers did not catch a broken merge rule";
  const auto written = load_scenario(counterexample_path(true).string());
  ASSERT_TRUE(written.ok()) << (written.ok() ? "" : written.error().message);
  EXPECT_LE(written->timeline.size(), 6u) << to_yaml(written.value());
  EXPECT_TRUE(written->test_break_merge_rule);
  // What `mesh-sim run FILE` does: the file alone reproduces the failure.
  const RunResult replay = World(written.value(), {.seed = *written->seed}).run();
  EXPECT_FALSE(replay.passed());
}

}  // namespace
}  // namespace mesh::simulator
