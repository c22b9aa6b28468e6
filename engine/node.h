// Node: the whole protocol of one controller as a sans-IO state machine.
//
// Drivers (io_real's Asio runtime, io_sim's virtual network) feed inputs, each stamped with
// `now`, and then drain outputs until empty. The node never blocks, never calls out, never
// reads a clock and owns no thread. The same inputs give the same outputs, bit for bit.
//
// Inputs (handle_*): start, shutdown, an inbound connection accepted, an outbound connection
// established, bytes received, a connection closed, a deadline passed; publish (an operation
// authored here).
//
// Kubernetes inputs: watch events and relists of the replicated kinds, and the results of the
// writes the node asked for.
//
// Outputs, drained after every input in this order:
//   1. poll_network() until empty: Dial, Send, Close, in the order they must happen (a Close
//      follows the Send of its Goodbye).
//   2. poll_kube() until empty: Kubernetes writes, each answered later by handle_kube_result.
//   3. poll_event() until empty: log events and peer-state changes.
//   4. next_deadline(): when to call handle_timeout next (calling it early or twice is
//      harmless).
//
// Connections: the node numbers every connection (ConnectionId). For an outbound one it emits
// Dial{id, address}; the driver answers handle_connected(id) or handle_closed(id). For an
// inbound one the driver calls handle_accept(address) and gets the id back.
//
// Built from: Session (secure channel), LogStore (signed logs), Membership (peer records and
// failure detection), and the sync rules in this file (heights exchange, batched catch-up,
// eager push with de-duplication).
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <variant>
#include <vector>

#include "engine/config.h"
#include "engine/crypto.h"
#include "engine/identity.h"
#include "engine/kube.h"
#include "engine/log_store.h"
#include "engine/membership.h"
#include "engine/meshpeer.h"
#include "engine/noise.h"
#include "engine/prng.h"
#include "engine/replication.h"
#include "engine/session.h"
#include "engine/time.h"
#include "engine/wire.h"

namespace mesh::engine {

using ConnectionId = std::uint64_t;

struct Dial {
  ConnectionId connection = 0;
  std::string address;
};
struct Send {
  ConnectionId connection = 0;
  Bytes bytes;
};
struct Close {
  ConnectionId connection = 0;
  std::string reason;
};
using NetworkCommand = std::variant<Dial, Send, Close>;

enum class EventLevel { debug, info, warn, error };

struct LogEvent {
  EventLevel level = EventLevel::info;
  std::string message;
};

struct PeerStateEvent {
  PeerStateChange change;
  WallTime at;
};

using Event = std::variant<LogEvent, PeerStateEvent>;

// Counters since start; the driver exports them (Prometheus in production).
struct NodeMetrics {
  std::uint64_t connections_accepted = 0;
  std::uint64_t connections_dialed = 0;
  std::uint64_t connections_established = 0;
  std::uint64_t connections_closed = 0;
  std::uint64_t session_failures = 0;
  std::uint64_t network_id_mismatches = 0;
  std::uint64_t cipher_mismatches = 0;  // peers of our network with the other mesh.cipher
  std::uint64_t handshake_timeouts = 0;  // dials and handshakes that took too long
  std::uint64_t admission_refusals = 0;
  std::uint64_t messages_received = 0;
  std::uint64_t messages_sent = 0;
  std::uint64_t bytes_received = 0;
  std::uint64_t bytes_sent = 0;
  std::uint64_t unknown_messages = 0;
  std::uint64_t operations_authored = 0;
  std::uint64_t operations_accepted = 0;
  std::uint64_t operations_duplicate = 0;
  std::uint64_t operations_parked = 0;
  std::uint64_t operations_rejected = 0;
  std::uint64_t operations_obsolete = 0;
  std::uint64_t snapshots_authored = 0;
  std::uint64_t replication_rejected = 0;  // payloads that failed validation
  std::uint64_t kube_requests = 0;
  std::uint64_t kube_failures = 0;
  std::uint64_t operations_restored = 0;  // from a checkpoint at start
  // Operations held back until their author's zone was known (see Node::unbound_).
  std::uint64_t operations_unbound = 0;
};

class Node {
 public:
  Node(const Config& config, const Identity& identity);

  // --- persisted state (engine/checkpoint.h) ---
  // Everything this node knows, for the driver to save (every few seconds, at shutdown).
  Bytes checkpoint() const;
  // Before handle_start: resumes from a checkpoint of an earlier run of this node. Returns
  // the operations restored; on error (corrupt, another network or key) nothing is restored
  // and the node simply starts without state. The run still begins a new incarnation, newer
  // than every log of ours in the checkpoint.
  Result<std::size_t, std::string> restore(Now now, ByteView checkpoint);

