// LogStore: every author's append-only log of signed operations, as one node holds them.
//
// Inputs: operations from the network (insert) and from this node itself (append, snapshot).
// Outputs: the list of operations each insert accepted, in acceptance order, and the
// operations a peer lacks given its heights (for sync).
//
// Invariants, per log (author, incarnation):
// - Held operations below `next_seq` form a verified chain from the newest snapshot on: each
//   backlink equals the previous operation's hash. Operations before the newest snapshot are
//   held only if the snapshot names them live (by seq and hash).
// - An operation is accepted at most once; a second, different operation with the same seq is
//   an equivocation and is rejected.
// - Memory is bounded: parked (out-of-order) operations per log, tail length per log,
//   incarnations per author (engine/limits.h).
//
// The store does no I/O and never reads a clock; it does not interpret payloads.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "engine/operation.h"
#include "engine/signature_cache.h"

namespace mesh::engine {

// What a peer holds of one log: every operation needed below `height`, and the verified
// chain from its newest snapshot up to `next_seq` (height <= next_seq).
struct LogHeight {
  LogId log;
  std::uint64_t height = 0;
  std::uint64_t next_seq = 0;
  // Hash of the operation at next_seq - 1 (zero when next_seq is 0): two holders of one log
  // at one next_seq with different heads hold forks of it.
  Digest head{};
  auto operator<=>(const LogHeight&) const = default;
};

enum class InsertStatus {
  accepted,   // new; see InsertResult::accepted for it and any parked ones it released
  duplicate,  // already held or known dead
  parked,     // ahead of a gap; held until the gap closes
  obsolete,   // an incarnation older than the ones kept for this author
  rejected,   // bad signature, broken backlink, equivocation, over a limit
};

struct AcceptedOperation {
  LogId log;
  std::uint64_t seq = 0;
  OperationKind kind = OperationKind::data;
};

struct InsertResult {
  InsertStatus status = InsertStatus::duplicate;
  std::string reason;  // for rejected and parked
  // For rejected: the operation was signed by its author (it fails a rule of the log, such as
  // an equivocation), as opposed to a forgery or a damaged copy, which says nothing about the
  // author.
  bool authentic = false;
  std::vector<AcceptedOperation> accepted;  // in acceptance order
};

struct LogStoreLimits {
  std::size_t parked_per_log_max = 1024;
  std::size_t tail_operations_max = 65'536;  // held operations after the newest snapshot
  // Borrowed for the store's lifetime when set (see engine/signature_cache.h).
  SignatureCache* signature_cache = nullptr;
};

struct LogStoreStats {
  std::size_t log_count = 0;
  std::size_t operation_count = 0;
  std::size_t parked_count = 0;
  std::size_t byte_count = 0;  // encoded size of held and parked operations
};

class LogStore {
 public:
  explicit LogStore(LogStoreLimits limits = {});

  // Validates and inserts an operation from the network (signature checked here).
  InsertResult insert(Operation operation);

  // Appends a data operation to the log of `identity` at `incarnation`, signed now.
  Result<Operation, OperationFailure> append(const Identity& identity, std::uint64_t incarnation,
                                             const Digest& key, Bytes payload,
                                             std::int64_t timestamp_ms);
  // Appends a snapshot naming the newest operation of every key except `forget`, then drops
  // the rest of the log's history.
  Result<Operation, OperationFailure> snapshot(const Identity& identity, std::uint64_t incarnation,
                                               const std::vector<Digest>& forget,
                                               std::int64_t timestamp_ms);

  const Operation* find(const LogId& log, std::uint64_t seq) const;
  // Heights of every log, sorted by LogId.
  std::vector<LogHeight> heights() const;
  std::optional<LogHeight> height(const LogId& log) const;
  // Operations of `log` that a peer at `theirs` lacks, in the order it can accept them
  // (snapshot first), at most `count_max` operations and about `size_max` bytes (always at
  // least one). `more` is set when the limit cut the list short.
  struct Missing {
    std::vector<const Operation*> operations;
    bool more = false;
  };
  Missing missing_for(const LogId& log, const LogHeight& theirs, std::size_t count_max,
                      std::size_t size_max) const;
  // The live operations of a log for replication: newest per key, sorted by seq.
  std::vector<const Operation*> live_operations(const LogId& log) const;
  // Operations since the newest snapshot (or since seq 0), for deciding when to snapshot.
  std::size_t tail_count(const LogId& log) const;
  std::vector<LogId> logs() const;
  LogStoreStats stats() const;

 private:
  struct Log {
    LogId id;
    std::map<std::uint64_t, Operation> held;  // verified operations by seq
    std::uint64_t next_seq = 0;
    std::optional<Digest> last_hash;                // hash at next_seq - 1; set iff next_seq > 0
    std::optional<std::uint64_t> snapshot_seq;      // newest snapshot accepted
    std::map<std::uint64_t, Digest> missing_live;   // named live by the snapshot, not held yet
    std::map<std::uint64_t, Operation> parked;      // beyond a gap, signature verified
    std::map<Digest, std::uint64_t> newest_by_key;  // data operations only
    std::size_t held_size = 0;
  };

  Log* find_or_create_log(const LogId& id, InsertResult& result);
  void insert_verified(Log& log, Operation operation, InsertResult& result);
  void accept_contiguous(Log& log, Operation operation, InsertResult& result);
  void accept_snapshot_jump(Log& log, Operation operation, InsertResult& result);
  void apply_snapshot(Log& log, const Operation& snapshot, InsertResult& result);
  void drain_parked(Log& log, InsertResult& result);
  void park(Log& log, Operation operation, InsertResult& result);
  void hold(Log& log, Operation operation);
  void drop_held(Log& log, std::uint64_t seq);
  void remember_own_signature(const Operation& operation);
  static std::uint64_t height_of(const Log& log);

  LogStoreLimits limits_;
  std::map<LogId, Log> logs_;
};

}  // namespace mesh::engine
