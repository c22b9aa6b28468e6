#include "engine/membership.h"

#include <algorithm>

#include "engine/internal/codec.h"
#include "engine/limits.h"

namespace mesh::engine {

const char* to_string(PeerState state) {
  switch (state) {
    case PeerState::unknown: return "Unknown";
    case PeerState::ready: return "Ready";
    case PeerState::not_ready: return "NotReady";
    case PeerState::unavailable: return "Unavailable";
  }
  MESH_UNREACHABLE();
}

const Digest& peer_record_key() {
  static const Digest key = blake2b_256(as_bytes("mesh-controller/peer-record"));
  return key;
}

Bytes encode_peer_record(const PeerRecord& record) {
  MESH_ASSERT(record.zone.size() <= zone_size_max);
  MESH_ASSERT(record.endpoints.size() <= endpoints_per_peer_max);
  Bytes out;
  internal::Writer writer(out);
  writer.u8(1);  // record format version
  writer.string(record.zone);
  writer.u32(static_cast<std::uint32_t>(record.endpoints.size()));
  for (const std::string& endpoint : record.endpoints) writer.string(endpoint);
  return out;
}

Result<PeerRecord, Error<RecordError>> decode_peer_record(ByteView payload, const LogId& log) {
  internal::Reader reader(payload);
  PeerRecord record{.key = log.author, .incarnation = log.incarnation};
  const auto parsed = [&]() -> Result<void, internal::CodecFailure> {
    MESH_TRY(const std::uint8_t version, reader.u8("record version"));
    if (version != 1) {
      return fail(internal::CodecError::invalid, "record version " + std::to_string(version));
    }
    MESH_TRY(record.zone, reader.string("record zone", zone_size_max));
    MESH_TRY(const std::size_t count, reader.count("record endpoints", endpoints_per_peer_max, 4));
    for (std::size_t index = 0; index < count; index++) {
      MESH_TRY(std::string endpoint, reader.string("record endpoint", endpoint_size_max));
      record.endpoints.push_back(std::move(endpoint));
    }
    return reader.expect_end("record");
  }();
  if (!parsed.ok()) {
    return fail(RecordError::malformed,
                "peer record of " + log.to_string() + ": " + parsed.error().message);
  }
  return record;
}

Membership::Membership(const Config& config, const PublicKey& self)
    : self_(self),
      incarnation_(config.incarnation),
      heartbeat_interval_(config.heartbeat_interval),
      suspect_after_(config.peer_suspect_after),
      unavailable_after_(config.peer_unavailable_after),
      admission_(config.admission) {
  MESH_ASSERT(suspect_after_ < unavailable_after_);
  for (const TrustedPeer& trusted : config.trusted_peers) trusted_[trusted.key] = trusted.zone;
  for (const BootstrapPeer& bootstrap : config.bootstrap) {
    if (!bootstrap.key || *bootstrap.key == self_) continue;
    Peer* peer = find_or_add(*bootstrap.key);
    if (peer != nullptr) peer->view.endpoints = bootstrap.endpoints;
  }
}

Membership::Peer* Membership::find_or_add(const PublicKey& key) {
  MESH_ASSERT(key != self_);
  const auto found = peers_.find(key);
  if (found != peers_.end()) return &found->second;
  if (peers_.size() >= peers_max) {
    ignored_count_++;
    return nullptr;
  }
  Peer& peer = peers_[key];
  peer.view.key = key;
  peer.ref = static_cast<std::uint32_t>(peers_by_ref_.size());
  MESH_ASSERT(peer.ref != self_ref && peer.ref <= liveness_ref_max);
  peers_by_ref_.push_back(&peer);
  MESH_ASSERT(peers_by_ref_.size() == peers_.size() + 1);
  mark(dirty_, peer.ref);  // evaluate() starts its clock
  count(peer);
  return &peer;
}

void Membership::uncount(const Peer& peer) {
  if (peer.view.zone.empty()) return;
  const auto found = zone_counts_.find(peer.view.zone);
  MESH_ASSERT(found != zone_counts_.end() && found->second.peers > 0);
  ZoneCount& zone = found->second;
  zone.peers--;
  if (peer.view.state != PeerState::unavailable) zone.alive--;
  if (zone.peers == 0) {
    zone_counts_.erase(found);
    zones_alive_.erase(peer.view.zone);
    zones_changed_.insert(peer.view.zone);
  } else if (zone.alive == 0 && zones_alive_[peer.view.zone]) {
    zones_alive_[peer.view.zone] = false;
    zones_changed_.insert(peer.view.zone);
  }
}

void Membership::count(const Peer& peer) {
  if (peer.view.zone.empty()) return;
  ZoneCount& zone = zone_counts_[peer.view.zone];
  zone.peers++;
  if (peer.view.state != PeerState::unavailable) zone.alive++;
  const bool alive = zone.alive > 0;
  const auto [known, added] = zones_alive_.try_emplace(peer.view.zone, alive);
  if (added || known->second != alive) {
    known->second = alive;
    zones_changed_.insert(peer.view.zone);
  }
}

void Membership::handle_record(const PeerRecord& record) {
  if (record.key == self_) return;
  Peer* peer = find_or_add(record.key);
  if (peer == nullptr || record.incarnation < peer->view.incarnation) return;
  // A new incarnation counts its heartbeats from zero again.
  if (record.incarnation > peer->view.incarnation) peer->view.heartbeat = 0;
  uncount(*peer);
  peer->view.zone = record.zone;
  count(*peer);
  peer->view.endpoints = record.endpoints;
  peer->view.incarnation = record.incarnation;
}

void Membership::handle_hello(Now now, const Hello& hello) {
  if (hello.identity == self_) return;
  Peer* peer = find_or_add(hello.identity);
  if (peer == nullptr || hello.incarnation < peer->view.incarnation) return;
  if (hello.incarnation > peer->view.incarnation) peer->view.heartbeat = 0;
  uncount(*peer);
  peer->view.zone = hello.zone;
  count(*peer);
  if (!hello.endpoints.empty()) peer->view.endpoints = hello.endpoints;
  peer->view.incarnation = hello.incarnation;
  // A completed handshake is direct evidence of life.
  peer->last_advance = now.monotonic;
  mark(dirty_, peer->ref);
}

void Membership::handle_liveness(Now now, const std::vector<LivenessEntry>& entries) {
  for (const LivenessEntry& entry : entries) {
    if (entry.peer == self_) continue;
    Peer* peer = find_or_add(entry.peer);
    if (peer != nullptr) advance(now, *peer, entry.incarnation, entry.heartbeat);
  }
}

void Membership::handle_liveness_ref(Now now, std::uint32_t ref, std::uint64_t incarnation,
                                     std::uint64_t heartbeat) {
  MESH_ASSERT(ref < peers_by_ref_.size());
  if (ref == self_ref) return;
  Peer* const peer = peers_by_ref_[ref];
  MESH_ASSERT(peer != nullptr && peer->ref == ref);
  advance(now, *peer, incarnation, heartbeat);
}

void Membership::advance(Now now, Peer& peer, std::uint64_t incarnation,
                         std::uint64_t heartbeat) {
  const bool newer_incarnation = incarnation > peer.view.incarnation;
  const bool newer_beat = incarnation == peer.view.incarnation && heartbeat > peer.view.heartbeat;
  if (!newer_incarnation && !newer_beat) return;
  peer.view.incarnation = incarnation;
  peer.view.heartbeat = heartbeat;
  peer.last_advance = now.monotonic;
  mark(changed_, peer.ref);
  mark(dirty_, peer.ref);
}

std::optional<std::uint32_t> Membership::track(const PublicKey& key) {
  if (key == self_) return self_ref;
  const Peer* const peer = find_or_add(key);
  if (peer == nullptr) return std::nullopt;
  return peer->ref;
}

void Membership::observe(Now now) {
  // The node gets an input at least every heartbeat interval while it runs (its own timer), so
  // a longer gap is a stall of this process: shift the peers' clocks by it.
  if (last_observed_ && now.monotonic - *last_observed_ > heartbeat_interval_ * 2) {
    const Duration stall = now.monotonic - *last_observed_ - heartbeat_interval_;
    for (auto& [key, peer] : peers_) {
      if (peer.last_advance) {
        peer.last_advance = std::min(*peer.last_advance + stall, now.monotonic);
      }
      if (peer.known_since) peer.known_since = std::min(*peer.known_since + stall, now.monotonic);
      mark(dirty_, peer.ref);
    }
  }
  if (!last_observed_ || now.monotonic > *last_observed_) last_observed_ = now.monotonic;
}

void Membership::set_incarnation(std::uint64_t incarnation) {
  MESH_ASSERT(incarnation > incarnation_);
  incarnation_ = incarnation;
  heartbeat_ = 0;
  mark(changed_, self_ref);
}

void Membership::tick(Now now) {
  observe(now);
  heartbeat_++;
  mark(changed_, self_ref);
}

PeerState Membership::state_at(const Peer& peer, Instant now) const {
  if (!peer.last_advance) {
    MESH_ASSERT(peer.known_since.has_value());
    const bool expired = now - *peer.known_since >= unavailable_after_;
    return expired ? PeerState::unavailable : PeerState::unknown;
  }
  const Duration silent = now - *peer.last_advance;
  if (silent < suspect_after_) return PeerState::ready;
  if (silent < unavailable_after_) return PeerState::not_ready;
  return PeerState::unavailable;
}

std::vector<PeerStateChange> Membership::evaluate(Now now) {
  observe(now);
  while (!deadlines_.empty() && deadlines_.begin()->first <= now.monotonic) {
    mark(dirty_, deadlines_.begin()->second);
    deadlines_.erase(deadlines_.begin());
  }
  std::vector<PeerStateChange> changes;
  // In key order, as a scan of every peer would report them. The refs are read from a local
  // vector, so that a mark made inside the loop could not move what is being read; nothing
  // below marks one (asserted after the loop), and the capacity goes back to dirty_.
  std::vector<std::uint32_t> refs;
  refs.swap(dirty_);
  for (const std::uint32_t ref : sorted_refs(refs)) {
    MESH_ASSERT(ref != self_ref && ref < peers_by_ref_.size());
    Peer& peer = *peers_by_ref_[ref];
    const PublicKey& key = peer.view.key;
    if (!peer.known_since) peer.known_since = now.monotonic;
    const PeerState next = state_at(peer, now.monotonic);
    if (next != peer.view.state) {
      changes.push_back({key, peer.view.zone, peer.view.incarnation, peer.view.state, next});
      uncount(peer);
      peer.view.state = next;
      count(peer);
      peer.view.state_since_wall = now.wall;
    }
    schedule(peer);
  }
  MESH_ASSERT(dirty_.empty());
  refs.clear();
  dirty_.swap(refs);
  return changes;
}

std::optional<Instant> Membership::transition_of(const Peer& peer) const {
  if (!peer.last_advance) {
    if (peer.known_since && peer.view.state == PeerState::unknown) {
      return *peer.known_since + unavailable_after_;
    }
  } else if (peer.view.state == PeerState::ready || peer.view.state == PeerState::unknown) {
    return *peer.last_advance + suspect_after_;
  } else if (peer.view.state == PeerState::not_ready) {
    return *peer.last_advance + unavailable_after_;
  }
  return std::nullopt;
}

void Membership::mark(std::vector<std::uint32_t>& refs, std::uint32_t ref) {
  MESH_ASSERT(ref < peers_by_ref_.size());
  refs.push_back(ref);
  if (refs.size() > 2 * peers_by_ref_.size()) {
    // Duplicates out; the readers put the rest in key order.
    std::sort(refs.begin(), refs.end());
    refs.erase(std::unique(refs.begin(), refs.end()), refs.end());
  }
  MESH_ASSERT(refs.size() <= 2 * peers_by_ref_.size());
}

const PublicKey& Membership::key_of(std::uint32_t ref) const {
  MESH_ASSERT(ref < peers_by_ref_.size());
  return ref == self_ref ? self_ : peers_by_ref_[ref]->view.key;
}

// Duplicates go first, in a sort of the numbers; then the few left are put in key order.
const std::vector<std::uint32_t>& Membership::sorted_refs(std::vector<std::uint32_t>& refs) const {
  std::sort(refs.begin(), refs.end());
  refs.erase(std::unique(refs.begin(), refs.end()), refs.end());
  std::sort(refs.begin(), refs.end(),
            [this](std::uint32_t a, std::uint32_t b) { return key_of(a) < key_of(b); });
  MESH_DEBUG_ASSERT(std::adjacent_find(refs.begin(), refs.end(), [this](auto a, auto b) {
                      return !(key_of(a) < key_of(b));
                    }) == refs.end());
  return refs;
}

// Every heartbeat moves a peer's deadline: its node in the set is reused, not freed and
// allocated again. peer.deadline may name an entry evaluate() has already popped.
void Membership::schedule(Peer& peer) {
  auto node = peer.deadline ? deadlines_.extract({*peer.deadline, peer.ref})
                            : decltype(deadlines_)::node_type();
  peer.deadline = transition_of(peer);
  if (!peer.deadline) return;
  if (node.empty()) {
    const bool inserted = deadlines_.insert({*peer.deadline, peer.ref}).second;
    MESH_ASSERT(inserted);
    return;
  }
  node.value() = {*peer.deadline, peer.ref};
  const auto inserted = deadlines_.insert(std::move(node));
  MESH_ASSERT(inserted.inserted);
}

std::vector<std::pair<std::string, std::optional<bool>>> Membership::take_zone_changes() {
  std::vector<std::pair<std::string, std::optional<bool>>> changes;
  changes.reserve(zones_changed_.size());
  for (const std::string& zone : zones_changed_) {
    const auto found = zones_alive_.find(zone);
    changes.emplace_back(
        zone, found == zones_alive_.end() ? std::nullopt : std::optional<bool>(found->second));
  }
  zones_changed_.clear();
  return changes;
}

std::optional<Instant> Membership::next_transition() const {
  if (deadlines_.empty()) return std::nullopt;
  return deadlines_.begin()->first;
}

Result<void, std::string> Membership::admit(const Hello& hello) const {
  if (admission_ == Admission::open) return {};
  const auto trusted = trusted_.find(hello.identity);
  if (trusted == trusted_.end()) {
    return fail("key not allowed: " + hello.identity.hex() + " is not a trusted peer");
  }
  if (trusted->second && *trusted->second != hello.zone) {
    return fail("key not allowed: " + hello.identity.short_hex() + " is bound to zone '" +
                *trusted->second + "' but claims '" + hello.zone + "'");
  }
  return {};
}

std::vector<LivenessEntry> Membership::liveness_all() const {
  std::vector<LivenessEntry> entries;
  entries.reserve(peers_.size() + 1);
  entries.push_back({self_, incarnation_, heartbeat_});
  for (const auto& [key, peer] : peers_) {
    if (peer.last_advance) entries.push_back({key, peer.view.incarnation, peer.view.heartbeat});
  }
  return entries;
}

std::vector<LivenessEntry> Membership::take_liveness_changes(bool relayed,
                                                            std::vector<std::uint32_t>* refs) {
  std::vector<LivenessEntry> entries;
  if (refs != nullptr) refs->clear();
  if (!relayed) {
    const auto self_marks = std::erase(changed_, self_ref);
    if (self_marks > 0) {
      entries.push_back({self_, incarnation_, heartbeat_});
      if (refs != nullptr) refs->push_back(self_ref);
    }
    MESH_ASSERT(std::find(changed_.begin(), changed_.end(), self_ref) == changed_.end());
    return entries;
  }
  entries.reserve(changed_.size());
  for (const std::uint32_t ref : sorted_refs(changed_)) {
    if (ref == self_ref) {
      entries.push_back({self_, incarnation_, heartbeat_});
    } else {
      const Peer& peer = *peers_by_ref_[ref];
      entries.push_back({peer.view.key, peer.view.incarnation, peer.view.heartbeat});
    }
    if (refs != nullptr) refs->push_back(ref);
  }
  changed_.clear();
  MESH_ASSERT(refs == nullptr || refs->size() == entries.size());
  return entries;
}

PeerState Membership::state(const PublicKey& key) const {
  const auto found = peers_.find(key);
  return found == peers_.end() ? PeerState::unknown : found->second.view.state;
}

std::optional<PeerView> Membership::peer(const PublicKey& key) const {
  const auto found = peers_.find(key);
  if (found == peers_.end()) return std::nullopt;
  return found->second.view;
}

std::vector<PeerView> Membership::peers() const {
  std::vector<PeerView> out;
  out.reserve(peers_.size());
  for (const auto& [key, peer] : peers_) out.push_back(peer.view);
  return out;
}

}  // namespace mesh::engine
