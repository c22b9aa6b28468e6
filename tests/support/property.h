// Property runs with an explicit case count, for properties too costly for rapidcheck's
// default 100 in CI (a whole simulated world per case).
//
// MESH_PROPERTY_CASES=N overrides every such count (MESH_PROPERTY_CASES=10000 for a long
// local run); without it each property uses the CI count it names.
#pragma once

#include <rapidcheck.h>

#include <cstdlib>
#include <iostream>
#include <string>

namespace mesh::test {

inline int property_cases(int ci_cases) {
  const char* text = std::getenv("MESH_PROPERTY_CASES");
  if (text == nullptr) return ci_cases;
  const int cases = std::atoi(text);
  return cases > 0 ? cases : ci_cases;
}

// Runs `testable` as a rapidcheck property with `cases` successes required; true on success.
// Failures print the counterexample and rapidcheck's reproduce string.
template <typename Testable>
bool check_property(const std::string& name, int cases, Testable&& testable) {
  rc::detail::TestParams params = rc::detail::configuration().testParams;
  params.maxSuccess = cases;
  const rc::detail::TestMetadata metadata{name, name};
  const auto result = rc::detail::checkTestable(std::forward<Testable>(testable), metadata, params);
  std::cerr << "- " << name << ": ";
  rc::detail::printResultMessage(result, std::cerr);
  std::cerr << std::endl;
  return result.template is<rc::detail::SuccessResult>();
}

}  // namespace mesh::test
