// World: one deterministic simulation of a mesh of clusters, run from (scenario, seed).
//
// Every zone has the real engine Node, its own kube_sim API server, a clock (offset, drift,
// jumps), and optionally the AnyApplication controller emulation; zones talk over io_sim's
// virtual network. One thread, one event queue ordered by (time, sequence), one seeded
// generator per concern: the same scenario and seed give the same run, bit for bit, and the
// trace hash proves it.
//
// The run has two phases (TigerBeetle's VOPR): safety under the scenario's faults, checked
// by the timeline's assertions and by invariants on every write; then liveness: at the end
// every fault heals and the zones must converge within `checks.converge_within`.
#pragma once

#include <cstdint>
#include <iosfwd>
#include <memory>
#include <string>
#include <vector>

#include "engine/json.h"

#include "engine/time.h"
#include "simulator/scenario.h"

namespace mesh::simulator {

namespace internal {
class Impl;
}  // namespace internal

struct Violation {
  enum class Kind { safety, liveness, assertion };
  Kind kind = Kind::safety;
  Duration at;
  std::string message;
};

struct RunStats {
  std::uint64_t events = 0;           // everything the loop processed
  std::uint64_t node_inputs = 0;      // inputs handed to engine nodes
  std::uint64_t segments = 0;         // network segments delivered
  std::uint64_t operations = 0;       // operations authored by all nodes
  std::uint64_t user_operations = 0;  // workload creates, updates, deletes
  std::uint64_t kube_requests = 0;    // requests the nodes made
  std::uint64_t takeovers = 0;
  Duration simulated;
  std::optional<Duration> converged_after;  // from the final heal to convergence
  std::size_t log_operations_max = 0;       // the largest log store of any node at the end
  std::size_t log_bytes_max = 0;
};

// A point of the run for the timeline picture.
struct TimelineEntry {
  Duration at;
  std::string zone;  // "" for world-wide events
  std::string kind;  // fault, peer, user, converged, violation, connection
  std::string text;
};

struct RunResult {
  std::string scenario;
  std::uint64_t seed = 0;
  std::vector<Violation> violations;
  std::string trace_hash;  // 16 hex digits
  RunStats stats;
  std::vector<TimelineEntry> timeline;
  bool passed() const { return violations.empty(); }
  engine::Json to_json() const;
};

struct RunOptions {
  std::uint64_t seed = 0;
  std::ostream* trace = nullptr;  // one line per event when set
  // With `trace`: every protocol message each node sends and receives, as debug lines (not
  // part of the trace hash, so the run and its hash are the same with or without them).
  bool trace_messages = false;
  bool record_timeline = true;
  // Test-only: break one merge rule in every zone (see docs/testing.md). Never set in
  // production code paths.
  bool break_merge_rule = false;
};

class World {
 public:
  World(const Scenario& scenario, const RunOptions& options);
  ~World();
  World(const World&) = delete;
  World& operator=(const World&) = delete;

  RunResult run();

 private:
  std::unique_ptr<internal::Impl> impl_;
};

// The seed a scenario runs with when the command line gives none.
std::uint64_t default_seed(const Scenario& scenario);

}  // namespace mesh::simulator
