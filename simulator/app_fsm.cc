#include "simulator/app_fsm.h"

#include <algorithm>
#include <limits>

namespace mesh::simulator {

namespace {

constexpr std::string_view status_failure = "Failure";

// addOrUpdateCondition as reconciles use it: a missing type is appended; an existing condition
// stays as it is, because the Go code edits a copy of it (§5).
void add_condition_if_missing(AppStatus& status, std::string_view zone,
                              const Condition& condition) {
  ZoneStatus& entry = zone_entry(status, zone);
  if (find_condition(entry, condition.type) == nullptr) entry.conditions.push_back(condition);
}

// maxRetries is compared with retryAttempt, which nobody writes: with maxRetries <= 0 a Failure
// condition of the job's type blocks a new job (§6 recoverStrategy).
bool retries_exhausted(const AppStatus& status, std::string_view zone, ConditionType type,
                       std::int64_t max_retries) {
  const ZoneStatus* entry = find_zone(status, zone);
  if (entry == nullptr) return false;
  const Condition* condition = find_condition(*entry, type);
  return condition != nullptr && condition->status == status_failure &&
         condition->retry_attempt >= max_retries;
}

bool is_failed(const Condition& condition) {
  switch (condition.type) {
    case ConditionType::local:
      return condition.status == health_name(Health::degraded) ||
             condition.status == health_name(Health::missing);
    case ConditionType::deployment:
    case ConditionType::undeployment: return condition.status == status_failure;
    case ConditionType::placement:
    case ConditionType::ownership_transfer: return false;
  }
  MESH_UNREACHABLE();
}

// Entries of every zone (not only placement zones) holding at least one failed condition.
std::int64_t failed_zone_count(const AppStatus& status) {
  std::int64_t count = 0;
  for (const ZoneStatus& entry : status.zones) {
    if (std::any_of(entry.conditions.begin(), entry.conditions.end(), is_failed)) count++;
  }
  return count;
}

// Operational when every placement zone's highest-priority condition (Local, then Deployment,
// then Undeployment) is Local; Relocation otherwise (§4).
GlobalState placed_state(const AppStatus& status) {
  for (const Placement& placement : status.ownership.placements) {
    const ZoneStatus* entry = find_zone(status, placement.zone);
    if (entry == nullptr) return GlobalState::relocation;
    if (find_condition(*entry, ConditionType::local) != nullptr) continue;
    return GlobalState::relocation;
  }
  return GlobalState::operational;
}

// §6: the first matching rule of Undeploy, Deploy, Operate, Forget.
void run_local_fsm(const DeriveInput& input, Derivation& derivation) {
  const AppObject& object = *input.object;
  const LocalView& view = *input.view;
  const std::string_view zone = input.zone;
  const std::int64_t max_retries = object.spec.max_retries;
  const bool placed = in_placements(object.status, zone);
  AppStatus& status = derivation.status;
  if ((!placed && view.present) || view.other_versions || (view.present && view.new_version)) {
    if (input.running_job == JobKind::undeploy || !view.present) return;
    if (retries_exhausted(status, zone, ConditionType::undeployment, max_retries)) return;
    derivation.job = JobKind::undeploy;
    if (view.new_version) zone_entry(status, zone).chart_version = view.target;
    add_condition_if_missing(
        status, zone,
        initial_condition(JobKind::undeploy, zone, input.bundle_health, input.now_time));
    return;
  }
  if (placed && !view.deployed) {
    if (input.running_job == JobKind::deploy) return;
    if (retries_exhausted(status, zone, ConditionType::deployment, max_retries)) return;
    derivation.job = JobKind::deploy;
    derivation.job_version = view.target;
    if (view.new_version) zone_entry(status, zone).chart_version = view.target;
    add_condition_if_missing(
        status, zone,
        initial_condition(JobKind::deploy, zone, input.bundle_health, input.now_time));
    return;
  }
  if (placed) {
    if (input.running_job != JobKind::operation) derivation.job = JobKind::operation;
    return;
  }
  // Forget: the merge persists dropping the entry only along with another change (§5).
  std::erase_if(status.zones, [zone](const ZoneStatus& entry) { return entry.zone_id == zone; });
}

// §4, owner only: the Local placement job while placements are absent, then the state.
void run_global_fsm(const DeriveInput& input, Derivation& derivation) {
  const AppSpec& spec = input.object->spec;
  AppStatus& status = derivation.status;
  if (status.ownership.placements.empty() && spec.strategy == PlacementStrategy::local) {
    const ZoneStatus* entry = find_zone(status, input.zone);
    const bool has_placement_condition =
        entry != nullptr && find_condition(*entry, ConditionType::placement) != nullptr;
    if (!has_placement_condition || input.running_job != JobKind::placement) {
      if (!derivation.job.has_value()) derivation.job = JobKind::placement;
      add_condition_if_missing(
          status, input.zone,
          initial_condition(JobKind::placement, input.zone, input.bundle_health, input.now_time));
    }
  }
  status.ownership.state = global_state(status, spec, input.zone, input.running_job);
}

bool merge_zone_entry(const ZoneStatus& derived, AppStatus& fresh, std::string_view zone) {
  bool changed = false;
  ZoneStatus* entry = find_zone(fresh, zone);
  if (entry == nullptr) {
    if (derived.chart_version.empty() && derived.conditions.empty()) return false;
    entry = &zone_entry(fresh, zone);
    changed = true;
  }
  if (!derived.chart_version.empty() && derived.chart_version != entry->chart_version) {
    entry->chart_version = derived.chart_version;
    changed = true;
  }
  for (const Condition& condition : derived.conditions) {
    if (condition.zone_id != zone) continue;
    if (find_condition(*entry, condition.type) != nullptr) continue;
    entry->conditions.push_back(condition);
    changed = true;
  }
  return changed;
}

}  // namespace

std::string_view job_kind_name(JobKind kind) {
  switch (kind) {
    case JobKind::placement: return "Placement";
    case JobKind::deploy: return "Deploy";
    case JobKind::undeploy: return "Undeploy";
    case JobKind::operation: return "Operation";
  }
  MESH_UNREACHABLE();
}

bool is_involved(const AppObject& object, std::string_view zone, const LocalView& view) {
  const Ownership& ownership = object.status.ownership;
  return view.deployed || ownership.state == GlobalState::none ||
         find_zone(object.status, zone) != nullptr || ownership.owner == zone ||
         in_placements(object.status, zone);
}

Derivation derive_status(const DeriveInput& input) {
  MESH_ASSERT(input.object != nullptr);
  MESH_ASSERT(input.view != nullptr);
  const AppObject& object = *input.object;
  const LocalView& view = *input.view;
  Derivation derivation{.status = object.status};
  if (view.deployed) {
    add_condition_if_missing(
        derivation.status, input.zone,
        initial_condition(JobKind::operation, input.zone, input.bundle_health, input.now_time));
  }
  if (input.running_condition.has_value()) {
    add_condition_if_missing(derivation.status, input.zone, *input.running_condition);
  }
  const bool local_applies = in_placements(object.status, input.zone) || view.present ||
                             find_zone(object.status, input.zone) != nullptr;
  if (local_applies) run_local_fsm(input, derivation);
  if (object.status.ownership.owner == input.zone) run_global_fsm(input, derivation);
  MESH_ASSERT(derivation.job != JobKind::deploy || !derivation.job_version.empty());
  return derivation;
}

GlobalState global_state(const AppStatus& status, const AppSpec& spec, std::string_view zone,
                         std::optional<JobKind> running_job) {
  if (status.ownership.placements.empty()) {
    // Global (or unset) strategy: wait for an external writer of placements.
    if (spec.strategy != PlacementStrategy::local) return GlobalState::placement;
    const ZoneStatus* entry = find_zone(status, zone);
    const Condition* condition =
        entry == nullptr ? nullptr : find_condition(*entry, ConditionType::placement);
    if (condition == nullptr || running_job != JobKind::placement) return GlobalState::placement;
    return condition->status == status_failure ? GlobalState::failure : GlobalState::placement;
  }
  if (failed_zone_count(status) > spec.tolerance) return GlobalState::failure;
  return placed_state(status);
}

bool merge_status(const AppStatus& derived, AppStatus& fresh, std::string_view zone) {
  bool changed = false;
  Ownership& ownership = fresh.ownership;
  const GlobalState state = derived.ownership.state;
  // Unknown (and the zero value) mean "no change" inside mergeStatus.
  if (state != GlobalState::none && state != GlobalState::unknown && state != ownership.state) {
    ownership.state = state;
    changed = true;
  }
  if (ownership.owner.empty() && !derived.ownership.owner.empty()) {
    ownership.owner = derived.ownership.owner;
    changed = true;
  }
  if (ownership.placements.empty() && !derived.ownership.placements.empty()) {
    ownership.placements = derived.ownership.placements;
    changed = true;
  }
  if (derived.ownership.epoch > ownership.epoch) {
    ownership.epoch = derived.ownership.epoch;
    changed = true;
  }
  const ZoneStatus* derived_entry = find_zone(derived, zone);
  if (derived_entry != nullptr) return merge_zone_entry(*derived_entry, fresh, zone) || changed;
  if (changed) {
    std::erase_if(fresh.zones, [zone](const ZoneStatus& entry) { return entry.zone_id == zone; });
  }
  return changed;
}

void bump_zone_version(AppStatus& status, std::string_view zone, std::int64_t resource_version) {
  constexpr std::int64_t version_max = std::numeric_limits<std::int64_t>::max();
  ZoneStatus* entry = find_zone(status, zone);
  if (entry == nullptr) return;
  MESH_ASSERT(resource_version >= 0);
  const std::int64_t from_rv = resource_version < version_max ? resource_version + 1 : version_max;
  const std::int64_t from_version = entry->version < version_max ? entry->version + 1 : version_max;
  entry->version = std::max(from_rv, from_version);
}

bool update_condition(AppStatus& status, std::string_view zone, const Condition& condition,
                      std::initializer_list<ConditionType> deleted_types) {
  MESH_ASSERT(condition.zone_id == zone);
  ZoneStatus& entry = zone_entry(status, zone);
  auto existing =
      std::find_if(entry.conditions.begin(), entry.conditions.end(), [&](const Condition& stored) {
        return stored.type == condition.type && stored.zone_id == zone;
      });
  if (existing != entry.conditions.end()) {
    const bool same = existing->status == condition.status &&
                      existing->reason == condition.reason && existing->msg == condition.msg;
    if (same) return false;
    *existing = condition;
  } else {
    entry.conditions.push_back(condition);
  }
  for (const ConditionType type : deleted_types) {
    MESH_ASSERT(type != condition.type);
    std::erase_if(entry.conditions, [&](const Condition& stored) {
      return stored.type == type && stored.zone_id == zone;
    });
  }
  return true;
}

Condition initial_condition(JobKind kind, std::string_view zone, Health health,
                            std::string_view now_time) {
  Condition condition{.zone_id = std::string(zone), .last_transition_time = std::string(now_time)};
  switch (kind) {
    case JobKind::placement:
      condition.type = ConditionType::placement;
      condition.status = "InProgress";
      break;
    case JobKind::deploy:
      condition.type = ConditionType::deployment;
      condition.status = "Pull";
      break;
    case JobKind::undeploy:
      condition.type = ConditionType::undeployment;
      condition.status = "Undeploy";
      break;
    case JobKind::operation:
      condition.type = ConditionType::local;
      condition.status = std::string(health_name(health));
      break;
  }
  MESH_ASSERT(!condition.status.empty());
  return condition;
}

}  // namespace mesh::simulator
