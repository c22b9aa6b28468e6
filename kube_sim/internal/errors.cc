#include "kube_sim/internal/errors.h"

#include <map>

#include "kube_sim/limits.h"
#include "kube_sim/validation.h"

namespace mesh::kube_sim::internal {
namespace {

ApiError about(StatusReason reason, const ResourceType& type, std::string_view name,
               std::string message) {
  ApiError error;
  error.reason = reason;
  error.message = std::move(message);
  error.name = printable(name);
  error.group = type.group;
  error.kind = type.plural;
  return error;
}

ApiError plain(StatusReason reason, std::string message) {
  ApiError error;
  error.reason = reason;
  error.message = std::move(message);
  return error;
}

std::string in_quotes(std::string_view text) {
  return "\"" + printable(text) + "\"";
}

}  // namespace

ApiError bad_request(std::string message) {
  return plain(StatusReason::bad_request, std::move(message));
}

ApiError not_found(const ResourceType& type, std::string_view name) {
  return about(StatusReason::not_found, type, name,
               type.qualified_resource() + " " + in_quotes(name) + " not found");
}

ApiError unknown_resource(const GroupVersionResource& resource) {
  const std::string group = resource.group.empty() ? "" : "." + resource.group;
  ApiError error = plain(StatusReason::not_found,
                         "the server could not find the requested resource (" +
                             printable(resource.resource + group + "/" + resource.version) + ")");
  error.group = printable(resource.group);
  error.kind = printable(resource.resource);
  return error;
}

ApiError already_exists(const ResourceType& type, std::string_view name) {
  return about(StatusReason::already_exists, type, name,
               type.qualified_resource() + " " + in_quotes(name) + " already exists");
}

ApiError conflict_modified(const ResourceType& type, std::string_view name) {
  return about(StatusReason::conflict, type, name,
               "Operation cannot be fulfilled on " + type.qualified_resource() + " " +
                   in_quotes(name) +
                   ": the object has been modified; please apply your changes to the latest "
                   "version and try again");
}

ApiError conflict_precondition(const ResourceType& type, std::string_view name,
                               std::string_view what, std::string_view wanted,
                               std::string_view actual) {
  return about(StatusReason::conflict, type, name,
               "Operation cannot be fulfilled on " + type.qualified_resource() + " " +
                   in_quotes(name) + ": Precondition failed: " + std::string(what) +
                   " in precondition: " + printable(wanted) + ", " + std::string(what) +
                   " in object meta: " + printable(actual));
}

// Worded as the real server's apply conflicts: "Apply failed with 1 conflict: conflict with
// "mgr": .spec.x", one line per field when there are several.
ApiError apply_conflicts(const ResourceType& type, std::string_view name,
                         const std::vector<FieldConflict>& conflicts) {
  std::map<std::string, std::vector<std::string>> by_manager;
  for (const FieldConflict& conflict : conflicts) {
    by_manager[conflict.manager].push_back(describe_field_path(conflict.path));
  }
  const std::size_t count = conflicts.size();
  std::string message =
      "Apply failed with " + std::to_string(count) + (count == 1 ? " conflict: " : " conflicts: ");
  std::vector<StatusCause> causes;
  for (const auto& [manager, fields] : by_manager) {
    message += "conflict with " + in_quotes(manager) + ":";
    for (const std::string& field : fields) {
      message += count == 1 ? " " + field : "\n- " + field;
      causes.push_back({"FieldManagerConflict", "conflict with " + in_quotes(manager), field});
    }
    message += count == 1 ? "" : "\n";
  }
  ApiError error = about(StatusReason::conflict, type, name, std::move(message));
  error.causes = std::move(causes);
  return error;
}

ApiError invalid(const ResourceType& type, std::string_view name, std::string field,
                 std::string detail) {
  const std::string where = field.empty() ? "" : field + ": ";
  ApiError error =
      about(StatusReason::invalid, type, name,
            type.qualified_kind() + " " + in_quotes(name) + " is invalid: " + where + detail);
  error.kind = type.kind;
  error.causes.push_back({"FieldValueInvalid", std::move(detail), std::move(field)});
  return error;
}

ApiError forbidden(const ResourceType& type, std::string_view name, std::string message) {
  return about(StatusReason::forbidden, type, name,
               type.qualified_resource() + " " + in_quotes(name) + " is forbidden: " + message);
}

ApiError gone(std::string message) {
  return plain(StatusReason::gone, std::move(message));
}

ApiError too_large(const ResourceType& type, std::string_view name, std::size_t size) {
  return about(StatusReason::request_entity_too_large, type, name,
               type.qualified_resource() + " " + in_quotes(name) + ": the serialized object is " +
                   std::to_string(size) + " bytes, more than object_size_max=" +
                   std::to_string(object_size_max) + " (etcd's default request limit)");
}

ApiError timeout(std::string message) {
  return plain(StatusReason::timeout, std::move(message));
}

ApiError too_many_requests(std::string message) {
  ApiError error = plain(StatusReason::too_many_requests, std::move(message));
  error.retry_after_seconds = 1;
  return error;
}

ApiError internal_error(std::string message) {
  return plain(StatusReason::internal_error, std::move(message));
}

ApiError service_unavailable(std::string message) {
  return plain(StatusReason::service_unavailable, std::move(message));
}

}  // namespace mesh::kube_sim::internal
