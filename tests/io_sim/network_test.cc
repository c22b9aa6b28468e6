#include "io_sim/network.h"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include "io_sim/clock.h"

namespace mesh::io_sim {
namespace {

// Pops every event up to `until`, in order.
std::vector<NetEvent> drain(Network& network, Instant until) {
  std::vector<NetEvent> events;
  while (auto event = network.pop_due(until)) events.push_back(std::move(*event));
  return events;
}

struct TwoHosts : ::testing::Test {
  Network network{7};
  HostId a = network.add_host("a:1");
  HostId b = network.add_host("b:1");
  Instant t0 = Instant::from_ns(1'000'000'000);

  // Connects a -> b; returns b's token.
  ConnectionToken open() {
    network.set_default_latency(LatencyModel::uniform(Duration::from_ms(1), Duration::from_ms(30)));
    network.connect(t0, a, 1, "b:1");
    const auto events = drain(network, t0 + Duration::from_seconds(1));
    EXPECT_EQ(events.size(), 2u);
    EXPECT_EQ(events[0].kind, NetEvent::Kind::accepted);
    EXPECT_EQ(events[0].remote, "a:1");
    EXPECT_EQ(events[1].kind, NetEvent::Kind::connected);
    return events[0].token;
  }
};

TEST_F(TwoHosts, SegmentsArriveInOrderWhateverTheSampledLatency) {
  open();
  const Instant start = t0 + Duration::from_seconds(1);
  for (std::uint8_t i = 0; i < 100; i++) network.send(start, a, 1, Bytes{i});
  const auto events = drain(network, start + Duration::from_seconds(5));
  ASSERT_EQ(events.size(), 100u);
  for (std::size_t i = 0; i < events.size(); i++) {
    EXPECT_EQ(events[i].host, b);
    EXPECT_EQ(events[i].bytes, Bytes{static_cast<std::uint8_t>(i)});
    if (i > 0) {
      EXPECT_GE(events[i].at, events[i - 1].at);
    }
  }
}

TEST_F(TwoHosts, DataNeverOvertakesTheConnectEvent) {
  network.set_default_latency(LatencyModel::uniform(Duration::from_ms(1), Duration::from_ms(50)));
  for (ConnectionToken token = 1; token < 50; token++) {
    network.connect(t0, a, token, "b:1");
    auto accepted = network.pop_due(t0 + Duration::from_seconds(1));
    ASSERT_TRUE(accepted);
    ASSERT_EQ(accepted->kind, NetEvent::Kind::accepted);
    network.send(accepted->at, b, accepted->token, Bytes{1});  // b talks at once
    auto first = network.pop_due(t0 + Duration::from_seconds(1));
    ASSERT_TRUE(first);
    EXPECT_EQ(first->kind, NetEvent::Kind::connected) << "token " << token;
    (void)drain(network, t0 + Duration::from_seconds(1));
  }
}

TEST_F(TwoHosts, BlockedDirectionStallsThenDeliversAfterUnblock) {
  open();
  const Instant start = t0 + Duration::from_seconds(1);
  network.block(a, b);
  network.send(start, a, 1, Bytes{1});
  network.send(start, a, 1, Bytes{2});
  EXPECT_TRUE(drain(network, start + Duration::from_seconds(60)).empty());
  const Instant healed = start + Duration::from_seconds(61);
  network.unblock(healed, a, b);
  const auto events = drain(network, healed + Duration::from_seconds(1));
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].bytes, Bytes{1});
  EXPECT_EQ(events[1].bytes, Bytes{2});
  EXPECT_GE(events[0].at, healed);
}

TEST_F(TwoHosts, OneWayCutLetsTheOtherDirectionThrough) {
  const ConnectionToken b_token = open();
  const Instant start = t0 + Duration::from_seconds(1);
  network.block(a, b);
  network.send(start, b, b_token, Bytes{9});
  network.send(start, a, 1, Bytes{8});
  const auto events = drain(network, start + Duration::from_seconds(1));
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].host, a);
}

TEST_F(TwoHosts, DialsAreRefusedOrTimeOut) {
  network.connect(t0, a, 1, "nowhere:1");
  network.block(a, b);
  network.connect(t0, a, 2, "b:1");
  const auto events = drain(network, t0 + Duration::from_seconds(10));
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].kind, NetEvent::Kind::refused);
  EXPECT_EQ(events[0].reason, "connection refused");
  EXPECT_EQ(events[1].kind, NetEvent::Kind::refused);
  EXPECT_EQ(events[1].reason, "connection timed out");
  EXPECT_EQ(events[1].at, t0 + network.connect_timeout);
}

TEST_F(TwoHosts, CloseDeliversPendingDataThenClosed) {
  open();
  const Instant start = t0 + Duration::from_seconds(1);
  network.send(start, a, 1, Bytes{1});
  network.close(start, a, 1);
  network.send(start, a, 1, Bytes{2});  // after close: dropped
  const auto events = drain(network, start + Duration::from_seconds(1));
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].kind, NetEvent::Kind::data);
  EXPECT_EQ(events[1].kind, NetEvent::Kind::closed);
  EXPECT_EQ(network.connection_count(), 0u);
}

