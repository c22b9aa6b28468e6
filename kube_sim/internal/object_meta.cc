#include "kube_sim/internal/object_meta.h"

#include <set>

#include "kube_sim/limits.h"
#include "kube_sim/validation.h"

namespace mesh::kube_sim::internal {
namespace {

using json = ::mesh::engine::Json;

enum class MetaKind : std::uint8_t { string, integer, string_map, string_list, object_list };

struct MetaField {
  std::string_view name;
  MetaKind kind;
};

// The ObjectMeta fields we keep. Others (selfLink, managedFields, ...) are dropped: the server
// computes managedFields itself.
constexpr MetaField meta_fields[] = {
    {"name", MetaKind::string},
    {"generateName", MetaKind::string},
    {"namespace", MetaKind::string},
    {"uid", MetaKind::string},
    {"resourceVersion", MetaKind::string},
    {"creationTimestamp", MetaKind::string},
    {"deletionTimestamp", MetaKind::string},
    {"generation", MetaKind::integer},
    {"deletionGracePeriodSeconds", MetaKind::integer},
    {"labels", MetaKind::string_map},
    {"annotations", MetaKind::string_map},
    {"finalizers", MetaKind::string_list},
    {"ownerReferences", MetaKind::object_list},
};

bool has_kind(const json& value, MetaKind kind) {
  switch (kind) {
    case MetaKind::string: return value.is_string();
    case MetaKind::integer: return value.is_number_integer();
    case MetaKind::string_map:
      return value.is_object() &&
             std::all_of(value.begin(), value.end(), [](const json& v) { return v.is_string(); });
    case MetaKind::string_list:
      return value.is_array() &&
             std::all_of(value.begin(), value.end(), [](const json& v) { return v.is_string(); });
    case MetaKind::object_list:
      return value.is_array() &&
             std::all_of(value.begin(), value.end(), [](const json& v) { return v.is_object(); });
  }
  return false;
}

std::string_view kind_text(MetaKind kind) {
  switch (kind) {
    case MetaKind::string: return "a string";
    case MetaKind::integer: return "an integer";
    case MetaKind::string_map: return "an object of strings";
    case MetaKind::string_list: return "a list of strings";
    case MetaKind::object_list: return "a list of objects";
  }
  return "?";
}

std::string invalid_value(std::string_view value, const std::string& detail) {
  return "Invalid value: \"" + printable(value) + "\": " + detail;
}

Result<void, FieldError> validate_labels(const json& labels) {
  for (const auto& [key, value] : labels.items()) {
    const auto key_valid = check_qualified_name(key);
    if (!key_valid.ok()) {
      return fail(FieldError{"metadata.labels", invalid_value(key, key_valid.error())});
    }
    const std::string& text = value.get_ref<const std::string&>();
    const auto value_valid = check_label_value(text);
    if (!value_valid.ok()) {
      return fail(FieldError{"metadata.labels", invalid_value(text, value_valid.error())});
    }
  }
  return {};
}

Result<void, FieldError> validate_annotations(const json& annotations) {
  std::size_t total_size = 0;
  for (const auto& [key, value] : annotations.items()) {
    const auto key_valid = check_qualified_name(key);
    if (!key_valid.ok()) {
      return fail(FieldError{"metadata.annotations", invalid_value(key, key_valid.error())});
    }
    total_size += key.size() + value.get_ref<const std::string&>().size();
  }
  if (total_size > annotations_size_max) {
    return fail(FieldError{
        "metadata.annotations",
        "Too long: must have at most " + std::to_string(annotations_size_max) + " bytes"});
  }
  return {};
}

Result<void, FieldError> validate_finalizers(const json& finalizers) {
  std::set<std::string> seen;
  for (const json& finalizer : finalizers) {
    const std::string& name = finalizer.get_ref<const std::string&>();
    const auto valid = check_qualified_name(name);
    if (!valid.ok()) {
      return fail(FieldError{"metadata.finalizers", invalid_value(name, valid.error())});
    }
    if (!seen.insert(name).second) {
      return fail(
          FieldError{"metadata.finalizers", "Duplicate value: \"" + printable(name) + "\""});
    }
  }
  return {};
}

}  // namespace

Result<json, std::string> read_object_meta(const json& object) {
  json out = json::object();
  if (!object.is_object()) return fail(std::string("the object must be a JSON object"));
  const auto found = object.find("metadata");
  if (found == object.end() || found->is_null()) return out;
  if (!found->is_object()) return fail(std::string("metadata must be an object"));
  for (const MetaField& field : meta_fields) {
    const std::string name(field.name);
    const auto member = found->find(name);
    if (member == found->end() || member->is_null()) continue;
    if (!has_kind(*member, field.kind)) {
      return fail("metadata." + name + " must be " + std::string(kind_text(field.kind)));
    }
    out[name] = *member;
  }
  return out;
}

Result<void, FieldError> validate_object_meta(const json& metadata, bool namespace_object) {
  const std::string name = string_member(metadata, "name");
  const auto name_valid =
      namespace_object ? check_dns1123_label(name) : check_dns1123_subdomain(name);
  if (!name_valid.ok()) {
    return fail(FieldError{"metadata.name", invalid_value(name, name_valid.error())});
  }
  const std::string namespace_name = string_member(metadata, "namespace");
  if (!namespace_name.empty()) {
    const auto namespace_valid = check_dns1123_label(namespace_name);
    if (!namespace_valid.ok()) {
      return fail(
          FieldError{"metadata.namespace", invalid_value(namespace_name, namespace_valid.error())});
    }
  }
  const auto labels = metadata.find("labels");
  if (labels != metadata.end()) MESH_TRY_VOID(validate_labels(*labels));
  const auto annotations = metadata.find("annotations");
  if (annotations != metadata.end()) MESH_TRY_VOID(validate_annotations(*annotations));
  const auto finalizers = metadata.find("finalizers");
  if (finalizers != metadata.end()) MESH_TRY_VOID(validate_finalizers(*finalizers));
  return {};
}

std::string string_member(const json& object, std::string_view name) {
  if (!object.is_object()) return {};
  const auto found = object.find(std::string(name));
  return found != object.end() && found->is_string() ? found->get<std::string>() : std::string();
}

std::string meta_string(const json& object, std::string_view name) {
  if (!object.is_object()) return {};
  const auto metadata = object.find("metadata");
  return metadata == object.end() ? std::string() : string_member(*metadata, name);
}

const json& finalizers_of(const json& object) {
  static const json none = json::array();
  if (!object.is_object()) return none;
  const auto metadata = object.find("metadata");
  if (metadata == object.end() || !metadata->is_object()) return none;
  const auto finalizers = metadata->find("finalizers");
  return finalizers == metadata->end() || !finalizers->is_array() ? none : *finalizers;
}

const json& labels_of(const json& object) {
  static const json none;
  if (!object.is_object()) return none;
  const auto metadata = object.find("metadata");
  if (metadata == object.end() || !metadata->is_object()) return none;
  const auto labels = metadata->find("labels");
  return labels == metadata->end() ? none : *labels;
}

}  // namespace mesh::kube_sim::internal
