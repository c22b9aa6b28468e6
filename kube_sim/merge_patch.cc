#include "kube_sim/merge_patch.h"

#include <string>
#include <utility>
#include <vector>

#include "engine/assert.h"

namespace mesh::kube_sim {

void apply_merge_patch(engine::Json& target, const engine::Json& patch) {
  struct Frame {
    engine::Json* target;
    const engine::Json* patch;
  };
  // Pointers into objects stay valid: a frame only rewrites its own target, and the children
  // of a target are pushed after its last insert or erase, which move the members of a flat
  // object (engine/json.h).
  std::vector<Frame> stack{{&target, &patch}};
  while (!stack.empty()) {
    const Frame frame = stack.back();
    stack.pop_back();
    if (!frame.patch->is_object()) {
      *frame.target = *frame.patch;
      continue;
    }
    if (!frame.target->is_object()) *frame.target = engine::Json::object();
    std::vector<std::pair<const std::string*, const engine::Json*>> children;
    for (const auto& [name, value] : frame.patch->items()) {
      if (value.is_null()) {
        frame.target->erase(name);
        continue;
      }
      engine::Json& child = (*frame.target)[name];
      if (value.is_object()) {
        children.emplace_back(&name, &value);
      } else {
        child = value;
      }
    }
    for (const auto& [name, value] : children) stack.push_back({&frame.target->at(*name), value});
    MESH_ASSERT(frame.target->is_object());
  }
}

engine::Json merge_patched(engine::Json target, const engine::Json& patch) {
  apply_merge_patch(target, patch);
  return target;
}

}  // namespace mesh::kube_sim
