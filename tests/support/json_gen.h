// rapidcheck generators of JSON trees, shared by the engine's and kube_sim's property tests.
//
// GeneratedJson wraps a value so that a counterexample prints as JSON text: rapidcheck would
// otherwise print a bare nlohmann::json through its implicit conversion to std::string, which
// throws for anything but a string. Trees are built level by level (no recursion).
#pragma once

#include <rapidcheck.h>

#include <cstddef>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

namespace mesh::test {

struct GeneratedJson {
  nlohmann::json value;
};

inline std::ostream& operator<<(std::ostream& out, const GeneratedJson& generated) {
  return out << generated.value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

inline rc::Gen<GeneratedJson> wrapped(rc::Gen<nlohmann::json> gen) {
  return rc::gen::map(std::move(gen),
                      [](nlohmann::json value) { return GeneratedJson{std::move(value)}; });
}

// JSON of at most `depth` levels of arrays and objects with fewer than `breadth_end` members
// each, over the given scalars and object keys.
inline rc::Gen<nlohmann::json> gen_json_tree(const rc::Gen<nlohmann::json>& scalar,
                                             const rc::Gen<std::string>& key, int depth,
                                             std::size_t breadth_end) {
  using json = nlohmann::json;
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
          return rc::gen::map(
              rc::gen::container<std::vector<std::pair<std::string, json>>>(
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
