#include "engine/log_store.h"

#include <algorithm>

#include "engine/limits.h"

namespace mesh::engine {

namespace {

std::string describe(const Operation& operation) {
  return operation.log().to_string() + "#" + std::to_string(operation.seq());
}

void reject(InsertResult& result, std::string reason) {
  result.status = InsertStatus::rejected;
  result.reason = std::move(reason);
}

}  // namespace

LogStore::LogStore(LogStoreLimits limits) : limits_(limits) {
  MESH_ASSERT(limits_.parked_per_log_max > 0);
  MESH_ASSERT(limits_.tail_operations_max > 0);
}

std::uint64_t LogStore::height_of(const Log& log) {
  if (log.missing_live.empty()) return log.next_seq;
  return std::min(log.next_seq, log.missing_live.begin()->first);
}

InsertResult LogStore::insert(Operation operation) {
  InsertResult result;
  const auto existing = logs_.find(operation.log());
  if (existing != logs_.end()) {
    const Log& log = existing->second;
    const std::uint64_t seq = operation.seq();
    // Cheap duplicate checks first: most copies of an operation arrive more than once.
    if (seq < log.next_seq && log.missing_live.count(seq) == 0) {
      const auto held = log.held.find(seq);
      if (held == log.held.end() || held->second.hash() == operation.hash()) {
        result.status = InsertStatus::duplicate;
        return result;
      }
    }
    if (const auto parked = log.parked.find(seq);
        parked != log.parked.end() && parked->second.hash() == operation.hash()) {
      result.status = InsertStatus::duplicate;
      return result;
    }
  }
  // The payload first, and whether or not the cache knows the hash: the hash covers the
  // signed header (with the payload's hash) but not the payload bytes.
  if (!operation.payload_matches()) {
    reject(result, describe(operation) + ": payload does not match its hash");
    return result;
  }
  SignatureCache* cache = limits_.signature_cache;
  if (cache == nullptr || !cache->contains(operation.hash())) {
    if (!operation.verify_signature()) {
      reject(result, describe(operation) + ": bad signature");
      return result;
    }
    if (cache != nullptr) cache->insert(operation.hash());
  }
  result.authentic = true;  // from here on, every rejection is of what its author signed
  const LogId id = operation.log();
  Log* log = find_or_create_log(id, result);
  if (log == nullptr) return result;
  insert_verified(*log, std::move(operation), result);
  drain_parked(*log, result);
  if (!result.accepted.empty()) result.status = InsertStatus::accepted;
  // A log created for an operation that was then refused holds nothing: do not keep it.
  if (log->held.empty() && log->parked.empty() && log->next_seq == 0) logs_.erase(id);
  return result;
}

LogStore::Log* LogStore::find_or_create_log(const LogId& id, InsertResult& result) {
  const auto existing = logs_.find(id);
  if (existing != logs_.end()) return &existing->second;
  // The author's logs are adjacent in the map, ordered by incarnation.
  const auto first = logs_.lower_bound(LogId{id.author, 0});
  auto last = first;
  std::size_t count = 0;
  while (last != logs_.end() && last->first.author == id.author) {
    ++last;
    count++;
  }
  if (count >= incarnations_per_author_max) {
    if (id.incarnation < first->first.incarnation) {
      result.status = InsertStatus::obsolete;
      result.reason = id.to_string() + ": older than the incarnations kept";
      return nullptr;
    }
    logs_.erase(first);
  }
  Log& log = logs_[id];
  log.id = id;
  return &log;
}

void LogStore::insert_verified(Log& log, Operation operation, InsertResult& result) {
  const std::uint64_t seq = operation.seq();
  if (seq < log.next_seq) {
    const auto missing = log.missing_live.find(seq);
    if (missing == log.missing_live.end()) {
      const auto held = log.held.find(seq);
      if (held != log.held.end() && held->second.hash() != operation.hash()) {
        reject(result, describe(operation) + ": equivocation (a different operation is held)");
      } else {
        result.status = InsertStatus::duplicate;
      }
      return;
    }
    if (missing->second != operation.hash()) {
      reject(result, describe(operation) + ": not the operation the snapshot names");
      return;
    }
    log.missing_live.erase(missing);
    result.accepted.push_back({log.id, seq, operation.kind()});
    hold(log, std::move(operation));
    return;
  }
  if (seq == log.next_seq) {
    accept_contiguous(log, std::move(operation), result);
  } else if (operation.kind() == OperationKind::snapshot) {
    accept_snapshot_jump(log, std::move(operation), result);
  } else {
    park(log, std::move(operation), result);
  }
}

void LogStore::accept_contiguous(Log& log, Operation operation, InsertResult& result) {
  MESH_ASSERT(operation.seq() == log.next_seq);
  if (operation.backlink() != log.last_hash) {
    reject(result, describe(operation) + ": backlink does not match the previous operation");
    return;
  }
  if (tail_count(log.id) >= limits_.tail_operations_max) {
    reject(result, describe(operation) + ": log tail limit of " +
                       std::to_string(limits_.tail_operations_max) + " operations reached");
    return;
  }
  const bool is_snapshot = operation.kind() == OperationKind::snapshot;
  if (is_snapshot && !decode_snapshot_payload(operation.payload(), operation.seq()).ok()) {
    reject(result, describe(operation) + ": malformed snapshot payload");
    return;
  }
  const std::uint64_t seq = operation.seq();
  log.next_seq = seq + 1;
  log.last_hash = operation.hash();
  result.accepted.push_back({log.id, seq, operation.kind()});
  hold(log, std::move(operation));
  if (is_snapshot) apply_snapshot(log, log.held.at(seq), result);
  MESH_ASSERT(height_of(log) <= log.next_seq);
}

void LogStore::accept_snapshot_jump(Log& log, Operation operation, InsertResult& result) {
  MESH_ASSERT(operation.seq() > log.next_seq);
  MESH_ASSERT(operation.kind() == OperationKind::snapshot);
  if (!decode_snapshot_payload(operation.payload(), operation.seq()).ok()) {
    reject(result, describe(operation) + ": malformed snapshot payload");
    return;
  }
  // The predecessor is unknown here, so the backlink cannot be checked; the author's
  // signature vouches for the snapshot, and the snapshot vouches for the operations it names.
  const std::uint64_t seq = operation.seq();
  log.next_seq = seq + 1;
  log.last_hash = operation.hash();
  result.accepted.push_back({log.id, seq, OperationKind::snapshot});
  hold(log, std::move(operation));
  apply_snapshot(log, log.held.at(seq), result);
}

void LogStore::apply_snapshot(Log& log, const Operation& snapshot, InsertResult& result) {
  const auto decoded = decode_snapshot_payload(snapshot.payload(), snapshot.seq());
  MESH_ASSERT(decoded.ok());  // checked before acceptance
  std::map<std::uint64_t, Digest> named;
  for (const SnapshotEntry& entry : decoded.value()) named[entry.seq] = entry.hash;
  std::vector<std::uint64_t> dead;
  for (const auto& [seq, operation] : log.held) {
    if (seq >= snapshot.seq()) break;
    const auto entry = named.find(seq);
    if (entry == named.end() || entry->second != operation.hash()) dead.push_back(seq);
  }
  for (const std::uint64_t seq : dead) drop_held(log, seq);
  log.missing_live.clear();
  for (const auto& [seq, hash] : named) {
    if (log.held.count(seq) == 0) log.missing_live[seq] = hash;
  }
  // Parked operations before the snapshot are either named live (adopt) or dead (drop).
  while (!log.parked.empty() && log.parked.begin()->first < snapshot.seq()) {
    auto node = log.parked.extract(log.parked.begin());
    const auto missing = log.missing_live.find(node.key());
    if (missing != log.missing_live.end() && missing->second == node.mapped().hash()) {
      log.missing_live.erase(missing);
      result.accepted.push_back({log.id, node.key(), node.mapped().kind()});
      hold(log, std::move(node.mapped()));
    }
  }
  log.snapshot_seq = snapshot.seq();
  log.newest_by_key.clear();
  for (const auto& [seq, operation] : log.held) {
    if (operation.kind() == OperationKind::data) log.newest_by_key[operation.key()] = seq;
  }
}

void LogStore::drain_parked(Log& log, InsertResult& result) {
  // Bounded: every pass removes one parked operation.
  while (!log.parked.empty() && log.parked.begin()->first <= log.next_seq) {
    auto node = log.parked.extract(log.parked.begin());
    InsertResult step;
    insert_verified(log, std::move(node.mapped()), step);
    result.accepted.insert(result.accepted.end(), step.accepted.begin(), step.accepted.end());
  }
}

void LogStore::park(Log& log, Operation operation, InsertResult& result) {
  MESH_ASSERT(operation.seq() > log.next_seq);
  result.status = InsertStatus::parked;
  result.reason = describe(operation) + ": waiting for seq " + std::to_string(log.next_seq);
  if (log.parked.size() >= limits_.parked_per_log_max) {
    // Keep the operations nearest the gap; the farthest will be synced again later.
    const auto farthest = std::prev(log.parked.end());
    if (farthest->first < operation.seq()) {
      reject(result, describe(operation) + ": parked-operation limit reached");
      return;
    }
    log.parked.erase(farthest);
  }
  const std::uint64_t seq = operation.seq();
  log.parked.emplace(seq, std::move(operation));
}

void LogStore::hold(Log& log, Operation operation) {
  const std::uint64_t seq = operation.seq();
  if (operation.kind() == OperationKind::data) {
    auto& newest = log.newest_by_key[operation.key()];
    newest = std::max(newest, seq);
  }
  log.held_size += operation.encoded_size();
  const bool inserted = log.held.emplace(seq, std::move(operation)).second;
  MESH_ASSERT(inserted);
}

void LogStore::drop_held(Log& log, std::uint64_t seq) {
  const auto held = log.held.find(seq);
  MESH_ASSERT(held != log.held.end());
  MESH_ASSERT(log.held_size >= held->second.encoded_size());
  log.held_size -= held->second.encoded_size();
  log.held.erase(held);
}

Result<Operation, OperationFailure> LogStore::append(const Identity& identity,
                                                     std::uint64_t incarnation, const Digest& key,
                                                     Bytes payload, std::int64_t timestamp_ms) {
  const LogId id{identity.public_key(), incarnation};
  InsertResult result;
  Log* log = find_or_create_log(id, result);
  MESH_ASSERT(log != nullptr);  // our own incarnation is never older than what we keep
  MESH_TRY(Operation operation, Operation::create(identity,
                                                  {.log = id,
                                                   .seq = log->next_seq,
                                                   .kind = OperationKind::data,
                                                   .key = key,
                                                   .backlink = log->last_hash,
                                                   .timestamp_ms = timestamp_ms},
                                                  std::move(payload)));
  insert_verified(*log, operation, result);
  MESH_ASSERT(result.accepted.size() == 1);
  remember_own_signature(operation);
  return operation;
}

Result<Operation, OperationFailure> LogStore::snapshot(const Identity& identity,
                                                       std::uint64_t incarnation,
                                                       const std::vector<Digest>& forget,
                                                       std::int64_t timestamp_ms) {
  const LogId id{identity.public_key(), incarnation};
  InsertResult result;
  Log* log = find_or_create_log(id, result);
  MESH_ASSERT(log != nullptr);
  std::vector<SnapshotEntry> entries;
  for (const auto& [key, seq] : log->newest_by_key) {
    if (std::find(forget.begin(), forget.end(), key) != forget.end()) continue;
    entries.push_back({seq, key, log->held.at(seq).hash()});
  }
  std::sort(entries.begin(), entries.end());
  if (entries.size() > snapshot_entries_max) {
    return fail(OperationError::payload_too_large, "snapshot of " + std::to_string(entries.size()) +
                                                       " keys exceeds " +
                                                       std::to_string(snapshot_entries_max));
  }
  MESH_TRY(Operation operation, Operation::create(identity,
                                                  {.log = id,
                                                   .seq = log->next_seq,
                                                   .kind = OperationKind::snapshot,
                                                   .key = Digest{},
                                                   .backlink = log->last_hash,
                                                   .timestamp_ms = timestamp_ms},
                                                  encode_snapshot_payload(entries)));
  insert_verified(*log, operation, result);
  MESH_ASSERT(result.accepted.size() == 1);
  MESH_ASSERT(tail_count(id) == 0);
  remember_own_signature(operation);
  return operation;
}

// We just signed it with our own key, so it is valid by construction: a shared cache then
// spares every receiver the check (in the simulator, the only verification of our own
// operations left would be this store's, which never verifies what it authors).
void LogStore::remember_own_signature(const Operation& operation) {
  MESH_DEBUG_ASSERT(operation.verify_signature());
  if (limits_.signature_cache != nullptr) limits_.signature_cache->insert(operation.hash());
}

const Operation* LogStore::find(const LogId& log, std::uint64_t seq) const {
  const auto found = logs_.find(log);
  if (found == logs_.end()) return nullptr;
  const auto held = found->second.held.find(seq);
  return held == found->second.held.end() ? nullptr : &held->second;
}

std::vector<LogHeight> LogStore::heights() const {
  std::vector<LogHeight> out;
  out.reserve(logs_.size());
  for (const auto& [id, log] : logs_) {
    out.push_back({id, height_of(log), log.next_seq, log.last_hash.value_or(Digest{})});
  }
  return out;
}

std::optional<LogHeight> LogStore::height(const LogId& id) const {
  const auto found = logs_.find(id);
  if (found == logs_.end()) return std::nullopt;
  return LogHeight{id, height_of(found->second), found->second.next_seq,
                   found->second.last_hash.value_or(Digest{})};
}

LogStore::Missing LogStore::missing_for(const LogId& id, const LogHeight& theirs,
                                        std::size_t count_max, std::size_t size_max) const {
  MESH_ASSERT(count_max > 0);
  Missing missing;
  const auto found = logs_.find(id);
  if (found == logs_.end()) return missing;
  const Log& log = found->second;
  std::size_t size = 0;
  // Returns false once a limit is reached; the first operation always fits.
  const auto add = [&](const Operation& operation) {
    if (!missing.operations.empty() &&
        (missing.operations.size() >= count_max || size + operation.encoded_size() > size_max)) {
      missing.more = true;
      return false;
    }
    size += operation.encoded_size();
    missing.operations.push_back(&operation);
    return true;
  };
  std::uint64_t tail_start = theirs.height;
  if (log.snapshot_seq) {
    const std::uint64_t snapshot_seq = *log.snapshot_seq;
    if (theirs.next_seq <= snapshot_seq && !add(log.held.at(snapshot_seq))) return missing;
    for (auto it = log.held.lower_bound(theirs.height);
         it != log.held.end() && it->first < snapshot_seq; ++it) {
      if (!add(it->second)) return missing;
    }
    tail_start = std::max(snapshot_seq + 1, theirs.next_seq);
  }
  for (auto it = log.held.lower_bound(tail_start); it != log.held.end(); ++it) {
    if (!add(it->second)) return missing;
  }
  return missing;
}

std::vector<const Operation*> LogStore::live_operations(const LogId& id) const {
  std::vector<const Operation*> out;
  const auto found = logs_.find(id);
  if (found == logs_.end()) return out;
  for (const auto& [key, seq] : found->second.newest_by_key) {
    out.push_back(&found->second.held.at(seq));
  }
  std::sort(out.begin(), out.end(),
            [](const Operation* a, const Operation* b) { return a->seq() < b->seq(); });
  return out;
}

std::size_t LogStore::tail_count(const LogId& id) const {
  const auto found = logs_.find(id);
  if (found == logs_.end()) return 0;
  const Log& log = found->second;
  if (!log.snapshot_seq) return log.held.size();
  // Everything after the newest snapshot was accepted in order (accept_contiguous) and only a
  // newer snapshot drops held operations, so the tail is the run snapshot_seq+1..next_seq-1:
  // counted without walking it (the node asks after every input).
  MESH_ASSERT(*log.snapshot_seq < log.next_seq);
  const auto count = static_cast<std::size_t>(log.next_seq - 1 - *log.snapshot_seq);
  MESH_DEBUG_ASSERT(count == static_cast<std::size_t>(std::distance(
                                 log.held.upper_bound(*log.snapshot_seq), log.held.end())));
  MESH_ASSERT(count == 0 || log.held.rbegin()->first == log.next_seq - 1);
  return count;
}

std::vector<LogId> LogStore::logs() const {
  std::vector<LogId> out;
  out.reserve(logs_.size());
  for (const auto& [id, log] : logs_) out.push_back(id);
  return out;
}

LogStoreStats LogStore::stats() const {
  LogStoreStats stats;
  stats.log_count = logs_.size();
  for (const auto& [id, log] : logs_) {
    stats.operation_count += log.held.size();
    stats.parked_count += log.parked.size();
    stats.byte_count += log.held_size;
    for (const auto& [seq, operation] : log.parked) stats.byte_count += operation.encoded_size();
  }
  return stats;
}

}  // namespace mesh::engine
