// The checks every request goes through before it touches stored state.
//
// Scope (namespace or not), object keys, subresources, bodies (JSON shape, apiVersion, kind,
// metadata types, namespace), names, preconditions, validation of a candidate object and its
// serialized size. Each returns the ApiError the real server would send; none changes state.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "engine/json.h"

#include "kube_sim/field_manager.h"
#include "kube_sim/requests.h"
#include "kube_sim/resource.h"
#include "kube_sim/selector.h"
#include "kube_sim/status.h"

namespace mesh::kube_sim::internal {

bool is_namespace_type(const ResourceType& type);
// Whether a stored object has a deletionTimestamp.
bool is_deleting(const engine::Json& object);

// A namespaced type needs a namespace unless `all_allowed` (list, watch); a cluster-scoped
// type must not get one.
ApiResult<void> check_namespace_scope(const ResourceType& type, std::string_view namespace_name,
                                      bool all_allowed);
ApiResult<void> check_object_key(const ResourceType& type, const ObjectKey& key);
ApiResult<void> check_subresource(const ResourceType& type, Subresource subresource);
ApiResult<LabelSelector> parse_selector(std::string_view text);

// Checks a body's shape, apiVersion, kind and namespace; returns its metadata, sanitized.
ApiResult<engine::Json> read_body(const ResourceType& type, const engine::Json& body,
                                  std::string_view namespace_name);
// The body must name the object of the request.
ApiResult<void> check_body_name(const ObjectKey& key, const engine::Json& metadata);
// uid and resourceVersion in a body are preconditions against the stored object.
ApiResult<void> check_body_preconditions(const ResourceType& type, const ObjectKey& key,
                                         const engine::Json& stored, const engine::Json& metadata);
// Metadata rules and list rules of a complete candidate object (422 Invalid).
ApiResult<void> validate_object(const ResourceType& type, const engine::Json& object);
// The serialized size limit (413).
ApiResult<void> check_size(const ResourceType& type, const engine::Json& object);
// An upper bound of the compact serialization of the metadata member
// ,"managedFields":[...] that StoredVersion::rendered() adds for `entries`.
std::size_t managed_fields_size_bound(const ManagedEntries& entries,
                                      const std::string& api_version);
// The same for a stored version: `object` (without metadata.managedFields) as clients see it,
// with the managedFields `entries` render (stored_version.h). Renders them only when an upper
// bound of their length, computed from the field paths, does not settle it.
ApiResult<void> check_size(const ResourceType& type, const engine::Json& object,
                           const ManagedEntries& entries,
                           const std::shared_ptr<const std::string>& api_version);

// Whether anything but metadata (and status, with a status subresource) differs: the rule for
// bumping metadata.generation.
bool spec_changed(const ResourceType& type, const engine::Json& before, const engine::Json& after);

}  // namespace mesh::kube_sim::internal
