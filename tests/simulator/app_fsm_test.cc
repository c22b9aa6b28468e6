// The AnyApplication controller emulation's pure parts: strict decoding and status rendering,
// the version rule, the reconcile merge, UpdateCondition, the state machines, the workload and
// chart index, and Go duration parsing.
#include <gtest/gtest.h>

#include "engine/json.h"

#include "simulator/app_fsm.h"
#include "simulator/app_object.h"
#include "simulator/app_workload.h"

namespace mesh::simulator {
namespace {

using Json = ::mesh::engine::Json;

Json object_with_status(const Json& status) {
  return Json{{"apiVersion", "dcp.hiro.io/v1"},
              {"kind", "AnyApplication"},
              {"metadata", {{"name", "web"}, {"namespace", "default"}, {"resourceVersion", "42"}}},
              {"spec",
               {{"zones", 1},
                {"source", {{"helm", {{"version", "~2.0"}}}}},
                {"placementStrategy", {{"strategy", "Local"}}}}},
              {"status", status}};
}

AppObject decoded(const Json& status) {
  const AppDecodeResult result = decode_app(object_with_status(status));
  EXPECT_TRUE(result.ok()) << (result.ok() ? "" : result.error().message);
  return result.ok() ? result.value() : AppObject{};
}

Condition condition(ConditionType type, const std::string& zone, const std::string& status) {
  return Condition{.type = type, .zone_id = zone, .status = status};
}

TEST(AppObject, DecodesTheFieldsTheControllerReads) {
  const AppObject app = decoded(Json::parse(R"({
      "ownership": {"owner": "a", "epoch": 4, "state": "Relocation",
                    "placements": [{"zone": "a", "nodeAffinity": ["n1"]}, {"zone": "b"}]},
      "zones": [{"zoneId": "a", "version": 17, "chartVersion": "2.0.3",
                 "conditions": [{"type": "Local", "zoneId": "a", "status": "Healthy",
                                 "lastTransitionTime": "2023-11-14T22:13:20Z"}]}]})"));
  EXPECT_EQ(app.resource_version, "42");
  EXPECT_EQ(app.spec.helm_version, "~2.0");
  EXPECT_EQ(app.spec.strategy, PlacementStrategy::local);
  EXPECT_EQ(app.status.ownership.owner, "a");
  EXPECT_EQ(app.status.ownership.epoch, 4);
  EXPECT_EQ(app.status.ownership.state, GlobalState::relocation);
  ASSERT_EQ(app.status.ownership.placements.size(), 2U);
  EXPECT_EQ(app.status.ownership.placements[0].node_affinity, std::vector<std::string>{"n1"});
  const ZoneStatus* entry = find_zone(app.status, "a");
  ASSERT_NE(entry, nullptr);
  EXPECT_EQ(entry->version, 17);
  const Condition* local = find_condition(*entry, ConditionType::local);
  ASSERT_NE(local, nullptr);
  EXPECT_EQ(local->status, "Healthy");
}

TEST(AppObject, StrictDecodingRefusesUnknownEnumsAndWrongTypes) {
  const std::vector<std::string> refused = {
      R"({"ownership": {"owner": "a", "state": "Bogus"}})",
      R"({"ownership": {"owner": "a", "state": ""}})",
      R"({"ownership": {"owner": "a", "epoch": "1"}})",
      R"({"ownership": {"owner": "a", "epoch": 1.5}})",
      R"({"ownership": {"owner": 7}})",
      R"({"ownership": {"placements": {"zone": "a"}}})",
      R"({"zones": [{"zoneId": "a", "conditions": [{"type": "Other", "zoneId": "a"}]}]})",
      R"({"zones": [{"zoneId": "a", "conditions": [{"zoneId": "a", "status": "x"}]}]})",
      R"({"zones": [{"zoneId": "a", "version": 18446744073709551615}]})",
      R"({"zones": "a"})",
      R"([1, 2])",
  };
  for (const std::string& status : refused) {
    EXPECT_FALSE(decode_app(object_with_status(Json::parse(status))).ok()) << status;
  }
  Json bad_strategy = object_with_status(Json::object());
  bad_strategy["spec"]["placementStrategy"]["strategy"] = "Nearby";
  EXPECT_FALSE(decode_app(bad_strategy).ok());
  EXPECT_FALSE(decode_app(Json::array()).ok());
  // Absent and null are zero values, not errors.
  EXPECT_TRUE(decode_app(object_with_status(nullptr)).ok());
  EXPECT_TRUE(decode_app(object_with_status(Json::parse(R"({"ownership": null})"))).ok());
}

TEST(AppObject, RenderedStatusDecodesBackToTheSameStatus) {
  const Json status = Json::parse(R"({
      "ownership": {"owner": "a", "epoch": 2, "state": "Operational",
                    "placements": [{"zone": "a"}]},
      "zones": [{"zoneId": "a", "version": 9, "chartVersion": "2.0.3",
                 "conditions": [{"type": "Local", "zoneId": "a", "status": "Healthy",
                                 "lastTransitionTime": "2023-11-14T22:13:20Z",
                                 "msg": "Operation state changed to 'Healthy'."}]}]})");
  const AppObject app = decoded(status);
  EXPECT_EQ(render_status(app.status), status);
  // The zero state is left out rather than written as "" (which decoding refuses).
  EXPECT_FALSE(render_status(AppStatus{})["ownership"].contains("state"));
}

TEST(AppFsm, VersionRuleTakesTheLargerOfResourceVersionAndVersionPlusOne) {
  AppStatus status;
  bump_zone_version(status, "a", 100);
  EXPECT_TRUE(status.zones.empty());  // no entry, no version
  zone_entry(status, "a").version = 5;
  bump_zone_version(status, "a", 100);
  EXPECT_EQ(find_zone(status, "a")->version, 101);
  find_zone(status, "a")->version = 500;
  bump_zone_version(status, "a", 100);
  EXPECT_EQ(find_zone(status, "a")->version, 501);
  bump_zone_version(status, "b", 100);
  EXPECT_EQ(find_zone(status, "b"), nullptr);
  EXPECT_EQ(parse_resource_version("12x"), 0);
  EXPECT_EQ(parse_resource_version("99999999999999999999"), 0);
}

TEST(AppFsm, MergeAppendsMissingTypesButNeverUpdatesOrDeletes) {
  AppStatus fresh;
  fresh.ownership = Ownership{.owner = "a", .epoch = 3, .state = GlobalState::placement};
  zone_entry(fresh, "a").conditions.push_back(condition(ConditionType::placement, "a", "Done"));
  AppStatus derived = fresh;
  derived.ownership.epoch = 2;
  EXPECT_FALSE(merge_status(derived, fresh, "a"));  // epochs keep the maximum
  zone_entry(derived, "a").conditions[0].status = "InProgress";
  EXPECT_FALSE(merge_status(derived, fresh, "a"));  // existing types are not updated
  zone_entry(derived, "a").conditions.push_back(condition(ConditionType::deployment, "a", "Pull"));
  zone_entry(derived, "a").chart_version = "2.0.3";
  derived.ownership.state = GlobalState::relocation;
  EXPECT_TRUE(merge_status(derived, fresh, "a"));
  EXPECT_EQ(fresh.ownership.state, GlobalState::relocation);
  EXPECT_EQ(fresh.ownership.epoch, 3);
  ASSERT_EQ(find_zone(fresh, "a")->conditions.size(), 2U);
  EXPECT_EQ(find_zone(fresh, "a")->conditions[0].status, "Done");
  EXPECT_EQ(find_zone(fresh, "a")->chart_version, "2.0.3");
  // Forget: dropping the entry alone is not persisted; along with another change it is.
  AppStatus forgotten = fresh;
  forgotten.zones.clear();
  EXPECT_FALSE(merge_status(forgotten, fresh, "a"));
  EXPECT_NE(find_zone(fresh, "a"), nullptr);
  forgotten.ownership.state = GlobalState::operational;
  EXPECT_TRUE(merge_status(forgotten, fresh, "a"));
  EXPECT_EQ(find_zone(fresh, "a"), nullptr);
}

TEST(AppFsm, UpdateConditionIsSuppressedWhenUnchangedAndDeletesSiblings) {
  AppStatus status;
  ZoneStatus& entry = zone_entry(status, "a");
  entry.conditions.push_back(condition(ConditionType::local, "a", "Healthy"));
  entry.conditions.push_back(condition(ConditionType::deployment, "a", "Done"));
  Condition healthy = condition(ConditionType::local, "a", "Healthy");
  EXPECT_FALSE(update_condition(status, "a", healthy, {ConditionType::deployment}));
  EXPECT_EQ(find_zone(status, "a")->conditions.size(), 2U);  // suppressed: siblings stay
  healthy.msg = "Operation state changed to 'Healthy'.";
  EXPECT_TRUE(update_condition(status, "a", healthy, {ConditionType::deployment}));
  ASSERT_EQ(find_zone(status, "a")->conditions.size(), 1U);
  EXPECT_EQ(find_zone(status, "a")->conditions[0].msg, healthy.msg);
}

TEST(AppFsm, GlobalStateFollowsPlacementsTolerationAndConditions) {
  AppSpec spec{.strategy = PlacementStrategy::global, .tolerance = 1};
  AppStatus status;
  EXPECT_EQ(global_state(status, spec, "a", std::nullopt), GlobalState::placement);
  status.ownership.placements = {Placement{.zone = "a"}, Placement{.zone = "b"}};
  EXPECT_EQ(global_state(status, spec, "a", std::nullopt), GlobalState::relocation);
  zone_entry(status, "a").conditions.push_back(condition(ConditionType::local, "a", "Degraded"));
  zone_entry(status, "b").conditions.push_back(condition(ConditionType::deployment, "b", "Pull"));
  EXPECT_EQ(global_state(status, spec, "a", std::nullopt), GlobalState::relocation);
  zone_entry(status, "b").conditions.push_back(condition(ConditionType::local, "b", "Healthy"));
  EXPECT_EQ(global_state(status, spec, "a", std::nullopt), GlobalState::operational);
  // Failed entries count in every zone, placement zones or not.
  zone_entry(status, "c")
      .conditions.push_back(condition(ConditionType::undeployment, "c", "Failure"));
  EXPECT_EQ(global_state(status, spec, "a", std::nullopt), GlobalState::failure);
  spec.tolerance = 2;
  EXPECT_EQ(global_state(status, spec, "a", std::nullopt), GlobalState::operational);
}

TEST(AppFsm, DeriveFollowsTheLocalRulesInOrder) {
  AppObject object = decoded(Json::parse(R"({
      "ownership": {"owner": "a", "epoch": 1, "state": "Operational",
                    "placements": [{"zone": "b"}]},
      "zones": [{"zoneId": "a", "version": 3, "chartVersion": "2.0.3"}]})"));
  LocalView view{.active = "2.0.3", .target = "2.0.3", .present = true, .deployed = true};
  DeriveInput input{.zone = "a", .object = &object, .view = &view};
  // Not placed but present: Undeploy.
  Derivation derivation = derive_status(input);
  EXPECT_EQ(derivation.job, JobKind::undeploy);
  EXPECT_NE(find_condition(*find_zone(derivation.status, "a"), ConditionType::undeployment),
            nullptr);
  // An undeploy already running: no new job.
  input.running_job = JobKind::undeploy;
  EXPECT_FALSE(derive_status(input).job.has_value());
  // Placed and not deployed: Deploy with chartVersion := target when the target moved.
  object.status.ownership.placements = {Placement{.zone = "a"}};
  input.running_job.reset();
  view = LocalView{.active = "2.0.3", .target = "2.0.4", .new_version = true};
  derivation = derive_status(input);
  EXPECT_EQ(derivation.job, JobKind::deploy);
  EXPECT_EQ(derivation.job_version, "2.0.4");
  EXPECT_EQ(find_zone(derivation.status, "a")->chart_version, "2.0.4");
  // Placed and deployed: Operate, with Local appended; the owner's state follows.
  view = LocalView{.active = "2.0.3", .target = "2.0.3", .present = true, .deployed = true};
  derivation = derive_status(input);
  EXPECT_EQ(derivation.job, JobKind::operation);
  EXPECT_EQ(derivation.status.ownership.state, GlobalState::operational);
  // Nothing applies: Forget drops the entry from the derived status.
  object.status.ownership.placements = {Placement{.zone = "b"}};
  view = LocalView{.active = "2.0.3", .target = "2.0.3"};
  derivation = derive_status(input);
  EXPECT_FALSE(derivation.job.has_value());
  EXPECT_EQ(find_zone(derivation.status, "a"), nullptr);
}

TEST(AppFsm, LocalOwnerWithoutPlacementsStartsThePlacementJob) {
  AppObject object = decoded(Json::parse(R"({"ownership": {"owner": "a", "epoch": 1,
                                                           "state": "New"}})"));
  const LocalView view{.target = "2.0.3", .new_version = true};
  DeriveInput input{.zone = "a", .object = &object, .view = &view};
  const Derivation derivation = derive_status(input);
  EXPECT_EQ(derivation.job, JobKind::placement);
  EXPECT_EQ(derivation.status.ownership.state, GlobalState::placement);
  const Condition* placement =
      find_condition(*find_zone(derivation.status, "a"), ConditionType::placement);
  ASSERT_NE(placement, nullptr);
  EXPECT_EQ(placement->status, "InProgress");
  // A non-owner that is not involved derives nothing.
  object.status.ownership.owner = "z";
  EXPECT_FALSE(is_involved(object, "a", view));
}

