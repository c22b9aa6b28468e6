#include "kube_sim/requests.h"

#include "engine/assert.h"

namespace mesh::kube_sim {

std::string_view verb_name(Verb verb) {
  switch (verb) {
    case Verb::get: return "get";
    case Verb::list: return "list";
    case Verb::watch: return "watch";
    case Verb::create: return "create";
    case Verb::update: return "update";
    case Verb::patch: return "patch";
    case Verb::remove: return "delete";
  }
  MESH_UNREACHABLE();
}

engine::Json ObjectList::to_json() const {
  engine::Json list = {
      {"apiVersion", api_version},
      {"kind", kind},
      {"metadata", {{"resourceVersion", resource_version}}},
      {"items", engine::Json::array()},
  };
  for (const engine::Json& item : items) list["items"].push_back(item);
  return list;
}

}  // namespace mesh::kube_sim
