// kube_sim's write path: what one PUT /status of an AnyApplication costs, with the watches a
// simulated zone keeps open (the engine's and the AppController's), through the calls the
// simulator makes (write() and poll_watch_shared(), which hand out the stored version instead
// of copies with managedFields). In a 5-zone steady run with controllers, status writes are
// most of the kube requests and most of the wall time (docs/benchmarks.md), so this is the unit
// cost to watch when optimizing kube_sim. Also: a merge patch of a large flat object.
#include <benchmark/benchmark.h>

#include <cstdint>
#include <string>

#include "engine/json.h"

#include "kube_sim/api_server.h"
#include "kube_sim/merge_patch.h"
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
  const kube_sim::WriteRequest update_status{.verb = kube_sim::Verb::update,
                                             .subresource = kube_sim::Subresource::status,
                                             .key = key,
                                             .options = {.field_manager = "controller"}};
  for (auto _ : state) {
    object["status"]["zones"][2]["version"] = ++version;
    const auto written = server.write(update_status, object);
    if (!written.ok()) throw std::runtime_error(written.error().message);
    for (const auto watch : {watch_engine.value(), watch_controller.value()}) {
      while (auto event = server.poll_watch_shared(watch)) benchmark::DoNotOptimize(event);
    }
  }
  state.SetItemsProcessed(state.iterations());
  const auto stored = server.get(key);
  if (stored.ok()) state.counters["object_bytes"] = static_cast<double>(stored->dump().size());
}
BENCHMARK(BM_KubeSimUpdateStatus)->Unit(benchmark::kMicrosecond);

// A merge patch into a flat object of `members` members: as many new ones between them, a
// quarter of them deleted, merged into or replaced each (the unit test's shape). Linear: the
// merge walks both sorted member lists once instead of erasing and inserting in place.
void BM_MergePatchFlat(benchmark::State& state) {
  const auto members = static_cast<int>(state.range(0));
  const auto key = [](int index) { return "k" + std::to_string(10'000'000 + index); };
  json target = json::object();
  json patch = json::object();
  for (int index = 0; index < members; index++) {
    target[key(2 * index)] = {{"a", index}};
    patch[key(2 * index + 1)] = index;
    if (index % 4 == 0) patch[key(2 * index)] = nullptr;
    if (index % 4 == 1) patch[key(2 * index)] = {{"b", index}};
    if (index % 4 == 2) patch[key(2 * index)] = "s";
  }
  for (auto _ : state) {
    json patched = kube_sim::merge_patched(target, patch);
    benchmark::DoNotOptimize(patched);
  }
  state.SetItemsProcessed(state.iterations() * members);
}
BENCHMARK(BM_MergePatchFlat)->Arg(1'000)->Arg(100'000)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace mesh::bench
