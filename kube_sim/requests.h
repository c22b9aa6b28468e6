// Request and response shapes of the ApiServer, close to the REST API they stand for.
//
// Each struct maps onto one part of a Kubernetes request: the verb, the query parameters
// (fieldManager, force, labelSelector, resourceVersion, allowWatchBookmarks) and the delete
// preconditions. Responses are the object itself, an ObjectList or a DeleteOutcome. Nothing here
// has behaviour beyond rendering a list as JSON.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "engine/json.h"

#include "kube_sim/resource.h"

namespace mesh::kube_sim {

// The request verbs, as the real server's audit log and metrics name them. `remove` is DELETE.
enum class Verb : std::uint8_t { get, list, watch, create, update, patch, remove };
inline constexpr std::size_t verb_count = 7;

// "get", "list", "watch", "create", "update", "patch", "delete".
std::string_view verb_name(Verb verb);

// The main resource or its /status subresource.
enum class Subresource : std::uint8_t { main, status };

// PATCH bodies: JSON merge patch (RFC 7386) or server-side apply.
enum class PatchType : std::uint8_t { merge, apply };

// Query parameters of writes.
struct WriteOptions {
  // fieldManager. Required for apply; update, patch and create record "unknown" when empty.
  std::string field_manager;
  // force: on apply, take ownership of conflicting fields instead of failing with 409.
  bool force = false;
};

// A create, update or patch as one value: what a REST request's method, path and query say.
struct WriteRequest {
  Verb verb = Verb::create;  // create, update or patch
  Subresource subresource = Subresource::main;
  PatchType patch_type = PatchType::apply;  // patch only
  // The object; for create the collection only (resource and namespace, name empty: the
  // name comes from the body, as a POST to the collection's path).
  ObjectKey key;
  WriteOptions options;
};

// metav1.DeleteOptions.preconditions: the delete fails with 409 unless the object still has
// this uid / resourceVersion. Empty means no precondition.
struct DeleteOptions {
  std::string uid;
  std::string resource_version;
};

struct ListRequest {
  GroupVersionResource resource;
  std::string namespace_name;  // "" lists all namespaces
  std::string label_selector;  // "app=web,tier in (a,b),!legacy"
  // "" or "0": any recent state. A number: the state at least that new, else 504 Timeout.
  std::string resource_version;
};

struct ObjectList {
  std::string api_version;
  std::string kind;                 // "AnyApplicationList"
  std::string resource_version;     // the server's resourceVersion when the list was served
  std::vector<engine::Json> items;  // sorted by namespace, then name

  engine::Json to_json() const;
};

struct DeleteOutcome {
  // The object as the delete left it: with deletionTimestamp while finalizers remain, or its
  // last state (at the deletion's resourceVersion) once removed.
  engine::Json object;
  bool removed = false;
};

struct WatchRequest {
  GroupVersionResource resource;
  std::string namespace_name;  // "" watches all namespaces
  // "" or "0": synthetic ADDED events for the current state, then changes. A number R: every
  // change after R from the retained history (410 Gone if R was compacted), then changes.
  std::string resource_version;
  std::string label_selector;
  bool allow_bookmarks = false;
};

// One row of the request counters: how many requests of a verb ended with an HTTP code.
struct RequestCount {
  Verb verb = Verb::get;
  int http_code = 0;
  std::uint64_t count = 0;
};

}  // namespace mesh::kube_sim
