// TestNet: a small in-test network of engine Nodes with one shared virtual clock.
//
// Like quinn's Pair, generalized to N nodes: step() processes the earliest pending event
// (a delivery, a connection result or a node deadline) and jumps time to it; drive_until()
// steps until a condition holds or a virtual-time budget is spent. Links are TCP-like: ordered
// and reliable while up; a blocked link stalls (bytes wait, as TCP retransmits would) until it
// is unblocked or either side closes the connection. No threads, no clocks: deterministic.
//
// The simulator (io_sim) is the full version of this; the engine tests need only this much.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <queue>
#include <set>
#include <string>
#include <vector>

#include "engine/node.h"
#include "tests/support/keys.h"

namespace mesh::test {

class TestNet {
 public:
  struct Options {
    Duration latency = Duration::from_ms(5);
    std::int64_t wall_offset_ms = 1'700'000'000'000;
  };

  TestNet() : TestNet(Options{}) {}
  explicit TestNet(Options options) : options_(options) {}

  static std::string address_of(std::size_t index) {
    return "node" + std::to_string(index) + ":9102";
  }

  // A config for node `index` with the zone "zone<index>" and fast timers for tests.
  static engine::Config default_config(std::size_t index) {
    engine::Config config;
    config.zone = "zone" + std::to_string(index);
    config.network_id = "test-network";
    config.incarnation = 1000 + index;
    config.rng_seed = 42 + index;
    config.key_stream_seed.fill(static_cast<std::uint8_t>(index + 1));
    config.advertised_endpoints = {address_of(index)};
    return config;
  }

  std::size_t add_node(engine::Config config) {
    const std::size_t index = nodes_.size();
    identities_.push_back(test_identity(static_cast<std::uint8_t>(index + 1)));
    nodes_.push_back(std::make_unique<engine::Node>(config, identities_.back()));
    events_.emplace_back();
    kube_requests_.emplace_back();
    return index;
  }

  // The bootstrap entry for node `index`; identities depend only on the index.
  static engine::BootstrapPeer bootstrap_to(std::size_t index) {
    return engine::BootstrapPeer{
        .key = test_identity(static_cast<std::uint8_t>(index + 1)).public_key(),
        .endpoints = {address_of(index)}};
  }

  void start(std::size_t index) {
    nodes_[index]->handle_start(now_of(index));
    drain(index);
  }
  void start_all() {
    for (std::size_t i = 0; i < nodes_.size(); i++) start(i);
  }
  void stop(std::size_t index) {
    nodes_[index]->handle_shutdown(now_of(index));
    drain(index);
  }
  // Pause: the process stops (SIGSTOP, a VM freeze) without a goodbye, keeping its memory;
  // what arrives for it waits, as in the kernel's buffers, until resume.
  void pause(std::size_t index) { paused_.insert(index); }
  void resume(std::size_t index) {
    paused_.erase(index);
    release_stalled();
  }

  void block(std::size_t a, std::size_t b) { blocked_.insert({std::min(a, b), std::max(a, b)}); }
  void unblock(std::size_t a, std::size_t b) {
    blocked_.erase({std::min(a, b), std::max(a, b)});
    release_stalled();
  }
  void isolate(std::size_t a) {
    for (std::size_t b = 0; b < nodes_.size(); b++) {
      if (b != a) block(a, b);
    }
  }
  void heal_all() {
    blocked_.clear();
    release_stalled();
  }

  // Authors an operation at node `index` now and hands its output to the network.
  Result<std::uint64_t, engine::OperationFailure> publish(std::size_t index, const std::string& key,
                                                          Bytes payload) {
    auto seq = nodes_[index]->publish(now_of(index), engine::blake2b_256(as_bytes(key)),
                                      std::move(payload));
    drain(index);
    return seq;
  }

  engine::Node& node(std::size_t index) { return *nodes_[index]; }
  const engine::Identity& identity(std::size_t index) const { return identities_[index]; }
  const std::vector<engine::Event>& events(std::size_t index) const { return events_[index]; }
  // Kubernetes writes the node asked for (no API server here: nobody answers them).
  const std::vector<engine::KubeRequest>& kube_requests(std::size_t index) const {
    return kube_requests_[index];
  }
  Instant now() const { return now_; }
  std::size_t size() const { return nodes_.size(); }

