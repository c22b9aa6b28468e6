#include "engine/replication.h"

#include <algorithm>
#include <charconv>

#include "engine/json_util.h"
#include "engine/limits.h"

namespace mesh::engine {

namespace {

constexpr int payload_version = 1;

std::uint64_t resource_version_of(const Json& object) {
  const std::string text = string_at(object, {"metadata", "resourceVersion"});
  std::uint64_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  return ec == std::errc() && end == text.data() + text.size() ? value : 0;
}

bool is_being_deleted(const Json& object) {
  return !value_at(object, {"metadata", "deletionTimestamp"}).is_null();
}

struct ParsedPayload {
  std::string kind;
  std::string namespace_name;
  std::string name;
  std::string zone;
  bool owner_part = true;
  std::uint64_t generation = 0;
  std::int64_t epoch = 0;
  std::string owner;
  bool deleted = false;
  Json content;
};

// What makes an owner part's content unusable, or nothing. Its labels and annotations become
// an object's metadata (Strategy::main_body merges the mesh's keys into them), so they are maps
// of strings, as Kubernetes requires; a peer's payload with anything else was merged into a
// JSON type error that ended the node. The default strategy's body and its metadata are
// merged member by member, so they are objects.
std::optional<std::string> owner_content_problem(const Json& content) {
  MESH_ASSERT(content.is_object());
  for (const char* field : {"labels", "annotations"}) {
    const auto found = content.find(field);
    if (found == content.end() || found->is_null()) continue;
    if (!found->is_object()) return std::string("content.") + field + " is not an object";
    for (const auto& [key, value] : found->items()) {
      if (!value.is_string()) {
        return std::string("content.") + field + "." + key + " is not a string";
      }
    }
  }
  const auto body = content.find("body");
  if (body == content.end() || body->is_null()) return std::nullopt;
  if (!body->is_object()) return std::string("content.body is not an object");
  const auto metadata = body->find("metadata");
  if (metadata != body->end() && !metadata->is_null() && !metadata->is_object()) {
    return std::string("content.body.metadata is not an object");
  }
  return std::nullopt;
}

// A payload's parsed tree: from `cache` (read it before the cache's next insert), or parsed
// into `owned` and then handed to the cache when there is one; without a cache it stays in
// `owned`, whose content the caller may move out (`from_cache` false).
Result<const Json*, std::string> payload_tree(const Operation& operation, PayloadCache* cache,
                                              Json& owned, bool& from_cache) {
  from_cache = false;
  if (cache != nullptr) {
    if (const Json* tree = cache->find(operation.payload_hash())) {
      from_cache = true;
      return tree;
    }
  }
  auto parsed = parse_json(as_text(operation.payload()), operation_payload_size_max);
  if (!parsed.ok()) return fail(std::move(parsed).error().message);
  owned = std::move(parsed).value();
  const std::size_t payload_size = operation.payload().size();
  if (cache == nullptr || !cache->fits(payload_size)) return &owned;
  from_cache = true;
  return cache->insert(operation.payload_hash(), std::move(owned), payload_size);
}

Result<ParsedPayload, Error<PayloadError>> parse_payload(const Operation& operation,
                                                         PayloadCache* cache) {
  const auto malformed = [&](const std::string& what) {
    return fail(PayloadError::malformed, "operation " + operation.log().to_string() + "#" +
                                             std::to_string(operation.seq()) + ": " + what);
  };
  Json owned;
  bool from_cache = false;
  const auto tree = payload_tree(operation, cache, owned, from_cache);
  if (!tree.ok()) return malformed(tree.error());
  MESH_ASSERT(tree.value() != nullptr);
  const Json& json = *tree.value();
  if (!json.is_object() || value_at(json, {"v"}) != payload_version) {
    return malformed("not a version 1 replication payload");
  }
  ParsedPayload out;
  out.kind = string_at(json, {"kind"});
  out.namespace_name = string_at(json, {"ns"});
  out.name = string_at(json, {"name"});
  out.zone = string_at(json, {"zone"});
  const std::string part = string_at(json, {"part"});
  const Json& generation = value_at(json, {"gen"});
  if (out.kind.empty() || out.name.empty() || out.zone.empty() || out.name.size() > 253 ||
      out.namespace_name.size() > 63 || (part != "owner" && part != "zone") ||
      !generation.is_number_unsigned() || generation.get<std::uint64_t>() == 0) {
    return malformed("missing or invalid kind, name, zone, part or generation");
  }
  out.generation = generation.get<std::uint64_t>();
  out.owner_part = part == "owner";
  if (out.owner_part) {
    const Json& epoch = value_at(json, {"epoch"});
    const Json& deleted = value_at(json, {"deleted"});
    out.owner = string_at(json, {"owner"});
    if (!epoch.is_number_integer() || !deleted.is_boolean() || out.owner.empty()) {
      return malformed("owner part without epoch, deleted or owner");
    }
    out.epoch = epoch.get<std::int64_t>();
    out.deleted = deleted.get<bool>();
  }
  const char* const content_key = out.owner_part ? "content" : "entry";
  if (!from_cache) {
    // Nobody else holds an uncached tree: take its content instead of copying it.
    MESH_ASSERT(&json == &owned);
    const auto found = owned.find(content_key);
    if (found != owned.end()) out.content = std::move(*found);
  } else {
    out.content = value_at(json, {content_key});
  }
  // A zone part may be null: the zone removed its entry.
  const bool removal = !out.owner_part && out.content.is_null();
  if (!out.content.is_object() && !removal) return malformed("content is not an object");
  if (out.owner_part) {
    if (const auto problem = owner_content_problem(out.content)) return malformed(*problem);
  }
  return out;
}

}  // namespace

bool ZoneLiveness::alive(const std::string& zone) const {
  const auto found = zones.find(zone);
  return found == zones.end() ? unknown_zones_alive : found->second;
}

Replication::Replication(ReplicationOptions options)
    : options_(std::move(options)), incarnation_(options_.incarnation) {
  MESH_ASSERT(!options_.zone.empty());
  for (const ResourceKind& kind : options_.resources) {
    strategies_.push_back(make_strategy(kind.strategy));
  }
  MESH_ASSERT(strategies_.size() == options_.resources.size());
}

// ------------------------------------------------------------------------------------------
// The merge order

bool Replication::owner_less(const OwnerVersion& a, const OwnerVersion& b) const {
  if (a.generation != b.generation) return a.generation < b.generation;
  if (a.deleted != b.deleted) return !a.deleted;  // a delete beats every live part
  if (a.epoch != b.epoch) return a.epoch < b.epoch;
  // Equal epochs in two zones (a split brain's takeovers): the smaller zone name wins.
  if (a.zone != b.zone) {
    if (options_.test_break_merge_rule) return b.zone == options_.zone;  // deliberately wrong
    return a.zone > b.zone;
  }
  if (a.incarnation != b.incarnation) return a.incarnation < b.incarnation;
  if (a.seq != b.seq) return a.seq < b.seq;
  return a.author < b.author;
}

const Replication::OwnerCandidate* Replication::winner(const Entry& entry) const {
  const OwnerCandidate* best = nullptr;
  for (const auto& [author, candidate] : entry.owners) {
    if (best == nullptr || owner_less(best->version, candidate.version)) best = &candidate;
  }
  return best;
}

const Replication::ZoneCandidate* Replication::zone_winner(const Entry& entry,
                                                           const std::string& zone,
                                                           std::uint64_t generation) const {
  const auto found = entry.zones.find(zone);
  if (found == entry.zones.end()) return nullptr;
  const ZoneCandidate* best = nullptr;
  for (const auto& [author, candidate] : found->second) {
    if (candidate.generation != generation) continue;
    const auto key = [](const ZoneCandidate& c) {
      return std::tie(c.incarnation, c.seq, c.author);
    };
    if (best == nullptr || key(*best) < key(candidate)) best = &candidate;
  }
  return best;
}

std::optional<Replication::Desired> Replication::desired_state(const Entry& entry) const {
  const OwnerCandidate* best = winner(entry);
  if (best == nullptr) {
    if (!entry.retired) return std::nullopt;
    Desired retired;
    retired.deleted = true;
    retired.generation = entry.retired_generation;
    return retired;
  }
  Desired desired;
  desired.generation = best->version.generation;
  desired.deleted = best->version.deleted;
  desired.epoch = best->version.epoch;
  desired.owner_zone = best->version.zone;
  desired.content = &best->content;
  if (!desired.deleted) {
    for (const auto& [zone, candidates] : entry.zones) {
      const ZoneCandidate* part = zone_winner(entry, zone, desired.generation);
      if (part != nullptr && !part->entry.is_null()) desired.zones[zone] = &part->entry;
    }
  }
  return desired;
}

std::optional<ReplicatedObject> Replication::materialize(const Entry& entry) const {
  const std::optional<Desired> desired = desired_state(entry);
  if (!desired) return std::nullopt;
  ReplicatedObject object;
  object.generation = desired->generation;
  object.deleted = desired->deleted;
  object.epoch = desired->epoch;
  object.owner_zone = desired->owner_zone;
  if (desired->content != nullptr) object.content = *desired->content;
  for (const auto& [zone, part] : desired->zones) object.zones[zone] = *part;
  return object;
}

// ------------------------------------------------------------------------------------------
// The mesh

Result<void, Error<PayloadError>> Replication::handle_operation(Now now, const Operation& operation,
                                                                const std::string& author_zone) {
  auto parsed = parse_payload(operation, options_.payload_cache);
  if (!parsed.ok()) {
    stats_.rejected_operations++;
    return fail(std::move(parsed).error());
  }
  ParsedPayload& payload = parsed.value();
  const auto kind = std::find_if(options_.resources.begin(), options_.resources.end(),
                                 [&](const ResourceKind& k) { return k.id() == payload.kind; });
  if (kind == options_.resources.end()) {
    stats_.rejected_operations++;
    return fail(PayloadError::unknown_kind,
                "operation for kind " + payload.kind + ", which this zone does not replicate");
  }
  // A zone writes only as itself: its record (or admission) binds its zone to its key.
  if (!author_zone.empty() && author_zone != payload.zone) {
    stats_.rejected_operations++;
    return fail(PayloadError::wrong_zone,
                "author of zone " + author_zone + " published a part as zone " + payload.zone);
  }
  Entry& entry = entry_for(static_cast<std::size_t>(kind - options_.resources.begin()),
                           payload.namespace_name, payload.name);
  if (payload.zone == options_.zone && entry.publications_pending > 0) {
    entry.publications_pending--;
    entry.checks_due = true;  // the checks wait for our publications to merge back
  }
  const PublicKey& author = operation.log().author;
  const auto newer = [&](std::uint64_t incarnation, std::uint64_t seq) {
    return std::make_pair(operation.log().incarnation, operation.seq()) >
           std::make_pair(incarnation, seq);
  };
  // Only live parts: an older delete is carried forward as a delete (carry_own_delete_forward),
  // and a floor above it would re-publish, live, a replica written from older mesh state.
  if (payload.owner_part && !payload.deleted && author == options_.own_key &&
      operation.log().incarnation < incarnation_) {
    raise_own_generation_floor(entry, payload.generation);
  }
  if (payload.owner_part) {
    const auto existing = entry.owners.find(author);
    if (existing != entry.owners.end() &&
        !newer(existing->second.version.incarnation, existing->second.version.seq) &&
        !outdates_own_statement(entry, author, existing->second.version, payload.generation)) {
      return {};
    }
    end_wait(entry, entry.orphan_since);
    end_wait(entry, entry.stale_copy_since);  // the new part may state that generation
    entry.withdrawals.erase(author);
    entry.owners[author] = OwnerCandidate{
        OwnerVersion{payload.generation, payload.deleted, payload.epoch, payload.owner,
                     operation.log().incarnation, operation.seq(), author},
        operation.key(), std::move(payload.content)};
    entry.retired = false;
    withdraw_if_unlisted(now, entry, author);
  } else {
    auto& by_author = entry.zones[payload.zone];
    const auto existing = by_author.find(author);
    if (existing != by_author.end() && !newer(existing->second.incarnation, existing->second.seq)) {
      return {};
    }
    by_author[author] =
        ZoneCandidate{payload.generation, operation.log().incarnation, operation.seq(), author,
                      operation.key(),    std::move(payload.content)};
  }
  mark_changed(entry);
  consider_takeover(entry);
  return {};
}

// A part arrived that ends an orphan or stale-copy wait (`since`, one of the entry's) early.
// The wait had pushed the entry's retry_at to the end of the grace: undo that too, or the
// entry would not be written until then (found by the replication property with restarts and
// snapshots: a restarted zone marked its copy an orphan from the owner's older, empty
// snapshot, took the owner's part a moment later, and then ignored a takeover for the rest of
// the grace period).
void Replication::end_wait(Entry& entry, std::optional<Instant>& since) {
  MESH_ASSERT(&since == &entry.orphan_since || &since == &entry.stale_copy_since);
  if (!since) return;
  if (entry.retry_at == *since + options_.orphan_grace) entry.retry_at = Instant();
  since.reset();
}

// Our copy of another zone's object holds a newer generation than the delete the mesh says.
// Only the owner's runs write generations, and a replica's copy is written from the merged
// state, so the part that said that generation is gone everywhere (the owner restarted from
// a checkpoint older than it and the zones that held it restarted without state; found by the
// convergence property). After the orphan grace, in which that part could still arrive, the
// copy goes, as an orphan's does. Our own re-creation (we declare the owner) is never touched.
bool Replication::stale_replica_due(Now now, Entry& entry) {
  MESH_ASSERT(entry.local != nullptr);
  if (replicated_owner(entry) == options_.zone) return false;
  if (!entry.stale_copy_since) entry.stale_copy_since = now.monotonic;
  const Instant due = *entry.stale_copy_since + options_.orphan_grace;
  if (now.monotonic >= due) return true;
  mark_changed(entry);  // look again when the grace period ends
  entry.retry_at = due;
  return false;
}

// Something the entry's writes and checks depend on changed: reconcile it, and run its
// takeover and carry checks again (see reconcile).
void Replication::mark_changed(Entry& entry) {
  entry.dirty = true;
  entry.checks_due = true;
}

// An older run's owner part that its author's newest snapshot, already here, does not list:
// withdrawn after the orphan grace, as handle_snapshot does when the snapshot comes second.
// Without this the outcome depended on which of the two arrived first: zones that had the
// part before the snapshot withdrew it, a zone that got it after kept it, and they disagreed
// on the owner for good (found by the convergence property).
void Replication::withdraw_if_unlisted(Now now, Entry& entry, const PublicKey& author) {
  const auto owner = entry.owners.find(author);
  MESH_ASSERT(owner != entry.owners.end());
  const auto kept = newest_snapshots_.find(author);
  if (kept == newest_snapshots_.end()) return;
  if (owner->second.version.incarnation >= kept->second.incarnation) return;
  if (kept->second.live.count(owner->second.key) != 0) return;
  // handle_operation cleared any earlier withdrawal of this author's part: the grace starts
  // again with the part that replaced it.
  MESH_ASSERT(entry.withdrawals.count(author) == 0);
  entry.withdrawals[author] = now.monotonic + options_.orphan_grace;
}

// An earlier run of ours said a generation this run has not reached: replicas that applied it
// never go back to a lower one, so our statements must not either (found by the convergence
// property: a run that restarted without state said generation 1 of an object its previous run
// had said as generation 2, and the zones kept different generations for good). If we own the
// object here, we say it again at once, at least at that generation.
void Replication::raise_own_generation_floor(Entry& entry, std::uint64_t floor) {
  if (floor <= entry.own_generation_floor) return;
  entry.own_generation_floor = floor;
  mark_changed(entry);
  if (!entry.local || entry.publications_pending > 0) return;
  if (strategy(entry).declared_owner(*entry.local, options_.zone) != options_.zone) return;
  publish_local_changes(entry, false);
}

// An earlier run of ours said a newer generation than this run's statement, and our cluster
// does not hold the object: this run's statement came from a stale checkpoint (carried
// forward), and the run in between, which saved none, had re-created the object. Taking the
// earlier run's part lets tombstone_if_deleted_while_down say the delete at that generation;
// otherwise the re-creation stayed in the zones that had it (found by the convergence
// property). With the object in our cluster, our statement is what we observe, and it stays.
bool Replication::outdates_own_statement(const Entry& entry, const PublicKey& author,
                                         const OwnerVersion& held, std::uint64_t generation) const {
  return author == options_.own_key && !entry.local && generation > held.generation;
}

void Replication::handle_snapshot(Now now, const Operation& snapshot,
                                  const std::string& author_zone) {
  MESH_ASSERT(snapshot.kind() == OperationKind::snapshot);
  const auto entries = decode_snapshot_payload(snapshot.payload(), snapshot.seq());
  if (!entries.ok()) return;  // the log store refuses malformed snapshots before us
  std::set<Digest> live;
  for (const SnapshotEntry& entry : entries.value()) live.insert(entry.key);
  const PublicKey& author = snapshot.log().author;
  std::uint64_t& newest = newest_incarnation_[author];
  newest = std::max(newest, snapshot.log().incarnation);
  if (snapshot.log().incarnation == newest) {
    NewestSnapshot& kept = newest_snapshots_[author];
    kept.incarnation = newest;
    kept.live = live;
    if (!author_zone.empty()) kept.zone = author_zone;
    if (!kept.zone.empty()) find_orphans(now, kept.zone, live);
  }
  // A snapshot compacts its own log: it withdraws what that incarnation said before and no
  // longer lists. It says nothing about older incarnations, whose operations this run may never
  // have seen (a restart without state); those are superseded key by key as the new run
  // republishes, or deleted by tombstone_if_deleted_while_down.
  const auto withdrawn = [&](std::uint64_t incarnation, std::uint64_t seq, const Digest& key) {
    const bool older = incarnation == snapshot.log().incarnation && seq < snapshot.seq();
    return older && live.count(key) == 0;
  };
  for (auto& [key, entry] : entries_) {
    const auto owner = entry.owners.find(author);
    // An owner part of an older run that the author's newest snapshot does not list: the new
    // run lists its cluster before its first snapshot and says again what it still holds, so
    // the author no longer stands behind this part. Kept for the orphan grace (the rest of
    // the new run's log may still be on its way), then dropped. Without this, a zone that had
    // accepted the part kept it while zones whose stores had already evicted that run's log
    // never saw it, and they disagreed for good (found by the convergence property).
    if (owner != entry.owners.end() && snapshot.log().incarnation == newest &&
        owner->second.version.incarnation < newest && live.count(owner->second.key) == 0 &&
        entry.withdrawals.count(author) == 0) {
      entry.withdrawals[author] = now.monotonic + options_.orphan_grace;
    }
    if (owner != entry.owners.end() && withdrawn(owner->second.version.incarnation,
                                                 owner->second.version.seq, owner->second.key)) {
      const std::uint64_t generation = owner->second.version.generation;
      entry.owners.erase(owner);
      mark_changed(entry);
      if (entry.owners.empty()) {
        entry.retired = true;
        entry.retired_generation = generation;
      }
    }
    for (auto& [zone, by_author] : entry.zones) {
      const auto part = by_author.find(author);
      if (part != by_author.end() &&
          withdrawn(part->second.incarnation, part->second.seq, part->second.key)) {
        by_author.erase(part);
        mark_changed(entry);
      }
    }
  }
}

void Replication::handle_author_zone(Now now, const PublicKey& author, const std::string& zone) {
  if (zone.empty()) return;
  const auto kept = newest_snapshots_.find(author);
  if (kept == newest_snapshots_.end() || !kept->second.zone.empty()) return;
  kept->second.zone = zone;
  find_orphans(now, zone, kept->second.live);
}

// Objects here whose declared owner is `owner_zone`, which that zone's newest snapshot does
// not list, and about which the mesh says nothing newer than that snapshot's run: the owner
// deleted the object while no store that will ever reach its new run remembered it. Either
// every zone lost its mesh memory at once (all restarted without state), or only older runs
// of the owner said it and their logs are being evicted everywhere (a store keeps two
// incarnations per author, and the owner restarted twice without state while partitioned from
// the zones that held the object; found by the convergence property). A new run lists its
// cluster before its first snapshot, so an object it still holds would be listed. After a
// grace period, in which the rest of the owner's log can still arrive, they are deleted like
// retired objects.
void Replication::find_orphans(Now now, const std::string& owner_zone,
                               const std::set<Digest>& live) {
  for (auto& [key, entry] : entries_) {
    if (!entry.local || entry.orphan_since || !owner_parts_superseded(entry)) continue;
    if (declared_generation(*entry.local) == 0) continue;  // never came from the mesh
    if (replicated_owner(entry) != owner_zone) continue;
    if (owner_zone == options_.zone) continue;
    if (live.count(part_key(entry, "owner")) != 0) continue;
    entry.orphan_since = now.monotonic;
    mark_changed(entry);
  }
}

// The owner a local object was replicated under: its declared owner or, when the status that
// declares it was never written (the process died between writing the main resource and its
// status), the owner label the mesh writes with the main resource. Without the fallback such
// a copy had no owner and was never found an orphan (found by the convergence property: a
// paused zone created a replica as it resumed and crashed, and kept it for good after the
// owner had deleted the object).
std::string Replication::replicated_owner(const Entry& entry) const {
  MESH_ASSERT(entry.local != nullptr);
  const std::string declared = strategy(entry).declared_owner(*entry.local, options_.zone);
  if (!declared.empty()) return declared;
  return string_at(*entry.local, {"metadata", "labels", owner_zone_label});
}

bool Replication::owner_parts_superseded(const Entry& entry) const {
  return std::all_of(entry.owners.begin(), entry.owners.end(), [&](const auto& owner) {
    const auto newest = newest_incarnation_.find(owner.first);
    return newest != newest_incarnation_.end() && owner.second.version.incarnation < newest->second;
  });
}

void Replication::handle_liveness(Now now, const ZoneLiveness& liveness) {
  (void)now;
  liveness_ = liveness;
  for (auto& [key, entry] : entries_) {
    entry.checks_due = true;
    consider_takeover(entry);
  }
}

void Replication::handle_liveness_changes(
    Now now, const std::vector<std::pair<std::string, std::optional<bool>>>& changes,
    bool unknown_zones_alive) {
  (void)now;
  bool changed = liveness_.unknown_zones_alive != unknown_zones_alive;
  liveness_.unknown_zones_alive = unknown_zones_alive;
  for (const auto& [zone, alive] : changes) {
    if (zone == options_.zone) continue;  // we are always alive to ourselves
    const auto known = liveness_.zones.find(zone);
    const std::optional<bool> before =
        known == liveness_.zones.end() ? std::nullopt : std::optional<bool>(known->second);
    if (before == alive) continue;
    changed = true;
    if (alive) {
      liveness_.zones[zone] = *alive;
    } else {
      liveness_.zones.erase(known);
    }
  }
  if (!changed) return;
  for (auto& [key, entry] : entries_) {
    entry.checks_due = true;
    consider_takeover(entry);
  }
}

// Takeover: when the owner zone is Unavailable, the first alive placement zone (else the first
// alive zone we know) claims the object at epoch + 1. Every zone decides alone; if two claim
// at once, the merge order picks one and the other follows.
void Replication::consider_takeover(Entry& entry) {
  if (!strategy(entry).has_zone_parts()) return;  // only AnyApplication moves ownership
  if (entry.publications_pending > 0) return;
  // A local change still waits to be published (an operator's claim, say): the takeover's
  // status write would overwrite it. Reconcile's checks look again once it is out.
  if (entry.publish_at) return;
  const OwnerCandidate* best = winner(entry);
  // We are always alive to ourselves: never take over from our own zone.
  const auto alive = [&](const std::string& zone) {
    return zone == options_.zone || liveness_.alive(zone);
  };
  if (best == nullptr || best->version.deleted || alive(best->version.zone)) return;
  std::vector<std::string> candidates;
  for (const std::string& zone : strategy(entry).placements(best->content)) {
    if (alive(zone)) candidates.push_back(zone);
  }
  if (candidates.empty()) {
    for (const auto& [zone, zone_alive] : liveness_.zones) {
      if (zone_alive) candidates.push_back(zone);
    }
    candidates.push_back(options_.zone);
    std::sort(candidates.begin(), candidates.end());
  }
  if (candidates.front() != options_.zone) return;
  // The claim is written to our own cluster first and published from there, like every owner
  // part we author: so an owner part of ours always existed in our cluster, which is what lets
  // a restarted zone tell "deleted while I was down" (see tombstone_if_deleted_while_down).
  // Until the object is here and idle, reconcile calls us again.
  if (!entry.local || entry.inflight || is_being_deleted(*entry.local)) return;
  if (declared_generation(*entry.local) != best->version.generation) return;
  const std::int64_t epoch = best->version.epoch + 1;
  const Json content = strategy(entry).with_owner(best->content, options_.zone, epoch);
  const std::optional<Desired> desired = desired_state(entry);
  ZoneEntries zones = desired ? desired->zones : ZoneEntries{};
  const ZoneEntries local_zones = strategy(entry).zone_entries(*entry.local);
  zones.erase(options_.zone);
  if (const auto own = local_zones.find(options_.zone); own != local_zones.end()) {
    zones[options_.zone] = own->second;
  }
  auto status = strategy(entry).status_body(options_.resources[entry.kind], entry.namespace_name,
                                            entry.name, content, zones);
  if (!status) return;
  (*status)["metadata"]["resourceVersion"] =
      string_at(*entry.local, {"metadata", "resourceVersion"});
  stats_.takeovers++;
  request(entry, KubeVerb::update_status, std::move(*status));
}

// A restarted zone learns, from its own older incarnation's operations, that it wrote the
// owner part of an object its cluster no longer has: the user deleted it while this controller
// was down (the seed never sent those deletes). It publishes the delete now, in the winning
// generation; a delete beats every live part of its generation, even a takeover made while we
// were gone. NB: without persisted state we cannot tell whether we still owned the object when
// it was deleted here; if another zone had taken it over and we followed, this still deletes it.
void Replication::tombstone_if_deleted_while_down(Entry& entry) {
  if (!ready() || entry.local || entry.publications_pending > 0 || entry.inflight) return;
  const OwnerCandidate* best = winner(entry);
  if (best == nullptr || best->version.deleted) return;
  const auto ours = entry.owners.find(options_.own_key);
  if (ours == entry.owners.end()) return;
  const OwnerVersion& version = ours->second.version;
  if (version.deleted || version.generation != best->version.generation) return;
  if (version.incarnation >= incarnation_) return;  // authored by this very run
  publish_owner(entry, version.generation, true, best->version.epoch, options_.zone, best->content);
}

// A delete we authored in an older incarnation must outlive that incarnation's log: stores keep
// only the newest incarnations of an author (incarnations_per_author_max), so after a few quick
// restarts a fresh store would hold nothing of the delete while another zone's older live part
// still says the object exists, and that store would bring it back (found by the convergence
// property). So the current run says the delete again, in its own log, once it learns of it.
void Replication::carry_own_delete_forward(Entry& entry) {
  if (!ready() || entry.local || entry.publications_pending > 0 || entry.inflight) return;
  const OwnerCandidate* best = winner(entry);
  if (best == nullptr || !best->version.deleted || best->version.author != options_.own_key) {
    return;
  }
  if (best->version.incarnation >= incarnation_) return;  // already said by this run
  const OwnerVersion version = best->version;
  publish_owner(entry, version.generation, true, version.epoch, version.zone, best->content);
}

// The same for what we say about a live object: a run restored from a checkpoint holds its
// older incarnation's parts and had no reason to say them again, so after two more restarts
// those parts were evicted everywhere and a later fresh run never learned the object existed,
// nor that its own cluster had deleted it (found by the convergence property). The current run
// says its own parts again, once.
void Replication::carry_own_parts_forward(Entry& entry) {
  if (!ready() || !entry.local || entry.publications_pending > 0 || entry.inflight) return;
  if (entry.carried_in == incarnation_) return;  // once per run: never a publishing loop
  const auto owner = entry.owners.find(options_.own_key);
  bool older = owner != entry.owners.end() && owner->second.version.incarnation < incarnation_;
  if (const auto zone = entry.zones.find(options_.zone); zone != entry.zones.end()) {
    const auto part = zone->second.find(options_.own_key);
    older = older || (part != zone->second.end() && part->second.incarnation < incarnation_);
  }
  if (!older) return;
  entry.carried_in = incarnation_;
  publish_local_changes(entry, true);
}

void Replication::republish_own() {
  for (auto& [key, entry] : entries_) {
    if (entry.local) {
      publish_local_changes(entry, true);
      continue;
    }
    // No local object: what we authored about it is a delete; keep saying so.
    const auto owner = entry.owners.find(options_.own_key);
    if (owner != entry.owners.end() && owner->second.version.deleted) {
      const OwnerVersion& version = owner->second.version;
      publish_owner(entry, version.generation, true, version.epoch, version.zone,
                    owner->second.content);
    }
  }
}

void Replication::publish_owner(Entry& entry, std::uint64_t generation, bool deleted,
                                std::int64_t epoch, const std::string& owner_zone,
                                const Json& content) {
  const Json payload = {{"v", payload_version},       {"kind", options_.resources[entry.kind].id()},
                        {"ns", entry.namespace_name}, {"name", entry.name},
                        {"zone", options_.zone},      {"part", "owner"},
                        {"gen", generation},          {"epoch", epoch},
                        {"owner", owner_zone},        {"deleted", deleted},
                        {"content", content}};
  const std::string text = canonical(payload);
  publications_.push_back({part_key(entry, "owner"), Bytes(text.begin(), text.end())});
  entry.publications_pending++;
  stats_.publications++;
}

void Replication::publish_zone(Entry& entry, std::uint64_t generation, const Json& zone_entry) {
  const Json payload = {{"v", payload_version},       {"kind", options_.resources[entry.kind].id()},
                        {"ns", entry.namespace_name}, {"name", entry.name},
                        {"zone", options_.zone},      {"part", "zone"},
                        {"gen", generation},          {"entry", zone_entry}};
  const std::string text = canonical(payload);
  publications_.push_back({part_key(entry, "zone"), Bytes(text.begin(), text.end())});
  entry.publications_pending++;
  stats_.publications++;
}

Digest Replication::part_key(const Entry& entry, const char* part) const {
  const std::string text = options_.resources[entry.kind].id() + "/" + entry.namespace_name + "/" +
                           entry.name + "#" + part;
  return blake2b_256(as_bytes(text));
}

Replication::Entry& Replication::entry_for(std::size_t kind, const std::string& namespace_name,
                                           const std::string& name) {
  Entry& entry = entries_[{kind, namespace_name, name}];
  entry.kind = kind;
  entry.namespace_name = namespace_name;
  entry.name = name;
  return entry;
}

// ------------------------------------------------------------------------------------------
// Local Kubernetes

void Replication::handle_watch(Now now, KubeWatchEvent event) {
  MESH_ASSERT(event.kind.index < options_.resources.size());
  MESH_ASSERT(event.object != nullptr);
  const std::string namespace_name = string_at(*event.object, {"metadata", "namespace"});
  const std::string name = string_at(*event.object, {"metadata", "name"});
  if (name.empty()) return;  // not an object; the driver validates what it feeds us
  Entry& entry = entry_for(event.kind.index, namespace_name, name);
  if (event.type == WatchEventType::deleted) {
    on_local_delete(now, entry, resource_version_of(*event.object));
  } else {
    on_local_object(now, entry, std::move(event.object), true);
  }
}

void Replication::handle_relist(Now now, const KubeRelist& relist) {
  MESH_ASSERT(relist.kind.index < options_.resources.size());
  const std::size_t kind = relist.kind.index;
  std::set<std::pair<std::string, std::string>> present;
  for (const Json& object : relist.objects) {
    const std::string namespace_name = string_at(object, {"metadata", "namespace"});
    const std::string name = string_at(object, {"metadata", "name"});
    if (name.empty()) continue;
    present.insert({namespace_name, name});
    on_local_object(now, entry_for(kind, namespace_name, name),
                    std::make_shared<const Json>(object));
  }
  // Objects deleted while the watch was down are deletes too (the seed never sent them).
  for (auto& [key, entry] : entries_) {
    if (entry.kind != kind || !entry.local) continue;
    if (present.count({entry.namespace_name, entry.name}) == 0) {
      on_local_delete(now, entry, resource_version_of(*entry.local));
    }
  }
  listed_kinds_.insert(kind);
  for (auto& [key, entry] : entries_) entry.checks_due = true;  // they wait for ready()
  // Local objects the mesh says nothing about may only now be known here: a snapshot that
  // arrived before this list found no entry to mark (found by the convergence property: a
  // replica restored from a stale checkpoint kept an object its owner had deleted).
  for (const auto& [author, kept] : newest_snapshots_) {
    if (!kept.zone.empty()) find_orphans(now, kept.zone, kept.live);
  }
}

// A local object appeared or changed: publish the parts this zone owns that changed.
void Replication::on_local_object(Now now, Entry& entry, std::shared_ptr<const Json> object,
                                  bool from_watch) {
  update_local(entry, std::move(object));
  mark_changed(entry);
  if (!entry.local) return;  // a state older than the object's deletion here
  if (from_watch && options_.publish_delay > Duration::zero()) {
    // Only a change waits, so that the echo of a write of ours holds nothing up.
    if (!entry.publish_at && local_changes(entry, false, false)) {
      entry.publish_at = now.monotonic + options_.publish_delay;
    }
    return;
  }
  entry.publish_at.reset();
  publish_local_changes(entry, false);
}

void Replication::publish_due_changes(Now now, Entry& entry) {
  MESH_ASSERT(entry.publish_at.has_value());
  if (now.monotonic < *entry.publish_at) return;
  entry.publish_at.reset();
  // Gone meanwhile: the delete decided (on_local_delete).
  if (entry.local) publish_local_changes(entry, false);
}

// Publishes the parts of the local object this zone owns where they differ from the merged
// state; with `force`, publishes them whether or not they differ (after an incarnation change
// our older operations may outrank the newer ones of this run).
void Replication::publish_local_changes(Entry& entry, bool force) {
  (void)local_changes(entry, force, true);
}

// What publish_local_changes does; with `publish` false it only tells whether it would publish
// anything. Returns whether it did (or would).
bool Replication::local_changes(Entry& entry, bool force, bool publish) {
  MESH_ASSERT(entry.local != nullptr);
  const Json& local = *entry.local;
  if (is_being_deleted(local)) return false;  // the DELETED event decides
  const Strategy& s = strategy(entry);
  const OwnerCandidate* best = winner(entry);
  const std::uint64_t local_generation = declared_generation(local);
  std::uint64_t generation = local_generation;
  if (best == nullptr) {
    if (generation == 0) generation = 1;
  } else if (best->version.deleted) {
    // A fresh object (no generation of ours) under a tombstone is a re-creation.
    if (local_generation == 0) generation = best->version.generation + 1;
  } else if (local_generation == 0) {
    generation = best->version.generation;
  }
  if (s.declared_owner(local, options_.zone) == options_.zone) {
    generation = std::max(generation, entry.own_generation_floor);
  }
  bool changed = false;
  const bool stale = best != nullptr && generation < best->version.generation;
  if (!stale && s.declared_owner(local, options_.zone) == options_.zone) {
    const Json content = s.owner_content(local);
    const std::int64_t epoch = s.declared_epoch(local);
    const bool new_generation = best == nullptr || generation > best->version.generation;
    const bool ours = best != nullptr && best->version.zone == options_.zone &&
                      !best->version.deleted && epoch >= best->version.epoch &&
                      !same_canonical(content, best->content);
    // A higher epoch than the winner's is an explicit claim (an operator moved ownership).
    const bool claim = best != nullptr && !best->version.deleted &&
                       best->version.zone != options_.zone && epoch > best->version.epoch;
    const bool forced = force && (best == nullptr || best->version.zone == options_.zone);
    if (new_generation || ours || claim || forced) {
      if (!publish) return true;
      publish_owner(entry, generation, false, epoch, options_.zone, content);
      changed = true;
    }
  }
  if (stale || !s.has_zone_parts()) return changed;
  const auto entries = s.zone_entries(local);
  const auto own = entries.find(options_.zone);
  const ZoneCandidate* current = zone_winner(entry, options_.zone, generation);
  if (own == entries.end()) {
    // Our controller dropped its entry (it is no longer involved): withdraw it everywhere.
    const bool ours = current != nullptr && current->author == options_.own_key;
    if (!ours || (!force && current->entry.is_null())) return changed;
    if (publish) publish_zone(entry, generation, Json());
    return true;
  }
  MESH_ASSERT(own->second != nullptr);
  if (!force && current != nullptr && same_canonical(current->entry, *own->second)) return changed;
  if (publish) publish_zone(entry, generation, *own->second);
  return true;
}

// The local object is gone. The owner zone's delete spreads as a tombstone; a delete anywhere
// else is undone by reconcile, because the owner decides an object's life.
void Replication::on_local_delete(Now now, Entry& entry, std::uint64_t deleted_rv) {
  (void)now;
  // A DELETED older than what we hold (a create's result came first) is not news. Without a
  // version (0) we cannot tell, and take the delete.
  if (deleted_rv > 0 && entry.local && resource_version_of(*entry.local) > deleted_rv) return;
  forget_local(entry, deleted_rv);
  mark_changed(entry);
  const OwnerCandidate* best = winner(entry);
  if (best == nullptr || best->version.deleted || best->version.zone != options_.zone) return;
  publish_owner(entry, best->version.generation, true, best->version.epoch, options_.zone,
                best->content);
}

void Replication::update_local(Entry& entry, std::shared_ptr<const Json> object) {
  MESH_ASSERT(object != nullptr);
  // A write result and a watch event can arrive in either order: keep the newer. That holds
  // across a delete too: a result about a state older than the deletion (a DELETE answered
  // after the watch's DELETED, with finalizers the state before they were removed) would
  // otherwise bring a deleted object back here, and that ghost hid a later re-creation of
  // the name from this zone (found by the convergence property).
  const std::uint64_t version = resource_version_of(*object);
  if (entry.local_deleted_rv > 0 && version <= entry.local_deleted_rv) return;
  if (entry.local && resource_version_of(*entry.local) > version) return;
  entry.local = std::move(object);
}

void Replication::forget_local(Entry& entry, std::uint64_t deleted_rv) {
  if (deleted_rv > 0 && entry.local && resource_version_of(*entry.local) > deleted_rv) {
    return;  // re-created since
  }
  entry.local.reset();
  entry.local_deleted_rv = std::max(entry.local_deleted_rv, deleted_rv);
  // What waited to be published went with the object (deletes are never held back).
  entry.publish_at.reset();
}

void Replication::handle_result(Now now, KubeResult result) {
  const auto found = requests_.find(result.id);
  if (found == requests_.end()) return;
  const auto entry_it = entries_.find(found->second.key);
  const KubeVerb verb = found->second.verb;
  requests_.erase(found);
  if (entry_it == entries_.end()) return;
  Entry& entry = entry_it->second;
  entry.inflight.reset();
  mark_changed(entry);
  switch (result.outcome) {
    case KubeOutcome::ok:
      entry.conflicts = 0;
      entry.backoff = Duration::zero();
      if (verb == KubeVerb::remove) {
        // A DELETE answers with the object's last state; unless finalizers hold it
        // (deletionTimestamp set) the object is gone, not changed.
        const Json* last = result.object.get();
        const bool held = last != nullptr && last->is_object() && is_being_deleted(*last);
        if (held) {
          update_local(entry, std::move(result.object));
        } else {
          forget_local(entry, last != nullptr ? resource_version_of(*last) : 0);
        }
        break;
      }
      // What we wrote is our cluster's state now: publish from it at once (a takeover claim
      // must reach the merge before reconcile compares again).
      if (result.object != nullptr && result.object->is_object() && !result.object->empty()) {
        on_local_object(now, entry, std::move(result.object));
      }
      break;
    case KubeOutcome::not_found:
      entry.local.reset();
      entry.publish_at.reset();
      break;
    case KubeOutcome::conflict:
      stats_.conflicts++;
      on_failure(now, entry, true);
      break;
    case KubeOutcome::gone:
    case KubeOutcome::error: on_failure(now, entry, false); break;
  }
}

void Replication::on_failure(Now now, Entry& entry, bool conflict) {
  // A 409 means our view of the local object is stale: the watch brings the new one and we
  // merge again. Past the bound, back off instead of spinning; the object stays due.
  if (conflict && ++entry.conflicts <= options_.conflict_retries_max) return;
  entry.backoff = entry.backoff == Duration::zero()
                      ? options_.retry_backoff_min
                      : std::min(entry.backoff * 2, options_.retry_backoff_max);
  entry.retry_at = now.monotonic + entry.backoff;
}

void Replication::reconcile(Now now) {
  for (auto& [key, entry] : entries_) {
    if (entry.publish_at) publish_due_changes(now, entry);
    if (entry.publish_at) continue;  // see ReplicationOptions::publish_delay
    if (entry.inflight || entry.publications_pending > 0) continue;
    // Until its kind is listed, "no local object" only means "not read yet": writing now
    // would re-create what a user deleted while we were down (found with checkpoints, whose
    // mesh state is there before the first list returns; a fast mesh can do the same).
    if (listed_kinds_.count(entry.kind) == 0) continue;
    withdraw_due_owner_parts(now, entry);
    // The checks depend only on the entry, the liveness view, our incarnation and readiness;
    // whatever changes those marks the entry (or all entries) due, so an unchanged entry is
    // not scanned on every input.
    if (entry.checks_due) {
      entry.checks_due = false;
      consider_takeover(entry);
      tombstone_if_deleted_while_down(entry);
      carry_own_delete_forward(entry);
      carry_own_parts_forward(entry);
    }
    if (!entry.dirty || entry.inflight || entry.publications_pending > 0) continue;
    if (now.monotonic < entry.retry_at) continue;
    reconcile_entry(now, entry);
  }
}

// Drops the owner parts whose withdrawal is due (see handle_snapshot) and that their author
// did not say again meanwhile.
void Replication::withdraw_due_owner_parts(Now now, Entry& entry) {
  for (auto due = entry.withdrawals.begin(); due != entry.withdrawals.end();) {
    if (now.monotonic < due->second) {
      ++due;
      continue;
    }
    const auto owner = entry.owners.find(due->first);
    const auto newest = newest_incarnation_.find(due->first);
    MESH_ASSERT(newest != newest_incarnation_.end());
    if (owner != entry.owners.end() && owner->second.version.incarnation < newest->second) {
      const std::uint64_t generation = owner->second.version.generation;
      entry.owners.erase(owner);
      if (entry.owners.empty()) {
        entry.retired = true;
        entry.retired_generation = generation;
      }
      mark_changed(entry);
    }
    due = entry.withdrawals.erase(due);
  }
}

void Replication::reconcile_entry(Now now, Entry& entry) {
  entry.dirty = false;
  if (entry.orphan_since && !owner_parts_superseded(entry)) end_wait(entry, entry.orphan_since);
  if (entry.orphan_since) {
    if (now.monotonic - *entry.orphan_since < options_.orphan_grace) {
      mark_changed(entry);  // look again when the grace period ends
      entry.retry_at = *entry.orphan_since + options_.orphan_grace;
      return;
    }
    // The superseded parts go too: no run of their author will say them again, and they
    // would keep the object alive here alone. The copy itself may be gone by now (a user
    // deleted it during the grace; found by the convergence property, which dereferenced
    // the missing copy here): the parts still retire, at the newest generation they said.
    std::uint64_t generation = entry.local ? declared_generation(*entry.local) : 0;
    if (!entry.local) {
      for (const auto& [author, owner] : entry.owners) {
        generation = std::max(generation, owner.version.generation);
      }
    }
    entry.owners.clear();
    entry.retired = true;
    entry.retired_generation = generation;
    entry.orphan_since.reset();
  }
  const std::optional<Desired> desired = desired_state(entry);
  if (!desired) return;  // nothing known from the mesh yet: leave local objects alone
  if (desired->deleted) {
    if (!entry.deleted_seen_at) entry.deleted_seen_at = now.monotonic;
    if (!entry.local || is_being_deleted(*entry.local)) return;
    // Never delete a newer local generation (a re-creation not yet merged back), unless it is
    // a replica that no part here vouches for any more (see stale_replica_due).
    const bool newer = declared_generation(*entry.local) > desired->generation;
    if (newer && !stale_replica_due(now, entry)) return;
    request(entry, KubeVerb::remove, Json());
    return;
  }
  entry.stale_copy_since.reset();
  entry.deleted_seen_at.reset();
  if (entry.local && is_being_deleted(*entry.local)) return;
  if (!entry.local) {
    request(
        entry, KubeVerb::apply,
        strategy(entry).main_body(options_.resources[entry.kind], entry.namespace_name, entry.name,
                                  *desired->content, desired->generation, desired->owner_zone));
    return;
  }
  (void)reconcile_existing(now, entry, *desired);
}

// Brings an existing local object to the replicated state: first the main resource, then the
// status. Returns true when a request was made.
bool Replication::reconcile_existing(Now now, Entry& entry, const Desired& desired) {
  const Strategy& s = strategy(entry);
  const Json& local = *entry.local;
  if (declared_generation(local) > desired.generation) return false;  // newer, not merged yet
  MESH_ASSERT(!desired.deleted);
  MESH_ASSERT(desired.content != nullptr);
  const Json& content = *desired.content;
  const ResourceKind& kind = options_.resources[entry.kind];
  if (!s.main_matches(kind, entry.namespace_name, entry.name, content, desired.generation,
                      desired.owner_zone, local)) {
    Json main = s.main_body(kind, entry.namespace_name, entry.name, content, desired.generation,
                            desired.owner_zone);
    main["metadata"]["resourceVersion"] = string_at(local, {"metadata", "resourceVersion"});
    request(entry, KubeVerb::apply, std::move(main));
    return true;
  }
  // Status: the owner's ownership, every other zone's entry, our own entry as it is here
  // (our local controller owns it).
  if (s.status_matches(kind, entry.namespace_name, entry.name, content, desired.zones,
                       options_.zone, local)) {
    entry.status_differs_since.reset();
    return false;
  }
  if (!entry.status_differs_since) entry.status_differs_since = now.monotonic;
  const Instant write_at = *entry.status_differs_since + options_.status_write_delay;
  if (now.monotonic < write_at) {
    mark_changed(entry);  // look again when the delay ends
    entry.retry_at = write_at;
    return false;
  }
  entry.status_differs_since.reset();
  auto status = s.status_body_keeping_own(kind, entry.namespace_name, entry.name, content,
                                          desired.zones, options_.zone, local);
  MESH_ASSERT(status.has_value());  // status_matches says true when there is nothing to write
  // A PUT of the whole status, not an apply: server-side apply merges keyed lists with entries
  // other managers own, so it could never remove a stale placement or zone entry. The
  // resourceVersion makes it safe against the local controller writing at the same time.
  (*status)["metadata"]["resourceVersion"] = string_at(local, {"metadata", "resourceVersion"});
  request(entry, KubeVerb::update_status, std::move(*status));
  return true;
}

void Replication::request(Entry& entry, KubeVerb verb, Json body) {
  MESH_ASSERT(!entry.inflight.has_value());
  const ResourceKind& kind = options_.resources[entry.kind];
  KubeRequest request{.id = next_request_id_++,
                      .verb = verb,
                      .kind = KubeKind::resource(entry.kind),
                      .api_version = kind.api_version(),
                      .kind_name = kind.kind,
                      .namespace_name = entry.namespace_name,
                      .name = entry.name,
                      .body = std::move(body)};
  if (verb == KubeVerb::remove && entry.local) {
    request.uid = string_at(*entry.local, {"metadata", "uid"});
  }
  entry.inflight = request.id;
  requests_[request.id] = {{entry.kind, entry.namespace_name, entry.name}, verb};
  requests_out_.push_back(std::move(request));
  stats_.requests++;
}

std::optional<Publication> Replication::poll_publication() {
  if (publications_.empty()) return std::nullopt;
  Publication publication = std::move(publications_.front());
  publications_.pop_front();
  return publication;
}

std::optional<KubeRequest> Replication::poll_request() {
  if (requests_out_.empty()) return std::nullopt;
  KubeRequest request = std::move(requests_out_.front());
  requests_out_.pop_front();
  return request;
}

std::optional<Instant> Replication::next_deadline() const {
  std::optional<Instant> next;
  for (const auto& [key, entry] : entries_) {
    if (entry.publish_at && (!next || *entry.publish_at < *next)) next = entry.publish_at;
    if (entry.publish_at) continue;                      // nothing else happens to it until then
    if (listed_kinds_.count(entry.kind) == 0) continue;  // waits for the list, not for time
    if (entry.inflight) continue;                        // waits for the result
    // Withdrawals also wait for our publications to merge back (as reconcile does).
    for (const auto& [author, at] : entry.withdrawals) {
      if (entry.publications_pending == 0 && (!next || at < *next)) next = at;
    }
    if (!entry.dirty) continue;
    if (!next || entry.retry_at < *next) next = entry.retry_at;
  }
  return next;
}

std::vector<Digest> Replication::forgettable_keys(Now now) const {
  std::vector<Digest> keys;
  for (const auto& [key, entry] : entries_) {
    if (!entry.deleted_seen_at) continue;
    if (now.monotonic - *entry.deleted_seen_at < options_.tombstone_retention) continue;
    keys.push_back(part_key(entry, "owner"));
    keys.push_back(part_key(entry, "zone"));
  }
  return keys;
}

void Replication::set_incarnation(std::uint64_t incarnation) {
  MESH_ASSERT(incarnation >= incarnation_);
  incarnation_ = incarnation;
  for (auto& [key, entry] : entries_) entry.checks_due = true;  // carries compare incarnations
}

bool Replication::ready() const {
  return listed_kinds_.size() == options_.resources.size();
}

std::optional<ReplicatedObject> Replication::replicated(std::size_t kind,
                                                        const std::string& namespace_name,
                                                        const std::string& name) const {
  const auto found = entries_.find({kind, namespace_name, name});
  if (found == entries_.end()) return std::nullopt;
  return materialize(found->second);
}

std::vector<std::tuple<std::size_t, std::string, std::string>> Replication::objects() const {
  std::vector<EntryKey> keys;
  for (const auto& [key, entry] : entries_) {
    if (desired_state(entry)) keys.push_back(key);
  }
  return keys;
}

}  // namespace mesh::engine
