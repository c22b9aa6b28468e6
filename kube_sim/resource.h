// The vocabulary that names what a request is about: resource types and object keys.
//
// A ResourceType is what a CRD (or a built-in kind) declares: group, version, kind, plural,
// scope, whether status is a subresource, and the list rules that server-side apply needs to
// merge lists by key instead of replacing them. GroupVersionResource and ObjectKey address a
// collection and one object the way REST paths do. The built-in types of the mesh are listed
// here; nothing here validates or stores anything.
#pragma once

#include <compare>
#include <string>
#include <vector>

namespace mesh::kube_sim {

// Addresses a collection: /apis/{group}/{version}/{resource} (core group: /api/{version}/...).
struct GroupVersionResource {
  std::string group;     // "" for the core group
  std::string version;   // "v1"
  std::string resource;  // the lowercase plural, "anyapplications"

  auto operator<=>(const GroupVersionResource&) const = default;
};

// How server-side apply treats one list (Kubernetes x-kubernetes-list-type / -list-map-keys).
// Lists without a rule are atomic: one manager owns the whole list.
struct ListRule {
  std::string path;  // field names from the root, dot-separated: "status.zones"
  std::string key;   // the map key ("zoneId"); empty: a set of scalars (listType=set)
};

struct ResourceType {
  std::string group;
  std::string version;
  std::string kind;    // "AnyApplication"
  std::string plural;  // "anyapplications"
  bool namespaced = true;
  bool status_subresource = false;
  // Keyed lists and sets for SSA. metadata.finalizers (a set) is added by register_type().
  std::vector<ListRule> list_rules;

  // "dcp.hiro.io/v1", or "v1" for the core group.
  std::string api_version() const;
  GroupVersionResource resource() const { return {group, version, plural}; }
  // "anyapplications.dcp.hiro.io" (or "namespaces"): how the real server names the resource in
  // messages such as `anyapplications.dcp.hiro.io "app" not found`.
  std::string qualified_resource() const;
  // "AnyApplication.dcp.hiro.io" (or "Namespace"): how Invalid messages name the kind.
  std::string qualified_kind() const;
};

// Addresses one object. namespace_name is empty for cluster-scoped types.
struct ObjectKey {
  GroupVersionResource resource;
  std::string namespace_name;
  std::string name;

  auto operator<=>(const ObjectKey&) const = default;
};

// The built-in types: core/v1 Namespace (cluster-scoped, status subresource), core/v1 Event,
// dcp.hiro.io/v1 AnyApplication and MeshPeer (status subresource, keyed status lists) and
// coordination.k8s.io/v1 Lease.
ResourceType namespace_type();
ResourceType event_type();
ResourceType anyapplication_type();
ResourceType meshpeer_type();
ResourceType lease_type();
std::vector<ResourceType> builtin_types();

}  // namespace mesh::kube_sim
