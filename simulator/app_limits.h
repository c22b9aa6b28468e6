// Hard limits of the AnyApplication controller emulation (simulator/app_controller.h).
//
// Every map, queue, retry loop and decoded list of the emulation has a bound here, and each
// bound says what happens on overflow. The timing constants that mirror client-go and
// controller-runtime defaults (DefaultRetry, the workqueue's per-item backoff) live here too,
// because they are fixed by those libraries rather than tunable per controller.
#pragma once

#include <cstddef>
#include <cstdint>

#include "engine/time.h"

namespace mesh::simulator {

// AnyApplications one controller tracks (cache, queue, job, workload, checks). Overflow: a new
// object beyond the bound is ignored and counted in AppControllerCounters::apps_dropped.
inline constexpr std::size_t app_apps_max = 10'000;
// Knob records (health, sync errors) per controller. Overflow: the knob is refused.
inline constexpr std::size_t app_knobs_max = app_apps_max;

// Decoded list lengths of one AnyApplication. Overflow: the object fails to decode, which the
// controller treats like the real strict decoder's rejection (skip and count).
inline constexpr std::size_t app_zones_max = 256;
inline constexpr std::size_t app_placements_max = 256;
inline constexpr std::size_t app_conditions_per_zone_max = 64;
inline constexpr std::size_t app_finalizers_max = 64;
inline constexpr std::size_t app_node_affinity_max = 64;
inline constexpr std::size_t app_sync_options_max = 64;
static_assert(app_placements_max <= app_zones_max * 4, "placements name zones");

// Work items (reconciles and job ticks) one handle_timeout() call runs. Overflow: the rest stays
// due and next_deadline() reports `now`, so a livelock shows up as a stuck clock, not a hang.
inline constexpr std::size_t app_steps_per_timeout_max = 100'000;
// Watch events drained in one refresh. Overflow: draining stops; the rest is read next time.
inline constexpr std::size_t app_watch_events_per_drain_max = 100'000;

// client-go retry.DefaultRetry: Steps 5. Conflicts past this are given up (a job drops the write,
// a reconcile requeues with backoff). The ~10 ms sleeps between tries take no virtual time here.
inline constexpr std::size_t app_status_write_attempts_max = 5;

// controller-runtime's per-item exponential rate limiter: 5 ms * 2^failures, at most 1000 s.
inline constexpr Duration app_backoff_base = Duration::from_ms(5);
inline constexpr Duration app_backoff_max = Duration::from_seconds(1'000);
// 5 ms * 2^18 > 1000 s, so exponents past this only saturate; it also keeps the shift defined.
inline constexpr std::uint32_t app_backoff_exponent_max = 18;
static_assert(app_backoff_base * (std::int64_t{1} << app_backoff_exponent_max) >= app_backoff_max,
              "the exponent cap must reach the maximum backoff");

// The informer's relist/rewatch backoff after a failed list or watch request (client-go's
// reflector backs off 800 ms .. 30 s with jitter; we double from 1 s without jitter).
inline constexpr Duration app_relist_backoff_min = Duration::from_seconds(1);
inline constexpr Duration app_relist_backoff_max = Duration::from_seconds(30);

// Chart index entries (constraint -> concrete version). Overflow: set_chart_version() fails.
inline constexpr std::size_t app_chart_index_entries_max = 4'096;
// Versions installed at once per application in the simulated workload. Overflow: apply of one
// more version fails like a sync error.
inline constexpr std::size_t app_workload_versions_max = 16;
// Objects a rendered chart consists of (the Total= of undeploy progress messages).
inline constexpr std::int64_t app_workload_objects_per_version = 3;

// Property violations kept for inspection. Overflow: further ones are only counted.
inline constexpr std::size_t app_violations_max = 1'000;
// Zone entries per application whose version history the checker tracks. Overflow: entries
// beyond are not checked (counted in AppControllerCounters::checks_skipped).
inline constexpr std::size_t app_checked_zones_max = app_zones_max;

}  // namespace mesh::simulator
