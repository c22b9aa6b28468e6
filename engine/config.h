// Config: the runtime tunables of one Node, built with designated initializers and checked
// by validate() against engine/limits.h before a Node accepts it.
//
// Everything that makes a node different from another is here (zone, incarnation, seeds),
// because a Node reads nothing from its environment. Durations are typed (engine/time.h).
//
//   Config config{.zone = "zone1", .network_id = "prod", .incarnation = start_ms,
//                 .rng_seed = seed, .key_stream_seed = os_random_32_bytes};
//   MESH_TRY_VOID(config.validate());
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/identity.h"
#include "engine/kube.h"
#include "engine/noise.h"
#include "engine/payload_cache.h"
#include "engine/signature_cache.h"
#include "engine/result.h"
#include "engine/time.h"

namespace mesh::engine {

enum class ConfigError { invalid };
using ConfigFailure = Error<ConfigError>;

// A peer to dial at start: its endpoints, and its key when known (config `nodes`). A key-less
// entry is a bootstrap address whose key is learned in the handshake.
struct BootstrapPeer {
  std::optional<PublicKey> key;
  std::vector<std::string> endpoints;
};

enum class Admission {
  open,        // any key that completes the handshake on our network may join
  restricted,  // only keys in `trusted_peers`; a trusted zone is bound to its key
};

struct TrustedPeer {
  PublicKey key;
  std::optional<std::string> zone;  // when set, the peer must claim exactly this zone
};

// How much a node relays of what others sent it (docs/protocol.md §4, §5).
enum class RelayMode {
  // Every accepted operation to every neighbour whose known heights show it may lack it, and
  // every other peer's heartbeat counter at every heartbeat.
  all,
  // As `all`, except: an operation that came straight from its author is not relayed to a
  // neighbour that reports (Links) a connection of its own to that author, who pushes it there
  // itself (a link that fails silently is covered when the neighbour reports it gone, after
  // its link_idle_timeout and a heartbeat: that author's logs are then pushed to it again);
  // and a node linked to every peer it knows relays the others' heartbeat counters every
  // second heartbeat when peer_suspect_after is at least four heartbeats.
  sparse,
};

// "all" / "sparse", the names in configuration files and scenarios.
const char* relay_mode_name(RelayMode mode);
std::optional<RelayMode> relay_mode_from_name(std::string_view name);

struct Config {
  std::string zone;
  std::string network_id = "default-network-1";
  // The Noise suite's cipher; every node of a network must use the same one (a peer with the
  // other is refused with SessionError::cipher_mismatch). AESGCM is cheaper per message on
  // x86-64 with AES-NI and not available elsewhere (noise::cipher_available).
  noise::Cipher cipher = noise::Cipher::chacha_poly;
  // This run's log incarnation; must grow across restarts without persisted state (the
  // driver uses the wall-clock start time in ms, as the seed does).
  std::uint64_t incarnation = 0;
  std::uint64_t rng_seed = 0;                      // jitter and peer choice
  std::array<std::uint8_t, 32> key_stream_seed{};  // ephemeral keys; random in production
  std::vector<std::string> advertised_endpoints;   // where peers can reach us
  std::vector<BootstrapPeer> bootstrap;
  Admission admission = Admission::open;
  std::vector<TrustedPeer> trusted_peers;

  Duration heartbeat_interval = Duration::from_seconds(1);
  // No heartbeat from a peer for this long: NotReady (suspected).
  Duration peer_suspect_after = Duration::from_seconds(5);
  // No heartbeat for this long: Unavailable (confirmed gone); the seed's
  // peer_unavailable_after_seconds.
  Duration peer_unavailable_after = Duration::from_seconds(120);
  // From the dial (or accept) until the session is established: a dial the driver never
  // answers and a handshake that stalls both end here.
  Duration handshake_timeout = Duration::from_seconds(10);
  // Nothing received on a connection for this long: the link is dead; close it.
  Duration link_idle_timeout = Duration::from_seconds(5);
  Duration resync_interval = Duration::from_seconds(60);
  Duration dial_backoff_min = Duration::from_ms(200);
  Duration dial_backoff_max = Duration::from_seconds(10);
  // Target number of connections this node dials (the active view); inbound connections are
  // accepted up to connections_inbound_max.
  std::size_t connections_target = 8;
  std::size_t connections_inbound_max = 32;
  Duration snapshot_interval = Duration::from_seconds(300);
  std::size_t snapshot_max_log = 256;
  std::size_t sync_batch_operations_max = 256;
  std::size_t sync_batch_size_max = 1024 * 1024;
  RelayMode relay = RelayMode::sparse;
  // Announce and use the compact liveness form (wire_feature::liveness_refs): neighbours that
  // understand it then send us heartbeats that name peers by number instead of by key, about
  // a fifth of the bytes. Off, the node behaves on the wire as one that predates the form: it
  // announces nothing, sends only the full form, and skips Features and LivenessRefs messages
  // as unknown types (mixed-version tests and scenarios).
  bool liveness_refs = true;
  // Emit a debug event for every protocol message sent and received (transcripts, debugging).
  bool trace_messages = false;

  // --- replication (engine/replication.h) ---
  std::vector<ResourceKind> resources;
  Duration tombstone_retention = Duration::from_seconds(600);
  // How long a status write waits to gather other zones' entries into one write (see
  // ReplicationOptions::status_write_delay); at most status_write_delay_ms_max.
  Duration status_write_delay = Duration::from_ms(20);
  // How long a change to the parts this zone owns waits before it is published, gathering a
  // burst of local writes into one operation per part (see ReplicationOptions::publish_delay);
  // at most publish_delay_ms_max.
  Duration publish_delay = Duration::from_ms(20);
  // Write a MeshPeer object (and an Event per state change) for every peer, in this namespace.
  bool write_meshpeers = true;
  std::string meshpeer_namespace = "default";
  std::string reporting_instance = "mesh-controller";
  // Operations already verified, shared by the driver (the simulator shares one among all its
  // nodes); nullptr: verify every new operation. Borrowed; must outlive the node.
  SignatureCache* signature_cache = nullptr;
  // Payloads already parsed, shared by the driver in the same way (the simulator's nodes);
  // nullptr: parse every payload. Borrowed; must outlive the node.
  PayloadCache* payload_cache = nullptr;
  // Test only (mesh-sim --break-merge-rule): makes the owner tie-break prefer the local zone,
  // a merge that depends on who merges. Exists so tests can prove the checkers catch it.
  bool test_break_merge_rule = false;

  Result<void, ConfigFailure> validate() const;
};

}  // namespace mesh::engine
