#include "engine/json_util.h"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <cmath>
#include <iterator>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include "tests/support/json_gen.h"

namespace mesh::engine {
namespace {

// Scalars chosen so that unequal values often render alike: NaN, the infinities and null all
// render as null; 1 as a signed and an unsigned integer; two invalid UTF-8 bytes and U+FFFD
// itself, which all render as U+FFFD; a binary value that renders like the object beside it.
rc::Gen<Json> gen_scalar() {
  const double infinity = std::numeric_limits<double>::infinity();
  Json binary_like = {{"bytes", {1, 2}}, {"subtype", nullptr}};
  return rc::gen::element<Json>(Json(nullptr), Json(std::nan("")), Json(infinity), Json(-infinity),
                                Json(0), Json(0U), Json(0.0), Json(-0.0), Json(1), Json(1U),
                                Json(-1), Json(1.0), Json(1e20), Json(true), Json(false), Json(""),
                                Json("a"), Json("\xff"), Json("\xfe"), Json("\xef\xbf\xbd"),
                                Json::binary({1, 2}), std::move(binary_like));
}

rc::Gen<std::string> gen_key() {
  return rc::gen::element<std::string>("a", "b", "\xff", "\xfe", "\xef\xbf\xbd");
}

// Small trees over few values, so that two independent draws are often alike.
rc::Gen<Json> gen_tree(int depth) {
  return test::gen_json_tree(gen_scalar(), gen_key(), depth, 3);
}

RC_GTEST_PROP(SameCanonical, AgreesWithComparingCanonicalText, ()) {
  const Json left = (*test::wrapped(gen_tree(2))).value;
  const Json right = (*test::wrapped(rc::gen::oneOf(gen_tree(2), rc::gen::just(left)))).value;
  RC_TAG(canonical(left) == canonical(right) ? "alike" : "unlike");
  RC_ASSERT(same_canonical(left, right) == (canonical(left) == canonical(right)));
  RC_ASSERT(same_canonical(right, left) == same_canonical(left, right));
}

TEST(SameCanonical, ValuesThatRenderAlikeAreTheSame) {
  EXPECT_TRUE(same_canonical(Json(std::nan("")), Json(nullptr)));
  EXPECT_TRUE(same_canonical(Json(7), Json(7U)));
  EXPECT_TRUE(same_canonical(Json("\xff"), Json("\xef\xbf\xbd")));
  EXPECT_TRUE(same_canonical(Json::binary({1}), Json{{"bytes", {1}}, {"subtype", nullptr}}));
  EXPECT_TRUE(same_canonical(Json{{"a", {1, "x"}}}, Json{{"a", {1U, "x"}}}));
}

TEST(SameCanonical, ValuesThatRenderDifferentlyDiffer) {
  EXPECT_FALSE(same_canonical(Json(1), Json(1.0)));
  EXPECT_FALSE(same_canonical(Json(0.0), Json(-0.0)));
  EXPECT_FALSE(same_canonical(Json(-1), Json(std::numeric_limits<std::uint64_t>::max())));
  EXPECT_FALSE(same_canonical(Json::array(), Json::object()));
  EXPECT_FALSE(same_canonical(Json{{"a", 1}}, Json{{"b", 1}}));
  EXPECT_FALSE(same_canonical(Json{{"a", {{"b", {1, 2}}}}}, Json{{"a", {{"b", {1, 3}}}}}));
}

std::string nested(std::size_t depth, const std::string& open, const std::string& close) {
  std::string text;
  for (std::size_t level = 0; level < depth; level++) text += open;
  text += "1";
  for (std::size_t level = 0; level < depth; level++) text += close;
  return text;
}

TEST(ParseJson, NestingUpToTheLimitParses) {
  EXPECT_TRUE(parse_json(nested(json_depth_max, "[", "]"), 1 << 20).ok());
  EXPECT_TRUE(parse_json(nested(json_depth_max, "{\"k\":", "}"), 1 << 20).ok());
  const auto deep = parse_json(nested(json_depth_max + 1, "[", "]"), 1 << 20);
  ASSERT_FALSE(deep.ok());
  EXPECT_EQ(deep.error().code, JsonError::too_deep);
  // Brackets inside strings do not nest.
  EXPECT_TRUE(parse_json("[\"" + std::string(200, '[') + "\"]", 1 << 20).ok());
}

TEST(ParseJson, DepthCountsTheContainersOpenAtEachKeyValueAndStart) {
  // As nlohmann's callback parser counted: empty containers one level past the limit parse,
  // anything inside them does not.
  const std::string arrays_past_limit =
      std::string(json_depth_max + 1, '[') + std::string(json_depth_max + 1, ']');
  EXPECT_TRUE(parse_json(arrays_past_limit, 1 << 20).ok());
  const std::string empty_past_limit = std::string(json_depth_max, '[') + "{}" +
                                       std::string(json_depth_max, ']');
  EXPECT_TRUE(parse_json(empty_past_limit, 1 << 20).ok());
  const std::string key_past_limit = std::string(json_depth_max, '[') + "{\"k\":1}" +
                                     std::string(json_depth_max, ']');
  const auto deep = parse_json(key_past_limit, 1 << 20);
  ASSERT_FALSE(deep.ok());
  EXPECT_EQ(deep.error().code, JsonError::too_deep);
  const std::string one_more = std::string(json_depth_max + 1, '[') + "[]" +
                               std::string(json_depth_max + 1, ']');
  EXPECT_EQ(parse_json(one_more, 1 << 20).error().code, JsonError::too_deep);
}

TEST(ParseJson, RefusesTooLargeAndMalformedText) {
  const auto large = parse_json("[1, 2]", 5);
  ASSERT_FALSE(large.ok());
  EXPECT_EQ(large.error().code, JsonError::too_large);
  const auto malformed = parse_json("{\"a\": }", 1 << 20);
  ASSERT_FALSE(malformed.ok());
  EXPECT_EQ(malformed.error().code, JsonError::malformed);
}

// `value` as text with every object's members in descending key order, each one preceded by a
// decoy member of the same key that the later one must replace.
std::string scrambled_text(const Json& value) {
  const auto text_of = [](const Json& scalar) {
    return scalar.dump(-1, ' ', false, Json::error_handler_t::replace);
  };
  if (value.is_object()) {
    std::string text = "{";
    for (auto it = value.crbegin(); it != value.crend(); ++it) {
      if (text.size() > 1) text += ",";
      const std::string key = text_of(Json(it.key()));
      text += key + ":0," + key + ":" + scrambled_text(it.value());
    }
    return text + "}";
  }
  if (value.is_array()) {
    std::string text = "[";
    for (const Json& element : value) {
      if (text.size() > 1) text += ",";
      text += scrambled_text(element);
    }
    return text + "]";
  }
  return text_of(value);
}

RC_GTEST_PROP(ParseJson, AnyMemberOrderGivesTheSortedTreeWithTheLastDuplicateKept, ()) {
  // Keys stay valid UTF-8 here: two invalid keys would render as the same U+FFFD key.
  const auto key = rc::gen::element<std::string>("", "a", "b", "c", "\xef\xbf\xbd");
  const Json value = (*test::wrapped(test::gen_json_tree(gen_scalar(), key, 3, 4))).value;
  const std::string text = scrambled_text(value);
  const auto parsed = parse_json(text, 1 << 20);
  RC_ASSERT(parsed.ok());
  RC_ASSERT(canonical(parsed.value()) == canonical(value));
  // The same tree nlohmann's own builder makes of the text.
  RC_ASSERT(canonical(parsed.value()) == canonical(Json(nlohmann::json::parse(text))));
}

TEST(ParseJson, AnObjectOfManyMembersInDescendingOrderParsesSorted) {
  // 10^5 members in descending order: one insert at a time into a flat object would move all
  // members before each insert (about 5 * 10^9 moves); the builder sorts once.
  constexpr int members = 100'000;
  std::string text = "{";
  for (int index = members - 1; index >= 0; index--) {
    text += "\"k" + std::to_string(1'000'000 + index) + "\":" + std::to_string(index) + ",";
  }
  text += "\"k1000000\":\"last\"}";
  const auto parsed = parse_json(text, 1 << 24);
  ASSERT_TRUE(parsed.ok()) << parsed.error().message;
  const Json& object = parsed.value();
  ASSERT_EQ(object.size(), static_cast<std::size_t>(members));
  EXPECT_EQ(object.begin().key(), "k1000000");
  EXPECT_EQ(object.begin().value(), "last");
  EXPECT_EQ(std::prev(object.end()).value(), members - 1);
  std::string previous;
  for (auto it = object.begin(); it != object.end(); ++it) {
    ASSERT_LT(previous, it.key());
    previous = it.key();
  }
}

#if defined(MESH_JSON_RELOCATING_OBJECTS)
// The asan preset's check (engine/json.h) is only worth something if objects really move their
// members on every insert and erase, and still hand back the right iterators.
TEST(RelocatingObjects, EveryInsertAndEraseMovesTheMembers) {
  Json object = {{"a", 1}, {"c", 3}};
  const Json* before = &object["a"];
  object["b"] = 2;
  EXPECT_NE(&object["a"], before);
  before = &object["a"];
  object.erase("c");
  EXPECT_NE(&object["a"], before);
  auto it = object.erase(object.find("a"));
  ASSERT_NE(it, object.end());
  EXPECT_EQ(it.key(), "b");
  const auto after_last = object.erase(it);  // before end(): the erase moves the members
  EXPECT_EQ(after_last, object.end());
  const auto [emplaced, inserted] = object.emplace("x", 9);
  EXPECT_TRUE(inserted);
  EXPECT_EQ(emplaced.key(), "x");
  EXPECT_EQ(*emplaced, 9);
}
#endif

}  // namespace
}  // namespace mesh::engine
