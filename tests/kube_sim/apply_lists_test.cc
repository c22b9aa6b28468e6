// Server-side apply on lists: status.zones keyed by zoneId (each zone's manager owns its own
// entry), finalizers as a set, atomic lists; plus ownership moved by updates and the cap on
// Update managers.
#include <gtest/gtest.h>

#include "kube_sim/api_server.h"
#include "tests/kube_sim/test_support.h"

namespace mesh::kube_sim {
namespace {

using namespace testing;

json zones_config(json zones) {
  return {{"apiVersion", "dcp.hiro.io/v1"},
          {"kind", "AnyApplication"},
          {"metadata", {{"name", "web"}}},
          {"status", {{"zones", std::move(zones)}}}};
}

json zone(const std::string& id, int version) {
  return {{"zoneId", id}, {"version", version}};
}

WriteOptions by(const std::string& manager, bool force = false) {
  return WriteOptions{.field_manager = manager, .force = force};
}

json entry_of(const json& object, const std::string& manager) {
  for (const json& entry : object["metadata"]["managedFields"]) {
    if (entry["manager"] == manager) return entry;
  }
  return nullptr;
}

class ZonesTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(server_.create(apps(), "default", make_app("web")).ok()); }
  ApiResult<json> apply_zone(const std::string& manager, json zones, bool force = false) {
    return server_.apply_status(app_key("web"), zones_config(std::move(zones)), by(manager, force));
  }
  ApiServer server_ = make_server();
};

TEST_F(ZonesTest, EachZoneManagerOwnsItsOwnEntry) {
  ASSERT_TRUE(apply_zone("zone-a", {zone("a", 1)}).ok());
  const auto both = apply_zone("zone-b", {zone("b", 5)});
  ASSERT_TRUE(both.ok()) << both.error().message;
  EXPECT_EQ((*both)["status"]["zones"], json({zone("a", 1), zone("b", 5)}));
  const json a_fields = entry_of(*both, "zone-a")["fieldsV1"];
  EXPECT_EQ(a_fields, (json{{"f:status",
                             {{"f:zones",
                               {{"k:{\"zoneId\":\"a\"}",
                                 {{".", json::object()},
                                  {"f:version", json::object()},
                                  {"f:zoneId", json::object()}}}}}}}}));
  const auto updated = apply_zone("zone-a", {zone("a", 2)});
  ASSERT_TRUE(updated.ok());
  EXPECT_EQ((*updated)["status"]["zones"], json({zone("a", 2), zone("b", 5)}));
}

TEST_F(ZonesTest, DroppingAnEntryRemovesOnlyThatEntry) {
  ASSERT_TRUE(apply_zone("zone-a", {zone("a", 1)}).ok());
  ASSERT_TRUE(apply_zone("zone-b", {zone("b", 5)}).ok());
  const auto dropped = apply_zone("zone-b", json::array());
  ASSERT_TRUE(dropped.ok());
  EXPECT_EQ((*dropped)["status"]["zones"], json({zone("a", 1)}));
  EXPECT_TRUE(entry_of(*dropped, "zone-b").is_null());
}

TEST_F(ZonesTest, WritingAnotherZonesEntryConflicts) {
  ASSERT_TRUE(apply_zone("zone-a", {zone("a", 1)}).ok());
  const auto conflict = apply_zone("zone-b", {zone("a", 9)});
  ASSERT_TRUE(failed_with(conflict, StatusReason::conflict));
  ASSERT_EQ(conflict.error().causes.size(), 1u);
  EXPECT_EQ(conflict.error().causes[0].field, ".status.zones[zoneId=\"a\"].version");
  const auto forced = apply_zone("zone-b", {zone("a", 9)}, true);
  ASSERT_TRUE(forced.ok());
  EXPECT_EQ((*forced)["status"]["zones"], json({zone("a", 9)}));
}

TEST_F(ZonesTest, EntryStaysWhileAnotherManagerOwnsPartOfIt) {
  ASSERT_TRUE(apply_zone("zone-a", {zone("a", 1)}).ok());
  json extra = zone("a", 1);
  extra["chartVersion"] = "1.0";
  ASSERT_TRUE(apply_zone("helper", {extra}).ok());
  const auto dropped = apply_zone("zone-a", json::array());
  ASSERT_TRUE(dropped.ok());
  ASSERT_EQ((*dropped)["status"]["zones"].size(), 1u);
  EXPECT_EQ((*dropped)["status"]["zones"][0]["chartVersion"], "1.0");
  EXPECT_EQ((*dropped)["status"]["zones"][0]["zoneId"], "a");
}

TEST_F(ZonesTest, DuplicateKeysAndKeylessItemsAreInvalid) {
  EXPECT_TRUE(
      failed_with(apply_zone("zone-a", {zone("a", 1), zone("a", 2)}), StatusReason::invalid));
  EXPECT_TRUE(failed_with(apply_zone("zone-a", json::array({json{{"version", 1}}})),
                          StatusReason::invalid));
  const auto update = server_.patch_status(app_key("web"), PatchType::merge,
                                           {{"status", {{"zones", {zone("a", 1), zone("a", 1)}}}}});
  EXPECT_TRUE(failed_with(update, StatusReason::invalid));
}