  // --- inputs ---
  void handle_start(Now now);
  void handle_shutdown(Now now);
  ConnectionId handle_accept(Now now, const std::string& remote_address);
  void handle_connected(Now now, ConnectionId connection);
  void handle_bytes(Now now, ConnectionId connection, ByteView bytes);
  void handle_closed(Now now, ConnectionId connection, const std::string& reason);
  void handle_timeout(Now now);
  // Authors a data operation in our own log and spreads it.
  Result<std::uint64_t, OperationFailure> publish(Now now, const Digest& key, Bytes payload);
  // Takes the event by value: the object becomes the node's local state (move it in).
  void handle_kube_watch(Now now, KubeWatchEvent event);
  void handle_kube_relist(Now now, const KubeRelist& relist);
  // By value too: the written object becomes the local state.
  void handle_kube_result(Now now, KubeResult result);

  // --- outputs ---
  std::optional<NetworkCommand> poll_network();
  std::optional<KubeRequest> poll_kube();
  std::optional<Event> poll_event();
  std::optional<Instant> next_deadline() const;

  // --- getters ---
  const PublicKey& public_key() const { return identity_.public_key(); }
  const Config& config() const { return config_; }
  LogId own_log() const { return {identity_.public_key(), incarnation_}; }
  std::uint64_t incarnation() const { return incarnation_; }
  const LogStore& logs() const { return logs_; }
  const Membership& membership() const { return membership_; }
  const NodeMetrics& metrics() const { return metrics_; }
  const Replication& replication() const { return replication_; }
  // Peers with an established connection, sorted.
  std::vector<PublicKey> connected_peers() const;
  bool running() const { return phase_ == Phase::running; }

 private:
  enum class Phase { created, running, stopped };
  enum class LinkPhase { connecting, handshaking, established };

  struct Connection {
    ConnectionId id = 0;
    bool outbound = false;
    std::string address;
    std::optional<std::size_t> target;  // dial target index for outbound connections
    LinkPhase phase = LinkPhase::connecting;
    std::optional<Session> session;
    Instant opened_at;
    Instant last_received;
    std::optional<PublicKey> peer;      // once established
    std::map<LogId, LogHeight> remote;  // what the peer is known to hold (a lower bound)
    std::set<LogId> catch_up;           // logs to push to this peer at the next flush
    // The peers this peer last reported (Links) a connection with, sorted: with
    // RelayMode::sparse, their operations are not relayed to it. Empty until it reports.
    std::vector<PublicKey> remote_links;
    std::uint64_t peer_features = 0;  // wire_feature bits its Features message announced
    // The compact liveness form (LivenessRefs) on this connection. Sending: which of our
    // refs this peer has had the key of, indexed by our ref. Receiving: our ref for each of
    // the peer's refs announced so far, indexed by its ref (ref_unannounced for a gap,
    // ref_ignored for a key our full membership could not track). Both grow with the refs
    // in use, at most liveness_ref_max + 1 entries; a new connection starts both empty.
    std::vector<bool> liveness_refs_sent;
    std::vector<std::uint32_t> liveness_refs_received;
  };
  static constexpr std::uint32_t ref_unannounced = UINT32_MAX;
  static constexpr std::uint32_t ref_ignored = UINT32_MAX - 1;
  static constexpr std::uint32_t ref_pending = UINT32_MAX - 2;  // within on_liveness_refs only

  struct DialTarget {
    std::optional<PublicKey> key;  // unknown for a bare bootstrap address
    std::vector<std::string> endpoints;
    std::size_t endpoint_index = 0;
    Duration backoff;
    Instant next_attempt;
    bool configured = false;
    bool disabled = false;  // the address turned out to be ourselves
    std::optional<ConnectionId> connection;
  };

