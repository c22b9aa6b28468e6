#include "kube_sim/faults.h"

#include <algorithm>
#include <string>

#include "kube_sim/limits.h"

namespace mesh::kube_sim {
namespace {

ApiError failure_error(const FailureRule& rule, Verb verb, const GroupVersionResource& resource) {
  ApiError error;
  switch (rule.failure) {
    case FailureCode::service_unavailable: error.reason = StatusReason::service_unavailable; break;
    case FailureCode::internal_error: error.reason = StatusReason::internal_error; break;
    case FailureCode::too_many_requests:
      error.reason = StatusReason::too_many_requests;
      error.retry_after_seconds = 1;
      break;
  }
  const std::string target =
      resource.group.empty() ? resource.resource : resource.resource + "." + resource.group;
  error.message = "injected fault: " + std::string(reason_name(error.reason)) + " for " +
                  std::string(verb_name(verb)) + " " + target;
  error.group = resource.group;
  error.kind = resource.resource;
  return error;
}

bool rule_matches(const FailureRule& rule, Verb verb, const GroupVersionResource& resource) {
  if (rule.verb.has_value() && *rule.verb != verb) return false;
  return !rule.resource.has_value() || *rule.resource == resource;
}

}  // namespace

Result<void, Error<FaultError>> FaultState::add_rule(const FailureRule& rule) {
  if (rules_.size() >= failure_rules_max) {
    return fail(FaultError::limit_reached,
                "more than failure_rules_max=" + std::to_string(failure_rules_max) + " rules");
  }
  if (rule.probability_ppm == 0 || rule.probability_ppm > probability_ppm_max) {
    return fail(FaultError::invalid_rule, "probability_ppm must be in 1..1000000");
  }
  rules_.push_back({rule, 0});
  return {};
}

std::optional<ApiError> FaultState::check(Verb verb, const GroupVersionResource& resource,
                                          Prng& prng) {
  for (std::size_t index = 0; index < rules_.size(); index++) {
    ActiveRule& active = rules_[index];
    if (!rule_matches(active.rule, verb, resource)) continue;
    // Certain rules draw nothing, so adding one does not shift the dice of later ones.
    if (active.rule.probability_ppm < probability_ppm_max &&
        prng.below(probability_ppm_max) >= active.rule.probability_ppm) {
      continue;
    }
    ApiError error = failure_error(active.rule, verb, resource);
    active.failure_count++;
    if (active.rule.count_max != 0 && active.failure_count >= active.rule.count_max) {
      rules_.erase(rules_.begin() + static_cast<std::ptrdiff_t>(index));
    }
    return error;
  }
  return std::nullopt;
}

Result<void, Error<FaultError>> FaultState::add_conflict(const ConflictInjection& injection) {
  if (conflicts_.size() >= injected_conflicts_max) {
    return fail(FaultError::limit_reached,
                "more than injected_conflicts_max=" + std::to_string(injected_conflicts_max) +
                    " pending conflicts");
  }
  conflicts_.push_back(injection);
  return {};
}

std::optional<ConflictInjection> FaultState::take_conflict(const ObjectKey& key) {
  const auto found = std::find_if(conflicts_.begin(), conflicts_.end(),
                                  [&](const ConflictInjection& item) { return item.key == key; });
  if (found == conflicts_.end()) return std::nullopt;
  ConflictInjection injection = *found;
  conflicts_.erase(found);
  return injection;
}

}  // namespace mesh::kube_sim
