// Field paths and field sets of server-side apply, in the fieldsV1 vocabulary.
//
// A FieldPath is a list of tokens: "f:<name>" (member), "k:<json>" (item of a keyed list, e.g.
// k:{"zoneId":"a"}), "v:<json>" (set element) and "." (the item itself). collect_fields()
// flattens an object into leaf paths with values: scalars, atomic lists, set elements, keyed
// items and their members; empty objects and empty keyed lists carry no field. scoped() drops
// what SSA does not track (apiVersion, kind, server metadata) and splits status from the rest.
// Walks over whole objects are iterative (check_list_rules recurses only along rule paths);
// nothing here knows managers (field_manager.h does).
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "engine/json.h"

#include "engine/result.h"
#include "kube_sim/field_path.h"
#include "kube_sim/resource.h"

namespace mesh::kube_sim {

using FieldSet = std::set<FieldPath>;
using FieldValues = std::map<FieldPath, engine::Json>;

// Which part of an object a request may write (and a manager may own).
enum class FieldScope : std::uint8_t {
  object,                 // everything tracked: types without a status subresource
  object_without_status,  // the main resource of a type with a status subresource
  status,                 // the /status subresource
};

// The tracked part of `object` for `scope` (a filtered copy).
engine::Json scoped(const engine::Json& object, FieldScope scope);

// The leaf paths of `object` with their values. Fails (with the reason) when a keyed list is
// not a list of objects with unique scalar keys, or a set holds a non-scalar or a duplicate.
Result<FieldValues, std::string> collect_fields(const engine::Json& object,
                                                std::span<const ListRule> rules);

// collect_fields(scoped(object, scope), rules), without building the scoped copy.
Result<FieldValues, std::string> collect_scoped_fields(const engine::Json& object, FieldScope scope,
                                                       std::span<const ListRule> rules);

// What collect_fields() checks, without collecting: every list that has a rule is well formed.
// Fails with the message collect_fields() gives. Only the members on the way to a rule's path
// are visited, so validating a whole object (managedFields included) stays cheap.
Result<void, std::string> check_list_rules(const engine::Json& object,
                                           std::span<const ListRule> rules);

// The rule for the list at dot-separated `path`, or nullptr when that list is atomic.
const ListRule* find_list_rule(std::span<const ListRule> rules, std::string_view path);

// The fieldsV1 object of a set: {"f:spec":{"f:replicas":{}}, ...}.
engine::Json encode_fields_v1(const FieldSet& fields);

// A path as the real server prints it in conflicts: .status.zones[zoneId="a"].version
std::string describe_field_path(const FieldPath& path);

// The node at `path`, or nullptr when it does not exist.
engine::Json* find_field(engine::Json& root, const FieldPath& path);
// Removes the node at `path` (for a path ending in ".", the list item). False if absent.
bool erase_field(engine::Json& root, const FieldPath& path);

// The member name of an "f:" token, the key object of a "k:" token ({"zoneId":"a"}) and the
// element of a "v:" token.
bool is_member_token(std::string_view token);
bool is_key_token(std::string_view token);
engine::Json parse_token_value(std::string_view token);

}  // namespace mesh::kube_sim
