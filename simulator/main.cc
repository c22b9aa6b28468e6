// mesh-sim: runs scenario files against a deterministic simulation of many clusters.
//
//   mesh-sim run SCENARIO [--seed N] [--trace FILE] [--report FILE.json]
//                [--timeline FILE.html|FILE.svg] [--no-determinism-check]
//                [--trace-messages]
//   mesh-sim swarm --seeds N [--from S] [--out DIR] [--determinism-every K]
//   mesh-sim version
//
// Exit codes: 0 passed, 1 a check failed (safety, liveness or an assertion), 2 bad usage or an
// invalid scenario. A failing run prints its seed and the command that replays it.
#include <CLI/CLI.hpp>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include "simulator/report.h"
#include "simulator/scenario.h"
#include "simulator/swarm.h"
#include "simulator/world.h"

#ifndef MESH_VERSION
#define MESH_VERSION "0.0.0-unknown"
#endif

namespace {

using namespace mesh;
using namespace mesh::simulator;

constexpr int exit_passed = 0;
constexpr int exit_failed = 1;
constexpr int exit_usage = 2;

struct RunArguments {
  std::string scenario;
  std::optional<std::uint64_t> seed;
  std::string trace;
  bool trace_messages = false;
  std::string report;
  std::string timeline;
  bool no_determinism_check = false;
  bool break_merge_rule = false;
};

struct Timed {
  RunResult result;
  double wall_seconds = 0;
};

Timed run_once(const Scenario& scenario, RunOptions options) {
  const auto started = std::chrono::steady_clock::now();
  World world(scenario, options);
  RunResult result = world.run();
  const std::chrono::duration<double> wall = std::chrono::steady_clock::now() - started;
  return {std::move(result), wall.count()};
}

std::vector<std::string> zone_names(const Scenario& scenario) {
  std::vector<std::string> names;
  for (const ZoneSpec& zone : scenario.zones) names.push_back(zone.name);
  return names;
}

void print_summary(const Scenario& scenario, const Timed& timed) {
  const RunResult& result = timed.result;
  const RunStats& stats = result.stats;
  const double simulated = stats.simulated.seconds();
  std::cout << (result.passed() ? "PASSED" : "FAILED") << "  " << scenario.name << "  seed "
            << result.seed << "  trace " << result.trace_hash << "\n";
  std::cout << "  simulated " << simulated << " s in " << timed.wall_seconds << " s wall ("
            << (timed.wall_seconds > 0 ? simulated / timed.wall_seconds : 0) << "x), "
            << stats.events << " events ("
            << (timed.wall_seconds > 0 ? static_cast<double>(stats.events) / timed.wall_seconds : 0)
            << "/s), " << stats.node_inputs << " node inputs\n";
  std::cout << "  " << stats.user_operations << " user operations, " << stats.operations
            << " mesh operations, " << stats.segments << " segments ("
            << (stats.operations > 0
                    ? static_cast<double>(stats.segments) / static_cast<double>(stats.operations)
                    : 0)
            << " per operation), " << stats.kube_requests << " kube requests, " << stats.takeovers
            << " takeovers\n";
  if (stats.converged_after) {
    std::cout << "  converged " << stats.converged_after->ms() << " ms after the final heal\n";
  }
  std::cout << "  largest log store: " << stats.log_operations_max << " operations, "
            << stats.log_bytes_max << " bytes\n";
  for (const Violation& violation : result.violations) {
    std::cout << "  violation at " << violation.at.ms() << " ms: " << violation.message << "\n";
  }
}

bool write_file(const std::string& path, const std::string& text) {
  std::ofstream out(path);
  out << text;
  return static_cast<bool>(out);
}

int command_run(const RunArguments& arguments) {
  auto loaded = load_scenario(arguments.scenario);
  if (!loaded.ok()) {
    std::cerr << "error: " << loaded.error().message << "\n";
    return exit_usage;
  }
  const Scenario& scenario = loaded.value();
  RunOptions options;
  options.seed = arguments.seed.value_or(default_seed(scenario));
  options.break_merge_rule = arguments.break_merge_rule;
  options.trace_messages = arguments.trace_messages;
  std::cout << "scenario " << arguments.scenario << "  seed " << options.seed << "\n";
  std::ofstream trace_file;
  if (!arguments.trace.empty()) {
    trace_file.open(arguments.trace);
    options.trace = &trace_file;
  }
  const Timed timed = run_once(scenario, options);
  bool deterministic = true;
  if (!arguments.no_determinism_check) {
    RunOptions again = options;
    again.trace = nullptr;
    const Timed second = run_once(scenario, again);
    deterministic = second.result.trace_hash == timed.result.trace_hash;
  }
  print_summary(scenario, timed);
  if (!deterministic) std::cout << "  NOT DETERMINISTIC: a second run gave another trace hash\n";
  if (!arguments.report.empty()) {
    engine::Json report = timed.result.to_json();
    report["wall_seconds"] = timed.wall_seconds;
    report["deterministic"] = deterministic;
    if (!write_file(arguments.report, report.dump(2) + "\n")) {
      std::cerr << "error: cannot write " << arguments.report << "\n";
    }
  }
  if (!arguments.timeline.empty()) {
    const bool svg = arguments.timeline.ends_with(".svg");
    const std::string text = svg ? timeline_svg(timed.result, zone_names(scenario))
                                 : timeline_html(timed.result, zone_names(scenario));
    if (!write_file(arguments.timeline, text)) {
      std::cerr << "error: cannot write " << arguments.timeline << "\n";
    }
  }
  if (!timed.result.passed() || !deterministic) {
    std::cout << "replay: mesh-sim run " << arguments.scenario << " --seed " << options.seed
              << (arguments.break_merge_rule ? " --break-merge-rule" : "") << "\n";
    return exit_failed;
  }
  return exit_passed;
}

struct SwarmArguments {
  std::uint64_t seeds = 100;
  std::uint64_t from = 1;
  std::string out = "swarm-failures";
  std::uint64_t determinism_every = 10;
  bool break_merge_rule = false;
};

int command_swarm(const SwarmArguments& arguments) {
  std::uint64_t failures = 0;
  std::uint64_t checked = 0;
  const auto started = std::chrono::steady_clock::now();
  double simulated = 0;
  for (std::uint64_t i = 0; i < arguments.seeds; i++) {
    const std::uint64_t seed = arguments.from + i;
    const Scenario scenario = generate_scenario(seed);
    RunOptions options{
        .seed = seed, .record_timeline = false, .break_merge_rule = arguments.break_merge_rule};
    const Timed timed = run_once(scenario, options);
    simulated += timed.result.stats.simulated.seconds();
    bool deterministic = true;
    if (arguments.determinism_every > 0 && i % arguments.determinism_every == 0) {
      checked++;
      deterministic = run_once(scenario, options).result.trace_hash == timed.result.trace_hash;
    }
    if (!timed.result.passed() || !deterministic) {
      failures++;
      std::filesystem::create_directories(arguments.out);
      const std::string path = arguments.out + "/swarm-" + std::to_string(seed) + ".yaml";
      (void)write_file(path, to_yaml(scenario));
      std::cerr << "\nseed " << seed << " FAILED" << (deterministic ? "" : " (not deterministic)")
                << ": "
                << (timed.result.violations.empty() ? std::string("trace hash differs")
                                                    : timed.result.violations[0].message)
                << "\n  replay: mesh-sim run " << path
                << (arguments.break_merge_rule ? " --break-merge-rule" : "") << "\n";
    }
    std::cerr << "\r[" << i + 1 << "/" << arguments.seeds << "] seed " << seed << ", " << failures
              << " failed" << std::flush;
  }
  const std::chrono::duration<double> wall = std::chrono::steady_clock::now() - started;
  std::cerr << "\n";
  std::cout << "swarm: " << arguments.seeds << " seeds from " << arguments.from << ", " << failures
            << " failed, determinism checked on " << checked << ", " << simulated
            << " s simulated in " << wall.count() << " s wall\n";
  return failures == 0 ? exit_passed : exit_failed;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app("mesh-sim: deterministic simulation of a mesh of clusters", "mesh-sim");
  app.require_subcommand(1);
  RunArguments run;
  CLI::App* run_command = app.add_subcommand("run", "Run one scenario file");
  run_command->add_option("scenario", run.scenario, "Scenario YAML file")->required();
  run_command->add_option("--seed", run.seed, "Seed (default: the file's, else from its name)");
  run_command->add_option("--trace", run.trace, "Write one line per event to FILE");
  run_command->add_flag("--trace-messages", run.trace_messages,
                        "With --trace: also every protocol message sent and received")
      ->needs(run_command->get_option("--trace"));
  run_command->add_option("--report", run.report, "Write a JSON report to FILE");
  run_command->add_option("--timeline", run.timeline, "Write the timeline (.html or .svg)");
  run_command->add_flag("--no-determinism-check", run.no_determinism_check,
                        "Skip the second run that compares trace hashes");
  run_command->add_flag("--break-merge-rule", run.break_merge_rule,
                        "Test only: break the owner tie-break in every zone");
  SwarmArguments swarm;
  CLI::App* swarm_command = app.add_subcommand("swarm", "Run generated scenarios, one per seed");
  swarm_command->add_option("--seeds", swarm.seeds, "How many seeds")->required();
  swarm_command->add_option("--from", swarm.from, "First seed");
  swarm_command->add_option("--out", swarm.out, "Where failing scenarios are written");
  swarm_command->add_option("--determinism-every", swarm.determinism_every,
                            "Check determinism on every K-th seed (0: never)");
  swarm_command->add_flag("--break-merge-rule", swarm.break_merge_rule,
                          "Test only: break the owner tie-break in every zone");
  CLI::App* version = app.add_subcommand("version", "Print the version");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& error) {
    const int code = app.exit(error);
    return code == 0 ? exit_passed : exit_usage;
  }
  if (version->parsed()) {
    std::cout << "mesh-sim " << MESH_VERSION << "\n";
    return exit_passed;
  }
  if (run_command->parsed()) return command_run(run);
  if (swarm_command->parsed()) return command_swarm(swarm);
  return exit_usage;
}
