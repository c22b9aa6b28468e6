// Operation: one signed entry of an author's append-only log.
//
// A log is identified by (author key, incarnation); an author starts a new incarnation when it
// restarts without its persisted state. Each operation carries its sequence number, the hash
// of the previous operation (backlink; absent at seq 0), a key naming what it describes (the
// replicated object), the BLAKE2b hash and size of its payload, the author's wall-clock time
// (informational only, never used to order), and an Ed25519 signature over all of that. Any
// node may relay any operation: receivers check the author's signature, so relays cannot forge.
//
// Snapshot operations list the live operations of the log (seq, key, hash); everything else
// before a snapshot may be dropped (engine/log_store.h).
//
// Decoding checks structure and sizes only. The payload hash (payload_matches) and the
// signature (verify_signature) are checked by LogStore::insert after its duplicate checks, so
// that the copies of an operation that every neighbour pushes cost neither a BLAKE2b pass over
// the payload nor an Ed25519 verification.
#pragma once

#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "engine/bytes.h"
#include "engine/crypto.h"
#include "engine/identity.h"
#include "engine/result.h"

namespace mesh::engine {

struct LogId {
  PublicKey author;
  std::uint64_t incarnation = 0;

  auto operator<=>(const LogId&) const = default;
  std::string to_string() const;  // "<short author>/<incarnation>"
};

enum class OperationKind : std::uint8_t { data = 1, snapshot = 2 };

enum class OperationError {
  malformed,            // structure, sizes or field domains are wrong
  unsupported_version,  // a future operation format
  bad_signature,        // not signed by the claimed author
  payload_too_large,    // over operation_payload_size_max
};

using OperationFailure = Error<OperationError>;

inline constexpr std::uint8_t operation_version = 1;

struct OperationFields {
  LogId log;
  std::uint64_t seq = 0;
  OperationKind kind = OperationKind::data;
  Digest key;                      // zero for snapshots
  std::optional<Digest> backlink;  // present iff seq > 0
  std::int64_t timestamp_ms = 0;   // author's wall clock
};

class Operation {
 public:
  // Signs a new operation. The identity must be the log's author.
  static Result<Operation, OperationFailure> create(const Identity& identity,
                                                    const OperationFields& fields, Bytes payload);
  // Parses one encoded operation and checks structure, sizes and payload hash.
  static Result<Operation, OperationFailure> decode(ByteView bytes);

  void encode(Bytes& out) const;
  std::size_t encoded_size() const;
  // Checks the Ed25519 signature. A pure function of the operation's bytes.
  bool verify_signature() const;
  // The payload hashes to the payload hash the signature covers. hash() does not cover the
  // payload bytes themselves, so an operation is only genuine when this holds too.
  bool payload_matches() const;

  const LogId& log() const { return fields_.log; }
  std::uint64_t seq() const { return fields_.seq; }
  OperationKind kind() const { return fields_.kind; }
  const Digest& key() const { return fields_.key; }
  const std::optional<Digest>& backlink() const { return fields_.backlink; }
  std::int64_t timestamp_ms() const { return fields_.timestamp_ms; }
  const Bytes& payload() const { return payload_; }
  const Digest& payload_hash() const { return payload_hash_; }
  const Signature& signature() const { return signature_; }
  // BLAKE2b-256 of the signed header and signature: the operation's identity.
  const Digest& hash() const { return hash_; }

 private:
  Operation() = default;
  void encode_signed_part(Bytes& out) const;
  void compute_hash();

  OperationFields fields_;
  Digest payload_hash_;
  Signature signature_;
  Bytes payload_;
  Digest hash_;
};

// One live operation named by a snapshot.
struct SnapshotEntry {
  std::uint64_t seq = 0;
  Digest key;
  Digest hash;
  auto operator<=>(const SnapshotEntry&) const = default;
};

// Snapshot payload: entries sorted by seq, strictly increasing, all below the snapshot's seq.
Bytes encode_snapshot_payload(const std::vector<SnapshotEntry>& entries);
Result<std::vector<SnapshotEntry>, OperationFailure> decode_snapshot_payload(
    ByteView payload, std::uint64_t snapshot_seq);

}  // namespace mesh::engine
