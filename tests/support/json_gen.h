// rapidcheck generators of JSON trees, shared by the engine's and kube_sim's property tests.
//
// GeneratedJson wraps a value so that a counterexample prints as JSON text: rapidcheck would
// otherwise print a bare engine::Json through its implicit conversion to std::string, which
// throws for anything but a string. Trees are built level by level (no recursion).
#pragma once

#include <rapidcheck.h>

#include <cstddef>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include "engine/json.h"

namespace mesh::test {

struct GeneratedJson {
  engine::Json value;
};

inline std::ostream& operator<<(std::ostream& out, const GeneratedJson& generated) {
  return out << generated.value.dump(-1, ' ', false, engine::Json::error_handler_t::replace);
}

inline rc::Gen<GeneratedJson> wrapped(rc::Gen<engine::Json> gen) {
  return rc::gen::map(std::move(gen),
                      [](engine::Json value) { return GeneratedJson{std::move(value)}; });
}

// JSON of at most `depth` levels of arrays and objects with fewer than `breadth_end` members
// each, over the given scalars and object keys.
inline rc::Gen<engine::Json> gen_json_tree(const rc::Gen<engine::Json>& scalar,
                                           const rc::Gen<std::string>& key, int depth,
                                           std::size_t breadth_end) {
  using json = ::mesh::engine::Json;
  rc::Gen<json> gen = scalar;
  for (int level = 0; level < depth; level++) {
    const rc::Gen<json> child = gen;
    const auto array =
        rc::gen::mapcat(rc::gen::inRange<std::size_t>(0, breadth_end), [child](std::size_t n) {
          return rc::gen::map(rc::gen::container<std::vector<json>>(n, child),
                              [](std::vector<json> items) { return json(std::move(items)); });
        });
    const auto object =
        rc::gen::mapcat(rc::gen::inRange<std::size_t>(0, breadth_end), [child, key](std::size_t n) {
          return rc::gen::map(rc::gen::container<std::vector<std::pair<std::string, json>>>(
                                  n, rc::gen::pair(key, child)),
                              [](const std::vector<std::pair<std::string, json>>& members) {
                                json result = json::object();
                                for (const auto& [name, value] : members) result[name] = value;
                                return result;
                              });
        });
    gen = rc::gen::oneOf(scalar, array, object);
  }
  return gen;
}

}  // namespace mesh::test
