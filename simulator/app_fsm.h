// The AnyApplication controller's decisions as pure functions: the local view of one zone, the
// local and global state machines, the reconcile merge, the jobs' condition updates and the
// zones[].version rule (reference anyapplication-controller.md §3-§6).
//
// Inputs are decoded objects (app_object.h) and what the zone observed (LocalView); outputs are
// a derived status plus the job to start, or an in-place edit of a fresh status with a flag
// saying whether anything changed. Nothing here reads clocks, talks to the API server or keeps
// state: AppController sequences these calls, and tests call them directly.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>

#include "simulator/app_object.h"
#include "simulator/app_workload.h"

namespace mesh::simulator {

inline constexpr std::string_view app_finalizer = "finalizers.dcp.hiro.io/anyapplication";

enum class JobKind : std::uint8_t { placement, deploy, undeploy, operation };

std::string_view job_kind_name(JobKind kind);

// LoadApplication (§3 step 5) for this zone.
struct LocalView {
  std::string active;        // zones[self].chartVersion; "" when absent
  std::string target;        // the resolved spec version
  bool new_version = false;  // target differs from active, or active is absent
  bool present = false;      // some object of the active version exists
  bool deployed = false;     // every rendered object of the active version exists
  bool other_versions = false;
};

struct DeriveInput {
  std::string_view zone;
  const AppObject* object = nullptr;
  const LocalView* view = nullptr;
  std::optional<JobKind> running_job;
  std::optional<Condition> running_condition;  // the running job's GetStatus()
  Health bundle_health = Health::healthy;      // of the active version, used when deployed
  std::string now_time;                        // RFC 3339 stamp for conditions created now
};

struct Derivation {
  AppStatus status;            // the derived status (a copy of the object's, edited)
  std::optional<JobKind> job;  // the job to start, if any
  std::string job_version;     // deploy: the version to install
};

// §3 step 6: deployed, or state unset, or zones[self] exists, or owner, or in placements.
bool is_involved(const AppObject& object, std::string_view zone, const LocalView& view);

// §3 step 7: appends the Local and running-job conditions, runs the local state machine when it
// applies and the global one when `zone` owns the object. Only one job is derived: when the
// local machine wants one, a Placement job the global machine would start waits for a later
// reconcile (the real controller keeps at most one job per application as well).
Derivation derive_status(const DeriveInput& input);

// §4 on an already derived status (the owner's state). Exposed for tests.
GlobalState global_state(const AppStatus& status, const AppSpec& spec, std::string_view zone,
                         std::optional<JobKind> running_job);

// mergeStatus (§5): folds `derived` into `fresh`. Returns whether `fresh` changed.
bool merge_status(const AppStatus& derived, AppStatus& fresh, std::string_view zone);

// IncrementZoneVersion: when zones[zone] exists, version := max(rv + 1, version + 1).
void bump_zone_version(AppStatus& status, std::string_view zone, std::int64_t resource_version);

// UpdateCondition (§5): sets `condition` in zones[zone] and deletes the condition types in
// `deleted_types`, unless the stored condition has the same status, reason and msg, in which
// case nothing changes. Returns whether `status` changed.
bool update_condition(AppStatus& status, std::string_view zone, const Condition& condition,
                      std::initializer_list<ConditionType> deleted_types);

// The job's initial condition (GetStatus() right after creation).
Condition initial_condition(JobKind kind, std::string_view zone, Health health,
                            std::string_view now_time);

}  // namespace mesh::simulator