  // Called for every event a node emits, with the virtual time it was emitted at.
  std::function<void(std::size_t, Instant, const engine::Event&)> on_event;

  // Processes the earliest pending event; false when nothing is pending at all.
  bool step() {
    const std::optional<Instant> deadline = earliest_deadline();
    if (!pending_.empty() && (!deadline || pending_.top().at <= *deadline)) {
      Pending next = pending_.top();
      pending_.pop();
      now_ = std::max(now_, next.at);
      deliver(next);
      return true;
    }
    if (!deadline) return false;
    now_ = std::max(now_, *deadline);
    for (std::size_t i = 0; i < nodes_.size(); i++) {
      if (paused_.count(i) != 0) continue;
      const auto node_deadline = nodes_[i]->next_deadline();
      if (node_deadline && *node_deadline <= now_) {
        nodes_[i]->handle_timeout(now_of(i));
        drain(i);
      }
    }
    return true;
  }

  // Steps until `done()` holds; false if `budget` of virtual time passes first. A step budget
  // catches a node that asks to be woken at the same instant forever.
  bool drive_until(const std::function<bool()>& done, Duration budget) {
    const Instant limit = now_ + budget;
    std::uint64_t steps = 0;
    while (!done()) {
      if (now_ > limit || !step()) return done();
      MESH_ASSERT(++steps < step_budget);
    }
    return true;
  }
  // Runs for `duration` of virtual time.
  void drive_for(Duration duration) {
    const Instant limit = now_ + duration;
    std::uint64_t steps = 0;
    while (now_ <= limit) {
      MESH_ASSERT(++steps < step_budget);
      const auto deadline = earliest_deadline();
      const bool has_pending = !pending_.empty() && pending_.top().at <= limit;
      if (!has_pending && (!deadline || *deadline > limit)) break;
      if (!step()) break;
    }
    now_ = std::max(now_, limit);
  }

 private:
  enum class Kind { deliver_bytes, connect, closed };
  struct Pending {
    Instant at;
    std::uint64_t sequence = 0;
    Kind kind = Kind::deliver_bytes;
    std::size_t node = 0;  // receiver
    engine::ConnectionId connection = 0;
    Bytes bytes;
    std::size_t dialer = 0;  // for connect
    bool operator>(const Pending& other) const {
      return at != other.at ? at > other.at : sequence > other.sequence;
    }
  };
  struct Endpoint {
    std::size_t node = 0;
    engine::ConnectionId connection = 0;
    auto operator<=>(const Endpoint&) const = default;
  };

  Now now_of(std::size_t index) const {
    (void)index;
    return Now{now_, WallTime::from_unix_ms(options_.wall_offset_ms) + (now_ - Instant())};
  }

  std::optional<Instant> earliest_deadline() const {
    std::optional<Instant> earliest;
    for (std::size_t i = 0; i < nodes_.size(); i++) {
      if (paused_.count(i) != 0) continue;
      const auto deadline = nodes_[i]->next_deadline();
      if (deadline && (!earliest || *deadline < *earliest)) earliest = deadline;
    }
    if (earliest && *earliest < now_) earliest = now_;
    return earliest;
  }

  bool is_blocked(std::size_t a, std::size_t b) const {
    return blocked_.count({std::min(a, b), std::max(a, b)}) != 0 || paused_.count(a) != 0 ||
           paused_.count(b) != 0;
  }

  void schedule(Pending pending) {
    pending.sequence = sequence_++;
    pending_.push(std::move(pending));
  }

  std::optional<std::size_t> resolve(const std::string& address) const {
    for (std::size_t i = 0; i < nodes_.size(); i++) {
      if (address_of(i) == address) return i;
    }
    return std::nullopt;
  }

  void drain(std::size_t index) {
    engine::Node& node = *nodes_[index];
    while (auto command = node.poll_network()) {
      if (auto* dial = std::get_if<engine::Dial>(&*command)) {
        on_dial(index, *dial);
      } else if (auto* send = std::get_if<engine::Send>(&*command)) {
        on_send(index, *send);
      } else {
        on_close(index, std::get<engine::Close>(*command));
      }
    }
    while (auto event = node.poll_event()) {
      if (on_event) on_event(index, now_, *event);
      events_[index].push_back(std::move(*event));
    }
    while (auto request = node.poll_kube()) kube_requests_[index].push_back(std::move(*request));
  }

