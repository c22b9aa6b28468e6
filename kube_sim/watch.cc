#include "kube_sim/watch.h"

#include "engine/assert.h"
#include "kube_sim/internal/object_meta.h"
#include "kube_sim/limits.h"
#include "kube_sim/status.h"

namespace mesh::kube_sim {
namespace {

SharedVersion gone_status() {
  ApiError error;
  error.reason = StatusReason::gone;
  error.message = "watch terminated: too old resource version; the client must relist";
  return make_plain_version(error.to_status());
}

SharedVersion closed_object() {
  return make_plain_version(nullptr);
}

}  // namespace

std::string_view watch_event_type_name(WatchEventType type) {
  switch (type) {
    case WatchEventType::added: return "ADDED";
    case WatchEventType::modified: return "MODIFIED";
    case WatchEventType::deleted: return "DELETED";
    case WatchEventType::bookmark: return "BOOKMARK";
    case WatchEventType::error: return "ERROR";
    case WatchEventType::closed: return "CLOSED";
  }
  MESH_UNREACHABLE();
}

engine::Json WatchEvent::to_json() const {
  return {{"type", watch_event_type_name(type)}, {"object", object}};
}

WatchHub::WatchHub(std::size_t history_max, std::size_t queue_events_max)
    : history_max_(history_max), queue_events_max_(queue_events_max) {
  MESH_ASSERT(history_max_ >= 1 && history_max_ <= watch_history_max);
  MESH_ASSERT(queue_events_max_ >= 1 && queue_events_max_ <= watch_queue_events_max);
}

void WatchHub::add_type() {
  MESH_ASSERT(histories_.size() < types_max);
  histories_.emplace_back();
}

std::uint64_t WatchHub::compacted_resource_version(std::size_t type_index) const {
  MESH_ASSERT(type_index < histories_.size());
  return histories_[type_index].compacted_resource_version;
}

void WatchHub::record(std::size_t type_index, Change change) {
  MESH_ASSERT(type_index < histories_.size());
  History& history = histories_[type_index];
  MESH_ASSERT(history.changes.empty() ||
              history.changes.back().resource_version < change.resource_version);
  MESH_ASSERT(change.type == WatchEventType::added || change.type == WatchEventType::modified ||
              change.type == WatchEventType::deleted);
  MESH_ASSERT(change.version != nullptr);
  for (auto& [id, watch] : watches_) {
    if (watch.filter.type_index == type_index) offer(watch, change);
  }
  if (history.changes.size() >= history_max_) {
    history.compacted_resource_version = history.changes.front().resource_version;
    history.changes.pop_front();
  }
  history.changes.push_back(std::move(change));
  MESH_ASSERT(history.changes.size() <= history_max_);
}

WatchId WatchHub::open(WatchFilter filter) {
  MESH_ASSERT(filter.type_index < histories_.size());
  MESH_ASSERT(watches_.size() < watches_max);
  const WatchId id{next_id_++};
  watches_.emplace(id.value, Watch{std::move(filter), {}, true});
  return id;
}

bool WatchHub::is_open(WatchId id) const {
  const auto found = watches_.find(id.value);
  return found != watches_.end() && found->second.open;
}

std::size_t WatchHub::queued_count(WatchId id) const {
  const auto found = watches_.find(id.value);
  return found == watches_.end() ? 0 : found->second.queue.size();
}

void WatchHub::deliver(WatchId id, WatchEventType type, SharedVersion version) {
  const auto found = watches_.find(id.value);
  MESH_ASSERT(found != watches_.end());
  enqueue(found->second, QueuedEvent{type, std::move(version)});
}

void WatchHub::replay(WatchId id, std::uint64_t resource_version) {
  const auto found = watches_.find(id.value);
  MESH_ASSERT(found != watches_.end());
  Watch& watch = found->second;
  const History& history = histories_[watch.filter.type_index];
  MESH_ASSERT(resource_version >= history.compacted_resource_version);
  for (const Change& change : history.changes) {
    if (change.resource_version > resource_version) offer(watch, change);
  }
}

std::optional<WatchEvent> WatchHub::poll(WatchId id) {
  std::optional<QueuedEvent> event = take(id);
  if (!event.has_value()) return std::nullopt;
  MESH_ASSERT(event->version != nullptr);
  return WatchEvent{event->type, event->version->rendered()};
}

std::optional<SharedWatchEvent> WatchHub::poll_shared(WatchId id) {
  std::optional<QueuedEvent> event = take(id);
  if (!event.has_value()) return std::nullopt;
  MESH_ASSERT(event->version != nullptr);
  return SharedWatchEvent{event->type, object_of(event->version)};
}

std::optional<WatchHub::QueuedEvent> WatchHub::take(WatchId id) {
  MESH_ASSERT(id.value > 0 && id.value < next_id_);  // an id this hub handed out
  const auto found = watches_.find(id.value);
  if (found == watches_.end()) return QueuedEvent{WatchEventType::closed, closed_object()};
  Watch& watch = found->second;
  if (!watch.queue.empty()) {
    QueuedEvent event = std::move(watch.queue.front());
    watch.queue.pop_front();
    return event;
  }
  if (watch.open) return std::nullopt;
  watches_.erase(found);
  return QueuedEvent{WatchEventType::closed, closed_object()};
}

void WatchHub::stop(WatchId id) {
  watches_.erase(id.value);
}

void WatchHub::drop(WatchId id, WatchDrop how) {
  const auto found = watches_.find(id.value);
  if (found != watches_.end()) terminate(found->second, how);
}

void WatchHub::drop_all(WatchDrop how) {
  for (auto& [id, watch] : watches_) terminate(watch, how);
}

void WatchHub::compact(std::uint64_t resource_version) {
  for (History& history : histories_) {
    MESH_ASSERT(history.changes.empty() ||
                history.changes.back().resource_version <= resource_version);
    history.changes.clear();
    history.compacted_resource_version =
        std::max(history.compacted_resource_version, resource_version);
  }
}

// A bookmark never terminates a watch: it is skipped when the queue is full, and replaces a
// bookmark still waiting at the tail, as the real server sends them only to idle watchers.
void WatchHub::emit_bookmarks(std::uint64_t resource_version) {
  for (auto& [id, watch] : watches_) {
    if (!watch.open || !watch.filter.allow_bookmarks) continue;
    engine::Json object = watch.filter.bookmark_template;
    object["metadata"] = {{"resourceVersion", std::to_string(resource_version)}};
    QueuedEvent event{WatchEventType::bookmark, make_plain_version(std::move(object))};
    if (!watch.queue.empty() && watch.queue.back().type == WatchEventType::bookmark) {
      watch.queue.back() = std::move(event);
    } else if (watch.queue.size() < queue_events_max_) {
      watch.queue.push_back(std::move(event));
    }
  }
}

void WatchHub::enqueue(Watch& watch, QueuedEvent event) {
  MESH_ASSERT(event.version != nullptr);
  if (!watch.open) return;
  if (watch.queue.size() >= queue_events_max_) {
    terminate(watch, WatchDrop::gone_error);
    return;
  }
  watch.queue.push_back(std::move(event));
  MESH_ASSERT(watch.queue.size() <= queue_events_max_);
}

void WatchHub::terminate(Watch& watch, WatchDrop how) {
  if (!watch.open) return;
  watch.queue.clear();
  if (how == WatchDrop::gone_error) {
    watch.queue.push_back(QueuedEvent{WatchEventType::error, gone_status()});
  }
  watch.open = false;
}

// Applies the namespace and label filter to a change, turning label transitions into ADDED or
// DELETED the way the real watch cache does.
void WatchHub::offer(Watch& watch, const Change& change) {
  const WatchFilter& filter = watch.filter;
  if (!filter.namespace_name.empty() && filter.namespace_name != change.namespace_name) return;
  const bool matches_now = filter.selector.matches(internal::labels_of(change.version->object));
  WatchEventType type = change.type;
  if (change.type == WatchEventType::modified) {
    const bool matched_before = filter.selector.matches(change.labels_before);
    if (!matched_before && !matches_now) return;
    if (!matched_before) type = WatchEventType::added;
    if (!matches_now) type = WatchEventType::deleted;
  } else if (!matches_now) {
    return;
  }
  enqueue(watch, QueuedEvent{type, change.version});
}

}  // namespace mesh::kube_sim
