// Replication: replicated Kubernetes objects as a join-semilattice of signed parts.
//
// Every object (kind, namespace, name) is cut into parts by its strategy (engine/strategy.h):
// an owner part (spec, labels, annotations, ownership) written by the owner zone, and one zone
// part per zone (its status.zones entry) written only by that zone. A zone publishes the parts
// it owns as data operations in its own log; every zone keeps, per part and per author, the
// newest operation, and materializes the object from the greatest owner candidate and the
// greatest zone candidates of the same generation. "Greatest" is a total order on the data
// alone (docs/replication.md):
//
//   owner part: (generation, deleted, epoch, owner zone: the smaller name wins, author
//                incarnation, author seq, author key)
//   zone part:  (generation, author incarnation, author seq, author key)
//
// so the result is the same whatever the arrival order, duplicates included (commutative,
// associative, idempotent), and never depends on a local clock or on membership. A delete is
// an owner part with deleted=true: it beats every live part of its generation, so no older or
// concurrent write undoes it; re-creating the name starts generation + 1. An author's snapshot
// withdraws the parts it no longer lists; a withdrawn owner part with no other candidate
// retires the object, so stale replicas are deleted after a long partition.
//
// Decisions that do depend on local state (publishing what changed locally, taking over from
// an Unavailable owner) only ever produce new operations; they never change how operations
// merge. Outputs: publications (the node signs and spreads them) and Kubernetes requests.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "engine/crypto.h"
#include "engine/kube.h"
#include "engine/operation.h"
#include "engine/payload_cache.h"
#include "engine/strategy.h"
#include "engine/time.h"

namespace mesh::engine {

struct ReplicationOptions {
  std::string zone;
  std::vector<ResourceKind> resources;
  // Own tombstones (and zone parts of deleted objects) are dropped from our log's snapshots
  // this long after we learned of the delete.
  Duration tombstone_retention = Duration::from_seconds(600);
  // Consecutive 409s on one object before backing off (the object stays due; never dropped).
  std::uint32_t conflict_retries_max = 10;
  Duration retry_backoff_min = Duration::from_ms(500);
  Duration retry_backoff_max = Duration::from_seconds(30);
  // A status write waits this long after the difference it repairs was first seen, so a burst
  // of other zones' entries (one per zone, arriving over a network latency) becomes one write.
  // Measured from the first difference, not the last change: a steady stream of changes
  // cannot postpone the write for longer. Zero writes at once.
  Duration status_write_delay = Duration::zero();
  // A change a watch shows in our own parts waits this long before it is published, so that a
  // burst of local writes (a create, the owner's claim, the controller's first status entries)
  // becomes one operation per part instead of one per write. Measured from the first
  // unpublished change, so a steady stream cannot postpone it longer. The entry is not
  // reconciled meanwhile: the replicated state does not hold the change yet, and reconciling
  // would undo it, nor taken over. Our own writes' results and relists publish at once; a
  // delete drops what waited. Zero publishes at once.
  Duration publish_delay = Duration::zero();
  bool test_break_merge_rule = false;  // see Config::test_break_merge_rule
  PublicKey own_key;                   // our identity: which candidates are ours
  std::uint64_t incarnation = 0;       // our log's incarnation at start
  // How long an orphan (see find_orphans) waits for the rest of its owner's log.
  Duration orphan_grace = Duration::from_seconds(10);
  // Parsed payloads shared with other nodes (engine/payload_cache.h); nullptr: parse each.
  // Borrowed; must outlive the replication.
  PayloadCache* payload_cache = nullptr;
};

// An operation the node should author in its own log.
struct Publication {
  Digest key;
  Bytes payload;
};

enum class PayloadError { malformed, unknown_kind, wrong_zone };

// Which zones are alive, for takeover decisions only (never for merging).
struct ZoneLiveness {
  std::map<std::string, bool> zones;  // zone -> not Unavailable
  bool unknown_zones_alive = true;    // zones we never heard of (false once we are old enough)
  bool alive(const std::string& zone) const;
};

struct ReplicationStats {
  std::size_t object_count = 0;  // entries with any candidate
  std::size_t tombstone_count = 0;
  std::uint64_t publications = 0;
  std::uint64_t takeovers = 0;
  std::uint64_t requests = 0;
  std::uint64_t conflicts = 0;
  std::uint64_t rejected_operations = 0;
};

// The materialized, replicated state of one object: what every zone converges to.
struct ReplicatedObject {
  std::uint64_t generation = 0;
  bool deleted = false;
  std::int64_t epoch = 0;
  std::string owner_zone;
  Json content;
  std::map<std::string, Json> zones;  // zone entries of this generation
};

class Replication {
 public:
  explicit Replication(ReplicationOptions options);

