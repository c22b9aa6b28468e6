// ApiServer: the status subresource, delete preconditions, finalizers and deletionTimestamp,
// and namespaces (existence, auto-creation, cascading deletion).
#include <gtest/gtest.h>

#include "kube_sim/api_server.h"
#include "tests/kube_sim/test_support.h"

namespace mesh::kube_sim {
namespace {

using namespace testing;

json with_status(json object, const std::string& owner) {
  object["status"] = {{"ownership", {{"owner", owner}, {"epoch", 1}, {"state", "Placed"}}}};
  return object;
}

TEST(StatusSubresource, MainUpdateIgnoresStatus) {
  ApiServer server = make_server();
  ASSERT_TRUE(server.create(apps(), "default", make_app("web")).ok());
  const auto with = server.update_status(app_key("web"), with_status(make_app("web"), "zone-a"));
  ASSERT_TRUE(with.ok()) << with.error().message;
  json main = with_status(*with, "zone-b");
  main["spec"]["zones"] = 4;
  const auto updated = server.update(app_key("web"), main);
  ASSERT_TRUE(updated.ok());
  EXPECT_EQ((*updated)["spec"]["zones"], 4);
  EXPECT_EQ((*updated)["status"]["ownership"]["owner"], "zone-a");
  const auto patched = server.patch(app_key("web"), PatchType::merge, {{"status", nullptr}});
  ASSERT_TRUE(patched.ok());
  EXPECT_EQ((*patched)["status"]["ownership"]["owner"], "zone-a");
}

TEST(StatusSubresource, StatusUpdateIgnoresSpecAndMetadata) {
  ApiServer server = make_server();
  ASSERT_TRUE(server.create(apps(), "default", make_app("web", 1)).ok());
  json body = with_status(make_app("web", 9, {{"tier", "x"}}), "zone-a");
  const auto updated = server.update_status(app_key("web"), body);
  ASSERT_TRUE(updated.ok());
  EXPECT_EQ((*updated)["spec"]["zones"], 1);
  EXPECT_FALSE((*updated)["metadata"].contains("labels"));
  EXPECT_EQ((*updated)["status"]["ownership"]["owner"], "zone-a");
  const auto patched = server.patch_status(
      app_key("web"), PatchType::merge,
      {{"spec", {{"zones", 7}}}, {"status", {{"ownership", {{"owner", "zone-c"}}}}}});
  ASSERT_TRUE(patched.ok());
  EXPECT_EQ((*patched)["spec"]["zones"], 1);
  EXPECT_EQ((*patched)["status"]["ownership"]["owner"], "zone-c");
  EXPECT_EQ((*patched)["status"]["ownership"]["epoch"], 1);
}

TEST(StatusSubresource, StatusUpdateChecksResourceVersion) {
  ApiServer server = make_server();
  const auto created = server.create(apps(), "default", make_app("web"));
  ASSERT_TRUE(created.ok());
  ASSERT_TRUE(server.update_status(app_key("web"), with_status(*created, "a")).ok());
  EXPECT_TRUE(failed_with(server.update_status(app_key("web"), with_status(*created, "b")),
                          StatusReason::conflict));
}

TEST(StatusSubresource, TypesWithoutItHaveNoStatusEndpoint) {
  ApiServer server = make_server();
  json lease = {{"apiVersion", "coordination.k8s.io/v1"},
                {"kind", "Lease"},
                {"metadata", {{"name", "leader"}}}};
  ASSERT_TRUE(server.create(leases(), "default", lease).ok());
  EXPECT_TRUE(failed_with(server.update_status({leases(), "default", "leader"}, lease),
                          StatusReason::not_found));
}

TEST(Delete, PreconditionsOnUidAndResourceVersion) {
  ApiServer server = make_server();
  const auto created = server.create(apps(), "default", make_app("web"));
  ASSERT_TRUE(created.ok());
  const std::string uid = (*created)["metadata"]["uid"];
  const auto wrong_uid = server.remove(app_key("web"), {.uid = "other"});
  ASSERT_TRUE(failed_with(wrong_uid, StatusReason::conflict));
  EXPECT_NE(wrong_uid.error().message.find("Precondition failed: UID"), std::string::npos);
  EXPECT_TRUE(failed_with(server.remove(app_key("web"), {.resource_version = "1"}),
                          StatusReason::conflict));
  ASSERT_TRUE(server.get(app_key("web")).ok());
  const auto removed =
      server.remove(app_key("web"), {.uid = uid, .resource_version = rv_of(*created)});
  ASSERT_TRUE(removed.ok());
  EXPECT_TRUE(removed->removed);
  EXPECT_GT(rv_number(removed->object), rv_number(*created));
  EXPECT_TRUE(failed_with(server.get(app_key("web")), StatusReason::not_found));
  EXPECT_TRUE(failed_with(server.remove(app_key("web")), StatusReason::not_found));
}

TEST(Finalizers, DeleteSetsDeletionTimestampUntilLastFinalizerGoes) {
  ApiServer server = make_server();
  json object = make_app("web");
  object["metadata"]["finalizers"] = {"dcp.hiro.io/a", "dcp.hiro.io/b"};
  ASSERT_TRUE(server.create(apps(), "default", object).ok());
  server.set_time(WallTime::from_unix_ms(start_unix_ms + 5'000));
  const auto pending = server.remove(app_key("web"));
  ASSERT_TRUE(pending.ok());
  EXPECT_FALSE(pending->removed);
  EXPECT_EQ(pending->object["metadata"]["deletionTimestamp"], "2023-11-14T22:13:25Z");
  EXPECT_EQ(generation_of(pending->object), 2);
  // A second delete changes nothing.
  const auto again = server.remove(app_key("web"));
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(rv_of(again->object), rv_of(pending->object));
  json one_left = pending->object;
  one_left["metadata"]["finalizers"] = {"dcp.hiro.io/b"};
  const auto still = server.update(app_key("web"), one_left);
  ASSERT_TRUE(still.ok());
  ASSERT_TRUE(server.get(app_key("web")).ok());
  const auto last =
      server.patch(app_key("web"), PatchType::merge, {{"metadata", {{"finalizers", nullptr}}}});
  ASSERT_TRUE(last.ok());
  EXPECT_GT(rv_number(*last), rv_number(*still));
  EXPECT_TRUE(failed_with(server.get(app_key("web")), StatusReason::not_found));
}

TEST(Finalizers, NewFinalizersAreRefusedWhileDeleting) {
  ApiServer server = make_server();
  json object = make_app("web");
  object["metadata"]["finalizers"] = {"dcp.hiro.io/a"};
  ASSERT_TRUE(server.create(apps(), "default", object).ok());
  const auto pending = server.remove(app_key("web"));
  ASSERT_TRUE(pending.ok());
  json more = pending->object;
  more["metadata"]["finalizers"] = {"dcp.hiro.io/a", "dcp.hiro.io/new"};
  const auto refused = server.update(app_key("web"), more);
  ASSERT_TRUE(failed_with(refused, StatusReason::invalid));
  EXPECT_NE(refused.error().message.find("no new finalizers"), std::string::npos);
  // Other changes to a deleting object are allowed.
  json spec = pending->object;
  spec["spec"]["zones"] = 5;
  EXPECT_TRUE(server.update(app_key("web"), spec).ok());
}

TEST(Namespaces, AutoCreatedByDefault) {
  ApiServer server = make_server();
  ASSERT_TRUE(server.create(apps(), "team-a", make_app("web")).ok());
  const auto ns = server.get({namespaces(), "", "team-a"});
  ASSERT_TRUE(ns.ok());
  EXPECT_EQ((*ns)["status"]["phase"], "Active");
  EXPECT_TRUE(failed_with(server.create(apps(), "Bad_NS", make_app("web")), StatusReason::invalid));
}

TEST(Namespaces, MissingNamespaceIsNotFoundWithoutAutoCreate) {
  Options options = test_options();
  options.auto_create_namespaces = false;
  ApiServer server = make_server(options);
  const auto refused = server.create(apps(), "team-a", make_app("web"));
  ASSERT_TRUE(failed_with(refused, StatusReason::not_found));
  EXPECT_EQ(refused.error().message, "namespaces \"team-a\" not found");
  json ns = {{"apiVersion", "v1"}, {"kind", "Namespace"}, {"metadata", {{"name", "team-a"}}}};
  ASSERT_TRUE(server.create(namespaces(), "", ns).ok());
  EXPECT_TRUE(server.create(apps(), "team-a", make_app("web")).ok());
  EXPECT_TRUE(failed_with(server.create(namespaces(), "x", ns), StatusReason::bad_request));
  EXPECT_TRUE(failed_with(server.get({apps(), "", "web"}), StatusReason::bad_request));
}

TEST(Namespaces, DeleteCascadesAndWaitsForFinalizers) {
  ApiServer server = make_server();
  json held = make_app("held");
  held["metadata"]["finalizers"] = {"dcp.hiro.io/a"};
  ASSERT_TRUE(server.create(apps(), "team-a", held).ok());
  ASSERT_TRUE(server.create(apps(), "team-a", make_app("plain")).ok());
  ASSERT_TRUE(server.create(apps(), "team-b", make_app("other")).ok());
  const auto deleting = server.remove({namespaces(), "", "team-a"});
  ASSERT_TRUE(deleting.ok());
  EXPECT_FALSE(deleting->removed);
  EXPECT_EQ(deleting->object["status"]["phase"], "Terminating");
  EXPECT_TRUE(failed_with(server.get(app_key("plain", "team-a")), StatusReason::not_found));
  EXPECT_TRUE(
      failed_with(server.create(apps(), "team-a", make_app("new")), StatusReason::forbidden));
  const auto held_now = server.get(app_key("held", "team-a"));
  ASSERT_TRUE(held_now.ok());
  EXPECT_TRUE((*held_now)["metadata"].contains("deletionTimestamp"));
  ASSERT_TRUE(server
                  .patch(app_key("held", "team-a"), PatchType::merge,
                         {{"metadata", {{"finalizers", json::array()}}}})
                  .ok());
  EXPECT_TRUE(failed_with(server.get({namespaces(), "", "team-a"}), StatusReason::not_found));
  EXPECT_TRUE(server.get(app_key("other", "team-b")).ok());
}

TEST(Namespaces, DeleteCopesWithAnyStatusAClientWrote) {
  ApiServer server = make_server();
  ASSERT_TRUE(server.create(apps(), "team-a", make_app("web")).ok());
  const json odd = {{"apiVersion", "v1"},
                    {"kind", "Namespace"},
                    {"metadata", {{"name", "team-a"}, {"finalizers", {"x.io/hold"}}}},
                    {"status", "odd"}};
  ASSERT_TRUE(server.update_status({namespaces(), "", "team-a"}, odd).ok());
  const auto deleting = server.remove({namespaces(), "", "team-a"});
  ASSERT_TRUE(deleting.ok());
  EXPECT_EQ(deleting->object["status"]["phase"], "Terminating");
  EXPECT_TRUE(failed_with(server.get(app_key("web", "team-a")), StatusReason::not_found));
}

TEST(Namespaces, EmptyNamespaceDeletesAtOnce) {
  ApiServer server = make_server();
  ASSERT_TRUE(server.create(apps(), "team-a", make_app("web")).ok());
  ASSERT_TRUE(server.remove(app_key("web", "team-a")).ok());
  const auto removed = server.remove({namespaces(), "", "team-a"});
  ASSERT_TRUE(removed.ok());
  EXPECT_TRUE(removed->removed);
  EXPECT_EQ(server.object_count(), 0u);
}

}  // namespace
}  // namespace mesh::kube_sim
