#include "kube_sim/stored_version.h"

#include <utility>

#include "engine/assert.h"

namespace mesh::kube_sim {

engine::Json with_managed_fields(engine::Json object, const ManagedEntries& entries,
                                 const std::string* api_version) {
  if (entries.empty()) return object;
  MESH_ASSERT(api_version != nullptr);
  MESH_ASSERT(object.contains("metadata"));  // stored objects always have metadata
  object["metadata"]["managedFields"] = render_managed_fields(entries, *api_version);
  return object;
}

engine::Json StoredVersion::rendered() const {
  return with_managed_fields(object, entries, api_version.get());
}

SharedVersion make_version(engine::Json object, ManagedEntries entries,
                           std::shared_ptr<const std::string> api_version) {
  MESH_ASSERT(entries.empty() || api_version != nullptr);
  // The one rendering is rendered(): a kept managedFields would be stale after the next write.
  if (object.is_object()) {
    const auto metadata = object.find("metadata");
    MESH_ASSERT(metadata == object.end() || !metadata->is_object() ||
                !metadata->contains("managedFields"));
  }
  return std::make_shared<const StoredVersion>(
      StoredVersion{std::move(object), std::move(entries), std::move(api_version)});
}

SharedVersion make_plain_version(engine::Json object) {
  return make_version(std::move(object), ManagedEntries{}, nullptr);
}

SharedObject object_of(const SharedVersion& version) {
  MESH_ASSERT(version != nullptr);
  return SharedObject(version, &version->object);  // the aliasing constructor
}

}  // namespace mesh::kube_sim
