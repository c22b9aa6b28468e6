// Watches: label selector transitions, namespace filters, queue overflow, drops and stops.
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

json relabel(const std::string& value) {
  return {{"metadata", {{"labels", {{"app", value}}}}}};
}

TEST(WatchFilter, LabelTransitionsBecomeAddedAndDeleted) {
  ApiServer server = make_server();
  ASSERT_TRUE(server.create(apps(), "default", make_app("x", 1, {{"app", "db"}})).ok());
  const WatchId id = open(server, {.resource = apps(), .label_selector = "app=web"});
  EXPECT_EQ(event_names(drain(server, id)), Names{});
  ASSERT_TRUE(server.patch(app_key("x"), PatchType::merge, relabel("web")).ok());
  ASSERT_TRUE(server.patch(app_key("x"), PatchType::merge, {{"spec", {{"zones", 4}}}}).ok());
  ASSERT_TRUE(server.patch(app_key("x"), PatchType::merge, relabel("db")).ok());
  ASSERT_TRUE(server.patch(app_key("x"), PatchType::merge, {{"spec", {{"zones", 5}}}}).ok());
  const std::vector<WatchEvent> events = drain(server, id);
  EXPECT_EQ(event_names(events), (Names{"ADDED x", "MODIFIED x", "DELETED x"}));
  ASSERT_EQ(events.size(), 3u);
  EXPECT_EQ(events[2].object["metadata"]["labels"]["app"], "db");  // the object as it is now
}

TEST(WatchFilter, NamespaceFilter) {
  ApiServer server = make_server();
  const WatchId one = open(server, {.resource = apps(), .namespace_name = "team-a"});
  const WatchId all = open(server, {.resource = apps()});
  ASSERT_TRUE(server.create(apps(), "team-a", make_app("a")).ok());
  ASSERT_TRUE(server.create(apps(), "team-b", make_app("b")).ok());
  EXPECT_EQ(event_names(drain(server, one)), (Names{"ADDED a"}));
  EXPECT_EQ(event_names(drain(server, all)), (Names{"ADDED a", "ADDED b"}));
  EXPECT_TRUE(failed_with(server.watch({.resource = namespaces(), .namespace_name = "x"}),
                          StatusReason::bad_request));
}

TEST(WatchFilter, QueueOverflowTerminatesWithGoneThenClosed) {
  Options options = test_options();
  options.watch_queue_events_max = 2;
  ApiServer server = make_server(options);
  const WatchId slow = open(server, {.resource = apps()});
  const WatchId fast = open(server, {.resource = apps()});
  for (const char* name : {"a", "b", "c"}) {
    ASSERT_TRUE(server.create(apps(), "default", make_app(name)).ok());
    (void)drain(server, fast);
  }
  const std::vector<WatchEvent> events = drain(server, slow);
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].type, WatchEventType::error);
  EXPECT_EQ(events[0].object["kind"], "Status");
  EXPECT_EQ(events[0].object["code"], 410);
  EXPECT_EQ(events[0].object["reason"], "Gone");
  EXPECT_EQ(events[1].type, WatchEventType::closed);
  // A closed watch stays closed.
  ASSERT_TRUE(server.create(apps(), "default", make_app("d")).ok());
  const auto after = server.poll_watch(slow);
  ASSERT_TRUE(after.has_value());
  EXPECT_EQ(after->type, WatchEventType::closed);
  EXPECT_EQ(event_names(drain(server, fast)), (Names{"ADDED d"}));
}

TEST(WatchFilter, DropClosesAndLosesQueuedEvents) {
  ApiServer server = make_server();
  const WatchId quiet = open(server, {.resource = apps()});
  const WatchId loud = open(server, {.resource = apps()});
  const WatchId other = open(server, {.resource = apps()});
  ASSERT_TRUE(server.create(apps(), "default", make_app("a")).ok());
  server.drop_watch(quiet);
  server.drop_watch(loud, WatchDrop::gone_error);
  EXPECT_EQ(event_names(drain(server, quiet)), (Names{"CLOSED"}));
  EXPECT_EQ(event_names(drain(server, loud)), (Names{"ERROR", "CLOSED"}));
  EXPECT_EQ(event_names(drain(server, other)), (Names{"ADDED a"}));
  server.drop_all_watches();
  EXPECT_EQ(event_names(drain(server, other)), (Names{"CLOSED"}));
  EXPECT_EQ(server.watch_count(), 0u);
}

TEST(WatchFilter, StoppedWatchGetsNothingMore) {
  ApiServer server = make_server();
  const WatchId id = open(server, {.resource = apps()});
  server.stop_watch(id);
  ASSERT_TRUE(server.create(apps(), "default", make_app("a")).ok());
  EXPECT_EQ(event_names(drain(server, id)), (Names{"CLOSED"}));
  EXPECT_EQ(server.watch_count(), 0u);
}

TEST(WatchFilter, WatchLimitIsTooManyRequests) {
  ApiServer server = make_server();
  for (std::size_t index = 0; index < watches_max; index++) {
    ASSERT_TRUE(server.watch({.resource = apps()}).ok());
  }
  const auto refused = server.watch({.resource = apps()});
  ASSERT_TRUE(failed_with(refused, StatusReason::too_many_requests));
  EXPECT_EQ(refused.error().http_code(), 429);
}

}  // namespace
}  // namespace mesh::kube_sim
