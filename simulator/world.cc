#include "simulator/world.h"

#include <algorithm>
#include <deque>
#include <map>
#include <ostream>
#include <set>
#include <variant>

#include "engine/json_util.h"
#include "engine/node.h"
#include "io_sim/clock.h"
#include "io_sim/network.h"
#include "kube_sim/api_server.h"
#include "simulator/app_controller.h"
#include "simulator/internal/world_impl.h"

namespace mesh::simulator {

using engine::Json;

std::uint64_t default_seed(const Scenario& scenario) {
  if (scenario.seed) return *scenario.seed;
  // Stable per scenario name, so an unseeded file still replays the same way.
  const engine::Digest digest = engine::blake2b_256(as_bytes(scenario.name));
  std::uint64_t seed = 0;
  for (int i = 0; i < 8; i++) seed = seed << 8 | digest.bytes[static_cast<std::size_t>(i)];
  return seed;
}

World::World(const Scenario& scenario, const RunOptions& options)
    : impl_(std::make_unique<internal::Impl>(scenario, options)) {}

World::~World() = default;

RunResult World::run() {
  return impl_->run();
}

engine::Json RunResult::to_json() const {
  engine::Json violations_json = engine::Json::array();
  for (const Violation& violation : violations) {
    const char* kind = violation.kind == Violation::Kind::safety     ? "safety"
                       : violation.kind == Violation::Kind::liveness ? "liveness"
                                                                     : "assertion";
    violations_json.push_back(
        {{"kind", kind}, {"at_ms", violation.at.ms()}, {"message", violation.message}});
  }
  engine::Json timeline_json = engine::Json::array();
  for (const TimelineEntry& entry : timeline) {
    timeline_json.push_back({{"at_ms", entry.at.ms()},
                             {"zone", entry.zone},
                             {"kind", entry.kind},
                             {"text", entry.text}});
  }
  engine::Json converged = nullptr;
  if (stats.converged_after) converged = stats.converged_after->ms();
  return {{"scenario", scenario},
          {"seed", seed},
          {"passed", passed()},
          {"trace_hash", trace_hash},
          {"violations", violations_json},
          {"stats",
           {{"events", stats.events},
            {"node_inputs", stats.node_inputs},
            {"segments", stats.segments},
            {"operations", stats.operations},
            {"user_operations", stats.user_operations},
            {"kube_requests", stats.kube_requests},
            {"takeovers", stats.takeovers},
            {"simulated_ms", stats.simulated.ms()},
            {"converged_after_ms", converged},
            {"log_operations_max", stats.log_operations_max},
            {"log_bytes_max", stats.log_bytes_max}}},
          {"timeline", timeline_json}};
}

}  // namespace mesh::simulator
