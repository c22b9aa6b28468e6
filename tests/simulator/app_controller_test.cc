// AppController against kube_sim: one or two zones, each with its own API server, driven by a
// virtual clock (advance to next_deadline(), call handle_timeout()). The tests play the user
// and the mesh by writing to the API servers directly.
#include "simulator/app_controller.h"

#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include <string>
#include <vector>

#include "engine/json.h"

#include "kube_sim/api_server.h"

namespace mesh::simulator {
namespace {

using Json = ::mesh::engine::Json;

constexpr std::int64_t wall_origin_ms = 1'700'000'000'000;  // 2023-11-14T22:13:20Z
constexpr int drive_steps_max = 100'000;
// disturb() picks deploy and undeploy durations below this, so objects it made the zone delete
// are gone this long after the deletion was issued.
constexpr int workload_duration_seconds_max = 60;

kube_sim::ObjectKey object_key(const std::string& name) {
  return kube_sim::ObjectKey{kube_sim::anyapplication_type().resource(), "default", name};
}

AppKey app_key(const std::string& name) {
  return AppKey{"default", name};
}

struct AppParams {
  std::string name = "web";
  std::string strategy = "Local";
  std::int64_t tolerance = 0;
  std::string version = "~2.0";
};

Json make_app(const AppParams& params) {
  return Json{
      {"apiVersion", "dcp.hiro.io/v1"},
      {"kind", "AnyApplication"},
      {"metadata", {{"name", params.name}, {"namespace", "default"}}},
      {"spec",
       {{"source",
         {{"helm",
           {{"repository", "https://helm.nginx.com/stable"},
            {"chart", "nginx-ingress"},
            {"version", params.version},
            {"namespace", "default"}}}}},
        {"zones", 1},
        {"placementStrategy", {{"strategy", params.strategy}}},
        {"recoverStrategy", {{"tolerance", params.tolerance}, {"maxRetries", 0}}}}},
  };
}

const Json& at_path(const Json& object, std::initializer_list<const char*> path) {
  static const Json null_value;
  const Json* current = &object;
  for (const char* key : path) {
    if (!current->is_object() || !current->contains(key)) return null_value;
    current = &(*current)[key];
  }
  return *current;
}

std::string state_of(const Json& object) {
  const Json& state = at_path(object, {"status", "ownership", "state"});
  return state.is_string() ? state.get<std::string>() : "";
}

Json zone_entry_of(const Json& object, const std::string& zone) {
  const Json& zones = at_path(object, {"status", "zones"});
  if (!zones.is_array()) return nullptr;
  for (const Json& entry : zones) {
    if (entry.value("zoneId", "") == zone) return entry;
  }
  return nullptr;
}

Json condition_of(const Json& object, const std::string& zone, const std::string& type) {
  const Json entry = zone_entry_of(object, zone);
  if (!entry.is_object() || !entry.contains("conditions")) return nullptr;
  for (const Json& condition : entry["conditions"]) {
    if (condition.value("type", "") == type) return condition;
  }
  return nullptr;
}

std::string condition_status(const Json& object, const std::string& zone, const std::string& type) {
  const Json condition = condition_of(object, zone, type);
  return condition.is_object() ? condition.value("status", "") : "";
}

bool has_finalizer(const Json& object) {
  const Json& finalizers = at_path(object, {"metadata", "finalizers"});
  if (!finalizers.is_array()) return false;
  for (const Json& finalizer : finalizers) {
    if (finalizer == app_finalizer) return true;
  }
  return false;
}

// One zone: its API server, its controller, its virtual clock and a watch recording every
// version of the objects (to check write sequences).
class Zone {
 public:
  explicit Zone(std::string zone, std::uint64_t seed = 1)
      : api_(kube_sim::Options{.seed = seed}),
        controller_(AppControllerOptions{.zone = std::move(zone)}, api_) {
    api_.set_time(wall());
    EXPECT_TRUE(controller_.set_chart_version("~2.0", "2.0.3").ok());
    const auto opened = api_.watch({.resource = kube_sim::anyapplication_type().resource()});
    EXPECT_TRUE(opened.ok());
    recorder_ = opened.value();
  }

  kube_sim::ApiServer& api() { return api_; }
  AppController& controller() { return controller_; }
  Instant now() const { return now_; }
  Now now_pair() const { return Now{now_, wall()}; }

  void start() { controller_.start(now_pair()); }
  // What the simulator does after changing the API server in this zone.
  void poke() { controller_.handle_timeout(now_pair()); }

  // Advances virtual time by `span`, running the controller whenever it is due. False (and a
  // test failure) when the controller never goes idle.
  bool run_for(Duration span) {
    const Instant until = now_ + span;
    int steps = 0;
    for (; steps < drive_steps_max; steps++) {
      const std::optional<Instant> deadline = controller_.next_deadline();
      if (!deadline.has_value() || *deadline > until) break;
      if (*deadline > now_) now_ = *deadline;
      api_.set_time(wall());
      controller_.handle_timeout(now_pair());
    }
    now_ = until;
    api_.set_time(wall());
    EXPECT_LT(steps, drive_steps_max) << "the controller never went idle";
    return steps < drive_steps_max;
  }

  void create(const Json& object) {
    const auto created = api_.create(kube_sim::anyapplication_type().resource(), "default", object);
    ASSERT_TRUE(created.ok()) << created.error().message;
  }

  Json get(const std::string& name = "web") {
    const auto object = api_.get(object_key(name));
    return object.ok() ? object.value() : Json(nullptr);
  }

  // Replaces status with `status` as another writer (the mesh) would.
  void write_status(const std::string& name, const Json& status) {
    ASSERT_TRUE(try_write_status(name, status));
  }
  bool try_write_status(const std::string& name, const Json& status) {
    Json body = get(name);
    if (!body.is_object()) return false;
    body["status"] = status;
    return api_.update_status(object_key(name), body).ok();
  }

  // A metadata-only change: an object event that makes every zone reconcile.
  void touch(const std::string& name, int serial) {
    Json body = get(name);
    ASSERT_TRUE(body.is_object());
    body["metadata"]["labels"]["touch"] = std::to_string(serial);
    ASSERT_TRUE(api_.update(object_key(name), body).ok());
  }

