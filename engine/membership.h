// Membership: who is in the mesh and whether each peer is alive, as this node sees it.
//
// Peer records (key, zone, endpoints, incarnation) are data operations in each author's own
// log under a reserved key, so they spread to every node by the same sync that carries
// everything else: one bootstrap address is enough to learn the whole mesh.
//
// Failure detection: every node bumps a heartbeat counter each heartbeat interval and gossips
// the counters it knows (its own and, relayed, everyone else's) to its neighbours. A peer
// whose counter advanced within `peer_suspect_after` is Ready; silent longer, NotReady
// (suspected); silent longer than `peer_unavailable_after`, Unavailable (confirmed gone); a
// peer known but not heard from since this node started is Unknown. Evidence relayed by
// other peers counts, as in Lifeguard's indirect probes, so a node that lost only its direct
// link to a peer does not declare it gone.
//
// Admission: in restricted mode only trusted keys may join, and a trusted zone is bound to
// its key.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "engine/config.h"
#include "engine/crypto.h"
#include "engine/session.h"
#include "engine/time.h"
#include "engine/wire.h"

namespace mesh::engine {

enum class PeerState { unknown, ready, not_ready, unavailable };

// The MeshPeer status strings: Ready, NotReady, Unknown, Unavailable.
const char* to_string(PeerState state);

struct PeerRecord {
  PublicKey key;
  std::string zone;
  std::vector<std::string> endpoints;
  std::uint64_t incarnation = 0;
  bool operator==(const PeerRecord&) const = default;
};

enum class RecordError { malformed };

// The reserved operation key under which an author publishes its own record.
const Digest& peer_record_key();
Bytes encode_peer_record(const PeerRecord& record);
// Decodes a record published in the log (key, incarnation) of its author.
Result<PeerRecord, Error<RecordError>> decode_peer_record(ByteView payload, const LogId& log);

struct PeerView {
  PublicKey key;
  std::string zone;  // "" until a record or hello names it
  std::vector<std::string> endpoints;
  std::uint64_t incarnation = 0;
  PeerState state = PeerState::unknown;
  WallTime state_since_wall;
  std::uint64_t heartbeat = 0;
};

struct PeerStateChange {
  PublicKey key;
  std::string zone;
  std::uint64_t incarnation = 0;
  PeerState from = PeerState::unknown;
  PeerState to = PeerState::unknown;
};

class Membership {
 public:
  Membership(const Config& config, const PublicKey& self);
  // Not copyable: peers_by_ref_ points into peers_. A move keeps std::map's nodes, and so the
  // pointers.
  Membership(const Membership&) = delete;
  Membership& operator=(const Membership&) = delete;
  Membership(Membership&&) = default;
  Membership& operator=(Membership&&) = default;

  // A record from a verified operation in the author's own log.
  void handle_record(const PeerRecord& record);
  // A completed handshake: the peer proved its key and claims zone, endpoints, incarnation.
  void handle_hello(Now now, const Hello& hello);
  void handle_liveness(Now now, const std::vector<LivenessEntry>& entries);
  // One liveness entry for the peer numbered `ref` (track), as handle_liveness does it:
  // the compact form's entries, once the node has resolved the sender's number to ours.
  void handle_liveness_ref(Now now, std::uint32_t ref, std::uint64_t incarnation,
                           std::uint64_t heartbeat);

  // Peer numbers ("refs") for the compact liveness form (docs/protocol.md §2): ourselves
  // self_ref, each peer the next number when first tracked. Peers are never forgotten, so a
  // ref names one key for the life of this Membership, and refs stay at most
  // liveness_ref_max (peers_max peers).
  static constexpr std::uint32_t self_ref = 0;
  // The ref of `key` (ourselves included), tracking it first if new, as a liveness entry
  // naming it would; nullopt when membership is full and `key` is not tracked.
  std::optional<std::uint32_t> track(const PublicKey& key);
  // Our node moved to a newer incarnation: our heartbeat starts over under it.
  void set_incarnation(std::uint64_t incarnation);
  // Advances our own heartbeat counter; call once per heartbeat interval. A tick that comes
  // much later than the interval means this process itself stalled (paused VM, long GC):
  // the stall does not count as the peers' silence (Lifeguard's local health awareness).
  void tick(Now now);
  // Recomputes every peer's state; returns the transitions in key order.
  std::vector<PeerStateChange> evaluate(Now now);

  // Whether a peer that completed the handshake may stay; the message says why not.
  Result<void, std::string> admit(const Hello& hello) const;

