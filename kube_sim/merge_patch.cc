#include "kube_sim/merge_patch.h"

#include <string>
#include <utility>
#include <vector>

#include "engine/assert.h"

namespace mesh::kube_sim {

namespace {

// One object of the target with one object of the patch, RFC 7386 §2: the result is built by
// walking both member lists (each sorted by name) once and appending, instead of erasing each
// null and inserting each new name in place: in a flat object (engine/json.h) each of those
// moves the members after it, which made a patch of many members quadratic. Returns the names
// whose patch value is an object, to be merged into the result's member of that name next.
std::vector<const std::string*> merge_object(engine::Json& target, const engine::Json& patch) {
  MESH_ASSERT(target.is_object());
  MESH_ASSERT(patch.is_object());
  engine::Json merged = engine::Json::object();
  std::vector<const std::string*> children;
  auto held = target.begin();
  auto change = patch.begin();
  while (held != target.end() || change != patch.end()) {
    const bool take_held =
        change == patch.end() || (held != target.end() && held.key() < change.key());
    if (take_held) {
      merged[held.key()] = std::move(held.value());
      ++held;
      continue;
    }
    const bool both = held != target.end() && held.key() == change.key();
    const engine::Json& value = change.value();
    if (value.is_object()) {
      // The member becomes an object either way; its own merge comes in a later frame.
      engine::Json& slot = merged[change.key()];
      if (both) slot = std::move(held.value());
      children.push_back(&change.key());
    } else if (!value.is_null()) {
      merged[change.key()] = value;
    }
    if (both) ++held;
    ++change;
  }
  target = std::move(merged);
  return children;
}

}  // namespace

void apply_merge_patch(engine::Json& target, const engine::Json& patch) {
  struct Frame {
    engine::Json* target;
    const engine::Json* patch;
  };
  // Pointers into objects stay valid: a frame replaces its own target's members at once, and
  // the frames of its children are pushed after that, pointing into the final object.
  std::vector<Frame> stack{{&target, &patch}};
  while (!stack.empty()) {
    const Frame frame = stack.back();
    stack.pop_back();
    if (!frame.patch->is_object()) {
      *frame.target = *frame.patch;
      continue;
    }
    if (!frame.target->is_object()) *frame.target = engine::Json::object();
    for (const std::string* name : merge_object(*frame.target, *frame.patch)) {
      stack.push_back({&frame.target->at(*name), &frame.patch->at(*name)});
    }
    MESH_ASSERT(frame.target->is_object());
  }
}

engine::Json merge_patched(engine::Json target, const engine::Json& patch) {
  apply_merge_patch(target, patch);
  return target;
}

}  // namespace mesh::kube_sim
