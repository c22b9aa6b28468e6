#include "engine/json_util.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
#include <iterator>
#include <utility>
#include <vector>

#include "engine/assert.h"

namespace mesh::engine {

namespace {

const Json& null_json() {
  static const Json null_value = nullptr;
  return null_value;
}

// Builds the tree of a parse from nlohmann's SAX events, with the depth limit. Hand-written
// because nlohmann's own tree builder inserts an object's members one at a time: each insert
// into a flat object (engine/json.h) moves the members after it, so an object whose n keys
// arrive in descending order would cost O(n^2), and a hostile payload of 10^5 members seconds.
// Here an object's members are collected as they come and sorted once when it closes
// (duplicate keys: the last one wins, as with nlohmann's builder).
class TreeBuilder {
 public:
  enum class Stop : std::uint8_t { none, too_deep, malformed };

  bool null() { return add(Json(nullptr)); }
  bool boolean(bool value) { return add(Json(value)); }
  bool number_integer(Json::number_integer_t value) { return add(Json(value)); }
  bool number_unsigned(Json::number_unsigned_t value) { return add(Json(value)); }
  bool number_float(Json::number_float_t value, const std::string&) { return add(Json(value)); }
  bool string(std::string& value) { return add(Json(std::move(value))); }
  bool binary(Json::binary_t& value) { return add(Json::binary(std::move(value))); }
  bool start_object(std::size_t) { return open(true); }
  bool start_array(std::size_t) { return open(false); }
  bool key(std::string& name) {
    if (!depth_allowed()) return false;
    frames_.back().key = std::move(name);
    return true;
  }
  bool end_object() {
    Frame frame = std::move(frames_.back());
    frames_.pop_back();
    auto& members = frame.members;
    // Stable, so equal keys keep their arrival order and the last of each run is the one kept.
    std::stable_sort(members.begin(), members.end(),
                     [](const auto& left, const auto& right) { return left.first < right.first; });
    auto kept = members.begin();
    for (auto it = members.begin(); it != members.end(); ++it) {
      const auto next = std::next(it);
      if (next != members.end() && next->first == it->first) continue;
      if (kept != it) *kept = std::move(*it);
      ++kept;
    }
    members.erase(kept, members.end());
    Json object(Json::value_t::object);
    object.get_ref<Json::object_t&>().adopt_sequence(boost::container::ordered_unique_range,
                                                     std::move(members));
    return add(std::move(object));
  }
  bool end_array() {
    Frame frame = std::move(frames_.back());
    frames_.pop_back();
    Json array(Json::value_t::array);
    array.get_ref<Json::array_t&>() = std::move(frame.elements);
    return add(std::move(array));
  }
  bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception& error) {
    stop_ = Stop::malformed;
    error_ = error.what();
    return false;
  }

  Json take_root() { return std::move(root_); }
  Stop stop() const { return stop_; }
  const std::string& error() const { return error_; }

 private:
  struct Frame {
    bool is_object = false;
    std::string key;                        // objects: the key of the next member
    Json::object_t::sequence_type members;  // objects, in arrival order
    Json::array_t elements;                 // arrays
  };

  // nlohmann's callback parser counted the open containers at each key, scalar and container
  // start; text deeper than json_depth_max there is too deep here.
  bool depth_allowed() {
    if (frames_.size() <= json_depth_max) return true;
    stop_ = Stop::too_deep;
    return false;
  }
  bool open(bool is_object) {
    if (!depth_allowed()) return false;
    frames_.push_back(Frame{is_object, {}, {}, {}});
    return true;
  }
  bool add(Json value) {
    if (frames_.empty()) {
      root_ = std::move(value);
      return true;
    }
    if (!depth_allowed()) return false;
    Frame& frame = frames_.back();
    if (frame.is_object) {
      frame.members.emplace_back(std::move(frame.key), std::move(value));
    } else {
      frame.elements.push_back(std::move(value));
    }
    return true;
  }

  std::vector<Frame> frames_;
  Json root_;
  Stop stop_ = Stop::none;
  std::string error_;
};

// How canonical text renders a value, as far as comparing two values needs it: NaN and the
// infinities render as null, every integer as its decimal value, a finite double as its
// shortest round-trip digits (always with a '.' or an exponent, so never as an integer).
bool renders_null(const Json& value) {
  return value.is_null() || (value.is_number_float() && !std::isfinite(value.get<double>()));
}

bool same_integer(const Json& left, const Json& right) {
  MESH_ASSERT(left.is_number_integer());  // unsigned counts as integer too
  MESH_ASSERT(right.is_number_integer());
  if (left.is_number_unsigned() && right.is_number_unsigned()) {
    return left.get<std::uint64_t>() == right.get<std::uint64_t>();
  }
  if (left.is_number_integer() && right.is_number_integer() && !left.is_number_unsigned() &&
      !right.is_number_unsigned()) {
    return left.get<std::int64_t>() == right.get<std::int64_t>();
  }
  const Json& signed_value = left.is_number_unsigned() ? right : left;
  const Json& unsigned_value = left.is_number_unsigned() ? left : right;
  const std::int64_t number = signed_value.get<std::int64_t>();
  return number >= 0 && static_cast<std::uint64_t>(number) == unsigned_value.get<std::uint64_t>();
}

}  // namespace

