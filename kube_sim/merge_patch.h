// JSON merge patch (RFC 7386), as PATCH with application/merge-patch+json applies it.
//
// An object in the patch merges member by member into the target (replacing a non-object
// target); null deletes a member; anything else, arrays included, replaces the target value.
// The walk is iterative; the caller bounds the patch's depth (check_json_shape) beforehand.
// It does not know Kubernetes: what a patch may touch is the server's business.
#pragma once

#include "engine/json.h"

namespace mesh::kube_sim {

// Applies `patch` to `target` in place.
void apply_merge_patch(engine::Json& target, const engine::Json& patch);

// RFC 7386 as a pure function: the patched copy of `target`.
engine::Json merge_patched(engine::Json target, const engine::Json& patch);

}  // namespace mesh::kube_sim
