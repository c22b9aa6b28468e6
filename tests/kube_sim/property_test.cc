// Properties over random input: malformed bodies never crash the server and always end in an
// object or a Status; the iterative merge patch equals a plain recursive RFC 7386 reference;
// zone managers applying only their own status.zones entries never conflict.
#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include <cmath>
#include <limits>
#include <ostream>

#include "kube_sim/api_server.h"
#include "kube_sim/field_set.h"
#include "kube_sim/merge_patch.h"
#include "tests/kube_sim/test_support.h"
#include "tests/support/json_gen.h"

namespace mesh::kube_sim {
namespace {

using namespace testing;

using Generated = test::GeneratedJson;
using test::wrapped;

// Keys that steer random objects into the places the server reads.
rc::Gen<std::string> gen_key() {
  return rc::gen::oneOf(
      rc::gen::element<std::string>("metadata", "name", "namespace", "labels", "annotations",
                                    "finalizers", "resourceVersion", "uid", "generateName", "spec",
                                    "status", "zones", "zoneId", "apiVersion", "kind", "ownership",
                                    "placements", "conditions", "type", "zone"),
      rc::gen::arbitrary<std::string>());
}

rc::Gen<json> gen_scalar() {
  return rc::gen::oneOf(
      rc::gen::just(json(nullptr)),
      rc::gen::map(rc::gen::arbitrary<bool>(), [](bool value) { return json(value); }),
      rc::gen::map(rc::gen::arbitrary<std::int64_t>(), [](std::int64_t v) { return json(v); }),
      rc::gen::map(rc::gen::arbitrary<double>(), [](double value) { return json(value); }),
      rc::gen::map(rc::gen::element(std::nan(""), std::numeric_limits<double>::infinity()),
                   [](double value) { return json(value); }),
      rc::gen::map(rc::gen::arbitrary<std::string>(), [](std::string v) { return json(v); }),
      rc::gen::map(rc::gen::element<std::string>("web", "a", "x.io/f", "", "\xff\xc0", "Web"),
                   [](std::string value) { return json(value); }));
}

// Random JSON of bounded depth and breadth.
rc::Gen<json> gen_json(int depth) {
  return test::gen_json_tree(gen_scalar(), gen_key(), depth, 4);
}

// A valid AnyApplication with one place replaced by random JSON, or entirely random JSON.
rc::Gen<json> gen_body() {
  const std::vector<std::vector<std::string>> paths = {{"metadata"},
                                                       {"metadata", "name"},
                                                       {"metadata", "labels"},
                                                       {"metadata", "labels", "app"},
                                                       {"metadata", "finalizers"},
                                                       {"metadata", "resourceVersion"},
                                                       {"metadata", "uid"},
                                                       {"spec"},
                                                       {"status"},
                                                       {"status", "zones"},
                                                       {"apiVersion"},
                                                       {"kind"},
                                                       {"metadata", "annotations"},
                                                       {"metadata", "generateName"},
                                                       {"metadata", "namespace"}};
  const auto mutated =
      rc::gen::map(rc::gen::pair(rc::gen::elementOf(paths), gen_json(2)), [](const auto& choice) {
        json body = make_app("web");
        json* node = &body;
        for (const std::string& step : choice.first) {
          if (!node->is_object()) *node = json::object();
          node = &(*node)[step];
        }
        *node = choice.second;
        return body;
      });
  return rc::gen::oneOf(mutated, mutated, gen_json(3));
}

ApiResult<json> send(ApiServer& server, int verb, const ObjectKey& key, const json& body) {
  const WriteOptions options{.field_manager = "fuzz", .force = verb % 2 == 0};
  switch (verb) {
    case 0: return server.create(apps(), key.namespace_name, body, options);
    case 1: return server.update(key, body, options);
    case 2: return server.update_status(key, body, options);
    case 3: return server.patch(key, PatchType::merge, body, options);
    case 4: return server.patch_status(key, PatchType::merge, body, options);
    case 5: return server.apply(key, body, options);
    default: return server.apply_status(key, body, options);
  }
}

// What every stored object must look like, whatever was sent.
void check_stored_objects(const ApiServer& server) {
  for (const json& object : server.snapshot(apps())) {
    const json& metadata = object.at("metadata");
    RC_ASSERT(metadata.at("name").is_string());
    RC_ASSERT(metadata.at("uid").get<std::string>().size() == 36u);
    RC_ASSERT(std::stoull(metadata.at("resourceVersion").get<std::string>()) <=
              server.resource_version());
    RC_ASSERT(object.at("kind").get<std::string>() == "AnyApplication");
    RC_ASSERT(!object.dump().empty());  // serializes without throwing
  }
}

RC_GTEST_PROP(KubeSimProperties, RandomBodiesNeverCrashAndEndInAnObjectOrAStatus, ()) {
  ApiServer server = make_server();
  RC_ASSERT(server.create(apps(), "default", make_app("web")).ok());
  const auto requests = *rc::gen::container<std::vector<std::pair<int, Generated>>>(
      rc::gen::pair(rc::gen::inRange(0, 7), wrapped(gen_body())));
  for (const auto& [verb, body] : requests) {
    const std::string name = *rc::gen::element<std::string>("web", "other", "Bad_Name");
    const ApiResult<json> result = send(server, verb, app_key(name), body.value);
    if (result.ok()) {
      RC_ASSERT(result->at("metadata").at("name").is_string());
    } else {
      RC_ASSERT(result.error().http_code() >= 400);
      RC_ASSERT(!result.error().message.empty());
      RC_ASSERT(!result.error().to_status().dump().empty());
    }
    check_stored_objects(server);
  }
  RC_ASSERT(server.create(apps(), "default", make_app("afterwards")).ok());
}

// The RFC 7386 pseudo-code, recursive on purpose: an oracle as plain as the spec.
json reference_merge_patch(json target, const json& patch) {
  if (!patch.is_object()) return patch;
  if (!target.is_object()) target = json::object();
  for (const auto& [name, value] : patch.items()) {
    if (value.is_null()) {
      target.erase(name);
    } else {
      target[name] = reference_merge_patch(target.contains(name) ? target[name] : json(), value);
    }
  }
  return target;
}

RC_GTEST_PROP(KubeSimProperties, MergePatchEqualsTheRfc7386Reference, ()) {
  const json target = (*wrapped(gen_json(3))).value;
  const json patch = (*wrapped(gen_json(3))).value;
  // Compared as text: NaN never equals itself, but serializes the same on both sides.
  const auto text = [](const json& value) {
    return value.dump(-1, ' ', false, json::error_handler_t::replace);
  };
  RC_ASSERT(text(merge_patched(target, patch)) == text(reference_merge_patch(target, patch)));
}

// Items for a list with a rule: mostly well-formed entries over few keys (so duplicates occur),
// sometimes a scalar, an item without its key, or random JSON; conditions nest inside.
rc::Gen<Generated> gen_rule_list(const std::string& key) {
  const auto item = rc::gen::oneOf(
      rc::gen::map(rc::gen::pair(rc::gen::inRange(0, 3), rc::gen::arbitrary<bool>()),
                   [key](std::pair<int, bool> pick) {
                     json entry = {{key, "z" + std::to_string(pick.first)}, {"version", 1}};
                     if (pick.second) {
                       entry["conditions"] = json::array({{{"type", "Local"}}, {{"type", "x"}}});
                     }
                     return entry;
                   }),
      rc::gen::just(json{{"version", 2}}), gen_scalar(), gen_json(2));
  return wrapped(rc::gen::map(rc::gen::container<std::vector<json>>(item),
                              [](std::vector<json> items) { return json(std::move(items)); }));
}

// check_list_rules() is what validation uses instead of collecting every field: it must refuse
// exactly the objects collect_fields() refuses, and say the same when there is one list.
RC_GTEST_PROP(KubeSimProperties, CheckListRulesRefusesExactlyWhatCollectFieldsRefuses, ()) {
  const std::vector<ListRule> rules = anyapplication_type().list_rules;
  json object = {{"metadata", {{"name", "web"}}}};
  const bool only_zones = *rc::gen::arbitrary<bool>();
  object["status"]["zones"] = (*gen_rule_list("zoneId")).value;
  if (!only_zones) {
    object["status"]["ownership"]["placements"] = (*gen_rule_list("zone")).value;
    object["status"]["conditions"] = (*gen_rule_list("type")).value;
    object["spec"] = (*wrapped(gen_json(2))).value;
  }
  const auto checked = check_list_rules(object, rules);
  const auto collected = collect_fields(object, rules);
  RC_ASSERT(checked.ok() == collected.ok());
  const bool nested = object["status"]["zones"]
                          .dump(-1, ' ', false, json::error_handler_t::replace)
                          .find("conditions") != std::string::npos;
  if (!checked.ok() && only_zones && !nested) RC_ASSERT(checked.error() == collected.error());
}

std::string fields_text(const FieldValues& fields) {
  std::string text;
  for (const auto& [path, value] : fields) {
    text += describe_field_path(path) + "=" +
            value.dump(-1, ' ', false, json::error_handler_t::replace) + "\n";
  }
  return text;
}

// collect_scoped_fields() walks in place what scoped() would copy: same fields, same verdict,
// same first error, for every scope.
RC_GTEST_PROP(KubeSimProperties, CollectScopedFieldsEqualsCollectingTheScopedCopy, ()) {
  const std::vector<ListRule> rules = anyapplication_type().list_rules;
  json object = {{"apiVersion", "dcp.hiro.io/v1"}, {"kind", "AnyApplication"}};
  object["metadata"] = {{"name", "web"}, {"resourceVersion", "7"}};
  if (*rc::gen::arbitrary<bool>()) object["metadata"]["labels"] = (*wrapped(gen_json(1))).value;
  if (*rc::gen::arbitrary<bool>()) object["metadata"]["finalizers"] = (*gen_rule_list("x")).value;
  object["status"]["zones"] = (*gen_rule_list("zoneId")).value;
  object["status"]["conditions"] = (*gen_rule_list("type")).value;
  object["spec"] = (*wrapped(gen_json(2))).value;
  object[*gen_key()] = (*wrapped(gen_json(1))).value;
  for (const FieldScope scope :
       {FieldScope::object, FieldScope::object_without_status, FieldScope::status}) {
    const auto in_place = collect_scoped_fields(object, scope, rules);
    const auto reference = collect_fields(scoped(object, scope), rules);
    RC_ASSERT(in_place.ok() == reference.ok());
    if (in_place.ok()) {
      // Compared as text: a NaN leaf is equal to itself only there.
      RC_ASSERT(fields_text(in_place.value()) == fields_text(reference.value()));
    } else {
      RC_ASSERT(in_place.error() == reference.error());
    }
  }
}

RC_GTEST_PROP(KubeSimProperties, ZoneManagersApplyingOwnEntriesNeverConflict, ()) {
  ApiServer server = make_server();
  RC_ASSERT(server.create(apps(), "default", make_app("web")).ok());
  const auto steps = *rc::gen::container<std::vector<std::pair<int, int>>>(
      rc::gen::pair(rc::gen::inRange(0, 4), rc::gen::inRange(-1, 5)));
  std::map<std::string, int> expected;  // zoneId -> version, for zones whose last act applied
  for (const auto& [zone_index, version] : steps) {
    const std::string zone = "z" + std::to_string(zone_index);
    json zones = json::array();
    if (version >= 0) zones.push_back({{"zoneId", zone}, {"version", version}});
    const json configuration = {{"apiVersion", "dcp.hiro.io/v1"},
                                {"kind", "AnyApplication"},
                                {"metadata", {{"name", "web"}}},
                                {"status", {{"zones", zones}}}};
    const auto result =
        server.apply_status(app_key("web"), configuration, {.field_manager = "zone-" + zone});
    RC_ASSERT(result.ok());
    if (version >= 0) {
      expected[zone] = version;
    } else {
      expected.erase(zone);
    }
  }
  const auto object = server.get(app_key("web"));
  RC_ASSERT(object.ok());
  std::map<std::string, int> actual;
  const json status = object->value("status", json::object());
  for (const json& entry : status.value("zones", json::array())) {
    actual[entry.at("zoneId").get<std::string>()] = entry.at("version").get<int>();
  }
  RC_ASSERT(actual == expected);
}

}  // namespace
}  // namespace mesh::kube_sim
