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
#include <memory>
#include <utility>

#include "engine/assert.h"
#include "engine/crypto.h"
#include "engine/kube.h"

namespace mesh::engine {

class PayloadCache {
 public:
  explicit PayloadCache(std::size_t entries_max = 1 << 14,
                        std::size_t payload_size_max = std::size_t{256} << 20)
      : entries_max_(entries_max), payload_size_max_(payload_size_max) {
    MESH_ASSERT(entries_max_ > 0);
    MESH_ASSERT(payload_size_max_ > 0);
  }

  // The tree parsed from the payload with this hash, or null.
  std::shared_ptr<const Json> find(const Digest& payload_hash) const {
    const auto found = trees_.find(payload_hash);
    return found == trees_.end() ? nullptr : found->second.tree;
  }

  // `payload_size`: the bytes the tree was parsed from, counted against payload_size_max.
  void insert(const Digest& payload_hash, std::shared_ptr<const Json> tree,
              std::size_t payload_size) {
    MESH_ASSERT(tree != nullptr);
    if (payload_size > payload_size_max_) return;  // would evict everything else
    if (!trees_.emplace(payload_hash, Held{std::move(tree), payload_size}).second) return;
    order_.push_back(payload_hash);
    payload_size_ += payload_size;
    while (order_.size() > entries_max_ || payload_size_ > payload_size_max_) {
      const auto oldest = trees_.find(order_.front());
      MESH_ASSERT(oldest != trees_.end());
      payload_size_ -= oldest->second.payload_size;
      trees_.erase(oldest);
      order_.pop_front();
    }
    MESH_ASSERT(trees_.size() == order_.size());
  }

  std::size_t size() const { return trees_.size(); }
  std::size_t payload_size() const { return payload_size_; }

 private:
  struct Held {
    std::shared_ptr<const Json> tree;
    std::size_t payload_size = 0;
  };
  std::size_t entries_max_;
  std::size_t payload_size_max_;
  std::size_t payload_size_ = 0;  // sum of the held entries' payload_size
  std::map<Digest, Held> trees_;
  std::deque<Digest> order_;  // insertion order, for eviction
};

}  // namespace mesh::engine
