// Builders of the ApiErrors the server returns, worded like the real server's messages.
//
// Each names the resource and object the way k8s.io/apimachinery/pkg/api/errors does
// (`anyapplications.dcp.hiro.io "app" not found`), so that logs of a controller read the same
// against kube_sim and a real cluster. Untrusted text is passed through printable() first.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "kube_sim/field_manager.h"
#include "kube_sim/resource.h"
#include "kube_sim/status.h"

namespace mesh::kube_sim::internal {

ApiError bad_request(std::string message);
ApiError not_found(const ResourceType& type, std::string_view name);
ApiError unknown_resource(const GroupVersionResource& resource);
ApiError already_exists(const ResourceType& type, std::string_view name);
// The optimistic-concurrency failure: the object changed since the client read it.
ApiError conflict_modified(const ResourceType& type, std::string_view name);
// A failed uid or resourceVersion precondition (delete options, or uid in an update body).
ApiError conflict_precondition(const ResourceType& type, std::string_view name,
                               std::string_view what, std::string_view wanted,
                               std::string_view actual);
ApiError apply_conflicts(const ResourceType& type, std::string_view name,
                         const std::vector<FieldConflict>& conflicts);
ApiError invalid(const ResourceType& type, std::string_view name, std::string field,
                 std::string detail);
ApiError forbidden(const ResourceType& type, std::string_view name, std::string message);
ApiError gone(std::string message);
ApiError too_large(const ResourceType& type, std::string_view name, std::size_t size);
ApiError timeout(std::string message);
ApiError too_many_requests(std::string message);
ApiError internal_error(std::string message);
ApiError service_unavailable(std::string message);

}  // namespace mesh::kube_sim::internal