  void on_dial(std::size_t from, const engine::Dial& dial) {
    const auto target = resolve(dial.address);
    Pending pending{.at = now_ + options_.latency, .node = from, .connection = dial.connection};
    pending.dialer = from;
    if (!target || is_blocked(from, *target)) {
      pending.kind = Kind::closed;  // refused or timed out
    } else {
      pending.kind = Kind::connect;
      pending.node = *target;
    }
    schedule(std::move(pending));
  }

  void on_send(std::size_t from, engine::Send& send) {
    const auto peer = links_.find({from, send.connection});
    if (peer == links_.end()) return;
    Pending pending{.at = now_ + options_.latency,
                    .kind = Kind::deliver_bytes,
                    .node = peer->second.node,
                    .connection = peer->second.connection,
                    .bytes = std::move(send.bytes)};
    if (is_blocked(from, peer->second.node)) {
      stalled_.push_back(std::move(pending));
    } else {
      schedule(std::move(pending));
    }
  }

  void on_close(std::size_t from, const engine::Close& close) {
    const auto peer = links_.find({from, close.connection});
    if (peer == links_.end()) return;
    const Endpoint other = peer->second;
    // Only our side goes: bytes we sent before closing still reach the peer, as with TCP.
    links_.erase(peer);
    schedule(Pending{.at = now_ + options_.latency,
                     .kind = Kind::closed,
                     .node = other.node,
                     .connection = other.connection});
  }

  void deliver(const Pending& pending) {
    if (paused_.count(pending.node) != 0) {
      stalled_.push_back(pending);
      return;
    }
    engine::Node& node = *nodes_[pending.node];
    const Now now = now_of(pending.node);
    switch (pending.kind) {
      case Kind::deliver_bytes:
        if (links_.count({pending.node, pending.connection}) == 0) return;
        node.handle_bytes(now, pending.connection, pending.bytes);
        break;
      case Kind::connect: {
        if (is_blocked(pending.dialer, pending.node)) {
          nodes_[pending.dialer]->handle_closed(now, pending.connection, "connection refused");
          drain(pending.dialer);
          return;
        }
        const engine::ConnectionId accepted = node.handle_accept(now, "peer");
        links_[{pending.node, accepted}] = {pending.dialer, pending.connection};
        links_[{pending.dialer, pending.connection}] = {pending.node, accepted};
        drain(pending.node);
        nodes_[pending.dialer]->handle_connected(now, pending.connection);
        drain(pending.dialer);
        return;
      }
      case Kind::closed:
        links_.erase({pending.node, pending.connection});
        node.handle_closed(now, pending.connection, "connection closed");
        break;
    }
    drain(pending.node);
  }

  void release_stalled() {
    std::vector<Pending> still;
    for (Pending& pending : stalled_) {
      if (pending.kind == Kind::connect) {
        if (paused_.count(pending.node) != 0) {
          still.push_back(std::move(pending));
        } else {
          pending.at = now_ + options_.latency;
          schedule(std::move(pending));
        }
        continue;
      }
      const auto link = links_.find({pending.node, pending.connection});
      if (link == links_.end()) continue;  // the connection died meanwhile
      if (is_blocked(pending.node, link->second.node) || paused_.count(pending.node) != 0) {
        still.push_back(std::move(pending));
      } else {
        pending.at = now_ + options_.latency;
        schedule(std::move(pending));
      }
    }
    stalled_ = std::move(still);
  }

  static constexpr std::uint64_t step_budget = 10'000'000;

  Options options_;
  Instant now_ = Instant::from_ns(1'000'000'000);
  std::vector<engine::Identity> identities_;
  std::vector<std::unique_ptr<engine::Node>> nodes_;
  std::vector<std::vector<engine::Event>> events_;
  std::vector<std::vector<engine::KubeRequest>> kube_requests_;
  std::priority_queue<Pending, std::vector<Pending>, std::greater<>> pending_;
  std::vector<Pending> stalled_;
  std::map<Endpoint, Endpoint> links_;
  std::set<std::pair<std::size_t, std::size_t>> blocked_;
  std::set<std::size_t> paused_;
  std::uint64_t sequence_ = 0;
};

}  // namespace mesh::test
