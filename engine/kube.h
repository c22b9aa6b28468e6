// The engine's view of Kubernetes: the kinds it replicates, watch events and relists coming
// in, and write requests going out (each with an id that the driver answers).
//
// Objects are engine::Json, exactly as the API server serves them. The engine asks for
// server-side apply with one field manager (`mesh-controller`), status through the status
// subresource, and deletes with a uid precondition; the driver (kube_real, or kube_sim in the
// simulator) performs them and reports the outcome with handle_kube_result.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "engine/json.h"

namespace mesh::engine {

enum class StrategyKind {
  default_owner_label,  // the seed's default: the dcp.hiro.io/owner-zone label owns the object
  anyapplication,       // owner zone owns spec and ownership; each zone its status.zones entry
};

struct ResourceKind {
  std::string group;  // "" for the core group
  std::string version;
  std::string kind;
  std::optional<std::string> namespace_name;  // watch scope; nullopt = all namespaces
  StrategyKind strategy = StrategyKind::default_owner_label;

  std::string api_version() const { return group.empty() ? version : group + "/" + version; }
  // "group/version/Kind": the kind's identity in operation keys and payloads.
  std::string id() const { return api_version() + "/" + kind; }
};

// Which configured kind an event or request concerns: an index into Config::resources, or
// one of the kinds the engine writes itself.
enum class KindSlot : std::uint32_t { meshpeer = 1'000'000, event = 1'000'001 };

struct KubeKind {
  std::uint32_t index = 0;  // resources index, or a KindSlot value
  bool operator==(const KubeKind&) const = default;
  static KubeKind resource(std::size_t i) { return {static_cast<std::uint32_t>(i)}; }
  static KubeKind slot(KindSlot s) { return {static_cast<std::uint32_t>(s)}; }
  bool is(KindSlot s) const { return index == static_cast<std::uint32_t>(s); }
};

enum class WatchEventType { added, modified, deleted };

// The object is shared and immutable: an API server's stored version can be handed to the
// engine as it is (the simulator's kube_sim keeps one copy of each version for its store,
// its watch history and every engine watching it). Never null.
struct KubeWatchEvent {
  KubeKind kind;
  WatchEventType type = WatchEventType::added;
  std::shared_ptr<const Json> object;
};

// A complete list of a kind (initial list, or a relist after 410 Gone / a dropped watch).
// Objects missing from it that the engine saw before are gone.
struct KubeRelist {
  KubeKind kind;
  std::vector<Json> objects;
};

using RequestId = std::uint64_t;

enum class KubeVerb {
  apply,          // server-side apply of the main resource (creates if missing)
  apply_status,   // server-side apply of the status subresource
  update_status,  // PUT of the status subresource, with the resourceVersion in the body
  remove,         // delete, with preconditions
  create,         // plain create (core/v1 Events)
};

struct KubeRequest {
  RequestId id = 0;
  KubeVerb verb = KubeVerb::apply;
  KubeKind kind;
  std::string api_version;
  std::string kind_name;  // "AnyApplication"
  std::string namespace_name;
  std::string name;
  Json body;                       // apply/create: the object; remove: unused
  std::optional<std::string> uid;  // remove: only this incarnation of the object
  std::string field_manager = "mesh-controller";
  bool force = true;  // we own what we apply; the local controller owns only its zone entry
};

enum class KubeOutcome {
  ok,
  conflict,   // 409: the object changed (or a field manager conflict); re-read and re-merge
  not_found,  // 404
  gone,       // 410
  error,      // anything else (5xx, timeouts, invalid): retried with backoff
};

struct KubeResult {
  RequestId id = 0;
  KubeOutcome outcome = KubeOutcome::ok;
  // The object after the write (ok), when the server returned one; null otherwise. Shared for
  // the same reason as KubeWatchEvent::object: the engine keeps it as its local view.
  std::shared_ptr<const Json> object;
  std::string message;
};

}  // namespace mesh::engine
