// Validation of request data: malformed bodies are BadRequest, rule violations are Invalid,
// oversized objects are RequestEntityTooLarge; plus names, UTF-8, timestamps and the Prng.
#include "kube_sim/validation.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <set>

#include "kube_sim/api_server.h"
#include "kube_sim/prng.h"
#include "kube_sim/timestamp.h"
#include "tests/kube_sim/test_support.h"

namespace mesh::kube_sim {
namespace {

using namespace testing;

ApiResult<json> create_with(ApiServer& server, const std::string& path, json value) {
  json object = make_app("web");
  json* node = &object;
  std::size_t start = 0;
  while (true) {
    const std::size_t dot = path.find('.', start);
    node = &(*node)[path.substr(start, dot == std::string::npos ? dot : dot - start)];
    if (dot == std::string::npos) break;
    start = dot + 1;
  }
  *node = std::move(value);
  return server.create(apps(), "default", object);
}

TEST(MalformedBodies, WrongJsonTypesAreBadRequest) {
  ApiServer server = make_server();
  EXPECT_TRUE(
      failed_with(server.create(apps(), "default", json::array()), StatusReason::bad_request));
  EXPECT_TRUE(failed_with(server.create(apps(), "default", "text"), StatusReason::bad_request));
  EXPECT_TRUE(failed_with(create_with(server, "metadata", 5), StatusReason::bad_request));
  EXPECT_TRUE(failed_with(create_with(server, "metadata.name", 5), StatusReason::bad_request));
  EXPECT_TRUE(failed_with(create_with(server, "metadata.labels", "x"), StatusReason::bad_request));
  EXPECT_TRUE(failed_with(create_with(server, "metadata.labels.a", 1), StatusReason::bad_request));
  EXPECT_TRUE(failed_with(create_with(server, "metadata.finalizers", json::object()),
                          StatusReason::bad_request));
  EXPECT_TRUE(
      failed_with(create_with(server, "metadata.generation", "1"), StatusReason::bad_request));
  EXPECT_TRUE(failed_with(create_with(server, "spec.x", std::nan("")), StatusReason::bad_request));
  EXPECT_TRUE(failed_with(create_with(server, "spec.x", std::string("\xff\xfe")),
                          StatusReason::bad_request));
  EXPECT_EQ(server.object_count(), 0u);
}

TEST(MalformedBodies, KindAndApiVersionMustMatchTheType) {
  ApiServer server = make_server();
  const auto wrong_kind = create_with(server, "kind", "MeshPeer");
  ASSERT_TRUE(failed_with(wrong_kind, StatusReason::bad_request));
  EXPECT_NE(wrong_kind.error().message.find("kind"), std::string::npos);
  EXPECT_TRUE(
      failed_with(create_with(server, "apiVersion", "dcp.hiro.io/v2"), StatusReason::bad_request));
  json missing = make_app("web");
  missing.erase("apiVersion");
  EXPECT_TRUE(failed_with(server.create(apps(), "default", missing), StatusReason::bad_request));
  EXPECT_TRUE(
      failed_with(create_with(server, "metadata.namespace", "other"), StatusReason::bad_request));
}

TEST(MalformedBodies, DeepNestingIsBadRequest) {
  ApiServer server = make_server();
  json deep = 1;
  for (std::size_t depth = 0; depth < object_depth_max + 5; depth++) deep = json{{"x", deep}};
  EXPECT_TRUE(failed_with(create_with(server, "spec.deep", deep), StatusReason::bad_request));
}

TEST(Invalid, NamesLabelsAndFinalizersFollowTheConventions) {
  ApiServer server = make_server();
  const auto bad_name = server.create(apps(), "default", make_app("Web_App"));
  ASSERT_TRUE(failed_with(bad_name, StatusReason::invalid));
  EXPECT_EQ(bad_name.error().http_code(), 422);
  EXPECT_NE(bad_name.error().message.find("AnyApplication.dcp.hiro.io \"Web_App\" is invalid: "
                                          "metadata.name"),
            std::string::npos);
  EXPECT_TRUE(failed_with(server.create(apps(), "default", make_app(std::string(254, 'a'))),
                          StatusReason::invalid));
  EXPECT_TRUE(server.create(apps(), "default", make_app(std::string(253, 'a'))).ok());
  EXPECT_TRUE(failed_with(create_with(server, "metadata.labels", {{"bad key!", "x"}}),
                          StatusReason::invalid));
  EXPECT_TRUE(failed_with(create_with(server, "metadata.labels", {{"a", std::string(64, 'v')}}),
                          StatusReason::invalid));
  EXPECT_TRUE(
      failed_with(create_with(server, "metadata.finalizers", {"a/b/c"}), StatusReason::invalid));
  EXPECT_TRUE(failed_with(create_with(server, "metadata.finalizers", {"x.io/a", "x.io/a"}),
                          StatusReason::invalid));
  EXPECT_TRUE(failed_with(create_with(server, "metadata.annotations",
                                      {{"big", std::string(annotations_size_max, 'a')}}),
                          StatusReason::invalid));
}

TEST(Invalid, OversizedObjectIsRequestEntityTooLarge) {
  ApiServer server = make_server();
  ASSERT_TRUE(server.create(apps(), "default", make_app("small")).ok());
  const auto too_big = create_with(server, "spec.blob", std::string(object_size_max, 'x'));
  ASSERT_TRUE(failed_with(too_big, StatusReason::request_entity_too_large));
  EXPECT_EQ(too_big.error().http_code(), 413);
  EXPECT_NE(too_big.error().message.find("object_size_max=1572864"), std::string::npos);
  EXPECT_EQ(server.object_count(), 2u);  // "small" and its namespace
  const std::uint64_t version = server.resource_version();
  EXPECT_TRUE(create_with(server, "spec.blob", std::string(object_size_max / 2, 'x')).ok());
  EXPECT_EQ(server.resource_version(), version + 1);  // a refused write left no gap
}

// The size limit counts metadata.managedFields as clients see them, though versions keep the
// field ownership instead (stored_version.h): fieldsV1 names every one of these members again,
// so the object fits alone but not with its managedFields.
TEST(Invalid, ManagedFieldsCountTowardsTheSizeLimit) {
  // Long names keep the member count low: the asan preset's relocating objects make every
  // insert into an object move all its members.
  constexpr std::size_t name_size = 1'000;
  const auto members = [](std::size_t count) {
    json blob = json::object();
    for (std::size_t index = 0; index < count; index++) {
      std::string key = std::to_string(index);
      key.insert(0, name_size - key.size(), 'k');
      blob[key] = 0;
    }
    return blob;
  };
  ApiServer server = make_server();
  // About name_size + 6 bytes per member in the object, and as many again in fieldsV1.
  constexpr std::size_t member_size = name_size + 6;
  const json large = members(object_size_max * 3 / 4 / member_size);
  ASSERT_LT(large.dump().size() + 1'000, object_size_max);
  const auto too_big = create_with(server, "spec.blob", large);
  ASSERT_TRUE(failed_with(too_big, StatusReason::request_entity_too_large));
  EXPECT_EQ(server.object_count(), 1u);  // the namespace its first size check let it create
  const auto fits =
      create_with(server, "spec.blob", members(object_size_max * 2 / 5 / member_size));
  ASSERT_TRUE(fits.ok()) << fits.error().message;
  EXPECT_LE(fits->dump().size(), object_size_max);
  EXPECT_GT(fits->dump().size(), object_size_max * 3 / 4);  // the rendering doubled it
}

TEST(Names, Dns1123AndQualifiedNames) {
  EXPECT_TRUE(check_dns1123_subdomain("a.b-c.d").ok());
  EXPECT_FALSE(check_dns1123_subdomain("a..b").ok());
  EXPECT_FALSE(check_dns1123_subdomain("-a").ok());
  EXPECT_FALSE(check_dns1123_subdomain("A").ok());
  EXPECT_TRUE(check_dns1123_label("team-a").ok());
  EXPECT_FALSE(check_dns1123_label("team.a").ok());
  EXPECT_FALSE(check_dns1123_label(std::string(64, 'a')).ok());
  EXPECT_TRUE(check_qualified_name("dcp.hiro.io/owner-version").ok());
  EXPECT_TRUE(check_qualified_name("Simple_Name.1").ok());
  EXPECT_FALSE(check_qualified_name("/x").ok());
  EXPECT_FALSE(check_qualified_name("x/").ok());
  EXPECT_TRUE(check_label_value("").ok());
  EXPECT_FALSE(check_label_value("-x").ok());
}

TEST(Names, Utf8AndResourceVersions) {
  EXPECT_TRUE(is_valid_utf8("plain \xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80"));
  EXPECT_FALSE(is_valid_utf8("\xc0\xaf"));          // overlong
  EXPECT_FALSE(is_valid_utf8("\xed\xa0\x80"));      // surrogate
  EXPECT_FALSE(is_valid_utf8("\xf4\x90\x80\x80"));  // above U+10FFFF
  EXPECT_FALSE(is_valid_utf8("\xe2\x82"));          // truncated
  EXPECT_EQ(parse_resource_version("42").value(), 42u);
  EXPECT_EQ(parse_resource_version("18446744073709551615").value(),
            std::numeric_limits<std::uint64_t>::max());
  EXPECT_FALSE(parse_resource_version("18446744073709551616").ok());
  EXPECT_FALSE(parse_resource_version("-1").ok());
  EXPECT_FALSE(parse_resource_version("").ok());
  EXPECT_EQ(printable("a\nb\xff"), "a?b?");
}

TEST(Timestamp, FormatsRfc3339AtSecondPrecision) {
  EXPECT_EQ(format_rfc3339(WallTime::from_unix_ns(0)), "1970-01-01T00:00:00Z");
  EXPECT_EQ(format_rfc3339(WallTime::from_unix_ms(start_unix_ms + 999)), "2023-11-14T22:13:20Z");
  EXPECT_EQ(format_rfc3339(WallTime::from_unix_ms(951'782'400'000)), "2000-02-29T00:00:00Z");
  EXPECT_EQ(format_rfc3339(WallTime::from_unix_ms(-1)), "1969-12-31T23:59:59Z");
}

TEST(Prng, SameSeedSameSequenceAndBelowStaysInRange) {
  Prng first(9);
  Prng second(9);
  Prng other(10);
  std::set<std::uint64_t> seen;
  bool differs = false;
  for (int index = 0; index < 1'000; index++) {
    const std::uint64_t value = first.next();
    EXPECT_EQ(value, second.next());
    differs = differs || value != other.next();
    const std::uint64_t small = first.below(7);
    second.below(7);
    EXPECT_LT(small, 7u);
    seen.insert(small);
  }
  EXPECT_TRUE(differs);
  EXPECT_EQ(seen.size(), 7u);
  EXPECT_EQ(Prng(0).next(), Prng(0).next());
}

}  // namespace
}  // namespace mesh::kube_sim
