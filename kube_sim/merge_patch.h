// JSON merge patch (RFC 7386), as PATCH with application/merge-patch+json applies it.
//
// An object in the patch merges member by member into the target (replacing a non-object
// target); null deletes a member; anything else, arrays included, replaces the target value.
// The walk is iterative; the caller bounds the patch's depth (check_json_shape) beforehand.
// It does not know Kubernetes: what a patch may touch is the server's business.
#pragma once

#include <nlohmann/json.hpp>

namespace mesh::kube_sim {

// Applies `patch` to `target` in place.
void apply_merge_patch(nlohmann::json& target, const nlohmann::json& patch);

// RFC 7386 as a pure function: the patched copy of `target`.
nlohmann::json merge_patched(nlohmann::json target, const nlohmann::json& patch);

}  // namespace mesh::kube_sim