  // --- local Kubernetes ---
  void handle_watch(Now now, KubeWatchEvent event);
  void handle_relist(Now now, const KubeRelist& relist);
  void handle_result(Now now, KubeResult result);
  // --- the mesh: every accepted data operation (ours too) and every snapshot ---
  Result<void, Error<PayloadError>> handle_operation(Now now, const Operation& operation,
                                                     const std::string& author_zone);
  void handle_snapshot(Now now, const Operation& snapshot, const std::string& author_zone);
  // The zone of `author` became known (its peer record or Hello): a snapshot of its that came
  // first, as a catch-up that starts at a snapshot does, is scanned for orphans now.
  void handle_author_zone(Now now, const PublicKey& author, const std::string& zone);
  // --- decisions ---
  void handle_liveness(Now now, const ZoneLiveness& liveness);
  // The same as deltas (see Membership::take_zone_changes): zones whose liveness changed,
  // nullopt for zones no longer known.
  void handle_liveness_changes(
      Now now, const std::vector<std::pair<std::string, std::optional<bool>>>& changes,
      bool unknown_zones_alive);
  // Publishes again every part we authored, in our (new) log: after the node moved to a newer
  // incarnation, peers treat the older one's operations as obsolete.
  void republish_own();
  // Our log moved to a newer incarnation.
  void set_incarnation(std::uint64_t incarnation);
  // Writes local Kubernetes towards the replicated state; call after each batch of inputs.
  void reconcile(Now now);

  std::optional<Publication> poll_publication();
  std::optional<KubeRequest> poll_request();
  std::optional<Instant> next_deadline() const;
  // Keys our own log may forget at the next snapshot (expired tombstones).
  std::vector<Digest> forgettable_keys(Now now) const;
  // True once every kind was listed: before that, a snapshot of our log would withdraw
  // objects we simply have not read yet.
  bool ready() const;

  std::optional<ReplicatedObject> replicated(std::size_t kind, const std::string& namespace_name,
                                             const std::string& name) const;
  // Every object with a live or deleted replicated state, sorted, for checkers.
  std::vector<std::tuple<std::size_t, std::string, std::string>> objects() const;
  const ReplicationStats& stats() const { return stats_; }
  const std::vector<ResourceKind>& resources() const { return options_.resources; }

 private:
  struct OwnerVersion {
    std::uint64_t generation = 0;
    bool deleted = false;
    std::int64_t epoch = 0;
    std::string zone;
    std::uint64_t incarnation = 0;
    std::uint64_t seq = 0;
    PublicKey author;
  };
  struct OwnerCandidate {
    OwnerVersion version;
    Digest key;
    Json content;
  };
  struct ZoneCandidate {
    std::uint64_t generation = 0;
    std::uint64_t incarnation = 0;
    std::uint64_t seq = 0;
    PublicKey author;
    Digest key;
    Json entry;
  };
  struct Entry {
    std::size_t kind = 0;
    std::string namespace_name;
    std::string name;
    std::map<PublicKey, OwnerCandidate> owners;  // newest per author
    std::map<std::string, std::map<PublicKey, ZoneCandidate>> zones;
    bool retired = false;  // the winning owner part was withdrawn: delete local copies
    std::uint64_t retired_generation = 0;  // the generation it had
    std::shared_ptr<const Json> local;  // as the watch delivered it, or a write returned it
    // The resourceVersion at which the local object was last seen deleted: a write result or
    // a late event about an older state must not bring it back (0: never deleted here).
    std::uint64_t local_deleted_rv = 0;
    // The incarnation in which carry_own_parts_forward last said our parts again.
    std::uint64_t carried_in = 0;
    std::optional<RequestId> inflight;
    // Since when the local status has differed from the replicated one (see
    // ReplicationOptions::status_write_delay); reset by every status write.
    std::optional<Instant> status_differs_since;
    // When local changes seen since the last publication are due to be published (see
    // ReplicationOptions::publish_delay); unset when none wait.
    std::optional<Instant> publish_at;
    std::uint32_t conflicts = 0;
    Duration backoff;
    Instant retry_at;
    bool dirty = false;
    // The lowest generation our next owner part may say: the highest an earlier run of ours
    // said live (a fresh run may not know it yet; see raise_own_generation_floor).
    std::uint64_t own_generation_floor = 0;
    // consider_takeover and the carry/tombstone checks should look at it again (see reconcile).
    bool checks_due = true;
    // Our publications for this object not yet merged back. While any is pending, neither
    // reconcile (it would revert the local change we just published) nor takeover runs.
    std::uint32_t publications_pending = 0;
    std::optional<Instant> deleted_seen_at;  // when this node first saw it deleted
    // Its owner's newest snapshot does not list it, and the mesh holds no owner part newer
    // than that snapshot's incarnation (see find_orphans).
    std::optional<Instant> orphan_since;
    // Since when our copy, a replica of another zone's object, has held a newer generation
    // than the mesh's delete of it (see stale_replica_due); reset by every new owner part.
    std::optional<Instant> stale_copy_since;
    // Owner parts of older runs that their author's newest snapshot does not list, by author:
    // when each is dropped (the orphan grace after that snapshot) unless the author says the
    // part again first (see handle_snapshot).
    std::map<PublicKey, Instant> withdrawals;
  };
  using EntryKey = std::tuple<std::size_t, std::string, std::string>;

