// Checkpoints: a restarted node resumes with what an earlier run knew, and bad checkpoints are
// refused with a reason instead of crashing or restoring anything unverified.
#include "engine/checkpoint.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "engine/node.h"
#include "tests/support/test_net.h"

namespace mesh::engine {
namespace {

using test::TestNet;

const Duration budget = Duration::from_seconds(60);
const Now start{Instant::from_ns(1'000'000'000), WallTime::from_unix_ms(1'700'000'000'000)};

// Two connected nodes; node 0 publishes three operations that node 1 receives.
struct Pair : ::testing::Test {
  TestNet net;
  void SetUp() override {
    net.add_node(TestNet::default_config(0));
    Config second = TestNet::default_config(1);
    second.bootstrap = {TestNet::bootstrap_to(0)};
    net.add_node(second);
    net.start_all();
    ASSERT_TRUE(net.drive_until([&] { return net.node(1).connected_peers().size() == 1; }, budget));
    for (const char* key : {"a", "b", "c"}) ASSERT_TRUE(net.publish(0, key, Bytes{'x'}).ok());
    const LogId log = net.node(0).own_log();
    ASSERT_TRUE(net.drive_until(
        [&] {
          const auto height = net.node(1).logs().height(log);
          return height && height->next_seq == net.node(0).logs().height(log)->next_seq;
        },
        budget));
  }
  Node fresh(std::size_t index, std::uint64_t incarnation) {
    Config config = TestNet::default_config(index);
    config.incarnation = incarnation;
    return Node(config, net.identity(index));
  }
};

TEST_F(Pair, ARestoredNodeHoldsEveryLogItKnewAndStartsANewerIncarnation) {
  const Bytes saved = net.node(1).checkpoint();
  const LogStoreStats before = net.node(1).logs().stats();
  // The clock stepped back: the configured incarnation is older than the saved run's.
  Node restarted = fresh(1, 1);
  const auto restored = restarted.restore(start, saved);
  ASSERT_TRUE(restored.ok()) << restored.error();
  EXPECT_EQ(*restored, before.operation_count);
  EXPECT_EQ(restarted.metrics().operations_restored, before.operation_count);
  for (const LogHeight& height : net.node(1).logs().heights()) {
    EXPECT_EQ(restarted.logs().height(height.log), height) << height.log.to_string();
  }
  EXPECT_GT(restarted.incarnation(), net.node(1).incarnation());
  restarted.handle_start(start);
  EXPECT_EQ(restarted.own_log().incarnation, restarted.incarnation());
}

// Regression (convergence property, scenarios/regressions/two-restores-of-one-checkpoint):
// the clock stepped back, and two runs restored the same checkpoint (the first crashed before
// saving its own). Both took saved + 1, wrote logs of equal height under it, and the second
// run's later operations were refused everywhere for a backlink that did not match.
TEST_F(Pair, TwoRunsRestoredFromOneCheckpointStartDifferentIncarnations) {
  const Bytes saved = net.node(1).checkpoint();
  std::vector<std::uint64_t> incarnations;
  for (const std::uint64_t rng_seed : {1u, 2u}) {
    Config config = TestNet::default_config(1);
    config.incarnation = 1;  // the clock stepped back
    config.rng_seed = rng_seed;
    Node restarted(config, net.identity(1));
    ASSERT_TRUE(restarted.restore(start, saved).ok());
    EXPECT_GT(restarted.incarnation(), net.node(1).incarnation());
    incarnations.push_back(restarted.incarnation());
  }
  EXPECT_NE(incarnations[0], incarnations[1]);
}

TEST_F(Pair, ForeignAndDamagedCheckpointsAreRefusedWithAReason) {
  const Bytes saved = net.node(1).checkpoint();
  // Another node's key.
  Node other = fresh(0, 1);
  const auto foreign = other.restore(start, saved);
  ASSERT_FALSE(foreign.ok());
  EXPECT_NE(foreign.error().find("another node key"), std::string::npos) << foreign.error();
  // Another network.
  Config elsewhere = TestNet::default_config(1);
  elsewhere.network_id = "another-network";
  Node stranger(elsewhere, net.identity(1));
  const auto network = stranger.restore(start, saved);
  ASSERT_FALSE(network.ok());
  EXPECT_NE(network.error().find("another network"), std::string::npos) << network.error();
  // Truncated, and not a checkpoint at all.
  Node cut = fresh(1, 1);
  const auto truncated = cut.restore(start, ByteView(saved).first(saved.size() - 3));
  ASSERT_FALSE(truncated.ok());
  EXPECT_NE(truncated.error().find("checkpoint: operation"), std::string::npos)
      << truncated.error();
  EXPECT_EQ(cut.logs().stats().operation_count, 0u) << "nothing restored from a bad file";
  const Bytes text = {'h', 'e', 'l', 'l', 'o'};
  EXPECT_FALSE(fresh(1, 1).restore(start, text).ok());
}

TEST_F(Pair, AnOperationWithADamagedSignatureIsRefusedAloneAndTheRestRestored) {
  Bytes saved = net.node(1).checkpoint();
  const std::size_t total = net.node(1).logs().stats().operation_count;
  // Damage the signature of node 0's newest operation where the file holds it.
  const LogId log = net.node(0).own_log();
  const Operation* newest =
      net.node(1).logs().find(log, net.node(1).logs().height(log)->next_seq - 1);
  ASSERT_NE(newest, nullptr);
  const auto& signature = newest->signature().bytes;
  const auto found = std::search(saved.begin(), saved.end(), signature.begin(), signature.end());
  ASSERT_NE(found, saved.end());
  *found ^= 0x01;
  Node restarted = fresh(1, 1);
  const auto restored = restarted.restore(start, saved);
  ASSERT_TRUE(restored.ok()) << restored.error();
  EXPECT_EQ(*restored, total - 1);
}

}  // namespace
}  // namespace mesh::engine
