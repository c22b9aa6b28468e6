// The simulator as a whole (mesh-sim's World: io_sim network, kube_sim API servers, engine
// nodes, checkers), against the ceiling of its bare event loop.
//
// BM_BareEventLoop is that ceiling: the io_sim network with the same hosts and connections as
// a 5-zone mesh, each delivered segment answered at once by a 64-byte one, and nothing else:
// no Noise, no engine, no Kubernetes. Every figure of the World benchmarks is to be read as a
// fraction of it (docs/benchmarks.md reports the ratio).
//
// BM_SimSteady runs a whole scenario per iteration: N zones with 1-10 ms links, the
// AnyApplication controller emulation in every zone (up to 50 zones; see steady_world), and a
// steady random workload of user creates, updates and deletes (its rate is the second
// argument, in operations per 1000 simulated seconds), for 60 simulated seconds (600 below one
// operation per second) plus the checks' liveness phase. BM_SimSteadyMesh is the same world
// without the controller emulation: the mesh replicating what users write, and nothing
// writing zone status, so each user operation is one mesh operation instead of about eight.
#include <benchmark/benchmark.h>

#include <chrono>
#include <cstdint>
#include <string>

#include "io_sim/network.h"
#include "simulator/scenario.h"
#include "simulator/world.h"

namespace mesh::bench {
namespace {

void BM_BareEventLoop(benchmark::State& state) {
  constexpr std::size_t hosts = 5;
  std::uint64_t delivered = 0;
  for (auto _ : state) {
    io_sim::Network network(7);
    network.set_default_latency(
        io_sim::LatencyModel::uniform(Duration::from_ms(1), Duration::from_ms(10)));
    for (std::size_t host = 0; host < hosts; host++) {
      network.add_host("zone" + std::to_string(host + 1) + ":9102");
    }
    Instant now = Instant::from_ns(1'000'000'000);
    io_sim::ConnectionToken next_token = 1;
    for (std::size_t from = 0; from < hosts; from++) {
      for (std::size_t to = from + 1; to < hosts; to++) {
        network.connect(now, from, next_token++, network.address(to));
      }
    }
    const Instant end = now + Duration::from_seconds(60);
    const Bytes message(64, 0x5a);
    std::uint64_t events = 0;
    while (true) {
      const auto at = network.next_event_time();
      if (!at || *at > end) break;
      now = *at;
      while (auto event = network.pop_due(now)) {
        events++;
        switch (event->kind) {
          case io_sim::NetEvent::Kind::connected:
          case io_sim::NetEvent::Kind::data:
            network.send(now, event->host, event->token, message);
            break;
          case io_sim::NetEvent::Kind::accepted:
            network.send(now, event->host, event->token, message);
            break;
          default: break;
        }
      }
    }
    delivered += events;
    benchmark::DoNotOptimize(events);
  }
  state.counters["events/s"] =
      benchmark::Counter(static_cast<double>(delivered), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_BareEventLoop)->Unit(benchmark::kMillisecond);

// Up to 50 zones: a full mesh with every zone's AnyApplication controller. Beyond: the shape of
// scenarios/long/thousand-zones.yaml (bootstrap from zone1, 4 outbound connections per zone,
// no MeshPeer objects, no controllers), since a full mesh of N zones has N(N-1)/2 links.
simulator::Scenario steady_world(std::size_t zones, double operations_per_second,
                                 bool controllers, const std::string& cipher) {
  const bool small = zones <= 50;
  // Slow workloads run ten times longer, so that they still see tens of user operations.
  const int duration_s = operations_per_second >= 1 ? 60 : 600;
  const std::string yaml =
      "name: steady\nseed: 11\nduration: " + std::to_string(duration_s) +
      "s\nzones: " + std::to_string(zones) +
      "\nnetwork: {latency: {distribution: uniform, min: 1ms, max: 10ms}}\n" +
      (small ? std::string("topology: full\ncontroller: ") + (controllers ? "true" : "false") +
                   "\nengine: {cipher: " + cipher + "}\n"
             : std::string("topology: bootstrap_first\ncontroller: false\n"
                           "engine: {connections_target: 4, meshpeers: false, cipher: ") +
                   cipher + "}\nkube: {watch_history: 50}\n") +
      "workload:\n  random: {operations_per_second: " + std::to_string(operations_per_second) +
      ", objects: 20, delete_fraction: 0.1, update_fraction: 0.5, stop_at: " +
      std::to_string(duration_s - 10) +
      "s}\n"
      "checks: {converge_within: 60s}\n";
  auto parsed = simulator::parse_scenario(yaml, "bench.yaml");
  if (!parsed.ok()) throw std::runtime_error(parsed.error().message);
  return std::move(parsed).value();
}

// `cipher` is engine.cipher of the scenario: "chachapoly" (the default) or "aesgcm".
void run_steady(benchmark::State& state, bool controllers,
                const std::string& cipher = "chachapoly") {
  const auto zones = static_cast<std::size_t>(state.range(0));
  const auto rate = static_cast<double>(state.range(1)) / 1000.0;
  const simulator::Scenario scenario = steady_world(zones, rate, controllers, cipher);
  double simulated_s = 0;
  double wall_s = 0;
  std::uint64_t loop_events = 0;
  std::uint64_t node_inputs = 0;
  std::uint64_t user_operations = 0;
  std::uint64_t mesh_operations = 0;
  std::uint64_t segments = 0;
  std::uint64_t kube_requests = 0;
  bool passed = true;
  for (auto _ : state) {
    const auto start = std::chrono::steady_clock::now();
    const simulator::RunResult result =
        simulator::World(scenario, {.seed = 11, .record_timeline = false}).run();
    wall_s += std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    passed = passed && result.passed();
    simulated_s += static_cast<double>(result.stats.simulated.ns()) / 1e9;
    loop_events += result.stats.events + result.stats.segments;
    node_inputs += result.stats.node_inputs;
    user_operations += result.stats.user_operations;
    mesh_operations += result.stats.operations;
    segments += result.stats.segments;
    kube_requests += result.stats.kube_requests;
  }
  if (!passed) state.SkipWithError("the scenario failed its checks");
  const auto per_user_operation = [&](std::uint64_t count) {
    return static_cast<double>(count) / static_cast<double>(user_operations);
  };
  state.counters["sim_s/s"] = simulated_s / wall_s;
  state.counters["events/s"] = static_cast<double>(loop_events) / wall_s;
  state.counters["node_inputs/s"] = static_cast<double>(node_inputs) / wall_s;
  if (user_operations == 0) return;  // an idle world: nothing to divide by
  state.counters["segments/user_op"] = per_user_operation(segments);
  state.counters["mesh_ops/user_op"] = per_user_operation(mesh_operations);
  // The mesh's own Kubernetes requests (the controller emulation's writes are not counted).
  state.counters["kube_requests/user_op"] = per_user_operation(kube_requests);
}

// Args: zones, user operations per 1000 simulated seconds (the whole world).
void BM_SimSteady(benchmark::State& state) {
  run_steady(state, true);
}
void BM_SimSteadyMesh(benchmark::State& state) {
  run_steady(state, false);
}
// The same worlds on Noise_XX_25519_AESGCM_BLAKE2b (engine.cipher: aesgcm).
void BM_SimSteadyAesGcm(benchmark::State& state) {
  run_steady(state, true, "aesgcm");
}
void BM_SimSteadyMeshAesGcm(benchmark::State& state) {
  run_steady(state, false, "aesgcm");
}
// The idle 5-zone mesh's rate once started: the 600 s world (BM_SimSteadyMesh/5/0) includes a
// fixed start-up (ten Noise handshakes with Ed25519 Hellos, the first lists, MeshPeer objects)
// that a long run amortizes. Each iteration runs the idle world for 600 and for 3600 simulated
// seconds; the difference in node inputs over the difference in wall time is the steady rate.
// Arg: 0 = chachapoly, 1 = aesgcm.
void BM_SimIdleMeshAfterStartUp(benchmark::State& state) {
  const std::string cipher = state.range(0) == 1 ? "aesgcm" : "chachapoly";
  simulator::Scenario short_world = steady_world(5, 0, false, cipher);
  simulator::Scenario long_world = short_world;
  long_world.duration = Duration::from_seconds(3600);
  double wall_s_delta = 0;
  std::uint64_t inputs_delta = 0;
  bool passed = true;
  for (auto _ : state) {
    std::uint64_t inputs[2] = {0, 0};
    double wall_s[2] = {0, 0};
    for (int index = 0; index < 2; index++) {
      const auto start = std::chrono::steady_clock::now();
      const simulator::RunResult result =
          simulator::World(index == 0 ? short_world : long_world,
                           {.seed = 11, .record_timeline = false})
              .run();
      wall_s[index] =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      inputs[index] = result.stats.node_inputs;
      passed = passed && result.passed();
    }
    wall_s_delta += wall_s[1] - wall_s[0];
    inputs_delta += inputs[1] - inputs[0];
  }
  if (!passed) state.SkipWithError("the scenario failed its checks");
  state.counters["steady_node_inputs/s"] = static_cast<double>(inputs_delta) / wall_s_delta;
}
BENCHMARK(BM_SimIdleMeshAfterStartUp)
    ->Arg(0)
    ->Arg(1)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime()
    ->Iterations(1);

BENCHMARK(BM_SimSteady)
    ->Args({5, 100})
    ->Args({5, 1000})
    ->Args({5, 10'000})
    ->Args({50, 1000})
    ->Args({200, 1000})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime()
    ->Iterations(1);
BENCHMARK(BM_SimSteadyMesh)
    ->Args({5, 0})  // idle: heartbeats, resyncs and snapshots only
    ->Args({5, 1000})
    ->Args({5, 10'000})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime()
    ->Iterations(1);
BENCHMARK(BM_SimSteadyAesGcm)
    ->Args({5, 1000})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime()
    ->Iterations(1);
BENCHMARK(BM_SimSteadyMeshAesGcm)
    ->Args({5, 0})
    ->Args({5, 1000})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime()
    ->Iterations(1);

}  // namespace
}  // namespace mesh::bench
