#include "engine/json_util.h"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <cmath>
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
  return rc::gen::element<Json>(
      Json(nullptr), Json(std::nan("")), Json(infinity), Json(-infinity), Json(0), Json(0U),
      Json(0.0), Json(-0.0), Json(1), Json(1U), Json(-1), Json(1.0), Json(1e20), Json(true),
      Json(false), Json(""), Json("a"), Json("\xff"), Json("\xfe"), Json("\xef\xbf\xbd"),
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

TEST(ParseJson, RefusesTooLargeAndMalformedText) {
  const auto large = parse_json("[1, 2]", 5);
  ASSERT_FALSE(large.ok());
  EXPECT_EQ(large.error().code, JsonError::too_large);
  const auto malformed = parse_json("{\"a\": }", 1 << 20);
  ASSERT_FALSE(malformed.ok());
  EXPECT_EQ(malformed.error().code, JsonError::malformed);
}

}  // namespace
}  // namespace mesh::engine
