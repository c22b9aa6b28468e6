// AppController: an emulation of the real AnyApplication controller for one simulated zone, on
// that zone's kube_sim::ApiServer (reference anyapplication-controller.md; §10 is the spec).
//
// Inputs: start(), handle_timeout(now) (when next_deadline() is due and right after the API
// server changed) and fault/workload knobs. Outputs: list, watch, PUT /status and finalizer
// updates. Deterministic; reconciles serialized; one job per application; all bounded. It checks
// §10's properties on every object it observes (violations()). It emits no Events, never sets
// the server's clock, and models neither the stale-cache race nor Helm or leader election.
#pragma once

#include <cstdint>
#include <functional>
#include <initializer_list>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/json.h"

#include "engine/result.h"
#include "engine/time.h"
#include "kube_sim/api_server.h"
#include "simulator/app_fsm.h"
#include "simulator/app_object.h"
#include "simulator/app_workload.h"

namespace mesh::simulator {

enum class AppControllerError : std::uint8_t { invalid_options, limit_reached };

struct AppControllerOptions {
  std::string zone;  // this controller's zone id (runtime.zone)
  Duration operational_poll = Duration::from_seconds(5);  // operationalPollDuration
  Duration sync_poll = Duration::from_seconds(10);        // syncPollDuration
  Duration deploy_timeout = Duration::from_seconds(180);  // defaultSyncTimeout
  Duration undeploy_timeout = Duration::from_seconds(180);
  int attempts = 3;  // deploy and undeploy attempts per job
  Duration chart_index_refresh = Duration::from_seconds(60);  // chartVersionPollDuration
  std::string field_manager = "anyapplication-controller";

  Result<void, Error<AppControllerError>> validate() const;
};

// Deploy/undeploy attempts per job accepted by validate().
inline constexpr int app_attempts_max = 100;

struct AppKey {
  std::string namespace_name;
  std::string name;

  auto operator<=>(const AppKey&) const = default;
};

// What the controller did, for checkers and tests. Monotonic.
struct AppControllerCounters {
  std::uint64_t reconciles = 0;
  std::uint64_t reconcile_errors = 0;  // reconciles that failed and were requeued with backoff
  std::uint64_t claims = 0;            // owner = self written
  std::uint64_t finalizers_added = 0;
  std::uint64_t finalizers_removed = 0;
  std::uint64_t status_writes = 0;           // successful PUT /status
  std::uint64_t status_write_conflicts = 0;  // 409 answers to PUT /status (every try)
  std::uint64_t job_writes_dropped = 0;      // job writes given up after an error
  std::uint64_t jobs_started = 0;
  std::uint64_t jobs_cancelled = 0;   // stopped by a reconcile, a deletion or a restart
  std::uint64_t decode_failures = 0;  // objects the strict decoder refused: skipped
  std::uint64_t relists = 0;          // successful lists (the first one included)
  std::uint64_t watches_opened = 0;   // the first one included
  std::uint64_t informer_errors = 0;  // failed list or watch requests
  std::uint64_t apps_dropped = 0;     // objects ignored past app_apps_max
  std::uint64_t violations_dropped = 0;
  std::uint64_t checks_skipped = 0;
  std::uint64_t step_budget_exhausted = 0;
};

// One chart version of an application's simulated workload, for inspection.
struct WorkloadVersion {
  std::string version;
  bool complete = false;  // every rendered object exists
  bool deleting = false;
};

// Modelling choices where the real controller is racy or out of reach (§10):
// - Reads come from an informer cache that is drained from the watch before every read, so a
//   reconcile's merge and each write retry see the latest object; the stale-cache race is not
//   modelled. DefaultRetry's 5 tries take no virtual time.
// - Objects the strict Go decoder would refuse (unknown state/strategy/condition type, a present
//   "", wrong JSON types, oversized lists) are skipped and counted in decode_failures, once per
//   reconcile that meets them; the real informer may stall on the whole list instead.
// - One job per application. When the local state machine derives a job, the owner's Placement
//   job waits for a later reconcile; a derived job of another type cancels the running one.
//   A job tick due at the same instant as a reconcile runs first.
// - Status PUTs re-encode the typed status: unknown fields are dropped, a zero state is omitted.
// - Not modelled: Kubernetes Events, the 10 qps bucket of the default rate limiter, resync,
//   Helm rendering (the workload is one aggregated health per application), the placement
//   controller, leader election.
class AppController {
 public:
  // `options` must pass validate(). Borrows `api` for the controller's lifetime.
  AppController(AppControllerOptions options, kube_sim::ApiServer& api);

