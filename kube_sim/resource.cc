#include "kube_sim/resource.h"

namespace mesh::kube_sim {

std::string ResourceType::api_version() const {
  return group.empty() ? version : group + "/" + version;
}

std::string ResourceType::qualified_resource() const {
  return group.empty() ? plural : plural + "." + group;
}

std::string ResourceType::qualified_kind() const {
  return group.empty() ? kind : kind + "." + group;
}

ResourceType namespace_type() {
  return {.group = "",
          .version = "v1",
          .kind = "Namespace",
          .plural = "namespaces",
          .namespaced = false,
          .status_subresource = true};
}

ResourceType event_type() {
  return {.group = "", .version = "v1", .kind = "Event", .plural = "events", .namespaced = true};
}

// The keyed lists follow the ownership model of ARCHITECTURE.md: every zone owns its own entry
// of status.zones, so two zones' managers must be able to apply their entries side by side.
ResourceType anyapplication_type() {
  return {.group = "dcp.hiro.io",
          .version = "v1",
          .kind = "AnyApplication",
          .plural = "anyapplications",
          .namespaced = true,
          .status_subresource = true,
          .list_rules = {{"status.zones", "zoneId"},
                         {"status.ownership.placements", "zone"},
                         {"status.conditions", "type"}}};
}

ResourceType meshpeer_type() {
  return {.group = "dcp.hiro.io",
          .version = "v1",
          .kind = "MeshPeer",
          .plural = "meshpeers",
          .namespaced = true,
          .status_subresource = true,
          .list_rules = {{"status.conditions", "type"}}};
}

ResourceType lease_type() {
  return {.group = "coordination.k8s.io",
          .version = "v1",
          .kind = "Lease",
          .plural = "leases",
          .namespaced = true};
}

std::vector<ResourceType> builtin_types() {
  return {namespace_type(), event_type(), anyapplication_type(), meshpeer_type(), lease_type()};
}

}  // namespace mesh::kube_sim
