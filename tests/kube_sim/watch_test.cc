// Watches: event types, synthetic ADDED from "" and "0", replay from a resourceVersion, 410
// after compaction or history overflow, bookmarks, queue overflow, selectors and drops.
#include "kube_sim/watch.h"

#include <gtest/gtest.h>

#include "kube_sim/api_server.h"
#include "tests/kube_sim/test_support.h"

namespace mesh::kube_sim {
namespace {

using namespace testing;
using Names = std::vector<std::string>;

WatchId open(ApiServer& server, WatchRequest request) {
  const auto id = server.watch(request);
  EXPECT_TRUE(id.ok()) << (id.ok() ? "" : id.error().message);
  return id.ok() ? *id : WatchId{};
}

TEST(Watch, ReportsAddedModifiedDeletedWithObjects) {
  ApiServer server = make_server();
  const WatchId id = open(server, {.resource = apps(), .resource_version = "1"});
  const auto created = server.create(apps(), "default", make_app("web"));
  ASSERT_TRUE(created.ok());
  ASSERT_TRUE(server.patch(app_key("web"), PatchType::merge, {{"spec", {{"zones", 2}}}}).ok());
  const auto removed = server.remove(app_key("web"));
  ASSERT_TRUE(removed.ok());
  const std::vector<WatchEvent> events = drain(server, id);
  EXPECT_EQ(event_names(events), (Names{"ADDED web", "MODIFIED web", "DELETED web"}));
  ASSERT_EQ(events.size(), 3u);
  EXPECT_EQ(events[0].object, *created);
  EXPECT_EQ(events[1].object["spec"]["zones"], 2);
  EXPECT_EQ(events[2].object, removed->object);
  EXPECT_LT(rv_number(events[0].object), rv_number(events[1].object));
  EXPECT_LT(rv_number(events[1].object), rv_number(events[2].object));
  EXPECT_EQ(events[2].to_json()["type"], "DELETED");
  EXPECT_FALSE(server.poll_watch(id).has_value());
  EXPECT_TRUE(server.request_count(Verb::watch, 200) == 1);
}

TEST(Watch, EmptyAndZeroVersionsStartWithSyntheticAdded) {
  ApiServer server = make_server();
  ASSERT_TRUE(server.create(apps(), "default", make_app("b")).ok());
  ASSERT_TRUE(server.create(apps(), "default", make_app("a")).ok());
  for (const char* version : {"", "0"}) {
    const WatchId id = open(server, {.resource = apps(), .resource_version = version});
    EXPECT_EQ(event_names(drain(server, id)), (Names{"ADDED a", "ADDED b"})) << version;
  }
  // Namespaces were auto-created: their watch sees them too.
  const WatchId ns = open(server, {.resource = namespaces()});
  EXPECT_EQ(event_names(drain(server, ns)), (Names{"ADDED default"}));
}

TEST(Watch, ReplaysEverythingAfterTheGivenVersion) {
  ApiServer server = make_server();
  ASSERT_TRUE(server.create(apps(), "default", make_app("a")).ok());
  const auto b = server.create(apps(), "default", make_app("b"));
  ASSERT_TRUE(b.ok());
  ASSERT_TRUE(server.create(apps(), "default", make_app("c")).ok());
  ASSERT_TRUE(server.remove(app_key("a")).ok());
  const WatchId id = open(server, {.resource = apps(), .resource_version = rv_of(*b)});
  EXPECT_EQ(event_names(drain(server, id)), (Names{"ADDED c", "DELETED a"}));
  const WatchId current = open(
      server, {.resource = apps(), .resource_version = std::to_string(server.resource_version())});
  EXPECT_TRUE(drain(server, current).empty());
}

TEST(Watch, VersionOutsideTheServersRangeIsAnError) {
  ApiServer server = make_server();
  ASSERT_TRUE(server.create(apps(), "default", make_app("a")).ok());
  const std::string future = std::to_string(server.resource_version() + 1);
  EXPECT_TRUE(failed_with(server.watch({.resource = apps(), .resource_version = future}),
                          StatusReason::timeout));
  EXPECT_TRUE(failed_with(server.watch({.resource = apps(), .resource_version = "abc"}),
                          StatusReason::bad_request));
  EXPECT_TRUE(failed_with(server.watch({.resource = apps(), .label_selector = "a in"}),
                          StatusReason::bad_request));
}

TEST(Watch, CompactionMakesOlderVersionsGone) {
  ApiServer server = make_server();
  const auto a = server.create(apps(), "default", make_app("a"));
  ASSERT_TRUE(a.ok());
  ASSERT_TRUE(server.create(apps(), "default", make_app("b")).ok());
  server.compact_history();
  const auto gone = server.watch({.resource = apps(), .resource_version = rv_of(*a)});
  ASSERT_TRUE(failed_with(gone, StatusReason::gone));
  EXPECT_EQ(gone.error().http_code(), 410);
  EXPECT_NE(gone.error().message.find("too old resource version"), std::string::npos);
  const WatchId fresh = open(
      server, {.resource = apps(), .resource_version = std::to_string(server.resource_version())});
  ASSERT_TRUE(server.create(apps(), "default", make_app("c")).ok());
  EXPECT_EQ(event_names(drain(server, fresh)), (Names{"ADDED c"}));
}

TEST(Watch, HistoryOverflowCompactsTheOldestChanges) {
  Options options = test_options();
  options.watch_history_max = 3;
  ApiServer server = make_server(options);
  const auto first = server.create(apps(), "default", make_app("a"));
  ASSERT_TRUE(first.ok());
  std::vector<std::string> versions;
  for (const char* name : {"b", "c", "d"}) {
    const auto created = server.create(apps(), "default", make_app(name));
    ASSERT_TRUE(created.ok());
    versions.push_back(rv_of(*created));
  }
  // Changes after "a" are retained; "a" itself is the compaction point.
  EXPECT_TRUE(
      failed_with(server.watch({.resource = apps(), .resource_version = "1"}), StatusReason::gone));
  const WatchId id = open(server, {.resource = apps(), .resource_version = rv_of(*first)});
  EXPECT_EQ(event_names(drain(server, id)), (Names{"ADDED b", "ADDED c", "ADDED d"}));
}

TEST(Watch, BookmarksCarryOnlyTheResourceVersion) {
  ApiServer server = make_server();
  const WatchId with = open(server, {.resource = apps(), .allow_bookmarks = true});
  const WatchId without = open(server, {.resource = apps()});
  ASSERT_TRUE(server
                  .create(leases(), "default",
                          {{"apiVersion", "coordination.k8s.io/v1"},
                           {"kind", "Lease"},
                           {"metadata", {{"name", "l"}}}})
                  .ok());
  server.emit_bookmarks();
  server.emit_bookmarks();  // coalesces with the bookmark still queued
  const std::vector<WatchEvent> events = drain(server, with);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].type, WatchEventType::bookmark);
  EXPECT_EQ(events[0].object,
            (json{{"apiVersion", "dcp.hiro.io/v1"},
                  {"kind", "AnyApplication"},
                  {"metadata", {{"resourceVersion", std::to_string(server.resource_version())}}}}));
  EXPECT_TRUE(drain(server, without).empty());
}

TEST(Watch, BookmarksFollowTheConfiguredInterval) {
  Options options = test_options();
  options.bookmark_interval = Duration::from_seconds(60);
  ApiServer server = make_server(options);
  const WatchId id = open(server, {.resource = apps(), .allow_bookmarks = true});
  server.set_time(WallTime::from_unix_ms(start_unix_ms + 30'000));
  EXPECT_TRUE(drain(server, id).empty());
  server.set_time(WallTime::from_unix_ms(start_unix_ms + 60'000));
  EXPECT_EQ(event_names(drain(server, id)), (Names{"BOOKMARK"}));
  server.set_time(WallTime::from_unix_ms(start_unix_ms + 90'000));
  EXPECT_TRUE(drain(server, id).empty());
}

}  // namespace
}  // namespace mesh::kube_sim
