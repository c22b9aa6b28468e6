#include "engine/json_util.h"

namespace mesh::engine {

namespace {

const Json& null_json() {
  static const Json null_value = nullptr;
  return null_value;
}

struct TooDeep {};

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
