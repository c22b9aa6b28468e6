// Server-side apply: field managers, conflicts, force, removal of unapplied fields, keyed lists
// (status.zones per zoneId), sets (finalizers), managedFields encoding and ownership transfer
// by updates.
#include <gtest/gtest.h>

#include "kube_sim/api_server.h"
#include "kube_sim/field_manager.h"
#include "tests/kube_sim/test_support.h"

namespace mesh::kube_sim {
namespace {

using namespace testing;

json config(json spec, json metadata = json::object()) {
  metadata["name"] = "web";
  return {{"apiVersion", "dcp.hiro.io/v1"},
          {"kind", "AnyApplication"},
          {"metadata", std::move(metadata)},
          {"spec", std::move(spec)}};
}

json zone_config(const std::string& zone, int version) {
  return {{"apiVersion", "dcp.hiro.io/v1"},
          {"kind", "AnyApplication"},
          {"metadata", {{"name", "web"}}},
          {"status", {{"zones", {{{"zoneId", zone}, {"version", version}}}}}}};
}

WriteOptions by(const std::string& manager, bool force = false) {
  return WriteOptions{.field_manager = manager, .force = force};
}

// The managedFields entry of `manager`, or null.
json entry_of(const json& object, const std::string& manager) {
  for (const json& entry : object["metadata"]["managedFields"]) {
    if (entry["manager"] == manager) return entry;
  }
  return nullptr;
}

TEST(Apply, CreatesTheObjectAndRecordsAnApplyEntry) {
  ApiServer server = make_server();
  const auto applied = server.apply(app_key("web"), config({{"zones", 2}}), by("ctl"));
  ASSERT_TRUE(applied.ok()) << applied.error().message;
  EXPECT_EQ((*applied)["spec"]["zones"], 2);
  EXPECT_EQ(generation_of(*applied), 1);
  const json entry = entry_of(*applied, "ctl");
  ASSERT_TRUE(entry.is_object());
  EXPECT_EQ(entry["operation"], "Apply");
  EXPECT_EQ(entry["fieldsType"], "FieldsV1");
  EXPECT_EQ(entry["apiVersion"], "dcp.hiro.io/v1");
  EXPECT_EQ(entry["fieldsV1"], (json{{"f:spec", {{"f:zones", json::object()}}}}));
  EXPECT_FALSE(entry.contains("subresource"));
}

TEST(Apply, RequiresAFieldManagerAndMatchingName) {
  ApiServer server = make_server();
  EXPECT_TRUE(failed_with(server.apply(app_key("web"), config({{"zones", 1}}), {}),
                          StatusReason::bad_request));
  EXPECT_TRUE(failed_with(server.apply(app_key("other"), config({{"zones", 1}}), by("ctl")),
                          StatusReason::bad_request));
  EXPECT_TRUE(failed_with(server.apply_status(app_key("web"), zone_config("a", 1), by("a")),
                          StatusReason::not_found));
}

TEST(Apply, ReapplyingTheSameConfigurationIsANoOp) {
  ApiServer server = make_server();
  const auto first = server.apply(app_key("web"), config({{"zones", 2}}), by("ctl"));
  ASSERT_TRUE(first.ok());
  server.set_time(WallTime::from_unix_ms(start_unix_ms + 60'000));
  const auto second = server.apply(app_key("web"), config({{"zones", 2}}), by("ctl"));
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(*second, *first);
}

TEST(Apply, SameValueIsSharedOwnershipWithoutConflict) {
  ApiServer server = make_server();
  ASSERT_TRUE(server.apply(app_key("web"), config({{"zones", 2}}), by("one")).ok());
  const auto shared = server.apply(app_key("web"), config({{"zones", 2}}), by("two"));
  ASSERT_TRUE(shared.ok());
  EXPECT_TRUE(entry_of(*shared, "one")["fieldsV1"]["f:spec"].contains("f:zones"));
  EXPECT_TRUE(entry_of(*shared, "two")["fieldsV1"]["f:spec"].contains("f:zones"));
}

TEST(Apply, DifferentValueOwnedByAnotherManagerIsConflict) {
  ApiServer server = make_server();
  ASSERT_TRUE(server.apply(app_key("web"), config({{"zones", 2}}), by("one")).ok());
  const auto conflict = server.apply(app_key("web"), config({{"zones", 3}}), by("two"));
  ASSERT_TRUE(failed_with(conflict, StatusReason::conflict));
  EXPECT_EQ(conflict.error().message,
            "Apply failed with 1 conflict: conflict with \"one\": .spec.zones");
  ASSERT_EQ(conflict.error().causes.size(), 1u);
  EXPECT_EQ(conflict.error().causes[0].field, ".spec.zones");
  EXPECT_EQ(conflict.error().causes[0].type, "FieldManagerConflict");
  const auto unchanged = server.get(app_key("web"));
  ASSERT_TRUE(unchanged.ok());
  EXPECT_EQ((*unchanged)["spec"]["zones"], 2);
}

TEST(Apply, ForceTakesOwnershipOfConflictingFields) {
  ApiServer server = make_server();
  ASSERT_TRUE(server.apply(app_key("web"), config({{"zones", 2}, {"extra", "x"}}), by("one")).ok());
  const auto forced = server.apply(app_key("web"), config({{"zones", 3}}), by("two", true));
  ASSERT_TRUE(forced.ok());
  EXPECT_EQ((*forced)["spec"]["zones"], 3);
  const json one = entry_of(*forced, "one");
  ASSERT_TRUE(one.is_object());
  EXPECT_FALSE(one["fieldsV1"]["f:spec"].contains("f:zones"));
  EXPECT_TRUE(one["fieldsV1"]["f:spec"].contains("f:extra"));
  EXPECT_TRUE(entry_of(*forced, "two")["fieldsV1"]["f:spec"].contains("f:zones"));
  // Having lost the field, "one" now conflicts with "two" in turn.
  EXPECT_TRUE(
      failed_with(server.apply(app_key("web"), config({{"zones", 2}, {"extra", "x"}}), by("one")),
                  StatusReason::conflict));
}

TEST(Apply, FieldsDroppedFromTheConfigurationAreRemoved) {
  ApiServer server = make_server();
  const json full = config({{"zones", 2}, {"syncPolicy", {{"syncOptions", {"a"}}}}},
                           {{"labels", {{"app", "web"}}}});
  ASSERT_TRUE(server.apply(app_key("web"), full, by("ctl")).ok());
  const auto reduced = server.apply(app_key("web"), config({{"zones", 2}}), by("ctl"));
  ASSERT_TRUE(reduced.ok());
  EXPECT_FALSE((*reduced)["spec"].contains("syncPolicy"));
  EXPECT_FALSE((*reduced)["metadata"].contains("labels"));
  EXPECT_EQ((*reduced)["spec"]["zones"], 2);
  EXPECT_EQ(entry_of(*reduced, "ctl")["fieldsV1"],
            (json{{"f:spec", {{"f:zones", json::object()}}}}));
}

TEST(Apply, DroppedFieldStaysWhileAnotherManagerOwnsIt) {
  ApiServer server = make_server();
  const json labelled = config({{"zones", 1}}, {{"labels", {{"app", "web"}}}});
  ASSERT_TRUE(server.apply(app_key("web"), labelled, by("one")).ok());
  ASSERT_TRUE(server.apply(app_key("web"), labelled, by("two")).ok());
  const auto dropped = server.apply(app_key("web"), config({{"zones", 1}}), by("one"));
  ASSERT_TRUE(dropped.ok());
  EXPECT_EQ((*dropped)["metadata"]["labels"]["app"], "web");
  const auto dropped_too = server.apply(app_key("web"), config(json::object()), by("two"));
  ASSERT_TRUE(dropped_too.ok());
  EXPECT_FALSE((*dropped_too)["metadata"].contains("labels"));
  EXPECT_EQ((*dropped_too)["spec"]["zones"], 1);  // still owned by "one"
}

TEST(Apply, NullInAConfigurationMeansNotSet) {
  ApiServer server = make_server();
  ASSERT_TRUE(server.apply(app_key("web"), config({{"zones", 1}, {"x", 1}}), by("ctl")).ok());
  const auto applied =
      server.apply(app_key("web"), config({{"zones", 1}, {"x", nullptr}}), by("ctl"));
  ASSERT_TRUE(applied.ok());
  EXPECT_FALSE((*applied)["spec"].contains("x"));
}

TEST(Apply, StaleResourceVersionIsConflict) {
  ApiServer server = make_server();
  const auto created = server.apply(app_key("web"), config({{"zones", 1}}), by("ctl"));
  ASSERT_TRUE(created.ok());
  ASSERT_TRUE(server.apply(app_key("web"), config({{"zones", 2}}), by("ctl")).ok());
  json stale = config({{"zones", 3}});
  stale["metadata"]["resourceVersion"] = rv_of(*created);
  EXPECT_TRUE(failed_with(server.apply(app_key("web"), stale, by("ctl")), StatusReason::conflict));
}

TEST(Apply, MainIgnoresStatusAndStatusIgnoresSpec) {
  ApiServer server = make_server();
  json with_status = config({{"zones", 1}});
  with_status["status"] = {{"ownership", {{"owner", "a"}}}};
  const auto main = server.apply(app_key("web"), with_status, by("ctl"));
  ASSERT_TRUE(main.ok());
  EXPECT_FALSE(main->contains("status"));
  json status = zone_config("a", 1);
  status["spec"] = {{"zones", 9}};
  const auto applied = server.apply_status(app_key("web"), status, by("zone-a"));
  ASSERT_TRUE(applied.ok());
  EXPECT_EQ((*applied)["spec"]["zones"], 1);
  EXPECT_EQ((*applied)["status"]["zones"][0]["zoneId"], "a");
  EXPECT_EQ(entry_of(*applied, "zone-a")["subresource"], "status");
  EXPECT_EQ(generation_of(*applied), 1);
}

}  // namespace
}  // namespace mesh::kube_sim
