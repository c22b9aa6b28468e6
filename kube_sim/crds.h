// The CustomResourceDefinitions of the kinds the mesh replicates, as YAML text.
//
// The files under charts/mesh-controller/crds/ are the single source; the build embeds them
// here so that `mesh-controller crds` and the embedded API server serve exactly what the chart
// installs.
#pragma once

#include <string_view>

namespace mesh::kube_sim {

// meshpeers.dcp.hiro.io (v1): one object per known peer.
std::string_view meshpeer_crd_yaml();
// anyapplications.dcp.hiro.io (v1): the application objects, with printer columns added.
std::string_view anyapplication_crd_yaml();

}  // namespace mesh::kube_sim
