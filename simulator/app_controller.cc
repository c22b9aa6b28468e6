// The informer, the workqueue and the reconcile pipeline of the AnyApplication controller
// emulation. Jobs are in app_jobs.cc, the property checks in app_checks.cc.
#include "simulator/app_controller.h"

#include <algorithm>
#include <utility>

#include "engine/json_util.h"
#include "kube_sim/timestamp.h"
#include "simulator/app_limits.h"

namespace mesh::simulator {

namespace {

using Json = ::mesh::engine::Json;

// Reconnect rounds per refresh: a watch that ends while draining is reopened once at once, as
// the reflector does; a second end waits for the next refresh.
constexpr int reconnect_rounds_max = 2;

// controller-runtime's ItemExponentialFailureRateLimiter: base * 2^failures, capped.
Duration rate_limited_delay(std::uint32_t failures) {
  const std::uint32_t exponent = std::min(failures, app_backoff_exponent_max);
  return std::min(app_backoff_base * (std::int64_t{1} << exponent), app_backoff_max);
}

std::optional<AppKey> key_of(const Json& object) {
  std::string name = engine::string_at(object, {"metadata", "name"});
  if (name.empty()) return std::nullopt;
  return AppKey{engine::string_at(object, {"metadata", "namespace"}), std::move(name)};
}

void keep_earliest(std::optional<Instant>& deadline, std::optional<Instant> candidate) {
  if (!candidate.has_value()) return;
  if (!deadline.has_value() || *candidate < *deadline) deadline = candidate;
}

}  // namespace

Result<void, Error<AppControllerError>> AppControllerOptions::validate() const {
  const auto invalid = [](std::string what) {
    return fail(AppControllerError::invalid_options, std::move(what));
  };
  if (zone.empty()) return invalid("zone is empty");
  if (field_manager.empty()) return invalid("field_manager is empty");
  if (operational_poll <= Duration::zero()) return invalid("operational_poll must be positive");
  if (sync_poll <= Duration::zero()) return invalid("sync_poll must be positive");
  if (deploy_timeout <= Duration::zero()) return invalid("deploy_timeout must be positive");
  if (undeploy_timeout <= Duration::zero()) return invalid("undeploy_timeout must be positive");
  if (chart_index_refresh <= Duration::zero()) {
    return invalid("chart_index_refresh must be positive");
  }
  if (attempts < 1 || attempts > app_attempts_max) {
    return invalid("attempts must be in [1, " + std::to_string(app_attempts_max) + "]");
  }
  return {};
}

AppController::AppController(AppControllerOptions options, kube_sim::ApiServer& api)
    : options_(std::move(options)),
      api_(api),
      resource_(kube_sim::anyapplication_type().resource()),
      write_options_{.field_manager = options_.field_manager} {
  MESH_ASSERT(options_.validate().ok());
  MESH_ASSERT(api_.find_type(resource_) != nullptr);  // the CRD must be installed
}

void AppController::start(Now now) {
  MESH_ASSERT(!started_);
  MESH_ASSERT(!watch_.has_value());
  started_ = true;
  now_ = now;
  relist_needed_ = true;
  refresh(now.monotonic);
}

void AppController::restart(Now now) {
  MESH_ASSERT(started_);
  MESH_ASSERT(now.monotonic >= now_.monotonic);
  if (watch_.has_value()) api_.stop_watch(*watch_);
  watch_.reset();
  for (auto& [key, app] : apps_) {
    stop_job(app);
    app.cached.reset();
    app.decoded.reset();
    app.decoded_from.reset();
    app.ready_at.reset();
    app.requeue_at.reset();
    app.failures = 0;
  }
  resource_version_.clear();
  relist_needed_ = true;
  informer_retry_at_.reset();
  informer_backoff_ = Duration::zero();
  step_budget_exhausted_ = false;
  now_ = now;
  refresh(now.monotonic);
}

void AppController::handle_timeout(Now now) {
  MESH_ASSERT(started_);
  MESH_ASSERT(now.monotonic >= now_.monotonic);  // the caller promises monotonic time
  now_ = now;
  std::size_t steps = 0;
  refresh(now.monotonic);
  while (steps < app_steps_per_timeout_max && run_next_item(now)) {
    steps++;
    refresh(now.monotonic);
  }
  step_budget_exhausted_ = steps == app_steps_per_timeout_max;
  if (step_budget_exhausted_) counters_.step_budget_exhausted++;
}

std::optional<Instant> AppController::next_deadline() const {
  if (!started_) return std::nullopt;
  if (step_budget_exhausted_) return now_.monotonic;
  std::optional<Instant> deadline;
  if (!watch_.has_value()) keep_earliest(deadline, informer_retry_at_.value_or(now_.monotonic));
  for (const auto& [key, app] : apps_) {
    keep_earliest(deadline, app.ready_at);
    keep_earliest(deadline, app.requeue_at);
    if (app.job.has_value()) keep_earliest(deadline, app.job->next_run_at);
  }
  return deadline;
}

// ---- Informer ------------------------------------------------------------------------------

// Brings the cache up to date with the API server: reconnects a lost watch, then drains it.
// Since kube_sim answers synchronously, a drained watch means the cache holds the latest state,
// which is the "reads see the latest object" determinism choice of §10.
void AppController::refresh(Instant now) {
  for (int round = 0; round < reconnect_rounds_max; round++) {
    if (!reconnect(now)) return;
    drain_watch(now);
    if (watch_.has_value()) return;
  }
}

bool AppController::reconnect(Instant now) {
  if (watch_.has_value()) return true;
  if (informer_retry_at_.has_value() && now < *informer_retry_at_) return false;
  for (int round = 0; round < reconnect_rounds_max && !watch_.has_value(); round++) {
    if (relist_needed_) {
      relist(now);
      if (relist_needed_) return false;
    }
    rewatch(now);
    if (!watch_.has_value() && !relist_needed_) return false;  // failed; retry later
  }
  return watch_.has_value();
}

void AppController::relist(Instant now) {
  MESH_ASSERT(relist_needed_);
  MESH_ASSERT(!watch_.has_value());
  const auto listed = api_.list(kube_sim::ListRequest{.resource = resource_});
  if (!listed.ok()) {
    informer_failed(now);
    return;
  }
  counters_.relists++;
  relist_needed_ = false;
  resource_version_ = listed->resource_version;
  // Items come sorted by namespace, then name: the order of AppKey.
  std::vector<AppKey> listed_keys;
  listed_keys.reserve(listed->items.size());
  for (const Json& item : listed->items) {
    if (auto key = key_of(item)) listed_keys.push_back(std::move(*key));
  }
  MESH_ASSERT(std::is_sorted(listed_keys.begin(), listed_keys.end()));
  std::vector<AppKey> vanished;
  for (const auto& [key, app] : apps_) {
    if (app.cached == nullptr) continue;
    if (!std::binary_search(listed_keys.begin(), listed_keys.end(), key)) vanished.push_back(key);
  }
  for (const AppKey& key : vanished) on_object_deleted(key, now);
  for (const Json& item : listed->items) on_object(std::make_shared<const Json>(item), now);
}

void AppController::rewatch(Instant now) {
  MESH_ASSERT(!watch_.has_value());
  const auto opened = api_.watch(kube_sim::WatchRequest{
      .resource = resource_, .resource_version = resource_version_, .allow_bookmarks = true});
  if (opened.ok()) {
    watch_ = opened.value();
    counters_.watches_opened++;
    informer_retry_at_.reset();
    informer_backoff_ = Duration::zero();
    return;
  }
  if (opened.error().reason == kube_sim::StatusReason::gone) {
    relist_needed_ = true;  // history compacted past our resourceVersion: list again
    return;
  }
  informer_failed(now);
}

void AppController::informer_failed(Instant now) {
  counters_.informer_errors++;
  informer_backoff_ = informer_backoff_ == Duration::zero()
                          ? app_relist_backoff_min
                          : std::min(informer_backoff_ * 2, app_relist_backoff_max);
  informer_retry_at_ = now + informer_backoff_;
  MESH_ASSERT(informer_backoff_ <= app_relist_backoff_max);
}

void AppController::drain_watch(Instant now) {
  MESH_ASSERT(watch_.has_value());
  for (std::size_t count = 0; count < app_watch_events_per_drain_max; count++) {
    std::optional<kube_sim::SharedWatchEvent> event = api_.poll_watch_shared(*watch_);
    if (!event.has_value()) return;
    MESH_ASSERT(event->object != nullptr);
    const Json& object = *event->object;
    const std::string version = engine::string_at(object, {"metadata", "resourceVersion"});
    switch (event->type) {
      case kube_sim::WatchEventType::added:
      case kube_sim::WatchEventType::modified:
        if (!version.empty()) resource_version_ = version;
        on_object(std::move(event->object), now);
        break;
      case kube_sim::WatchEventType::deleted:
        if (!version.empty()) resource_version_ = version;
        if (auto key = key_of(object)) on_object_deleted(*key, now);
        break;
      case kube_sim::WatchEventType::bookmark:
        if (!version.empty()) resource_version_ = version;
        break;
      case kube_sim::WatchEventType::error: {
        const Json& code = engine::value_at(object, {"code"});
        relist_needed_ = code.is_number_integer() && code.get<std::int64_t>() == 410;
        api_.stop_watch(*watch_);
        watch_.reset();
        return;
      }
      case kube_sim::WatchEventType::closed:
        watch_.reset();  // resume from resource_version_
        return;
    }
  }
}

void AppController::on_object(std::shared_ptr<const engine::Json> object, Instant now) {
  MESH_ASSERT(object != nullptr);
  const std::optional<AppKey> key = key_of(*object);
  if (!key.has_value()) return;
  auto found = apps_.find(*key);
  if (found == apps_.end()) {
    if (apps_.size() >= app_apps_max) {
      counters_.apps_dropped++;
      return;
    }
    found = apps_.emplace(*key, AppState{}).first;
  }
  AppState& app = found->second;
  app.cached = std::move(object);
  observe(*key, app, *app.cached, now);
  enqueue(app, now);
}

std::shared_ptr<const AppDecodeResult> AppController::decoded_of(AppState& app) {
  MESH_ASSERT(app.cached != nullptr);
  if (app.decoded == nullptr || app.decoded_from != app.cached) {
    app.decoded = std::make_shared<const AppDecodeResult>(decode_app(*app.cached));
    app.decoded_from = app.cached;
  }
  MESH_ASSERT(app.decoded_from == app.cached);
  return app.decoded;
}

void AppController::on_object_deleted(const AppKey& key, Instant now) {
  const auto found = apps_.find(key);
  if (found == apps_.end()) return;
  found->second.cached.reset();
  found->second.decoded.reset();
  found->second.decoded_from.reset();
  found->second.checks = Checks{};  // an object created again under this name starts afresh
  enqueue(found->second, now);
}

// The workqueue's Add: a key already waiting is not queued twice.
void AppController::enqueue(AppState& app, Instant now) {
  if (!app.ready_at.has_value()) app.ready_at = now;
}

// ---- Work loop ------------------------------------------------------------------------------

// Runs the earliest due item, keys in order. A job tick goes before a reconcile due at the same
// instant: a job started "at once" runs before the reconcile its starter's write triggers, as
// the real job goroutine starts immediately while the event needs an informer round trip.
// Returns false when nothing is due.
bool AppController::run_next_item(Now now) {
  const AppKey* reconcile_key = nullptr;
  Instant reconcile_at = Instant::max();
  const AppKey* job_key = nullptr;
  Instant job_at = Instant::max();
  for (auto& [key, app] : apps_) {
    if (app.requeue_at.has_value() && *app.requeue_at <= now.monotonic) {
      if (!app.ready_at.has_value() || *app.requeue_at < *app.ready_at) {
        app.ready_at = app.requeue_at;
      }
      app.requeue_at.reset();
    }
    if (app.ready_at.has_value() && *app.ready_at < reconcile_at) {
      reconcile_at = *app.ready_at;
      reconcile_key = &key;
    }
    if (app.job.has_value() && app.job->next_run_at <= now.monotonic &&
        app.job->next_run_at < job_at) {
      job_at = app.job->next_run_at;
      job_key = &key;
    }
  }
  if (reconcile_key != nullptr && reconcile_at < job_at) {
    const AppKey key = *reconcile_key;  // the entry may go during the reconcile
    run_reconcile(key, now);
    return true;
  }
  if (job_key == nullptr) return false;
  const AppKey key = *job_key;
  run_job(key, apps_.at(key), now);
  return true;
}

void AppController::run_reconcile(const AppKey& key, Now now) {
  apps_.at(key).ready_at.reset();
  const Outcome outcome = reconcile(key, now);
  const auto found = apps_.find(key);
  MESH_ASSERT(found != apps_.end());  // only this function erases entries
  AppState& app = found->second;
  switch (outcome) {
    case Outcome::done: app.failures = 0; break;  // the workqueue's Forget
    case Outcome::error: counters_.reconcile_errors++; [[fallthrough]];
    case Outcome::requeue: {
      const Instant at = now.monotonic + rate_limited_delay(app.failures);
      if (app.failures <= app_backoff_exponent_max) app.failures++;
      if (!app.requeue_at.has_value() || at < *app.requeue_at) app.requeue_at = at;
      break;
    }
  }
  const bool idle = app.cached == nullptr && !app.job.has_value() && app.workload.empty() &&
                    !app.ready_at.has_value() && !app.requeue_at.has_value();
  if (idle) apps_.erase(found);
}

// §3. Objects the strict decoder refuses are skipped and counted: the real controller cannot
// decode them either (and its informer may stall on the list); we only skip that one object.
AppController::Outcome AppController::reconcile(const AppKey& key, Now now) {
  counters_.reconciles++;
  AppState& app = apps_.at(key);
  if (app.cached == nullptr) return Outcome::done;  // not found: stop
  const std::shared_ptr<const AppDecodeResult> decoded = decoded_of(app);
  if (!decoded->ok()) {
    counters_.decode_failures++;
    return Outcome::done;
  }
  const AppObject& object = decoded->value();
  if (object.status.ownership.owner.empty()) return reconcile_claim(key, object, now);
  // The usual kubebuilder order: an object being deleted never gets the finalizer added.
  if (object.deleting) return reconcile_deletion(key, app, object);
  if (!has_finalizer(object, app_finalizer)) return reconcile_add_finalizer(key, app);
  return reconcile_derive(key, app, object, now);
}

// §3 step 2: in every zone, before finalizers, whether involved or not (the claim race).
AppController::Outcome AppController::reconcile_claim(const AppKey& key, const AppObject& object,
                                                      Now now) {
  MESH_ASSERT(object.status.ownership.owner.empty());
  if (object.status.ownership.state != GlobalState::none) return Outcome::requeue;
  const std::string& zone = options_.zone;
  const WriteResult written = write_status(key, now, [&zone](AppStatus& status) {
    Ownership& ownership = status.ownership;
    if (!ownership.owner.empty() || ownership.state != GlobalState::none) return false;
    ownership.owner = zone;
    ownership.epoch = 1;
    ownership.state = GlobalState::created;
    return true;
  });
  if (!written.ok()) return Outcome::error;
  if (written.value()) counters_.claims++;
  return Outcome::requeue;
}

// §3 step 3: stop the job, delete every local object, remove the finalizer (plain Update).
AppController::Outcome AppController::reconcile_deletion(const AppKey& key, AppState& app,
                                                         const AppObject& object) {
  MESH_ASSERT(object.deleting);
  MESH_ASSERT(app.cached != nullptr);
  if (!has_finalizer(object, app_finalizer)) return Outcome::done;
  stop_job(app);
  app.workload.clear();
  Json body = *app.cached;
  Json remaining = Json::array();
  for (const std::string& finalizer : object.finalizers) {
    if (finalizer != app_finalizer) remaining.push_back(finalizer);
  }
  body["metadata"]["finalizers"] = std::move(remaining);
  const auto updated = api_.write({.verb = kube_sim::Verb::update,
                                   .key = {resource_, key.namespace_name, key.name},
                                   .options = write_options_},
                                  body);
  if (!updated.ok()) return Outcome::error;
  counters_.finalizers_removed++;
  return Outcome::done;
}

// §3 step 4: a plain Update adding the finalizer, in every zone, then requeue.
AppController::Outcome AppController::reconcile_add_finalizer(const AppKey& key,
                                                              const AppState& app) {
  MESH_ASSERT(app.cached != nullptr);
  Json body = *app.cached;
  Json& metadata = body["metadata"];
  MESH_ASSERT(metadata.is_object());  // decode_app() checked it
  if (!metadata.contains("finalizers") || !metadata["finalizers"].is_array()) {
    metadata["finalizers"] = Json::array();
  }
  metadata["finalizers"].push_back(std::string(app_finalizer));
  const auto updated = api_.write({.verb = kube_sim::Verb::update,
                                   .key = {resource_, key.namespace_name, key.name},
                                   .options = write_options_},
                                  body);
  if (!updated.ok()) return Outcome::error;
  counters_.finalizers_added++;
  return Outcome::requeue;
}

// §3 steps 5-8 (§10 "On each reconcile" 2-5).
AppController::Outcome AppController::reconcile_derive(const AppKey& key, AppState& app,
                                                       const AppObject& object, Now now) {
  const std::string& zone = options_.zone;
  const auto view = load_local_view(app, object, now.monotonic);
  if (!view.ok()) return Outcome::error;  // e.g. the chart repository is unreachable
  if (!is_involved(object, zone, view.value())) return Outcome::done;
  DeriveInput input{.zone = zone,
                    .object = &object,
                    .view = &view.value(),
                    .bundle_health = bundle_health(key, app, view->active, now.monotonic),
                    .now_time = kube_sim::format_rfc3339(now.wall)};
  if (app.job.has_value()) {
    input.running_job = app.job->kind;
    input.running_condition = app.job->condition;
  }
  const Derivation derivation = derive_status(input);
  if (derivation.job.has_value() && app.job.has_value() && app.job->kind != *derivation.job) {
    stop_job(app);
  }
  const WriteResult written = write_status(
      key, now, [&](AppStatus& fresh) { return merge_status(derivation.status, fresh, zone); });
  if (!written.ok()) return Outcome::error;
  if (derivation.job.has_value() && !app.job.has_value()) {
    start_job(key, app, derivation, object, now);
  }
  return Outcome::done;
}

Result<LocalView, Error<ChartError>> AppController::load_local_view(AppState& app,
                                                                    const AppObject& object,
                                                                    Instant now) {
  LocalView view;
  const ZoneStatus* entry = find_zone(object.status, options_.zone);
  if (entry != nullptr) view.active = entry->chart_version;
  MESH_TRY(view.target, resolve_target(object.spec, now));
  MESH_ASSERT(!view.target.empty());
  view.new_version = view.active != view.target;
  app.workload.settle(now);
  if (!view.active.empty()) {
    view.present = app.workload.present(view.active);
    view.deployed = app.workload.complete(view.active, now);
  }
  view.other_versions = app.workload.has_other_versions(view.active);
  return view;
}

Result<std::string, Error<ChartError>> AppController::resolve_target(const AppSpec& spec,
                                                                     Instant now) {
  if (!spec.helm_present || spec.helm_version.empty()) {
    return fail(ChartError::no_match, "spec.source.helm.version is missing");
  }
  return charts_.resolve(spec.helm_version, now, options_.chart_index_refresh);
}

// status/update.go: read (the drained cache), mutate a copy, bump zones[self].version, PUT
// /status with the read's resourceVersion; conflicts are retried DefaultRetry's 5 times, each
// after re-reading. Returns whether a write happened (false: nothing changed).
AppController::WriteResult AppController::write_status(const AppKey& key, Now now,
                                                       const Mutation& mutate) {
  const kube_sim::ObjectKey object_key{resource_, key.namespace_name, key.name};
  for (std::size_t attempt = 0; attempt < app_status_write_attempts_max; attempt++) {
    refresh(now.monotonic);
    const auto found = apps_.find(key);
    if (found == apps_.end() || found->second.cached == nullptr) {
      return fail(WriteError::not_found, "the object is gone");
    }
    AppState& app = found->second;
    // A borrow: nothing below refreshes the cache before the write is sent.
    const Json& current = *app.cached;
    const std::shared_ptr<const AppDecodeResult> decoded = decoded_of(app);
    if (!decoded->ok()) {
      counters_.decode_failures++;
      return fail(WriteError::undecodable, decoded->error().message);
    }
    const AppObject& object = decoded->value();
    AppStatus status = object.status;
    if (!mutate(status)) return false;
    bump_zone_version(status, options_.zone, parse_resource_version(object.resource_version));
    // The cached object but its status, which is replaced (not copied only to be dropped).
    MESH_ASSERT(current.is_object());  // decode_app() accepted it
    Json body = Json::object();
    for (const auto& [member, value] : current.items()) {
      if (member != "status") body[member] = value;
    }
    body["status"] = render_status(status);
    const auto written = api_.write({.verb = kube_sim::Verb::update,
                                     .subresource = kube_sim::Subresource::status,
                                     .key = object_key,
                                     .options = write_options_},
                                    body);
    if (written.ok()) {
      counters_.status_writes++;
      check_own_write(key, app, object, status, *written.value(), now.monotonic);
      return true;
    }
    if (written.error().reason != kube_sim::StatusReason::conflict) {
      return fail(WriteError::request, written.error().message);
    }
    counters_.status_write_conflicts++;
  }
  return fail(WriteError::conflict, "conflicts on every try");
}

void AppController::start_job(const AppKey& key, AppState& app, const Derivation& derivation,
                              const AppObject& object, Now now) {
  MESH_ASSERT(derivation.job.has_value());
  MESH_ASSERT(!app.job.has_value());
  const JobKind kind = *derivation.job;
  Job job{.kind = kind,
          .snapshot = object,
          .version = derivation.job_version,
          .started_at = now.monotonic,
          .next_run_at = now.monotonic};
  job.snapshot.status = derivation.status;  // with the chartVersion this reconcile recorded
  // The operation job checks first after operationalPollDuration; the others run at once.
  if (kind == JobKind::operation) job.next_run_at = now.monotonic + options_.operational_poll;
  const ZoneStatus* entry = find_zone(derivation.status, options_.zone);
  const std::string active = entry == nullptr ? std::string() : entry->chart_version;
  job.condition =
      initial_condition(kind, options_.zone, bundle_health(key, app, active, now.monotonic),
                        kube_sim::format_rfc3339(now.wall));
  app.job = std::move(job);
  counters_.jobs_started++;
}

void AppController::stop_job(AppState& app) {
  if (!app.job.has_value()) return;
  app.job.reset();
  counters_.jobs_cancelled++;
}

// ---- Knobs and inspection -------------------------------------------------------------------

Result<AppController::Knobs*, Error<AppControllerError>> AppController::knobs_entry(
    const AppKey& key) {
  auto found = knobs_.find(key);
  if (found != knobs_.end()) return &found->second;
  if (knobs_.size() >= app_knobs_max) {
    return fail(AppControllerError::limit_reached, "more than app_knobs_max knob records");
  }
  return &knobs_.emplace(key, Knobs{}).first->second;
}

AppController::Knobs AppController::knobs_for(const AppKey& key) const {
  const auto found = knobs_.find(key);
  return found == knobs_.end() ? Knobs{} : found->second;
}

Result<void, Error<AppControllerError>> AppController::set_health(const AppKey& key,
                                                                  Health health) {
  MESH_TRY(Knobs * knobs, knobs_entry(key));
  knobs->health = health;
  return {};
}

Result<void, Error<AppControllerError>> AppController::set_sync_error(const AppKey& key,
                                                                      bool failing) {
  MESH_TRY(Knobs * knobs, knobs_entry(key));
  knobs->sync_error = failing;
  return {};
}

Result<void, Error<AppControllerError>> AppController::set_undeploy_error(const AppKey& key,
                                                                          bool failing) {
  MESH_TRY(Knobs * knobs, knobs_entry(key));
  knobs->undeploy_error = failing;
  return {};
}

Result<void, Error<ChartError>> AppController::set_chart_version(std::string constraint,
                                                                 std::string concrete) {
  return charts_.set_entry(std::move(constraint), std::move(concrete));
}

void AppController::set_deploy_duration(Duration duration) {
  MESH_ASSERT(duration >= Duration::zero());
  deploy_duration_ = duration;
}

void AppController::set_undeploy_duration(Duration duration) {
  MESH_ASSERT(duration >= Duration::zero());
  undeploy_duration_ = duration;
}

void AppController::remove_workload_objects(const AppKey& key) {
  const auto found = apps_.find(key);
  if (found != apps_.end()) found->second.workload.mark_missing();
}

std::optional<JobKind> AppController::running_job(const AppKey& key) const {
  const auto found = apps_.find(key);
  if (found == apps_.end() || !found->second.job.has_value()) return std::nullopt;
  return found->second.job->kind;
}

std::vector<WorkloadVersion> AppController::workload(const AppKey& key) const {
  std::vector<WorkloadVersion> versions;
  const auto found = apps_.find(key);
  if (found == apps_.end()) return versions;
  const Instant now = now_.monotonic;
  for (const InstalledVersion& installed : found->second.workload.versions()) {
    if (installed.gone_at.has_value() && *installed.gone_at <= now) continue;
    versions.push_back(
        WorkloadVersion{.version = installed.version,
                        .complete = found->second.workload.complete(installed.version, now),
                        .deleting = installed.gone_at.has_value()});
  }
  return versions;
}

}  // namespace mesh::simulator
