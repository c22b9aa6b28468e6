// SignatureCache: remembers operations whose signature already verified, by operation hash.
//
// A signature check is a pure function of the operation's bytes, and the operation hash covers
// the signed fields and the signature, so a hash seen valid once is valid everywhere. The
// simulator shares one cache among all its nodes (each operation is verified once instead of
// once per node); a production node may keep a private one. Bounded: when full it forgets the
// oldest entries (a forgotten entry costs one more verification, never a wrong answer).
// Holds no reference to anything; nodes only read and insert.
#pragma once

#include <cstddef>
#include <deque>
#include <set>

#include "engine/crypto.h"

namespace mesh::engine {

class SignatureCache {
 public:
  explicit SignatureCache(std::size_t entries_max = 1 << 20) : entries_max_(entries_max) {}

  bool contains(const Digest& operation_hash) const {
    return verified_.count(operation_hash) != 0;
  }
  void insert(const Digest& operation_hash) {
    if (!verified_.insert(operation_hash).second) return;
    order_.push_back(operation_hash);
    if (order_.size() > entries_max_) {
      verified_.erase(order_.front());
      order_.pop_front();
    }
  }
  std::size_t size() const { return verified_.size(); }

 private:
  std::size_t entries_max_;
  std::set<Digest> verified_;
  std::deque<Digest> order_;  // insertion order, for eviction
};

}  // namespace mesh::engine
