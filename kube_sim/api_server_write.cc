// ApiServer: the write verbs (create, update, merge patch, apply, delete) and their commit.
//
// Every write ends in one of three commits: store_new (ADDED), commit_modify (MODIFIED, or
// DELETED when the last finalizer of a deleting object goes) and erase_stored (DELETED). Each
// takes the next resourceVersion and records the change for watches; a write that changes
// nothing (same object, same ownership) is answered with the stored object and records nothing.
// Versions keep the field ownership beside the object instead of rendering it into
// metadata.managedFields (stored_version.h).
#include <algorithm>

#include "kube_sim/api_server.h"
#include "kube_sim/internal/errors.h"
#include "kube_sim/internal/object_meta.h"
#include "kube_sim/internal/request_checks.h"
#include "kube_sim/merge_patch.h"
#include "kube_sim/timestamp.h"
#include "kube_sim/validation.h"

namespace mesh::kube_sim {
namespace {

using json = ::mesh::engine::Json;
using namespace internal;

// The metadata members a client may write; everything else in metadata is the server's.
constexpr std::string_view client_metadata[] = {"labels", "annotations", "finalizers",
                                                "ownerReferences"};
// Server-owned metadata kept across updates. managedFields is not among them: stored versions
// keep the field ownership instead, and render it only for clients that read it.
constexpr std::string_view server_metadata[] = {"name",
                                                "namespace",
                                                "uid",
                                                "generation",
                                                "creationTimestamp",
                                                "deletionTimestamp",
                                                "resourceVersion",
                                                "deletionGracePeriodSeconds",
                                                "generateName"};

// The real server truncates generateName so that the name with its suffix stays a DNS label
// (maxGeneratedNameLength = 63 - 5).
constexpr std::size_t generate_name_prefix_size_max = 58;
constexpr std::size_t generate_name_suffix_size = 5;
// The alphabet of the real server's random suffixes (no vowels, no confusable digits).
constexpr std::string_view generate_name_alphabet = "bcdfghjklmnpqrstvwxz2456789";

void copy_members(const json& from, json& to, std::span<const std::string_view> members) {
  for (const std::string_view member : members) {
    const auto found = from.find(std::string(member));
    if (found != from.end()) to[std::string(member)] = *found;
  }
}

// The object a create stores: the body without status when status is a subresource (create
// cannot set it), and metadata reduced to what a client may set.
json new_object(const ResourceType& type, const json& body, const json& metadata,
                const std::string& name, std::string_view namespace_name) {
  json object = json::object();
  for (const auto& [member, value] : body.items()) {
    if (member == "metadata" || (member == "status" && type.status_subresource)) continue;
    object[member] = value;
  }
  json kept = json::object();
  kept["name"] = name;
  if (type.namespaced) kept["namespace"] = namespace_name;
  copy_members(metadata, kept, client_metadata);
  const auto generate_name = metadata.find("generateName");
  if (generate_name != metadata.end()) kept["generateName"] = *generate_name;
  object["metadata"] = std::move(kept);
  return object;
}

// PUT on the main resource: the body's content and client metadata over the stored server
// metadata; with a status subresource, the stored status stays.
json compose_main(const ResourceType& type, const json& stored, const json& body,
                  const json& metadata) {
  MESH_ASSERT(stored.contains("metadata"));
  json next = json::object();
  for (const auto& [member, value] : body.items()) {
    if (member == "metadata" || (member == "status" && type.status_subresource)) continue;
    next[member] = value;
  }
  if (type.status_subresource && stored.contains("status")) next["status"] = stored["status"];
  json kept = json::object();
  copy_members(stored["metadata"], kept, server_metadata);
  copy_members(metadata, kept, client_metadata);
  next["metadata"] = std::move(kept);
  return next;
}

// PUT on /status: the stored object with the body's status (absent status removes it).
json compose_status(const json& stored, const json& body) {
  MESH_ASSERT(stored.is_object());
  // Everything but the stored status, which the body's replaces: copying it only to destroy
  // it was a tenth of a status write.
  json next = json::object();
  for (const auto& [key, value] : stored.items()) {
    if (key == "status") continue;
    if (key != "metadata" || !value.is_object()) {
      next[key] = value;
      continue;
    }
    MESH_ASSERT(!value.contains("managedFields"));  // stored_version.h
    next[key] = value;
  }
  const auto status = body.find("status");
  if (status != body.end() && !status->is_null()) next["status"] = *status;
  return next;
}

FieldScope scope_for(const ResourceType& type, Subresource subresource) {
  if (subresource == Subresource::status) return FieldScope::status;
  return type.status_subresource ? FieldScope::object_without_status : FieldScope::object;
}

json compose(const ResourceType& type, Subresource subresource, const json& stored,
             const json& body, const json& metadata) {
  return subresource == Subresource::main ? compose_main(type, stored, body, metadata)
                                          : compose_status(stored, body);
}

ApiError apply_failure(const ResourceType& type, std::string_view name,
                       const ApplyFailure& failure) {
  if (!failure.conflicts.empty()) return apply_conflicts(type, name, failure.conflicts);
  return invalid(type, name, "", failure.invalid);
}

std::int64_t generation_of(const json& object) {
  const json& metadata = object["metadata"];
  const auto found = metadata.find("generation");
  return found != metadata.end() && found->is_number_integer() ? found->get<std::int64_t>() : 0;
}

// What a client sent as metadata.managedFields (an apply configuration may carry it) is not
// kept: versions keep the field ownership, and render it for the clients that read it.
void drop_managed_fields(json& object) {
  const auto metadata = object.find("metadata");
  if (metadata != object.end() && metadata->is_object()) metadata->erase("managedFields");
}

// No finalizer may be added to an object that is being deleted (the real server's rule, so
// that deletion always makes progress).
ApiResult<void> check_new_finalizers(const ResourceType& type, const json& stored,
                                     const json& candidate) {
  if (!is_deleting(stored)) return {};
  const json& before = finalizers_of(stored);
  std::string added;
  for (const json& finalizer : finalizers_of(candidate)) {
    if (std::find(before.begin(), before.end(), finalizer) != before.end()) continue;
    added += (added.empty() ? "" : ", ") +
             finalizer.dump(-1, ' ', false, json::error_handler_t::replace);
  }
  if (added.empty()) return {};
  return fail(invalid(type, meta_string(stored, "name"), "metadata.finalizers",
                      "Forbidden: no new finalizers can be added if the object is being "
                      "deleted, found new finalizers [" +
                          added + "]"));
}

}  // namespace

ApiResult<SharedVersion> ApiServer::write_object(const WriteRequest& request, const json& body) {
  const ObjectKey& key = request.key;
  switch (request.verb) {
    case Verb::create:
      if (request.subresource == Subresource::status) {
        return fail(bad_request("create takes the main resource, not its status subresource"));
      }
      if (!key.name.empty()) {
        return fail(bad_request("create addresses a collection: the name \"" + printable(key.name) +
                                "\" belongs in the body's metadata"));
      }
      return create_object(key.resource, key.namespace_name, body, request.options);
    case Verb::update: return update_object(key, request.subresource, body, request.options);
    case Verb::patch:
      return request.patch_type == PatchType::merge
                 ? merge_patch_object(key, request.subresource, body, request.options)
                 : apply_object(key, request.subresource, body, request.options);
    case Verb::get:
    case Verb::list:
    case Verb::watch:
    case Verb::remove: break;
  }
  return fail(bad_request("a write is a create, update or patch, not " +
                          std::string(verb_name(request.verb))));
}

ApiResult<SharedVersion> ApiServer::create_object(const GroupVersionResource& resource,
                                                  std::string_view namespace_name, const json& body,
                                                  const WriteOptions& options) {
  MESH_TRY(TypeState * state, admit(Verb::create, resource));
  const ResourceType& type = state->type;
  MESH_TRY_VOID(check_namespace_scope(type, namespace_name, false));
  MESH_TRY(const json metadata, read_body(type, body, namespace_name));
  if (!string_member(metadata, "resourceVersion").empty()) {
    return fail(bad_request("resourceVersion should not be set on objects to be created"));
  }
  const std::string ns(namespace_name);
  MESH_TRY(const std::string name, choose_name(*state, ns, metadata));
  json object = new_object(type, body, metadata, name, ns);
  const FieldWriter writer = writer_for(options, Subresource::main);
  const auto fields =
      collect_scoped_fields(object, scope_for(type, Subresource::main), type.list_rules);
  if (!fields.ok()) return fail(invalid(type, name, "", fields.error()));
  ManagedEntries entries;
  record_update(entries, {}, fields.value(), writer);
  return create_stored(*state, std::move(object), std::move(entries));
}

ApiResult<std::string> ApiServer::choose_name(TypeState& state, const std::string& namespace_name,
                                              const json& metadata) {
  const std::string name = string_member(metadata, "name");
  if (!name.empty()) return name;
  std::string prefix = string_member(metadata, "generateName");
  if (prefix.empty()) {
    return fail(invalid(state.type, "", "metadata.name",
                        "Required value: name or generateName is required"));
  }
  if (prefix.size() > generate_name_prefix_size_max) prefix.resize(generate_name_prefix_size_max);
  std::string candidate;
  for (std::size_t attempt = 0; attempt < generate_name_attempts_max; attempt++) {
    candidate = prefix;
    for (std::size_t index = 0; index < generate_name_suffix_size; index++) {
      candidate.push_back(generate_name_alphabet[prng_.below(generate_name_alphabet.size())]);
    }
    if (!state.objects.contains({namespace_name, candidate})) return candidate;
  }
  return fail(already_exists(state.type, candidate));
}

// Validation, then the namespace, then uniqueness: the order of the real server's admission
// and storage, so that an invalid object never auto-creates its namespace.
ApiResult<SharedVersion> ApiServer::create_stored(TypeState& state, json object,
                                                  ManagedEntries entries) {
  const ResourceType& type = state.type;
  MESH_TRY_VOID(validate_object(type, object));
  // A first size check before the namespace may be created; store_new checks the final size.
  MESH_TRY_VOID(check_size(type, object));
  const std::string namespace_name = meta_string(object, "namespace");
  const std::string name = meta_string(object, "name");
  MESH_TRY_VOID(ensure_namespace(type, namespace_name, name));
  if (state.objects.contains({namespace_name, name})) return fail(already_exists(type, name));
  return store_new(state, std::move(object), std::move(entries));
}

ApiResult<SharedVersion> ApiServer::store_new(TypeState& state, json object,
                                              ManagedEntries entries) {
  const ResourceType& type = state.type;
  if (object_count_ >= objects_max) {
    return fail(internal_error("cannot store " + type.qualified_resource() + " \"" +
                               printable(meta_string(object, "name")) +
                               "\": objects_max=" + std::to_string(objects_max) +
                               " objects are stored (storage quota exhausted)"));
  }
  // Before `metadata` is taken: inserting a member moves its siblings (engine/json.h).
  if (is_namespace_type(type)) object["status"] = {{"phase", "Active"}};
  json& metadata = object["metadata"];
  metadata["uid"] = new_uid();
  metadata["creationTimestamp"] = format_rfc3339(now_);
  metadata["generation"] = 1;
  // Sized with the version it is about to get, so a refused write leaves no gap in versions.
  metadata["resourceVersion"] = std::to_string(resource_version_ + 1);
  drop_managed_fields(object);
  MESH_TRY_VOID(check_size(type, object, entries, state.api_version));
  next_resource_version();
  const NamespacedName key{meta_string(object, "namespace"), meta_string(object, "name")};
  MESH_ASSERT(!state.objects.contains(key));
  const auto [found, inserted] =
      state.objects.emplace(key, Stored(new_version(state, std::move(object), std::move(entries))));
  MESH_ASSERT(inserted);
  object_count_++;
  record(state, WatchEventType::added, found->second.version(), json());
  return found->second.version();
}

ApiResult<void> ApiServer::ensure_namespace(const ResourceType& type,
                                            const std::string& namespace_name,
                                            const std::string& name) {
  if (!type.namespaced) return {};
  TypeState* namespaces = find_state(namespace_type().resource());
  if (namespaces == nullptr) return {};  // this server does not model namespaces
  const auto found = namespaces->objects.find({"", namespace_name});
  if (found != namespaces->objects.end()) {
    if (!is_deleting(found->second.object())) return {};
    return fail(forbidden(type, name,
                          "unable to create new content in namespace " + printable(namespace_name) +
                              " because it is being terminated"));
  }
  if (!options_.auto_create_namespaces) return fail(not_found(namespaces->type, namespace_name));
  const auto valid = check_dns1123_label(namespace_name);
  if (!valid.ok()) {
    return fail(invalid(namespaces->type, namespace_name, "metadata.name", valid.error()));
  }
  json object = {
      {"apiVersion", "v1"}, {"kind", "Namespace"}, {"metadata", {{"name", namespace_name}}}};
  MESH_TRY_VOID(store_new(*namespaces, std::move(object), ManagedEntries{}));
  MESH_ASSERT(namespaces->objects.contains({"", namespace_name}));
  return {};
}

ApiResult<ApiServer::TypeState*> ApiServer::admit_object_write(Verb verb, const ObjectKey& key,
                                                               Subresource subresource) {
  MESH_TRY(TypeState * state, admit(verb, key.resource));
  MESH_TRY_VOID(check_object_key(state->type, key));
  MESH_TRY_VOID(check_subresource(state->type, subresource));
  return state;
}

ApiResult<SharedVersion> ApiServer::update_object(const ObjectKey& key, Subresource subresource,
                                                  const json& body, const WriteOptions& options) {
  MESH_TRY(TypeState * state, admit_object_write(Verb::update, key, subresource));
  const ResourceType& type = state->type;
  MESH_TRY(const json metadata, read_body(type, body, key.namespace_name));
  MESH_TRY_VOID(check_body_name(key, metadata));
  MESH_TRY(const ObjectMap::iterator found, find_object(*state, key));
  MESH_TRY_VOID(take_injected_conflict(*state, key, found));
  MESH_TRY_VOID(check_body_preconditions(type, key, found->second.object(), metadata));
  json candidate = compose(type, subresource, found->second.object(), body, metadata);
  return commit_update(*state, found, std::move(candidate), writer_for(options, subresource),
                       scope_for(type, subresource));
}

// A merge patch is applied to the stored object and the result is then treated like a PUT
// body: a resourceVersion the patch sets is a precondition, and what the subresource may not
// change is taken from the stored object.
ApiResult<SharedVersion> ApiServer::merge_patch_object(const ObjectKey& key,
                                                       Subresource subresource, const json& patch,
                                                       const WriteOptions& options) {
  MESH_TRY(TypeState * state, admit_object_write(Verb::patch, key, subresource));
  const ResourceType& type = state->type;
  if (!patch.is_object()) return fail(bad_request("a merge patch must be a JSON object"));
  const auto shape = check_json_shape(patch);
  if (!shape.ok()) return fail(bad_request("malformed patch: " + shape.error()));
  MESH_TRY(const ObjectMap::iterator found, find_object(*state, key));
  MESH_TRY_VOID(take_injected_conflict(*state, key, found));
  const json patched = merge_patched(found->second.object(), patch);
  MESH_TRY(const json metadata, read_body(type, patched, key.namespace_name));
  MESH_TRY_VOID(check_body_name(key, metadata));
  MESH_TRY_VOID(check_body_preconditions(type, key, found->second.object(), metadata));
  json candidate = compose(type, subresource, found->second.object(), patched, metadata);
  return commit_update(*state, found, std::move(candidate), writer_for(options, subresource),
                       scope_for(type, subresource));
}

ApiResult<SharedVersion> ApiServer::apply_object(const ObjectKey& key, Subresource subresource,
                                                 const json& body, const WriteOptions& options) {
  MESH_TRY(TypeState * state, admit_object_write(Verb::patch, key, subresource));
  const ResourceType& type = state->type;
  if (options.field_manager.empty()) {
    return fail(bad_request("PATCH " + type.qualified_resource() + " \"" + printable(key.name) +
                            "\": fieldManager is required for apply requests"));
  }
  MESH_TRY(const json metadata, read_body(type, body, key.namespace_name));
  if (!string_member(metadata, "name").empty()) MESH_TRY_VOID(check_body_name(key, metadata));
  const FieldScope scope = scope_for(type, subresource);
  json configuration = body;
  strip_nulls(configuration);
  configuration = scoped(configuration, scope);
  const FieldWriter writer = writer_for(options, subresource);
  const auto found = state->objects.find({key.namespace_name, key.name});
  if (found == state->objects.end()) {
    if (subresource == Subresource::status || !string_member(metadata, "resourceVersion").empty()) {
      return fail(not_found(type, key.name));
    }
    return apply_create(*state, key, configuration, writer, options.force);
  }
  MESH_TRY_VOID(take_injected_conflict(*state, key, found));
  MESH_TRY_VOID(check_body_preconditions(type, key, found->second.object(), metadata));
  auto output = apply_configuration(ApplyInput{.live = found->second.object(),
                                               .entries = found->second.entries(),
                                               .configuration = configuration,
                                               .scope = scope,
                                               .rules = type.list_rules,
                                               .writer = writer,
                                               .force = options.force});
  if (!output.ok()) return fail(apply_failure(type, key.name, output.error()));
  MESH_TRY_VOID(validate_object(type, output->object));
  return commit_modify(*state, found, std::move(output->object), std::move(output->entries));
}

ApiResult<SharedVersion> ApiServer::apply_create(TypeState& state, const ObjectKey& key,
                                                 const json& configuration,
                                                 const FieldWriter& writer, bool force) {
  const ResourceType& type = state.type;
  json skeleton = {
      {"apiVersion", type.api_version()}, {"kind", type.kind}, {"metadata", {{"name", key.name}}}};
  if (type.namespaced) skeleton["metadata"]["namespace"] = key.namespace_name;
  const ManagedEntries none;
  auto output = apply_configuration(ApplyInput{.live = skeleton,
                                               .entries = none,
                                               .configuration = configuration,
                                               .scope = scope_for(type, Subresource::main),
                                               .rules = type.list_rules,
                                               .writer = writer,
                                               .force = force});
  if (!output.ok()) return fail(apply_failure(type, key.name, output.error()));
  return create_stored(state, std::move(output->object), std::move(output->entries));
}

ApiResult<SharedVersion> ApiServer::commit_update(TypeState& state, ObjectMap::iterator found,
                                                  json candidate, const FieldWriter& writer,
                                                  FieldScope scope) {
  const ResourceType& type = state.type;
  MESH_TRY_VOID(validate_object(type, candidate));
  auto after = collect_scoped_fields(candidate, scope, type.list_rules);
  if (!after.ok()) return fail(invalid(type, found->first.second, "", after.error()));
  Stored& stored = found->second;
  const std::string version = meta_string(stored.object(), "resourceVersion");
  const bool cached = stored.fields_cache.has_value() && stored.fields_cache->scope == scope &&
                      stored.fields_cache->resource_version == version;
  if (!cached) {
    auto before = collect_scoped_fields(stored.object(), scope, type.list_rules);
    // Stored objects were validated when written, so their fields always collect.
    MESH_ASSERT(before.ok());
    stored.fields_cache = FieldsCache{version, scope, std::move(before).value()};
  }
  MESH_ASSERT(stored.fields_cache.has_value());
  ManagedEntries entries = stored.entries();
  record_update(entries, stored.fields_cache->fields, after.value(), writer);
  return commit_modify(state, found, std::move(candidate), std::move(entries),
                       FieldsCache{"", scope, std::move(after).value()});
}

ApiResult<SharedVersion> ApiServer::commit_modify(TypeState& state, ObjectMap::iterator found,
                                                  json candidate, ManagedEntries entries,
                                                  std::optional<FieldsCache> fields) {
  const ResourceType& type = state.type;
  Stored& stored = found->second;
  MESH_TRY_VOID(check_new_finalizers(type, stored.object(), candidate));
  if (spec_changed(type, stored.object(), candidate)) {
    candidate["metadata"]["generation"] = generation_of(stored.object()) + 1;
  }
  drop_managed_fields(candidate);
  // A no-op write changes nothing. The ownership is compared first: it is smaller, and a
  // rendering of managedFields is a function of it alone.
  if (entries == stored.entries() && candidate == stored.object()) return stored.version();
  candidate["metadata"]["resourceVersion"] = std::to_string(resource_version_ + 1);
  MESH_TRY_VOID(check_size(type, candidate, entries, state.api_version));
  next_resource_version();
  // A namespace outlives its last finalizer until its content is gone.
  const bool holds_content = is_namespace_type(type) && namespace_has_objects(found->first.second);
  if (is_deleting(candidate) && finalizers_of(candidate).empty() && !holds_content) {
    const std::string namespace_name = found->first.first;
    SharedVersion last = erase_stored(state, found, std::move(candidate), std::move(entries));
    (void)finish_namespace_if_empty(namespace_name);
    return last;
  }
  json labels_before = labels_of(stored.object());
  stored.set(new_version(state, std::move(candidate), std::move(entries)));
  // What changed since the fields were collected (generation, managedFields, resourceVersion)
  // is server metadata, which field sets do not track: they are the stored object's.
  stored.fields_cache = std::move(fields);
  if (stored.fields_cache.has_value()) {
    stored.fields_cache->resource_version = meta_string(stored.object(), "resourceVersion");
  }
  record(state, WatchEventType::modified, stored.version(), std::move(labels_before));
  return stored.version();
}

// The competing writer rewrites the object unchanged. Unlike a real no-op update (which the
// real server short-circuits) this moves resourceVersion and emits MODIFIED, which is what a
// client racing a real competitor observes.
ApiResult<void> ApiServer::take_injected_conflict(TypeState& state, const ObjectKey& key,
                                                  ObjectMap::iterator found) {
  const std::optional<ConflictInjection> injection = faults_.take_conflict(key);
  if (!injection.has_value()) return {};
  if (injection->competing_write) {
    json object = found->second.object();
    object["metadata"]["resourceVersion"] = std::to_string(next_resource_version());
    json labels = labels_of(object);
    found->second.set(new_version(state, std::move(object), found->second.entries()));
    record(state, WatchEventType::modified, found->second.version(), std::move(labels));
  }
  return fail(conflict_modified(state.type, key.name));
}

ApiResult<DeleteOutcome> ApiServer::remove_object(const ObjectKey& key,
                                                  const DeleteOptions& options) {
  MESH_TRY(TypeState * state, admit(Verb::remove, key.resource));
  const ResourceType& type = state->type;
  MESH_TRY_VOID(check_object_key(type, key));
  MESH_TRY(const ObjectMap::iterator found, find_object(*state, key));
  MESH_TRY_VOID(take_injected_conflict(*state, key, found));
  const json& object = found->second.object();
  const std::string uid = meta_string(object, "uid");
  if (!options.uid.empty() && options.uid != uid) {
    return fail(conflict_precondition(type, key.name, "UID", options.uid, uid));
  }
  const std::string version = meta_string(object, "resourceVersion");
  if (!options.resource_version.empty() && options.resource_version != version) {
    return fail(conflict_precondition(type, key.name, "ResourceVersion", options.resource_version,
                                      version));
  }
  if (is_deleting(object)) return DeleteOutcome{found->second.version()->rendered(), false};
  if (is_namespace_type(type)) return delete_namespace(*state, found);
  DeleteOutcome outcome = delete_stored(*state, found);
  if (outcome.removed) (void)finish_namespace_if_empty(key.namespace_name);
  return outcome;
}

DeleteOutcome ApiServer::delete_stored(TypeState& state, ObjectMap::iterator found) {
  if (!finalizers_of(found->second.object()).empty()) {
    return DeleteOutcome{mark_deleting(state, found)->rendered(), false};
  }
  json last = found->second.object();
  last["metadata"]["resourceVersion"] = std::to_string(next_resource_version());
  ManagedEntries entries = found->second.entries();
  return DeleteOutcome{erase_stored(state, found, std::move(last), std::move(entries))->rendered(),
                       true};
}

// The namespace controller's job, done at once: the namespace turns Terminating, its content
// is deleted (objects with finalizers wait for them), and it goes when it is empty.
DeleteOutcome ApiServer::delete_namespace(TypeState& state, ObjectMap::iterator found) {
  const std::string name = found->first.second;
  if (!namespace_has_objects(name)) return delete_stored(state, found);
  json marked = mark_deleting(state, found)->rendered();
  for (TypeState& content : types_) {
    if (!content.type.namespaced) continue;
    std::vector<NamespacedName> keys;
    for (auto item = content.objects.lower_bound({name, ""});
         item != content.objects.end() && item->first.first == name; ++item) {
      if (!is_deleting(item->second.object())) keys.push_back(item->first);
    }
    for (const NamespacedName& key : keys) (void)delete_stored(content, content.objects.find(key));
  }
  std::optional<json> last = finish_namespace_if_empty(name);
  if (last.has_value()) return DeleteOutcome{std::move(*last), true};
  return DeleteOutcome{std::move(marked), false};
}

SharedVersion ApiServer::mark_deleting(TypeState& state, ObjectMap::iterator found) {
  Stored& stored = found->second;
  MESH_ASSERT(!is_deleting(stored.object()));
  json labels_before = labels_of(stored.object());
  json object = stored.object();
  // Before `metadata` is taken: inserting a member moves its siblings (engine/json.h).
  if (is_namespace_type(state.type)) {
    json& status = object["status"];
    if (!status.is_object()) status = json::object();  // /status writes may have replaced it
    status["phase"] = "Terminating";
  }
  json& metadata = object["metadata"];
  metadata["deletionTimestamp"] = format_rfc3339(now_);
  metadata["deletionGracePeriodSeconds"] = 0;
  // The real server bumps generation when it sets deletionTimestamp, so controllers that
  // watch generation notice the deletion.
  metadata["generation"] = generation_of(stored.object()) + 1;
  metadata["resourceVersion"] = std::to_string(next_resource_version());
  stored.set(new_version(state, std::move(object), stored.entries()));
  record(state, WatchEventType::modified, stored.version(), std::move(labels_before));
  MESH_ASSERT(is_deleting(stored.object()));
  return stored.version();
}

SharedVersion ApiServer::erase_stored(TypeState& state, ObjectMap::iterator found, json last,
                                      ManagedEntries entries) {
  MESH_ASSERT(object_count_ > 0);
  MESH_ASSERT(meta_string(last, "resourceVersion") == std::to_string(resource_version_));
  state.objects.erase(found);
  object_count_--;
  SharedVersion version = new_version(state, std::move(last), std::move(entries));
  record(state, WatchEventType::deleted, version, json());
  return version;
}

std::optional<json> ApiServer::finish_namespace_if_empty(const std::string& namespace_name) {
  if (namespace_name.empty()) return std::nullopt;
  TypeState* namespaces = find_state(namespace_type().resource());
  if (namespaces == nullptr) return std::nullopt;
  const auto found = namespaces->objects.find({"", namespace_name});
  if (found == namespaces->objects.end()) return std::nullopt;
  const json& object = found->second.object();
  if (!is_deleting(object) || !finalizers_of(object).empty()) return std::nullopt;
  if (namespace_has_objects(namespace_name)) return std::nullopt;
  json last = object;
  last["metadata"]["resourceVersion"] = std::to_string(next_resource_version());
  ManagedEntries entries = found->second.entries();
  return erase_stored(*namespaces, found, std::move(last), std::move(entries))->rendered();
}

bool ApiServer::namespace_has_objects(const std::string& namespace_name) const {
  return std::any_of(types_.begin(), types_.end(), [&](const TypeState& state) {
    if (!state.type.namespaced) return false;
    const auto first = state.objects.lower_bound({namespace_name, ""});
    return first != state.objects.end() && first->first.first == namespace_name;
  });
}

}  // namespace mesh::kube_sim
