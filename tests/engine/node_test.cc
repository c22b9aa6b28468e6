#include "engine/node.h"

#include <functional>

#include <gtest/gtest.h>

#include "engine/json_util.h"
#include "tests/support/test_net.h"

namespace mesh::engine {
namespace {

using test::TestNet;

const Duration budget = Duration::from_seconds(60);

bool has_log_event(const std::vector<Event>& events, const std::string& text) {
  for (const Event& event : events) {
    const auto* log = std::get_if<LogEvent>(&event);
    if (log != nullptr && log->message.find(text) != std::string::npos) return true;
  }
  return false;
}

std::vector<PeerStateEvent> state_events(const std::vector<Event>& events, const PublicKey& peer) {
  std::vector<PeerStateEvent> out;
  for (const Event& event : events) {
    const auto* change = std::get_if<PeerStateEvent>(&event);
    if (change != nullptr && change->change.key == peer) out.push_back(*change);
  }
  return out;
}

TEST(Node, OperationAuthoredAtAReachesCThroughB) {
  // A — B — C: A and C know only B, and the direct link A–C is cut.
  Config a = TestNet::default_config(0);
  Config c = TestNet::default_config(2);
  TestNet line;
  a.bootstrap = {TestNet::bootstrap_to(1)};
  c.bootstrap = {TestNet::bootstrap_to(1)};
  line.add_node(a);
  line.add_node(TestNet::default_config(1));
  line.add_node(c);
  line.block(0, 2);
  line.start_all();
  ASSERT_TRUE(line.drive_until([&] { return line.node(1).connected_peers().size() == 2; }, budget));
  const auto seq = line.publish(0, "app1", Bytes{'h', 'i'});
  ASSERT_TRUE(seq.ok());
  const LogId log = line.node(0).own_log();
  ASSERT_TRUE(
      line.drive_until([&] { return line.node(2).logs().find(log, *seq) != nullptr; }, budget));
  const Operation* received = line.node(2).logs().find(log, *seq);
  EXPECT_TRUE(received->verify_signature());
  EXPECT_EQ(received->payload(), (Bytes{'h', 'i'}));
  // The direct link stayed cut: the operation went through B.
  const auto connected = line.node(2).connected_peers();
  EXPECT_EQ(connected, std::vector<PublicKey>{line.identity(1).public_key()});
}

// A full mesh, node i in `modes[i]`: publishes three operations at node 0 once the mesh is
// complete and returns the duplicates each node received meanwhile.
std::vector<std::uint64_t> duplicates_in_full_mesh(const std::vector<RelayMode>& modes) {
  TestNet mesh;
  for (std::size_t index = 0; index < modes.size(); index++) {
    Config config = TestNet::default_config(index);
    if (index > 0) config.bootstrap = {TestNet::bootstrap_to(0)};
    config.relay = modes[index];
    mesh.add_node(config);
  }
  mesh.start_all();
  const auto complete = [&] {
    for (std::size_t index = 0; index < modes.size(); index++) {
      if (mesh.node(index).connected_peers().size() != modes.size() - 1) return false;
    }
    return true;
  };
  EXPECT_TRUE(mesh.drive_until(complete, budget));
  mesh.drive_for(Duration::from_seconds(1));  // the duplicate connections settle
  std::vector<std::uint64_t> duplicates;
  for (std::size_t index = 0; index < modes.size(); index++) {
    duplicates.push_back(mesh.node(index).metrics().operations_duplicate);
  }
  for (const char* key : {"app1", "app2", "app3"}) {
    EXPECT_TRUE(mesh.publish(0, key, Bytes{'x'}).ok());
  }
  const LogId log = mesh.node(0).own_log();
  EXPECT_TRUE(mesh.drive_until(
      [&] {
        for (std::size_t index = 1; index < modes.size(); index++) {
          if (mesh.node(index).logs().find(log, 3) == nullptr) return false;
        }
        return true;
      },
      budget));
  mesh.drive_for(Duration::from_ms(200));
  for (std::size_t index = 0; index < modes.size(); index++) {
    duplicates[index] = mesh.node(index).metrics().operations_duplicate - duplicates[index];
  }
  return duplicates;
}

TEST(Node, SparseRelayModeSendsEachOperationOnceInAFullMesh) {
  const std::vector<RelayMode> sparse(4, RelayMode::sparse);
  EXPECT_EQ(duplicates_in_full_mesh(sparse), (std::vector<std::uint64_t>{0, 0, 0, 0}));
  // relay=all: each receiver gets every operation again from both other receivers. The
  // author gets none: the receivers know it holds what it sent them.
  const std::vector<RelayMode> all(4, RelayMode::all);
  EXPECT_EQ(duplicates_in_full_mesh(all), (std::vector<std::uint64_t>{0, 6, 6, 6}));
}

TEST(Node, PeersThatReportNoLinksStillGetRelays) {
  // Node 2 relays everything and reports no links, as a node from before Links would: node 1
  // cannot know that node 2 holds a link to the author, so it relays to it (3 duplicates at
  // node 2), and node 2 relays to node 1 (3 at node 1).
  const std::vector<RelayMode> mixed = {RelayMode::sparse, RelayMode::sparse, RelayMode::all};
  EXPECT_EQ(duplicates_in_full_mesh(mixed), (std::vector<std::uint64_t>{0, 3, 3}));
}

TEST(Node, PeerRecordsSpreadSoOneBootstrapAddressIsEnough) {
  TestNet net;
  net.add_node(TestNet::default_config(0));
  for (std::size_t i = 1; i < 5; i++) {
    Config config = TestNet::default_config(i);
    config.bootstrap = {net.bootstrap_to(0)};
    net.add_node(config);
  }
  net.start_all();
  // Every node ends up connected to every other (5 <= connections_target + inbound).
  ASSERT_TRUE(net.drive_until(
      [&] {
        for (std::size_t i = 0; i < net.size(); i++) {
          if (net.node(i).connected_peers().size() != net.size() - 1) return false;
        }
        return true;
      },
      budget));
  for (std::size_t i = 0; i < net.size(); i++) {
    for (const PeerView& peer : net.node(i).membership().peers()) {
      EXPECT_EQ(peer.state, PeerState::ready);
      EXPECT_FALSE(peer.zone.empty());
    }
  }
}

TEST(Node, WrongNetworkIdFailsOnBothSidesWithThatReason) {
  TestNet net;
  Config a = TestNet::default_config(0);
  Config b = TestNet::default_config(1);
  b.network_id = "another-network";
  a.bootstrap = {TestNet::bootstrap_to(1)};
  net.add_node(a);
  net.add_node(b);
  net.start_all();
  net.drive_for(Duration::from_seconds(2));
  EXPECT_GE(net.node(0).metrics().network_id_mismatches, 1u);
  EXPECT_GE(net.node(1).metrics().network_id_mismatches, 1u);
  EXPECT_TRUE(has_log_event(net.events(0), "network id mismatch"));
  EXPECT_TRUE(has_log_event(net.events(1), "network id mismatch"));
  EXPECT_TRUE(net.node(0).connected_peers().empty());
}

TEST(Node, SilentPeerGoesNotReadyThenUnavailableThenReadyOnReturn) {
  TestNet net;
  Config a = TestNet::default_config(0);
  Config b = TestNet::default_config(1);
  for (Config* config : {&a, &b}) {
    config->peer_suspect_after = Duration::from_seconds(5);
    config->peer_unavailable_after = Duration::from_seconds(30);
  }
  a.bootstrap = {TestNet::bootstrap_to(1)};
  net.add_node(a);
  net.add_node(b);
  net.start_all();
  const PublicKey b_key = net.identity(1).public_key();
  ASSERT_TRUE(net.drive_until(
      [&] { return net.node(0).membership().state(b_key) == PeerState::ready; }, budget));
  const Instant paused_at = net.now();
  net.pause(1);
  ASSERT_TRUE(net.drive_until(
      [&] { return net.node(0).membership().state(b_key) == PeerState::not_ready; }, budget));
  const Duration to_not_ready = net.now() - paused_at;
  EXPECT_GE(to_not_ready, Duration::from_seconds(4));
  EXPECT_LE(to_not_ready, Duration::from_seconds(7));
  ASSERT_TRUE(net.drive_until(
      [&] { return net.node(0).membership().state(b_key) == PeerState::unavailable; }, budget));
  const Duration to_unavailable = net.now() - paused_at;
  EXPECT_GE(to_unavailable, Duration::from_seconds(29));
  EXPECT_LE(to_unavailable, Duration::from_seconds(32));
  net.resume(1);
  ASSERT_TRUE(net.drive_until(
      [&] { return net.node(0).membership().state(b_key) == PeerState::ready; }, budget));
  const auto changes = state_events(net.events(0), b_key);
  ASSERT_GE(changes.size(), 4u);
  EXPECT_EQ(changes[changes.size() - 3].change.to, PeerState::not_ready);
  EXPECT_EQ(changes[changes.size() - 2].change.to, PeerState::unavailable);
  EXPECT_EQ(changes[changes.size() - 1].change.to, PeerState::ready);
}

TEST(Node, IndirectEvidenceKeepsAPeerReadyWhenOnlyTheDirectLinkIsCut) {
  TestNet net;
  for (std::size_t i = 0; i < 3; i++) {
    Config config = TestNet::default_config(i);
    if (i > 0) config.bootstrap = {TestNet::bootstrap_to(0)};
    net.add_node(config);
  }
  net.start_all();
  const PublicKey c_key = net.identity(2).public_key();
  ASSERT_TRUE(net.drive_until(
      [&] {
        return net.node(0).connected_peers().size() == 2 &&
               net.node(1).connected_peers().size() == 2;
      },
      budget));
  const std::size_t events_before = state_events(net.events(0), c_key).size();
  net.block(0, 2);
  net.drive_for(Duration::from_seconds(20));
  // A hears C's heartbeats through B, which is linked to every peer and so relays them every
  // second heartbeat (relay=sparse): never suspected, not even while A's own link to C still
  // counted as up.
  EXPECT_EQ(net.node(0).membership().state(c_key), PeerState::ready);
  EXPECT_EQ(state_events(net.events(0), c_key).size(), events_before);
}

// Nodes n0 .. n(size - 1), each bootstrapped to the one before, with every link but those
// between neighbours blocked (and the one closing the ring, if `ring`); `configure` adjusts
// each node's config.
void add_line(TestNet& net, std::size_t size, bool ring,
              const std::function<void(std::size_t, Config&)>& configure = {}) {
  for (std::size_t i = 0; i < size; i++) {
    Config config = TestNet::default_config(i);
    if (i > 0) config.bootstrap = {TestNet::bootstrap_to(i - 1)};
    if (configure) configure(i, config);
    net.add_node(config);
  }
  for (std::size_t a = 0; a < size; a++) {
    for (std::size_t b = a + 2; b < size; b++) {
      if (!(ring && a == 0 && b == size - 1)) net.block(a, b);
    }
  }
}

// Nodes that announce the compact liveness form and nodes that do not (as a node that
// predates it) relay each other's evidence, each receiving only the form it understands: the
// chain n0 - n1 - n2 - n3 with n2 off, n3 hearing n0 only over two relays, one in each form.
TEST(Node, LivenessEvidenceCrossesNodesOfBothForms) {
  constexpr std::size_t chain_size = 4;
  TestNet net;
  add_line(net, chain_size, false, [](std::size_t i, Config& config) {
    config.liveness_refs = i != 2;
    config.trace_messages = true;
  });
  net.start_all();
  const PublicKey first = net.identity(0).public_key();
  const std::size_t last = chain_size - 1;
  ASSERT_TRUE(net.drive_until(
      [&] { return net.node(last).membership().state(first) == PeerState::ready; }, budget));
  const std::size_t events_before = state_events(net.events(last), first).size();
  net.drive_for(Duration::from_seconds(20));
  EXPECT_EQ(net.node(last).membership().state(first), PeerState::ready);
  EXPECT_EQ(state_events(net.events(last), first).size(), events_before);
  // Received liveness messages of node `index` in the compact form, and in the full one.
  const auto received = [&](std::size_t index) {
    std::pair<std::size_t, std::size_t> counts{0, 0};
    for (const Event& event : net.events(index)) {
      const auto* log = std::get_if<LogEvent>(&event);
      if (log == nullptr) continue;
      if (log->message.starts_with("recv liveness refs ")) {
        counts.first++;
      } else if (log->message.starts_with("recv liveness ")) {
        counts.second++;
      }
    }
    return counts;
  };
  // n0 and n1 talk in the compact form (each has one full message, sent before the other's
  // Features arrived); n2 hears only the full form, and so does n3, whose only neighbour is n2.
  EXPECT_GT(received(0).first, 20u);
  EXPECT_EQ(received(0).second, 1u);
  EXPECT_GT(received(1).first, 20u);
  EXPECT_GT(received(1).second, 20u) << "from n2";
  EXPECT_EQ(received(2).first, 0u);
  EXPECT_GT(received(2).second, 20u);
  EXPECT_EQ(received(3).first, 0u);
  EXPECT_GT(received(3).second, 20u);
}

// The same between two nodes that both announce it: after the handshake, every heartbeat.
TEST(Node, NodesThatBothAnnounceTheFormSendOnlyIt) {
  TestNet net;
  for (std::size_t i = 0; i < 2; i++) {
    Config config = TestNet::default_config(i);
    if (i > 0) config.bootstrap = {TestNet::bootstrap_to(0)};
    config.trace_messages = true;
    net.add_node(config);
  }
  net.start_all();
  net.drive_for(Duration::from_seconds(10));
  EXPECT_EQ(net.node(1).membership().state(net.identity(0).public_key()), PeerState::ready);
  std::size_t full = 0;
  std::size_t compact = 0;
  for (const Event& event : net.events(1)) {
    const auto* log = std::get_if<LogEvent>(&event);
    if (log == nullptr) continue;
    if (log->message.starts_with("recv liveness refs")) {
      compact++;
    } else if (log->message.starts_with("recv liveness")) {
      full++;
    }
  }
  EXPECT_EQ(full, 1u) << "only the first, sent before the peer's Features arrived";
  EXPECT_GE(compact, 9u);
}

// A ring of five, n0 - n1 - n2 - n3 - n4 - n0, whose link n0 - n4 then fails: n4 hears n0 only
// over three relays. Evidence ages by up to a relay interval per hop, so relays that skipped
// every other heartbeat (relay=sparse, but no node here is linked to every peer) could leave
// n4 six heartbeats behind n0, past peer_suspect_after (five).
TEST(Node, IndirectEvidenceOverThreeHopsKeepsAPeerReady) {
  constexpr std::size_t ring_size = 5;
  TestNet net;
  add_line(net, ring_size, true);
  net.start_all();
  const PublicKey first = net.identity(0).public_key();
  ASSERT_TRUE(net.drive_until(
      [&] {
        for (std::size_t i = 0; i < ring_size; i++) {
          if (net.node(i).connected_peers().size() != 2) return false;
        }
        return net.node(ring_size - 1).membership().state(first) == PeerState::ready;
      },
      budget));
  const std::size_t events_before = state_events(net.events(ring_size - 1), first).size();
  net.block(0, ring_size - 1);
  net.drive_for(Duration::from_seconds(30));
  EXPECT_EQ(net.node(ring_size - 1).membership().state(first), PeerState::ready);
  EXPECT_EQ(state_events(net.events(ring_size - 1), first).size(), events_before)
      << "n0 was suspected while n4 still heard it over the ring";
}

TEST(Node, ShutdownSaysGoodbyeAndPeersSeeTheReason) {
  TestNet net;
  net.add_node(TestNet::default_config(0));
  Config b = TestNet::default_config(1);
  b.bootstrap = {net.bootstrap_to(0)};
  net.add_node(b);
  net.start_all();
  ASSERT_TRUE(net.drive_until([&] { return net.node(0).connected_peers().size() == 1; }, budget));
  net.stop(1);
  net.drive_for(Duration::from_seconds(1));
  EXPECT_TRUE(net.node(0).connected_peers().empty());
  EXPECT_TRUE(has_log_event(net.events(0), "goodbye: shutdown"));
}

TEST(Node, SnapshotsBoundTheLogAndLatePeersStillConverge) {
  TestNet net;
  Config a = TestNet::default_config(0);
  a.snapshot_max_log = 8;
  net.add_node(a);
  Config b = TestNet::default_config(1);
  b.bootstrap = {net.bootstrap_to(0)};
  net.add_node(b);
  net.start(0);
  for (int i = 0; i < 50; i++) {
    ASSERT_TRUE(net.publish(0, "app" + std::to_string(i % 5), Bytes(100, 7)).ok());
  }
  EXPECT_LE(net.node(0).logs().tail_count(net.node(0).own_log()), 8u);
  EXPECT_LE(net.node(0).logs().stats().operation_count, 5u + 1u + 8u + 1u);
  net.start(1);
  const LogId log = net.node(0).own_log();
  ASSERT_TRUE(net.drive_until(
      [&] { return net.node(1).logs().height(log) == net.node(0).logs().height(log); }, budget));
  EXPECT_EQ(net.node(1).logs().live_operations(log).size(),
            net.node(0).logs().live_operations(log).size());
}

TEST(Node, SameInputsGiveTheSameOutputs) {
  // Determinism: two identical runs produce identical event logs and log heights.
  const auto run = [] {
    TestNet net;
    net.add_node(TestNet::default_config(0));
    for (std::size_t i = 1; i < 4; i++) {
      Config config = TestNet::default_config(i);
      config.bootstrap = {net.bootstrap_to(0)};
      net.add_node(config);
    }
    net.start_all();
    net.drive_for(Duration::from_seconds(3));
    (void)net.publish(2, "x", Bytes{1, 2, 3});
    net.isolate(3);
    net.drive_for(Duration::from_seconds(10));
    net.heal_all();
    net.drive_for(Duration::from_seconds(10));
    std::string trace;
    for (std::size_t i = 0; i < net.size(); i++) {
      for (const Event& event : net.events(i)) {
        if (const auto* log = std::get_if<LogEvent>(&event)) trace += log->message + "\n";
      }
      for (const LogHeight& height : net.node(i).logs().heights()) {
        trace += height.log.to_string() + "@" + std::to_string(height.height) + "\n";
      }
    }
    return trace;
  };
  const std::string first = run();
  EXPECT_FALSE(first.empty());
  EXPECT_EQ(first, run());
}

}  // namespace
}  // namespace mesh::engine

