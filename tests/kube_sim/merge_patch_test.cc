// JSON merge patch: the RFC 7386 appendix A examples, and merge patches through the server.
#include "kube_sim/merge_patch.h"

#include <gtest/gtest.h>

#include "kube_sim/api_server.h"
#include "tests/kube_sim/test_support.h"

namespace mesh::kube_sim {
namespace {

using namespace testing;

struct Vector {
  const char* target;
  const char* patch;
  const char* result;
};

// RFC 7386, Appendix A.
constexpr Vector rfc7386_vectors[] = {
    {R"({"a":"b"})", R"({"a":"c"})", R"({"a":"c"})"},
    {R"({"a":"b"})", R"({"b":"c"})", R"({"a":"b","b":"c"})"},
    {R"({"a":"b"})", R"({"a":null})", R"({})"},
    {R"({"a":"b","b":"c"})", R"({"a":null})", R"({"b":"c"})"},
    {R"({"a":["b"]})", R"({"a":"c"})", R"({"a":"c"})"},
    {R"({"a":"c"})", R"({"a":["b"]})", R"({"a":["b"]})"},
    {R"({"a":{"b":"c"}})", R"({"a":{"b":"d","c":null}})", R"({"a":{"b":"d"}})"},
    {R"({"a":[{"b":"c"}]})", R"({"a":[1]})", R"({"a":[1]})"},
    {R"(["a","b"])", R"(["c","d"])", R"(["c","d"])"},
    {R"({"a":"b"})", R"(["c"])", R"(["c"])"},
    {R"({"a":"foo"})", R"(null)", R"(null)"},
    {R"({"a":"foo"})", R"("bar")", R"("bar")"},
    {R"({"e":null})", R"({"a":1})", R"({"e":null,"a":1})"},
    {R"([1,2])", R"({"a":"b","c":null})", R"({"a":"b"})"},
    {R"({})", R"({"a":{"bb":{"ccc":null}}})", R"({"a":{"bb":{}}})"},
};

TEST(MergePatch, Rfc7386AppendixA) {
  for (const Vector& vector : rfc7386_vectors) {
    const json result = merge_patched(json::parse(vector.target), json::parse(vector.patch));
    EXPECT_EQ(result, json::parse(vector.result)) << vector.target << " + " << vector.patch;
  }
}

TEST(MergePatch, DeepPatchIsIterative) {
  json patch = json::object();
  json* node = &patch;
  for (int depth = 0; depth < 1'000; depth++) node = &(*node)["x"];
  *node = 1;
  json target = json::object();
  apply_merge_patch(target, patch);
  EXPECT_EQ(target, patch);
}

// Many members added between, deleted from, merged into and replacing those of a flat object:
// the merge walks both sorted member lists once (BM_MergePatchFlat measures it).
TEST(MergePatch, FlatPatchInterleavesAddsDeletesAndMerges) {
  const auto key = [](int index) {
    std::string text = std::to_string(index);
    return "k" + std::string(6 - text.size(), '0') + text;
  };
  json target = json::object();
  json patch = json::object();
  json expected = json::object();
  for (int index = 0; index < 1'000; index++) {
    target[key(2 * index)] = {{"a", index}};
    patch[key(2 * index + 1)] = -index;  // a new member between two held ones
    expected[key(2 * index + 1)] = -index;
    switch (index % 4) {
      case 0: patch[key(2 * index)] = nullptr; break;  // deleted
      case 1:
        patch[key(2 * index)] = {{"b", index}, {"a", nullptr}};  // merged into
        expected[key(2 * index)] = {{"b", index}};
        break;
      case 2:
        patch[key(2 * index)] = "s";  // replaced
        expected[key(2 * index)] = "s";
        break;
      default: expected[key(2 * index)] = {{"a", index}};  // untouched
    }
  }
  EXPECT_EQ(merge_patched(target, patch), expected);
}

TEST(ServerMergePatch, MergesMapsReplacesListsAndDeletesOnNull) {
  ApiServer server = make_server();
  json object = make_app("web", 1, {{"a", "1"}, {"b", "2"}});
  object["spec"]["syncPolicy"] = {{"syncOptions", {"x", "y"}}};
  ASSERT_TRUE(server.create(apps(), "default", object).ok());
  const auto patched =
      server.patch(app_key("web"), PatchType::merge,
                   {{"metadata", {{"labels", {{"a", nullptr}, {"c", "3"}}}}},
                    {"spec", {{"syncPolicy", {{"syncOptions", {"z"}}}}, {"source", nullptr}}}});
  ASSERT_TRUE(patched.ok()) << patched.error().message;
  EXPECT_EQ((*patched)["metadata"]["labels"], (json{{"b", "2"}, {"c", "3"}}));
  EXPECT_EQ((*patched)["spec"]["syncPolicy"]["syncOptions"], json({"z"}));
  EXPECT_FALSE((*patched)["spec"].contains("source"));
  EXPECT_EQ((*patched)["spec"]["zones"], 1);
}

TEST(ServerMergePatch, ResourceVersionInPatchIsAPrecondition) {
  ApiServer server = make_server();
  const auto created = server.create(apps(), "default", make_app("web"));
  ASSERT_TRUE(created.ok());
  const json patch = {{"metadata", {{"resourceVersion", rv_of(*created)}}},
                      {"spec", {{"zones", 2}}}};
  ASSERT_TRUE(server.patch(app_key("web"), PatchType::merge, patch).ok());
  const auto stale = server.patch(app_key("web"), PatchType::merge, patch);
  EXPECT_TRUE(failed_with(stale, StatusReason::conflict));
}

TEST(ServerMergePatch, CannotRenameOrRetypeTheObject) {
  ApiServer server = make_server();
  ASSERT_TRUE(server.create(apps(), "default", make_app("web")).ok());
  EXPECT_TRUE(failed_with(
      server.patch(app_key("web"), PatchType::merge, {{"metadata", {{"name", "other"}}}}),
      StatusReason::bad_request));
  EXPECT_TRUE(failed_with(server.patch(app_key("web"), PatchType::merge, {{"kind", "MeshPeer"}}),
                          StatusReason::bad_request));
  EXPECT_TRUE(failed_with(server.patch(app_key("web"), PatchType::merge, json::array()),
                          StatusReason::bad_request));
  EXPECT_TRUE(failed_with(server.patch(app_key("nope"), PatchType::merge, json::object()),
                          StatusReason::not_found));
}

TEST(ServerMergePatch, EmptyPatchIsANoOp) {
  ApiServer server = make_server();
  const auto created = server.create(apps(), "default", make_app("web"));
  ASSERT_TRUE(created.ok());
  const auto patched = server.patch(app_key("web"), PatchType::merge, json::object());
  ASSERT_TRUE(patched.ok());
  EXPECT_EQ(*patched, *created);
}

}  // namespace
}  // namespace mesh::kube_sim
