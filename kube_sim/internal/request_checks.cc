#include "kube_sim/internal/request_checks.h"

#include "kube_sim/field_set.h"
#include "kube_sim/internal/errors.h"
#include "kube_sim/internal/object_meta.h"
#include "kube_sim/limits.h"
#include "kube_sim/stored_version.h"
#include "kube_sim/validation.h"

namespace mesh::kube_sim::internal {
namespace {

using json = ::mesh::engine::Json;

// A member that must equal `expected` (apiVersion, kind).
ApiResult<void> check_type_member(const json& body, const char* member, const std::string& expected,
                                  const char* what) {
  const auto found = body.find(member);
  const std::string actual =
      found != body.end() && found->is_string() ? found->get<std::string>() : std::string();
  if (actual == expected) return {};
  return fail(bad_request("the " + std::string(what) + " in the data (" + printable(actual) +
                          ") does not match the expected " + what + " (" + expected + ")"));
}

bool members_equal(const json& before, const json& after, bool skip_status) {
  const auto skipped = [&](const std::string& name) {
    return name == "metadata" || (skip_status && name == "status");
  };
  for (const auto& [name, value] : before.items()) {
    if (skipped(name)) continue;
    const auto other = after.find(name);
    if (other == after.end() || *other != value) return false;
  }
  for (const auto& [name, value] : after.items()) {
    if (!skipped(name) && !before.contains(name)) return false;
  }
  return true;
}

}  // namespace

bool is_namespace_type(const ResourceType& type) {
  return type.group.empty() && type.plural == "namespaces";
}

bool is_deleting(const json& object) {
  return !meta_string(object, "deletionTimestamp").empty();
}

ApiResult<void> check_namespace_scope(const ResourceType& type, std::string_view namespace_name,
                                      bool all_allowed) {
  if (type.namespaced && namespace_name.empty() && !all_allowed) {
    return fail(bad_request("a namespace is required for the namespaced resource " +
                            type.qualified_resource()));
  }
  if (!type.namespaced && !namespace_name.empty()) {
    return fail(bad_request(type.qualified_resource() +
                            " is cluster-scoped; the request must not name a namespace"));
  }
  return {};
}

ApiResult<void> check_object_key(const ResourceType& type, const ObjectKey& key) {
  MESH_TRY_VOID(check_namespace_scope(type, key.namespace_name, false));
  if (key.name.empty()) {
    return fail(bad_request("a name is required for " + type.qualified_resource()));
  }
  return {};
}

ApiResult<void> check_subresource(const ResourceType& type, Subresource subresource) {
  if (subresource == Subresource::status && !type.status_subresource) {
    GroupVersionResource status = type.resource();
    status.resource += "/status";
    return fail(unknown_resource(status));
  }
  return {};
}

ApiResult<LabelSelector> parse_selector(std::string_view text) {
  auto selector = LabelSelector::parse(text);
  if (!selector.ok()) {
    return fail(bad_request("unable to parse labelSelector: " + selector.error()));
  }
  return std::move(selector).value();
}

ApiResult<json> read_body(const ResourceType& type, const json& body,
                          std::string_view namespace_name) {
  if (!body.is_object()) return fail(bad_request("the request body must be a JSON object"));
  const auto shape = check_json_shape(body);
  if (!shape.ok()) return fail(bad_request("malformed request body: " + shape.error()));
  MESH_TRY_VOID(check_type_member(body, "apiVersion", type.api_version(), "API version"));
  MESH_TRY_VOID(check_type_member(body, "kind", type.kind, "kind"));
  auto metadata = read_object_meta(body);
  if (!metadata.ok()) return fail(bad_request("malformed request body: " + metadata.error()));
  const std::string body_namespace = string_member(metadata.value(), "namespace");
  if (type.namespaced && !body_namespace.empty() && body_namespace != namespace_name) {
    return fail(bad_request("the namespace of the provided object (" + printable(body_namespace) +
                            ") does not match the namespace sent on the request (" +
                            printable(namespace_name) + ")"));
  }
  return std::move(metadata).value();
}

ApiResult<void> check_body_name(const ObjectKey& key, const json& metadata) {
  const std::string name = string_member(metadata, "name");
  if (name == key.name) return {};
  return fail(bad_request("the name of the object (" + printable(name) +
                          ") does not match the name on the URL (" + printable(key.name) + ")"));
}

ApiResult<void> check_body_preconditions(const ResourceType& type, const ObjectKey& key,
                                         const json& stored, const json& metadata) {
  const std::string uid = string_member(metadata, "uid");
  const std::string stored_uid = meta_string(stored, "uid");
  if (!uid.empty() && uid != stored_uid) {
    return fail(conflict_precondition(type, key.name, "UID", uid, stored_uid));
  }
  const std::string version = string_member(metadata, "resourceVersion");
  if (!version.empty() && version != meta_string(stored, "resourceVersion")) {
    return fail(conflict_modified(type, key.name));
  }
  return {};
}

ApiResult<void> validate_object(const ResourceType& type, const json& object) {
  MESH_ASSERT(object.is_object() && object.contains("metadata"));
  const json& metadata = object["metadata"];
  const std::string name = string_member(metadata, "name");
  const auto meta_valid = validate_object_meta(metadata, is_namespace_type(type));
  if (!meta_valid.ok()) {
    const FieldError& error = meta_valid.error();
    return fail(invalid(type, name, error.field, error.detail));
  }
  const auto lists = check_list_rules(object, type.list_rules);
  if (!lists.ok()) {
    const std::string& text = lists.error();
    const std::size_t colon = text.find(": ");
    if (colon == std::string::npos) return fail(invalid(type, name, "", text));
    return fail(
        invalid(type, name, text.substr(0, colon), "Invalid value: " + text.substr(colon + 2)));
  }
  return {};
}

namespace {

// An upper bound of the compact serialization's length, computed without building it: every
// string byte may become a 6-byte \u escape, a number takes at most 32 characters. Almost
// every object is far below the limit, and dumping each one on every write (only to measure
// it) was a large share of a status write in the simulator.
std::size_t serialized_size_bound(const json& value) {
  switch (value.type()) {
    // The containers are walked directly: nlohmann's iterators cost more than the sums.
    case json::value_t::object: {
      const auto& members = value.get_ref<const json::object_t&>();
      std::size_t size = 2 + members.size();  // braces, then a colon per member and commas
      for (const auto& [name, child] : members) {
        size += 2 + 6 * name.size() + serialized_size_bound(child);
      }
      return size;
    }
    case json::value_t::array: {
      const auto& items = value.get_ref<const json::array_t&>();
      std::size_t size = 2 + items.size();
      for (const json& child : items) size += serialized_size_bound(child);
      return size;
    }
    case json::value_t::string: return 2 + 6 * value.get_ref<const std::string&>().size();
    case json::value_t::binary:
      return value.dump(-1, ' ', false, json::error_handler_t::replace).size();
    default: return 32;  // null, booleans, numbers
  }
}

// An upper bound of a quoted, escaped string's length.
constexpr std::size_t quoted_bound(std::size_t size) {
  return 2 + 6 * size;
}

// An upper bound of the compact serialization of render_managed_entry's fieldsV1: every node
// of that tree is a prefix of some path, rendered as "token":{...} plus a comma, so the sum over
// every token of every path bounds it.
std::size_t fields_v1_size_bound(const FieldSet& fields) {
  std::size_t size = 2;
  for (const FieldPath& path : fields) {
    // encoded_size() is at least the tokens' total size; each token adds a colon, its braces
    // and a comma to its quoted form.
    size += 6 * path.encoded_size() + 6 * path.size();
  }
  return size;
}

ApiResult<void> too_large_unless_fits(const ResourceType& type, const json& object) {
  const std::size_t size = object.dump(-1, ' ', false, json::error_handler_t::replace).size();
  if (size <= object_size_max) return {};
  return fail(too_large(type, meta_string(object, "name"), size));
}

}  // namespace

std::size_t managed_fields_size_bound(const ManagedEntries& entries,
                                      const std::string& api_version) {
  constexpr std::string_view keys[] = {"manager",    "operation", "apiVersion", "time",
                                       "fieldsType", "fieldsV1",  "subresource"};
  std::size_t entry_fixed = 2 + 2 * std::size(keys);  // braces; a colon and a comma per member
  for (const std::string_view key : keys) entry_fixed += quoted_bound(key.size());
  entry_fixed += quoted_bound(std::string_view("Update").size()) +
                 quoted_bound(std::string_view("FieldsV1").size()) +
                 quoted_bound(std::string_view("status").size()) + quoted_bound(api_version.size());
  std::size_t size = 1 + quoted_bound(std::string_view("managedFields").size()) + 1 + 2;
  for (const ManagedEntry& entry : entries) {
    size += 1 + entry_fixed + quoted_bound(entry.manager.size()) + quoted_bound(entry.time.size()) +
            fields_v1_size_bound(entry.fields);
  }
  return size;
}

ApiResult<void> check_size(const ResourceType& type, const json& object) {
  if (serialized_size_bound(object) <= object_size_max) return {};
  return too_large_unless_fits(type, object);
}

ApiResult<void> check_size(const ResourceType& type, const json& object,
                           const ManagedEntries& entries,
                           const std::shared_ptr<const std::string>& api_version) {
  if (entries.empty()) return check_size(type, object);
  MESH_ASSERT(api_version != nullptr);
  const std::size_t bound =
      serialized_size_bound(object) + managed_fields_size_bound(entries, *api_version);
  if (bound <= object_size_max) return {};
  return too_large_unless_fits(type, with_managed_fields(object, entries, api_version.get()));
}

bool spec_changed(const ResourceType& type, const json& before, const json& after) {
  MESH_ASSERT(before.is_object());
  MESH_ASSERT(after.is_object());
  return !members_equal(before, after, type.status_subresource);
}

}  // namespace mesh::kube_sim::internal