  // Every input starts here: detects a stall of this process (no input for more than two
  // heartbeat intervals, impossible while running) and does not count it against the links.
  void note_input(Now now);
  // inputs, per message
  void on_established(Now now, Connection& connection);
  void on_message(Now now, Connection& connection, ByteView bytes);
  void on_heights(Now now, Connection& connection, const HeightsMessage& message);
  void on_links(Connection& connection, LinksMessage message);
  void on_liveness_refs(Now now, Connection& connection, const LivenessRefsMessage& message);
  // Our heartbeat entries for one neighbour, in the form it understands.
  void send_liveness(Connection& connection, const std::vector<LivenessEntry>& entries,
                     const std::vector<std::uint32_t>& refs, bool& full_encoded);
  bool may_lack(const Connection& connection, const LogHeight& ours) const;
  // Whether the eager push of an operation by `author` skips `connection` (RelayMode).
  bool relay_skips(const Connection& connection, const PublicKey& author,
                   const Connection* source) const;
  void publish_record(Now now);
  void on_own_incarnation(Now now, std::uint64_t incarnation);
  std::uint64_t highest_own_incarnation_seen() const;
  bool forks_own_log(const LogHeight& theirs) const;
  void on_incarnation_collision(Now now);
  void move_incarnation(Now now, std::uint64_t above);
  void on_operations(Now now, Connection& connection, OperationsMessage message);
  void on_accepted(Now now, const AcceptedOperation& accepted, const Connection* source);
  std::string zone_of(const PublicKey& author) const;
  void hold_unbound(const AcceptedOperation& accepted);
  void replicate(Now now, const AcceptedOperation& accepted, const Operation& operation,
                 const std::string& author_zone);
  // A record or hello named `author`'s zone: replication takes what waited for it.
  void bind_author_zone(Now now, const PublicKey& author, const std::string& zone);
  void on_session_failure(Connection& connection);
  // timers
  void on_heartbeat(Now now);
  void on_resync(Now now);
  void check_connection_deadlines(Now now);
  void maybe_snapshot(Now now);
  // connections
  void maintain_connections(Now now);
  void dial(Now now, std::size_t target_index);
  void learn_target(const PeerRecord& record);
  void close_connection(Now now, ConnectionId id, const std::string& reason,
                        std::optional<GoodbyeReason> goodbye);
  void forget_connection(Now now, ConnectionId id, const std::string& reason);
  bool resolve_duplicate(Now now, Connection& connection);
  Session make_session(bool initiator);
  // outputs
  void send_message(Connection& connection, const Bytes& message);
  void send_heights(Connection& connection);
  void send_catch_up(Connection& connection);
  std::vector<PublicKey> linked_peers() const;
  void announce_links(std::vector<PublicKey> peers);
  void flush(Now now);
  void emit(EventLevel level, std::string message);
  // Lets replication publish, merge and reconcile until it has nothing more to say.
  void pump_replication(Now now);
  void on_peer_state(Now now, const PeerStateChange& change);
  void retry_meshpeers(Now now);
  // Hands replication the zones whose liveness changed; true when there were any.
  bool update_zone_liveness(Now now);
  void trace_message(const char* verb, const char* preposition, const Connection& connection,
                     const Message& message);

  Config config_;
  Identity identity_;
  Prng prng_;
  KeyStream key_stream_;
  noise::KeyPair static_keypair_;
  Digest network_digest_;
  Phase phase_ = Phase::created;
  // Our log's incarnation: config.incarnation, raised if the mesh holds a newer one of ours.
  std::uint64_t incarnation_;
  LogStore logs_;
  Membership membership_;
  NodeMetrics metrics_;
  std::map<ConnectionId, Connection> connections_;
  ConnectionId next_connection_id_ = 1;
  std::vector<DialTarget> targets_;
  Instant heartbeat_next_;
  // Other peers' heartbeat counters go out every liveness_relay_every_-th heartbeat, our own
  // every heartbeat (see liveness_relay_every in node.cc).
  std::uint64_t heartbeat_count_ = 0;
  std::uint64_t liveness_relay_every_ = 1;
  Instant resync_next_;
  Instant snapshot_next_;
  std::optional<Instant> dial_next_;
  std::optional<Instant> last_input_;
  bool snapshot_taken_ = false;  // in the current incarnation
  std::deque<NetworkCommand> network_out_;
  std::deque<Event> events_out_;
  std::deque<KubeRequest> kube_out_;
  Replication replication_;
  MeshPeerWriter meshpeers_;
  RequestId next_meshpeer_request_ = RequestId{1} << 62;  // apart from replication's ids
  // MeshPeer writes in flight (request -> peer), and peers whose last write failed: they are
  // written again at the next heartbeat, so an API outage cannot leave a status stale.
  std::map<RequestId, PublicKey> meshpeer_requests_;
  std::set<PublicKey> meshpeer_retry_;
  std::optional<bool> unknown_zones_alive_;  // as last told to replication
  // Operations of authors whose zone no record or hello has named yet, in the order they were
  // accepted: replication takes them once the zone is known, so that every part is checked
  // against its author's zone (a peer could otherwise write another zone's status entry while
  // its record was still on its way). Entries whose operation a snapshot compacted are pruned
  // whenever a list doubles, so a list never holds much more than the store holds of its author.
  struct UnboundOperations {
    std::vector<AcceptedOperation> accepted;
    std::size_t pruned_count = 0;  // entries after the last prune
  };
  std::map<PublicKey, UnboundOperations> unbound_;
  // Zones that a record or hello bound to authors membership does not track (it holds at most
  // peers_max peers): without this, their later operations would wait for good.
  std::map<PublicKey, std::string> untracked_author_zones_;  // at most author_zones_max
  std::map<PublicKey, std::size_t> target_index_;            // dial targets by key
  Instant started_at_;
  Bytes message_buffer_;  // reused encoding buffer
  Bytes liveness_buffer_;  // the full-key liveness form, encoded once per heartbeat
  // RelayMode::sparse: our established peers as last announced to all neighbours (sorted);
  // nullopt when a neighbour may hold another set, so the next heartbeat announces again.
  std::optional<std::vector<PublicKey>> links_advertised_ = std::vector<PublicKey>{};
};

}  // namespace mesh::engine
