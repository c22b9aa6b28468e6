// The simulated world an AnyApplication controller acts on in one zone: the workload objects of
// each application (per chart version) and the Helm chart repository index.
//
// Workload: apply() starts installing a version, complete after the deploy duration;
// remove_all() issues deletes, done after the undeploy duration (durations fixed when an action
// starts; time comes in as arguments). ChartIndex maps a version constraint to a concrete
// version; the controller's copy refreshes at most once per interval. No per-object detail.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/result.h"
#include "engine/time.h"

namespace mesh::simulator {

// gitops-engine health codes. The simulated workload reports one already aggregated health per
// application (the real one is the worst over its objects: Healthy < Suspended < Progressing <
// Missing < Degraded < Unknown), so the enum order carries no meaning.
enum class Health : std::uint8_t { healthy, progressing, degraded, missing, suspended, unknown };

// "Healthy", "Progressing", ...
std::string_view health_name(Health health);

// One chart version installed in the zone.
struct InstalledVersion {
  std::string version;
  Instant complete_at;  // every rendered object exists from then on (unless `missing`)
  // Objects were removed behind the controller's back; a new apply recreates them.
  bool missing = false;
  std::optional<Instant> gone_at;  // deletion issued: no object remains from then on
};

class Workload {
 public:
  // Starts installing `version` (complete after `deploy_duration`), or recreates missing objects.
  // No effect on a version being deleted (its objects are still terminating) or one in place.
  // False when app_workload_versions_max versions are installed already.
  bool apply(std::string_view version, Instant now, Duration deploy_duration);
  // Issues deletion of every version; a version already being deleted keeps its schedule.
  void remove_all(Instant now, Duration undeploy_duration);
  // Forgets versions whose deletion finished by `now`. Queries below expect a settled workload.
  void settle(Instant now);
  // Removes objects of every version at once (a user deleting them): health turns Missing.
  void mark_missing();
  // Drops everything immediately (the finalizer path: nothing observes the deletions finish).
  void clear() { versions_.clear(); }

  // Some object labelled with `version` exists.
  bool present(std::string_view version) const;
  // Every rendered object of `version` exists at `now` (terminating ones count until gone).
  bool complete(std::string_view version, Instant now) const;
  // Objects of a version other than `version` exist ("" = any version).
  bool has_other_versions(std::string_view version) const;
  bool empty() const { return versions_.empty(); }
  const std::vector<InstalledVersion>& versions() const { return versions_; }

 private:
  InstalledVersion* find(std::string_view version);
  const InstalledVersion* find(std::string_view version) const;

  std::vector<InstalledVersion> versions_;  // install order, at most app_workload_versions_max
};

enum class ChartError : std::uint8_t { unreachable, no_match, limit_reached };

class ChartIndex {
 public:
  // The repository side (simulator knobs).
  Result<void, Error<ChartError>> set_entry(std::string constraint, std::string concrete);
  void set_reachable(bool reachable) { reachable_ = reachable; }
  bool reachable() const { return reachable_; }

  // Resolves spec.source.helm.version: an unreachable repository fails; otherwise the local copy
  // of the index (refetched when older than `refresh`) maps the constraint. An exact version
  // ("1.2.3", "v1.2.3-rc.1") missing from the index resolves to itself; a constraint missing
  // from it fails, as no version matches.
  Result<std::string, Error<ChartError>> resolve(std::string_view constraint, Instant now,
                                                 Duration refresh);

 private:
  using Index = std::map<std::string, std::string, std::less<>>;

  Index repository_;  // at most app_chart_index_entries_max entries
  Index cached_;      // the controller's copy
  std::optional<Instant> fetched_at_;
  bool reachable_ = true;
};

// "1.2.3", "v2.0.3", "1.0.0-rc.1+build": no constraint operators or wildcards.
bool is_exact_version(std::string_view version);

}  // namespace mesh::simulator
