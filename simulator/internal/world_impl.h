// The inside of World (simulator/world.h): zones, the event queue, and the glue between the
// engine Node, io_sim's network and each zone's kube_sim API server. Split over
// world_loop.cc (queue, zones, network, Kubernetes), world_actions.cc (workload, faults) and
// world_checks.cc (assertions and end-of-run checks).
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <ostream>
#include <set>
#include <string>
#include <variant>
#include <vector>

#include "engine/node.h"
#include "engine/prng.h"
#include "engine/payload_cache.h"
#include "engine/signature_cache.h"
#include "io_sim/clock.h"
#include "io_sim/network.h"
#include "kube_sim/api_server.h"
#include "simulator/app_controller.h"
#include "simulator/scenario.h"
#include "simulator/world.h"

namespace mesh::simulator::internal {

using engine::Json;

enum class EventKind {
  node_wake,     // a node's deadline
  kube_list,     // (re)list one kind for a node's informer, then watch
  kube_deliver,  // a watch event or relist reaches a node
  kube_execute,  // a node's request reaches its API server
  kube_result,   // the answer reaches the node
  app_wake,      // the AnyApplication controller's deadline
  action,        // a timeline action
  workload,      // the next random user operation
  flap,          // a flapping link toggles
  zone_start,    // a zone that joins late starts
  end,           // the end of a phase
};

using Payload = std::variant<std::monostate, engine::KubeWatchEvent, engine::KubeRelist,
                             engine::KubeRequest, engine::KubeResult, std::size_t>;

struct Event {
  EventKind kind = EventKind::end;
  std::size_t zone = 0;
  std::uint64_t generation = 0;  // node instance (kube events) or wake generation
  Payload payload;
};

struct Zone {
  std::size_t index = 0;
  std::string name;
  std::string address;
  engine::Identity identity;
  io_sim::Clock clock;
  io_sim::HostId host = 0;
  std::unique_ptr<kube_sim::ApiServer> api;
  std::unique_ptr<engine::Node> node;
  std::unique_ptr<AppController> controller;
  enum class State { waiting, running, crashed, paused } state = State::waiting;
  std::uint64_t node_generation = 0;  // bumps on every (re)start: stale kube events drop
  std::uint32_t restarts = 0;
  std::map<io_sim::ConnectionToken, engine::ConnectionId> by_token;
  std::map<engine::ConnectionId, io_sim::ConnectionToken> tokens;
  std::map<std::size_t, kube_sim::WatchId> watches;  // resource kind -> the node's watch
  Instant deliver_floor;                             // kube deliveries keep their order
  std::uint64_t wake_generation = 0;
  std::optional<Instant> wake_at;
  // Livelock detection: a node that keeps asking to be woken without time passing would hang
  // the world; it is reported and left asleep instead.
  Instant last_wake;
  std::uint32_t wakes_at_instant = 0;
  bool livelocked = false;
  std::uint64_t app_wake_generation = 0;
  std::optional<Instant> app_wake_at;
  std::deque<io_sim::NetEvent> held_network;  // while paused
  std::deque<Event> held_events;              // while paused
  // Persisted state: only zones that some restart resumes from a checkpoint save one, every
  // engine.checkpoint_interval; it survives crashes (it is on the zone's disk).
  bool saves_checkpoints = false;
  std::optional<Bytes> checkpoint;
  Instant checkpoint_at;
};

// What the user did, for the no-resurrection check.
struct UserDelete {
  std::string app;
  std::string zone;
  Duration at;
  std::uint64_t generation = 0;  // the mesh generation of the deleted object
};

class Impl {
 public:
  Impl(const Scenario& scenario, const RunOptions& options);
  RunResult run();

  // --- loop (world_loop.cc) ---
  void schedule(Instant at, Event event);
  void run_until(Instant limit);
  void dispatch(Event& event);
  void on_flap(Event& event);
  void dispatch_network(io_sim::NetEvent& event);
  void start_zone(Zone& zone, bool from_checkpoint = false);
  void maybe_checkpoint(Zone& zone);
  void crash_zone(Zone& zone);
  void drain_node(Zone& zone);
  void reschedule_wake(Zone& zone);
  void reschedule_app(Zone& zone);
  void on_node_wake(Zone& zone, const Event& event);
  void on_kube_list(Zone& zone, std::size_t kind);
  void on_kube_execute(Zone& zone, const engine::KubeRequest& request);
  engine::KubeResult execute(Zone& zone, const engine::KubeRequest& request);
  void pump_watches(Zone& zone);
  void wake_controller(Zone& zone);
  Now now_of(const Zone& zone) const { return zone.clock.now(now_); }
  kube_sim::GroupVersionResource resource_of(const engine::KubeKind& kind) const;
  engine::Config node_config(const Zone& zone) const;
  void trace(const Zone* zone, const std::string& text);
  void timeline(const Zone* zone, const std::string& kind, const std::string& text);
  Duration elapsed() const { return now_ - start_; }
  Zone* zone_named(const std::string& name);

  // --- workload and faults (world_actions.cc) ---
  void apply_action(const Action& action);
  void block_or_unblock(const Action& action);
  void resume_zone(Zone& zone);
  void storm_conflicts(Zone& zone, std::size_t count);
  void set_controller_health(Zone& zone, const Action& action);
  void user_create(Zone& zone, const std::string& app, const std::vector<std::string>& placements,
                   const std::string& strategy, const std::string& version);
  void user_update(Zone& zone, const std::string& app, const std::string& version);
  void user_delete(Zone& zone, const std::string& app);
  void random_operation();
  void schedule_next_workload();
  void set_partition(const Action& action);
  void heal_all();

  // --- checks (world_checks.cc) ---
  void check_assertion(const Action& action);
  std::optional<std::string> convergence_problem() const;
  std::vector<std::string> peer_status_problems(bool first_only) const;
  void final_checks();
  void violation(Violation::Kind kind, const std::string& message);
  std::map<std::string, Json> replicated_view(const Zone& zone) const;
  std::vector<const Zone*> running_zones() const;

  const Scenario& scenario_;
  RunOptions options_;
  engine::Prng prng_;  // the world's own choices (workload)
  io_sim::Network network_;
  // Shared by every node (verification is a pure function of bytes); nodes insert into it.
  mutable engine::SignatureCache signature_cache_;
  mutable engine::PayloadCache payload_cache_;
  std::vector<std::unique_ptr<Zone>> zones_;
  std::map<std::pair<std::int64_t, std::uint64_t>, Event> queue_;
  std::uint64_t sequence_ = 0;
  Instant start_ = Instant::from_ns(1'000'000'000);
  Instant now_ = start_;
  Instant end_;
  bool liveness_phase_ = false;
  std::uint64_t trace_hash_ = 14695981039346656037ULL;  // FNV-1a 64 offset basis
  std::vector<UserDelete> deletes_;
  std::set<std::string> flapping_;  // "a|b" pairs still flapping
  RunResult result_;
  std::uint64_t user_counter_ = 0;
};

}  // namespace mesh::simulator::internal
