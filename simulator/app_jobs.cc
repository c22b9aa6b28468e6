// The AnyApplication controller's async jobs (reference anyapplication-controller.md §5, §6):
// Placement, Deploy(v, attempt, startedAt), Undeploy(attempt, startedAt) and Operation. Each
// tick acts on the simulated workload, then makes its own read-modify-write of zones[self]
// (suppressed when status, reason and msg are unchanged) and deletes its sibling conditions.
// A job leaves the registry together with its final write, so the reconcile that write triggers
// sees no job (§10 determinism choices). A failed write is dropped; the next one carries the
// newer state.
#include <string>
#include <utility>

#include "kube_sim/timestamp.h"
#include "simulator/app_controller.h"
#include "simulator/app_limits.h"

namespace mesh::simulator {

namespace {

constexpr std::int64_t seconds_per_minute = 60;
constexpr std::int64_t seconds_per_hour = 3'600;

// Go's Duration.String() for whole seconds and above ("3m0s", "1h0m0s", "10s"); shorter spans
// are printed in milliseconds. Only used in messages.
std::string go_duration_text(Duration duration) {
  if (duration < Duration::from_seconds(1)) return std::to_string(duration.ms()) + "ms";
  const std::int64_t total_seconds = duration.ns() / Duration::from_seconds(1).ns();
  const std::int64_t hours = total_seconds / seconds_per_hour;
  const std::int64_t minutes = (total_seconds % seconds_per_hour) / seconds_per_minute;
  const std::int64_t seconds = total_seconds % seconds_per_minute;
  std::string text;
  if (hours > 0) text += std::to_string(hours) + "h";
  if (hours > 0 || minutes > 0) text += std::to_string(minutes) + "m";
  return text + std::to_string(seconds) + "s";
}

std::string attempt_text(int attempt, int attempts) {
  return "(attempt " + std::to_string(attempt) + " of " + std::to_string(attempts) + ")";
}

}  // namespace

void AppController::run_job(const AppKey& key, AppState& app, Now now) {
  MESH_ASSERT(app.job.has_value());
  MESH_ASSERT(app.job->next_run_at <= now.monotonic);
  // A job reads its object first; once the object is gone it ends without acting.
  if (app.cached == nullptr) {
    app.job.reset();
    return;
  }
  switch (app.job->kind) {
    case JobKind::placement: tick_placement(key, app, now); return;
    case JobKind::deploy: tick_deploy(key, app, now); return;
    case JobKind::undeploy: tick_undeploy(key, app, now); return;
    case JobKind::operation: tick_operation(key, app, now); return;
  }
  MESH_UNREACHABLE();
}

// One immediate write: placements = [self] (overwriting whatever is there) and Placement=Done.
// A failed write is only remembered in memory; the next reconcile starts a new job.
void AppController::tick_placement(const AppKey& key, AppState& app, Now now) {
  MESH_ASSERT(app.job->kind == JobKind::placement);
  app.job->condition = job_condition(ConditionType::placement, "Done", "",
                                     "Placement state changed to 'Done'.", now);
  const Condition condition = app.job->condition;
  const std::string& zone = options_.zone;
  const WriteResult written = write_status(key, now, [&](AppStatus& status) {
    bool changed = update_condition(status, zone, condition, {});
    std::vector<Placement>& placements = status.ownership.placements;
    if (placements.size() != 1 || placements.front().zone != zone ||
        !placements.front().node_affinity.empty()) {
      placements = {Placement{.zone = zone}};
      changed = true;
    }
    return changed;
  });
  if (!written.ok()) counters_.job_writes_dropped++;
  app.job.reset();
}

// Sync at once and every syncPollDuration; Done once every rendered object exists, retries on
// the sync timeout up to `attempts`, Failure/SyncError at once on a sync error.
void AppController::tick_deploy(const AppKey& key, AppState& app, Now now) {
  Job& job = *app.job;
  MESH_ASSERT(job.kind == JobKind::deploy);
  MESH_ASSERT(!job.version.empty());
  const Duration timeout = sync_timeout(job.snapshot.spec).value_or(options_.deploy_timeout);
  const int attempts = options_.attempts;
  bool finished = false;
  app.workload.settle(now.monotonic);
  if (knobs_for(key).sync_error ||
      !app.workload.apply(job.version, now.monotonic, deploy_duration_)) {
    job.condition =
        job_condition(ConditionType::deployment, "Failure", "SyncError",
                      "Deployment failure: sync of version " + job.version + " failed.", now);
    finished = true;
  } else if (app.workload.complete(job.version, now.monotonic)) {
    job.condition = job_condition(ConditionType::deployment, "Done", "",
                                  "Deployment state changed to 'Done'.", now);
    finished = true;
  } else if (now.monotonic - job.started_at > timeout) {
    if (job.attempt < attempts) {
      job.attempt++;
      job.started_at = now.monotonic;
      job.condition = job_condition(
          ConditionType::deployment, "Pull", "Timeout",
          "Deployment failure: Retrying deployment " + attempt_text(job.attempt, attempts) + ".",
          now);
    } else {
      job.condition = job_condition(
          ConditionType::deployment, "Failure", "Timeout",
          "Deployment failure: Deployment timed out after " + go_duration_text(timeout), now);
      finished = true;
    }
  }
  job.next_run_at = now.monotonic + options_.sync_poll;
  job_write(key, app, now, {ConditionType::undeployment, ConditionType::local});
  if (finished) app.job.reset();
}

// Delete every labelled version at once and every syncPollDuration, reporting progress; Done
// when no object remains. Delete errors and the undeploy timeout both use up attempts.
void AppController::tick_undeploy(const AppKey& key, AppState& app, Now now) {
  Job& job = *app.job;
  MESH_ASSERT(job.kind == JobKind::undeploy);
  const int attempts = options_.attempts;
  bool finished = false;
  app.workload.settle(now.monotonic);
  const bool delete_error = knobs_for(key).undeploy_error;
  if (!delete_error) {
    app.workload.remove_all(now.monotonic, undeploy_duration_);
    app.workload.settle(now.monotonic);
  }
  const bool timed_out = now.monotonic - job.started_at > options_.undeploy_timeout;
  if (!delete_error && app.workload.empty()) {
    job.condition = job_condition(ConditionType::undeployment, "Done", "",
                                  "Undeploy state changed to 'Done'.", now);
    finished = true;
  } else if (delete_error || timed_out) {
    const std::string reason = delete_error ? "SyncError" : "Timeout";
    const std::string cause =
        delete_error ? "deleting objects failed"
                     : "timed out after " + go_duration_text(options_.undeploy_timeout);
    if (job.attempt < attempts) {
      job.attempt++;
      job.started_at = now.monotonic;
      job.condition = job_condition(
          ConditionType::undeployment, "Undeploy", reason,
          "Undeploy failure: " + cause + " " + attempt_text(job.attempt, attempts) + ".", now);
    } else {
      job.condition = job_condition(ConditionType::undeployment, "Failure", reason,
                                    "Undeploy failure: " + cause + ".", now);
      finished = true;
    }
  } else {
    MESH_ASSERT(!app.workload.empty());
    const std::string total = std::to_string(app_workload_objects_per_version);
    job.condition =
        job_condition(ConditionType::undeployment, "Undeploy", "",
                      "Version " + app.workload.versions().front().version + " (Total=" + total +
                          ", Deleted=" + total + ", DeleteFailed=0).",
                      now);
  }
  job.next_run_at = now.monotonic + options_.sync_poll;
  job_write(key, app, now, {ConditionType::local, ConditionType::deployment});
  if (finished) app.job.reset();
}

// First check after operationalPollDuration, then on every tick. Healthy and Progressing keep
// polling; Degraded, Unknown and Missing stop; Suspended writes nothing.
void AppController::tick_operation(const AppKey& key, AppState& app, Now now) {
  Job& job = *app.job;
  MESH_ASSERT(job.kind == JobKind::operation);
  const ZoneStatus* entry = find_zone(job.snapshot.status, options_.zone);
  const std::string recorded = entry == nullptr ? std::string() : entry->chart_version;
  const auto target = resolve_target(job.snapshot.spec, now.monotonic);
  bool finished = true;
  bool write = true;
  if (!target.ok()) {
    job.condition = job_condition(ConditionType::local, "Degraded", "TargetVersionUnavailable",
                                  "Operation Failure: " + target.error().message + ".", now);
  } else if (target.value() != recorded) {
    job.condition = job_condition(ConditionType::local, "Progressing", "SyncRequired",
                                  "Operation state changed to 'Progressing'.", now);
  } else {
    const Health health = bundle_health(key, app, recorded, now.monotonic);
    const std::string name(health_name(health));
    const std::string msg = "Operation state changed to '" + name + "'.";
    switch (health) {
      case Health::healthy:
      case Health::progressing:
        job.condition = job_condition(ConditionType::local, name, "", msg, now);
        finished = false;
        break;
      case Health::degraded:
      case Health::unknown:
        job.condition = job_condition(ConditionType::local, name, "HealthCheckFailed", msg, now);
        break;
      case Health::missing:
        job.condition = job_condition(ConditionType::local, name, "ResourcesMissing", msg, now);
        break;
      case Health::suspended:
        write = false;
        finished = false;
        break;
    }
  }
  job.next_run_at = now.monotonic + options_.operational_poll;
  if (write) job_write(key, app, now, {ConditionType::deployment, ConditionType::undeployment});
  if (finished) app.job.reset();
}

// UpdateCondition with the job's current condition; a failed write is dropped and counted.
void AppController::job_write(const AppKey& key, AppState& app, Now now,
                              std::initializer_list<ConditionType> deleted_types) {
  MESH_ASSERT(app.job.has_value());
  const Condition condition = app.job->condition;
  const std::string& zone = options_.zone;
  const WriteResult written = write_status(key, now, [&](AppStatus& status) {
    return update_condition(status, zone, condition, deleted_types);
  });
  if (!written.ok()) counters_.job_writes_dropped++;
}

Condition AppController::job_condition(ConditionType type, std::string status, std::string reason,
                                       std::string msg, Now now) const {
  return Condition{.type = type,
                   .zone_id = options_.zone,
                   .status = std::move(status),
                   .last_transition_time = kube_sim::format_rfc3339(now.wall),
                   .reason = std::move(reason),
                   .msg = std::move(msg)};
}

// The aggregated health of `version`'s objects: Missing unless every one exists, else the
// health the simulator set for the application (Healthy by default).
Health AppController::bundle_health(const AppKey& key, const AppState& app,
                                    std::string_view version, Instant now) const {
  if (version.empty() || !app.workload.complete(version, now)) return Health::missing;
  return knobs_for(key).health;
}

}  // namespace mesh::simulator