  bool owner_less(const OwnerVersion& a, const OwnerVersion& b) const;
  const OwnerCandidate* winner(const Entry& entry) const;
  const ZoneCandidate* zone_winner(const Entry& entry, const std::string& zone,
                                   std::uint64_t generation) const;
  Entry& entry_for(std::size_t kind, const std::string& namespace_name, const std::string& name);
  Digest part_key(const Entry& entry, const char* part) const;

  // `from_watch`: a watch event, whose publication may wait (ReplicationOptions::publish_delay).
  void on_local_object(Now now, Entry& entry, std::shared_ptr<const Json> object,
                       bool from_watch = false);
  bool local_changes(Entry& entry, bool force, bool publish);
  // Publishes the local changes whose publish_delay has passed.
  void publish_due_changes(Now now, Entry& entry);
  void publish_local_changes(Entry& entry, bool force);
  // The local object was deleted at resourceVersion `deleted_rv`.
  void on_local_delete(Now now, Entry& entry, std::uint64_t deleted_rv);
  void publish_owner(Entry& entry, std::uint64_t generation, bool deleted, std::int64_t epoch,
                     const std::string& owner_zone, const Json& content);
  void publish_zone(Entry& entry, std::uint64_t generation, const Json& zone_entry);
  void consider_takeover(Entry& entry);
  void tombstone_if_deleted_while_down(Entry& entry);
  void mark_changed(Entry& entry);
  void raise_own_generation_floor(Entry& entry, std::uint64_t floor);
  bool outdates_own_statement(const Entry& entry, const PublicKey& author, const OwnerVersion& held,
                              std::uint64_t generation) const;
  void carry_own_parts_forward(Entry& entry);
  void carry_own_delete_forward(Entry& entry);
  void find_orphans(Now now, const std::string& owner_zone, const std::set<Digest>& live);
  // Every owner part held for `entry` comes from an incarnation older than its author's
  // newest snapshot (true when none is held).
  bool owner_parts_superseded(const Entry& entry) const;
  std::string replicated_owner(const Entry& entry) const;
  void withdraw_due_owner_parts(Now now, Entry& entry);
  void withdraw_if_unlisted(Now now, Entry& entry, const PublicKey& author);
  void end_wait(Entry& entry, std::optional<Instant>& since);
  bool stale_replica_due(Now now, Entry& entry);
  void reconcile_entry(Now now, Entry& entry);
  // The replicated state of an entry as materialize() gives it, borrowed from the entry's
  // parts (valid until they change) instead of copied: reconcile compares it with the local
  // object on every input that touches the entry, and copying the content and every zone
  // entry there, only to free them again, was 3 % of the simulator's instructions.
  struct Desired {
    std::uint64_t generation = 0;
    bool deleted = false;
    std::int64_t epoch = 0;
    std::string owner_zone;
    const Json* content = nullptr;  // never null unless deleted
    ZoneEntries zones;              // zone entries of this generation; none when deleted
  };
  std::optional<Desired> desired_state(const Entry& entry) const;
  bool reconcile_existing(Now now, Entry& entry, const Desired& desired);
  void request(Entry& entry, KubeVerb verb, Json body);
  void update_local(Entry& entry, std::shared_ptr<const Json> object);
  // Drops the local object unless it is newer than `deleted_rv`; remembers that version.
  void forget_local(Entry& entry, std::uint64_t deleted_rv);
  void on_failure(Now now, Entry& entry, bool conflict);
  std::optional<ReplicatedObject> materialize(const Entry& entry) const;
  const Strategy& strategy(const Entry& entry) const { return *strategies_[entry.kind]; }

  ReplicationOptions options_;
  std::vector<std::unique_ptr<Strategy>> strategies_;
  std::map<EntryKey, Entry> entries_;
  struct PendingRequest {
    EntryKey key;
    KubeVerb verb = KubeVerb::apply;
  };
  std::map<RequestId, PendingRequest> requests_;
  std::set<std::size_t> listed_kinds_;
  ZoneLiveness liveness_;
  std::uint64_t incarnation_ = 0;
  std::map<PublicKey, std::uint64_t> newest_incarnation_;  // per author, from snapshots
  struct NewestSnapshot {
    std::uint64_t incarnation = 0;
    std::set<Digest> live;  // the part keys it lists
    std::string zone;       // its author's; empty until known (see handle_author_zone)
  };
  // Each author's newest snapshot, kept to scan for orphans again when a list brings local
  // objects that were not known when it arrived. At most snapshot_entries_max keys each.
  std::map<PublicKey, NewestSnapshot> newest_snapshots_;
  RequestId next_request_id_ = 1;
  std::deque<Publication> publications_;
  std::deque<KubeRequest> requests_out_;
  ReplicationStats stats_;
};

}  // namespace mesh::engine
