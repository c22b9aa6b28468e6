// PayloadCache: parsed replication payloads, by payload hash.
//
// Parsing a payload is a pure function of its bytes, and the payload hash that every stored
// operation carries (checked against the bytes before a store accepts the operation) names
// them, so a tree parsed once is the tree every node would parse. The simulator shares one
// cache among all its nodes, as it shares the SignatureCache: each payload is parsed once
// instead of once per zone (its author's replication reads it too). A production node gains
// nothing from one (it parses each payload once anyway) and passes none. Bounded by entries
// and by payload bytes: when either is full it forgets the oldest entries (a forgotten entry
// costs one more parse, never a different result). Trees are shared and immutable; nodes only
// look up and insert.
#pragma once

#include <cstddef>
#include <deque>
#include <map>
#include <utility>

#include "engine/assert.h"
#include "engine/crypto.h"
#include "engine/kube.h"
#include "engine/limits.h"

namespace mesh::engine {

struct PayloadCacheLimits {
  std::size_t entries_max = payload_cache_entries_max;
  std::size_t payload_size_max = payload_cache_payload_size_max;  // bytes of payload text
};

class PayloadCache {
 public:
  explicit PayloadCache(PayloadCacheLimits limits = {}) : limits_(limits) {
    MESH_ASSERT(limits_.entries_max > 0);
    MESH_ASSERT(limits_.payload_size_max > 0);
  }

  // The tree parsed from the payload with this hash, or null. Valid until the next insert.
  const Json* find(const Digest& payload_hash) const {
    const auto found = trees_.find(payload_hash);
    return found == trees_.end() ? nullptr : &found->second.tree;
  }

  // Whether a tree parsed from `payload_size` bytes may be kept: not one larger than the cache.
  bool fits(std::size_t payload_size) const { return payload_size <= limits_.payload_size_max; }

  // Keeps `tree`, parsed from `payload_size` bytes (which fit) with this hash, and returns it
  // (valid until the next insert).
  const Json* insert(const Digest& payload_hash, Json tree, std::size_t payload_size) {
    MESH_ASSERT(fits(payload_size));
    const auto [kept, inserted] =
        trees_.emplace(payload_hash, Held{std::move(tree), payload_size});
    if (!inserted) return &kept->second.tree;  // parsed from the same bytes: the same tree
    order_.push_back(payload_hash);
    payload_size_ += payload_size;
    // The newest entry fits alone (checked above), so eviction never reaches it.
    while (order_.size() > limits_.entries_max || payload_size_ > limits_.payload_size_max) {
      MESH_ASSERT(order_.front() != payload_hash);
      const auto oldest = trees_.find(order_.front());
      MESH_ASSERT(oldest != trees_.end());
      payload_size_ -= oldest->second.payload_size;
      trees_.erase(oldest);
      order_.pop_front();
    }
    MESH_ASSERT(trees_.size() == order_.size());
    return &kept->second.tree;
  }

  std::size_t size() const { return trees_.size(); }
  std::size_t payload_size() const { return payload_size_; }

 private:
  struct Held {
    Json tree;
    std::size_t payload_size = 0;
  };
  PayloadCacheLimits limits_;
  std::size_t payload_size_ = 0;  // sum of the held entries' payload_size
  std::map<Digest, Held> trees_;  // std::map: a held tree's address survives other inserts
  std::deque<Digest> order_;      // insertion order, for eviction
};

}  // namespace mesh::engine