  // Lists AnyApplications in all namespaces and opens the watch; reconciles follow from
  // handle_timeout(). A failed request is retried with backoff (see next_deadline()).
  void start(Now now);
  // A crash and restart of the controller process: jobs, queue and cache are lost, then it
  // starts again. The workload (objects in the cluster) and the knobs survive.
  void restart(Now now);
  // Runs everything due at `now`: watch events, reconciles, job ticks, requeues. Safe to call
  // early or twice; time never goes backwards.
  void handle_timeout(Now now);
  // The earliest time it wants handle_timeout(); nullopt when idle (or not started).
  std::optional<Instant> next_deadline() const;

  // Knobs (all deterministic). Health of the application's workload once every object exists.
  Result<void, Error<AppControllerError>> set_health(const AppKey& key, Health health);
  // Deploy syncs fail with SyncError while set.
  Result<void, Error<AppControllerError>> set_sync_error(const AppKey& key, bool failing);
  // Undeploy deletions fail with SyncError while set.
  Result<void, Error<AppControllerError>> set_undeploy_error(const AppKey& key, bool failing);
  void set_chart_repository_reachable(bool reachable) { charts_.set_reachable(reachable); }
  // The repository index: `constraint` (spec.source.helm.version) resolves to `concrete`.
  Result<void, Error<ChartError>> set_chart_version(std::string constraint, std::string concrete);
  // How long until every rendered object exists / all objects are gone; applies to actions
  // started afterwards.
  void set_deploy_duration(Duration duration);
  void set_undeploy_duration(Duration duration);
  // Someone deletes the application's objects behind the controller's back (health Missing).
  void remove_workload_objects(const AppKey& key);

  // Inspection.
  const AppControllerOptions& options() const { return options_; }
  const AppControllerCounters& counters() const { return counters_; }
  // §10 checkable properties violated, as "t=<ns> <namespace>/<name>: <what>", oldest first.
  const std::vector<std::string>& violations() const { return violations_; }
  std::optional<JobKind> running_job(const AppKey& key) const;
  // The application's workload as of the last handle_timeout().
  std::vector<WorkloadVersion> workload(const AppKey& key) const;

 private:
  struct Job {
    JobKind kind = JobKind::operation;
    AppObject snapshot;   // the object when the job was created (spec, chartVersion)
    std::string version;  // deploy: the version it installs
    int attempt = 1;
    Instant started_at;  // of the current attempt
    Instant next_run_at;
    Condition condition;  // GetStatus(): the job's latest condition
  };

  // Property-check memory for one object (see observe()).
  // Entries are kept as JSON and compared by engine::same_canonical, which decides what
  // comparing their canonical texts would without rendering them (the texts were 2 % of a
  // 5-zone world).
  struct ZoneSeen {
    std::int64_t version = 0;
    engine::Json content;  // the entry
  };
  struct Checks {
    std::string uid;
    // zones[self] as this controller last wrote it (null = absent; an entry is an object), or
    // as first observed.
    std::optional<engine::Json> own_entry;
    std::int64_t own_write_resource_version = 0;  // of that write
    std::int64_t epoch_written_max = 0;
    std::map<std::string, ZoneSeen> zones_seen;  // at most app_checked_zones_max
  };

  struct AppState {
    // The informer's copy: the API server's stored version itself, shared and never modified
    // (a copy per watch event was 4 % of a 5-zone world); null once deleted.
    std::shared_ptr<const engine::Json> cached;
    // decode_app(*decoded_from), kept while decoded_from is still the cached version: a
    // reconcile and the status write it makes decode the same version (see decoded_of).
    std::shared_ptr<const AppDecodeResult> decoded;
    std::shared_ptr<const engine::Json> decoded_from;
    std::optional<Instant> ready_at;    // in the workqueue since then
    std::optional<Instant> requeue_at;  // a rate-limited requeue waiting
    std::uint32_t failures = 0;         // the rate limiter's count for this key
    std::optional<Job> job;
    Workload workload;
    Checks checks;
  };

  struct Knobs {
    Health health = Health::healthy;
    bool sync_error = false;
    bool undeploy_error = false;
  };

