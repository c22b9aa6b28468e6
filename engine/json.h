// The JSON type of every object the mesh handles: Kubernetes objects, payloads, field sets.
//
// One alias, so that the representation of JSON objects is chosen in one place for the engine,
// kube_sim and the simulator alike. Code outside these layers that only formats or parses
// unrelated JSON (log lines, test vectors) keeps plain nlohmann::json.
#pragma once

#include <nlohmann/json.hpp>

namespace mesh::engine {

using Json = nlohmann::json;

}  // namespace mesh::engine
