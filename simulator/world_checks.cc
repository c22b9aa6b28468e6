// The checkers of a World: timeline assertions during the run, and at the end convergence,
// no resurrected deletes, one owner per application, MeshPeer statuses true to the network
// and bounded logs.
#include <algorithm>

#include "engine/json_util.h"
#include "engine/strategy.h"
#include "simulator/internal/world_impl.h"

namespace mesh::simulator::internal {

namespace {

const kube_sim::GroupVersionResource anyapplications{"dcp.hiro.io", "v1", "anyapplications"};
const kube_sim::GroupVersionResource meshpeers{"dcp.hiro.io", "v1", "meshpeers"};

// The replicated part of an object: what every zone must agree on. Local metadata (uid,
// resourceVersion, finalizers, timestamps, managed fields) differs by design.
Json replicated_fields(const Json& object) {
  Json view = {{"spec", engine::value_at(object, {"spec"})},
               {"ownership", engine::value_at(object, {"status", "ownership"})}};
  Json zones = Json::object();
  const Json& list = engine::value_at(object, {"status", "zones"});
  if (list.is_array()) {
    for (const Json& entry : list) zones[engine::string_at(entry, {"zoneId"})] = entry;
  }
  view["zones"] = zones;
  for (const char* field : {"labels", "annotations"}) {
    const Json& map = engine::value_at(object, {"metadata", field});
    if (map.is_object() && !map.empty()) view[field] = map;
  }
  return view;
}

}  // namespace

std::vector<const Zone*> Impl::running_zones() const {
  std::vector<const Zone*> out;
  for (const auto& zone : zones_) {
    if (zone->state == Zone::State::running) out.push_back(zone.get());
  }
  return out;
}

std::map<std::string, Json> Impl::replicated_view(const Zone& zone) const {
  std::map<std::string, Json> view;
  for (const kube_sim::SharedObject& object : zone.api->snapshot_shared(anyapplications)) {
    // An object on its way out (deletionTimestamp set) already counts as gone.
    if (!engine::value_at(*object, {"metadata", "deletionTimestamp"}).is_null()) continue;
    view[engine::string_at(*object, {"metadata", "name"})] = replicated_fields(*object);
  }
  return view;
}

std::optional<std::string> Impl::convergence_problem() const {
  const std::vector<const Zone*> zones = running_zones();
  if (zones.size() < 2) return std::nullopt;
  const auto reference = replicated_view(*zones[0]);
  for (std::size_t i = 1; i < zones.size(); i++) {
    const auto other = replicated_view(*zones[i]);
    for (const auto& [name, fields] : reference) {
      const auto found = other.find(name);
      if (found == other.end()) {
        return name + " exists in " + zones[0]->name + " but not in " + zones[i]->name;
      }
      if (found->second != fields) {
        for (const auto& [field, value] : fields.items()) {
          const Json other_value = found->second.value(field, Json());
          if (other_value == value) continue;
          std::string detail;
          if (value.is_object() && other_value.is_object()) {
            // Name the keys that differ (for zones: which zones' entries).
            std::set<std::string> keys;
            for (const auto& [key, item] : value.items()) keys.insert(key);
            for (const auto& [key, item] : other_value.items()) keys.insert(key);
            for (const std::string& key : keys) {
              if (value.value(key, Json()) != other_value.value(key, Json())) {
                detail += (detail.empty() ? " (" : ", ") + key;
              }
            }
            if (!detail.empty()) detail += ")";
          }
          return name + ": " + field + detail + " differs: " + zones[0]->name + " has " +
                 engine::canonical(value).substr(0, 3000) + ", " + zones[i]->name + " has " +
                 engine::canonical(other_value).substr(0, 3000);
        }
        return name + " differs between " + zones[0]->name + " and " + zones[i]->name;
      }
    }
    for (const auto& [name, fields] : other) {
      if (reference.count(name) == 0) {
        return name + " exists in " + zones[i]->name + " but not in " + zones[0]->name;
      }
    }
  }
  return std::nullopt;
}

void Impl::violation(Violation::Kind kind, const std::string& message) {
  result_.violations.push_back({kind, elapsed(), message});
  trace(nullptr, "VIOLATION " + message);
  timeline(nullptr, "violation", message);
}

void Impl::check_assertion(const Action& action) {
  const std::string where = scenario_.file + ":" + std::to_string(action.line) + ": " +
                            to_string(action.kind) + " at " + format_duration(action.at);
  const auto fail_with = [&](const std::string& why) {
    violation(Violation::Kind::assertion, where + ": " + why);
  };
  std::vector<const Zone*> zones;
  for (const std::string& name : action.zones) zones.push_back(zone_named(name));
  if (zones.empty()) zones = running_zones();
  switch (action.kind) {
    case ActionKind::assert_converged:
      if (const auto problem = convergence_problem()) fail_with(*problem);
      return;
    case ActionKind::assert_owner:
    case ActionKind::assert_exists:
      for (const Zone* zone : zones) {
        const auto view = replicated_view(*zone);
        const auto found = view.find(action.app);
        if (found == view.end()) {
          fail_with(action.app + " does not exist in " + zone->name);
          return;
        }
        const std::string owner = engine::string_at(found->second, {"ownership", "owner"});
        if (action.kind == ActionKind::assert_owner && owner != action.zone) {
          fail_with(action.app + " in " + zone->name + " is owned by '" + owner + "'");
          return;
        }
      }
      return;
    case ActionKind::assert_absent:
      for (const Zone* zone : zones) {
        if (replicated_view(*zone).count(action.app) != 0) {
          fail_with(action.app + " still exists in " + zone->name);
          return;
        }
      }
      return;
    case ActionKind::assert_peer_state: {
      const Zone* peer = zone_named(action.zone);
      const std::string name = peer->identity.public_key().hex();
      for (const Zone* observer : zones) {
        if (observer == peer) continue;
        auto object = observer->api->get_shared({meshpeers, "mesh-system", name});
        const std::string state =
            object.ok() ? engine::string_at(*object.value(), {"status", "status"}) : "(none)";
        if (state != action.state) {
          fail_with(observer->name + " sees " + peer->name + " as " + state + ", expected " +
                    action.state);
          return;
        }
      }
      return;
    }
    default: MESH_UNREACHABLE();
  }
}

// Every running zone's MeshPeer object for every other running zone, unless it says Ready;
// with `first_only`, stops at the first.
std::vector<std::string> Impl::peer_status_problems(bool first_only) const {
  std::vector<std::string> problems;
  const std::vector<const Zone*> zones = running_zones();
  for (const Zone* observer : zones) {
    for (const Zone* peer : zones) {
      if (observer == peer) continue;
      auto object =
          observer->api->get_shared({meshpeers, "mesh-system", peer->identity.public_key().hex()});
      const std::string state =
          object.ok() ? engine::string_at(*object.value(), {"status", "status"}) : "(none)";
      if (state == "Ready") continue;
      problems.push_back(observer->name + " reports " + peer->name + " as " + state +
                         " after the heal");
      if (first_only) return problems;
    }
  }
  return problems;
}

void Impl::final_checks() {
  const Checks& checks = scenario_.checks;
  if (checks.convergence && !result_.stats.converged_after) {
    const auto problem = convergence_problem();
    violation(Violation::Kind::liveness,
              "not converged " + format_duration(checks.converge_within) +
                  " after the final heal: " + problem.value_or("(converged at the last moment)"));
  }
  const std::vector<const Zone*> zones = running_zones();
  if (checks.no_resurrection) {
    // A deleted generation must not come back; a later generation (a re-creation, here or
    // anywhere) is a new object.
    for (const UserDelete& removed : deletes_) {
      for (const Zone* zone : zones) {
        const auto view = replicated_view(*zone);
        const auto found = view.find(removed.app);
        if (found == view.end()) continue;
        const std::string text =
            engine::string_at(found->second, {"annotations", engine::generation_annotation});
        const std::uint64_t generation = text.empty() ? 0 : std::stoull(text);
        if (generation > removed.generation) continue;
        violation(Violation::Kind::safety,
                  removed.app + " (generation " + std::to_string(removed.generation) +
                      ") was deleted by its owner " + removed.zone + " at " +
                      format_duration(removed.at) + " and exists again in " + zone->name);
        break;
      }
    }
  }
  if (checks.one_owner && !zones.empty()) {
    std::set<std::string> zone_names;
    for (const auto& zone : zones_) zone_names.insert(zone->name);
    for (const auto& [name, fields] : replicated_view(*zones[0])) {
      const std::string owner = engine::string_at(fields, {"ownership", "owner"});
      if (zone_names.count(owner) == 0) {
        violation(Violation::Kind::safety, name + " is owned by '" + owner + "', not a zone");
      }
    }
  }
  if (checks.peer_status) {
    for (const std::string& problem : peer_status_problems(false)) {
      violation(Violation::Kind::liveness, problem);
    }
  }
  std::size_t names = std::max<std::size_t>(scenario_.random.objects, 1);
  for (const Action& action : scenario_.timeline) {
    if (action.kind == ActionKind::create) names++;
  }
  const std::size_t authors = zones_.size() * 2;
  const std::size_t bound = authors * (2 * names + 1 + scenario_.engine.snapshot_max_log + 8);
  for (const auto& zone : zones_) {
    if (!zone->node) continue;
    const engine::LogStoreStats stats = zone->node->logs().stats();
    result_.stats.log_operations_max =
        std::max(result_.stats.log_operations_max, stats.operation_count + stats.parked_count);
    result_.stats.log_bytes_max = std::max(result_.stats.log_bytes_max, stats.byte_count);
    result_.stats.operations += zone->node->metrics().operations_authored;
    result_.stats.takeovers += zone->node->replication().stats().takeovers;
    if (checks.bounded_logs && stats.operation_count + stats.parked_count > bound) {
      violation(Violation::Kind::safety,
                zone->name + " holds " + std::to_string(stats.operation_count) +
                    " operations, above the bound " + std::to_string(bound));
    }
  }
}

}  // namespace mesh::simulator::internal
