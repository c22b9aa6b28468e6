// Strategies: the AnyApplication strategy's piecewise comparisons give exactly the answer of
// comparing the bodies it would write (Strategy's defaults), on objects built from a small
// vocabulary so that equal and unequal pairs both come up often.
#include "engine/strategy.h"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <map>
#include <string>
#include <vector>

#include "engine/json_util.h"
#include "tests/support/json_gen.h"

namespace mesh::engine {
namespace {

using test::GeneratedJson;

const ResourceKind any_application{.group = "dcp.hiro.io",
                                   .version = "v1",
                                   .kind = "AnyApplication",
                                   .strategy = StrategyKind::anyapplication};

// One of a few values, or absent (a null Json here means "leave the member out").
rc::Gen<Json> one_of(std::vector<Json> values) {
  values.push_back(Json());
  return rc::gen::elementOf(values);
}

rc::Gen<Json> string_map(std::vector<std::string> keys, std::vector<std::string> values) {
  return rc::gen::map(rc::gen::container<std::vector<std::pair<std::string, std::string>>>(
                          rc::gen::pair(rc::gen::elementOf(keys), rc::gen::elementOf(values))),
                      [](const std::vector<std::pair<std::string, std::string>>& members) {
                        Json map = Json::object();
                        for (const auto& [key, value] : members) map[key] = value;
                        return map;
                      });
}

rc::Gen<Json> zone_entry() {
  return rc::gen::map(
      rc::gen::pair(rc::gen::elementOf(std::vector<std::string>{"zone1", "zone2", "zone3", ""}),
                    rc::gen::inRange(1, 3)),
      [](const std::pair<std::string, int>& fields) {
        Json entry = {{"version", fields.second}};
        if (!fields.first.empty()) entry["zoneId"] = fields.first;
        return entry;
      });
}

rc::Gen<GeneratedJson> local_object() {
  return rc::gen::map(
      rc::gen::tuple(string_map({"app", "tier", owner_zone_label}, {"x", "zone1", "zone2"}),
                     string_map({"note", generation_annotation}, {"1", "2", "x"}),
                     one_of({Json{{"zones", 1}}, Json{{"zones", 2}}, Json::object()}),
                     one_of({Json{{"owner", "zone1"}, {"epoch", 1}},
                             Json{{"owner", "zone2"}, {"epoch", 1}}, Json::object()}),
                     rc::gen::container<std::vector<Json>>(zone_entry()),
                     rc::gen::arbitrary<bool>()),
      [](const std::tuple<Json, Json, Json, Json, std::vector<Json>, bool>& parts) {
        const auto& [labels, annotations, spec, ownership, zones, null_spec] = parts;
        Json object = {{"apiVersion", "dcp.hiro.io/v1"},
                       {"kind", "AnyApplication"},
                       {"metadata", {{"name", "app1"}, {"namespace", "default"}}}};
        if (!labels.empty()) object["metadata"]["labels"] = labels;
        if (!annotations.empty()) object["metadata"]["annotations"] = annotations;
        if (!spec.is_null()) object["spec"] = spec;
        if (spec.is_null() && null_spec) object["spec"] = nullptr;
        if (!ownership.is_null()) object["status"]["ownership"] = ownership;
        if (!zones.empty()) object["status"]["zones"] = zones;
        return GeneratedJson{object};
      });
}

RC_GTEST_PROP(AnyApplicationStrategy, MatchesAnswerAsComparingTheBodiesDoes, ()) {
  const auto strategy = make_strategy(StrategyKind::anyapplication);
  const Json local = (*local_object()).value;
  const Json other = (*local_object()).value;
  // Half the time the replicated state is the local object's own (the common, equal case),
  // otherwise another object's.
  const bool own = *rc::gen::arbitrary<bool>();
  const Json& source = own ? local : other;
  Json content = strategy->owner_content(source);
  // One piece changed, so that pairs differing in one place only come up often.
  switch (*rc::gen::inRange(0, 9)) {
    case 0: content.erase("spec"); break;
    case 1: content["spec"] = *one_of({Json{{"zones", 1}}, Json::object()}); break;
    case 2: content["ownership"] = nullptr; break;  // a payload may say null
    case 3: content.erase("ownership"); break;
    case 4: content["labels"]["app"] = "x"; break;
    // Mesh keys a payload may carry in its maps (the owner label is overridden; any other is
    // kept, and no local object's user map holds it), and a null map.
    case 5: content["labels"][owner_zone_label] = "zone9"; break;
    case 6: content["annotations"][owner_zone_label] = "zone1"; break;
    case 7: content["labels"] = nullptr; break;
    default: break;
  }
  const std::uint64_t generation =
      own ? declared_generation(local) : *rc::gen::inRange<std::uint64_t>(0, 3);
  const std::string owner_zone =
      own ? string_at(local, {"metadata", "labels", owner_zone_label})
          : *rc::gen::elementOf(std::vector<std::string>{"zone1", "zone2", ""});
  ZoneEntries zones = strategy->zone_entries(source);
  const Json other_entry = *zone_entry();
  if (*rc::gen::arbitrary<bool>()) zones["zone2"] = &other_entry;  // maybe under another name
  const std::string own_zone =
      *rc::gen::elementOf(std::vector<std::string>{"zone1", "zone2", "zone3"});
  RC_TAG(own);
  const bool main_fast = strategy->main_matches(any_application, "default", "app1", content,
                                                generation, owner_zone, local);
  const bool main_bodies = strategy->Strategy::main_matches(any_application, "default", "app1",
                                                            content, generation, owner_zone, local);
  RC_ASSERT(main_fast == main_bodies);
  const bool status_fast =
      strategy->status_matches(any_application, "default", "app1", content, zones, own_zone, local);
  const bool status_bodies = strategy->Strategy::status_matches(any_application, "default", "app1",
                                                                content, zones, own_zone, local);
  RC_ASSERT(status_fast == status_bodies);
}

TEST(AnyApplicationStrategy, AnObjectMatchesItsOwnStateAndNotAChangedOne) {
  const auto strategy = make_strategy(StrategyKind::anyapplication);
  const Json local = {{"metadata",
                       {{"name", "app1"},
                        {"namespace", "default"},
                        {"labels", {{owner_zone_label, "zone1"}}},
                        {"annotations", {{generation_annotation, "2"}}}}},
                      {"spec", {{"zones", 1}}},
                      {"status",
                       {{"ownership", {{"owner", "zone1"}, {"epoch", 1}}},
                        {"zones", Json::array({{{"zoneId", "zone1"}, {"version", 1}},
                                               {{"zoneId", "zone2"}, {"version", 4}}})}}}};
  Json content = strategy->owner_content(local);
  const auto zones = strategy->zone_entries(local);
  EXPECT_TRUE(
      strategy->main_matches(any_application, "default", "app1", content, 2, "zone1", local));
  EXPECT_FALSE(
      strategy->main_matches(any_application, "default", "app1", content, 3, "zone1", local));
  EXPECT_TRUE(
      strategy->status_matches(any_application, "default", "app1", content, zones, "zone1", local));
  Json newer_entry = *zones.at("zone2");
  newer_entry["version"] = 5;
  auto newer = zones;
  newer["zone2"] = &newer_entry;
  EXPECT_FALSE(
      strategy->status_matches(any_application, "default", "app1", content, newer, "zone1", local));
  Json own_entry = *zones.at("zone1");
  own_entry["version"] = 9;
  auto own_changed = zones;
  own_changed["zone1"] = &own_entry;  // our own entry is the local object's: not a difference
  EXPECT_TRUE(strategy->status_matches(any_application, "default", "app1", content, own_changed,
                                       "zone1", local));
  content["spec"]["zones"] = 2;
  EXPECT_FALSE(
      strategy->main_matches(any_application, "default", "app1", content, 2, "zone1", local));
}

}  // namespace
}  // namespace mesh::engine
