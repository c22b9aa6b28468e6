// JSON helpers for payloads and Kubernetes objects: bounded parsing and canonical text.
//
// parse_json refuses input over a size limit before parsing and documents nested deeper than
// a depth limit while parsing (nlohmann's text parser keeps its own stack, and our tree
// builder sees every depth), so a hostile payload can cost neither memory nor the stack, nor
// quadratic time in an object's member count. Canonical text (sorted keys, no spaces: objects
// are sorted maps, engine/json.h) is what hashes and comparisons use.
#pragma once

#include <string>
#include <string_view>

#include "engine/kube.h"
#include "engine/result.h"

namespace mesh::engine {

inline constexpr std::size_t json_depth_max = 64;

enum class JsonError { too_large, too_deep, malformed };

Result<Json, Error<JsonError>> parse_json(std::string_view text, std::size_t size_max);
std::string canonical(const Json& value);
// canonical(left) == canonical(right), decided without rendering either text.
bool same_canonical(const Json& left, const Json& right);
// same_canonical of two strings (or object keys): unequal bytes can still render alike.
bool same_canonical_string(const std::string& left, const std::string& right);

// Reads a string at a JSON pointer-like path of object keys; "" when absent or not a string.
std::string string_at(const Json& object, std::initializer_list<const char*> path);
// The value at a path of object keys, or null.
const Json& value_at(const Json& object, std::initializer_list<const char*> path);

}  // namespace mesh::engine