TEST_F(TwoHosts, CrashedHostResetsItsConnectionsAndRefusesDials) {
  open();
  const Instant start = t0 + Duration::from_seconds(1);
  network.set_host_down(start, b, true);
  network.connect(start, a, 7, "b:1");
  const auto events = drain(network, start + Duration::from_seconds(1));
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].kind, NetEvent::Kind::closed);
  EXPECT_EQ(events[0].reason, "connection reset by peer");
  EXPECT_EQ(events[1].kind, NetEvent::Kind::refused);
}

// The acceptor crashes while the path is cut and before the dialer's connect completed: no
// RST can reach the dialer, so its connect times out, as a kernel's would. Without this event
// the dial stayed pending forever (found by the convergence property).
TEST_F(TwoHosts, DialToAHostThatCrashesBehindACutTimesOut) {
  network.connect(t0, a, 1, "b:1");
  network.block(a, b);
  network.block(b, a);
  network.set_host_down(t0, b, true);
  const auto events = drain(network, t0 + Duration::from_seconds(10));
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].kind, NetEvent::Kind::refused);
  EXPECT_EQ(events[0].host, a);
  EXPECT_EQ(events[0].token, 1u);
  EXPECT_EQ(events[0].reason, "connection timed out");
  EXPECT_EQ(events[0].at, t0 + network.connect_timeout);
}

TEST_F(TwoHosts, BandwidthSerializesLargeTransfers) {
  open();
  network.set_bandwidth(a, b, 1'000'000);  // 1 MB/s
  network.set_latency(a, b, LatencyModel::constant(Duration::from_ms(10)));
  const Instant start = t0 + Duration::from_seconds(1);
  network.send(start, a, 1, Bytes(500'000, 0));
  network.send(start, a, 1, Bytes(500'000, 0));
  const auto events = drain(network, start + Duration::from_seconds(5));
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].at, start + Duration::from_ms(510));
  EXPECT_EQ(events[1].at, start + Duration::from_ms(1010));
}

TEST(Clock, DriftScalesAndInverts) {
  const Instant start = Instant::from_ns(1'000);
  Clock clock(start, Instant::from_ns(50'000'000'000), WallTime::from_unix_ms(1000), 1000);
  const Now later = clock.now(start + Duration::from_seconds(1000));
  EXPECT_EQ(later.monotonic - Instant::from_ns(50'000'000'000), Duration::from_seconds(1001));
  const Instant local = Instant::from_ns(50'000'000'000) + Duration::from_seconds(500);
  const Instant global = clock.global_at(local);
  EXPECT_GE(clock.now(global).monotonic, local);
  EXPECT_LT(clock.now(global - Duration::from_ns(2)).monotonic, local);
  clock.jump_wall(Duration::from_seconds(-30));
  EXPECT_EQ(clock.now(start + Duration::from_seconds(1000)).monotonic, later.monotonic);
  EXPECT_EQ(clock.now(start + Duration::from_seconds(1000)).wall.unix_ms(),
            later.wall.unix_ms() - 30'000);
}

RC_GTEST_PROP(NetworkProperty, SameSeedSameEventsAndOrderPerDirectionAlwaysHolds,
              (std::uint64_t seed, const std::vector<std::pair<bool, std::uint8_t>>& sends)) {
  const auto run = [&] {
    Network network(seed);
    network.set_default_latency(LatencyModel::uniform(Duration::from_ms(0), Duration::from_ms(90)));
    const HostId a = network.add_host("a:1");
    const HostId b = network.add_host("b:1");
    network.connect(Instant::from_ns(0), a, 1, "b:1");
    std::vector<NetEvent> events;
    while (auto event = network.pop_due(Instant::from_ns(1'000'000'000))) events.push_back(*event);
    const ConnectionToken b_token = events.at(0).token;
    for (std::size_t i = 0; i < sends.size(); i++) {
      const Instant at = Instant::from_ns(1'000'000'000 + static_cast<std::int64_t>(i) * 1000);
      if (sends[i].first)
        network.send(at, a, 1, Bytes{sends[i].second});
      else
        network.send(at, b, b_token, Bytes{sends[i].second});
    }
    while (auto event = network.pop_due(Instant::from_ns(10'000'000'000))) events.push_back(*event);
    return events;
  };
  const auto first = run();
  const auto second = run();
  RC_ASSERT(first.size() == second.size());
  std::vector<std::uint8_t> to_b;
  std::vector<std::uint8_t> to_a;
  for (std::size_t i = 0; i < first.size(); i++) {
    RC_ASSERT(first[i].at == second[i].at);
    RC_ASSERT(first[i].bytes == second[i].bytes);
    if (first[i].kind != NetEvent::Kind::data) continue;
    (first[i].host == 1 ? to_b : to_a).push_back(first[i].bytes.at(0));
  }
  std::vector<std::uint8_t> expected_b;
  std::vector<std::uint8_t> expected_a;
  for (const auto& [from_a, value] : sends) (from_a ? expected_b : expected_a).push_back(value);
  RC_ASSERT(to_b == expected_b);
  RC_ASSERT(to_a == expected_a);
}

}  // namespace
}  // namespace mesh::io_sim
