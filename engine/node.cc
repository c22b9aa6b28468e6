#include "engine/node.h"

#include <algorithm>

#include "engine/checkpoint.h"
#include "engine/limits.h"

namespace mesh::engine {

namespace {

std::string peer_name(const std::optional<PublicKey>& key, const std::string& address) {
  return key ? key->short_hex() : address;
}

// Jittered backoff in [backoff / 2, backoff * 3 / 2): spreads reconnect storms after a heal.
Duration jitter(Prng& prng, Duration backoff) {
  const std::int64_t half = std::max<std::int64_t>(backoff.ns() / 2, 1);
  return Duration::from_ns(half + prng.between(0, 2 * half - 1));
}

// With RelayMode::sparse, a node linked to every peer it knows relays the others' heartbeat
// counters every second heartbeat when peer_suspect_after leaves room for two such rounds
// (four heartbeats or more); its own counter goes out every heartbeat. Such a node is one hop
// from every peer, so its relays are the freshest indirect evidence there is, at most two
// heartbeats old: the evidence that keeps a peer Ready when only the direct link to it failed
// still arrives twice before it would be suspected. A node further from some peer relays
// every heartbeat, or evidence aging two heartbeats per hop could come too late over several.
// In a full mesh every neighbour hears each peer directly anyway, and the relayed entries
// were most of a heartbeat's bytes and decoding.
std::uint64_t liveness_relay_every(const Config& config) {
  if (config.relay != RelayMode::sparse) return 1;
  return config.peer_suspect_after >= config.heartbeat_interval * 4 ? 2 : 1;
}

}  // namespace

Node::Node(const Config& config, const Identity& identity)
    : config_(config),
      identity_(identity),
      prng_(config.rng_seed),
      key_stream_(config.key_stream_seed),
      static_keypair_(noise::keypair_from_secret(key_stream_.next_key())),
      network_digest_(network_digest(config.network_id)),
      incarnation_(config.incarnation),
      logs_(LogStoreLimits{.signature_cache = config.signature_cache}),
      membership_(config, identity.public_key()),
      replication_(ReplicationOptions{.zone = config.zone,
                                      .resources = config.resources,
                                      .tombstone_retention = config.tombstone_retention,
                                      .status_write_delay = config.status_write_delay,
                                      .publish_delay = config.publish_delay,
                                      .test_break_merge_rule = config.test_break_merge_rule,
                                      .own_key = identity.public_key(),
                                      .incarnation = config.incarnation,
                                      .payload_cache = config.payload_cache}),
      meshpeers_(config.meshpeer_namespace, config.reporting_instance) {
  MESH_ASSERT(config_.validate().ok());
  liveness_relay_every_ = liveness_relay_every(config_);
  MESH_ASSERT(liveness_relay_every_ >= 1);
  MESH_ASSERT(config_.zone.size() <= zone_size_max);
  for (const BootstrapPeer& bootstrap : config_.bootstrap) {
    if (bootstrap.key && *bootstrap.key == identity_.public_key()) continue;
    targets_.push_back(DialTarget{.key = bootstrap.key,
                                  .endpoints = bootstrap.endpoints,
                                  .backoff = config_.dial_backoff_min,
                                  .configured = true});
  }
}

// ------------------------------------------------------------------------------------------
// Inputs

Bytes Node::checkpoint() const {
  return encode_checkpoint(network_digest_, identity_.public_key(), incarnation_, logs_);
}

Result<std::size_t, std::string> Node::restore(Now now, ByteView bytes) {
  MESH_ASSERT(phase_ == Phase::created);
  auto decoded = decode_checkpoint(bytes, network_digest_, identity_.public_key());
  if (!decoded.ok()) return fail(decoded.error().message);
  Checkpoint& checkpoint = decoded.value();
  // Our new log must be newer than every log of ours the checkpoint knows: peers hold those
  // too, and would take a log at an older incarnation for a stale one.
  std::uint64_t own_newest = checkpoint.incarnation;
  for (const Operation& operation : checkpoint.operations) {
    if (operation.log().author == identity_.public_key()) {
      own_newest = std::max(own_newest, operation.log().incarnation);
    }
  }
  if (own_newest >= incarnation_) {
    // A random step, as in move_incarnation: two runs restored from the same checkpoint (the
    // first crashed before saving its own) would otherwise both write under own_newest + 1,
    // with equal heights, so neither the peers nor the second run could tell the logs apart
    // (found by the convergence property).
    incarnation_ = own_newest + 1 + prng_.below(incarnation_move_spread_max);
    membership_.set_incarnation(incarnation_);
    replication_.set_incarnation(incarnation_);
  }
  // Every operation is verified again as it is inserted, like one from a peer: a damaged one
  // is refused alone; everything that verifies is genuine whatever the file went through.
  std::size_t restored = 0;
  std::size_t refused = 0;
  std::string first_refusal;
  for (Operation& operation : checkpoint.operations) {
    const InsertResult result = logs_.insert(std::move(operation));
    if (result.status == InsertStatus::rejected) {
      if (refused++ == 0) first_refusal = result.reason;
    }
    for (const AcceptedOperation& accepted : result.accepted) {
      restored++;
      on_accepted(now, accepted, nullptr);
    }
  }
  metrics_.operations_restored += restored;
  emit(refused == 0 ? EventLevel::info : EventLevel::warn,
       "restored " + std::to_string(restored) + " operations from the checkpoint of incarnation " +
           std::to_string(checkpoint.incarnation) +
           (refused == 0 ? std::string()
                         : "; refused " + std::to_string(refused) + " (" + first_refusal + ")"));
  return restored;
}

void Node::handle_start(Now now) {
  MESH_ASSERT(phase_ == Phase::created);
  phase_ = Phase::running;
  started_at_ = now.monotonic;
  heartbeat_next_ = now.monotonic + config_.heartbeat_interval;
  resync_next_ = now.monotonic + config_.resync_interval;
  snapshot_next_ = now.monotonic + config_.snapshot_interval;
  for (DialTarget& target : targets_) target.next_attempt = now.monotonic;
  publish_record(now);
  emit(EventLevel::info, "node " + identity_.public_key().short_hex() + " started in zone " +
                             config_.zone + ", incarnation " + std::to_string(incarnation_));
  if (config_.write_meshpeers) {
    on_peer_state(now, PeerStateChange{.key = identity_.public_key(),
                                       .zone = config_.zone,
                                       .incarnation = incarnation_,
                                       .from = PeerState::unknown,
                                       .to = PeerState::ready});
  }
  maintain_connections(now);
  flush(now);
}

void Node::handle_shutdown(Now now) {
  if (phase_ != Phase::running) return;
  std::vector<ConnectionId> ids;
  for (const auto& [id, connection] : connections_) ids.push_back(id);
  for (const ConnectionId id : ids) {
    close_connection(now, id, "shutting down", GoodbyeReason::shutdown);
  }
  phase_ = Phase::stopped;
  emit(EventLevel::info, "node stopped");
  flush(now);
}

ConnectionId Node::handle_accept(Now now, const std::string& remote_address) {
  note_input(now);
  const ConnectionId id = next_connection_id_++;
  metrics_.connections_accepted++;
  if (phase_ != Phase::running || connections_.size() >= connections_max) {
    network_out_.push_back(
        Close{id, phase_ == Phase::running ? "too many connections" : "not running"});
    return id;
  }
  Connection& connection = connections_[id];
  connection.id = id;
  connection.outbound = false;
  connection.address = remote_address;
  connection.phase = LinkPhase::handshaking;
  connection.opened_at = now.monotonic;
  connection.last_received = now.monotonic;
  connection.session.emplace(make_session(false));
  flush(now);
  return id;
}

void Node::handle_connected(Now now, ConnectionId id) {
  note_input(now);
  const auto found = connections_.find(id);
  if (found == connections_.end()) return;  // closed meanwhile
  Connection& connection = found->second;
  MESH_ASSERT(connection.outbound);
  MESH_ASSERT(connection.phase == LinkPhase::connecting);
  connection.phase = LinkPhase::handshaking;
  connection.opened_at = now.monotonic;
  connection.last_received = now.monotonic;
  connection.session.emplace(make_session(true));
  flush(now);
}

void Node::handle_bytes(Now now, ConnectionId id, ByteView bytes) {
  note_input(now);
  const auto found = connections_.find(id);
  if (found == connections_.end() || !found->second.session) return;
  Connection& connection = found->second;
  metrics_.bytes_received += bytes.size();
  connection.last_received = now.monotonic;
  Session& session = *connection.session;
  session.handle_bytes(bytes);
  if (session.state() == SessionState::established && connection.phase == LinkPhase::handshaking) {
    on_established(now, connection);
  }
  // on_established may have closed the connection.
  if (connections_.count(id) != 0 && session.state() == SessionState::established) {
    while (auto message = session.poll_message()) {
      on_message(now, connection, *message);
      if (connections_.count(id) == 0) break;
    }
  }
  if (connections_.count(id) != 0 && session.state() == SessionState::failed) {
    on_session_failure(connection);
    close_connection(now, id, "session failed: " + session.failure()->message, std::nullopt);
  }
  flush(now);
}

void Node::handle_closed(Now now, ConnectionId id, const std::string& reason) {
  note_input(now);
  if (connections_.count(id) == 0) return;
  forget_connection(now, id, reason);
  maintain_connections(now);
  flush(now);
}

void Node::handle_timeout(Now now) {
  if (phase_ != Phase::running) return;
  note_input(now);
  if (now.monotonic >= heartbeat_next_) on_heartbeat(now);
  if (now.monotonic >= resync_next_) on_resync(now);
  check_connection_deadlines(now);
  maybe_snapshot(now);
  maintain_connections(now);
  flush(now);
}

Result<std::uint64_t, OperationFailure> Node::publish(Now now, const Digest& key, Bytes payload) {
  MESH_ASSERT(phase_ == Phase::running);
  MESH_TRY(const Operation operation,
           logs_.append(identity_, incarnation_, key, std::move(payload), now.wall.unix_ms()));
  metrics_.operations_authored++;
  on_accepted(now, {operation.log(), operation.seq(), operation.kind()}, nullptr);
  maybe_snapshot(now);
  flush(now);
  return operation.seq();
}

void Node::handle_kube_watch(Now now, KubeWatchEvent event) {
  if (phase_ != Phase::running) return;
  note_input(now);
  if (event.kind.index < config_.resources.size()) {
    replication_.handle_watch(now, std::move(event));
  }
  flush(now);
}

void Node::handle_kube_relist(Now now, const KubeRelist& relist) {
  if (phase_ != Phase::running) return;
  note_input(now);
  if (relist.kind.index < config_.resources.size()) replication_.handle_relist(now, relist);
  flush(now);
}

void Node::handle_kube_result(Now now, KubeResult result) {
  if (phase_ != Phase::running) return;
  note_input(now);
  if (result.outcome != KubeOutcome::ok) {
    metrics_.kube_failures++;
    emit(result.outcome == KubeOutcome::conflict ? EventLevel::debug : EventLevel::warn,
         "kubernetes request " + std::to_string(result.id) + " failed: " + result.message);
  }
  if (result.id >= (RequestId{1} << 62)) {
    const auto request = meshpeer_requests_.find(result.id);
    if (request != meshpeer_requests_.end()) {
      if (result.outcome == KubeOutcome::ok) {
        if (result.object != nullptr) meshpeers_.handle_applied(*result.object);
      } else {
        meshpeer_retry_.insert(request->second);
      }
      meshpeer_requests_.erase(request);
    }
  } else {
    replication_.handle_result(now, std::move(result));
  }
  flush(now);
}

void Node::note_input(Now now) {
  if (last_input_ && now.monotonic - *last_input_ > config_.heartbeat_interval * 2 &&
      phase_ == Phase::running) {
    const Duration stall = now.monotonic - *last_input_ - config_.heartbeat_interval;
    for (auto& [id, connection] : connections_) {
      connection.last_received = std::min(connection.last_received + stall, now.monotonic);
      connection.opened_at = std::min(connection.opened_at + stall, now.monotonic);
    }
    emit(EventLevel::warn, "this node stalled for " + std::to_string(stall.ms()) +
                               " ms; peer and link timers extended by as much");
  }
  if (!last_input_ || now.monotonic > *last_input_) last_input_ = now.monotonic;
}

// Our own record is the first operation of every incarnation's log.
void Node::publish_record(Now now) {
  const PeerRecord record{.key = identity_.public_key(),
                          .zone = config_.zone,
                          .endpoints = config_.advertised_endpoints,
                          .incarnation = incarnation_};
  const auto published = publish(now, peer_record_key(), encode_peer_record(record));
  MESH_ASSERT(published.ok());
}

// Someone holds a log of ours from an incarnation at least as new as the current one: an
// earlier run of this node whose clock read later (a clock stepped back across a restart).
// Peers would ignore everything we say as obsolete, so we move to a newer incarnation and
// republish what we own there.
void Node::on_own_incarnation(Now now, std::uint64_t incarnation) {
  if (incarnation <= incarnation_ || phase_ != Phase::running) return;
  move_incarnation(now, std::max(incarnation, highest_own_incarnation_seen()));
}

// An earlier run of ours wrote under our current incarnation: move past everything seen.
void Node::on_incarnation_collision(Now now) {
  if (phase_ != Phase::running) return;
  move_incarnation(now, highest_own_incarnation_seen());
}

// Moves our log to the incarnation after `above` (the newest of ours seen anywhere).
void Node::move_incarnation(Now now, std::uint64_t above) {
  MESH_ASSERT(above >= incarnation_);
  // A random step rather than +1: two runs of ours that each learned only of the same older
  // incarnation (the newer one's log sits behind a partition) would otherwise both pick
  // above + 1 and fork each other's logs for good.
  const std::uint64_t next = above + 1 + prng_.below(incarnation_move_spread_max);
  MESH_ASSERT(next > above);
  emit(EventLevel::warn, "incarnation " + std::to_string(above) +
                             " of this node already exists (clock stepped back?); moving from " +
                             std::to_string(incarnation_) + " to " + std::to_string(next));
  incarnation_ = next;
  membership_.set_incarnation(incarnation_);
  replication_.set_incarnation(incarnation_);
  snapshot_taken_ = false;
  publish_record(now);
  replication_.republish_own();
}

// A peer's report of our current log that this run did not write: more operations than we
// wrote, or a different operation at a position we hold (compacted positions cannot tell).
bool Node::forks_own_log(const LogHeight& theirs) const {
  MESH_ASSERT(theirs.log == own_log());
  const auto ours = logs_.height(own_log());
  if (!ours) return theirs.next_seq > 0;
  if (theirs.next_seq > ours->next_seq) return true;
  if (theirs.next_seq == 0) return false;
  if (theirs.next_seq == ours->next_seq) return theirs.head != ours->head;
  const Operation* held = logs_.find(own_log(), theirs.next_seq - 1);
  return held != nullptr && held->hash() != theirs.head;
}

// The newest incarnation of ours any log store here holds.
std::uint64_t Node::highest_own_incarnation_seen() const {
  std::uint64_t highest = incarnation_;
  for (const LogId& log : logs_.logs()) {
    if (log.author == identity_.public_key()) highest = std::max(highest, log.incarnation);
  }
  return highest;
}

// ------------------------------------------------------------------------------------------
// Per-connection protocol

void Node::on_established(Now now, Connection& connection) {
  const Hello& hello = *connection.session->remote();
  connection.phase = LinkPhase::established;
  connection.peer = hello.identity;
  metrics_.connections_established++;
  if (hello.identity == identity_.public_key()) {
    if (connection.target) targets_[*connection.target].disabled = true;
    close_connection(now, connection.id, "connected to ourselves", std::nullopt);
    return;
  }
  if (connection.target && targets_[*connection.target].key &&
      *targets_[*connection.target].key != hello.identity) {
    close_connection(now, connection.id,
                     "peer key mismatch: expected " +
                         targets_[*connection.target].key->short_hex() + ", found " +
                         hello.identity.short_hex(),
                     GoodbyeReason::protocol_error);
    return;
  }
  if (const auto admitted = membership_.admit(hello); !admitted.ok()) {
    metrics_.admission_refusals++;
    close_connection(now, connection.id, admitted.error(), GoodbyeReason::not_allowed);
    return;
  }
  if (!resolve_duplicate(now, connection)) return;
  membership_.handle_hello(now, hello);
  bind_author_zone(now, hello.identity, hello.zone);
  if (connection.target) {
    DialTarget& target = targets_[*connection.target];
    target.key = hello.identity;
    target.backoff = config_.dial_backoff_min;
  }
  emit(EventLevel::info, std::string(connection.outbound ? "connected to " : "accepted ") +
                             hello.identity.short_hex() + " (zone " + hello.zone + ", " +
                             connection.address + ")");
  if (config_.liveness_refs) {
    message_buffer_.clear();
    encode_features(wire_feature::liveness_refs, message_buffer_);
    send_message(connection, message_buffer_);
  }
  send_heights(connection);
  // In the full-key form: the peer's Features, if it sends any, have not arrived yet.
  message_buffer_.clear();
  encode_liveness(membership_.liveness_all(), message_buffer_);
  send_message(connection, message_buffer_);
  if (config_.relay == RelayMode::sparse) {
    // The new neighbour hears our links at once; every neighbour at the next heartbeat, even if
    // the set is back to what they heard last by then: the new one must not keep this one.
    message_buffer_.clear();
    encode_links(linked_peers(), message_buffer_);
    send_message(connection, message_buffer_);
    links_advertised_.reset();
  }
}

// Two connections between the same two nodes. If the old one has gone quiet it is a
// half-open leftover (the peer restarted or lost it): the new one wins. Otherwise both were
// dialed at once, and both sides keep the one initiated by the smaller key, so they agree
// without talking. Returns false when `connection` lost.
bool Node::resolve_duplicate(Now now, Connection& connection) {
  for (auto& [id, other] : connections_) {
    if (id == connection.id || other.phase != LinkPhase::established) continue;
    if (other.peer != connection.peer) continue;
    const bool old_is_stale = other.last_received + config_.heartbeat_interval * 2 < now.monotonic;
    const PublicKey& self = identity_.public_key();
    const PublicKey& initiator_new = connection.outbound ? self : *connection.peer;
    const PublicKey& initiator_old = other.outbound ? self : *other.peer;
    const bool keep_new = old_is_stale || initiator_new < initiator_old ||
                          (initiator_new == initiator_old && connection.id > other.id);
    const ConnectionId loser = keep_new ? id : connection.id;
    close_connection(now, loser, "duplicate connection", GoodbyeReason::duplicate);
    return keep_new;
  }
  return true;
}

void Node::on_message(Now now, Connection& connection, ByteView bytes) {
  metrics_.messages_received++;
  if (!config_.liveness_refs && is_compact_liveness_message(bytes)) {
    metrics_.unknown_messages++;  // as a node from before these types: skipped unread
    return;
  }
  auto decoded = decode_message(bytes);
  if (!decoded.ok()) {
    if (decoded.error().code == WireError::unknown_type) {
      metrics_.unknown_messages++;  // a newer peer's message: skip it
      return;
    }
    close_connection(now, connection.id, "protocol error: " + decoded.error().message,
                     GoodbyeReason::protocol_error);
    return;
  }
  Message& message = decoded.value();
  if (config_.trace_messages) trace_message("recv", "from", connection, message);
  if (auto* heights = std::get_if<HeightsMessage>(&message)) {
    on_heights(now, connection, *heights);
  } else if (auto* operations = std::get_if<OperationsMessage>(&message)) {
    on_operations(now, connection, std::move(*operations));
  } else if (auto* liveness = std::get_if<LivenessMessage>(&message)) {
    std::uint64_t own_incarnation_max = 0;
    for (const LivenessEntry& entry : liveness->entries) {
      if (entry.peer == identity_.public_key()) {
        own_incarnation_max = std::max(own_incarnation_max, entry.incarnation);
      }
    }
    on_own_incarnation(now, own_incarnation_max);
    membership_.handle_liveness(now, liveness->entries);
  } else if (auto* links = std::get_if<LinksMessage>(&message)) {
    on_links(connection, std::move(*links));
  } else if (const auto* features = std::get_if<FeaturesMessage>(&message)) {
    MESH_ASSERT(config_.liveness_refs);
    connection.peer_features = features->features;
  } else if (const auto* refs = std::get_if<LivenessRefsMessage>(&message)) {
    MESH_ASSERT(config_.liveness_refs);
    on_liveness_refs(now, connection, *refs);
  } else {
    const auto& goodbye = std::get<GoodbyeMessage>(message);
    close_connection(now, connection.id,
                     std::string("peer said goodbye: ") + to_string(goodbye.reason) +
                         (goodbye.detail.empty() ? "" : " (" + goodbye.detail + ")"),
                     std::nullopt);
  }
}

// Resolves the sender's refs to ours through the connection's table, then handles each entry
// as handle_liveness would. A ref used before its key, or announced twice, cannot come from a
// correct sender over an ordered stream: the connection closes, with nothing of the message
// applied (as a full-form message that fails to decode). A ref above liveness_ref_max (a
// later version with room for more peers) is skipped, as a key that membership, full, could
// not track. Entries naming us only move our incarnation; membership skips them.
void Node::on_liveness_refs(Now now, Connection& connection, const LivenessRefsMessage& message) {
  std::vector<std::uint32_t>& ours = connection.liveness_refs_received;
  // Checked first; ref_pending marks the refs this message announces, and is undone if a
  // later entry breaks the rules.
  for (std::size_t index = 0; index < message.entries.size(); index++) {
    const LivenessRefEntry& entry = message.entries[index];
    if (entry.ref > liveness_ref_max) continue;
    if (entry.ref >= ours.size()) ours.resize(entry.ref + 1, ref_unannounced);
    std::uint32_t& slot = ours[entry.ref];
    const char* broken = nullptr;
    if (entry.key && slot != ref_unannounced) broken = " announced twice";
    if (!entry.key && slot == ref_unannounced) broken = " used before its key";
    if (broken == nullptr) {
      if (entry.key) slot = ref_pending;
      continue;
    }
    for (std::size_t undo = 0; undo < index; undo++) {
      const LivenessRefEntry& earlier = message.entries[undo];
      if (earlier.key && earlier.ref <= liveness_ref_max) ours[earlier.ref] = ref_unannounced;
    }
    close_connection(now, connection.id,
                     "protocol error: liveness ref " + std::to_string(entry.ref) + broken,
                     GoodbyeReason::protocol_error);
    return;
  }
  std::uint64_t own_incarnation_max = 0;
  for (const LivenessRefEntry& entry : message.entries) {
    if (entry.ref > liveness_ref_max) continue;
    std::uint32_t& local = ours[entry.ref];
    if (entry.key) {
      MESH_ASSERT(local == ref_pending);
      local = membership_.track(*entry.key).value_or(ref_ignored);
    }
    MESH_ASSERT(local != ref_unannounced && local != ref_pending);
    if (local == ref_ignored) continue;
    if (local == Membership::self_ref) {
      own_incarnation_max = std::max(own_incarnation_max, entry.incarnation);
    } else {
      membership_.handle_liveness_ref(now, local, entry.incarnation, entry.heartbeat);
    }
  }
  on_own_incarnation(now, own_incarnation_max);
}

// Both sides send their heights when a connection opens and every resync interval, so each
// side learns what the other lacks and pushes it: a heights message never needs a heights
// reply (which could ping-pong). A side asks explicitly only when a batch was cut short or an
// operation arrived beyond a gap.
void Node::on_heights(Now now, Connection& connection, const HeightsMessage& message) {
  // Move past all our incarnations the peer holds at once: moving past them one by one would
  // write a log under each of them on the way, forking the logs of earlier runs of ours
  // (equivocation), which peers then refuse from us and we refuse from them.
  std::uint64_t own_incarnation_max = 0;
  for (const LogHeight& theirs : message.entries) {
    if (theirs.log.author == identity_.public_key()) {
      own_incarnation_max = std::max(own_incarnation_max, theirs.log.incarnation);
    }
  }
  on_own_incarnation(now, own_incarnation_max);
  for (const LogHeight& theirs : message.entries) {
    // An earlier run of ours used this incarnation too (a checkpoint restored twice, a clock
    // stepped back): move on, or every peer holding that run's log refuses ours.
    if (theirs.log == own_log() && forks_own_log(theirs)) on_incarnation_collision(now);
    LogHeight& known = connection.remote[theirs.log];
    known.log = theirs.log;
    // Heights only grow, except when the peer restarted without its state; trust the report.
    known.height = theirs.height;
    known.next_seq = theirs.next_seq;
    known.head = theirs.head;
  }
  for (const LogHeight& ours : logs_.heights()) {
    if (may_lack(connection, ours)) connection.catch_up.insert(ours.log);
  }
}

// Whether the peer is not known to hold all of our log `ours`: fewer live operations (a
// snapshot's can lie below next_seq) or not as far.
bool Node::may_lack(const Connection& connection, const LogHeight& ours) const {
  const auto theirs = connection.remote.find(ours.log);
  return theirs == connection.remote.end() || theirs->second.height < ours.height ||
         theirs->second.next_seq < ours.next_seq;
}

void Node::on_operations(Now now, Connection& connection, OperationsMessage message) {
  // As in on_heights: move past all our incarnations in the batch at once. Only genuine
  // operations count (checked here, before the store would: newer runs of ours are rare), so
  // that a forgery under our key cannot make us move.
  std::uint64_t own_incarnation_max = 0;
  for (const Operation& operation : message.operations) {
    const bool newer_own =
        operation.log().author == identity_.public_key() &&
        operation.log().incarnation > std::max(incarnation_, own_incarnation_max);
    if (newer_own && operation.payload_matches() && operation.verify_signature()) {
      own_incarnation_max = operation.log().incarnation;
    }
  }
  on_own_incarnation(now, own_incarnation_max);
  bool gap = false;
  for (Operation& operation : message.operations) {
    const LogId log = operation.log();
    const bool foreign_own = log == own_log();  // our current log, written elsewhere?
    const std::uint64_t seq = operation.seq();
    InsertResult result = logs_.insert(std::move(operation));
    const bool genuine = result.status != InsertStatus::rejected || result.authentic;
    if (foreign_own && result.status != InsertStatus::duplicate && genuine) {
      // Not an echo of ours, and signed by our key: an earlier run of ours used this
      // incarnation. A forgery or a damaged copy proves nothing and moves nothing.
      on_incarnation_collision(now);
    }
    switch (result.status) {
      case InsertStatus::accepted: break;
      case InsertStatus::duplicate: metrics_.operations_duplicate++; break;
      case InsertStatus::parked:
        metrics_.operations_parked++;
        gap = true;
        break;
      case InsertStatus::obsolete: metrics_.operations_obsolete++; break;
      case InsertStatus::rejected:
        metrics_.operations_rejected++;
        emit(EventLevel::warn,
             "dropped operation from " + connection.peer->short_hex() + ": " + result.reason);
        break;
    }
    if (result.status != InsertStatus::rejected) {
      LogHeight& known = connection.remote[log];
      known.log = log;
      known.next_seq = std::max(known.next_seq, seq + 1);
    }
    for (const AcceptedOperation& accepted : result.accepted)
      on_accepted(now, accepted, &connection);
  }
  if (message.more || gap) send_heights(connection);
}

void Node::on_accepted(Now now, const AcceptedOperation& accepted, const Connection* source) {
  if (source != nullptr) metrics_.operations_accepted++;
  const Operation* operation = logs_.find(accepted.log, accepted.seq);
  if (operation == nullptr) return;  // already compacted by a snapshot in the same batch
  if (accepted.kind == OperationKind::data && operation->key() == peer_record_key()) {
    const auto record = decode_peer_record(operation->payload(), accepted.log);
    if (record.ok()) {
      membership_.handle_record(record.value());
      learn_target(record.value());
      bind_author_zone(now, record.value().key, record.value().zone);
    } else {
      emit(EventLevel::warn, record.error().message);
    }
  }
  // Records are membership's; with no replicated kinds, operations are relayed, not read.
  const bool record = accepted.kind == OperationKind::data && operation->key() == peer_record_key();
  if (!config_.resources.empty() && !record) {
    const std::string author_zone = zone_of(accepted.log.author);
    if (author_zone.empty()) {
      hold_unbound(accepted);
    } else {
      replicate(now, accepted, *operation, author_zone);
    }
  }
  // Eager push: every other neighbour that may lack it gets it at the next flush.
  for (auto& [id, connection] : connections_) {
    if (&connection == source || connection.phase != LinkPhase::established) continue;
    if (relay_skips(connection, accepted.log.author, source)) continue;
    const auto known = connection.remote.find(accepted.log);
    if (known == connection.remote.end() || known->second.next_seq <= accepted.seq) {
      connection.catch_up.insert(accepted.log);
    }
  }
}

// Our own zone, or the zone a record or hello of the author named; "" while none has.
std::string Node::zone_of(const PublicKey& author) const {
  if (author == identity_.public_key()) return config_.zone;
  const auto peer = membership_.peer(author);
  if (peer && !peer->zone.empty()) return peer->zone;
  const auto untracked = untracked_author_zones_.find(author);
  return untracked == untracked_author_zones_.end() ? std::string() : untracked->second;
}

void Node::hold_unbound(const AcceptedOperation& accepted) {
  UnboundOperations& unbound = unbound_[accepted.log.author];
  unbound.accepted.push_back(accepted);
  metrics_.operations_unbound++;
  if (unbound.accepted.size() <= 2 * std::max<std::size_t>(unbound.pruned_count, 64)) return;
  std::erase_if(unbound.accepted, [&](const AcceptedOperation& held) {
    return logs_.find(held.log, held.seq) == nullptr;
  });
  unbound.pruned_count = unbound.accepted.size();
}

void Node::replicate(Now now, const AcceptedOperation& accepted, const Operation& operation,
                     const std::string& author_zone) {
  MESH_ASSERT(!config_.resources.empty());
  MESH_ASSERT(!author_zone.empty());
  if (accepted.kind == OperationKind::snapshot) {
    replication_.handle_snapshot(now, operation, author_zone);
    return;
  }
  if (const auto handled = replication_.handle_operation(now, operation, author_zone);
      !handled.ok()) {
    metrics_.replication_rejected++;
    emit(EventLevel::warn, "ignored " + handled.error().message);
  }
}

// The zone comes from the author's own signed record or its authenticated hello.
void Node::bind_author_zone(Now now, const PublicKey& author, const std::string& zone) {
  if (config_.resources.empty() || zone.empty()) return;
  const auto peer = membership_.peer(author);
  if (!peer || peer->zone != zone) {
    const auto untracked = untracked_author_zones_.find(author);
    if (untracked != untracked_author_zones_.end()) {
      untracked->second = zone;
    } else if (untracked_author_zones_.size() < author_zones_max) {
      untracked_author_zones_.emplace(author, zone);
    }
  }
  replication_.handle_author_zone(now, author, zone);
  const auto found = unbound_.find(author);
  if (found == unbound_.end()) return;
  const std::vector<AcceptedOperation> waiting = std::move(found->second.accepted);
  unbound_.erase(found);
  for (const AcceptedOperation& accepted : waiting) {
    MESH_ASSERT(accepted.log.author == author);
    // One a snapshot compacted since: a later operation of the author, also waiting, says more.
    const Operation* operation = logs_.find(accepted.log, accepted.seq);
    if (operation != nullptr) replicate(now, accepted, *operation, zone);
  }
}

void Node::on_session_failure(Connection& connection) {
  const SessionFailure& failure = *connection.session->failure();
  metrics_.session_failures++;
  if (failure.code == SessionError::network_id_mismatch) metrics_.network_id_mismatches++;
  if (failure.code == SessionError::cipher_mismatch) metrics_.cipher_mismatches++;
  // A cipher mismatch is a configuration error of one of the two zones, as loud as tampering.
  const bool loud = failure.code == SessionError::decrypt_failed ||
                    failure.code == SessionError::cipher_mismatch;
  emit(loud ? EventLevel::warn : EventLevel::info,
       "connection " + peer_name(connection.peer, connection.address) + ": " + failure.message);
}

// ------------------------------------------------------------------------------------------
// Timers

void Node::retry_meshpeers(Now now) {
  const std::set<PublicKey> due = std::move(meshpeer_retry_);
  meshpeer_retry_.clear();
  for (const PublicKey& key : due) {
    const bool self = key == identity_.public_key();
    const auto peer = membership_.peer(key);
    if (!self && !peer) continue;
    const PeerState state = self ? PeerState::ready : peer->state;
    on_peer_state(now, PeerStateChange{.key = key,
                                       .zone = self ? config_.zone : peer->zone,
                                       .incarnation = self ? incarnation_ : peer->incarnation,
                                       .from = state,
                                       .to = state});
  }
}

void Node::on_heartbeat(Now now) {
  if (config_.write_meshpeers) retry_meshpeers(now);
  membership_.tick(now);
  heartbeat_count_++;
  std::vector<PublicKey> links = linked_peers();
  const bool linked_to_all = links.size() >= membership_.peer_count();
  const bool relayed = heartbeat_count_ % liveness_relay_every_ == 0 || !linked_to_all;
  std::vector<std::uint32_t> refs;
  const std::vector<LivenessEntry> changes =
      membership_.take_liveness_changes(relayed, config_.liveness_refs ? &refs : nullptr);
  bool full_encoded = false;
  for (auto& [id, connection] : connections_) {
    if (connection.phase == LinkPhase::established) {
      send_liveness(connection, changes, refs, full_encoded);
    }
  }
  if (config_.relay == RelayMode::sparse) announce_links(std::move(links));
  // Catch up without a burst if the driver fell behind by several intervals.
  while (heartbeat_next_ <= now.monotonic)
    heartbeat_next_ = heartbeat_next_ + config_.heartbeat_interval;
}

// The compact form to a neighbour that announced it, each key once per connection; else the
// full-key form, encoded once for all such neighbours.
void Node::send_liveness(Connection& connection, const std::vector<LivenessEntry>& entries,
                         const std::vector<std::uint32_t>& refs, bool& full_encoded) {
  MESH_ASSERT(refs.size() == (config_.liveness_refs ? entries.size() : 0));
  if (!config_.liveness_refs || (connection.peer_features & wire_feature::liveness_refs) == 0) {
    if (!full_encoded) {
      liveness_buffer_.clear();
      encode_liveness(entries, liveness_buffer_);
      full_encoded = true;
    }
    send_message(connection, liveness_buffer_);
    return;
  }
  message_buffer_.clear();
  encode_liveness_refs(entries, refs, connection.liveness_refs_sent, message_buffer_);
  send_message(connection, message_buffer_);
}

void Node::on_resync(Now now) {
  for (auto& [id, connection] : connections_) {
    if (connection.phase == LinkPhase::established) send_heights(connection);
  }
  while (resync_next_ <= now.monotonic) resync_next_ = resync_next_ + config_.resync_interval;
}

// A dial that the driver never answers counts against the handshake timeout too: a SYN lost
// to a black hole (or a simulated peer reset while the path was cut) would otherwise hold its
// dial target forever, and the peer would never be dialed again (found by the convergence
// property: a zone reported a reachable peer Unavailable for good after a heal).
void Node::check_connection_deadlines(Now now) {
  std::vector<std::pair<ConnectionId, LinkPhase>> expired;
  for (const auto& [id, connection] : connections_) {
    const bool opening = connection.phase != LinkPhase::established;
    if (opening && now.monotonic >= connection.opened_at + config_.handshake_timeout) {
      expired.emplace_back(id, connection.phase);
    } else if (!opening && now.monotonic >= connection.last_received + config_.link_idle_timeout) {
      expired.emplace_back(id, connection.phase);
    }
  }
  for (const auto& [id, phase] : expired) {
    switch (phase) {
      case LinkPhase::connecting:
        metrics_.handshake_timeouts++;
        close_connection(now, id, "connect timeout: the dial was never answered", std::nullopt);
        break;
      case LinkPhase::handshaking:
        metrics_.handshake_timeouts++;
        close_connection(now, id, "handshake timeout", std::nullopt);
        break;
      case LinkPhase::established:
        close_connection(now, id, "link idle: nothing received within the timeout",
                         GoodbyeReason::idle);
        break;
    }
  }
}

void Node::maybe_snapshot(Now now) {
  const bool due = now.monotonic >= snapshot_next_;
  // The deadline moves on whether or not a snapshot is taken: a due deadline left in the past
  // would make next_deadline() ask to be woken at once, forever.
  if (due) snapshot_next_ = now.monotonic + config_.snapshot_interval;
  // Before every replicated kind was listed, a snapshot would withdraw our objects that we
  // have simply not read yet (after a restart without state).
  if (!replication_.ready()) return;
  const std::size_t tail = logs_.tail_count(own_log());
  // The first snapshot of an incarnation follows the initial relist at once: it tells every
  // zone the complete set of objects we own, which is how orphans elsewhere are found.
  const bool first = !snapshot_taken_ && config_.resources.size() > 0 && tail > 0;
  if (tail < config_.snapshot_max_log && !(due && tail > 1) && !first) return;
  const auto snapshot = logs_.snapshot(identity_, incarnation_, replication_.forgettable_keys(now),
                                       now.wall.unix_ms());
  if (!snapshot.ok()) {
    emit(EventLevel::error, "snapshot failed: " + snapshot.error().message);
    return;
  }
  metrics_.snapshots_authored++;
  snapshot_taken_ = true;
  snapshot_next_ = now.monotonic + config_.snapshot_interval;
  on_accepted(now, {snapshot->log(), snapshot->seq(), OperationKind::snapshot}, nullptr);
}

// ------------------------------------------------------------------------------------------
// Connection management

// A peer record arrived: dial that peer too (incremental: this runs once per record, and a
// large mesh has many).
void Node::learn_target(const PeerRecord& record) {
  if (record.endpoints.empty() || record.key == identity_.public_key()) return;
  const auto known = target_index_.find(record.key);
  if (known != target_index_.end()) {
    targets_[known->second].endpoints = record.endpoints;
    return;
  }
  for (std::size_t index = 0; index < targets_.size(); index++) {
    if (targets_[index].key == record.key) {
      target_index_[record.key] = index;
      targets_[index].endpoints = record.endpoints;
      return;
    }
  }
  target_index_[record.key] = targets_.size();
  targets_.push_back(DialTarget{.key = record.key,
                                .endpoints = record.endpoints,
                                .backoff = config_.dial_backoff_min,
                                .next_attempt = Instant::from_ns(0)});
  // Wake up at once to consider the new target.
  dial_next_ = Instant::from_ns(0);
}

void Node::maintain_connections(Now now) {
  if (phase_ != Phase::running) return;
  // A sorted vector rather than a set: this runs on every timer input, and a node per key
  // was 1.5 % of an idle node's instructions.
  std::vector<PublicKey> connected;
  connected.reserve(connections_.size());
  std::size_t outbound = 0;
  for (const auto& [id, connection] : connections_) {
    if (connection.peer) connected.push_back(*connection.peer);
    if (connection.outbound) outbound++;
  }
  std::sort(connected.begin(), connected.end());
  std::vector<std::size_t> eligible;
  dial_next_.reset();
  const bool want_more = outbound < config_.connections_target;
  for (std::size_t index = 0; index < targets_.size(); index++) {
    const DialTarget& target = targets_[index];
    if (target.disabled || target.connection) continue;
    if (target.key && std::binary_search(connected.begin(), connected.end(), *target.key)) {
      continue;
    }
    if (!want_more && !target.configured) continue;
    if (now.monotonic < target.next_attempt) {
      if (!dial_next_ || target.next_attempt < *dial_next_) dial_next_ = target.next_attempt;
      continue;
    }
    eligible.push_back(index);
  }
  // Configured peers first, the rest in random order: a random active view keeps a large
  // mesh connected without every node dialing the same few peers.
  std::stable_partition(eligible.begin(), eligible.end(),
                        [&](std::size_t index) { return targets_[index].configured; });
  const auto first_random = std::find_if(eligible.begin(), eligible.end(),
                                         [&](std::size_t i) { return !targets_[i].configured; });
  for (auto it = eligible.end(); it - first_random > 1; --it) {
    const auto span = static_cast<std::uint64_t>(it - first_random);
    std::iter_swap(it - 1, first_random + static_cast<std::ptrdiff_t>(prng_.below(span)));
  }
  for (const std::size_t index : eligible) {
    const bool configured = targets_[index].configured;
    if (outbound >= config_.connections_target && !configured) break;
    dial(now, index);
    outbound++;
  }
}

void Node::dial(Now now, std::size_t target_index) {
  DialTarget& target = targets_[target_index];
  MESH_ASSERT(!target.endpoints.empty());
  MESH_ASSERT(!target.connection.has_value());
  const std::string address = target.endpoints[target.endpoint_index % target.endpoints.size()];
  const ConnectionId id = next_connection_id_++;
  Connection& connection = connections_[id];
  connection.id = id;
  connection.outbound = true;
  connection.address = address;
  connection.target = target_index;
  connection.phase = LinkPhase::connecting;
  connection.opened_at = now.monotonic;
  connection.last_received = now.monotonic;
  target.connection = id;
  metrics_.connections_dialed++;
  network_out_.push_back(Dial{id, address});
}

void Node::close_connection(Now now, ConnectionId id, const std::string& reason,
                            std::optional<GoodbyeReason> goodbye) {
  const auto found = connections_.find(id);
  if (found == connections_.end()) return;
  Connection& connection = found->second;
  if (goodbye && connection.phase == LinkPhase::established) {
    message_buffer_.clear();
    encode_goodbye({*goodbye, reason}, message_buffer_);
    send_message(connection, message_buffer_);
  }
  if (connection.session && connection.session->has_outgoing()) {
    Bytes bytes = connection.session->take_outgoing();
    metrics_.bytes_sent += bytes.size();
    network_out_.push_back(Send{id, std::move(bytes)});
  }
  network_out_.push_back(Close{id, reason});
  forget_connection(now, id, reason);
}

void Node::forget_connection(Now now, ConnectionId id, const std::string& reason) {
  const auto found = connections_.find(id);
  MESH_ASSERT(found != connections_.end());
  const Connection& connection = found->second;
  metrics_.connections_closed++;
  if (connection.target) {
    DialTarget& target = targets_[*connection.target];
    target.connection.reset();
    if (connection.phase != LinkPhase::established) {
      // Never give up (the seed stopped after five failures): back off, capped.
      target.endpoint_index++;
      target.backoff = std::min(target.backoff * 2, config_.dial_backoff_max);
    }
    target.next_attempt = now.monotonic + jitter(prng_, target.backoff);
    if (!dial_next_ || target.next_attempt < *dial_next_) dial_next_ = target.next_attempt;
  }
  if (connection.phase == LinkPhase::established) {
    emit(EventLevel::info,
         "disconnected from " + peer_name(connection.peer, connection.address) + ": " + reason);
  } else {
    emit(EventLevel::debug, "connection to " + connection.address + " ended: " + reason);
  }
  connections_.erase(found);
}

Session Node::make_session(bool initiator) {
  return Session(SessionOptions{
      .initiator = initiator,
      .network_digest = network_digest_,
      .identity = &identity_,
      .hello = Hello{.identity = identity_.public_key(),
                     .zone = config_.zone,
                     .incarnation = incarnation_,
                     .endpoints = config_.advertised_endpoints},
      .static_keypair = static_keypair_,
      .ephemeral_keypair = noise::keypair_from_secret(key_stream_.next_key()),
      .cipher = config_.cipher,
  });
}

// ------------------------------------------------------------------------------------------
// Outputs

void Node::send_message(Connection& connection, const Bytes& message) {
  MESH_ASSERT(connection.phase == LinkPhase::established);
  metrics_.messages_sent++;
  if (config_.trace_messages) {
    const auto decoded = decode_message(message);
    MESH_ASSERT(decoded.ok());  // we only send what we can decode
    trace_message("send", "to", connection, decoded.value());
  }
  connection.session->send(message);
}

void Node::send_heights(Connection& connection) {
  message_buffer_.clear();
  encode_heights(logs_.heights(), message_buffer_);
  send_message(connection, message_buffer_);
}

// Our established peers, sorted, each once: what a Links message says. Cut to the first
// links_entries_max, as the wire allows no more: a neighbour then relays to us the operations
// of the peers left out (duplicates), never fewer. Dials are not bounded by connections_max,
// only accepts, so a hub can hold more established connections than that.
std::vector<PublicKey> Node::linked_peers() const {
  std::vector<PublicKey> peers = connected_peers();
  peers.erase(std::unique(peers.begin(), peers.end()), peers.end());
  if (peers.size() > links_entries_max) peers.resize(links_entries_max);
  MESH_ASSERT(peers.size() <= links_entries_max);
  return peers;
}

// At a heartbeat: tells every neighbour our links when they changed since the last round. At
// most one Links message per connection per heartbeat, like the heartbeat itself: announcing
// every change at once cost a hub (the bootstrap node of a 1000-zone mesh, linked to most
// zones while they connect) a message to each of its neighbours per connection that opened or
// closed, half a million in 40 simulated seconds. Until the round, a neighbour's view is
// stale: a link it still believes up only delays relays to it by one heartbeat (on_links),
// a link it does not know yet only costs duplicates.
void Node::announce_links(std::vector<PublicKey> peers) {
  MESH_ASSERT(config_.relay == RelayMode::sparse);
  MESH_ASSERT(peers.size() <= links_entries_max);
  if (links_advertised_ && peers == *links_advertised_) return;
  links_advertised_ = std::move(peers);
  message_buffer_.clear();
  encode_links(*links_advertised_, message_buffer_);
  for (auto& [id, connection] : connections_) {
    if (connection.phase == LinkPhase::established) send_message(connection, message_buffer_);
  }
}

void Node::on_links(Connection& connection, LinksMessage message) {
  MESH_ASSERT(connection.phase == LinkPhase::established);
  // A peer it no longer reports may have missed what its author pushed while the link was
  // failing (nothing is acknowledged): push that author's logs again from what the peer is
  // known to hold. Duplicates are dropped by the receiver; sync repairs the rest.
  std::vector<PublicKey> removed;
  std::set_difference(connection.remote_links.begin(), connection.remote_links.end(),
                      message.peers.begin(), message.peers.end(), std::back_inserter(removed));
  MESH_ASSERT(removed.size() <= connection.remote_links.size());
  connection.remote_links = std::move(message.peers);
  MESH_ASSERT(std::is_sorted(connection.remote_links.begin(), connection.remote_links.end()));
  if (removed.empty()) return;
  for (const LogHeight& ours : logs_.heights()) {
    if (!std::binary_search(removed.begin(), removed.end(), ours.log.author)) continue;
    if (may_lack(connection, ours)) connection.catch_up.insert(ours.log);
  }
}

// Only an operation that came straight from its author, who is pushing it to all its
// neighbours at once: one relayed to us may be older than the author's current run (after a
// restart without state, the author no longer holds it), and then the author will not push
// it to anyone, nor could it be skipped towards the author itself.
bool Node::relay_skips(const Connection& connection, const PublicKey& author,
                       const Connection* source) const {
  MESH_ASSERT(connection.phase == LinkPhase::established);
  MESH_ASSERT(&connection != source);
  if (config_.relay != RelayMode::sparse) return false;
  if (source == nullptr || !source->peer || *source->peer != author) return false;
  return std::binary_search(connection.remote_links.begin(), connection.remote_links.end(),
                            author);
}

void Node::send_catch_up(Connection& connection) {
  std::vector<const Operation*> batch;
  bool more = false;
  std::size_t size = 0;
  for (const LogId& log : connection.catch_up) {
    LogHeight& known = connection.remote[log];
    known.log = log;
    const std::size_t count_left = config_.sync_batch_operations_max - batch.size();
    const std::size_t size_left =
        config_.sync_batch_size_max - std::min(size, config_.sync_batch_size_max);
    if (count_left == 0 || (size_left == 0 && !batch.empty())) {
      more = true;
      break;
    }
    const auto missing =
        logs_.missing_for(log, known, count_left, std::max<std::size_t>(size_left, 1));
    for (const Operation* operation : missing.operations) {
      size += operation->encoded_size();
      batch.push_back(operation);
      known.next_seq = std::max(known.next_seq, operation->seq() + 1);
    }
    if (missing.more) {
      more = true;
      break;
    }
    if (const auto ours = logs_.height(log)) known = *ours;
  }
  connection.catch_up.clear();
  if (batch.empty()) return;
  message_buffer_.clear();
  encode_operations(batch, more, message_buffer_);
  send_message(connection, message_buffer_);
}

void Node::flush(Now now) {
  if (phase_ == Phase::running) pump_replication(now);
  for (const PeerStateChange& change : membership_.evaluate(now)) {
    emit(change.to == PeerState::ready ? EventLevel::info : EventLevel::warn,
         "peer " + change.key.short_hex() + " (zone " + change.zone + ") " +
             to_string(change.from) + " -> " + to_string(change.to));
    events_out_.push_back(PeerStateEvent{change, now.wall});
    if (phase_ == Phase::running) on_peer_state(now, change);
  }
  // Takeovers decided just now publish at once. Nothing else reached replication since the
  // first pump (peer state changes only write MeshPeers), so without liveness news a second
  // pump would find nothing to do: it was 2 % of an idle node's instructions.
  if (phase_ == Phase::running && update_zone_liveness(now)) pump_replication(now);
  for (auto& [id, connection] : connections_) {
    if (connection.phase == LinkPhase::established && !connection.catch_up.empty()) {
      send_catch_up(connection);
    }
    if (connection.session && connection.session->has_outgoing()) {
      Bytes bytes = connection.session->take_outgoing();
      metrics_.bytes_sent += bytes.size();
      network_out_.push_back(Send{id, std::move(bytes)});
    }
  }
}

void Node::pump_replication(Now now) {
  // Each round authors what replication published; our own operations come back through
  // on_accepted like anyone's. Bounded: a publication only follows a change of state.
  for (int round = 0; round < 16; round++) {
    replication_.reconcile(now);
    bool published = false;
    while (auto publication = replication_.poll_publication()) {
      const auto operation = logs_.append(identity_, incarnation_, publication->key,
                                          std::move(publication->payload), now.wall.unix_ms());
      if (!operation.ok()) {
        emit(EventLevel::error, "cannot publish: " + operation.error().message);
        continue;
      }
      metrics_.operations_authored++;
      on_accepted(now, {operation->log(), operation->seq(), operation->kind()}, nullptr);
      published = true;
    }
    if (!published) break;
  }
  while (auto request = replication_.poll_request()) {
    metrics_.kube_requests++;
    kube_out_.push_back(std::move(*request));
  }
  maybe_snapshot(now);
}

void Node::on_peer_state(Now now, const PeerStateChange& change) {
  if (!config_.write_meshpeers) return;
  const auto peer = membership_.peer(change.key);
  const bool self = change.key == identity_.public_key();
  const MeshPeerView view{.key = change.key,
                          .zone = change.zone,
                          .endpoints = self ? config_.advertised_endpoints
                                            : (peer ? peer->endpoints : std::vector<std::string>{}),
                          .incarnation = change.incarnation,
                          .state = change.to};
  meshpeer_retry_.erase(change.key);
  for (KubeRequest& request : meshpeers_.update(now.wall, view, change.from != change.to)) {
    request.id = next_meshpeer_request_++;
    if (request.kind.is(KindSlot::meshpeer)) meshpeer_requests_[request.id] = change.key;
    metrics_.kube_requests++;
    kube_out_.push_back(std::move(request));
  }
}

// Which zones are alive, for takeovers: a zone is alive while any of its peers is not
// Unavailable. Zones we never heard of count as alive until we have been up long enough to
// have heard of them.
bool Node::update_zone_liveness(Now now) {
  // Deltas only: this runs after every input.
  const bool unknown_alive = now.monotonic - started_at_ < config_.peer_unavailable_after;
  auto changes = membership_.take_zone_changes();
  if (changes.empty() && unknown_zones_alive_ == unknown_alive) return false;
  unknown_zones_alive_ = unknown_alive;
  replication_.handle_liveness_changes(now, changes, unknown_alive);
  return true;
}

void Node::trace_message(const char* verb, const char* preposition, const Connection& connection,
                         const Message& message) {
  std::string summary;
  if (const auto* heights = std::get_if<HeightsMessage>(&message)) {
    summary = "heights";
    for (const LogHeight& entry : heights->entries) {
      summary += " " + entry.log.to_string() + ":" + std::to_string(entry.height) + "/" +
                 std::to_string(entry.next_seq);
    }
  } else if (const auto* operations = std::get_if<OperationsMessage>(&message)) {
    summary = "operations";
    for (const Operation& operation : operations->operations) {
      summary += " " + operation.log().to_string() + "#" + std::to_string(operation.seq()) +
                 (operation.kind() == OperationKind::snapshot ? "(snapshot)" : "");
    }
    if (operations->more) summary += " more";
  } else if (const auto* liveness = std::get_if<LivenessMessage>(&message)) {
    summary = "liveness";
    for (const LivenessEntry& entry : liveness->entries) {
      summary += " " + entry.peer.short_hex() + "=" + std::to_string(entry.heartbeat);
    }
  } else if (const auto* links = std::get_if<LinksMessage>(&message)) {
    summary = "links";
    for (const PublicKey& peer : links->peers) summary += " " + peer.short_hex();
  } else if (const auto* features = std::get_if<FeaturesMessage>(&message)) {
    summary = "features " + std::to_string(features->features);
  } else if (const auto* refs = std::get_if<LivenessRefsMessage>(&message)) {
    // The sender's refs; "ref:key" where the entry carries the key.
    summary = "liveness refs";
    for (const LivenessRefEntry& entry : refs->entries) {
      summary += " " + std::to_string(entry.ref) + (entry.key ? ":" + entry.key->short_hex() : "") +
                 "=" + std::to_string(entry.heartbeat);
    }
  } else {
    summary = std::string("goodbye ") + to_string(std::get<GoodbyeMessage>(message).reason);
  }
  emit(EventLevel::debug, std::string(verb) + " " + summary + " " + preposition + " " +
                              peer_name(connection.peer, connection.address));
}

void Node::emit(EventLevel level, std::string message) {
  events_out_.push_back(LogEvent{level, std::move(message)});
}

std::optional<NetworkCommand> Node::poll_network() {
  if (network_out_.empty()) return std::nullopt;
  NetworkCommand command = std::move(network_out_.front());
  network_out_.pop_front();
  return command;
}

std::optional<Event> Node::poll_event() {
  if (events_out_.empty()) return std::nullopt;
  Event event = std::move(events_out_.front());
  events_out_.pop_front();
  return event;
}

std::optional<KubeRequest> Node::poll_kube() {
  if (kube_out_.empty()) return std::nullopt;
  KubeRequest request = std::move(kube_out_.front());
  kube_out_.pop_front();
  return request;
}

std::optional<Instant> Node::next_deadline() const {
  if (phase_ != Phase::running) return std::nullopt;
  Instant next = std::min({heartbeat_next_, resync_next_, snapshot_next_});
  for (const auto& [id, connection] : connections_) {
    if (connection.phase != LinkPhase::established) {
      next = std::min(next, connection.opened_at + config_.handshake_timeout);
    } else {
      next = std::min(next, connection.last_received + config_.link_idle_timeout);
    }
  }
  if (dial_next_) next = std::min(next, *dial_next_);
  if (const auto transition = membership_.next_transition()) next = std::min(next, *transition);
  if (const auto retry = replication_.next_deadline()) next = std::min(next, *retry);
  return next;
}

std::vector<PublicKey> Node::connected_peers() const {
  std::vector<PublicKey> peers;
  for (const auto& [id, connection] : connections_) {
    if (connection.phase == LinkPhase::established) peers.push_back(*connection.peer);
  }
  std::sort(peers.begin(), peers.end());
  return peers;
}

}  // namespace mesh::engine
