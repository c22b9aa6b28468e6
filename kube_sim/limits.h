// Hard limits of the in-memory API server: every map, queue and request body it holds.
//
// Each limit says what happens on overflow. Nothing grows silently: a request that would exceed
// a limit fails with a Kubernetes Status, a watch that falls behind is terminated, and history
// past its bound is compacted (older resourceVersions then get 410 Gone). Runtime tunables
// (Options) are checked against these caps by Options::validate().
#pragma once

#include <cstddef>

namespace mesh::kube_sim {

// Resource types one server serves. Overflow: register_type() returns 400 BadRequest.
inline constexpr std::size_t types_max = 64;
// SSA list rules (keyed lists and sets) per type. Overflow: register_type() returns BadRequest.
inline constexpr std::size_t list_rules_per_type_max = 16;

// Objects stored across all types. Overflow: create returns 500 InternalError, as etcd does when
// its space quota is exhausted; nothing is evicted.
inline constexpr std::size_t objects_max = 100'000;
// Serialized size of one stored object: etcd's default request limit (--max-request-bytes,
// 1.5 MiB). Overflow: the write returns 413 RequestEntityTooLarge and nothing is stored.
inline constexpr std::size_t object_size_max = 1'572'864;
// Nesting depth of a request body. Overflow: 400 BadRequest before anything else reads it, so
// no later walk over a body has to guard against runaway depth.
inline constexpr std::size_t object_depth_max = 64;
// Total size of metadata.annotations, as the real server's TotalAnnotationSizeLimitB (256 KiB).
// Overflow: 422 Invalid.
inline constexpr std::size_t annotations_size_max = 262'144;

// Events retained per type for watch replay: the cap for Options::watch_history_max. Overflow of
// the configured bound drops the oldest event and raises that type's compaction point, so watches
// from older resourceVersions get 410 Gone.
inline constexpr std::size_t watch_history_max = 1'000'000;
// Events queued per watch: the cap for Options::watch_queue_events_max. Overflow of the configured
// bound terminates that watch: its queue is replaced by one ERROR event carrying 410 Gone and the
// client must relist. Bookmarks never overflow a queue; they are skipped when it is full.
inline constexpr std::size_t watch_queue_events_max = 1'000'000;
// Watches held at once (open, or closed with events not yet drained). Overflow: watch() returns
// 429 TooManyRequests.
inline constexpr std::size_t watches_max = 4'096;

// Failure rules installed at once. Overflow: add_failure_rule() returns FaultError.
inline constexpr std::size_t failure_rules_max = 64;
// Injected conflicts waiting for their write. Overflow: inject_conflict() returns FaultError.
inline constexpr std::size_t injected_conflicts_max = 1'024;

// Update-operation managers per object and subresource, as the real server's maxUpdateManagers.
// Overflow: the oldest entries are merged into one "ancient-changes" entry.
inline constexpr std::size_t update_managers_per_object_max = 10;
// Apply-operation managers per object. Overflow: an apply by one more manager returns 422 Invalid.
inline constexpr std::size_t apply_managers_per_object_max = 64;

// Label selector text, requirements and values per `in`/`notin` set. Overflow: 400 BadRequest.
inline constexpr std::size_t label_selector_size_max = 4'096;
inline constexpr std::size_t label_selector_requirements_max = 64;
inline constexpr std::size_t label_selector_values_max = 64;

// Names tried for one generateName create. Overflow: 409 AlreadyExists; the real server also
// leaves the retry to the client.
inline constexpr std::size_t generate_name_attempts_max = 8;

static_assert(object_depth_max >= 8, "objects of our kinds nest about 7 levels deep");
static_assert(annotations_size_max < object_size_max, "annotations must fit in an object");
static_assert(update_managers_per_object_max >= 2, "merging needs two entries to merge");
static_assert(generate_name_attempts_max >= 1, "generateName must try at least once");

}  // namespace mesh::kube_sim
