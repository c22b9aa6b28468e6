#include "engine/json_util.h"

#include <bit>
#include <cmath>
#include <utility>
#include <vector>

#include "engine/assert.h"

namespace mesh::engine {

namespace {

const Json& null_json() {
  static const Json null_value = nullptr;
  return null_value;
}

struct TooDeep {};

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
    default:
      MESH_UNREACHABLE();
  }
}

}  // namespace

Result<Json, Error<JsonError>> parse_json(std::string_view text, std::size_t size_max) {
  if (text.size() > size_max) {
    return fail(JsonError::too_large, "JSON of " + std::to_string(text.size()) + " bytes exceeds " +
                                          std::to_string(size_max));
  }
  const Json::parser_callback_t limit_depth = [](int depth, Json::parse_event_t, Json&) {
    if (depth > static_cast<int>(json_depth_max)) throw TooDeep{};
    return true;
  };
  try {
    Json value = Json::parse(text.begin(), text.end(), limit_depth);
    return value;
  } catch (const TooDeep&) {
    return fail(JsonError::too_deep,
                "JSON nested deeper than " + std::to_string(json_depth_max) + " levels");
  } catch (const Json::exception& exception) {
    return fail(JsonError::malformed, std::string("malformed JSON: ") + exception.what());
  }
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
