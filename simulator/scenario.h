// Scenario: one simulated world, as a YAML file describes it (docs/scenarios.md).
//
// Zones (clusters) with their clocks and engine settings, the network (default latency, per
// pair links, bandwidth), a workload (scripted actions, a random rate, the AnyApplication
// controller emulation), a timeline of faults and assertions, and the checks at the end.
// Anything left open (random workload, swarm) is drawn from the run's seed. parse errors name
// the file, line and key. to_yaml() writes a scenario back, so a failing generated case
// becomes a file that `mesh-sim run` replays.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "engine/config.h"
#include "engine/result.h"
#include "engine/time.h"
#include "io_sim/latency.h"

namespace mesh::simulator {

enum class ScenarioError { unreadable, syntax, invalid };
using ScenarioFailure = Error<ScenarioError>;

struct ZoneSpec {
  std::string name;
  Duration clock_offset;  // wall clock offset from the simulation's start time
  std::int64_t clock_drift_ppm = 0;
  std::optional<Duration> start_at;  // join later than the others
  // engine::Config::liveness_refs: false makes this zone's controller one from before the
  // compact liveness form (it neither announces nor sends it), for meshes of mixed versions.
  bool liveness_refs = true;
};

struct LinkSpec {
  std::string a;
  std::string b;
  std::optional<io_sim::LatencyModel> latency;
  std::uint64_t bandwidth_bytes_per_second = 0;
};

enum class Topology { full, bootstrap_first, ring, line, star };

// Engine settings for every zone (scenario `engine:` section).
struct EngineSpec {
  Duration heartbeat_interval = Duration::from_seconds(1);
  Duration peer_suspect_after = Duration::from_seconds(5);
  Duration peer_unavailable_after = Duration::from_seconds(30);
  Duration link_idle_timeout = Duration::from_seconds(5);
  Duration resync_interval = Duration::from_seconds(30);
  Duration dial_backoff_max = Duration::from_seconds(5);
  Duration tombstone_retention = Duration::from_seconds(600);
  // engine::Config::status_write_delay; the regression files recorded before it existed pin 0.
  Duration status_write_delay = Duration::from_ms(20);
  // engine::Config::publish_delay; the regression files recorded before it existed pin 0.
  Duration publish_delay = Duration::from_ms(20);
  std::size_t connections_target = 8;
  std::size_t snapshot_max_log = 64;
  Duration snapshot_interval = Duration::from_seconds(60);
  // How often a zone's process saves its checkpoint (only zones some `restart` resumes from a
  // checkpoint save one); a crash loses what came after the last one.
  Duration checkpoint_interval = Duration::from_seconds(5);
  // Write MeshPeer objects and Events. Very large worlds switch it off: n zones write n^2
  // objects; the peer_status check then needs it on.
  bool meshpeers = true;
  // Every zone's Noise cipher (engine::Config::cipher). AESGCM needs AES-NI: a scenario that
  // asks for it is refused, with its line, on a machine without.
  engine::noise::Cipher cipher = engine::noise::Cipher::chacha_poly;
  // engine::Config::relay; the regression files recorded before Links existed pin `all`.
  engine::RelayMode relay = engine::RelayMode::sparse;
};

// Copies the spec's settings into a node's config (the world's nodes, and the reader's check
// that a scenario's engine section passes engine::Config::validate).
void apply_engine_spec(const EngineSpec& spec, engine::Config& config);

struct KubeSpec {
  Duration request_latency = Duration::from_ms(2);
  Duration watch_latency = Duration::from_ms(1);
  // Changes each API server keeps per type for watch resumption (older: 410 Gone): 100, as
  // kube_sim's default (kube-apiserver's watch cache size). Every change holds a whole object
  // version alive, so a longer history costs memory and time: 1000 made the 5-zone benchmark
  // world 10 % slower, most of it freeing a thousand versions per zone at the end.
  std::size_t watch_history = 100;
};

struct RandomWorkload {
  double operations_per_second = 0.0;  // 0: off
  std::size_t objects = 5;             // distinct application names app0..app(N-1)
  double delete_fraction = 0.1;
  double update_fraction = 0.4;       // the rest are creates (of absent names)
  std::size_t object_size_bytes = 0;  // extra spec.source.helm.values padding
  std::optional<Duration> stop_at;    // no random operations after this time
};

enum class ActionKind {
  create,     // app: a user creates an AnyApplication in `zone`
  update,     // app: a user edits its spec in `zone`
  remove,     // app: a user deletes it in `zone`
  partition,  // groups: cut between every two groups (one_way: only from earlier groups)
  block,      // from -> to (one_way) or both ways
  unblock,
  isolate,  // zone
  heal,     // every fault ends: cuts, flaps, pauses, API faults, conflict storms
  flap,     // zones a, b: the link goes down and up every `period` for `duration`
  crash,    // zone: the controller process dies (its API server stays)
  restart,  // zone: a new controller process; from_checkpoint: resumes from its last checkpoint
  pause,    // zone: the process stops (no inputs) keeping its memory
  resume,
  clock_jump,   // zone: the wall clock steps by `by`
  clock_drift,  // zone: drift becomes `ppm`
  reset,        // a random established connection is reset
  watch_drop,   // zone: the API server drops every watch
  compact,      // zone: the API server forgets watch history (410 on rewatch)
  api_pause,    // zone: the API server answers 503 until api_resume
  api_resume,
  conflict_storm,  // zone: the next `count` writes to any object get 409
  health,          // zone, app: the simulated workload's health (controller emulation)
  assert_converged,
  assert_owner,       // app, zone
  assert_exists,      // app, zones (empty: all running)
  assert_absent,      // app
  assert_peer_state,  // peer zone, state, observers (empty: all running except the peer)
};

struct Action {
  Duration at;
  ActionKind kind = ActionKind::heal;
  int line = 0;  // in the scenario file, for messages
  std::string zone;
  std::string app;
  std::vector<std::string> zones;  // placements, observers, flap pair
  std::vector<std::vector<std::string>> groups;
  bool one_way = false;
  std::string from;
  std::string to;
  Duration period;
  Duration duration;
  Duration by;
  std::int64_t ppm = 0;
  std::size_t count = 0;
  std::string state;               // assert_peer_state: Ready, NotReady, Unavailable, Unknown
  std::string value;               // chart version for create/update, health for `health`
  std::string strategy = "Local";  // placement strategy for create
  bool from_checkpoint = false;    // restart: with persisted state (engine/checkpoint.h)
};

struct Checks {
  Duration converge_within = Duration::from_seconds(60);  // after the last fault heals
  bool convergence = true;
  bool no_resurrection = true;
  bool one_owner = true;
  bool peer_status = true;
  bool bounded_logs = true;
};

struct Scenario {
  std::string name;
  std::string description;
  std::string file;  // where it was read from, "" when generated
  std::optional<std::uint64_t> seed;
  Duration duration = Duration::from_seconds(60);
  std::vector<ZoneSpec> zones;
  Topology topology = Topology::bootstrap_first;
  io_sim::LatencyModel latency =
      io_sim::LatencyModel::uniform(Duration::from_ms(1), Duration::from_ms(10));
  std::vector<LinkSpec> links;
  EngineSpec engine;
  KubeSpec kube;
  bool controller = true;  // run the AnyApplication controller emulation in every zone
  RandomWorkload random;
  std::vector<Action> timeline;  // sorted by `at`
  Checks checks;
  std::vector<std::string> tags;  // e.g. "long": left out of the CI run
  // Test only (`test: {break_merge_rule: true}`): every zone breaks the owner tie-break, so a
  // property can prove the checkers catch it and the written scenario replays the failure.
  bool test_break_merge_rule = false;
};

Result<Scenario, ScenarioFailure> load_scenario(const std::string& path);
Result<Scenario, ScenarioFailure> parse_scenario(const std::string& text, const std::string& file);
std::string to_yaml(const Scenario& scenario);

Result<Duration, std::string> parse_duration(const std::string& text);
std::string format_duration(Duration duration);
const char* to_string(ActionKind kind);

}  // namespace mesh::simulator
