#include "engine/log_store.h"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <algorithm>

#include "tests/support/keys.h"

namespace mesh::engine {
namespace {

Digest key_of(const std::string& name) {
  return blake2b_256(as_bytes(name));
}

// An author with its own store; remembers every operation it ever made, including the ones
// its snapshots later dropped, so tests can replay full histories in any order.
class Author {
 public:
  explicit Author(std::uint8_t index, std::uint64_t incarnation = 1)
      : identity_(test::test_identity(index)), incarnation_(incarnation) {}

  const Operation& put(const std::string& key, const std::string& value) {
    auto op =
        store_.append(identity_, incarnation_, key_of(key), Bytes(value.begin(), value.end()), 0);
    EXPECT_TRUE(op.ok());
    history_.push_back(std::move(op).value());
    return history_.back();
  }
  const Operation& snapshot(const std::vector<std::string>& forget = {}) {
    std::vector<Digest> forget_keys;
    for (const auto& key : forget) forget_keys.push_back(key_of(key));
    auto op = store_.snapshot(identity_, incarnation_, forget_keys, 0);
    EXPECT_TRUE(op.ok());
    history_.push_back(std::move(op).value());
    return history_.back();
  }
  LogId log() const { return {identity_.public_key(), incarnation_}; }
  const LogStore& store() const { return store_; }
  const std::vector<Operation>& history() const { return history_; }
  const Identity& identity() const { return identity_; }

