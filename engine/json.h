// The JSON type of every object the mesh handles: Kubernetes objects, payloads, field sets.
//
// One alias, so that the representation of JSON objects is chosen in one place for the engine,
// kube_sim and the simulator alike. Code outside these layers that only formats or parses
// unrelated JSON (log lines, test vectors) keeps plain nlohmann::json.
//
// Objects are sorted vectors (boost::container::flat_map) instead of nlohmann's default
// std::map: the same key order (so dumps, hashes and signatures are unchanged), one buffer per
// object instead of one node per member, and walks over contiguous memory. Kubernetes objects
// are small maps read far more often than they are built, and std::map node churn was about
// half of the simulator's time (docs/benchmarks.md, run of 2026-12-07).
//
// The price: inserting or erasing a member moves the members after it, so a reference or
// iterator to a member of an object does not survive an insert into or an erase from that same
// object (members of other objects, and the object itself, stay put). Builds with
// MESH_JSON_RELOCATING_OBJECTS (the `asan` preset) move every member of an object to fresh
// memory on each insert and erase, so that AddressSanitizer reports any such reference used
// afterwards instead of it silently reading a neighbour (a check for the code paths the
// tests reach under that preset; CI's release build does not run it).
#pragma once

#include <cstddef>
#include <type_traits>
#include <utility>

#include <boost/container/flat_map.hpp>
#include <nlohmann/json.hpp>

namespace mesh::engine {
namespace internal {

#if defined(MESH_JSON_RELOCATING_OBJECTS)

// The checking object type: a flat map whose every size change relocates all members. It wraps
// what nlohmann::basic_json calls (json.hpp: emplace, insert, operator[], erase; json_sax.hpp:
// operator[]) and deletes the flat map's other mutators, so code reaching the map through
// get_ref cannot bypass the check. clear() stays: it ends every member's life with std::map too.
template <class Key, class Value, class Compare>
class RelocatingFlatMap : public boost::container::flat_map<Key, Value, Compare> {
  using Base = boost::container::flat_map<Key, Value, Compare>;

 public:
  using Base::Base;
  using typename Base::const_iterator;
  using typename Base::iterator;
  using typename Base::size_type;
  using typename Base::value_type;

  template <class... Args>
  std::pair<iterator, bool> emplace(Args&&... args) {
    auto [it, inserted] = Base::emplace(std::forward<Args>(args)...);
    return {inserted ? relocate(index_of(it)) : it, inserted};
  }
  std::pair<iterator, bool> insert(const value_type& value) { return emplace(value); }
  template <class InputIt>
  void insert(InputIt first, InputIt last) {
    Base::insert(first, last);
    relocate(0);
  }
  template <class K>
  Value& operator[](K&& key) {
    const size_type size_before = Base::size();
    iterator it = Base::try_emplace(Key(std::forward<K>(key))).first;
    return (Base::size() == size_before ? it : relocate(index_of(it)))->second;
  }
  iterator erase(const_iterator position) {
    const size_type index = index_of(position);
    Base::erase(position);
    return relocate(index);
  }
  iterator erase(const_iterator first, const_iterator last) {
    const size_type index = index_of(first);
    Base::erase(first, last);
    return relocate(index);
  }
  template <class K>
  requires(!std::is_convertible_v<K, const_iterator>) size_type erase(const K& key) {
    const size_type erased = Base::erase(Key(key));
    if (erased != 0) relocate(0);
    return erased;
  }
  // clang-format off
  template <class... Args> void try_emplace(Args&&...) = delete;
  template <class... Args> void emplace_hint(Args&&...) = delete;
  template <class... Args> void insert_or_assign(Args&&...) = delete;
  template <class... Args> void merge(Args&&...) = delete;
  // clang-format on
  void reserve(size_type) = delete;
  void shrink_to_fit() = delete;
  void extract_sequence() = delete;

 private:
  size_type index_of(const_iterator it) const {
    return static_cast<size_type>(it - Base::cbegin());
  }
  // Moves every member to a new buffer and frees the old one; returns the iterator at `index`.
  iterator relocate(size_type index) {
    typename Base::sequence_type moved;
    {
      typename Base::sequence_type old = Base::extract_sequence();
      moved.reserve(old.size());
      for (auto& member : old) moved.emplace_back(std::move(member));
    }
    Base::adopt_sequence(boost::container::ordered_unique_range, std::move(moved));
    return Base::nth(index);
  }
};

template <class Key, class Value, class Compare, class Allocator>
using ObjectMap = RelocatingFlatMap<Key, Value, Compare>;

#else

// nlohmann passes an allocator for std::pair<const Key, Value>; the flat map stores
// std::pair<Key, Value> with its default allocator.
template <class Key, class Value, class Compare, class Allocator>
using ObjectMap = boost::container::flat_map<Key, Value, Compare>;

#endif

}  // namespace internal

using Json = nlohmann::basic_json<internal::ObjectMap>;

// Parent pointers (JSON_DIAGNOSTICS) would dangle when a flat object moves its members, and
// parse_json's tree builder does not set them.
static_assert(JSON_DIAGNOSTICS == 0, "engine::Json needs JSON_DIAGNOSTICS off");

}  // namespace mesh::engine
