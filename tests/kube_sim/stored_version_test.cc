// Stored versions: the rendering of metadata.managedFields from the field ownership, and the
// bound on its length that lets the size check skip rendering it.
#include "kube_sim/stored_version.h"

#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include <string>
#include <vector>

#include "kube_sim/internal/request_checks.h"

namespace mesh::kube_sim {
namespace {

using json = engine::Json;

// Strings over bytes that serialize long (quotes, backslashes, control bytes become \u00XX),
// bytes that are invalid UTF-8 (replaced when dumped) and ordinary ones.
rc::Gen<std::string> gen_text(std::size_t size_max) {
  const auto byte =
      rc::gen::element<char>('"', '\\', '\0', '\x01', '\x1f', 'a', '.', '\xff', '\xc3', '\xa9');
  return rc::gen::mapcat(rc::gen::inRange<std::size_t>(0, size_max + 1), [byte](std::size_t n) {
    return rc::gen::container<std::string>(n, byte);
  });
}

// Few and small, so that a case stays quick: the bound is a sum over paths and tokens.
template <typename Container, typename Gen>
rc::Gen<Container> gen_few(std::size_t count_min, std::size_t count_max, Gen element) {
  return rc::gen::mapcat(rc::gen::inRange(count_min, count_max + 1), [element](std::size_t n) {
    return rc::gen::container<Container>(n, element);
  });
}

rc::Gen<FieldPath> gen_path() {
  return rc::gen::map(gen_few<std::vector<std::string>>(0, 4, gen_text(6)),
                      [](const std::vector<std::string>& tokens) {
                        FieldPath path;
                        for (const std::string& token : tokens) path.push_back(token);
                        return path;
                      });
}

rc::Gen<ManagedEntry> gen_entry() {
  return rc::gen::build<ManagedEntry>(
      rc::gen::set(&ManagedEntry::manager, gen_text(12)),
      rc::gen::set(&ManagedEntry::operation,
                   rc::gen::element(ManagedOperation::apply, ManagedOperation::update)),
      rc::gen::set(&ManagedEntry::status_subresource),
      rc::gen::set(&ManagedEntry::time, gen_text(24)),
      rc::gen::set(&ManagedEntry::fields, rc::gen::nonEmpty(gen_few<FieldSet>(1, 8, gen_path()))));
}

std::size_t dumped_size(const json& value) {
  return value.dump(-1, ' ', false, json::error_handler_t::replace).size();
}

RC_GTEST_PROP(StoredVersionProperty, ManagedFieldsSizeBoundIsAnUpperBoundOfTheirRendering, ()) {
  const auto entries = *gen_few<ManagedEntries>(1, 4, gen_entry());
  const auto api_version = std::make_shared<const std::string>(*gen_text(20));
  const SharedVersion version =
      make_version({{"metadata", {{"name", "web"}}}, {"spec", {{"a", 1}}}}, entries, api_version);
  const std::size_t added = dumped_size(version->rendered()) - dumped_size(version->object);
  RC_ASSERT(added <= internal::managed_fields_size_bound(entries, *api_version));
}

TEST(StoredVersion, RendersManagedFieldsOnlyWhenOwned) {
  const json object = {{"metadata", {{"name", "web"}}}};
  const SharedVersion plain = make_plain_version(object);
  EXPECT_EQ(plain->rendered(), object);
  ManagedEntry entry{.manager = "me", .time = "2026-01-01T00:00:00Z", .fields = {}};
  entry.fields.insert(FieldPath{"f:spec"});
  const SharedVersion owned =
      make_version(object, {entry}, std::make_shared<const std::string>("example.com/v1"));
  const json rendered = owned->rendered();
  EXPECT_EQ(owned->object, object);  // rendering copies
  ASSERT_EQ(rendered["metadata"]["managedFields"].size(), 1u);
  EXPECT_EQ(rendered["metadata"]["managedFields"][0]["manager"], "me");
  EXPECT_EQ(rendered["metadata"]["managedFields"][0]["apiVersion"], "example.com/v1");
  EXPECT_EQ(rendered["metadata"]["managedFields"][0]["fieldsV1"],
            json({{"f:spec", json::object()}}));
  // The aliasing pointer shares the whole version.
  const SharedObject shared = object_of(owned);
  EXPECT_EQ(shared.get(), &owned->object);
  EXPECT_EQ(shared.use_count(), owned.use_count());
}

}  // namespace
}  // namespace mesh::kube_sim