namespace mesh::engine {
namespace {

// A peer driven by the test itself: a real Session, talking to one Node through the node's
// driver API, so the test can send anything (forged operations, tampered frames).
class RawPeer {
 public:
  RawPeer(Node& node, std::uint8_t index, Instant now)
      : node_(node),
        identity_(test::test_identity(index)),
        session_(SessionOptions{
            .initiator = true,
            .network_digest = network_digest(node.config().network_id),
            .identity = &identity_,
            .hello = Hello{.identity = identity_.public_key(), .zone = "raw"},
            .static_keypair = noise::keypair_from_secret(std::array<std::uint8_t, 32>{index}),
            .ephemeral_keypair =
                noise::keypair_from_secret(std::array<std::uint8_t, 32>{index, 1})}),
        now_(now) {
    connection_ = node_.handle_accept(clock(), "raw");
    pump();
  }

  void pump() {
    for (int round = 0; round < 20; round++) {
      bool moved = false;
      while (auto command = node_.poll_network()) {
        if (auto* send = std::get_if<Send>(&*command); send && send->connection == connection_) {
          session_.handle_bytes(send->bytes);
          moved = true;
        } else if (auto* close = std::get_if<Close>(&*command);
                   close && close->connection == connection_) {
          closed_reason_ = close->reason;
        }
      }
      while (auto message = session_.poll_message()) received_.push_back(std::move(*message));
      if (session_.has_outgoing()) {
        const Bytes bytes = session_.take_outgoing();
        node_.handle_bytes(clock(), connection_, bytes);
        moved = true;
      }
      if (!moved) return;
    }
  }
  void send(const Bytes& message) {
    session_.send(message);
    pump();
  }
  void send_raw(const Bytes& bytes) {
    node_.handle_bytes(clock(), connection_, bytes);
    pump();
  }
  Session& session() { return session_; }
  const std::optional<std::string>& closed_reason() const { return closed_reason_; }
  ConnectionId connection() const { return connection_; }
  const PublicKey& key() const { return identity_.public_key(); }
  // Delivers a command of the node's for this connection (see pump_all); false if not ours.
  bool take(const NetworkCommand& command) {
    if (const auto* send = std::get_if<Send>(&command); send && send->connection == connection_) {
      session_.handle_bytes(send->bytes);
      while (auto message = session_.poll_message()) received_.push_back(std::move(*message));
      return true;
    }
    const auto* close = std::get_if<Close>(&command);
    if (close == nullptr || close->connection != connection_) return false;
    closed_reason_ = close->reason;
    return true;
  }
  // Hands what this peer queued to the node; false if there was nothing.
  bool flush_to_node(Now now) {
    if (!session_.has_outgoing()) return false;
    node_.handle_bytes(now, connection_, session_.take_outgoing());
    return true;
  }
  // The messages received of one type, decoded, in order.
  template <typename T>
  std::vector<T> received_of() const {
    std::vector<T> out;
    for (const Bytes& bytes : received_) {
      auto decoded = decode_message(bytes);
      if (!decoded.ok()) continue;
      if (auto* message = std::get_if<T>(&decoded.value())) out.push_back(std::move(*message));
    }
    return out;
  }

