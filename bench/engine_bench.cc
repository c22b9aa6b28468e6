// Per-operation costs of the engine's building blocks: authoring (sign), verifying, applying
// operations to a LogStore, snapshots, sync selection, session throughput and handshakes,
// parsing JSON.
//
// Every benchmark reports items/s (operations, messages or handshakes) and, where bytes flow,
// bytes/s of payload. Results and the command that produced them: docs/benchmarks.md.
#include <benchmark/benchmark.h>

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "engine/crypto.h"
#include "engine/identity.h"
#include "engine/json_util.h"
#include "engine/limits.h"
#include "engine/log_store.h"
#include "engine/noise.h"
#include "engine/operation.h"
#include "engine/session.h"
#include "tests/support/keys.h"

namespace mesh::bench {
namespace {

using engine::Digest;
using engine::Identity;
using engine::LogStore;
using engine::Operation;

constexpr std::uint64_t incarnation = 1;
constexpr std::int64_t timestamp_ms = 1'700'000'000'000;

Bytes make_payload(std::size_t size) {
  Bytes payload(size);
  for (std::size_t i = 0; i < size; i++) payload[i] = static_cast<std::uint8_t>(i * 31 + 7);
  return payload;
}

std::vector<Digest> make_keys(std::size_t count) {
  std::vector<Digest> keys;
  keys.reserve(count);
  for (std::size_t i = 0; i < count; i++) {
    keys.push_back(engine::blake2b_256(as_bytes("bench-key-" + std::to_string(i))));
  }
  return keys;
}

std::size_t arg_size(const benchmark::State& state) {
  return static_cast<std::size_t>(state.range(0));
}

// `count` operations of one log, in order, each with its own key.
std::vector<Operation> make_log(const Identity& author, std::size_t count, std::size_t size) {
  LogStore store;
  const std::vector<Digest> keys = make_keys(count);
  const Bytes payload = make_payload(size);
  std::vector<Operation> log;
  log.reserve(count);
  for (std::size_t i = 0; i < count; i++) {
    auto op = store.append(author, incarnation, keys[i], payload, timestamp_ms);
    MESH_ASSERT(op.ok());
    log.push_back(std::move(op).value());
  }
  return log;
}

// --- crypto primitives, for reading the numbers below ---

void BM_Ed25519Sign(benchmark::State& state) {
  const Identity identity = test::test_identity(1);
  const Bytes message = make_payload(arg_size(state));
  for (auto _ : state) {
    benchmark::DoNotOptimize(identity.sign(message));
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_Ed25519Sign)->Arg(200);

void BM_Ed25519Verify(benchmark::State& state) {
  const Identity identity = test::test_identity(1);
  const Bytes message = make_payload(arg_size(state));
  const engine::Signature signature = identity.sign(message);
  for (auto _ : state) {
    const bool valid = engine::verify(identity.public_key(), message, signature);
    MESH_ASSERT(valid);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_Ed25519Verify)->Arg(200);

void BM_Blake2b256(benchmark::State& state) {
  const Bytes data = make_payload(arg_size(state));
  for (auto _ : state) {
    benchmark::DoNotOptimize(engine::blake2b_256(data));
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_Blake2b256)->Arg(1024)->Arg(16 * 1024);

// One Noise transport seal (CipherState::encrypt_with_ad) of N bytes, per cipher: what each
// simulated message pays once at the sender (and about as much again at the receiver).
// Args: size, cipher (0 = ChaChaPoly, 1 = AESGCM).
void BM_CipherSeal(benchmark::State& state) {
  const auto cipher =
      state.range(1) == 1 ? engine::noise::Cipher::aes_gcm : engine::noise::Cipher::chacha_poly;
  if (!engine::noise::cipher_available(cipher)) {
    state.SkipWithError("AESGCM needs AES-NI");
    return;
  }
  engine::noise::CipherState sender(cipher);
  engine::noise::Key key{};
  key.fill(7);
  sender.initialize_key(key);
  const Bytes plaintext = make_payload(arg_size(state));
  Bytes ciphertext;
  ciphertext.reserve(plaintext.size() + engine::noise::tag_size);
  for (auto _ : state) {
    ciphertext.clear();
    const auto sealed = sender.encrypt_with_ad({}, plaintext, ciphertext);
    benchmark::DoNotOptimize(sealed.ok());
    benchmark::DoNotOptimize(ciphertext.data());
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_CipherSeal)->ArgsProduct({{64, 200, 1024}, {0, 1}});

// --- 1. authoring ---

// LogStore::append: hash the payload, sign the header, hold the operation. The store is
// replaced (untimed) every 4096 appends so memory stays flat.
void BM_LogStoreAppend(benchmark::State& state) {
  const Identity identity = test::test_identity(1);
  const Bytes payload = make_payload(arg_size(state));
  const std::vector<Digest> keys = make_keys(1000);
  std::optional<LogStore> store;
  store.emplace();
  std::size_t appended = 0;
  for (auto _ : state) {
    if (appended == 4096) {
      state.PauseTiming();
      store.emplace();
      appended = 0;
      state.ResumeTiming();
    }
    auto op =
        store->append(identity, incarnation, keys[appended % keys.size()], payload, timestamp_ms);
    MESH_ASSERT(op.ok());
    benchmark::DoNotOptimize(op);
    appended++;
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_LogStoreAppend)->Arg(1024)->Arg(16 * 1024);

// --- 2. verifying ---

Bytes encoded_operation(std::size_t payload_size) {
  const Identity identity = test::test_identity(1);
  const std::vector<Operation> log = make_log(identity, 2, payload_size);
  Bytes encoded;
  log[1].encode(encoded);  // seq 1: carries a backlink, like almost every operation
  return encoded;
}

// Operation::decode: structure, sizes and the operation hash. The payload hash and the
// signature are checked later, by LogStore::insert (see BM_OperationPayloadMatches).
void BM_OperationDecode(benchmark::State& state) {
  const Bytes encoded = encoded_operation(arg_size(state));
  for (auto _ : state) {
    auto op = Operation::decode(encoded);
    MESH_ASSERT(op.ok());
    benchmark::DoNotOptimize(op);
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(encoded.size()));
}
BENCHMARK(BM_OperationDecode)->Arg(1024);

// Operation::payload_matches: the BLAKE2b pass over the payload that LogStore::insert pays for
// every operation it does not already hold.
void BM_OperationPayloadMatches(benchmark::State& state) {
  const Bytes encoded = encoded_operation(arg_size(state));
  const auto op = Operation::decode(encoded);
  MESH_ASSERT(op.ok());
  for (auto _ : state) benchmark::DoNotOptimize(op->payload_matches());
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(op->payload().size()));
}
BENCHMARK(BM_OperationPayloadMatches)->Arg(1024);

// parse_json of one object of state.range(0) members, keys in ascending (range(1) == 0) or
// descending order: the tree builder sorts an object's members once, so the descending text
// costs about what the ascending one does (one insert at a time would be quadratic).
void BM_ParseJsonObject(benchmark::State& state) {
  const auto members = static_cast<int>(state.range(0));
  const bool descending = state.range(1) != 0;
  std::string text = "{";
  for (int index = 0; index < members; index++) {
    const int key = descending ? members - 1 - index : index;
    if (index > 0) text += ',';
    text += "\"k" + std::to_string(1'000'000 + key) + "\":" + std::to_string(key);
  }
  text += '}';
  for (auto _ : state) {
    auto parsed = engine::parse_json(text, text.size());
    MESH_ASSERT(parsed.ok());
    benchmark::DoNotOptimize(parsed);
  }
  state.SetItemsProcessed(state.iterations() * members);
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(text.size()));
}
BENCHMARK(BM_ParseJsonObject)
    ->ArgsProduct({{1'000, 100'000}, {0, 1}})
    ->Unit(benchmark::kMicrosecond);

// Operation::verify_signature alone, on an already decoded operation.
void BM_OperationVerifySignature(benchmark::State& state) {
  const Bytes encoded = encoded_operation(arg_size(state));
  const auto op = Operation::decode(encoded);
  MESH_ASSERT(op.ok());
  for (auto _ : state) {
    const bool valid = op.value().verify_signature();
    MESH_ASSERT(valid);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_OperationVerifySignature)->Arg(1024);

// What a receiver pays for a new operation before applying it: decode + verify_signature.
void BM_OperationDecodeVerify(benchmark::State& state) {
  const Bytes encoded = encoded_operation(arg_size(state));
  for (auto _ : state) {
    auto op = Operation::decode(encoded);
    MESH_ASSERT(op.ok());
    const bool valid = op.value().verify_signature();
    MESH_ASSERT(valid);
    benchmark::DoNotOptimize(op);
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(encoded.size()));
}
BENCHMARK(BM_OperationDecodeVerify)->Arg(1024);

// --- 3. applying ---

constexpr std::size_t insert_batch = 1024;

// LogStore::insert of a whole log, in order, into a fresh store (signature check, backlink,
// hold). Copying the operations and making the store are untimed.
void BM_LogStoreInsertInOrder(benchmark::State& state) {
  const Identity author = test::test_identity(1);
  const std::vector<Operation> log = make_log(author, insert_batch, arg_size(state));
  std::optional<LogStore> store;
  std::vector<Operation> batch;
  for (auto _ : state) {
    state.PauseTiming();
    store.emplace();
    batch = log;
    state.ResumeTiming();
    for (Operation& op : batch) {
      const engine::InsertResult result = store->insert(std::move(op));
      MESH_ASSERT(result.status == engine::InsertStatus::accepted);
    }
  }
  const auto ops = state.iterations() * static_cast<std::int64_t>(insert_batch);
  state.SetItemsProcessed(ops);
  state.SetBytesProcessed(ops * state.range(0));
}
BENCHMARK(BM_LogStoreInsertInOrder)->Arg(1024)->Unit(benchmark::kMillisecond);

// LogStore::insert of operations the store already holds: the cheap path, no signature check.
void BM_LogStoreInsertDuplicate(benchmark::State& state) {
  const Identity author = test::test_identity(1);
  const std::vector<Operation> log = make_log(author, insert_batch, arg_size(state));
  LogStore store;
  for (const Operation& op : log) {
    MESH_ASSERT(store.insert(op).status == engine::InsertStatus::accepted);
  }
  std::vector<Operation> batch;
  for (auto _ : state) {
    state.PauseTiming();
    batch = log;
    state.ResumeTiming();
    for (Operation& op : batch) {
      const engine::InsertResult result = store.insert(std::move(op));
      MESH_ASSERT(result.status == engine::InsertStatus::duplicate);
    }
  }
  const auto ops = state.iterations() * static_cast<std::int64_t>(insert_batch);
  state.SetItemsProcessed(ops);
  state.SetBytesProcessed(ops * state.range(0));
}
BENCHMARK(BM_LogStoreInsertDuplicate)->Arg(1024)->Unit(benchmark::kMicrosecond);

// --- 4. snapshot ---

// LogStore::snapshot of a log with `range(0)` live keys (one 256-byte operation each). After
// the first snapshot every later one names the same live set, so each iteration is alike.
void BM_LogStoreSnapshot(benchmark::State& state) {
  const Identity identity = test::test_identity(1);
  const std::size_t live = arg_size(state);
  const std::vector<Digest> keys = make_keys(live);
  const Bytes payload = make_payload(256);
  LogStore store;
  for (const Digest& key : keys) {
    MESH_ASSERT(store.append(identity, incarnation, key, payload, timestamp_ms).ok());
  }
  std::size_t payload_size = 0;
  for (auto _ : state) {
    auto op = store.snapshot(identity, incarnation, {}, timestamp_ms);
    MESH_ASSERT(op.ok());
    payload_size = op.value().payload().size();
    benchmark::DoNotOptimize(op);
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(payload_size));
  state.counters["live_keys"] = static_cast<double>(live);
}
BENCHMARK(BM_LogStoreSnapshot)->Arg(1000)->Unit(benchmark::kMicrosecond);

// LogStore::missing_for: what sync selects for a peer that has nothing (one batch of 256).
void BM_LogStoreMissingFor(benchmark::State& state) {
  const Identity author = test::test_identity(1);
  const std::vector<Operation> log = make_log(author, insert_batch, 1024);
  LogStore store;
  for (const Operation& op : log) {
    MESH_ASSERT(store.insert(op).status == engine::InsertStatus::accepted);
  }
  const engine::LogId id = log.front().log();
  std::size_t selected = 0;
  for (auto _ : state) {
    const auto missing = store.missing_for(id, engine::LogHeight{id, 0, 0}, 256, 1024 * 1024);
    selected = missing.operations.size();
    benchmark::DoNotOptimize(missing);
  }
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(selected));
}
BENCHMARK(BM_LogStoreMissingFor)->Unit(benchmark::kMicrosecond);

// --- 5 and 6. sessions ---

engine::noise::KeyPair noise_keypair(std::uint64_t seed) {
  std::array<std::uint8_t, 32> secret{};
  for (std::size_t i = 0; i < 8; i++) secret[i] = static_cast<std::uint8_t>(seed >> (8 * i));
  secret[31] = 0x5a;
  return engine::noise::keypair_from_secret(secret);
}

struct SessionSide {
  Identity identity;
  engine::noise::KeyPair static_keypair;
};

SessionSide make_side(std::uint8_t index) {
  return SessionSide{test::test_identity(index), noise_keypair(1000 + index)};
}

engine::Session make_session(const SessionSide& side, bool initiator,
                             const engine::noise::KeyPair& ephemeral) {
  return engine::Session(engine::SessionOptions{
      .initiator = initiator,
      .network_digest = engine::network_digest("bench-network"),
      .identity = &side.identity,
      .hello = engine::Hello{.identity = side.identity.public_key(),
                             .zone = initiator ? "zone-a" : "zone-b",
                             .incarnation = 7,
                             .endpoints = {initiator ? "node-a:9102" : "node-b:9102"}},
      .static_keypair = side.static_keypair,
      .ephemeral_keypair = ephemeral,
  });
}

// Moves bytes both ways until neither side has anything to send.
void pump(engine::Session& a, engine::Session& b) {
  for (int round = 0; round < 10 && (a.has_outgoing() || b.has_outgoing()); round++) {
    const Bytes from_a = a.take_outgoing();
    const Bytes from_b = b.take_outgoing();
    b.handle_bytes(from_a);
    a.handle_bytes(from_b);
  }
}

// One full XX handshake: both sessions are made (each derives a fresh ephemeral key and signs
// its Hello, as Node::make_session does), then bytes are pumped until both are established.
void BM_SessionHandshake(benchmark::State& state) {
  const SessionSide a = make_side(1);
  const SessionSide b = make_side(2);
  std::uint64_t counter = 0;
  for (auto _ : state) {
    engine::Session initiator = make_session(a, true, noise_keypair(counter++));
    engine::Session responder = make_session(b, false, noise_keypair(counter++));
    pump(initiator, responder);
    MESH_ASSERT(initiator.state() == engine::SessionState::established);
    MESH_ASSERT(responder.state() == engine::SessionState::established);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_SessionHandshake)->Unit(benchmark::kMicrosecond);

// One message through an established pair: send (chunk + encrypt), take_outgoing, the peer's
// handle_bytes (decrypt + reassemble) and poll_message.
void BM_SessionThroughput(benchmark::State& state) {
  const SessionSide a = make_side(1);
  const SessionSide b = make_side(2);
  engine::Session sender = make_session(a, true, noise_keypair(1));
  engine::Session receiver = make_session(b, false, noise_keypair(2));
  pump(sender, receiver);
  MESH_ASSERT(sender.state() == engine::SessionState::established);
  const std::size_t size = arg_size(state);
  const Bytes message = make_payload(size);
  for (auto _ : state) {
    sender.send(message);
    const Bytes wire = sender.take_outgoing();
    receiver.handle_bytes(wire);
    auto received = receiver.poll_message();
    MESH_ASSERT(received.has_value());
    MESH_ASSERT(received->size() == size);
    benchmark::DoNotOptimize(received);
  }
  const std::size_t frames =
      size == 0 ? 1 : (size + engine::frame_payload_size_max - 1) / engine::frame_payload_size_max;
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * state.range(0));
  state.counters["frames/s"] =
      benchmark::Counter(static_cast<double>(state.iterations()) * static_cast<double>(frames),
                         benchmark::Counter::kIsRate);
}
BENCHMARK(BM_SessionThroughput)->Arg(64)->Arg(1024)->Arg(16 * 1024)->Arg(1024 * 1024);

}  // namespace
}  // namespace mesh::bench
