// ApiServer: server-set metadata, CRUD verbs, optimistic concurrency, the status subresource,
// finalizers, namespaces, validation and inspection helpers.
#include "kube_sim/api_server.h"

#include <gtest/gtest.h>

#include "tests/kube_sim/test_support.h"

namespace mesh::kube_sim {
namespace {

using namespace testing;

TEST(ApiServerCreate, SetsServerMetadata) {
  ApiServer server = make_server();
  const auto created = server.create(apps(), "default", make_app("web"));
  ASSERT_TRUE(created.ok()) << created.error().message;
  const json& metadata = (*created)["metadata"];
  EXPECT_EQ(metadata["name"], "web");
  EXPECT_EQ(metadata["namespace"], "default");
  EXPECT_EQ(metadata["generation"], 1);
  EXPECT_EQ(metadata["creationTimestamp"], "2023-11-14T22:13:20Z");
  const std::string uid = metadata["uid"];
  ASSERT_EQ(uid.size(), 36u);
  EXPECT_EQ(uid[8], '-');
  EXPECT_EQ(uid[14], '4');  // version-4 shaped
  EXPECT_GT(rv_number(*created), 1u);
  ASSERT_TRUE(metadata.contains("managedFields"));
  EXPECT_EQ(metadata["managedFields"][0]["manager"], "unknown");
  EXPECT_EQ(metadata["managedFields"][0]["operation"], "Update");
  const auto fetched = server.get(app_key("web"));
  ASSERT_TRUE(fetched.ok());
  EXPECT_EQ(*fetched, *created);
}

TEST(ApiServerCreate, SecondCreateOfSameNameIsAlreadyExists) {
  ApiServer server = make_server();
  ASSERT_TRUE(server.create(apps(), "default", make_app("web")).ok());
  const auto again = server.create(apps(), "default", make_app("web"));
  ASSERT_TRUE(failed_with(again, StatusReason::already_exists));
  EXPECT_EQ(again.error().http_code(), 409);
  EXPECT_EQ(again.error().message, "anyapplications.dcp.hiro.io \"web\" already exists");
  // The same name in another namespace is a different object.
  EXPECT_TRUE(server.create(apps(), "other", make_app("web")).ok());
}

TEST(ApiServerCreate, UidsDifferAndFollowTheSeed) {
  ApiServer first = make_server(test_options(5));
  ApiServer second = make_server(test_options(5));
  ApiServer third = make_server(test_options(6));
  const auto a = first.create(apps(), "default", make_app("a"));
  const auto b = first.create(apps(), "default", make_app("b"));
  const auto a_again = second.create(apps(), "default", make_app("a"));
  const auto a_other_seed = third.create(apps(), "default", make_app("a"));
  ASSERT_TRUE(a.ok() && b.ok() && a_again.ok() && a_other_seed.ok());
  EXPECT_NE((*a)["metadata"]["uid"], (*b)["metadata"]["uid"]);
  EXPECT_EQ((*a)["metadata"]["uid"], (*a_again)["metadata"]["uid"]);
  EXPECT_NE((*a)["metadata"]["uid"], (*a_other_seed)["metadata"]["uid"]);
}

TEST(ApiServerCreate, GenerateNameAppendsFiveCharacterSuffix) {
  ApiServer server = make_server();
  json object = make_app("");
  object["metadata"].erase("name");
  object["metadata"]["generateName"] = "web-";
  const auto first = server.create(apps(), "default", object);
  const auto second = server.create(apps(), "default", object);
  ASSERT_TRUE(first.ok() && second.ok());
  const std::string name = (*first)["metadata"]["name"];
  EXPECT_EQ(name.size(), 9u);
  EXPECT_EQ(name.substr(0, 4), "web-");
  EXPECT_NE((*first)["metadata"]["name"], (*second)["metadata"]["name"]);
  EXPECT_EQ((*first)["metadata"]["generateName"], "web-");
  object["metadata"].erase("generateName");
  EXPECT_TRUE(failed_with(server.create(apps(), "default", object), StatusReason::invalid));
}

TEST(ApiServerCreate, ResourceVersionInBodyIsRejected) {
  ApiServer server = make_server();
  json object = make_app("web");
  object["metadata"]["resourceVersion"] = "5";
  EXPECT_TRUE(failed_with(server.create(apps(), "default", object), StatusReason::bad_request));
}

TEST(ApiServerCreate, StatusIsDroppedWhenItIsASubresource) {
  ApiServer server = make_server();
  json object = make_app("web");
  object["status"] = {{"ownership", {{"owner", "zone-a"}}}};
  const auto created = server.create(apps(), "default", object);
  ASSERT_TRUE(created.ok());
  EXPECT_FALSE(created->contains("status"));
  // Leases have no status subresource: their whole body is kept.
  json lease = {{"apiVersion", "coordination.k8s.io/v1"},
                {"kind", "Lease"},
                {"metadata", {{"name", "leader"}}},
                {"spec", {{"holderIdentity", "a"}}},
                {"status", {{"x", 1}}}};
  const auto lease_created = server.create(leases(), "default", lease);
  ASSERT_TRUE(lease_created.ok());
  EXPECT_EQ((*lease_created)["status"]["x"], 1);
}

TEST(ApiServerGet, MissingObjectIsNotFoundAndUnknownTypeToo) {
  ApiServer server = make_server();
  const auto missing = server.get(app_key("nope"));
  ASSERT_TRUE(failed_with(missing, StatusReason::not_found));
  EXPECT_EQ(missing.error().message, "anyapplications.dcp.hiro.io \"nope\" not found");
  EXPECT_EQ(missing.error().to_status()["code"], 404);
  EXPECT_EQ(missing.error().to_status()["details"]["kind"], "anyapplications");
  const ObjectKey unknown{{"example.com", "v1", "widgets"}, "default", "w"};
  EXPECT_TRUE(failed_with(server.get(unknown), StatusReason::not_found));
}

TEST(ApiServerResourceVersion, StrictlyIncreasesOnEveryWriteAndNotOnReads) {
  ApiServer server = make_server();
  std::uint64_t last = server.resource_version();
  const auto expect_bump = [&](const json& object) {
    EXPECT_GT(rv_number(object), last);
    EXPECT_EQ(rv_number(object), server.resource_version());
    last = rv_number(object);
  };
  const auto created = server.create(apps(), "default", make_app("web"));
  ASSERT_TRUE(created.ok());
  expect_bump(*created);
  json changed = *created;
  changed["spec"]["zones"] = 2;
  const auto updated = server.update(app_key("web"), changed);
  ASSERT_TRUE(updated.ok());
  expect_bump(*updated);
  const auto patched =
      server.patch(app_key("web"), PatchType::merge, {{"metadata", {{"labels", {{"a", "b"}}}}}});
  ASSERT_TRUE(patched.ok());
  expect_bump(*patched);
  ASSERT_TRUE(server.get(app_key("web")).ok());
  ASSERT_TRUE(server.list({.resource = apps()}).ok());
  EXPECT_EQ(server.resource_version(), last);
  const auto removed = server.remove(app_key("web"));
  ASSERT_TRUE(removed.ok());
  expect_bump(removed->object);
}

TEST(ApiServerUpdate, NoOpUpdateKeepsResourceVersion) {
  ApiServer server = make_server();
  const auto created = server.create(apps(), "default", make_app("web"));
  ASSERT_TRUE(created.ok());
  const auto same = server.update(app_key("web"), *created);
  ASSERT_TRUE(same.ok());
  EXPECT_EQ(rv_of(*same), rv_of(*created));
  EXPECT_EQ(*same, *created);
}

TEST(ApiServerUpdate, StaleResourceVersionIsConflict) {
  ApiServer server = make_server();
  const auto created = server.create(apps(), "default", make_app("web"));
  ASSERT_TRUE(created.ok());
  json first = *created;
  first["spec"]["zones"] = 2;
  ASSERT_TRUE(server.update(app_key("web"), first).ok());
  json stale = *created;  // still carries the first resourceVersion
  stale["spec"]["zones"] = 3;
  const auto conflict = server.update(app_key("web"), stale);
  ASSERT_TRUE(failed_with(conflict, StatusReason::conflict));
  EXPECT_NE(conflict.error().message.find("the object has been modified"), std::string::npos);
  // Without a resourceVersion the update is unconditional.
  stale["metadata"].erase("resourceVersion");
  const auto forced = server.update(app_key("web"), stale);
  ASSERT_TRUE(forced.ok());
  EXPECT_EQ((*forced)["spec"]["zones"], 3);
}

TEST(ApiServerUpdate, MissingObjectIsNotFoundAndNameMustMatchUrl) {
  ApiServer server = make_server();
  EXPECT_TRUE(failed_with(server.update(app_key("web"), make_app("web")), StatusReason::not_found));
  ASSERT_TRUE(server.create(apps(), "default", make_app("web")).ok());
  EXPECT_TRUE(
      failed_with(server.update(app_key("web"), make_app("other")), StatusReason::bad_request));
}

TEST(ApiServerUpdate, ServerOwnedMetadataCannotBeChanged) {
  ApiServer server = make_server();
  const auto created = server.create(apps(), "default", make_app("web"));
  ASSERT_TRUE(created.ok());
  json changed = *created;
  changed["metadata"]["creationTimestamp"] = "2000-01-01T00:00:00Z";
  changed["metadata"]["generation"] = 42;
  changed["metadata"]["labels"] = {{"tier", "front"}};
  const auto updated = server.update(app_key("web"), changed);
  ASSERT_TRUE(updated.ok());
  EXPECT_EQ((*updated)["metadata"]["creationTimestamp"], "2023-11-14T22:13:20Z");
  EXPECT_EQ(generation_of(*updated), 1);
  EXPECT_EQ((*updated)["metadata"]["labels"]["tier"], "front");
  changed["metadata"]["uid"] = "00000000-0000-4000-8000-000000000000";
  changed["metadata"].erase("resourceVersion");
  EXPECT_TRUE(failed_with(server.update(app_key("web"), changed), StatusReason::conflict));
}

TEST(ApiServerWrite, AnswersWithTheStoredVersionTheWatchesSee) {
  ApiServer server = make_server();
  const auto watch = server.watch({.resource = apps()});
  ASSERT_TRUE(watch.ok());
  const auto created =
      server.write({.verb = Verb::create, .key = {apps(), "default", ""}}, make_app("web"));
  ASSERT_TRUE(created.ok()) << created.error().message;
  ASSERT_NE(created.value(), nullptr);
  const auto added = server.poll_watch_shared(*watch);
  ASSERT_TRUE(added.has_value());
  EXPECT_EQ(added->object, created.value());  // one version, not a copy of it
  json body = *created.value();
  body["status"] = {{"ownership", {{"owner", "zone1"}}}};
  const auto written = server.write(
      {.verb = Verb::update, .subresource = Subresource::status, .key = app_key("web")}, body);
  ASSERT_TRUE(written.ok()) << written.error().message;
  const auto modified = server.poll_watch_shared(*watch);
  ASSERT_TRUE(modified.has_value());
  EXPECT_EQ(modified->object, written.value());
  EXPECT_EQ((*written.value())["status"]["ownership"]["owner"], "zone1");
  // The same write again changes nothing and answers with the version it left in place.
  const auto again = server.write(
      {.verb = Verb::update, .subresource = Subresource::status, .key = app_key("web")},
      *written.value());
  ASSERT_TRUE(again.ok()) << again.error().message;
  EXPECT_EQ(again.value(), written.value());
  EXPECT_FALSE(server.poll_watch_shared(*watch).has_value());
  EXPECT_EQ(server.request_count(Verb::create, 201), 1u);
  EXPECT_EQ(server.request_count(Verb::update, 200), 2u);
}

// Versions keep the field ownership beside the object: the shared answers are the kept object
// (no managedFields), every copy renders them, and nothing else differs between the two.
TEST(ApiServerWrite, SharedAnswersLeaveManagedFieldsToCopies) {
  ApiServer server = make_server();
  const auto shared_watch = server.watch({.resource = apps()});
  const auto copying_watch = server.watch({.resource = apps()});
  ASSERT_TRUE(shared_watch.ok() && copying_watch.ok());
  const auto created = server.write(
      {.verb = Verb::create, .key = {apps(), "default", ""}, .options = {.field_manager = "me"}},
      make_app("web"));
  ASSERT_TRUE(created.ok()) << created.error().message;
  EXPECT_FALSE((*created.value())["metadata"].contains("managedFields"));
  const auto read = server.get(app_key("web"));
  ASSERT_TRUE(read.ok());
  const json& rendered = (*read)["metadata"]["managedFields"];
  ASSERT_EQ(rendered.size(), 1u);
  EXPECT_EQ(rendered[0]["manager"], "me");
  json with_fields = *created.value();
  with_fields["metadata"]["managedFields"] = rendered;
  EXPECT_EQ(with_fields, *read);
  const auto read_shared = server.get_shared(app_key("web"));
  ASSERT_TRUE(read_shared.ok());
  EXPECT_EQ(read_shared.value(), created.value());  // the one version, not a copy
  const auto shared_event = server.poll_watch_shared(*shared_watch);
  ASSERT_TRUE(shared_event.has_value());
  EXPECT_EQ(shared_event->object, created.value());
  const auto copied_event = server.poll_watch(*copying_watch);
  ASSERT_TRUE(copied_event.has_value());
  EXPECT_EQ(copied_event->object, *read);
  ASSERT_EQ(server.snapshot(apps()).size(), 1u);
  EXPECT_EQ(server.snapshot(apps())[0], *read);
  ASSERT_EQ(server.snapshot_shared(apps()).size(), 1u);
  EXPECT_EQ(server.snapshot_shared(apps())[0], created.value());
  EXPECT_EQ(server.request_count(Verb::get, 200), 2u);  // get_shared is a get too
}

// A managedFields member a client sends is not kept, whatever the verb: the server renders its
// own from the field ownership.
TEST(ApiServerWrite, ClientManagedFieldsAreReplaced) {
  ApiServer server = make_server();
  json body = make_app("web");
  body["metadata"]["managedFields"] = json::array({{{"manager", "forged"}}});
  const auto created = server.create(apps(), "default", body, {.field_manager = "me"});
  ASSERT_TRUE(created.ok()) << created.error().message;
  ASSERT_EQ((*created)["metadata"]["managedFields"].size(), 1u);
  EXPECT_EQ((*created)["metadata"]["managedFields"][0]["manager"], "me");
  json configuration = make_app("web");
  configuration["metadata"]["managedFields"] = json::array({{{"manager", "forged"}}});
  configuration["metadata"]["labels"] = {{"tier", "front"}};
  const auto applied = server.apply(app_key("web"), configuration, {.field_manager = "applier"});
  ASSERT_TRUE(applied.ok()) << applied.error().message;
  for (const json& entry : (*applied)["metadata"]["managedFields"]) {
    EXPECT_NE(entry["manager"], "forged");
  }
  const auto shared = server.get_shared(app_key("web"));
  ASSERT_TRUE(shared.ok());
  EXPECT_FALSE((*shared.value())["metadata"].contains("managedFields"));
}

TEST(ApiServerWrite, MisaddressedWritesAreBadRequests) {
  ApiServer server = make_server();
  const auto named = server.write({.verb = Verb::create, .key = app_key("web")}, make_app("web"));
  ASSERT_TRUE(failed_with(named, StatusReason::bad_request));
  EXPECT_EQ(named.error().message,
            "create addresses a collection: the name \"web\" belongs in the body's metadata");
  const auto status = server.write(
      {.verb = Verb::create, .subresource = Subresource::status, .key = {apps(), "default", ""}},
      make_app("web"));
  ASSERT_TRUE(failed_with(status, StatusReason::bad_request));
  EXPECT_EQ(status.error().message, "create takes the main resource, not its status subresource");
  const auto read = server.write({.verb = Verb::get, .key = app_key("web")}, make_app("web"));
  ASSERT_TRUE(failed_with(read, StatusReason::bad_request));
  EXPECT_EQ(read.error().message, "a write is a create, update or patch, not get");
  EXPECT_EQ(server.object_count(), 0u);  // not even the namespace a create would make
}

TEST(ApiServerGeneration, BumpsOnSpecChangesOnly) {
  ApiServer server = make_server();
  const auto created = server.create(apps(), "default", make_app("web"));
  ASSERT_TRUE(created.ok());
  EXPECT_EQ(generation_of(*created), 1);
  const auto labelled =
      server.patch(app_key("web"), PatchType::merge, {{"metadata", {{"labels", {{"a", "b"}}}}}});
  ASSERT_TRUE(labelled.ok());
  EXPECT_EQ(generation_of(*labelled), 1);
  const auto status = server.patch_status(app_key("web"), PatchType::merge,
                                          {{"status", {{"ownership", {{"owner", "a"}}}}}});
  ASSERT_TRUE(status.ok());
  EXPECT_EQ(generation_of(*status), 1);
  const auto spec = server.patch(app_key("web"), PatchType::merge, {{"spec", {{"zones", 3}}}});
  ASSERT_TRUE(spec.ok());
  EXPECT_EQ(generation_of(*spec), 2);
  const auto top_level = server.patch(app_key("web"), PatchType::merge, {{"extra", true}});
  ASSERT_TRUE(top_level.ok());
  EXPECT_EQ(generation_of(*top_level), 3);
}

TEST(ApiServerGeneration, StatusCountsForTypesWithoutStatusSubresource) {
  ApiServer server = make_server();
  json lease = {{"apiVersion", "coordination.k8s.io/v1"},
                {"kind", "Lease"},
                {"metadata", {{"name", "leader"}}},
                {"spec", {{"holderIdentity", "a"}}}};
  ASSERT_TRUE(server.create(leases(), "default", lease).ok());
  const auto patched =
      server.patch({leases(), "default", "leader"}, PatchType::merge, {{"status", {{"x", 1}}}});
  ASSERT_TRUE(patched.ok());
  EXPECT_EQ(generation_of(*patched), 2);
}

}  // namespace
}  // namespace mesh::kube_sim