TEST_F(ZonesTest, ConditionsAndPlacementsAreKeyedToo) {
  json first = zones_config(json::array());
  first["status"] = {
      {"ownership", {{"owner", "a"}, {"placements", json::array({json{{"zone", "a"}}})}}}};
  ASSERT_TRUE(server_.apply_status(app_key("web"), first, by("one")).ok());
  json second = zones_config(json::array());
  second["status"] = {{"ownership", {{"placements", json::array({json{{"zone", "b"}}})}}}};
  const auto merged = server_.apply_status(app_key("web"), second, by("two"));
  ASSERT_TRUE(merged.ok()) << merged.error().message;
  EXPECT_EQ((*merged)["status"]["ownership"]["placements"].size(), 2u);
}

TEST(ApplySets, FinalizersMergeAsASet) {
  ApiServer server = make_server();
  const auto with = [](json finalizers) {
    json object = make_app("web");
    object.erase("spec");
    object["metadata"]["finalizers"] = std::move(finalizers);
    return object;
  };
  ASSERT_TRUE(server.apply(app_key("web"), with({"dcp.hiro.io/a"}), by("one")).ok());
  const auto both = server.apply(app_key("web"), with({"dcp.hiro.io/b"}), by("two"));
  ASSERT_TRUE(both.ok());
  EXPECT_EQ((*both)["metadata"]["finalizers"], json({"dcp.hiro.io/a", "dcp.hiro.io/b"}));
  const auto one_gone = server.apply(app_key("web"), with(json::array()), by("one"));
  ASSERT_TRUE(one_gone.ok());
  EXPECT_EQ((*one_gone)["metadata"]["finalizers"], json({"dcp.hiro.io/b"}));
}

TEST(ApplyAtomicLists, AListWithoutARuleIsReplacedWhole) {
  ApiServer server = make_server();
  json config = make_app("web");
  config["spec"]["syncPolicy"] = {{"syncOptions", {"a", "b"}}};
  ASSERT_TRUE(server.apply(app_key("web"), config, by("one")).ok());
  config["spec"]["syncPolicy"]["syncOptions"] = {"c"};
  EXPECT_TRUE(failed_with(server.apply(app_key("web"), config, by("two")), StatusReason::conflict));
  const auto mine = server.apply(app_key("web"), config, by("one"));
  ASSERT_TRUE(mine.ok());
  EXPECT_EQ((*mine)["spec"]["syncPolicy"]["syncOptions"], json({"c"}));
}

TEST(ApplyOwnership, UpdatesTakeOwnershipOfWhatTheyChange) {
  ApiServer server = make_server();
  json config = make_app("web", 1);
  ASSERT_TRUE(server.apply(app_key("web"), config, by("ctl")).ok());
  const auto edited = server.patch(app_key("web"), PatchType::merge, {{"spec", {{"zones", 3}}}},
                                   by("kubectl-edit"));
  ASSERT_TRUE(edited.ok());  // updates never conflict
  const json edit_entry = entry_of(*edited, "kubectl-edit");
  EXPECT_EQ(edit_entry["operation"], "Update");
  EXPECT_EQ(edit_entry["fieldsV1"], (json{{"f:spec", {{"f:zones", json::object()}}}}));
  EXPECT_FALSE(entry_of(*edited, "ctl")["fieldsV1"]["f:spec"].contains("f:zones"));
  const auto conflict = server.apply(app_key("web"), config, by("ctl"));
  ASSERT_TRUE(failed_with(conflict, StatusReason::conflict));
  EXPECT_NE(conflict.error().message.find("kubectl-edit"), std::string::npos);
}

TEST(ApplyOwnership, UpdateManagersBeyondTheCapMergeIntoAncientChanges) {
  ApiServer server = make_server();
  ASSERT_TRUE(server.create(apps(), "default", make_app("web")).ok());
  for (int index = 0; index < 14; index++) {
    server.set_time(WallTime::from_unix_ms(start_unix_ms + 1'000 * index));
    const std::string label = "l" + std::to_string(index);
    ASSERT_TRUE(server
                    .patch(app_key("web"), PatchType::merge,
                           {{"metadata", {{"labels", {{label, "x"}}}}}}, by("m" + label))
                    .ok());
  }
  const auto object = server.get(app_key("web"));
  ASSERT_TRUE(object.ok());
  const json& entries = (*object)["metadata"]["managedFields"];
  EXPECT_EQ(entries.size(), update_managers_per_object_max);
  const json ancient = entry_of(*object, "ancient-changes");
  ASSERT_TRUE(ancient.is_object());
  EXPECT_TRUE(ancient["fieldsV1"]["f:metadata"]["f:labels"].contains("f:l0"));
  EXPECT_TRUE(entry_of(*object, "ml13").is_object());
  EXPECT_TRUE(entry_of(*object, "unknown").is_null());
}

}  // namespace
}  // namespace mesh::kube_sim
