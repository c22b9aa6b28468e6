// Helpers shared by the kube_sim tests: a server at a fixed time, object builders, and
// assertions on ApiResults and watch streams. Tests include it after the headers they test;
// nothing here is used by the library.
#pragma once

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "engine/json.h"

#include "kube_sim/api_server.h"

namespace mesh::kube_sim::testing {

using json = ::mesh::engine::Json;

// 2023-11-14T22:13:20Z
inline constexpr std::int64_t start_unix_ms = 1'700'000'000'000;

inline Options test_options(std::uint64_t seed = 1) {
  return Options{.seed = seed};
}

inline GroupVersionResource apps() {
  return anyapplication_type().resource();
}
inline GroupVersionResource peers() {
  return meshpeer_type().resource();
}
inline GroupVersionResource namespaces() {
  return namespace_type().resource();
}
inline GroupVersionResource leases() {
  return lease_type().resource();
}

inline ObjectKey app_key(const std::string& name, const std::string& ns = "default") {
  return ObjectKey{apps(), ns, name};
}

// An AnyApplication with a spec; `zones` lands in spec.zones.
inline json make_app(const std::string& name, int zones = 1, json labels = nullptr) {
  json object = {{"apiVersion", "dcp.hiro.io/v1"},
                 {"kind", "AnyApplication"},
                 {"metadata", {{"name", name}}},
                 {"spec", {{"zones", zones}, {"source", {{"helm", {{"chart", "nginx"}}}}}}}};
  if (!labels.is_null()) object["metadata"]["labels"] = std::move(labels);
  return object;
}

inline std::string rv_of(const json& object) {
  return object["metadata"]["resourceVersion"].get<std::string>();
}

inline std::uint64_t rv_number(const json& object) {
  return std::stoull(rv_of(object));
}

inline std::int64_t generation_of(const json& object) {
  return object["metadata"]["generation"].get<std::int64_t>();
}

// A started server with the clock set.
inline ApiServer make_server(Options options = test_options()) {
  ApiServer server(std::move(options));
  server.set_time(WallTime::from_unix_ms(start_unix_ms));
  return server;
}

// Fails the test unless `result` failed with `reason`.
template <typename T>
::testing::AssertionResult failed_with(const ApiResult<T>& result, StatusReason reason) {
  if (result.ok()) return ::testing::AssertionFailure() << "request succeeded";
  if (result.error().reason != reason) {
    return ::testing::AssertionFailure()
           << "reason " << reason_name(result.error().reason) << " (" << result.error().message
           << "), wanted " << reason_name(reason);
  }
  return ::testing::AssertionSuccess();
}

// Every event queued on a watch now (stops after CLOSED).
inline std::vector<WatchEvent> drain(ApiServer& server, WatchId id) {
  std::vector<WatchEvent> events;
  while (auto event = server.poll_watch(id)) {
    events.push_back(*event);
    if (event->type == WatchEventType::closed) break;
  }
  return events;
}

inline std::vector<std::string> event_names(const std::vector<WatchEvent>& events) {
  std::vector<std::string> names;
  for (const WatchEvent& event : events) {
    std::string name(watch_event_type_name(event.type));
    if (event.object.is_object() && event.object.contains("metadata") &&
        event.object["metadata"].contains("name")) {
      name += " " + event.object["metadata"]["name"].get<std::string>();
    }
    names.push_back(std::move(name));
  }
  return names;
}

}  // namespace mesh::kube_sim::testing