  // Every version of the objects seen by the recording watch since the last call.
  std::vector<Json> recorded() {
    std::vector<Json> objects;
    while (auto event = api_.poll_watch(recorder_)) {
      if (event->type == kube_sim::WatchEventType::closed) break;
      objects.push_back(event->object);
    }
    return objects;
  }

 private:
  WallTime wall() const { return WallTime::from_unix_ms(wall_origin_ms) + (now_ - Instant()); }

  Instant now_;
  kube_sim::ApiServer api_;
  AppController controller_;
  kube_sim::WatchId recorder_;
};

// The distinct consecutive states in a recorded sequence.
std::vector<std::string> state_trace(const std::vector<Json>& objects) {
  std::vector<std::string> states;
  for (const Json& object : objects) {
    const std::string state = state_of(object);
    if (state.empty()) continue;
    if (states.empty() || states.back() != state) states.push_back(state);
  }
  return states;
}

// Versions of zones[zone] in a recorded sequence, one per distinct entry.
std::vector<std::int64_t> version_trace(const std::vector<Json>& objects, const std::string& zone) {
  std::vector<std::int64_t> versions;
  for (const Json& object : objects) {
    const Json entry = zone_entry_of(object, zone);
    if (!entry.is_object()) continue;
    const std::int64_t version = entry["version"].get<std::int64_t>();
    if (versions.empty() || versions.back() != version) versions.push_back(version);
  }
  return versions;
}

// A Local application in zone "a", created and driven until Operational.
void bring_up_local(Zone& zone, const AppParams& params = {}) {
  zone.start();
  zone.create(make_app(params));
  zone.poke();
  zone.run_for(Duration::from_seconds(60));
  ASSERT_EQ(state_of(zone.get(params.name)), "Operational");
}

// The healing phase of HealsToOperationalOnTheCurrentVersion: the faults stop, placements name
// zone "a" again, and one object event comes once every deletion the zone issued before has
// finished. That wait is part of the precondition: a derived Placement job cancels a running
// upgrade Undeploy (§3 step 8, §4), and with the new chartVersion recorded and the old objects
// still terminating, rule 1 matches but starts no job (§6; the §7 wedge). The controller does
// not watch its workload (§1) and never resyncs (§10), so only an event after those objects are
// gone gets it going again. False when the zone could not be driven (a test failure).
bool heal(Zone& zone) {
  AppController& controller = zone.controller();
  if (!controller.set_health(app_key("web"), Health::healthy).ok()) return false;
  controller.set_chart_repository_reachable(true);
  Json status = zone.get()["status"];
  status["ownership"]["placements"] = Json::parse(R"([{"zone":"a"}])");
  // An injected conflict may still wait for its write: retry like any client would.
  bool written = false;
  for (int attempt = 0; attempt < 40 && !written; attempt++) {
    written = zone.try_write_status("web", status);
  }
  if (!written) return false;
  zone.poke();
  if (!zone.run_for(Duration::from_seconds(workload_duration_seconds_max))) return false;
  zone.touch("web", 1);
  zone.poke();
  return zone.run_for(Duration::from_seconds(1'800));
}

TEST(AppController, ClaimsOnCreateBeforeTheFinalizer) {
  Zone zone("a");
  zone.start();
  zone.create(make_app({.strategy = "Global"}));
  zone.poke();
  const std::vector<Json> objects = zone.recorded();
  ASSERT_GE(objects.size(), 3U);
  // ADDED without status, then the claim, then the finalizer.
  EXPECT_FALSE(objects[0].contains("status"));
  const Json& claimed = objects[1]["status"]["ownership"];
  EXPECT_EQ(claimed["owner"], "a");
  EXPECT_EQ(claimed["epoch"], 1);
  EXPECT_EQ(claimed["state"], "New");
  EXPECT_FALSE(objects[1]["status"].contains("zones"));  // the claim carries no version
  EXPECT_FALSE(has_finalizer(objects[1]));
  EXPECT_TRUE(has_finalizer(objects[2]));
  EXPECT_EQ(zone.controller().counters().claims, 1U);
  EXPECT_EQ(zone.controller().counters().finalizers_added, 1U);
}

TEST(AppController, LocalStrategyGoesNewPlacementRelocationOperational) {
  Zone zone("a");
  zone.controller().set_deploy_duration(Duration::from_seconds(25));
  zone.start();
  zone.create(make_app({}));
  zone.poke();
  zone.run_for(Duration::from_seconds(120));
  const std::vector<Json> objects = zone.recorded();
  EXPECT_EQ(state_trace(objects),
            (std::vector<std::string>{"New", "Placement", "Relocation", "Operational"}));
  const Json object = zone.get();
  EXPECT_EQ(condition_status(object, "a", "Local"), "Healthy");
  EXPECT_EQ(condition_of(object, "a", "Local")["msg"], "Operation state changed to 'Healthy'.");
  EXPECT_TRUE(condition_of(object, "a", "Deployment").is_null());
  EXPECT_EQ(condition_status(object, "a", "Placement"), "Done");
  EXPECT_EQ(zone_entry_of(object, "a")["chartVersion"], "2.0.3");
  EXPECT_EQ(object["status"]["ownership"]["placements"], Json::parse(R"([{"zone":"a"}])"));
  const std::vector<std::int64_t> versions = version_trace(objects, "a");
  ASSERT_GE(versions.size(), 5U);  // Placement, placed, Relocation, Done, Local, Healthy
  for (std::size_t index = 1; index < versions.size(); index++) {
    EXPECT_GT(versions[index], versions[index - 1]);
  }
  const auto workload = zone.controller().workload(app_key("web"));
  ASSERT_EQ(workload.size(), 1U);
  EXPECT_EQ(workload[0].version, "2.0.3");
  EXPECT_TRUE(workload[0].complete);
  EXPECT_EQ(zone.controller().running_job(app_key("web")), JobKind::operation);
  EXPECT_TRUE(zone.controller().violations().empty());
  // No writes while the health is unchanged.
  const std::string resource_version = object["metadata"]["resourceVersion"];
  zone.run_for(Duration::from_seconds(300));
  EXPECT_EQ(zone.get()["metadata"]["resourceVersion"], resource_version);
}

TEST(AppController, GlobalStrategyWaitsForPlacementsWrittenElsewhere) {
  Zone zone("a");
  zone.start();
  zone.create(make_app({.strategy = "Global"}));
  zone.poke();
  zone.run_for(Duration::from_seconds(600));
  Json object = zone.get();
  EXPECT_EQ(state_of(object), "Placement");
  EXPECT_TRUE(at_path(object, {"status", "ownership", "placements"}).is_null());
  EXPECT_TRUE(zone_entry_of(object, "a").is_null());
  EXPECT_TRUE(zone.controller().workload(app_key("web")).empty());
  zone.recorded();
  Json status = object["status"];
  status["ownership"]["placements"] = Json::parse(R"([{"zone":"a"}])");
  zone.write_status("web", status);
  zone.poke();
  zone.run_for(Duration::from_seconds(60));
  EXPECT_EQ(state_trace(zone.recorded()),
            (std::vector<std::string>{"Placement", "Relocation", "Operational"}));
  object = zone.get();
  EXPECT_EQ(condition_status(object, "a", "Local"), "Healthy");
  EXPECT_TRUE(condition_of(object, "a", "Placement").is_null());
  EXPECT_EQ(zone.controller().workload(app_key("web")).size(), 1U);
}

// Zone b is not the owner: it deploys when placements gain it and undeploys when they lose it.
TEST(AppController, NonOwnerFollowsPlacements) {
  Zone zone("b");
  zone.controller().set_deploy_duration(Duration::from_seconds(15));
  zone.controller().set_undeploy_duration(Duration::from_seconds(15));
  zone.start();
  zone.create(make_app({}));
  const Json owned = Json::parse(R"({"ownership":
      {"owner":"a","epoch":3,"state":"Operational","placements":[{"zone":"a"}]}})");
  zone.write_status("web", owned);
  zone.poke();
  zone.run_for(Duration::from_seconds(60));
  Json object = zone.get();
  EXPECT_EQ(object["status"]["ownership"]["owner"], "a");  // no claim over an owner
  EXPECT_TRUE(has_finalizer(object));                      // added in every zone, involved or not
  EXPECT_TRUE(zone_entry_of(object, "b").is_null());
  EXPECT_EQ(zone.controller().counters().claims, 0U);

  Json status = object["status"];
  status["ownership"]["placements"] = Json::parse(R"([{"zone":"a"},{"zone":"b"}])");
  zone.write_status("web", status);
  zone.poke();
  zone.run_for(Duration::from_seconds(60));
  object = zone.get();
  EXPECT_EQ(condition_status(object, "b", "Local"), "Healthy");
  EXPECT_EQ(state_of(object), "Operational");  // only the owner computes the state
  ASSERT_EQ(zone.controller().workload(app_key("web")).size(), 1U);

  status = object["status"];
  status["ownership"]["placements"] = Json::parse(R"([{"zone":"a"}])");
  zone.write_status("web", status);
  zone.poke();
  zone.run_for(Duration::from_seconds(60));
  object = zone.get();
  EXPECT_TRUE(zone.controller().workload(app_key("web")).empty());
  EXPECT_EQ(condition_status(object, "b", "Undeployment"), "Done");
  EXPECT_TRUE(condition_of(object, "b", "Local").is_null());
  EXPECT_EQ(object["status"]["ownership"]["epoch"], 3);
  EXPECT_TRUE(zone.controller().violations().empty());
}

TEST(AppController, DegradedHealthIsFailureOnlyAboveTolerance) {
  Zone zone("a");
  ASSERT_TRUE(zone.controller().set_health(app_key("strict"), Health::degraded).ok());
  ASSERT_TRUE(zone.controller().set_health(app_key("tolerant"), Health::degraded).ok());
  zone.start();
  zone.create(make_app({.name = "strict", .tolerance = 0}));
  zone.create(make_app({.name = "tolerant", .tolerance = 1}));
  zone.poke();
  zone.run_for(Duration::from_seconds(120));
  const Json strict = zone.get("strict");
  const Json tolerant = zone.get("tolerant");
  EXPECT_EQ(state_of(strict), "Failure");
  EXPECT_EQ(state_of(tolerant), "Operational");
  for (const Json& object : {strict, tolerant}) {
    EXPECT_EQ(condition_status(object, "a", "Local"), "Degraded");
    EXPECT_EQ(condition_of(object, "a", "Local")["reason"], "HealthCheckFailed");
  }
  // The operation job stopped: a later recovery of the workload is not noticed without an
  // object event (§6 "After the operation job stops").
  EXPECT_FALSE(zone.controller().running_job(app_key("strict")).has_value());
}

TEST(AppController, DeletionCleansUpAndRemovesTheFinalizer) {
  Zone zone("a");
  bring_up_local(zone);
  ASSERT_FALSE(zone.controller().workload(app_key("web")).empty());
  ASSERT_TRUE(zone.api().remove(object_key("web")).ok());
  EXPECT_TRUE(zone.get().is_object());  // held by the finalizer
  zone.poke();
  EXPECT_TRUE(zone.get().is_null());
  EXPECT_TRUE(zone.controller().workload(app_key("web")).empty());
  EXPECT_FALSE(zone.controller().running_job(app_key("web")).has_value());
  EXPECT_EQ(zone.controller().counters().finalizers_removed, 1U);
  zone.run_for(Duration::from_seconds(60));
  EXPECT_FALSE(zone.controller().next_deadline().has_value());
}

TEST(AppController, UnreachableChartRepositoryDegradesAndRecovers) {
  Zone zone("a");
  bring_up_local(zone);
  zone.controller().set_chart_repository_reachable(false);
  zone.run_for(Duration::from_seconds(30));
  Json object = zone.get();
  EXPECT_EQ(condition_status(object, "a", "Local"), "Degraded");
  EXPECT_EQ(condition_of(object, "a", "Local")["reason"], "TargetVersionUnavailable");
  EXPECT_GT(zone.controller().counters().reconcile_errors, 0U);
  zone.controller().set_chart_repository_reachable(true);
  zone.run_for(Duration::from_seconds(120));
  object = zone.get();
  EXPECT_EQ(condition_status(object, "a", "Local"), "Healthy");
  EXPECT_FALSE(condition_of(object, "a", "Local").contains("reason"));
}

TEST(AppController, UnreachableRepositoryAtCreationStillClaims) {
  Zone zone("a");
  zone.controller().set_chart_repository_reachable(false);
  zone.start();
  zone.create(make_app({}));
  zone.poke();
  zone.run_for(Duration::from_seconds(30));
  Json object = zone.get();
  EXPECT_EQ(state_of(object), "New");  // claimed, finalizer added, then errors with backoff
  EXPECT_TRUE(has_finalizer(object));
  EXPECT_GT(zone.controller().counters().reconcile_errors, 5U);
  zone.controller().set_chart_repository_reachable(true);
  zone.run_for(Duration::from_seconds(120));
  EXPECT_EQ(state_of(zone.get()), "Operational");
}

TEST(AppController, InjectedConflictsAreRetriedAndTheWriteLands) {
  Zone zone("a");
  zone.start();
  zone.create(make_app({}));
  for (int index = 0; index < 3; index++) {
    ASSERT_TRUE(zone.api().inject_conflict({.key = object_key("web")}).ok());
  }
  ASSERT_TRUE(zone.api().inject_conflict({.key = object_key("web"), .competing_write = true}).ok());
  zone.poke();
  const Json object = zone.get();
  EXPECT_EQ(object["status"]["ownership"]["owner"], "a");
  EXPECT_EQ(zone.controller().counters().status_write_conflicts, 4U);
  EXPECT_EQ(zone.controller().counters().reconcile_errors, 0U);
  zone.run_for(Duration::from_seconds(60));
  EXPECT_EQ(state_of(zone.get()), "Operational");
  EXPECT_TRUE(zone.controller().violations().empty());
}

TEST(AppController, ConflictsBeyondFiveTriesBackOffThenLand) {
  Zone zone("a");
  zone.start();
  zone.create(make_app({}));
  for (int index = 0; index < 6; index++) {
    ASSERT_TRUE(zone.api().inject_conflict({.key = object_key("web")}).ok());
  }
  zone.poke();
  EXPECT_TRUE(at_path(zone.get(), {"status"}).is_null());
  EXPECT_EQ(zone.controller().counters().reconcile_errors, 1U);
  ASSERT_TRUE(zone.controller().next_deadline().has_value());
  EXPECT_EQ(*zone.controller().next_deadline(), zone.now() + Duration::from_ms(5));
  zone.run_for(Duration::from_ms(5));
  EXPECT_EQ(zone.get()["status"]["ownership"]["owner"], "a");
  EXPECT_EQ(zone.controller().counters().status_write_conflicts, 6U);
}

TEST(AppController, JobWriteDroppedAfterConflictsIsCarriedByTheNextTick) {
  Zone zone("a");
  zone.start();
  zone.create(make_app({}));
  zone.poke();
  // The deploy completes at once; the operation job's first check is 5 s later.
  ASSERT_EQ(zone.controller().running_job(app_key("web")), JobKind::operation);
  for (int index = 0; index < 5; index++) {
    ASSERT_TRUE(zone.api().inject_conflict({.key = object_key("web")}).ok());
  }
  zone.run_for(Duration::from_seconds(5));
  EXPECT_EQ(zone.controller().counters().job_writes_dropped, 1U);
  EXPECT_FALSE(condition_of(zone.get(), "a", "Deployment").is_null());
  zone.run_for(Duration::from_seconds(5));
  const Json object = zone.get();
  EXPECT_TRUE(condition_of(object, "a", "Deployment").is_null());
  EXPECT_EQ(condition_of(object, "a", "Local")["msg"], "Operation state changed to 'Healthy'.");
}

TEST(AppController, WatchDropRewatchesAndCompactionRelists) {
  Zone zone("a");
  zone.start();
  zone.create(make_app({.strategy = "Global"}));
  zone.poke();
  zone.run_for(Duration::from_seconds(10));
  EXPECT_EQ(zone.controller().counters().watches_opened, 1U);
  zone.api().drop_all_watches();
  Json status = zone.get()["status"];
  status["ownership"]["placements"] = Json::parse(R"([{"zone":"a"}])");
  zone.write_status("web", status);
  zone.poke();
  zone.run_for(Duration::from_seconds(60));
  EXPECT_EQ(zone.controller().counters().watches_opened, 2U);
  EXPECT_EQ(zone.controller().counters().relists, 1U);
  EXPECT_EQ(state_of(zone.get()), "Operational");

  // History compacted under a dropped watch: the resume fails with 410 and it lists again.
  zone.api().drop_all_watches(kube_sim::WatchDrop::gone_error);
  ASSERT_TRUE(zone.api().remove(object_key("web")).ok());
  zone.api().compact_history();
  zone.poke();
  EXPECT_EQ(zone.controller().counters().relists, 2U);
  EXPECT_TRUE(zone.get().is_null());  // the relist showed the deletion mark; cleanup ran
  EXPECT_TRUE(zone.controller().workload(app_key("web")).empty());
}

TEST(AppController, UndecodableObjectsAreSkippedAndCounted) {
  Zone zone("a");
  zone.start();
  zone.create(make_app({}));
  zone.write_status("web", Json::parse(R"({"ownership":{"owner":"z","epoch":1,"state":"Bogus"}})"));
  const std::string resource_version = zone.get()["metadata"]["resourceVersion"];
  zone.poke();
  zone.run_for(Duration::from_seconds(30));
  EXPECT_EQ(zone.controller().counters().decode_failures, 1U);
  EXPECT_EQ(zone.get()["metadata"]["resourceVersion"], resource_version);  // nothing written

  // A wrong JSON type and an unknown condition type are refused the same way.
  zone.write_status("web", Json::parse(R"({"ownership":{"owner":"z","epoch":"one"}})"));
  zone.poke();
  zone.write_status("web", Json::parse(R"({"ownership":{"owner":"z","epoch":1,
      "state":"Placement"},"zones":[{"zoneId":"a","version":1,
      "conditions":[{"type":"Mystery","zoneId":"a","status":"x"}]}]})"));
  zone.poke();
  EXPECT_EQ(zone.controller().counters().decode_failures, 3U);
  EXPECT_FALSE(has_finalizer(zone.get()));

  // Once valid again the object is reconciled: the finalizer is added.
  zone.write_status("web",
                    Json::parse(R"({"ownership":{"owner":"z","epoch":1,"state":"Placement"}})"));
  zone.poke();
  EXPECT_TRUE(has_finalizer(zone.get()));
}

TEST(AppController, OwnerEmptyWithStateSetIsNeverClaimed) {
  Zone zone("a");
  zone.start();
  zone.create(make_app({}));
  zone.write_status("web", Json::parse(R"({"ownership":{"owner":"","epoch":0,"state":"New"}})"));
  zone.poke();
  zone.run_for(Duration::from_seconds(100));
  EXPECT_EQ(zone.get()["status"]["ownership"]["owner"], "");
  EXPECT_EQ(zone.controller().counters().claims, 0U);
  // It requeues with a growing backoff instead of spinning.
  EXPECT_LT(zone.controller().counters().reconciles, 30U);
  EXPECT_GT(zone.controller().counters().reconciles, 10U);
}

TEST(AppController, ClaimRaceGivesEqualEpochsAndDifferentOwners) {
  Zone zone_a("a");
  Zone zone_b("b");
  zone_a.start();
  zone_b.start();
  zone_a.create(make_app({}));
  zone_b.create(make_app({}));
  zone_a.poke();
  zone_b.poke();
  const Json owner_a = zone_a.get()["status"]["ownership"];
  const Json owner_b = zone_b.get()["status"]["ownership"];
  EXPECT_EQ(owner_a["owner"], "a");
  EXPECT_EQ(owner_b["owner"], "b");
  EXPECT_EQ(owner_a["epoch"], owner_b["epoch"]);
}

TEST(AppController, ChartUpgradeUndeploysThenDeploysTheNewVersion) {
  Zone zone("a");
  bring_up_local(zone);
  ASSERT_TRUE(zone.controller().set_chart_version("~2.0", "2.0.4").ok());
  zone.run_for(Duration::from_seconds(120));
  const Json object = zone.get();
  EXPECT_EQ(zone_entry_of(object, "a")["chartVersion"], "2.0.4");
  EXPECT_EQ(condition_status(object, "a", "Local"), "Healthy");
  EXPECT_EQ(state_of(object), "Operational");
  const auto workload = zone.controller().workload(app_key("web"));
  ASSERT_EQ(workload.size(), 1U);
  EXPECT_EQ(workload[0].version, "2.0.4");
  const std::vector<Json> objects = zone.recorded();
  bool saw_sync_required = false;
  bool saw_undeploy = false;
  for (const Json& recorded : objects) {
    const Json local = condition_of(recorded, "a", "Local");
    saw_sync_required |= local.is_object() && local.value("reason", "") == "SyncRequired";
    saw_undeploy |= condition_status(recorded, "a", "Undeployment") == "Undeploy";
  }
  EXPECT_TRUE(saw_sync_required);
  EXPECT_TRUE(saw_undeploy);
}

TEST(AppController, DeployTimesOutAfterThreeAttempts) {
  Zone zone("a");
  zone.controller().set_deploy_duration(Duration::from_seconds(3'600));
  zone.start();
  zone.create(make_app({}));
  zone.poke();
  zone.run_for(Duration::from_seconds(400));
  Json object = zone.get();
  EXPECT_EQ(condition_status(object, "a", "Deployment"), "Pull");
  EXPECT_EQ(condition_of(object, "a", "Deployment")["msg"],
            "Deployment failure: Retrying deployment (attempt 3 of 3).");
  zone.run_for(Duration::from_seconds(200));
  object = zone.get();
  EXPECT_EQ(condition_status(object, "a", "Deployment"), "Failure");
  EXPECT_EQ(condition_of(object, "a", "Deployment")["reason"], "Timeout");
  EXPECT_EQ(state_of(object), "Failure");
  // maxRetries 0: the Failure condition blocks a new deploy job.
  zone.run_for(Duration::from_seconds(600));
  EXPECT_FALSE(zone.controller().running_job(app_key("web")).has_value());
}

TEST(AppController, SyncErrorFailsTheDeployAtOnce) {
  Zone zone("a");
  ASSERT_TRUE(zone.controller().set_sync_error(app_key("web"), true).ok());
  zone.start();
  zone.create(make_app({}));
  zone.poke();
  const Json object = zone.get();
  EXPECT_EQ(condition_status(object, "a", "Deployment"), "Failure");
  EXPECT_EQ(condition_of(object, "a", "Deployment")["reason"], "SyncError");
  EXPECT_TRUE(zone.controller().workload(app_key("web")).empty());
  EXPECT_EQ(state_of(object), "Failure");
}

TEST(AppController, MissingObjectsAreRedeployed) {
  Zone zone("a");
  zone.controller().set_deploy_duration(Duration::from_seconds(12));
  bring_up_local(zone);
  zone.recorded();
  zone.controller().remove_workload_objects(app_key("web"));
  zone.run_for(Duration::from_seconds(120));
  const std::vector<Json> objects = zone.recorded();
  bool saw_missing = false;
  for (const Json& recorded : objects) {
    saw_missing |= condition_status(recorded, "a", "Local") == "Missing";
  }
  EXPECT_TRUE(saw_missing);
  // Local=Missing counts as failed (tolerance 0) until the deploy job's Done write deletes it;
  // the reconcile after that write appends Local again, so Relocation is skipped.
  EXPECT_EQ(state_trace(objects),
            (std::vector<std::string>{"Operational", "Failure", "Operational"}));
  EXPECT_EQ(state_of(zone.get()), "Operational");
  EXPECT_EQ(condition_status(zone.get(), "a", "Local"), "Healthy");
}

// A deploy over objects that are still terminating is Done at once (only existence is
// checked), but once their deletion finishes they are gone: the operation job must see them
// missing and redeploy, not report Healthy over nothing (found by the controller property).
TEST(AppController, DeployOverTerminatingObjectsRedeploysOnceTheyAreGone) {
  Zone zone("a");
  bring_up_local(zone);
  zone.controller().set_deploy_duration(Duration::zero());
  zone.controller().set_undeploy_duration(Duration::from_seconds(32));
  Json status = zone.get()["status"];
  status["ownership"]["placements"] = Json::array();
  zone.write_status("web", status);
  zone.poke();
  ASSERT_TRUE(zone.run_for(Duration::zero()));
  status = zone.get()["status"];
  status["ownership"]["placements"] = Json::parse(R"([{"zone":"a"}])");
  zone.write_status("web", status);
  zone.poke();
  ASSERT_TRUE(zone.run_for(Duration::from_seconds(1'800)));
  const Json object = zone.get();
  EXPECT_EQ(state_of(object), "Operational");
  EXPECT_EQ(condition_status(object, "a", "Local"), "Healthy");
  const auto workload = zone.controller().workload(app_key("web"));
  ASSERT_EQ(workload.size(), 1U);
  EXPECT_TRUE(workload[0].complete);
}

// A Local application in zone "a", Operational on 2.0.3, whose upgrade to 2.0.4 is undeploying
// the old objects (a 47 s deletion) when placements are cleared: the owner's derived Placement job
// cancels the Undeploy job (§3 step 8, §4) and writes placements = [a] again at once.
void cancel_upgrade_undeploy(Zone& zone) {
  zone.controller().set_undeploy_duration(Duration::from_seconds(47));
  bring_up_local(zone);
  ASSERT_TRUE(zone.controller().set_chart_version("~2.0", "2.0.4").ok());
  // The controller's copy of the index was refreshed at t=60; the t=120 refresh moves the target.
  ASSERT_TRUE(zone.run_for(Duration::from_seconds(65)));
  ASSERT_EQ(zone.controller().running_job(app_key("web")), JobKind::undeploy);
  Json status = zone.get()["status"];
  status["ownership"]["placements"] = Json::array();
  zone.write_status("web", status);
  zone.poke();
  ASSERT_TRUE(zone.run_for(Duration::zero()));
  const Json object = zone.get();
  EXPECT_EQ(object["status"]["ownership"]["placements"], Json::parse(R"([{"zone":"a"}])"));
  EXPECT_EQ(zone_entry_of(object, "a")["chartVersion"], "2.0.4");
  EXPECT_FALSE(zone.controller().running_job(app_key("web")).has_value());
  const auto workload = zone.controller().workload(app_key("web"));
  ASSERT_EQ(workload.size(), 1U);
  EXPECT_EQ(workload[0].version, "2.0.3");
  EXPECT_TRUE(workload[0].deleting);
}

// §6 rule 1 matches (objects of 2.0.3 remain) but starts no job (none of 2.0.4 exist), and the
// controller does not watch its workload (§1): after an event while the old objects terminate
// the zone stays in Relocation; only an event after they are gone deploys 2.0.4.
TEST(AppController, CancelledUpgradeUndeployWaitsForAnEventAfterTheOldObjectsAreGone) {
  Zone zone("a");
  ASSERT_NO_FATAL_FAILURE(cancel_upgrade_undeploy(zone));
  zone.touch("web", 1);
  zone.poke();
  ASSERT_TRUE(zone.run_for(Duration::from_seconds(1'800)));
  zone.poke();  // no object event: only brings workload() up to now
  EXPECT_TRUE(zone.controller().workload(app_key("web")).empty());
  Json object = zone.get();
  EXPECT_EQ(state_of(object), "Relocation");
  EXPECT_EQ(condition_status(object, "a", "Undeployment"), "Undeploy");
  EXPECT_FALSE(zone.controller().running_job(app_key("web")).has_value());
  zone.touch("web", 2);
  zone.poke();
  ASSERT_TRUE(zone.run_for(Duration::from_seconds(1'800)));
  object = zone.get();
  EXPECT_EQ(state_of(object), "Operational");
  EXPECT_EQ(condition_status(object, "a", "Local"), "Healthy");
  const auto workload = zone.controller().workload(app_key("web"));
  ASSERT_EQ(workload.size(), 1U);
  EXPECT_EQ(workload[0].version, "2.0.4");
  EXPECT_TRUE(workload[0].complete);
  EXPECT_TRUE(zone.controller().violations().empty());
}

// The fault schedule that HealsToOperationalOnTheCurrentVersion shrank to (seeds
// 4248829950429425281, 18325887829734106422, 5918092445806179815): its healing phase must
// wait for the old objects to go before its one object event.
TEST(AppController, HealingAfterACancelledUpgradeUndeployReachesOperational) {
  Zone zone("a");
  ASSERT_NO_FATAL_FAILURE(cancel_upgrade_undeploy(zone));
  ASSERT_TRUE(heal(zone));
  const Json object = zone.get();
  EXPECT_EQ(state_of(object), "Operational");
  EXPECT_EQ(condition_status(object, "a", "Local"), "Healthy");
  EXPECT_EQ(zone_entry_of(object, "a")["chartVersion"], "2.0.4");
  const auto workload = zone.controller().workload(app_key("web"));
  ASSERT_EQ(workload.size(), 1U);
  EXPECT_EQ(workload[0].version, "2.0.4");
  EXPECT_TRUE(workload[0].complete);
}

TEST(AppController, RestartLosesJobsAndRederivesFromStatus) {
  Zone zone("a");
  zone.controller().set_deploy_duration(Duration::from_seconds(30));
  zone.start();
  zone.create(make_app({}));
  zone.poke();
  zone.run_for(Duration::from_seconds(5));
  ASSERT_EQ(zone.controller().running_job(app_key("web")), JobKind::deploy);
  zone.controller().restart(zone.now_pair());
  EXPECT_FALSE(zone.controller().running_job(app_key("web")).has_value());
  zone.run_for(Duration::from_seconds(120));
  EXPECT_EQ(state_of(zone.get()), "Operational");
  EXPECT_EQ(zone.controller().counters().relists, 2U);
  EXPECT_TRUE(zone.controller().violations().empty());
}

TEST(AppController, ForeignWritesToOwnEntryAreReported) {
  Zone zone("a");
  bring_up_local(zone);
  ASSERT_TRUE(zone.controller().violations().empty());
  Json status = zone.get()["status"];
  for (Json& entry : status["zones"]) {
    if (entry["zoneId"] == "a") entry["version"] = 1;  // an older copy replicated back
  }
  zone.write_status("web", status);
  zone.poke();
  const std::vector<std::string>& violations = zone.controller().violations();
  ASSERT_EQ(violations.size(), 2U);
  EXPECT_NE(violations[0].find("zones[a].version went back"), std::string::npos);
  EXPECT_NE(violations[1].find("zones[a] changed by another writer"), std::string::npos);
  EXPECT_NE(violations[1].find("default/web"), std::string::npos);
}

// §5 says nobody deletes Placement=Done, yet Forget (§6 rule 4) drops the whole zones[self]
// entry whenever the same merge changes something else. An owner whose failed entry is
// forgotten changes its own state (Failure -> Relocation) by that very drop, so the drop lands.
TEST(AppController, ForgetAfterFailureDropsPlacementDone) {
  Zone zone("a");
  ASSERT_TRUE(zone.controller().set_health(app_key("web"), Health::degraded).ok());
  zone.start();
  zone.create(make_app({}));
  zone.poke();
  zone.run_for(Duration::from_seconds(60));
  ASSERT_EQ(state_of(zone.get()), "Failure");
  ASSERT_EQ(condition_status(zone.get(), "a", "Placement"), "Done");
  Json status = zone.get()["status"];
  status["ownership"]["placements"] = Json::parse(R"([{"zone":"b"}])");
  zone.write_status("web", status);
  zone.poke();
  zone.run_for(Duration::from_seconds(60));
  const Json object = zone.get();
  EXPECT_TRUE(zone_entry_of(object, "a").is_null());
  EXPECT_EQ(state_of(object), "Relocation");
  EXPECT_TRUE(zone.controller().workload(app_key("web")).empty());
  const std::vector<std::string>& violations = zone.controller().violations();
  ASSERT_EQ(violations.size(), 1U);
  EXPECT_NE(violations[0].find("Placement=Done removed by this controller"), std::string::npos);
}

// §7: another writer drops zones[self]. The running operation job re-adds its Local condition,
// but chartVersion is lost for good: once that job stops, rule 1 matches (other versions
// present, the active one not) and starts nothing, so the workload runs unmanaged.
TEST(AppController, DroppedZoneEntryWedgesTheZone) {
  Zone zone("a");
  bring_up_local(zone);
  Json status = zone.get()["status"];
  status.erase("zones");
  zone.write_status("web", status);
  zone.poke();
  zone.run_for(Duration::from_seconds(60));
  ASSERT_EQ(zone.controller().violations().size(), 1U);
  EXPECT_NE(zone.controller().violations()[0].find("zones[a] dropped by another writer"),
            std::string::npos);
  Json entry = zone_entry_of(zone.get(), "a");
  ASSERT_TRUE(entry.is_object());
  EXPECT_FALSE(entry.contains("chartVersion"));
  EXPECT_EQ(zone.controller().running_job(app_key("web")), JobKind::operation);
  ASSERT_TRUE(zone.controller().set_health(app_key("web"), Health::degraded).ok());
  zone.run_for(Duration::from_seconds(60));
  ASSERT_TRUE(zone.controller().set_health(app_key("web"), Health::healthy).ok());
  zone.touch("web", 1);
  zone.poke();
  zone.run_for(Duration::from_seconds(600));
  EXPECT_FALSE(zone.controller().running_job(app_key("web")).has_value());
  EXPECT_EQ(condition_status(zone.get(), "a", "Local"), "Degraded");
  EXPECT_FALSE(zone_entry_of(zone.get(), "a").contains("chartVersion"));
  const auto workload = zone.controller().workload(app_key("web"));
  ASSERT_EQ(workload.size(), 1U);
  EXPECT_EQ(workload[0].version, "2.0.3");
}

// Two runs with equal inputs give equal objects, byte for byte (managedFields included).
TEST(AppController, EqualInputsGiveEqualObjects) {
  std::vector<std::string> snapshots;
  for (int run = 0; run < 2; run++) {
    Zone zone("a", 7);
    zone.controller().set_deploy_duration(Duration::from_seconds(20));
    ASSERT_TRUE(zone.controller().set_health(app_key("slow"), Health::progressing).ok());
    zone.start();
    zone.create(make_app({}));
    zone.create(make_app({.name = "slow", .strategy = "Global"}));
    zone.poke();
    zone.run_for(Duration::from_seconds(30));
    Json status = zone.get("slow")["status"];
    status["ownership"]["placements"] = Json::parse(R"([{"zone":"a"}])");
    zone.write_status("slow", status);
    ASSERT_TRUE(zone.api().inject_conflict({.key = object_key("web")}).ok());
    zone.poke();
    zone.run_for(Duration::from_seconds(300));
    Json all = Json::array();
    for (const Json& object : zone.api().snapshot(kube_sim::anyapplication_type().resource())) {
      all.push_back(object);
    }
    snapshots.push_back(all.dump());
    EXPECT_EQ(condition_status(zone.get("slow"), "a", "Local"), "Progressing");
  }
  EXPECT_EQ(snapshots[0], snapshots[1]);
}

// ---- Properties ----------------------------------------------------------------------------

// A JSON value for a status field: mostly plausible strings, sometimes another type.
Json pick_value(const std::vector<std::string>& plausible) {
  switch (*rc::gen::inRange(0, 8)) {
    case 0: return nullptr;
    case 1: return *rc::gen::inRange<std::int64_t>(-2, 40);
    case 2: return *rc::gen::arbitrary<bool>();
    case 3: return Json::array();
    case 4: return *rc::gen::element<std::string>("", "Bogus", "a");
    default: return *rc::gen::elementOf(plausible);
  }
}

Json pick_status() {
  const std::vector<std::string> zones = {"a", "b", "c"};
  const std::vector<std::string> states = {"New",     "Placement", "Operational",      "Relocation",
                                           "Failure", "Unknown",   "OwnershipTransfer"};
  const std::vector<std::string> types = {"Placement", "Deployment", "Undeployment", "Local"};
  const std::vector<std::string> statuses = {"Done",     "Pull",    "Failure",    "Healthy",
                                             "Degraded", "Missing", "InProgress", "Undeploy"};
  Json placements = Json::array();
  const int placement_count = *rc::gen::inRange(0, 3);
  for (int index = 0; index < placement_count; index++) {
    placements.push_back({{"zone", pick_value(zones)}});
  }
  Json entries = Json::array();
  const int entry_count = *rc::gen::inRange(0, 3);
  for (int index = 0; index < entry_count; index++) {
    Json conditions = Json::array();
    const int condition_count = *rc::gen::inRange(0, 3);
    for (int item = 0; item < condition_count; item++) {
      conditions.push_back({{"type", pick_value(types)},
                            {"zoneId", pick_value(zones)},
                            {"status", pick_value(statuses)}});
    }
    entries.push_back({{"zoneId", pick_value(zones)},
                       {"version", pick_value({"1"})},
                       {"chartVersion", pick_value({"2.0.3", "2.0.4"})},
                       {"conditions", std::move(conditions)}});
  }
  return Json{{"ownership",
               {{"owner", pick_value(zones)},
                {"epoch", pick_value({"1"})},
                {"state", pick_value(states)},
                {"placements", std::move(placements)}}},
              {"zones", std::move(entries)}};
}

// Whatever other writers put into status, the controller neither crashes nor spins.
RC_GTEST_PROP(AppControllerProperty, ArbitraryStatusesNeverCrashOrSpin, ()) {
  Zone zone("a");
  zone.start();
  zone.create(make_app({.strategy = *rc::gen::element<std::string>("Local", "Global")}));
  zone.poke();
  const int writes = *rc::gen::inRange(1, 10);
  for (int index = 0; index < writes; index++) {
    zone.try_write_status("web", pick_status());
    zone.poke();
    RC_ASSERT(zone.run_for(Duration::from_seconds(*rc::gen::inRange(0, 400))));
  }
  RC_ASSERT(zone.controller().counters().step_budget_exhausted == 0U);
}

// One random disturbance of the application, its workload or the API server.
void disturb(Zone& zone, std::string& chart_version) {
  AppController& controller = zone.controller();
  switch (*rc::gen::inRange(0, 7)) {
    case 0: {
      const auto placements = *rc::gen::element<std::string>(
          "[]", R"([{"zone":"a"}])", R"([{"zone":"b"}])", R"([{"zone":"a"},{"zone":"b"}])");
      Json status = zone.get()["status"];
      status["ownership"]["placements"] = Json::parse(placements);
      zone.try_write_status("web", status);
      break;
    }
    case 1:
      RC_ASSERT(
          controller
              .set_health(app_key("web"),
                          *rc::gen::element(Health::healthy, Health::progressing, Health::degraded,
                                            Health::missing, Health::suspended, Health::unknown))
              .ok());
      break;
    case 2: controller.set_chart_repository_reachable(*rc::gen::arbitrary<bool>()); break;
    case 3:
      chart_version = *rc::gen::element<std::string>("2.0.3", "2.0.4", "2.0.5");
      RC_ASSERT(controller.set_chart_version("~2.0", chart_version).ok());
      break;
    case 4:
      RC_ASSERT(zone.api()
                    .inject_conflict(
                        {.key = object_key("web"), .competing_write = *rc::gen::arbitrary<bool>()})
                    .ok());
      break;
    case 5:
      zone.api().drop_all_watches(
          *rc::gen::element(kube_sim::WatchDrop::close, kube_sim::WatchDrop::gone_error));
      if (*rc::gen::arbitrary<bool>()) zone.api().compact_history();
      break;
    default:
      controller.set_deploy_duration(
          Duration::from_seconds(*rc::gen::inRange(0, workload_duration_seconds_max)));
      controller.set_undeploy_duration(
          Duration::from_seconds(*rc::gen::inRange(0, workload_duration_seconds_max)));
      break;
  }
}

// Liveness: after any schedule of recoverable faults, once they stop, placements name the zone
// again and the deletions it issued have finished, one object event brings the application to
// Operational on the current version (see heal()).
RC_GTEST_PROP(AppControllerProperty, HealsToOperationalOnTheCurrentVersion, ()) {
  Zone zone("a");
  std::string chart_version = "2.0.3";
  zone.start();
  zone.create(make_app({.strategy = *rc::gen::element<std::string>("Local", "Global")}));
  zone.poke();
  const int steps = *rc::gen::inRange(1, 25);
  for (int index = 0; index < steps; index++) {
    disturb(zone, chart_version);
    zone.poke();
    RC_ASSERT(zone.run_for(Duration::from_seconds(*rc::gen::inRange(0, 120))));
  }
  AppController& controller = zone.controller();
  RC_ASSERT(heal(zone));
  const Json object = zone.get();
  RC_ASSERT(state_of(object) == "Operational");
  RC_ASSERT(condition_status(object, "a", "Local") == "Healthy");
  RC_ASSERT(zone_entry_of(object, "a")["chartVersion"] == chart_version);
  const std::vector<WorkloadVersion> workload = controller.workload(app_key("web"));
  RC_ASSERT(workload.size() == 1U);
  RC_ASSERT(workload[0].version == chart_version);
  RC_ASSERT(workload[0].complete);
  // The one property the emulated controller itself can break (see the test
  // ForgetAfterFailureDropsPlacementDone); anything else is a bug here.
  for (const std::string& violation : controller.violations()) {
    RC_LOG() << violation << "\n";
    RC_ASSERT(violation.find("Placement=Done removed by this controller") != std::string::npos);
  }
}

}  // namespace
}  // namespace mesh::simulator
