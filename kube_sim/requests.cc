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

nlohmann::json ObjectList::to_json() const {
  nlohmann::json list = {
      {"apiVersion", api_version},
      {"kind", kind},
      {"metadata", {{"resourceVersion", resource_version}}},
      {"items", nlohmann::json::array()},
  };
  for (const nlohmann::json& item : items) list["items"].push_back(item);
  return list;
}

}  // namespace mesh::kube_sim
