// Fault hooks: failure rules (next N, by verb or resource, probabilistic), injected conflicts
// with and without a competing write, pause and resume, and the request counters.
#include "kube_sim/faults.h"

#include <gtest/gtest.h>

#include "kube_sim/api_server.h"
#include "tests/kube_sim/test_support.h"

namespace mesh::kube_sim {
namespace {

using namespace testing;

TEST(FailureRules, FailTheNextNRequestsOfAVerb) {
  ApiServer server = make_server();
  ASSERT_TRUE(server.add_failure_rule({.verb = Verb::create, .count_max = 2}).ok());
  const auto first = server.create(apps(), "default", make_app("a"));
  ASSERT_TRUE(failed_with(first, StatusReason::service_unavailable));
  EXPECT_EQ(first.error().http_code(), 503);
  EXPECT_TRUE(server.list({.resource = apps()}).ok());  // other verbs pass
  EXPECT_TRUE(failed_with(server.create(apps(), "default", make_app("a")),
                          StatusReason::service_unavailable));
  EXPECT_TRUE(server.create(apps(), "default", make_app("a")).ok());
  EXPECT_EQ(server.request_count(Verb::create, 503), 2u);
  EXPECT_EQ(server.request_count(Verb::create, 201), 1u);
  EXPECT_EQ(server.request_count(Verb::list, 200), 1u);
}

TEST(FailureRules, MatchAResourceWithEachCode) {
  ApiServer server = make_server();
  ASSERT_TRUE(
      server.add_failure_rule({.resource = apps(), .failure = FailureCode::too_many_requests})
          .ok());
  ASSERT_TRUE(
      server.add_failure_rule({.resource = peers(), .failure = FailureCode::internal_error}).ok());
  EXPECT_TRUE(server.list({.resource = leases()}).ok());
  const auto throttled = server.get(app_key("x"));
  ASSERT_TRUE(failed_with(throttled, StatusReason::too_many_requests));
  EXPECT_EQ(throttled.error().to_status()["details"]["retryAfterSeconds"], 1);
  EXPECT_TRUE(failed_with(server.list({.resource = peers()}), StatusReason::internal_error));
  EXPECT_TRUE(failed_with(server.get(app_key("x")), StatusReason::not_found));
}

TEST(FailureRules, ProbabilisticRulesAreDeterministicPerSeed) {
  const auto outcomes = [](std::uint64_t seed) {
    ApiServer server = make_server(test_options(seed));
    EXPECT_TRUE(
        server.add_failure_rule({.verb = Verb::get, .count_max = 0, .probability_ppm = 500'000})
            .ok());
    std::string outcome;
    for (int index = 0; index < 64; index++) {
      const auto result = server.get(app_key("x"));  // 404 unless the rule fires
      outcome += result.error().http_code() == 503 ? 'F' : '.';
    }
    return outcome;
  };
  const std::string first = outcomes(3);
  EXPECT_EQ(first, outcomes(3));
  EXPECT_NE(first, outcomes(4));
  EXPECT_NE(first.find('F'), std::string::npos);
  EXPECT_NE(first.find('.'), std::string::npos);
}

TEST(FailureRules, RulesAreBoundedAndValidated) {
  ApiServer server = make_server();
  EXPECT_FALSE(server.add_failure_rule({.probability_ppm = 0}).ok());
  for (std::size_t index = 0; index < failure_rules_max; index++) {
    ASSERT_TRUE(server.add_failure_rule({.verb = Verb::watch, .count_max = 0}).ok());
  }
  EXPECT_EQ(server.add_failure_rule({}).error().code, FaultError::limit_reached);
  server.clear_failure_rules();
  EXPECT_TRUE(server.watch({.resource = apps()}).ok());
}

TEST(InjectedConflict, NextWriteToTheObjectFails) {
  ApiServer server = make_server();
  const auto created = server.create(apps(), "default", make_app("web"));
  ASSERT_TRUE(created.ok());
  ASSERT_TRUE(server.inject_conflict({.key = app_key("web")}).ok());
  ASSERT_TRUE(server.create(apps(), "default", make_app("other")).ok());  // other objects pass
  const auto failed = server.patch(app_key("web"), PatchType::merge, {{"spec", {{"zones", 2}}}});
  ASSERT_TRUE(failed_with(failed, StatusReason::conflict));
  const auto unchanged = server.get(app_key("web"));
  ASSERT_TRUE(unchanged.ok());
  EXPECT_EQ(*unchanged, *created);
  EXPECT_TRUE(server.patch(app_key("web"), PatchType::merge, {{"spec", {{"zones", 2}}}}).ok());
}

TEST(InjectedConflict, ClearedConflictsNoLongerFail) {
  ApiServer server = make_server();
  ASSERT_TRUE(server.create(apps(), "default", make_app("web")).ok());
  for (int i = 0; i < 3; i++) ASSERT_TRUE(server.inject_conflict({.key = app_key("web")}).ok());
  EXPECT_TRUE(
      failed_with(server.patch(app_key("web"), PatchType::merge, {{"spec", {{"zones", 2}}}}),
                  StatusReason::conflict));
  server.clear_injected_conflicts();
  EXPECT_TRUE(server.patch(app_key("web"), PatchType::merge, {{"spec", {{"zones", 2}}}}).ok());
}

TEST(InjectedConflict, CompetingWriterMovesTheResourceVersion) {
  ApiServer server = make_server();
  const auto created = server.create(apps(), "default", make_app("web"));
  ASSERT_TRUE(created.ok());
  const auto watch = server.watch({.resource = apps(), .resource_version = rv_of(*created)});
  ASSERT_TRUE(watch.ok());
  ASSERT_TRUE(server.inject_conflict({.key = app_key("web"), .competing_write = true}).ok());
  EXPECT_TRUE(failed_with(server.remove(app_key("web")), StatusReason::conflict));
  const auto now = server.get(app_key("web"));
  ASSERT_TRUE(now.ok());
  EXPECT_GT(rv_number(*now), rv_number(*created));
  EXPECT_EQ((*now)["spec"], (*created)["spec"]);
  EXPECT_EQ(event_names(drain(server, *watch)), (std::vector<std::string>{"MODIFIED web"}));
  // The client's stale version now conflicts for real; a fresh read succeeds.
  EXPECT_TRUE(failed_with(server.update(app_key("web"), *created), StatusReason::conflict));
  EXPECT_TRUE(server.update(app_key("web"), *now).ok());
}

TEST(Pause, EveryRequestFailsUntilResumed) {
  ApiServer server = make_server();
  ASSERT_TRUE(server.create(apps(), "default", make_app("web")).ok());
  const auto watch = server.watch({.resource = apps()});
  ASSERT_TRUE(watch.ok());
  (void)drain(server, *watch);
  server.pause();
  EXPECT_TRUE(server.paused());
  EXPECT_TRUE(failed_with(server.get(app_key("web")), StatusReason::service_unavailable));
  EXPECT_TRUE(failed_with(server.watch({.resource = apps()}), StatusReason::service_unavailable));
  EXPECT_TRUE(failed_with(server.remove(app_key("web")), StatusReason::service_unavailable));
  EXPECT_FALSE(server.poll_watch(*watch).has_value());  // open, quiet
  server.resume();
  EXPECT_TRUE(server.get(app_key("web")).ok());
  EXPECT_EQ(server.request_count(Verb::get, 503), 1u);
  const std::vector<RequestCount> counts = server.request_counts();
  ASSERT_FALSE(counts.empty());
  EXPECT_TRUE(std::is_sorted(counts.begin(), counts.end(), [](const auto& a, const auto& b) {
    return std::pair(a.verb, a.http_code) < std::pair(b.verb, b.http_code);
  }));
}

}  // namespace
}  // namespace mesh::kube_sim