TEST(AppWorkload, InstallsAndDeletesOnSchedule) {
  Workload workload;
  const Instant start;
  ASSERT_TRUE(workload.apply("1.0.0", start, Duration::from_seconds(10)));
  EXPECT_TRUE(workload.present("1.0.0"));
  EXPECT_FALSE(workload.complete("1.0.0", start + Duration::from_seconds(9)));
  EXPECT_TRUE(workload.complete("1.0.0", start + Duration::from_seconds(10)));
  EXPECT_FALSE(workload.has_other_versions("1.0.0"));
  EXPECT_TRUE(workload.has_other_versions("2.0.0"));
  workload.mark_missing();
  EXPECT_FALSE(workload.complete("1.0.0", start + Duration::from_seconds(20)));
  workload.remove_all(start + Duration::from_seconds(20), Duration::from_seconds(5));
  workload.settle(start + Duration::from_seconds(24));
  EXPECT_TRUE(workload.present("1.0.0"));
  workload.settle(start + Duration::from_seconds(25));
  EXPECT_TRUE(workload.empty());
}

TEST(AppWorkload, ChartIndexRefreshesOncePerIntervalAndFailsWhenUnreachable) {
  ChartIndex index;
  const Duration refresh = Duration::from_seconds(60);
  ASSERT_TRUE(index.set_entry("~2.0", "2.0.3").ok());
  const Instant start;
  EXPECT_EQ(index.resolve("~2.0", start, refresh).value(), "2.0.3");
  ASSERT_TRUE(index.set_entry("~2.0", "2.0.4").ok());
  EXPECT_EQ(index.resolve("~2.0", start + Duration::from_seconds(59), refresh).value(), "2.0.3");
  EXPECT_EQ(index.resolve("~2.0", start + Duration::from_seconds(60), refresh).value(), "2.0.4");
  EXPECT_EQ(index.resolve("1.2.3", start, refresh).value(), "1.2.3");
  EXPECT_EQ(index.resolve("^3", start, refresh).error().code, ChartError::no_match);
  index.set_reachable(false);
  EXPECT_EQ(index.resolve("~2.0", start, refresh).error().code, ChartError::unreachable);
  EXPECT_TRUE(is_exact_version("v1.0.0-rc.1+build"));
  EXPECT_FALSE(is_exact_version("1.x"));
  EXPECT_FALSE(is_exact_version(">=1.0"));
}

TEST(AppObject, ParsesGoDurationsAndTheSyncTimeoutOption) {
  EXPECT_EQ(parse_go_duration("90s").value(), Duration::from_seconds(90));
  EXPECT_EQ(parse_go_duration("1m30s").value(), Duration::from_seconds(90));
  EXPECT_EQ(parse_go_duration("1.5h").value(), Duration::from_seconds(5'400));
  EXPECT_EQ(parse_go_duration("250ms").value(), Duration::from_ms(250));
  EXPECT_EQ(parse_go_duration("0").value(), Duration::zero());
  for (const char* bad : {"", "s", "5", "5x", "-1s", "1..5s", "9999999999999999999h"}) {
    EXPECT_FALSE(parse_go_duration(bad).ok()) << bad;
  }
  AppSpec spec{.sync_options = {"Prune=true", "syncTimeout=bogus", "syncTimeout=45s"}};
  EXPECT_EQ(sync_timeout(spec), Duration::from_seconds(45));
  spec.sync_options = {"syncTimeout=bogus"};
  EXPECT_FALSE(sync_timeout(spec).has_value());
}

}  // namespace
}  // namespace mesh::simulator