 private:
  Identity identity_;
  std::uint64_t incarnation_;
  LogStore store_;
  std::vector<Operation> history_;
};

std::vector<Digest> live_hashes(const LogStore& store, const LogId& log) {
  std::vector<Digest> out;
  for (const Operation* op : store.live_operations(log)) out.push_back(op->hash());
  return out;
}

// Feeds `store` everything `source` would send a peer that has nothing, batch by batch.
void sync_from(const LogStore& source, LogStore& store, const LogId& log) {
  for (int round = 0; round < 1000; round++) {
    const LogHeight theirs = store.height(log).value_or(LogHeight{log, 0, 0});
    const auto missing = source.missing_for(log, theirs, 2, 1 << 20);
    if (missing.operations.empty()) return;
    for (const Operation* op : missing.operations) (void)store.insert(*op);
  }
  FAIL() << "sync did not finish";
}

TEST(LogStore, InOrderOperationsAreAcceptedAndHeightsMatch) {
  Author author(1);
  for (int i = 0; i < 5; i++) author.put("k" + std::to_string(i), "v");
  LogStore store;
  for (const Operation& op : author.history()) {
    const InsertResult result = store.insert(op);
    EXPECT_EQ(result.status, InsertStatus::accepted) << result.reason;
    ASSERT_EQ(result.accepted.size(), 1u);
    EXPECT_EQ(result.accepted[0].seq, op.seq());
  }
  EXPECT_EQ(store.heights(), author.store().heights());
  EXPECT_EQ(store.height(author.log())->height, 5u);
}

TEST(LogStore, DuplicatesAreRecognizedWithoutEffect) {
  Author author(1);
  const Operation op = author.put("a", "1");
  LogStore store;
  EXPECT_EQ(store.insert(op).status, InsertStatus::accepted);
  EXPECT_EQ(store.insert(op).status, InsertStatus::duplicate);
  EXPECT_EQ(store.stats().operation_count, 1u);
}

TEST(LogStore, OutOfOrderOperationsParkUntilTheGapCloses) {
  Author author(1);
  for (int i = 0; i < 4; i++) author.put("k" + std::to_string(i), "v");
  const auto& h = author.history();
  LogStore store;
  EXPECT_EQ(store.insert(h[3]).status, InsertStatus::parked);
  EXPECT_EQ(store.insert(h[1]).status, InsertStatus::parked);
  EXPECT_EQ(store.stats().parked_count, 2u);
  const InsertResult first = store.insert(h[0]);
  EXPECT_EQ(first.status, InsertStatus::accepted);
  ASSERT_EQ(first.accepted.size(), 2u);  // 0, then the parked 1
  EXPECT_EQ(first.accepted[1].seq, 1u);
  const InsertResult last = store.insert(h[2]);
  ASSERT_EQ(last.accepted.size(), 2u);  // 2, then the parked 3
  EXPECT_EQ(store.height(author.log())->height, 4u);
  EXPECT_EQ(store.stats().parked_count, 0u);
}

TEST(LogStore, ForgedOperationIsRejected) {
  Author victim(1);
  Author forger(2);
  const Operation genuine = victim.put("a", "1");
  // The forger signs an operation and claims the victim's log: re-encode with the victim's key.
  Bytes bytes;
  forger.put("a", "evil").encode(bytes);
  std::copy(genuine.log().author.bytes.begin(), genuine.log().author.bytes.end(),
            bytes.begin() + 2);
  auto forged = Operation::decode(bytes);
  ASSERT_TRUE(forged.ok());
  LogStore store;
  const InsertResult result = store.insert(forged.value());
  EXPECT_EQ(result.status, InsertStatus::rejected);
  EXPECT_NE(result.reason.find("bad signature"), std::string::npos);
  EXPECT_FALSE(result.authentic);
  EXPECT_EQ(store.stats().log_count, 0u);
}

// A shared cache learns what its store authors (signed with our own key, so valid), and a
// store sharing it accepts those operations without a check; a forgery still fails, because
// its hash (which covers the signature) is not in the cache.
TEST(LogStore, AuthoredOperationsFillTheSharedSignatureCache) {
  SignatureCache cache;
  const Identity author = test::test_identity(1);
  LogStore authoring(LogStoreLimits{.signature_cache = &cache});
  auto data = authoring.append(author, 1, key_of("a"), Bytes{1}, 0);
  ASSERT_TRUE(data.ok());
  auto snapshot = authoring.snapshot(author, 1, {}, 0);
  ASSERT_TRUE(snapshot.ok());
  EXPECT_TRUE(cache.contains(data->hash()));
  EXPECT_TRUE(cache.contains(snapshot->hash()));
  EXPECT_EQ(cache.size(), 2u);

  Author forger(2);
  Bytes bytes;
  forger.put("a", "evil").encode(bytes);
  std::copy(author.public_key().bytes.begin(), author.public_key().bytes.end(), bytes.begin() + 2);
  auto forged = Operation::decode(bytes);
  ASSERT_TRUE(forged.ok());
  LogStore receiving(LogStoreLimits{.signature_cache = &cache});
  EXPECT_EQ(receiving.insert(data.value()).status, InsertStatus::accepted);
  EXPECT_EQ(receiving.insert(forged.value()).status, InsertStatus::rejected);
}

// A copy with a damaged payload has the genuine operation's hash (the hash covers the
// payload's hash, not its bytes): the store refuses it even when the shared signature cache
// knows that hash, and a damaged copy of an operation it holds is only a duplicate.
TEST(LogStore, DamagedPayloadIsRefusedWhateverTheCacheKnows) {
  SignatureCache cache;
  Author author(1);
  const Operation& genuine = author.put("a", "value");
  cache.insert(genuine.hash());
  Bytes bytes;
  genuine.encode(bytes);
  bytes.back() ^= 1;
  const auto damaged = Operation::decode(bytes);
  ASSERT_TRUE(damaged.ok());
  LogStore store(LogStoreLimits{.signature_cache = &cache});
  const InsertResult refused = store.insert(damaged.value());
  EXPECT_EQ(refused.status, InsertStatus::rejected);
  EXPECT_FALSE(refused.authentic);
  EXPECT_NE(refused.reason.find("payload does not match its hash"), std::string::npos);
  EXPECT_EQ(store.insert(genuine).status, InsertStatus::accepted);
  EXPECT_EQ(store.insert(damaged.value()).status, InsertStatus::duplicate);
  EXPECT_EQ(store.find(genuine.log(), genuine.seq())->payload(), genuine.payload());
}

TEST(LogStore, EquivocationAndBrokenBacklinksAreRejected) {
  Author author(1);
  const Operation first = author.put("a", "1");
  LogStore store;
  ASSERT_EQ(store.insert(first).status, InsertStatus::accepted);
  // A second, different operation at seq 0 signed by the same author.
  Author twin(1);
  const Operation other = twin.put("a", "2");
  const InsertResult equivocation = store.insert(other);
  EXPECT_EQ(equivocation.status, InsertStatus::rejected);
  EXPECT_NE(equivocation.reason.find("equivocation"), std::string::npos);
  EXPECT_TRUE(equivocation.authentic);  // signed by the author: evidence of another run
  // seq 1 of the twin's chain links to the twin's seq 0, not to the one we hold.
  const Operation twin_next = twin.put("b", "3");
  const InsertResult broken = store.insert(twin_next);
  EXPECT_EQ(broken.status, InsertStatus::rejected);
  EXPECT_NE(broken.reason.find("backlink"), std::string::npos);
}

TEST(LogStore, SnapshotKeepsOnlyTheNewestOperationPerKey) {
  Author author(1);
  author.put("a", "1");                      // seq 0, dead after seq 2
  const Operation b = author.put("b", "1");  // seq 1
  const Operation a = author.put("a", "2");  // seq 2
  author.put("gone", "x");                   // seq 3, forgotten by the snapshot
  const Operation snapshot = author.snapshot({"gone"});
  EXPECT_EQ(snapshot.seq(), 4u);
  const auto live = author.store().live_operations(author.log());
  ASSERT_EQ(live.size(), 2u);
  EXPECT_EQ(live[0]->hash(), b.hash());
  EXPECT_EQ(live[1]->hash(), a.hash());
  EXPECT_EQ(author.store().stats().operation_count, 3u);  // b, a, snapshot
  EXPECT_EQ(author.store().tail_count(author.log()), 0u);
}

TEST(LogStore, NewPeerSyncsFromTheSnapshotAndNamedOperations) {
  Author author(1);
  author.put("a", "1");
  author.put("b", "1");
  author.put("a", "2");
  author.snapshot();
  author.put("c", "1");
  LogStore store;
  sync_from(author.store(), store, author.log());
  EXPECT_EQ(store.heights(), author.store().heights());
  EXPECT_EQ(live_hashes(store, author.log()), live_hashes(author.store(), author.log()));
}

TEST(LogStore, LaggingPeerJumpsOverCompactedHistory) {
  Author author(1);
  const auto& h = author.history();
  author.put("a", "1");
  author.put("b", "1");
  LogStore store;
  ASSERT_EQ(store.insert(h[0]).status, InsertStatus::accepted);
  author.put("a", "2");  // seq 2 kills seq 0
  author.put("c", "1");
  author.snapshot();  // seq 4 names b(1), a(2), c(3)
  const InsertResult jump = store.insert(h[4]);
  EXPECT_EQ(jump.status, InsertStatus::accepted);
  // Operations 1, 2, 3 are now missing live operations: the height stays at 1.
  EXPECT_EQ(store.height(author.log())->height, 1u);
  EXPECT_EQ(store.height(author.log())->next_seq, 5u);
  EXPECT_EQ(store.find(author.log(), 0), nullptr);  // dead, dropped
  sync_from(author.store(), store, author.log());
  EXPECT_EQ(store.heights(), author.store().heights());
}

TEST(LogStore, ParkedOperationsAreBounded) {
  Author author(1);
  for (int i = 0; i < 20; i++) author.put("k" + std::to_string(i), "v");
  LogStore store(LogStoreLimits{.parked_per_log_max = 5});
  for (std::size_t i = 19; i >= 1; i--) (void)store.insert(author.history()[i]);
  EXPECT_LE(store.stats().parked_count, 5u);
  // The parked operations kept are the nearest to the gap: 1..5.
  const InsertResult result = store.insert(author.history()[0]);
  EXPECT_EQ(result.accepted.size(), 6u);
}

TEST(LogStore, TailLengthIsBounded) {
  Author author(1);
  for (int i = 0; i < 10; i++) author.put("k", std::to_string(i));
  LogStore store(LogStoreLimits{.tail_operations_max = 4});
  for (const Operation& op : author.history()) (void)store.insert(op);
  EXPECT_EQ(store.height(author.log())->height, 4u);
}

TEST(LogStore, OlderIncarnationsAreDroppedBeyondTheLimit) {
  Author first(1, 100);
  Author second(1, 200);
  Author third(1, 300);
  LogStore store;
  (void)store.insert(first.put("a", "1"));
  (void)store.insert(second.put("a", "2"));
  EXPECT_EQ(store.stats().log_count, 2u);
  (void)store.insert(third.put("a", "3"));
  EXPECT_EQ(store.stats().log_count, 2u);
  EXPECT_FALSE(store.height(first.log()).has_value());
  Author ancient(1, 50);
  EXPECT_EQ(store.insert(ancient.put("a", "0")).status, InsertStatus::obsolete);
}

// --- properties ---

struct Script {
  std::vector<std::pair<int, int>> steps;  // (author index, action: 0..4 put key, 5 snapshot)
};

std::vector<Author> run_script(const std::vector<std::pair<int, int>>& steps) {
  std::vector<Author> authors;
  for (std::uint8_t i = 1; i <= 3; i++) authors.emplace_back(i);
  int counter = 0;
  for (const auto& [author, action] : steps) {
    Author& a = authors[static_cast<std::size_t>(author)];
    if (action == 5) {
      a.snapshot(counter % 3 == 0 ? std::vector<std::string>{"k1"} : std::vector<std::string>{});
    } else {
      a.put("k" + std::to_string(action), std::to_string(counter));
    }
    counter++;
  }
  return authors;
}

// A random permutation drawn from rapidcheck, so failures shrink and replay.
template <typename T>
std::vector<T> shuffled(std::vector<T> items) {
  for (std::size_t index = items.size(); index > 1; index--) {
    const auto other = *rc::gen::inRange<std::size_t>(0, index);
    std::swap(items[index - 1], items[other]);
  }
  return items;
}

RC_GTEST_PROP(LogStore, AnyInterleavingWithDuplicatesLeavesAllLogsEqual, ()) {
  const auto steps = *rc::gen::container<std::vector<std::pair<int, int>>>(
      rc::gen::pair(rc::gen::inRange(0, 3), rc::gen::inRange(0, 6)));
  const std::vector<Author> authors = run_script(steps);
  std::vector<const Operation*> everything;
  for (const Author& author : authors) {
    for (const Operation& op : author.history()) everything.push_back(&op);
  }
  // Duplicate a random subset, then deliver in two different random orders.
  const auto duplicated = *rc::gen::container<std::vector<std::size_t>>(
      rc::gen::inRange<std::size_t>(0, std::max<std::size_t>(everything.size(), 1)));
  for (const std::size_t index : duplicated) {
    if (index < everything.size()) everything.push_back(everything[index]);
  }
  LogStore first;
  LogStore second;
  for (const Operation* op : shuffled(everything)) (void)first.insert(*op);
  for (const Operation* op : shuffled(everything)) (void)second.insert(*op);
  for (const Author& author : authors) {
    if (author.history().empty()) continue;
    const auto expected = author.store().height(author.log());
    RC_ASSERT(first.height(author.log()) == expected);
    RC_ASSERT(second.height(author.log()) == expected);
    RC_ASSERT(live_hashes(first, author.log()) == live_hashes(author.store(), author.log()));
    RC_ASSERT(live_hashes(second, author.log()) == live_hashes(author.store(), author.log()));
  }
}

RC_GTEST_PROP(LogStore, SyncFromAnyPartialStateReachesTheAuthorsState, ()) {
  const auto steps = *rc::gen::container<std::vector<std::pair<int, int>>>(
      rc::gen::pair(rc::gen::just(0), rc::gen::inRange(0, 6)));
  const std::vector<Author> authors = run_script(steps);
  const Author& author = authors[0];
  RC_PRE(!author.history().empty());
  // The receiver saw a random subset of the history first, then syncs.
  LogStore store;
  for (const Operation& op : author.history()) {
    if (*rc::gen::arbitrary<bool>()) (void)store.insert(op);
  }
  sync_from(author.store(), store, author.log());
  RC_ASSERT(store.height(author.log()) == author.store().height(author.log()));
  RC_ASSERT(live_hashes(store, author.log()) == live_hashes(author.store(), author.log()));
}

}  // namespace
}  // namespace mesh::engine
