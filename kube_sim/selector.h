// LabelSelector: the label selector of list and watch requests, in the string form of
// k8s.io/apimachinery/pkg/labels (Parse).
//
// Grammar: requirements separated by ','; each is `key`, `!key`, `key=value`, `key==value`,
// `key!=value`, `key in (v1,v2)` or `key notin (v1,v2)`. As in Kubernetes, `!=` and `notin`
// also match objects without the key, and an empty selector matches everything. Keys must be
// qualified names and values label values. Not supported: the `>`/`<` operators (rejected).
// Sizes are bounded by label_selector_*_max in limits.h.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "engine/json.h"

#include "engine/result.h"

namespace mesh::kube_sim {

enum class SelectorOperator : std::uint8_t { equals, not_equals, in, not_in, exists, not_exists };

struct SelectorRequirement {
  std::string key;
  SelectorOperator op = SelectorOperator::exists;
  std::vector<std::string> values;  // one for equals/not_equals, a set for in/not_in
};

class LabelSelector {
 public:
  LabelSelector() = default;

  // Parses the string form; the error text says what is wrong and where.
  static Result<LabelSelector, std::string> parse(std::string_view text);

  // `labels` is metadata.labels: an object of strings, or null when the object has none.
  bool matches(const engine::Json& labels) const;
  bool empty() const { return requirements_.empty(); }
  const std::vector<SelectorRequirement>& requirements() const { return requirements_; }

 private:
  std::vector<SelectorRequirement> requirements_;
};

}  // namespace mesh::kube_sim
