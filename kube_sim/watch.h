// Watches: the change history per type and the bounded event queue of every watch.
//
// Every committed write becomes a Change in its type's history (bounded by watch_history_max;
// dropping the oldest raises the compaction point) and is offered to the type's open watches.
// Filters follow the real server: an object whose labels stop matching is DELETED from the
// watch, one that starts matching is ADDED. A queue overflow terminates the watch with one ERROR
// (410 Gone). poll() ends a closed watch with CLOSED, the end of the stream, not a wire event.
// No type lookups or request checks here: ApiServer does those.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/json.h"

#include "kube_sim/selector.h"
#include "kube_sim/stored_version.h"

namespace mesh::kube_sim {

enum class WatchEventType : std::uint8_t { added, modified, deleted, bookmark, error, closed };

// "ADDED", "MODIFIED", "DELETED", "BOOKMARK", "ERROR"; "CLOSED" is ours (end of stream).
std::string_view watch_event_type_name(WatchEventType type);

struct WatchEvent {
  WatchEventType type = WatchEventType::closed;
  // The object (with metadata.managedFields); a metav1.Status for ERROR; {kind, apiVersion,
  // metadata.resourceVersion} for BOOKMARK; null for CLOSED.
  engine::Json object;

  // {"type": "ADDED", "object": {...}}, the wire form of one watch event.
  engine::Json to_json() const;
};

// A WatchEvent whose object is the stored version's own (never null, never modified, without
// metadata.managedFields: stored_version.h), for clients that only read it, so that no event
// is copied before it is read.
struct SharedWatchEvent {
  WatchEventType type = WatchEventType::closed;
  SharedObject object;
};

struct WatchId {
  std::uint64_t value = 0;
  auto operator<=>(const WatchId&) const = default;
};

// One committed write, kept in the history of its type.
struct Change {
  std::uint64_t resource_version = 0;
  WatchEventType type = WatchEventType::added;  // added, modified or deleted
  std::string namespace_name;
  // After the write; for deleted, the last state. Shared with the store (never null, never
  // modified): the history keeps every version, and copying each one was a tenth of a write.
  SharedVersion version;
  engine::Json labels_before;  // for modified: metadata.labels before the write
};

struct WatchFilter {
  std::size_t type_index = 0;
  std::string namespace_name;  // "" for all
  LabelSelector selector;
  bool allow_bookmarks = false;
  engine::Json bookmark_template;  // {"apiVersion": ..., "kind": ...}
};

// How a watch ends when the server drops it.
enum class WatchDrop : std::uint8_t {
  close,       // the stream ends; queued events are lost, as with a broken connection
  gone_error,  // an ERROR event with 410 Gone, then the end
};

class WatchHub {
 public:
  WatchHub(std::size_t history_max, std::size_t queue_events_max);

  // History for the type registered at index history_count().
  void add_type();
  std::size_t history_count() const { return histories_.size(); }
  // Every change of the type with a resourceVersion above this value is retained.
  std::uint64_t compacted_resource_version(std::size_t type_index) const;

  // Appends to the type's history and queues the change on matching open watches.
  void record(std::size_t type_index, Change change);

  WatchId open(WatchFilter filter);
  std::size_t watch_count() const { return watches_.size(); }
  bool is_open(WatchId id) const;
  std::size_t queued_count(WatchId id) const;
  // Queues an event on one watch (synthetic ADDED events of a new watch).
  void deliver(WatchId id, WatchEventType type, SharedVersion version);
  // Queues every retained change after `resource_version` that passes the watch's filter.
  void replay(WatchId id, std::uint64_t resource_version);

  // The next event, its object rendered with metadata.managedFields.
  std::optional<WatchEvent> poll(WatchId id);
  // The next event, its object the version's own (without metadata.managedFields).
  std::optional<SharedWatchEvent> poll_shared(WatchId id);
  void stop(WatchId id);
  void drop(WatchId id, WatchDrop how);
  void drop_all(WatchDrop how);
  // Forgets all history: watches from any resourceVersion below `resource_version` get 410.
  void compact(std::uint64_t resource_version);
  void emit_bookmarks(std::uint64_t resource_version);

 private:
  struct QueuedEvent {
    WatchEventType type = WatchEventType::closed;
    SharedVersion version;  // never null
  };
  struct Watch {
    WatchFilter filter;
    std::deque<QueuedEvent> queue;       // at most queue_events_max_ events
    bool open = true;                    // false: only the queue remains to drain, then CLOSED
  };
  struct History {
    std::deque<Change> changes;  // ascending resourceVersion, at most history_max_
    std::uint64_t compacted_resource_version = 0;
  };

  void enqueue(Watch& watch, QueuedEvent event);
  std::optional<QueuedEvent> take(WatchId id);
  void terminate(Watch& watch, WatchDrop how);
  void offer(Watch& watch, const Change& change);

  std::size_t history_max_;
  std::size_t queue_events_max_;
  std::vector<History> histories_;          // by type index
  std::map<std::uint64_t, Watch> watches_;  // by id, at most watches_max
  std::uint64_t next_id_ = 1;
};

}  // namespace mesh::kube_sim