 private:
  Now clock() const { return Now{now_, WallTime::from_unix_ms(1)}; }
  Node& node_;
  Identity identity_;
  Session session_;
  Instant now_;
  ConnectionId connection_ = 0;
  std::vector<Bytes> received_;
  std::optional<std::string> closed_reason_;
};

// Moves bytes both ways between the node and several raw peers until nothing moves.
void pump_all(Node& node, Now now, std::initializer_list<RawPeer*> peers) {
  for (int round = 0; round < 50; round++) {
    bool moved = false;
    while (auto command = node.poll_network()) {
      for (RawPeer* peer : peers) {
        if (peer->take(*command)) break;
      }
      moved = true;
    }
    for (RawPeer* peer : peers) moved = peer->flush_to_node(now) || moved;
    if (!moved) return;
  }
  ADD_FAILURE() << "pump_all: still moving after 50 rounds";
}

// Runs the node's timers up to and including its next deadline.
Now run_next_deadline(Node& node) {
  const auto deadline = node.next_deadline();
  EXPECT_TRUE(deadline.has_value());
  const Now now{*deadline, WallTime::from_unix_ms(1)};
  node.handle_timeout(now);
  return now;
}

Node started_node() {
  Node node(TestNet::default_config(0), test::test_identity(1));
  node.handle_start(Now{Instant::from_ns(1), WallTime::from_unix_ms(1)});
  while (node.poll_network()) {
  }
  return node;
}

TEST(NodeRawPeer, ForgedOperationIsDroppedCountedAndNotRelayed) {
  Node node = started_node();
  RawPeer attacker(node, 9, Instant::from_ns(2));
  ASSERT_EQ(attacker.session().state(), SessionState::established);
  // Signed by the attacker, claiming to be the node's own peer 3.
  const Identity victim = test::test_identity(3);
  const Identity forger = test::test_identity(9);
  auto genuine = Operation::create(forger, {.log = {forger.public_key(), 1}}, Bytes{6, 6});
  ASSERT_TRUE(genuine.ok());
  Bytes op_bytes;
  genuine->encode(op_bytes);
  std::copy(victim.public_key().bytes.begin(), victim.public_key().bytes.end(),
            op_bytes.begin() + 2);
  const auto forged = Operation::decode(op_bytes);
  ASSERT_TRUE(forged.ok());
  Bytes message;
  encode_operations({&forged.value()}, false, message);
  attacker.send(message);
  EXPECT_EQ(node.metrics().operations_rejected, 1u);
  EXPECT_FALSE(node.logs().height({victim.public_key(), 1}).has_value());
}

// Sparse relaying skips a neighbour linked to the author only for what came straight from
// the author: an operation of the author's that another peer relays may be one the author no
// longer holds (an earlier run's), so it still goes to that neighbour.
TEST(NodeRawPeer, OnlyWhatCameFromItsAuthorSkipsANeighbourLinkedToTheAuthor) {
  Node node = started_node();
  const Now now{Instant::from_ns(2), WallTime::from_unix_ms(1)};
  RawPeer author(node, 3, now.monotonic);
  RawPeer relay(node, 4, now.monotonic);
  RawPeer linked(node, 5, now.monotonic);
  pump_all(node, now, {&author, &relay, &linked});
  Bytes links;
  encode_links({author.key()}, links);
  linked.session().send(links);
  pump_all(node, now, {&author, &relay, &linked});
  const Identity author_identity = test::test_identity(3);
  const LogId log{author_identity.public_key(), 7};
  auto first = Operation::create(author_identity, {.log = log, .seq = 0}, Bytes{1});
  ASSERT_TRUE(first.ok());
  auto second = Operation::create(
      author_identity, {.log = log, .seq = 1, .backlink = first->hash()}, Bytes{2});
  ASSERT_TRUE(second.ok());
  Bytes message;
  encode_operations({&first.value()}, false, message);
  relay.session().send(message);  // the author's operation, relayed by another peer
  pump_all(node, now, {&author, &relay, &linked});
  message.clear();
  encode_operations({&second.value()}, false, message);
  author.session().send(message);  // straight from the author
  pump_all(node, now, {&author, &relay, &linked});
  ASSERT_NE(node.logs().find(log, 1), nullptr);
  std::vector<std::uint64_t> seqs;
  for (const OperationsMessage& operations : linked.received_of<OperationsMessage>()) {
    for (const Operation& operation : operations.operations) seqs.push_back(operation.seq());
  }
  EXPECT_EQ(seqs, std::vector<std::uint64_t>{0}) << "relayed: pushed; from the author: skipped";
}

// A neighbour that connects while the node's links change must not keep the set it heard at
// connection time once the set is back to what the others heard last: the next heartbeat
// tells everyone again.
TEST(NodeRawPeer, AReconnectedNeighbourHearsTheLinksAgainAtTheNextHeartbeat) {
  Node node = started_node();
  Now now{Instant::from_ns(2), WallTime::from_unix_ms(1)};
  RawPeer first(node, 3, now.monotonic);
  pump_all(node, now, {&first});
  now = run_next_deadline(node);  // the first heartbeat announces {first}
  pump_all(node, now, {&first});
  ASSERT_FALSE(first.received_of<LinksMessage>().empty());
  EXPECT_EQ(first.received_of<LinksMessage>().back().peers, std::vector<PublicKey>{first.key()});
  RawPeer other(node, 4, now.monotonic);                // links {first, other}
  RawPeer again(node, 3, now.monotonic);                // first reconnects; hears both
  pump_all(node, now, {&first, &other, &again});
  ASSERT_FALSE(again.received_of<LinksMessage>().empty());
  EXPECT_EQ(again.received_of<LinksMessage>().back().peers.size(), 2u);
  node.handle_closed(now, other.connection(), "gone");  // back to {first}
  now = run_next_deadline(node);
  pump_all(node, now, {&first, &other, &again});
  ASSERT_FALSE(again.received_of<LinksMessage>().empty());
  EXPECT_EQ(again.received_of<LinksMessage>().back().peers, std::vector<PublicKey>{again.key()});
}

TEST(NodeRawPeer, TamperedReplayedAndOversizeFramesCloseTheConnection) {
  {
    Node node = started_node();
    RawPeer peer(node, 9, Instant::from_ns(2));
    peer.session().send(as_bytes("x"));
    Bytes wire = peer.session().take_outgoing();
    wire.back() ^= 1;
    peer.send_raw(wire);
    ASSERT_TRUE(peer.closed_reason().has_value());
    EXPECT_NE(peer.closed_reason()->find("authentication"), std::string::npos);
  }
  {
    Node node = started_node();
    RawPeer peer(node, 9, Instant::from_ns(2));
    Bytes heights;
    encode_heights({}, heights);
    peer.session().send(heights);
    const Bytes wire = peer.session().take_outgoing();
    peer.send_raw(wire);
    EXPECT_FALSE(peer.closed_reason().has_value());
    peer.send_raw(wire);  // replay
    ASSERT_TRUE(peer.closed_reason().has_value());
  }
  {
    Node node = started_node();
    RawPeer peer(node, 9, Instant::from_ns(2));
    peer.send_raw(Bytes{0xff, 0xff, 0xff, 0x7f});
    ASSERT_TRUE(peer.closed_reason().has_value());
    EXPECT_NE(peer.closed_reason()->find("exceeds"), std::string::npos);
  }
}

TEST(NodeRawPeer, MalformedMessageIsAProtocolErrorNotACrash) {
  Node node = started_node();
  RawPeer peer(node, 9, Instant::from_ns(2));
  peer.send(Bytes{1, 2, 0xff, 0xff, 0xff, 0xff, 1});  // operations, absurd count
  ASSERT_TRUE(peer.closed_reason().has_value());
  EXPECT_NE(peer.closed_reason()->find("protocol error"), std::string::npos);
}

TEST(NodeRawPeer, UnknownMessageTypesAreSkipped) {
  Node node = started_node();
  RawPeer peer(node, 9, Instant::from_ns(2));
  peer.send(Bytes{1, 77, 1, 2, 3});
  EXPECT_FALSE(peer.closed_reason().has_value());
  EXPECT_EQ(node.metrics().unknown_messages, 1u);
}

// The raw peer's LivenessRefs message of `entries`.
Bytes liveness_refs_bytes(std::vector<LivenessRefEntry> entries) {
  Bytes bytes;
  encode_liveness_refs(entries, bytes);
  return bytes;
}

TEST(NodeRawPeer, HeartbeatsTakeTheCompactFormOnceThePeerAnnouncedIt) {
  Node node = started_node();
  Now now{Instant::from_ns(2), WallTime::from_unix_ms(1)};
  RawPeer peer(node, 3, now.monotonic);
  pump_all(node, now, {&peer});
  ASSERT_EQ(peer.received_of<FeaturesMessage>().size(), 1u);
  EXPECT_EQ(peer.received_of<FeaturesMessage>()[0].features, wire_feature::liveness_refs);
  now = run_next_deadline(node);
  pump_all(node, now, {&peer});
  EXPECT_TRUE(peer.received_of<LivenessRefsMessage>().empty()) << "not announced yet";
  const std::size_t full_before = peer.received_of<LivenessMessage>().size();
  Bytes features;
  encode_features(wire_feature::liveness_refs, features);
  peer.send(features);
  for (int beat = 0; beat < 2; beat++) {
    now = run_next_deadline(node);
    pump_all(node, now, {&peer});
  }
  EXPECT_EQ(peer.received_of<LivenessMessage>().size(), full_before);
  const auto compact = peer.received_of<LivenessRefsMessage>();
  ASSERT_EQ(compact.size(), 2u);
  const PublicKey& self = node.membership().self();
  EXPECT_EQ(compact[0].entries.at(0).ref, Membership::self_ref);
  EXPECT_EQ(compact[0].entries.at(0).key, std::optional<PublicKey>(self)) << "first: with key";
  EXPECT_EQ(compact[1].entries.at(0).key, std::nullopt) << "then the ref alone";
  EXPECT_GT(compact[1].entries.at(0).heartbeat, compact[0].entries.at(0).heartbeat);
}

TEST(NodeRawPeer, LivenessRefsAdvancePeersAsTheFullFormDoes) {
  Node node = started_node();
  const Now now{Instant::from_ns(2), WallTime::from_unix_ms(1)};
  RawPeer peer(node, 3, now.monotonic);
  const PublicKey other = test::test_identity(7).public_key();
  peer.send(liveness_refs_bytes({{.ref = 0, .key = peer.key(), .incarnation = 0, .heartbeat = 5},
                                 {.ref = 4, .key = other, .incarnation = 9, .heartbeat = 2}}));
  peer.send(liveness_refs_bytes({{.ref = 4, .incarnation = 9, .heartbeat = 3},
                                 {.ref = 0, .incarnation = 0, .heartbeat = 6}}));
  EXPECT_FALSE(peer.closed_reason().has_value());
  ASSERT_TRUE(node.membership().peer(other).has_value()) << "a key first heard this way is tracked";
  EXPECT_EQ(node.membership().peer(other)->heartbeat, 3u);
  EXPECT_EQ(node.membership().peer(other)->incarnation, 9u);
  EXPECT_EQ(node.membership().peer(peer.key())->heartbeat, 6u);
  // Our own key under a newer incarnation than ours moves us past it, as in the full form.
  const std::uint64_t ours = node.incarnation();
  peer.send(liveness_refs_bytes(
      {{.ref = 1, .key = node.membership().self(), .incarnation = ours + 100, .heartbeat = 1}}));
  EXPECT_GT(node.incarnation(), ours + 100);
}

// A node configured as one from before the compact form skips its messages unread, however
// malformed, and never announces or sends it.
TEST(NodeRawPeer, ANodeWithoutTheCompactFormSkipsItsMessagesUnread) {
  Config config = TestNet::default_config(0);
  config.liveness_refs = false;
  Node node(config, test::test_identity(1));
  Now now{Instant::from_ns(1), WallTime::from_unix_ms(1)};
  node.handle_start(now);
  while (node.poll_network()) {
  }
  RawPeer peer(node, 3, Instant::from_ns(2));
  Bytes features;
  encode_features(wire_feature::liveness_refs, features);
  peer.send(features);
  peer.send(liveness_refs_bytes({{.ref = 0, .key = peer.key(), .incarnation = 0, .heartbeat = 5}}));
  peer.send(Bytes{1, 7, 0xff, 0xff, 0xff});  // a body that does not decode
  EXPECT_FALSE(peer.closed_reason().has_value());
  EXPECT_EQ(node.metrics().unknown_messages, 3u);
  EXPECT_EQ(node.membership().peer(peer.key())->heartbeat, 0u) << "the refs were not read";
  now = run_next_deadline(node);
  pump_all(node, now, {&peer});
  EXPECT_TRUE(peer.received_of<FeaturesMessage>().empty());
  EXPECT_TRUE(peer.received_of<LivenessRefsMessage>().empty());
  EXPECT_FALSE(peer.received_of<LivenessMessage>().empty());
}

// The tables belong to a connection: a reconnected peer is sent every key again.
TEST(NodeRawPeer, AReconnectedPeerIsSentTheKeysAgain) {
  Node node = started_node();
  Now now{Instant::from_ns(2), WallTime::from_unix_ms(1)};
  Bytes features;
  encode_features(wire_feature::liveness_refs, features);
  const auto first_compact_carries_key = [&](RawPeer& peer) {
    peer.send(features);
    for (int beat = 0; beat < 2; beat++) {
      now = run_next_deadline(node);
      pump_all(node, now, {&peer});
    }
    const auto compact = peer.received_of<LivenessRefsMessage>();
    return compact.size() == 2 && compact[0].entries.at(0).key.has_value() &&
           !compact[1].entries.at(0).key.has_value();
  };
  RawPeer first(node, 3, now.monotonic);
  EXPECT_TRUE(first_compact_carries_key(first));
  node.handle_closed(now, first.connection(), "reset");
  RawPeer again(node, 3, now.monotonic);
  EXPECT_TRUE(first_compact_carries_key(again));
}

// A ref above what this version sends comes from a later version with room for more peers:
// skipped, like a key full membership cannot track, not a protocol error.
TEST(NodeRawPeer, RefsAboveThisVersionsLimitAreSkipped) {
  Node node = started_node();
  RawPeer peer(node, 3, Instant::from_ns(2));
  const PublicKey other = test::test_identity(7).public_key();
  const auto beyond = static_cast<std::uint32_t>(liveness_ref_max + 1);
  peer.send(liveness_refs_bytes({{.ref = beyond, .key = other, .incarnation = 1, .heartbeat = 1},
                                 {.ref = 0, .key = peer.key(), .incarnation = 0, .heartbeat = 4}}));
  peer.send(liveness_refs_bytes({{.ref = beyond, .incarnation = 1, .heartbeat = 2}}));
  EXPECT_FALSE(peer.closed_reason().has_value());
  EXPECT_FALSE(node.membership().peer(other).has_value());
  EXPECT_EQ(node.membership().peer(peer.key())->heartbeat, 4u);
}

TEST(NodeRawPeer, ALivenessRefUsedBeforeItsKeyOrAnnouncedTwiceIsAProtocolError) {
  {
    Node node = started_node();
    RawPeer peer(node, 3, Instant::from_ns(2));
    // The first entry is fine, the second breaks the rule: nothing of the message applies.
    const PublicKey other = test::test_identity(7).public_key();
    peer.send(liveness_refs_bytes({{.ref = 1, .key = other, .incarnation = 1, .heartbeat = 1},
                                   {.ref = 2, .incarnation = 1, .heartbeat = 1}}));
    ASSERT_TRUE(peer.closed_reason().has_value());
    EXPECT_NE(peer.closed_reason()->find("liveness ref 2 used before its key"), std::string::npos)
        << *peer.closed_reason();
    EXPECT_FALSE(node.membership().peer(other).has_value());
  }
  {
    Node node = started_node();
    RawPeer peer(node, 3, Instant::from_ns(2));
    peer.send(liveness_refs_bytes({{.ref = 0, .key = peer.key(), .incarnation = 1}}));
    EXPECT_FALSE(peer.closed_reason().has_value());
    peer.send(liveness_refs_bytes(
        {{.ref = 0, .key = test::test_identity(8).public_key(), .incarnation = 1}}));
    ASSERT_TRUE(peer.closed_reason().has_value());
    EXPECT_NE(peer.closed_reason()->find("liveness ref 0 announced twice"), std::string::npos)
        << *peer.closed_reason();
  }
}

TEST(NodeRawPeer, RestrictedAdmissionRefusesUnknownKeys) {
  Config config = TestNet::default_config(0);
  config.admission = Admission::restricted;
  config.trusted_peers = {{test::test_identity(5).public_key(), std::string("zone5")}};
  Node node(config, test::test_identity(1));
  node.handle_start(Now{Instant::from_ns(1), WallTime::from_unix_ms(1)});
  while (node.poll_network()) {
  }
  RawPeer stranger(node, 9, Instant::from_ns(2));
  ASSERT_TRUE(stranger.closed_reason().has_value());
  EXPECT_NE(stranger.closed_reason()->find("key not allowed"), std::string::npos);
  EXPECT_EQ(node.metrics().admission_refusals, 1u);
  // A trusted key claiming another zone is refused too: the zone is bound to the key.
  RawPeer impostor(node, 5, Instant::from_ns(3));
  ASSERT_TRUE(impostor.closed_reason().has_value());
  EXPECT_NE(impostor.closed_reason()->find("bound to zone 'zone5'"), std::string::npos);
}

}  // namespace
}  // namespace mesh::engine

