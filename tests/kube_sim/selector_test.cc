// LabelSelector parsing and matching, and list requests (namespaces, selectors, versions).
#include "kube_sim/selector.h"

#include <gtest/gtest.h>

#include "kube_sim/api_server.h"
#include "tests/kube_sim/test_support.h"

namespace mesh::kube_sim {
namespace {

using namespace testing;

bool selects(std::string_view text, const json& labels) {
  const auto selector = LabelSelector::parse(text);
  EXPECT_TRUE(selector.ok()) << text << ": " << (selector.ok() ? "" : selector.error());
  return selector.ok() && selector->matches(labels);
}

const json web = {{"app", "web"}, {"tier", "front"}};
const json db = {{"app", "db"}};
const json none = nullptr;

TEST(LabelSelector, EqualityOperators) {
  EXPECT_TRUE(selects("app=web", web));
  EXPECT_TRUE(selects("app==web", web));
  EXPECT_FALSE(selects("app=web", db));
  EXPECT_FALSE(selects("app=web", none));
  EXPECT_TRUE(selects("app!=web", db));
  EXPECT_FALSE(selects("app!=web", web));
  EXPECT_TRUE(selects("app!=web", none));  // != matches objects without the key
}

TEST(LabelSelector, SetOperators) {
  EXPECT_TRUE(selects("app in (db,web)", web));
  EXPECT_TRUE(selects("app in (db, web)", db));
  EXPECT_FALSE(selects("app in (cache)", web));
  EXPECT_FALSE(selects("app in (web)", none));
  EXPECT_TRUE(selects("app notin (db)", web));
  EXPECT_FALSE(selects("app notin (db,web)", web));
  EXPECT_TRUE(selects("app notin (db)", none));  // notin matches objects without the key
}

TEST(LabelSelector, ExistenceOperators) {
  EXPECT_TRUE(selects("tier", web));
  EXPECT_FALSE(selects("tier", db));
  EXPECT_TRUE(selects("!tier", db));
  EXPECT_FALSE(selects("!tier", web));
  EXPECT_TRUE(selects("!tier", none));
}

TEST(LabelSelector, RequirementsAreAndedAndEmptyMatchesAll) {
  EXPECT_TRUE(selects("app=web,tier=front", web));
  EXPECT_FALSE(selects("app=web,tier=back", web));
  EXPECT_TRUE(selects(" app = web , !legacy ", web));
  EXPECT_TRUE(selects("", none));
  EXPECT_TRUE(selects("dcp.hiro.io/owner=zone-a", {{"dcp.hiro.io/owner", "zone-a"}}));
  EXPECT_TRUE(selects("version=", {{"version", ""}}));
}

TEST(LabelSelector, MalformedSelectorsAreErrors) {
  for (const char* text : {"app=", "=web", "app in web", "app in (a", "app in ()", "a,,b", "app>1",
                           "app=web!", "App Name=x", "app=(x)", "in"}) {
    const auto parsed = LabelSelector::parse(text);
    if (std::string_view(text) == "app=" || std::string_view(text) == "in") {
      EXPECT_TRUE(parsed.ok()) << text;  // empty value; a key named "in"
      continue;
    }
    EXPECT_FALSE(parsed.ok()) << text;
  }
  EXPECT_FALSE(LabelSelector::parse(std::string(label_selector_size_max + 1, 'a')).ok());
}

class ListTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(server_.create(apps(), "default", make_app("b", 1, {{"app", "web"}})).ok());
    ASSERT_TRUE(server_.create(apps(), "default", make_app("a", 1, {{"app", "db"}})).ok());
    ASSERT_TRUE(server_.create(apps(), "other", make_app("c", 1, {{"app", "web"}})).ok());
  }

  std::vector<std::string> names(const ListRequest& request) {
    const auto list = server_.list(request);
    EXPECT_TRUE(list.ok());
    std::vector<std::string> result;
    if (!list.ok()) return result;
    for (const json& item : list->items) {
      result.push_back(item["metadata"]["namespace"].get<std::string>() + "/" +
                       item["metadata"]["name"].get<std::string>());
    }
    return result;
  }

  ApiServer server_ = make_server();
};

TEST_F(ListTest, ListsOneNamespaceOrAllSortedByNamespaceThenName) {
  using Names = std::vector<std::string>;
  EXPECT_EQ(names({.resource = apps(), .namespace_name = "default"}),
            (Names{"default/a", "default/b"}));
  EXPECT_EQ(names({.resource = apps()}), (Names{"default/a", "default/b", "other/c"}));
  EXPECT_EQ(names({.resource = apps(), .label_selector = "app=web"}),
            (Names{"default/b", "other/c"}));
  EXPECT_EQ(names({.resource = apps(), .label_selector = "app notin (web)"}), (Names{"default/a"}));
}

TEST_F(ListTest, ListCarriesTheCurrentResourceVersion) {
  const auto list = server_.list({.resource = apps()});
  ASSERT_TRUE(list.ok());
  EXPECT_EQ(list->resource_version, std::to_string(server_.resource_version()));
  EXPECT_EQ(list->kind, "AnyApplicationList");
  const json rendered = list->to_json();
  EXPECT_EQ(rendered["metadata"]["resourceVersion"], list->resource_version);
  EXPECT_EQ(rendered["items"].size(), 3u);
}

TEST_F(ListTest, BadSelectorOrVersionIsAnError) {
  EXPECT_TRUE(failed_with(server_.list({.resource = apps(), .label_selector = "app in"}),
                          StatusReason::bad_request));
  EXPECT_TRUE(failed_with(server_.list({.resource = apps(), .resource_version = "x1"}),
                          StatusReason::bad_request));
  const std::string future = std::to_string(server_.resource_version() + 10);
  EXPECT_TRUE(failed_with(server_.list({.resource = apps(), .resource_version = future}),
                          StatusReason::timeout));
  EXPECT_TRUE(server_.list({.resource = apps(), .resource_version = "0"}).ok());
}

TEST_F(ListTest, SnapshotIsSortedAndUncounted) {
  const std::uint64_t lists = server_.request_count(Verb::list, 200);
  const std::vector<json> objects = server_.snapshot(apps());
  ASSERT_EQ(objects.size(), 3u);
  EXPECT_EQ(objects[0]["metadata"]["name"], "a");
  EXPECT_EQ(objects[2]["metadata"]["name"], "c");
  EXPECT_EQ(server_.request_count(Verb::list, 200), lists);
  EXPECT_TRUE(server_.snapshot({"example.com", "v1", "widgets"}).empty());
}

}  // namespace
}  // namespace mesh::kube_sim