  // Liveness entries for a new neighbour: everything known.
  std::vector<LivenessEntry> liveness_all() const;
  // Entries that advanced since the last call, for the periodic gossip round. Without
  // `relayed`, only our own entry: the others stay marked for a later round.
  // With `refs`, also each entry's ref, in the same order (the compact form's numbers).
  std::vector<LivenessEntry> take_liveness_changes(bool relayed = true,
                                                   std::vector<std::uint32_t>* refs = nullptr);

  // Peers tracked (ourselves not included).
  std::size_t peer_count() const { return peers_.size(); }
  PeerState state(const PublicKey& key) const;
  std::optional<PeerView> peer(const PublicKey& key) const;
  std::vector<PeerView> peers() const;  // sorted by key; excludes ourselves
  const PublicKey& self() const { return self_; }
  std::uint64_t heartbeat() const { return heartbeat_; }
  // Zones of known peers, each with whether any of its peers is not Unavailable.
  const std::map<std::string, bool>& zones_alive() const { return zones_alive_; }
  // Zones that appeared, vanished or flipped in zones_alive() since the last call, with their
  // value now (nullopt: vanished), sorted by zone. Deltas, because in a large mesh one peer
  // changes at a time and a copy of every zone per change would be quadratic.
  std::vector<std::pair<std::string, std::optional<bool>>> take_zone_changes();
  // The earliest time at which evaluate() may change a state.
  std::optional<Instant> next_transition() const;

 private:
  struct Peer {
    PeerView view;
    std::uint32_t ref = 0;  // its index in peers_by_ref_, never self_ref
    std::optional<Instant> last_advance;  // when the heartbeat last grew, on our clock
    // When evaluate() first saw the peer: a peer never heard from becomes Unavailable this
    // long after, so ownership of a zone that died before we started can still move.
    std::optional<Instant> known_since;
    std::optional<Instant> deadline;  // its entry in deadlines_
  };
  struct ZoneCount {
    std::size_t peers = 0;
    std::size_t alive = 0;  // peers not Unavailable
  };
  Peer* find_or_add(const PublicKey& key);
  void observe(Now now);
  PeerState state_at(const Peer& peer, Instant now) const;
  std::optional<Instant> transition_of(const Peer& peer) const;
  void schedule(Peer& peer);
  // Adds `ref` to one of the sets of refs kept as vectors (changed_, dirty_). Deduplicates
  // once the vector holds twice as many refs as there are peers and ourselves, so it stays
  // within that however many liveness messages arrive between two readers.
  void mark(std::vector<std::uint32_t>& refs, std::uint32_t ref);
  const PublicKey& key_of(std::uint32_t ref) const;
  // Sorts such a vector by key and deduplicates it, and returns it: the set, in key order.
  const std::vector<std::uint32_t>& sorted_refs(std::vector<std::uint32_t>& refs) const;
  // A heartbeat counter heard for `peer`: kept if newer than what we hold.
  void advance(Now now, Peer& peer, std::uint64_t incarnation, std::uint64_t heartbeat);
  // Around every change of a peer's zone or state: keeps zone_counts_ and zones_alive_.
  void uncount(const Peer& peer);
  void count(const Peer& peer);

  PublicKey self_;
  std::uint64_t incarnation_;
  std::uint64_t heartbeat_ = 0;
  std::optional<Instant> last_observed_;  // the latest input time seen by tick or evaluate
  Duration heartbeat_interval_;
  Duration suspect_after_;
  Duration unavailable_after_;
  Admission admission_;
  std::map<PublicKey, std::optional<std::string>> trusted_;
  std::map<PublicKey, Peer> peers_;
  // peers_ by ref; [self_ref] is null. std::map nodes do not move, so the pointers stay valid.
  std::vector<Peer*> peers_by_ref_{nullptr};
  // Refs whose heartbeats advanced since take_liveness_changes. NB: changed_ and dirty_ are
  // sets kept as vectors (mark appends; readers sort and deduplicate first, see sorted_refs): a
  // peer is marked for every liveness entry received, and a std::set allocated a node for each
  // mark. Refs rather than keys: four bytes to sort and move instead of thirty-two.
  std::vector<std::uint32_t> changed_;
  std::size_t ignored_count_ = 0;  // records beyond peers_max
  // evaluate() looks only at peers that changed since (dirty_) and peers whose next possible
  // transition is due (deadlines_), not at every peer after every input: large meshes.
  std::vector<std::uint32_t> dirty_;
  // Each peer's next possible transition, by ref: which of several peers due at one instant
  // comes first does not matter, as evaluate() handles them in key order.
  std::set<std::pair<Instant, std::uint32_t>> deadlines_;
  std::map<std::string, ZoneCount> zone_counts_;
  std::map<std::string, bool> zones_alive_;
  std::set<std::string> zones_changed_;  // since take_zone_changes
};

}  // namespace mesh::engine
