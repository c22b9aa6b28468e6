// Online checks of the §10 "checkable properties" (reference anyapplication-controller.md), run
// on every object the controller observes (watch events and relists: its own writes and
// everybody else's) and on every status write it makes.
//
// Detecting other writers of zones[self]: after each successful write the controller remembers
// the entry exactly as the server stored it (canonical JSON) and the write's resourceVersion.
// Any later observation (resourceVersion at least that one) whose entry differs, or lacks it,
// was written by someone else. Before its first write the first observation is the baseline,
// so an entry left by an earlier incarnation is not reported. For every zone's entry the
// checker also requires versions never to go back, and content never to change under an
// unchanged version (a replicator downgrading or rewriting an entry).
#include <algorithm>
#include <limits>
#include <optional>
#include <string>

#include "engine/json_util.h"
#include "simulator/app_controller.h"
#include "simulator/app_limits.h"

namespace mesh::simulator {

namespace {

using Json = ::mesh::engine::Json;

// The integer version of an entry; nullopt when it is not one (the decoder refuses the object).
std::optional<std::int64_t> entry_version(const Json& entry) {
  const Json& version = engine::value_at(entry, {"version"});
  if (version.is_null()) return std::int64_t{0};
  if (version.is_number_unsigned()) {
    const auto value = version.get<std::uint64_t>();
    if (value > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
      return std::nullopt;
    }
    return static_cast<std::int64_t>(value);
  }
  if (version.is_number_integer()) return version.get<std::int64_t>();
  return std::nullopt;
}

bool placement_done(const AppStatus& status, std::string_view zone) {
  const ZoneStatus* entry = find_zone(status, zone);
  if (entry == nullptr) return false;
  const Condition* condition = find_condition(*entry, ConditionType::placement);
  return condition != nullptr && condition->status == "Done";
}

}  // namespace

void AppController::observe(const AppKey& key, AppState& app, const engine::Json& object,
                            Instant now) {
  Checks& checks = app.checks;
  const std::string uid = engine::string_at(object, {"metadata", "uid"});
  if (uid != checks.uid) {
    checks = Checks{};
    checks.uid = uid;
  }
  const std::int64_t resource_version =
      parse_resource_version(engine::string_at(object, {"metadata", "resourceVersion"}));
  const Json& zones = engine::value_at(object, {"status", "zones"});
  const Json* own = nullptr;
  if (!zones.is_array()) {
    observe_own_entry(key, checks, own, resource_version, now);
    return;
  }
  for (const Json& entry : zones) {
    if (!entry.is_object()) continue;
    const std::string zone = engine::string_at(entry, {"zoneId"});
    if (zone == options_.zone && own == nullptr) own = &entry;
    const std::optional<std::int64_t> version = entry_version(entry);
    if (!version.has_value()) continue;
    auto seen = checks.zones_seen.find(zone);
    if (seen == checks.zones_seen.end()) {
      if (checks.zones_seen.size() >= app_checked_zones_max) {
        counters_.checks_skipped++;
        continue;
      }
      checks.zones_seen.emplace(zone, ZoneSeen{*version, entry});
      continue;
    }
    if (*version < seen->second.version) {
      violation(key, now,
                "zones[" + zone + "].version went back from " +
                    std::to_string(seen->second.version) + " to " + std::to_string(*version));
    } else if (*version == seen->second.version &&
               !engine::same_canonical(entry, seen->second.content)) {
      violation(key, now,
                "zones[" + zone + "] changed without a version bump (version " +
                    std::to_string(*version) + ")");
    }
    seen->second = ZoneSeen{*version, entry};
  }
  observe_own_entry(key, checks, own, resource_version, now);
}

void AppController::observe_own_entry(const AppKey& key, Checks& checks, const engine::Json* entry,
                                      std::int64_t resource_version, Instant now) {
  const Json content = entry == nullptr ? Json() : *entry;
  MESH_ASSERT(entry == nullptr || entry->is_object());  // null stands for "absent"
  if (!checks.own_entry.has_value()) {
    checks.own_entry = content;  // the baseline
    return;
  }
  // An event older than our last write shows a state that write replaced.
  if (resource_version < checks.own_write_resource_version) return;
  if (engine::same_canonical(content, *checks.own_entry)) return;
  const char* what = entry == nullptr ? "dropped" : "changed";
  violation(key, now,
            "zones[" + options_.zone + "] " + what + " by another writer at resourceVersion " +
                std::to_string(resource_version));
  checks.own_entry = content;  // report each foreign change once
}

// Properties of a write this controller just made: `before` is the read it derived from,
// `after` the status it sent, `written` the object the server stored.
void AppController::check_own_write(const AppKey& key, AppState& app, const AppObject& before,
                                    const AppStatus& after, const engine::Json& written,
                                    Instant now) {
  Checks& checks = app.checks;
  const Ownership& old_ownership = before.status.ownership;
  const Ownership& new_ownership = after.ownership;
  const std::string& zone = options_.zone;
  if (!old_ownership.owner.empty() && new_ownership.owner != old_ownership.owner) {
    violation(key, now,
              "owner changed by this controller from " + old_ownership.owner + " to " +
                  new_ownership.owner);
  }
  if (new_ownership.epoch < old_ownership.epoch) {
    violation(key, now,
              "epoch lowered by this controller from " + std::to_string(old_ownership.epoch) +
                  " to " + std::to_string(new_ownership.epoch));
  }
  if (new_ownership.epoch < checks.epoch_written_max) {
    violation(key, now,
              "epoch written went back from " + std::to_string(checks.epoch_written_max) + " to " +
                  std::to_string(new_ownership.epoch));
  }
  checks.epoch_written_max = std::max(checks.epoch_written_max, new_ownership.epoch);
  const bool non_owner = !old_ownership.owner.empty() && old_ownership.owner != zone;
  if (non_owner && new_ownership.state != old_ownership.state) {
    violation(key, now, "state changed by a non-owner");
  }
  if (placement_done(before.status, zone) && !placement_done(after, zone)) {
    violation(key, now, "Placement=Done removed by this controller");
  }
  const ZoneStatus* old_entry = find_zone(before.status, zone);
  const ZoneStatus* new_entry = find_zone(after, zone);
  if (old_entry != nullptr && new_entry != nullptr && new_entry->version <= old_entry->version) {
    violation(key, now, "zones[" + zone + "].version did not increase");
  }
  // Remember the entry as stored, for observe_own_entry().
  const Json* stored = nullptr;
  const Json& zones = engine::value_at(written, {"status", "zones"});
  if (zones.is_array()) {
    for (const Json& entry : zones) {
      if (entry.is_object() && engine::string_at(entry, {"zoneId"}) == zone) {
        stored = &entry;
        break;
      }
    }
  }
  checks.own_entry = stored == nullptr ? Json() : *stored;
  checks.own_write_resource_version =
      parse_resource_version(engine::string_at(written, {"metadata", "resourceVersion"}));
}

void AppController::violation(const AppKey& key, Instant now, const std::string& what) {
  if (violations_.size() >= app_violations_max) {
    counters_.violations_dropped++;
    return;
  }
  violations_.push_back("t=" + std::to_string(now.ns()) + " " + key.namespace_name + "/" +
                        key.name + ": " + what);
}

}  // namespace mesh::simulator
