// ApiServer: construction, types, reads, watches, faults and inspection. Writes are in
// api_server_write.cc.
#include "kube_sim/api_server.h"

#include <algorithm>
#include <limits>

#include "kube_sim/internal/errors.h"
#include "kube_sim/internal/object_meta.h"
#include "kube_sim/internal/request_checks.h"
#include "kube_sim/timestamp.h"
#include "kube_sim/validation.h"

namespace mesh::kube_sim {
namespace {

using json = ::mesh::engine::Json;
using namespace internal;

// The named write methods answer with a copy the caller may edit, managedFields included.
ApiResult<json> copied(ApiResult<SharedVersion> result) {
  if (!result.ok()) return fail(std::move(result).error());
  MESH_ASSERT(result.value() != nullptr);
  return result.value()->rendered();
}

template <typename T>
int outcome_code(const ApiResult<T>& result, int success_code) {
  return result.ok() ? success_code : result.error().http_code();
}

ApiResult<void> check_type_shape(const ResourceType& type) {
  if (!type.group.empty() && !check_dns1123_subdomain(type.group).ok()) {
    return fail(bad_request("resource type group \"" + printable(type.group) +
                            "\" is not a DNS-1123 subdomain"));
  }
  if (!check_dns1123_label(type.version).ok() || !check_dns1123_label(type.plural).ok()) {
    return fail(bad_request("resource type version and plural must be DNS-1123 labels"));
  }
  if (type.kind.empty() || !is_valid_utf8(type.kind)) {
    return fail(bad_request("resource type kind must be a non-empty name"));
  }
  for (const ListRule& rule : type.list_rules) {
    if (rule.path.empty() || !is_valid_utf8(rule.path) || !is_valid_utf8(rule.key)) {
      return fail(bad_request("list rule paths must be non-empty dotted field names"));
    }
  }
  if (type.list_rules.size() >= list_rules_per_type_max) {
    return fail(bad_request("more than list_rules_per_type_max=" +
                            std::to_string(list_rules_per_type_max) + " list rules"));
  }
  return {};
}

bool in_namespace(const std::string& filter, const std::string& namespace_name) {
  return filter.empty() || filter == namespace_name;
}

}  // namespace

Result<void, Error<OptionsError>> Options::validate() const {
  if (watch_history_max < 1 || watch_history_max > kube_sim::watch_history_max) {
    return fail(OptionsError::out_of_range,
                "watch_history_max must be in 1.." + std::to_string(kube_sim::watch_history_max));
  }
  if (watch_queue_events_max < 1 || watch_queue_events_max > kube_sim::watch_queue_events_max) {
    return fail(OptionsError::out_of_range, "watch_queue_events_max must be in 1.." +
                                                std::to_string(kube_sim::watch_queue_events_max));
  }
  if (bookmark_interval < Duration::zero()) {
    return fail(OptionsError::out_of_range, "bookmark_interval must not be negative");
  }
  return {};
}

ApiServer::ApiServer(Options options)
    : options_(std::move(options)),
      prng_(options_.seed),
      watches_(options_.watch_history_max, options_.watch_queue_events_max) {
  MESH_ASSERT(options_.validate().ok());
  if (!options_.builtin_types) return;
  for (ResourceType& type : builtin_types()) MESH_ASSERT(register_type(std::move(type)).ok());
  MESH_ASSERT(types_.size() == builtin_types().size());
}

ApiResult<void> ApiServer::register_type(ResourceType type) {
  if (types_.size() >= types_max) {
    return fail(bad_request("more than types_max=" + std::to_string(types_max) + " types"));
  }
  MESH_TRY_VOID(check_type_shape(type));
  if (find_state(type.resource()) != nullptr) {
    return fail(bad_request("resource " + type.qualified_resource() + "/" + type.version +
                            " is already registered"));
  }
  // metadata.finalizers is a set in every type (listType=set in ObjectMeta).
  if (find_list_rule(type.list_rules, "metadata.finalizers") == nullptr) {
    type.list_rules.push_back({"metadata.finalizers", ""});
  }
  const std::size_t index = types_.size();
  MESH_ASSERT(watches_.history_count() == index);
  auto api_version = std::make_shared<const std::string>(type.api_version());
  types_.push_back(TypeState{std::move(type), index, {}, std::move(api_version)});
  watches_.add_type();
  return {};
}

const ResourceType* ApiServer::find_type(const GroupVersionResource& resource) const {
  const TypeState* state = find_state(resource);
  return state == nullptr ? nullptr : &state->type;
}

std::vector<ResourceType> ApiServer::types() const {
  std::vector<ResourceType> result;
  result.reserve(types_.size());
  for (const TypeState& state : types_) result.push_back(state.type);
  return result;
}

void ApiServer::set_time(WallTime now) {
  now_ = now;
  if (options_.bookmark_interval <= Duration::zero()) return;
  // A clock that stepped back restarts the schedule instead of silencing bookmarks until it
  // catches up again.
  if (!last_bookmark_.has_value() || now < *last_bookmark_) {
    last_bookmark_ = now;
    return;
  }
  if (now >= *last_bookmark_ + options_.bookmark_interval) {
    emit_bookmarks();
    last_bookmark_ = now;
  }
}

ApiResult<json> ApiServer::get(const ObjectKey& key) {
  return copied(get_shared_version(key));
}

ApiResult<SharedObject> ApiServer::get_shared(const ObjectKey& key) {
  ApiResult<SharedVersion> result = get_shared_version(key);
  if (!result.ok()) return fail(std::move(result).error());
  return object_of(result.value());
}

ApiResult<SharedVersion> ApiServer::get_shared_version(const ObjectKey& key) {
  ApiResult<SharedVersion> result = get_object(key);
  count_request(Verb::get, outcome_code(result, 200));
  return result;
}

ApiResult<ObjectList> ApiServer::list(const ListRequest& request) {
  ApiResult<ObjectList> result = list_objects(request);
  count_request(Verb::list, outcome_code(result, 200));
  return result;
}

ApiResult<SharedObject> ApiServer::write(const WriteRequest& request, const json& body) {
  ApiResult<SharedVersion> result = write_counted(request, body);
  if (!result.ok()) return fail(std::move(result).error());
  return object_of(result.value());
}

ApiResult<SharedVersion> ApiServer::write_counted(const WriteRequest& request, const json& body) {
  ApiResult<SharedVersion> result = write_object(request, body);
  count_request(request.verb, outcome_code(result, request.verb == Verb::create ? 201 : 200));
  return result;
}

ApiResult<json> ApiServer::create(const GroupVersionResource& resource,
                                  std::string_view namespace_name, const json& object,
                                  const WriteOptions& options) {
  return copied(write_counted({.verb = Verb::create,
                               .key = {resource, std::string(namespace_name), ""},
                               .options = options},
                              object));
}

ApiResult<json> ApiServer::update(const ObjectKey& key, const json& object,
                                  const WriteOptions& options) {
  return copied(write_counted({.verb = Verb::update, .key = key, .options = options}, object));
}

ApiResult<json> ApiServer::update_status(const ObjectKey& key, const json& object,
                                         const WriteOptions& options) {
  return copied(write_counted(
      {.verb = Verb::update, .subresource = Subresource::status, .key = key, .options = options},
      object));
}

ApiResult<json> ApiServer::patch(const ObjectKey& key, PatchType type, const json& body,
                                 const WriteOptions& options) {
  return copied(write_counted(
      {.verb = Verb::patch, .patch_type = type, .key = key, .options = options}, body));
}

ApiResult<json> ApiServer::patch_status(const ObjectKey& key, PatchType type, const json& body,
                                        const WriteOptions& options) {
  return copied(write_counted({.verb = Verb::patch,
                               .subresource = Subresource::status,
                               .patch_type = type,
                               .key = key,
                               .options = options},
                              body));
}

ApiResult<json> ApiServer::apply(const ObjectKey& key, const json& configuration,
                                 const WriteOptions& options) {
  return patch(key, PatchType::apply, configuration, options);
}

ApiResult<json> ApiServer::apply_status(const ObjectKey& key, const json& configuration,
                                        const WriteOptions& options) {
  return patch_status(key, PatchType::apply, configuration, options);
}

ApiResult<DeleteOutcome> ApiServer::remove(const ObjectKey& key, const DeleteOptions& options) {
  ApiResult<DeleteOutcome> result = remove_object(key, options);
  count_request(Verb::remove, outcome_code(result, 200));
  return result;
}

ApiResult<WatchId> ApiServer::watch(const WatchRequest& request) {
  ApiResult<WatchId> result = open_watch(request);
  count_request(Verb::watch, outcome_code(result, 200));
  return result;
}

std::optional<WatchEvent> ApiServer::poll_watch(WatchId id) {
  return watches_.poll(id);
}

std::optional<SharedWatchEvent> ApiServer::poll_watch_shared(WatchId id) {
  return watches_.poll_shared(id);
}

void ApiServer::stop_watch(WatchId id) {
  watches_.stop(id);
}

void ApiServer::emit_bookmarks() {
  watches_.emit_bookmarks(resource_version_);
}

void ApiServer::drop_watch(WatchId id, WatchDrop how) {
  watches_.drop(id, how);
}

void ApiServer::drop_all_watches(WatchDrop how) {
  watches_.drop_all(how);
}

void ApiServer::compact_history() {
  watches_.compact(resource_version_);
}

Result<void, Error<FaultError>> ApiServer::add_failure_rule(const FailureRule& rule) {
  return faults_.add_rule(rule);
}

void ApiServer::clear_failure_rules() {
  faults_.clear_rules();
}

Result<void, Error<FaultError>> ApiServer::inject_conflict(const ConflictInjection& injection) {
  return faults_.add_conflict(injection);
}

void ApiServer::clear_injected_conflicts() {
  faults_.clear_conflicts();
}

void ApiServer::pause() {
  faults_.pause();
}

void ApiServer::resume() {
  faults_.resume();
}

bool ApiServer::paused() const {
  return faults_.paused();
}

std::vector<json> ApiServer::snapshot(const GroupVersionResource& resource) const {
  std::vector<json> objects;
  for (const SharedVersion& version : stored_versions(resource)) {
    objects.push_back(version->rendered());
  }
  return objects;
}

std::vector<SharedObject> ApiServer::snapshot_shared(const GroupVersionResource& resource) const {
  std::vector<SharedObject> objects;
  for (const SharedVersion& version : stored_versions(resource)) {
    objects.push_back(object_of(version));
  }
  return objects;
}

std::vector<SharedVersion> ApiServer::stored_versions(const GroupVersionResource& resource) const {
  std::vector<SharedVersion> versions;
  const TypeState* state = find_state(resource);
  if (state == nullptr) return versions;
  versions.reserve(state->objects.size());
  for (const auto& [key, stored] : state->objects) versions.push_back(stored.version());
  return versions;
}

std::vector<RequestCount> ApiServer::request_counts() const {
  std::vector<RequestCount> counts;
  counts.reserve(request_counts_.size());
  for (const auto& [key, count] : request_counts_) counts.push_back({key.first, key.second, count});
  return counts;
}

std::uint64_t ApiServer::request_count(Verb verb, int http_code) const {
  const auto found = request_counts_.find({verb, http_code});
  return found == request_counts_.end() ? 0 : found->second;
}

// Pause first, then injected failures, then the type lookup: a paused or failing server
// answers before it routes, so even unknown resources see the fault.
ApiResult<ApiServer::TypeState*> ApiServer::admit(Verb verb, const GroupVersionResource& resource) {
  if (faults_.paused()) {
    return fail(service_unavailable("the server is paused (injected fault); retry later"));
  }
  std::optional<ApiError> injected = faults_.check(verb, resource, prng_);
  if (injected.has_value()) return fail(std::move(*injected));
  TypeState* state = find_state(resource);
  if (state == nullptr) return fail(unknown_resource(resource));
  return state;
}

ApiServer::TypeState* ApiServer::find_state(const GroupVersionResource& resource) {
  const auto found = std::find_if(types_.begin(), types_.end(), [&](const TypeState& state) {
    return state.type.resource() == resource;
  });
  return found == types_.end() ? nullptr : &*found;
}

const ApiServer::TypeState* ApiServer::find_state(const GroupVersionResource& resource) const {
  const auto found = std::find_if(types_.begin(), types_.end(), [&](const TypeState& state) {
    return state.type.resource() == resource;
  });
  return found == types_.end() ? nullptr : &*found;
}

ApiResult<ApiServer::ObjectMap::iterator> ApiServer::find_object(TypeState& state,
                                                                 const ObjectKey& key) {
  const auto found = state.objects.find({key.namespace_name, key.name});
  if (found == state.objects.end()) return fail(not_found(state.type, key.name));
  return found;
}

void ApiServer::count_request(Verb verb, int http_code) {
  request_counts_[{verb, http_code}]++;
}

ApiResult<SharedVersion> ApiServer::get_object(const ObjectKey& key) {
  MESH_TRY(TypeState * state, admit(Verb::get, key.resource));
  MESH_TRY_VOID(check_object_key(state->type, key));
  MESH_TRY(const ObjectMap::iterator found, find_object(*state, key));
  return found->second.version();
}

ApiResult<ObjectList> ApiServer::list_objects(const ListRequest& request) {
  MESH_TRY(TypeState * state, admit(Verb::list, request.resource));
  const ResourceType& type = state->type;
  MESH_TRY_VOID(check_namespace_scope(type, request.namespace_name, true));
  MESH_TRY(const LabelSelector selector, parse_selector(request.label_selector));
  const std::string& version = request.resource_version;
  if (!version.empty() && version != "0") {
    const auto parsed = parse_resource_version(version);
    if (!parsed.ok()) return fail(bad_request(parsed.error()));
    if (parsed.value() > resource_version_) {
      return fail(timeout("Too large resource version: " + version +
                          ", current: " + std::to_string(resource_version_)));
    }
  }
  ObjectList list{type.api_version(), type.kind + "List", std::to_string(resource_version_), {}};
  for (const auto& [key, stored] : state->objects) {
    if (!in_namespace(request.namespace_name, key.first)) continue;
    if (selector.matches(labels_of(stored.object()))) {
      list.items.push_back(stored.version()->rendered());
    }
  }
  return list;
}

// Watch start semantics (docs/kube_sim.md): "" and "0" begin with synthetic ADDED events for
// the current state, like the real server's "get state and start at most recent"; a number
// replays the retained history after it.
ApiResult<WatchId> ApiServer::open_watch(const WatchRequest& request) {
  MESH_TRY(TypeState * state, admit(Verb::watch, request.resource));
  const ResourceType& type = state->type;
  MESH_TRY_VOID(check_namespace_scope(type, request.namespace_name, true));
  MESH_TRY(const LabelSelector selector, parse_selector(request.label_selector));
  if (watches_.watch_count() >= watches_max) {
    return fail(too_many_requests("more than watches_max=" + std::to_string(watches_max) +
                                  " watches are open"));
  }
  const std::string& version = request.resource_version;
  std::uint64_t from_version = 0;
  const bool from_state = version.empty() || version == "0";
  if (!from_state) {
    const auto parsed = parse_resource_version(version);
    if (!parsed.ok()) return fail(bad_request(parsed.error()));
    from_version = parsed.value();
    const std::uint64_t compacted = watches_.compacted_resource_version(state->index);
    if (from_version < compacted) {
      return fail(
          gone("too old resource version: " + version + " (" + std::to_string(compacted) + ")"));
    }
    if (from_version > resource_version_) {
      return fail(timeout("Too large resource version: " + version +
                          ", current: " + std::to_string(resource_version_)));
    }
  }
  WatchFilter filter{state->index, request.namespace_name, selector, request.allow_bookmarks,
                     json{{"apiVersion", type.api_version()}, {"kind", type.kind}}};
  const WatchId id = watches_.open(std::move(filter));
  if (!from_state) {
    watches_.replay(id, from_version);
    return id;
  }
  for (const auto& [key, stored] : state->objects) {
    if (!in_namespace(request.namespace_name, key.first)) continue;
    if (!selector.matches(labels_of(stored.object()))) continue;
    watches_.deliver(id, WatchEventType::added, stored.version());
  }
  return id;
}

void ApiServer::record(TypeState& state, WatchEventType type, SharedVersion version,
                       json labels_before) {
  MESH_ASSERT(version != nullptr);
  const std::string resource_version = meta_string(version->object, "resourceVersion");
  MESH_ASSERT(resource_version == std::to_string(resource_version_));
  std::string namespace_name = meta_string(version->object, "namespace");
  watches_.record(state.index, Change{resource_version_, type, std::move(namespace_name),
                                      std::move(version), std::move(labels_before)});
}

SharedVersion ApiServer::new_version(const TypeState& state, json object, ManagedEntries entries) {
  MESH_ASSERT(state.api_version != nullptr);
  return make_version(std::move(object), std::move(entries), state.api_version);
}

std::uint64_t ApiServer::next_resource_version() {
  MESH_ASSERT(resource_version_ < std::numeric_limits<std::uint64_t>::max());
  resource_version_++;
  return resource_version_;
}

// A version-4-shaped UUID from the seeded Prng: unique enough for a simulation, and the same
// for the same seed and request sequence.
std::string ApiServer::new_uid() {
  const std::uint64_t high = (prng_.next() & 0xFFFF'FFFF'FFFF'0FFFULL) | 0x0000'0000'0000'4000ULL;
  const std::uint64_t low = (prng_.next() & 0x3FFF'FFFF'FFFF'FFFFULL) | 0x8000'0000'0000'0000ULL;
  constexpr char digits[] = "0123456789abcdef";
  std::string uid;
  uid.reserve(36);
  for (int nibble = 0; nibble < 32; nibble++) {
    if (nibble == 8 || nibble == 12 || nibble == 16 || nibble == 20) uid.push_back('-');
    const std::uint64_t word = nibble < 16 ? high : low;
    const int shift = 60 - 4 * (nibble % 16);
    uid.push_back(digits[(word >> shift) & 0xF]);
  }
  MESH_ASSERT(uid.size() == 36);
  return uid;
}

FieldWriter ApiServer::writer_for(const WriteOptions& options, Subresource subresource) const {
  return FieldWriter{options.field_manager.empty() ? "unknown" : options.field_manager,
                     subresource == Subresource::status, format_rfc3339(now_)};
}

}  // namespace mesh::kube_sim
