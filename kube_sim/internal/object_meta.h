// Reading and validating metadata: the ObjectMeta part of request bodies and stored objects.
//
// read_object_meta() decodes what a client sent the way decoding into the typed ObjectMeta does:
// known fields keep their JSON type checked (a wrong type is a BadRequest), unknown fields are
// dropped, null means absent. validate_object_meta() then applies the API conventions' rules
// (names, label keys and values, annotation size, finalizer names) and reports the first
// violation with its field path, for a 422 Invalid. Neither stores anything.
#pragma once

#include <string>
#include <string_view>

#include "engine/json.h"

#include "engine/result.h"

namespace mesh::kube_sim::internal {

// The metadata of `object`, sanitized; an empty object when it has none.
Result<engine::Json, std::string> read_object_meta(const engine::Json& object);

struct FieldError {
  std::string field;   // "metadata.labels"
  std::string detail;  // what is wrong, quoting the offending value
};

// Checks a complete object's metadata. Namespace names must be DNS-1123 labels, other names
// DNS-1123 subdomains.
Result<void, FieldError> validate_object_meta(const engine::Json& metadata, bool namespace_object);

// A string member of an object, or "" when absent or not a string.
std::string string_member(const engine::Json& object, std::string_view name);
// metadata.<name> of an object, or "" when absent.
std::string meta_string(const engine::Json& object, std::string_view name);
// metadata.finalizers of a stored object, empty when absent.
const engine::Json& finalizers_of(const engine::Json& object);
// metadata.labels of a stored object, null when absent.
const engine::Json& labels_of(const engine::Json& object);

}  // namespace mesh::kube_sim::internal
