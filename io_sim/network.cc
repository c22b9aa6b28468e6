#include "io_sim/network.h"

#include <algorithm>

namespace mesh::io_sim {

Network::Network(std::uint64_t seed) : prng_(seed) {}

HostId Network::add_host(const std::string& address) {
  MESH_ASSERT(addresses_.count(address) == 0);
  const HostId id = hosts_.size();
  hosts_.push_back(Host{.address = address});
  addresses_[address] = id;
  return id;
}

std::optional<HostId> Network::resolve(const std::string& address) const {
  const auto found = addresses_.find(address);
  if (found == addresses_.end()) return std::nullopt;
  return found->second;
}

void Network::set_latency(HostId a, HostId b, const LatencyModel& model) {
  latency_[{a, b}] = model;
  latency_[{b, a}] = model;
}

void Network::set_bandwidth(HostId a, HostId b, std::uint64_t bytes_per_second) {
  bandwidth_[{a, b}] = bytes_per_second;
  bandwidth_[{b, a}] = bytes_per_second;
}

Duration Network::sample_latency(HostId from, HostId to) {
  const auto found = latency_.find({from, to});
  return (found == latency_.end() ? default_latency_ : found->second).sample(prng_);
}

void Network::block(HostId from, HostId to) {
  blocked_.insert({from, to});
}

void Network::unblock(Instant now, HostId from, HostId to) {
  blocked_.erase({from, to});
  release_stalled(now);
}

bool Network::blocked(HostId from, HostId to) const {
  return blocked_.count({from, to}) != 0;
}

void Network::heal(Instant now) {
  blocked_.clear();
  release_stalled(now);
}

void Network::set_host_down(Instant now, HostId host, bool down) {
  hosts_.at(host).down = down;
  if (down) reset_host(now, host);
}

void Network::push_control(NetEvent event) {
  control_.emplace(std::make_pair(event.at.ns(), sequence_++), std::move(event));
}

void Network::connect(Instant now, HostId host, ConnectionToken token, const std::string& address) {
  MESH_ASSERT(hosts_.at(host).connections.count(token) == 0);
  const auto target = resolve(address);
  if (!target || hosts_[*target].down || *target == host) {
    stats_.connections_refused++;
    push_control({.kind = NetEvent::Kind::refused,
                  .at = now + sample_latency(host, host),
                  .host = host,
                  .token = token,
                  .reason = "connection refused"});
    return;
  }
  if (blocked(host, *target) || blocked(*target, host)) {
    stats_.connections_refused++;
    push_control({.kind = NetEvent::Kind::refused,
                  .at = now + connect_timeout,
                  .host = host,
                  .token = token,
                  .reason = "connection timed out"});
    return;
  }
  const std::uint64_t id = next_connection_++;
  Host& remote = hosts_[*target];
  const ConnectionToken accept_token = remote.next_accept_token++;
  const Instant accepted_at = now + sample_latency(host, *target);
  const Instant connected_at = accepted_at + sample_latency(*target, host);
  Connection& connection = connections_[id];
  connection.forward = Direction{.from = host,
                                 .to = *target,
                                 .to_token = accept_token,
                                 .free_at = now,
                                 .delivered_at = accepted_at};
  connection.backward = Direction{
      .from = *target, .to = host, .to_token = token, .free_at = now, .delivered_at = connected_at};
  connection.established = true;
  connection.connected_at = connected_at;
  hosts_[host].connections[token] = id;
  remote.connections[accept_token] = id;
  stats_.connections_opened++;
  push_control({.kind = NetEvent::Kind::accepted,
                .at = accepted_at,
                .host = *target,
                .token = accept_token,
                .remote = hosts_[host].address});
  push_control(
      {.kind = NetEvent::Kind::connected, .at = connected_at, .host = host, .token = token});
}

Network::Direction* Network::direction_of(std::uint64_t connection, bool forward) {
  const auto found = connections_.find(connection);
  if (found == connections_.end()) return nullptr;
  return forward ? &found->second.forward : &found->second.backward;
}

void Network::send(Instant now, HostId host, ConnectionToken token, Bytes bytes) {
  const auto found = hosts_.at(host).connections.find(token);
  if (found == hosts_[host].connections.end()) return;  // already closed on our side
  const Connection& connection = connections_.at(found->second);
  const bool forward = connection.forward.from == host;
  stats_.segments_sent++;
  stats_.bytes_sent += bytes.size();
  enqueue(now, found->second, forward, std::move(bytes), false);
}

void Network::enqueue(Instant now, std::uint64_t connection, bool forward, Bytes bytes, bool fin) {
  Direction& direction = *direction_of(connection, forward);
  Instant start = std::max(now, direction.free_at);
  const auto bandwidth = bandwidth_.find({direction.from, direction.to});
  if (bandwidth != bandwidth_.end() && bandwidth->second > 0) {
    const auto serialize_ns =
        static_cast<std::int64_t>(bytes.size() * 1'000'000'000ULL / bandwidth->second);
    start = start + Duration::from_ns(serialize_ns);
    direction.free_at = start;
  }
  // TCP keeps order: a segment never arrives before the one sent ahead of it.
  const Instant at =
      std::max(start + sample_latency(direction.from, direction.to), direction.delivered_at);
  direction.delivered_at = at;
  direction.segments.push_back(Segment{at, std::move(bytes), fin});
  if (direction.segments.size() == 1) schedule_head(direction, connection, forward);
}

void Network::schedule_head(Direction& direction, std::uint64_t connection, bool forward) {
  if (direction.segments.empty() || blocked(direction.from, direction.to)) {
    direction.scheduled = false;
    return;
  }
  direction.scheduled = true;
  heads_.push(Scheduled{direction.segments.front().at, sequence_++, connection, forward});
}

void Network::close(Instant now, HostId host, ConnectionToken token) {
  Host& local = hosts_.at(host);
  const auto found = local.connections.find(token);
  if (found == local.connections.end()) return;
  const std::uint64_t id = found->second;
  local.connections.erase(found);
  Connection& connection = connections_.at(id);
  const bool forward = connection.forward.from == host;
  // We will not read any more: what was on its way to us is discarded.
  Direction& incoming = forward ? connection.backward : connection.forward;
  incoming.segments.clear();
  incoming.scheduled = false;
  const Direction& outgoing = forward ? connection.forward : connection.backward;
  if (hosts_[outgoing.to].connections.count(outgoing.to_token) == 0) {
    drop_connection(id);  // the peer closed already: nothing left to tell it
    return;
  }
  enqueue(now, id, forward, Bytes(), true);
}

void Network::drop_connection(std::uint64_t connection) {
  const auto found = connections_.find(connection);
  if (found == connections_.end()) return;
  for (const Direction* direction : {&found->second.forward, &found->second.backward}) {
    hosts_[direction->to].connections.erase(direction->to_token);
  }
  connections_.erase(found);
}

void Network::reset_host(Instant now, HostId host) {
  std::vector<std::uint64_t> ids;
  for (const auto& [token, id] : hosts_.at(host).connections) ids.push_back(id);
  for (const std::uint64_t id : ids) {
    Connection& connection = connections_.at(id);
    const Direction& outgoing =
        connection.forward.from == host ? connection.forward : connection.backward;
    // The RST reaches the peer if its path is open; otherwise the peer finds out by timeout:
    // its own keepalives once connected, or, while its connect is still unanswered, the
    // kernel's connect timeout (without that event its dial would wait forever).
    const bool peer_open = hosts_[outgoing.to].connections.count(outgoing.to_token) != 0;
    if (peer_open && !blocked(outgoing.from, outgoing.to)) {
      push_control({.kind = NetEvent::Kind::closed,
                    .at = now + sample_latency(outgoing.from, outgoing.to),
                    .host = outgoing.to,
                    .token = outgoing.to_token,
                    .reason = "connection reset by peer"});
    } else if (peer_open && connection.forward.to == host && now < connection.connected_at) {
      push_control({.kind = NetEvent::Kind::refused,
                    .at = now + connect_timeout,
                    .host = outgoing.to,
                    .token = outgoing.to_token,
                    .reason = "connection timed out"});
    }
    stats_.resets++;
    drop_connection(id);
  }
}

bool Network::reset_random(Instant now) {
  if (connections_.empty()) return false;
  auto it = connections_.begin();
  std::advance(it, static_cast<std::ptrdiff_t>(prng_.below(connections_.size())));
  const std::uint64_t id = it->first;
  for (const Direction* direction : {&it->second.forward, &it->second.backward}) {
    if (hosts_[direction->to].connections.count(direction->to_token) == 0) continue;
    push_control({.kind = NetEvent::Kind::closed,
                  .at = now,
                  .host = direction->to,
                  .token = direction->to_token,
                  .reason = "connection reset"});
  }
  stats_.resets++;
  drop_connection(id);
  return true;
}

void Network::release_stalled(Instant now) {
  for (auto& [id, connection] : connections_) {
    for (const bool forward : {true, false}) {
      Direction& direction = forward ? connection.forward : connection.backward;
      if (direction.scheduled || direction.segments.empty()) continue;
      if (blocked(direction.from, direction.to)) continue;
      // Retransmission after the path opens: one latency from now, order kept.
      Instant floor = now;
      for (Segment& segment : direction.segments) {
        segment.at = std::max(now + sample_latency(direction.from, direction.to), floor);
        floor = segment.at;
      }
      direction.delivered_at = std::max(direction.delivered_at, floor);
      schedule_head(direction, id, forward);
    }
  }
}

std::optional<Instant> Network::next_event_time() const {
  std::optional<Instant> next;
  if (!heads_.empty()) next = heads_.top().at;
  if (!control_.empty()) {
    const Instant at = Instant::from_ns(control_.begin()->first.first);
    if (!next || at < *next) next = at;
  }
  return next;
}

std::optional<NetEvent> Network::pop_due(Instant now) {
  while (true) {
    const bool has_head = !heads_.empty() && heads_.top().at <= now;
    const bool has_control =
        !control_.empty() && Instant::from_ns(control_.begin()->first.first) <= now;
    if (!has_head && !has_control) return std::nullopt;
    const bool take_control =
        has_control &&
        (!has_head ||
         std::make_pair(control_.begin()->first.first, control_.begin()->first.second) <
             std::make_pair(heads_.top().at.ns(), heads_.top().sequence));
    if (take_control) {
      NetEvent event = std::move(control_.begin()->second);
      control_.erase(control_.begin());
      // An accepted or connected event for a connection already gone is stale.
      const bool alive = event.kind == NetEvent::Kind::refused ||
                         event.kind == NetEvent::Kind::closed ||
                         hosts_[event.host].connections.count(event.token) != 0;
      if (alive) return event;
      continue;
    }
    const Scheduled head = heads_.top();
    heads_.pop();
    Direction* direction = direction_of(head.connection, head.forward);
    if (direction == nullptr || !direction->scheduled || direction->segments.empty() ||
        direction->segments.front().at != head.at) {
      continue;  // stale: the direction was cleared, stalled or re-timed
    }
    if (blocked(direction->from, direction->to)) {
      direction->scheduled = false;  // stalls until unblock
      continue;
    }
    Segment segment = std::move(direction->segments.front());
    direction->segments.pop_front();
    const HostId to = direction->to;
    const ConnectionToken to_token = direction->to_token;
    const std::uint64_t connection = head.connection;
    direction->scheduled = false;
    schedule_head(*direction, connection, head.forward);
    stats_.segments_delivered++;
    if (segment.fin) {
      drop_connection(connection);
      return NetEvent{.kind = NetEvent::Kind::closed,
                      .at = head.at,
                      .host = to,
                      .token = to_token,
                      .reason = "connection closed by peer"};
    }
    return NetEvent{.kind = NetEvent::Kind::data,
                    .at = head.at,
                    .host = to,
                    .token = to_token,
                    .bytes = std::move(segment.bytes)};
  }
}

}  // namespace mesh::io_sim
