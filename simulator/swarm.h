// Swarm testing: every seed samples a whole scenario (TigerBeetle's VOPR, FoundationDB's
// buggify): how many zones, which topology and latency family, and which fault families are
// switched on at all, then the faults themselves. Switching families off per seed matters: a
// run where every fault is always possible rarely reaches the states a single fault leads to.
//
// A generated scenario carries its seed, so the YAML written for a failing seed replays with
// `mesh-sim run FILE`.
#pragma once

#include <cstdint>

#include "simulator/scenario.h"

namespace mesh::simulator {

struct SwarmOptions {
  std::size_t zones_min = 2;
  std::size_t zones_max = 6;
  Duration duration = Duration::from_seconds(90);
};

Scenario generate_scenario(std::uint64_t seed, const SwarmOptions& options = {});

}  // namespace mesh::simulator