namespace mesh::engine {
namespace {

// Incarnations of the node's own key that a peer reports, as an earlier run of it would have
// left them (the node under test is test_identity(1)).
Bytes own_heights(const Node& node, std::initializer_list<std::uint64_t> incarnations) {
  std::vector<LogHeight> entries;
  for (const std::uint64_t incarnation : incarnations) {
    entries.push_back({.log = {node.public_key(), incarnation}, .height = 3, .next_seq = 3});
  }
  Bytes message;
  encode_heights(entries, message);
  return message;
}

TEST(NodeRawPeer, OwnIncarnationsInOneHeightsMessageAreSkippedAtOnce) {
  // Regression (convergence property, scenarios/regressions/incarnation-moves-past-all-seen):
  // moving past our older runs' incarnations one entry at a time wrote a log under the
  // second one on the way, forking that run's log; peers then refused ours and we theirs.
  Node node = started_node();
  const std::uint64_t started = node.incarnation();
  RawPeer peer(node, 9, Instant::from_ns(2));
  ASSERT_EQ(peer.session().state(), SessionState::established);
  const std::uint64_t newer = started + 1'000'000;
  const std::uint64_t newest = started + 2'000'000;
  peer.send(own_heights(node, {newer, newest}));
  EXPECT_GT(node.incarnation(), newest);
  for (const LogId& log : node.logs().logs()) {
    if (log.author != node.public_key()) continue;
    const bool forks_a_seen_run = log.incarnation > started && log.incarnation <= newest;
    EXPECT_FALSE(forks_a_seen_run) << "wrote under incarnation " << log.incarnation;
  }
}

TEST(NodeRawPeer, TwoRunsThatSawTheSameOlderIncarnationMoveToDifferentOnes) {
  // Two amnesiac runs that learned only of the same older run must not pick the same next
  // incarnation: the random step in move_incarnation is what keeps their logs apart.
  std::vector<std::uint64_t> moved;
  for (const std::uint64_t seed : {1u, 2u}) {
    Config config = TestNet::default_config(0);
    config.rng_seed = seed;
    Node node(config, test::test_identity(1));
    node.handle_start(Now{Instant::from_ns(1), WallTime::from_unix_ms(1)});
    while (node.poll_network()) {
    }
    RawPeer peer(node, 9, Instant::from_ns(2));
    const std::uint64_t older_run = node.incarnation() + 1'000;
    peer.send(own_heights(node, {older_run}));
    EXPECT_GT(node.incarnation(), older_run);
    moved.push_back(node.incarnation());
  }
  EXPECT_NE(moved[0], moved[1]);
}

// A relay hands us a part authored by a key whose record has not arrived yet, claiming the
// relay's zone. Until the author's zone is known the part waits; then it is checked against
// that zone like any other and refused. Before, it was taken with no zone check at all.
TEST(NodeRawPeer, PartsWaitForTheirAuthorsZoneAndAreCheckedAgainstIt) {
  Config config = TestNet::default_config(0);
  config.resources = {ResourceKind{.group = "dcp.hiro.io",
                                   .version = "v1",
                                   .kind = "AnyApplication",
                                   .strategy = StrategyKind::anyapplication}};
  Node node(config, test::test_identity(1));
  const Now now{Instant::from_ns(1), WallTime::from_unix_ms(1)};
  node.handle_start(now);
  while (node.poll_network()) {
  }
  RawPeer relay(node, 9, Instant::from_ns(2));
  ASSERT_EQ(relay.session().state(), SessionState::established);
  const Identity author = test::test_identity(5);
  const LogId log{author.public_key(), 7};
  const Json part = {{"v", 1},          {"kind", "dcp.hiro.io/v1/AnyApplication"},
                     {"ns", "default"}, {"name", "app1"},
                     {"zone", "raw"},   {"part", "zone"},
                     {"gen", 1},        {"entry", {{"zone", "raw"}, {"version", 1}}}};
  const std::string text = canonical(part);
  auto claim = Operation::create(author, {.log = log, .key = blake2b_256(as_bytes("app1#zone"))},
                                 Bytes(text.begin(), text.end()));
  ASSERT_TRUE(claim.ok());
  auto record = Operation::create(
      author, {.log = log, .seq = 1, .key = peer_record_key(), .backlink = claim->hash()},
      encode_peer_record({.key = author.public_key(), .zone = "zone5", .incarnation = 7}));
  ASSERT_TRUE(record.ok());
  Bytes message;
  encode_operations({&claim.value()}, false, message);
  relay.send(message);
  EXPECT_EQ(node.metrics().operations_unbound, 1u);
  EXPECT_EQ(node.metrics().replication_rejected, 0u);
  message.clear();
  encode_operations({&record.value()}, false, message);
  relay.send(message);
  EXPECT_EQ(node.membership().peer(author.public_key())->zone, "zone5");
  EXPECT_EQ(node.metrics().replication_rejected, 1u);
}

// Operations under our key that we did not sign (a forgery, or a copy with a damaged payload)
// say nothing about other runs of ours: they are dropped and the incarnation stays. Before,
// any such operation in our current log, or naming a newer incarnation of ours, moved it.
TEST(NodeRawPeer, ForgedOperationsUnderOurKeyDoNotMoveTheIncarnation) {
  Node node = started_node();
  const std::uint64_t started = node.incarnation();
  RawPeer peer(node, 9, Instant::from_ns(2));
  const Identity forger = test::test_identity(9);
  const auto forge = [&](const LogId& log, std::uint64_t seq) {
    auto signed_by_forger =
        Operation::create(forger,
                          {.log = {forger.public_key(), log.incarnation},
                           .seq = seq,
                           .backlink = seq > 0 ? std::optional<Digest>(Digest{}) : std::nullopt},
                          Bytes{6, 6});
    EXPECT_TRUE(signed_by_forger.ok());
    Bytes bytes;
    signed_by_forger->encode(bytes);
    std::copy(log.author.bytes.begin(), log.author.bytes.end(), bytes.begin() + 2);
    return Operation::decode(bytes).value();
  };
  const Operation in_current_log = forge(node.own_log(), 0);
  const Operation in_newer_run = forge({node.public_key(), started + 1'000'000}, 0);
  Bytes message;
  encode_operations({&in_current_log, &in_newer_run}, false, message);
  peer.send(message);
  EXPECT_EQ(node.metrics().operations_rejected, 2u);
  EXPECT_EQ(node.incarnation(), started);
}

TEST(NodeRawPeer, ForkOfTheCurrentLogAtEqualHeightMovesTheIncarnation) {
  // Another run of this node wrote as many operations under the same incarnation (two restores
  // of one checkpoint): only the head hash tells the logs apart. Without moving on, every peer
  // holding the other run's log would refuse this run's next operation (backlink mismatch).
  for (const bool forked : {false, true}) {
    SCOPED_TRACE(forked ? "forked" : "same log");
    Node node = started_node();
    const std::uint64_t started = node.incarnation();
    RawPeer peer(node, 9, Instant::from_ns(2));
    const auto ours = node.logs().height(node.own_log());
    ASSERT_TRUE(ours.has_value());
    ASSERT_GT(ours->next_seq, 0u);
    LogHeight theirs = *ours;
    if (forked) theirs.head.bytes[0] ^= 0x01;
    Bytes message;
    encode_heights({theirs}, message);
    peer.send(message);
    EXPECT_EQ(node.incarnation() != started, forked);
  }
}

// A dial the driver never answers (neither connected nor failed) ends at the handshake
// timeout and the peer is dialed again; before, the target stayed taken by the dead dial and
// the peer was never dialed again (found by the convergence property).
TEST(Node, UnansweredDialTimesOutAndIsRetried) {
  Config config = TestNet::default_config(0);
  config.bootstrap = {TestNet::bootstrap_to(1)};
  Node node(config, test::test_identity(1));
  const auto at = [](Duration since_start) {
    return Now{Instant::from_ns(1) + since_start, WallTime::from_unix_ms(1)};
  };
  node.handle_start(at(Duration::zero()));
  std::vector<ConnectionId> dials;
  std::vector<ConnectionId> closes;
  const auto drain = [&] {
    while (auto command = node.poll_network()) {
      if (const auto* dial = std::get_if<Dial>(&*command)) dials.push_back(dial->connection);
      if (const auto* close = std::get_if<Close>(&*command)) closes.push_back(close->connection);
    }
  };
  drain();
  ASSERT_EQ(dials.size(), 1u);
  for (Duration t = Duration::zero(); t < config.handshake_timeout * 2;
       t = t + Duration::from_ms(100)) {
    node.handle_timeout(at(t));
    drain();
  }
  ASSERT_GE(closes.size(), 1u);
  EXPECT_EQ(closes[0], dials[0]);
  ASSERT_GE(dials.size(), 2u);
  EXPECT_NE(dials[1], dials[0]);
  EXPECT_GE(node.metrics().handshake_timeouts, 1u);
}

TEST(Node, IdleNodeKeepsAdvancingPastTheSnapshotInterval) {
  // Regression: a due snapshot with nothing to compact left its deadline in the past, so
  // next_deadline() asked for an immediate wake-up forever (found by bench/mesh_bench.cc).
  Config config = TestNet::default_config(0);
  config.snapshot_interval = Duration::from_seconds(10);
  Node node(config, test::test_identity(1));
  Instant now = Instant::from_ns(1'000'000'000);
  node.handle_start(Now{now, WallTime::from_unix_ms(1)});
  for (int step = 0; step < 200; step++) {
    const auto deadline = node.next_deadline();
    ASSERT_TRUE(deadline.has_value());
    ASSERT_GT(*deadline, now) << "asked to be woken in the past at step " << step;
    now = *deadline;
    node.handle_timeout(Now{now, WallTime::from_unix_ms(1)});
    while (node.poll_network()) {
    }
  }
  EXPECT_GT(now, Instant::from_ns(1'000'000'000) + Duration::from_seconds(60));
}

}  // namespace
}  // namespace mesh::engine

namespace mesh::engine {
namespace {

TEST(Membership, ARecordOfANewIncarnationResetsTheHeartbeatCount) {
  // Regression (swarm seed 12): the record of a restarted peer arrived before its heartbeats
  // and kept the old incarnation's count, so the new, lower counts looked stale for minutes.
  Config config = TestNet::default_config(0);
  Membership membership(config, test::test_identity(1).public_key());
  const PublicKey peer = test::test_identity(2).public_key();
  const Now t0{Instant::from_ns(1'000'000'000), WallTime::from_unix_ms(1)};
  membership.handle_liveness(t0, {{peer, 100, 50}});
  membership.handle_record({.key = peer, .zone = "zone2", .incarnation = 200});
  const Now t1{t0.monotonic + Duration::from_seconds(4), t0.wall};
  membership.handle_liveness(t1, {{peer, 200, 1}});
  const Now t2{t0.monotonic + Duration::from_seconds(8), t0.wall};
  (void)membership.evaluate(t2);
  EXPECT_EQ(membership.state(peer), PeerState::ready);
}

}  // namespace
}  // namespace mesh::engine
