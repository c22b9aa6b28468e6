// kube_sim's write path: what one PUT /status of an AnyApplication costs, with the watches a
// simulated zone keeps open (the engine's and the AppController's). In a 5-zone steady run
// with controllers, status writes are most of the kube requests and most of the wall time
// (docs/benchmarks.md), so this is the unit cost to watch when optimizing kube_sim.
#include <benchmark/benchmark.h>

#include <cstdint>
#include <string>

#include "engine/json.h"

#include "kube_sim/api_server.h"
#include "kube_sim/resource.h"

namespace mesh::bench {
namespace {

using json = ::mesh::engine::Json;

// An application as a 5-zone mesh holds it: spec, ownership with placements, one status
// entry with a condition per zone.
json five_zone_app() {
  json zones = json::array();
  json placements = json::array();
  for (int zone = 1; zone <= 5; zone++) {
    const std::string id = "zone" + std::to_string(zone);
    placements.push_back({{"zone", id}});
    zones.push_back(
        {{"zoneId", id},
         {"version", 1},
         {"chartVersion", "1.0"},
         {"conditions", json::array({{{"type", "Local"},
                                      {"status", "Healthy"},
                                      {"zoneId", id},
                                      {"reason", ""},
                                      {"msg", "Operation state changed to 'Healthy'."},
                                      {"lastTransitionTime", "2026-01-01T00:00:00Z"}}})}});
  }
  return {
      {"apiVersion", "dcp.hiro.io/v1"},
      {"kind", "AnyApplication"},
      {"metadata",
       {{"name", "app1"},
        {"namespace", "default"},
        {"labels", {{"dcp.hiro.io/owner-zone", "zone1"}}}}},
      {"spec",
       {{"zones", 3},
        {"source",
         {{"helm",
           {{"repository", "https://charts.example"},
            {"chart", "nginx"},
            {"version", "1.0"},
            {"namespace", "default"}}}}}}},
      {"status",
       {{"ownership",
         {{"owner", "zone1"}, {"epoch", 1}, {"state", "Placement"}, {"placements", placements}}},
        {"zones", zones}}}};
}

void BM_KubeSimUpdateStatus(benchmark::State& state) {
  kube_sim::ApiServer server(kube_sim::Options{.seed = 1});
  server.set_time(WallTime::from_unix_ms(1'700'000'000'000));
  const kube_sim::GroupVersionResource resource = kube_sim::anyapplication_type().resource();
  const kube_sim::ObjectKey key{resource, "default", "app1"};
  json object = five_zone_app();
  auto created = server.create(resource, "default", object, {.field_manager = "user"});
  if (!created.ok()) throw std::runtime_error(created.error().message);
  (void)server.update_status(key, object, {.field_manager = "controller"});
  const auto watch_engine = server.watch({.resource = resource});
  const auto watch_controller = server.watch({.resource = resource});
  if (!watch_engine.ok() || !watch_controller.ok()) throw std::runtime_error("watch failed");
  std::int64_t version = 1;
  for (auto _ : state) {
    object["status"]["zones"][2]["version"] = ++version;
    const auto written = server.update_status(key, object, {.field_manager = "controller"});
    if (!written.ok()) throw std::runtime_error(written.error().message);
    while (auto event = server.poll_watch(watch_engine.value())) benchmark::DoNotOptimize(event);
    while (auto event = server.poll_watch(watch_controller.value())) {
      benchmark::DoNotOptimize(event);
    }
  }
  state.SetItemsProcessed(state.iterations());
  const auto stored = server.get(key);
  if (stored.ok()) state.counters["object_bytes"] = static_cast<double>(stored->dump().size());
}
BENCHMARK(BM_KubeSimUpdateStatus)->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace mesh::bench
