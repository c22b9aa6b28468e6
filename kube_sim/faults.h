// Fault injection for the simulator: failing requests, conflicts from competing writers, pause.
//
// All faults are deterministic. A FailureRule fails matching requests (by verb and/or resource)
// with 503, 500 or 429, either the next N of them or each with a probability decided by the
// server's seeded Prng. An injected conflict makes the next write to one object fail with 409,
// optionally after a competing writer really wrote it. Watch drops and history compaction act
// on WatchHub directly (ApiServer::drop_watch, compact_history). Latency is not modelled here:
// the simulator delays calls and responses itself.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "engine/result.h"
#include "kube_sim/prng.h"
#include "kube_sim/requests.h"
#include "kube_sim/resource.h"
#include "kube_sim/status.h"

namespace mesh::kube_sim {

enum class FailureCode : std::uint8_t {
  service_unavailable,  // 503
  internal_error,       // 500
  too_many_requests,    // 429, with retryAfterSeconds = 1
};

inline constexpr std::uint32_t probability_ppm_max = 1'000'000;

struct FailureRule {
  std::optional<Verb> verb;                      // none: every verb
  std::optional<GroupVersionResource> resource;  // none: every resource
  FailureCode failure = FailureCode::service_unavailable;
  // Failures before the rule retires; 0: the rule never retires (until clear_failure_rules()).
  std::uint64_t count_max = 1;
  // Chance that a matching request fails, in parts per million, drawn from the server's Prng.
  std::uint32_t probability_ppm = probability_ppm_max;
};

// The next write (update, patch, apply, delete; main or status) to `key` fails with 409.
struct ConflictInjection {
  ObjectKey key;
  // Before failing, a writer named "competitor" rewrites the object unchanged, so its
  // resourceVersion moves and watchers see MODIFIED, as when another client won the race.
  bool competing_write = false;
};

enum class FaultError : std::uint8_t { limit_reached, invalid_rule };

class FaultState {
 public:
  Result<void, Error<FaultError>> add_rule(const FailureRule& rule);
  void clear_rules() { rules_.clear(); }
  void clear_conflicts() { conflicts_.clear(); }
  // The failure for a request, if a rule fires; consumes one use of that rule.
  std::optional<ApiError> check(Verb verb, const GroupVersionResource& resource, Prng& prng);

  Result<void, Error<FaultError>> add_conflict(const ConflictInjection& injection);
  // The oldest injected conflict for `key`, removed.
  std::optional<ConflictInjection> take_conflict(const ObjectKey& key);

  void pause() { paused_ = true; }
  void resume() { paused_ = false; }
  bool paused() const { return paused_; }

 private:
  struct ActiveRule {
    FailureRule rule;
    std::uint64_t failure_count = 0;
  };

  std::vector<ActiveRule> rules_;             // at most failure_rules_max, in install order
  std::vector<ConflictInjection> conflicts_;  // at most injected_conflicts_max, oldest first
  bool paused_ = false;
};

}  // namespace mesh::kube_sim