// Unequal bytes can still render alike: invalid UTF-8 renders as U+FFFD.
bool same_canonical_string(const std::string& left, const std::string& right) {
  return left == right || canonical(Json(left)) == canonical(Json(right));
}

namespace {

enum class Shallow : std::uint8_t { same, different, same_if_children_are };

// Compares two values down to their children, which the caller compares next.
Shallow same_canonical_shallow(const Json& left, const Json& right) {
  const bool left_null = renders_null(left);
  const bool right_null = renders_null(right);
  if (left_null || right_null) return left_null == right_null ? Shallow::same : Shallow::different;
  const bool left_integer = left.is_number_integer();
  const bool right_integer = right.is_number_integer();
  if (left_integer && right_integer) {
    return same_integer(left, right) ? Shallow::same : Shallow::different;
  }
  if (left.type() != right.type()) return Shallow::different;
  switch (left.type()) {
    case Json::value_t::boolean:
      return left.get<bool>() == right.get<bool>() ? Shallow::same : Shallow::different;
    case Json::value_t::number_float:
      return std::bit_cast<std::uint64_t>(left.get<double>()) ==
                     std::bit_cast<std::uint64_t>(right.get<double>())
                 ? Shallow::same
                 : Shallow::different;
    case Json::value_t::string:
      return same_canonical_string(left.get_ref<const std::string&>(),
                                   right.get_ref<const std::string&>())
                 ? Shallow::same
                 : Shallow::different;
    case Json::value_t::array:
    case Json::value_t::object:
      return left.size() == right.size() ? Shallow::same_if_children_are : Shallow::different;
    default: MESH_UNREACHABLE();
  }
}

}  // namespace

Result<Json, Error<JsonError>> parse_json(std::string_view text, std::size_t size_max) {
  if (text.size() > size_max) {
    return fail(JsonError::too_large, "JSON of " + std::to_string(text.size()) + " bytes exceeds " +
                                          std::to_string(size_max));
  }
  TreeBuilder builder;
  const bool parsed = Json::sax_parse(text.begin(), text.end(), &builder);
  switch (builder.stop()) {
    case TreeBuilder::Stop::too_deep:
      return fail(JsonError::too_deep,
                  "JSON nested deeper than " + std::to_string(json_depth_max) + " levels");
    case TreeBuilder::Stop::malformed:
      return fail(JsonError::malformed, "malformed JSON: " + builder.error());
    case TreeBuilder::Stop::none: break;
  }
  MESH_ASSERT(parsed);
  return builder.take_root();
}

std::string canonical(const Json& value) {
  return value.dump(-1, ' ', false, Json::error_handler_t::replace);
}

// Walks both trees side by side with an explicit stack (no recursion in the engine). Binary
// and discarded values, which no parsed document holds, are compared by their text, since a
// binary value renders like an object.
bool same_canonical(const Json& left, const Json& right) {
  std::vector<std::pair<const Json*, const Json*>> pending{{&left, &right}};
  while (!pending.empty()) {
    const auto [one, other] = pending.back();
    pending.pop_back();
    if (one->is_binary() || other->is_binary() || one->is_discarded() || other->is_discarded()) {
      if (canonical(*one) != canonical(*other)) return false;
      continue;
    }
    const Shallow shallow = same_canonical_shallow(*one, *other);
    if (shallow == Shallow::different) return false;
    if (shallow == Shallow::same) continue;
    MESH_ASSERT(one->size() == other->size());
    if (one->is_array()) {
      for (std::size_t index = 0; index < one->size(); index++) {
        pending.emplace_back(&(*one)[index], &(*other)[index]);
      }
      continue;
    }
    MESH_ASSERT(one->is_object());
    // Both maps iterate in key order, the order canonical text lists them in.
    for (auto mine = one->begin(), theirs = other->begin(); mine != one->end(); ++mine, ++theirs) {
      if (!same_canonical_string(mine.key(), theirs.key())) return false;
      pending.emplace_back(&mine.value(), &theirs.value());
    }
  }
  return true;
}

const Json& value_at(const Json& object, std::initializer_list<const char*> path) {
  const Json* current = &object;
  for (const char* key : path) {
    if (!current->is_object()) return null_json();
    const auto found = current->find(key);
    if (found == current->end()) return null_json();
    current = &*found;
  }
  return *current;
}

std::string string_at(const Json& object, std::initializer_list<const char*> path) {
  const Json& value = value_at(object, path);
  return value.is_string() ? value.get<std::string>() : std::string();
}

}  // namespace mesh::engine
