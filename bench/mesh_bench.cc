// A 5-node full mesh of engine Nodes on tests/support/test_net.h's virtual clock (5 ms links,
// default configs): how fast one published operation spreads and how many protocol messages
// it costs, and how much virtual time the mesh simulates per wall second while idle or under
// a steady publish load.
//
// TestNet is the engine tests' minimal driver, not the simulator (io_sim): its numbers bound
// what a simulator built on the same engine can reach, they do not measure one.
#include <benchmark/benchmark.h>

#include <cstdint>
#include <memory>
#include <string>

#include "engine/node.h"
#include "tests/support/test_net.h"

namespace mesh::bench {
namespace {

using test::TestNet;

constexpr std::size_t mesh_size = 5;

std::uint64_t messages_sent(TestNet& net) {
  std::uint64_t total = 0;
  for (std::size_t i = 0; i < net.size(); i++) total += net.node(i).metrics().messages_sent;
  return total;
}

std::uint64_t bytes_sent(TestNet& net) {
  std::uint64_t total = 0;
  for (std::size_t i = 0; i < net.size(); i++) total += net.node(i).metrics().bytes_sent;
  return total;
}

// Node i bootstraps to every node before it, so each pair has exactly one configured dial.
// Returns once every node is connected to every other and the peer records have settled.
//
// The one change from TestNet::default_config: snapshot_interval is ~4 months instead of
// 300 s. With the default, an idle node livelocks 300 s after start: Node::maybe_snapshot
// leaves snapshot_next_ in the past when its tail holds at most one operation, so
// next_deadline() keeps returning an instant that has passed and virtual time stops
// (docs/benchmarks.md). Size-triggered snapshots (snapshot_max_log) are unchanged.
std::unique_ptr<TestNet> make_mesh(std::size_t count) {
  auto net = std::make_unique<TestNet>();
  for (std::size_t i = 0; i < count; i++) {
    engine::Config config = TestNet::default_config(i);
    config.snapshot_interval = Duration::from_seconds(10'000'000);
    for (std::size_t j = 0; j < i; j++) config.bootstrap.push_back(TestNet::bootstrap_to(j));
    net->add_node(config);
  }
  net->start_all();
  const bool connected = net->drive_until(
      [&] {
        for (std::size_t i = 0; i < net->size(); i++) {
          if (net->node(i).connected_peers().size() != count - 1) return false;
        }
        return true;
      },
      Duration::from_seconds(60));
  MESH_ASSERT(connected);
  net->drive_for(Duration::from_seconds(10));
  return net;
}

// Idle protocol traffic (heartbeats, periodic heights) in messages per virtual second,
// measured over two resync intervals so the periodic heights are included.
double idle_messages_per_second(TestNet& net) {
  const std::uint64_t before = messages_sent(net);
  const Instant start = net.now();
  net.drive_for(Duration::from_seconds(120));
  return static_cast<double>(messages_sent(net) - before) / (net.now() - start).seconds();
}

// Publish one 1 KiB operation at node 0, drive until all nodes hold it, then let the eager
// pushes that cross in flight land (25 ms, five link latencies). Per iteration: one operation.
void BM_MeshSpread(benchmark::State& state) {
  auto net = make_mesh(mesh_size);
  const double idle_rate = idle_messages_per_second(*net);
  const Bytes payload(1024, 0x5a);
  const engine::LogId log = net->node(0).own_log();
  const std::uint64_t messages_before = messages_sent(*net);
  const std::uint64_t bytes_before = bytes_sent(*net);
  const Instant start = net->now();
  double spread_ms_total = 0;
  std::uint64_t counter = 0;
  for (auto _ : state) {
    const Instant published_at = net->now();
    const auto seq = net->publish(0, "bench-" + std::to_string(counter++), payload);
    MESH_ASSERT(seq.ok());
    const bool spread = net->drive_until(
        [&] {
          for (std::size_t i = 0; i < net->size(); i++) {
            if (net->node(i).logs().find(log, seq.value()) == nullptr) return false;
          }
          return true;
        },
        Duration::from_seconds(10));
    MESH_ASSERT(spread);
    spread_ms_total += static_cast<double>((net->now() - published_at).ns()) / 1e6;
    net->drive_for(Duration::from_ms(25));
  }
  const double ops = static_cast<double>(state.iterations());
  const double virtual_s = (net->now() - start).seconds();
  const double messages = static_cast<double>(messages_sent(*net) - messages_before);
  state.SetItemsProcessed(state.iterations());
  state.counters["spread_virtual_ms"] = spread_ms_total / ops;
  state.counters["msgs_per_op"] = (messages - idle_rate * virtual_s) / ops;
  state.counters["msgs_per_op_raw"] = messages / ops;
  state.counters["idle_msgs_per_vs"] = idle_rate;
  state.counters["wire_bytes_per_op"] =
      static_cast<double>(bytes_sent(*net) - bytes_before) / ops;
}
BENCHMARK(BM_MeshSpread)->Unit(benchmark::kMicrosecond);

// Steps the net until `duration` of virtual time has passed; returns the steps taken (each a
// delivery of bytes or a batch of node timers due at one instant). Crashes instead of hanging
// if a node keeps asking to be woken at the same instant.
std::uint64_t run_for(TestNet& net, Duration duration) {
  const Instant limit = net.now() + duration;
  std::uint64_t steps = 0;
  std::uint64_t steps_at_same_instant = 0;
  Instant previous = net.now();
  while (net.now() < limit && net.step()) {
    steps++;
    steps_at_same_instant = net.now() == previous ? steps_at_same_instant + 1 : 0;
    previous = net.now();
    MESH_ASSERT(steps_at_same_instant < 1'000'000);
  }
  return steps;
}

// Five idle nodes: heartbeats, liveness, periodic heights. One iteration = 10 virtual s.
// Counters: virtual seconds per wall second, TestNet steps and messages per wall second.
void BM_MeshIdle(benchmark::State& state) {
  auto net = make_mesh(mesh_size);
  const Instant start = net->now();
  const std::uint64_t messages_before = messages_sent(*net);
  std::uint64_t steps = 0;
  for (auto _ : state) steps += run_for(*net, Duration::from_seconds(10));
  const double virtual_s = (net->now() - start).seconds();
  state.counters["virtual_s/s"] = benchmark::Counter(virtual_s, benchmark::Counter::kIsRate);
  state.counters["steps/s"] =
      benchmark::Counter(static_cast<double>(steps), benchmark::Counter::kIsRate);
  state.counters["msgs/s"] = benchmark::Counter(
      static_cast<double>(messages_sent(*net) - messages_before), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_MeshIdle)->Unit(benchmark::kMicrosecond);

// Five nodes, each publishing `range(0)` 1 KiB operations per virtual second (100 keys per
// node, rewritten round-robin), plus the idle traffic. One iteration = 1 virtual s, driven
// with TestNet::drive_for so that no slot overshoots its share of virtual time.
void BM_MeshSteadyLoad(benchmark::State& state) {
  auto net = make_mesh(mesh_size);
  const auto rate = state.range(0);
  const Bytes payload(1024, 0x5a);
  const Instant start = net->now();
  const std::uint64_t messages_before = messages_sent(*net);
  std::uint64_t counter = 0;
  for (auto _ : state) {
    for (std::int64_t slot = 0; slot < rate; slot++) {
      for (std::size_t i = 0; i < net->size(); i++) {
        MESH_ASSERT(net->publish(i, "key-" + std::to_string(counter % 100), payload).ok());
      }
      counter++;
      net->drive_for(Duration::from_seconds(1) / rate);
    }
  }
  const double virtual_s = (net->now() - start).seconds();
  state.counters["virtual_s/s"] = benchmark::Counter(virtual_s, benchmark::Counter::kIsRate);
  state.counters["msgs/s"] = benchmark::Counter(
      static_cast<double>(messages_sent(*net) - messages_before), benchmark::Counter::kIsRate);
  state.SetItemsProcessed(state.iterations() * rate * static_cast<std::int64_t>(net->size()));
}
BENCHMARK(BM_MeshSteadyLoad)->Arg(1)->Arg(10)->Arg(100)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace mesh::bench