  enum class Outcome : std::uint8_t { done, requeue, error };
  enum class WriteError : std::uint8_t { not_found, undecodable, conflict, request };
  using WriteResult = Result<bool, Error<WriteError>>;  // true: written; false: nothing changed
  using Mutation = std::function<bool(AppStatus&)>;

  // Informer (app_controller.cc).
  void refresh(Instant now);
  bool reconnect(Instant now);
  void relist(Instant now);
  void rewatch(Instant now);
  void drain_watch(Instant now);
  void informer_failed(Instant now);
  void on_object(std::shared_ptr<const engine::Json> object, Instant now);
  void on_object_deleted(const AppKey& key, Instant now);
  // The decoded cached version; shared, so it outlives a refresh that replaces the cache.
  std::shared_ptr<const AppDecodeResult> decoded_of(AppState& app);
  void enqueue(AppState& app, Instant now);

  // Work loop and reconciles (app_controller.cc).
  bool run_next_item(Now now);
  void run_reconcile(const AppKey& key, Now now);
  Outcome reconcile(const AppKey& key, Now now);
  Outcome reconcile_claim(const AppKey& key, const AppObject& object, Now now);
  Outcome reconcile_deletion(const AppKey& key, AppState& app, const AppObject& object);
  Outcome reconcile_add_finalizer(const AppKey& key, const AppState& app);
  Outcome reconcile_derive(const AppKey& key, AppState& app, const AppObject& object, Now now);
  Result<LocalView, Error<ChartError>> load_local_view(AppState& app, const AppObject& object,
                                                       Instant now);
  WriteResult write_status(const AppKey& key, Now now, const Mutation& mutate);
  void start_job(const AppKey& key, AppState& app, const Derivation& derivation,
                 const AppObject& object, Now now);
  void stop_job(AppState& app);

  // Jobs (app_jobs.cc).
  void run_job(const AppKey& key, AppState& app, Now now);
  void tick_placement(const AppKey& key, AppState& app, Now now);
  void tick_deploy(const AppKey& key, AppState& app, Now now);
  void tick_undeploy(const AppKey& key, AppState& app, Now now);
  void tick_operation(const AppKey& key, AppState& app, Now now);
  void job_write(const AppKey& key, AppState& app, Now now,
                 std::initializer_list<ConditionType> deleted_types);
  Condition job_condition(ConditionType type, std::string status, std::string reason,
                          std::string msg, Now now) const;
  Result<std::string, Error<ChartError>> resolve_target(const AppSpec& spec, Instant now);
  Health bundle_health(const AppKey& key, const AppState& app, std::string_view version,
                       Instant now) const;
  Knobs knobs_for(const AppKey& key) const;
  Result<Knobs*, Error<AppControllerError>> knobs_entry(const AppKey& key);

  // Property checks (app_checks.cc).
  void observe(const AppKey& key, AppState& app, const engine::Json& object, Instant now);
  void observe_own_entry(const AppKey& key, Checks& checks, const engine::Json* entry,
                         std::int64_t resource_version, Instant now);
  void check_own_write(const AppKey& key, AppState& app, const AppObject& before,
                       const AppStatus& after, const engine::Json& written, Instant now);
  void violation(const AppKey& key, Instant now, const std::string& what);

  AppControllerOptions options_;
  kube_sim::ApiServer& api_;
  kube_sim::GroupVersionResource resource_;
  kube_sim::WriteOptions write_options_;
  bool started_ = false;
  Now now_;  // of the last call; never goes backwards

  // Informer: the watch, where it resumes, and the retry schedule after a failed request.
  std::optional<kube_sim::WatchId> watch_;
  std::string resource_version_;  // last seen; the watch resumes after it
  bool relist_needed_ = true;
  std::optional<Instant> informer_retry_at_;
  Duration informer_backoff_ = Duration::zero();

  std::map<AppKey, AppState> apps_;  // at most app_apps_max
  std::map<AppKey, Knobs> knobs_;    // at most app_knobs_max
  ChartIndex charts_;
  Duration deploy_duration_ = Duration::zero();
  Duration undeploy_duration_ = Duration::zero();
  bool step_budget_exhausted_ = false;

  AppControllerCounters counters_;
  std::vector<std::string> violations_;  // at most app_violations_max
};

}  // namespace mesh::simulator
