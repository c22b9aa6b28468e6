// ApiServer: a deterministic, in-memory Kubernetes API server, one per simulated cluster.
//
// Requests (get, list, create, update, patch, apply, remove, watch) return the object or an
// ApiError with the Status the real server would send. Every write takes the next value of one
// cluster-wide resourceVersion counter; watch events queue per watch and are drained with
// poll_watch(). Time enters only through set_time(), randomness only from a Prng seeded by
// Options::seed: equal call sequences give equal results bit for bit. No authentication,
// admission webhooks, CRD schema validation, owner GC or pagination (see docs/kube_sim.md).
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "engine/json.h"

#include "engine/assert.h"
#include "engine/result.h"
#include "engine/time.h"
#include "kube_sim/faults.h"
#include "kube_sim/field_manager.h"
#include "kube_sim/limits.h"
#include "kube_sim/prng.h"
#include "kube_sim/requests.h"
#include "kube_sim/resource.h"
#include "kube_sim/status.h"
#include "kube_sim/stored_version.h"
#include "kube_sim/watch.h"

namespace mesh::kube_sim {

enum class OptionsError : std::uint8_t { out_of_range };

struct Options {
  // Seeds uids, generateName suffixes and the dice of probabilistic faults.
  std::uint64_t seed = 0;
  // Creating a namespaced object in a missing namespace creates the namespace first (ADDED on
  // namespace watches, its own resourceVersion) instead of failing with 404. On by default so
  // that scenarios need not create namespaces; turn it off to test namespace handling.
  bool auto_create_namespaces = true;
  // Registers builtin_types() at construction.
  bool builtin_types = true;
  // Changes retained per type for watch replay; at most kube_sim::watch_history_max. 100, like
  // kube-apiserver's --default-watch-cache-size: a watch resumed from further back gets 410
  // Gone and relists, as against a real server whose watch cache has moved on.
  std::size_t watch_history_max = 100;
  // Events queued per watch before it is terminated; at most kube_sim::watch_queue_events_max.
  std::size_t watch_queue_events_max = 10'000;
  // When positive, set_time() emits bookmarks once this much wall time has passed since the
  // last scheduled ones. Zero: bookmarks only on emit_bookmarks().
  Duration bookmark_interval = Duration::zero();

  Result<void, Error<OptionsError>> validate() const;
};

class ApiServer {
 public:
  // `options` must pass validate().
  explicit ApiServer(Options options);

  // Serves a new type (what installing a CRD does). Fails on a duplicate or malformed type.
  ApiResult<void> register_type(ResourceType type);
  const ResourceType* find_type(const GroupVersionResource& resource) const;
  std::vector<ResourceType> types() const;

  // The wall time written into creationTimestamp, deletionTimestamp and managedFields. It may
  // jump in either direction (clock faults); resourceVersions never depend on it.
  void set_time(WallTime now);
  WallTime time() const { return now_; }

  ApiResult<engine::Json> get(const ObjectKey& key);
  // The same read, answered like write(): the stored version's own object, without
  // metadata.managedFields, for clients that only read it.
  ApiResult<SharedObject> get_shared(const ObjectKey& key);
  ApiResult<ObjectList> list(const ListRequest& request);
  // POST: `object` needs apiVersion, kind and metadata.name or metadata.generateName.
  ApiResult<engine::Json> create(const GroupVersionResource& resource,
                                 std::string_view namespace_name, const engine::Json& object,
                                 const WriteOptions& options = {});
  // PUT. A metadata.resourceVersion in `object` must match the stored one (409 otherwise).
  // With a status subresource, status in `object` is ignored.
  ApiResult<engine::Json> update(const ObjectKey& key, const engine::Json& object,
                                 const WriteOptions& options = {});
  // PUT /status: only status is taken from `object`.
  ApiResult<engine::Json> update_status(const ObjectKey& key, const engine::Json& object,
                                        const WriteOptions& options = {});
  // PATCH with a merge patch or an apply configuration (which creates a missing object).
  ApiResult<engine::Json> patch(const ObjectKey& key, PatchType type, const engine::Json& body,
                                const WriteOptions& options = {});
  ApiResult<engine::Json> patch_status(const ObjectKey& key, PatchType type,
                                       const engine::Json& body, const WriteOptions& options = {});
  // Server-side apply: patch(key, PatchType::apply, ...). options.field_manager is required.
  ApiResult<engine::Json> apply(const ObjectKey& key, const engine::Json& configuration,
                                const WriteOptions& options);
  ApiResult<engine::Json> apply_status(const ObjectKey& key, const engine::Json& configuration,
                                       const WriteOptions& options);
  // One create, update or patch as a driver forwards it (the simulator's engines and
  // controllers), answered with the stored version's own object (never null, without
  // metadata.managedFields: stored_version.h) instead of a copy; the named methods above are
  // this plus a copy with managedFields. A write that removes the object (the last finalizer of
  // a deleting object gone) answers with its last state.
  ApiResult<SharedObject> write(const WriteRequest& request, const engine::Json& body);
  // DELETE. With finalizers the object only gets deletionTimestamp; it goes once an update
  // removes the last finalizer. Deleting a namespace deletes its content first.
  ApiResult<DeleteOutcome> remove(const ObjectKey& key, const DeleteOptions& options = {});

  ApiResult<WatchId> watch(const WatchRequest& request);
  // The next event of a watch, nullopt when none is queued, or CLOSED once the server ended
  // the watch (after its last queued event); CLOSED repeats for a watch that is gone.
  std::optional<WatchEvent> poll_watch(WatchId id);
  // The same event, its object shared with the store rather than copied (and so without
  // metadata.managedFields, like write()'s answer).
  std::optional<SharedWatchEvent> poll_watch_shared(WatchId id);
  // The client closes a watch; nothing more is delivered.
  void stop_watch(WatchId id);
  // Queues a BOOKMARK at the current resourceVersion on every watch that allows bookmarks.
  void emit_bookmarks();

  // Faults (see faults.h).
  void drop_watch(WatchId id, WatchDrop how = WatchDrop::close);
  void drop_all_watches(WatchDrop how = WatchDrop::close);
  // Forgets all watch history: watches from any older resourceVersion get 410 Gone.
  void compact_history();
  Result<void, Error<FaultError>> add_failure_rule(const FailureRule& rule);
  void clear_failure_rules();
  Result<void, Error<FaultError>> inject_conflict(const ConflictInjection& injection);
  // Forgets injected conflicts not yet consumed.
  void clear_injected_conflicts();
  // Every request fails with 503 until resume(); open watches stay open and quiet.
  void pause();
  void resume();
  bool paused() const;

  // Inspection for checkers: no faults apply and nothing is counted.
  std::vector<engine::Json> snapshot(const GroupVersionResource& resource) const;
  // The same, the stored versions' own objects (without metadata.managedFields).
  std::vector<SharedObject> snapshot_shared(const GroupVersionResource& resource) const;
  std::uint64_t resource_version() const { return resource_version_; }
  std::size_t object_count() const { return object_count_; }
  std::size_t watch_count() const { return watches_.watch_count(); }
  std::vector<RequestCount> request_counts() const;
  std::uint64_t request_count(Verb verb, int http_code) const;

 private:
  using NamespacedName = std::pair<std::string, std::string>;  // (namespace, name)

  // The fields of a stored object in one scope at one resourceVersion: the previous write
  // collected them as its "after", so the next write in that scope need not collect its
  // "before" again. Every write moves resourceVersion, so a stale cache is never used.
  struct FieldsCache {
    std::string resource_version;
    FieldScope scope = FieldScope::object;
    FieldValues fields;
  };
  class Stored {
   public:
    explicit Stored(SharedVersion version) { set(std::move(version)); }
    // The current version (stored_version.h), shared with the watch history and the
    // watches, so a write replaces it (set) and never edits it.
    const SharedVersion& version() const { return version_; }
    const engine::Json& object() const { return version_->object; }
    const ManagedEntries& entries() const { return version_->entries; }
    void set(SharedVersion version) {
      MESH_ASSERT(version != nullptr);
      version_ = std::move(version);
    }

    std::optional<FieldsCache> fields_cache;

   private:
    SharedVersion version_;  // never null
  };
  using ObjectMap = std::map<NamespacedName, Stored>;

  struct TypeState {
    ResourceType type;
    std::size_t index = 0;  // in types_ and in the watch hub's histories
    ObjectMap objects;      // sorted by namespace, then name
    // type.api_version(), shared by every version of the type's objects (never null).
    std::shared_ptr<const std::string> api_version;
  };

  // Admission and request shape.
  ApiResult<TypeState*> admit(Verb verb, const GroupVersionResource& resource);
  // admit() plus the checks every write to one object makes: its key and its subresource.
  ApiResult<TypeState*> admit_object_write(Verb verb, const ObjectKey& key,
                                           Subresource subresource);
  TypeState* find_state(const GroupVersionResource& resource);
  const TypeState* find_state(const GroupVersionResource& resource) const;
  ApiResult<ObjectMap::iterator> find_object(TypeState& state, const ObjectKey& key);
  void count_request(Verb verb, int http_code);

  // Verbs.
  ApiResult<SharedVersion> get_object(const ObjectKey& key);
  // snapshot() and snapshot_shared(): every current version of a type, by namespace and name.
  std::vector<SharedVersion> stored_versions(const GroupVersionResource& resource) const;
  // get() and get_shared(): get_object, counted.
  ApiResult<SharedVersion> get_shared_version(const ObjectKey& key);
  // write() and the named write methods: write_object, counted.
  ApiResult<SharedVersion> write_counted(const WriteRequest& request, const engine::Json& body);
  ApiResult<SharedVersion> write_object(const WriteRequest& request, const engine::Json& body);
  ApiResult<ObjectList> list_objects(const ListRequest& request);
  ApiResult<SharedVersion> create_object(const GroupVersionResource& resource,
                                         std::string_view namespace_name, const engine::Json& body,
                                         const WriteOptions& options);
  ApiResult<SharedVersion> update_object(const ObjectKey& key, Subresource subresource,
                                         const engine::Json& body, const WriteOptions& options);
  ApiResult<SharedVersion> merge_patch_object(const ObjectKey& key, Subresource subresource,
                                              const engine::Json& patch,
                                              const WriteOptions& options);
  ApiResult<SharedVersion> apply_object(const ObjectKey& key, Subresource subresource,
                                        const engine::Json& body, const WriteOptions& options);
  ApiResult<SharedVersion> apply_create(TypeState& state, const ObjectKey& key,
                                        const engine::Json& configuration,
                                        const FieldWriter& writer, bool force);
  ApiResult<DeleteOutcome> remove_object(const ObjectKey& key, const DeleteOptions& options);
  ApiResult<WatchId> open_watch(const WatchRequest& request);

  // Writes.
  ApiResult<SharedVersion> create_stored(TypeState& state, engine::Json object,
                                         ManagedEntries entries);
  ApiResult<SharedVersion> store_new(TypeState& state, engine::Json object, ManagedEntries entries);
  ApiResult<void> ensure_namespace(const ResourceType& type, const std::string& namespace_name,
                                   const std::string& name);
  ApiResult<std::string> choose_name(TypeState& state, const std::string& namespace_name,
                                     const engine::Json& metadata);
  ApiResult<SharedVersion> commit_update(TypeState& state, ObjectMap::iterator found,
                                         engine::Json candidate, const FieldWriter& writer,
                                         FieldScope scope);
  // `fields`: the candidate's fields in their scope, kept as the stored object's cache.
  ApiResult<SharedVersion> commit_modify(TypeState& state, ObjectMap::iterator found,
                                         engine::Json candidate, ManagedEntries entries,
                                         std::optional<FieldsCache> fields = std::nullopt);
  ApiResult<void> take_injected_conflict(TypeState& state, const ObjectKey& key,
                                         ObjectMap::iterator found);
  DeleteOutcome delete_stored(TypeState& state, ObjectMap::iterator found);
  DeleteOutcome delete_namespace(TypeState& state, ObjectMap::iterator found);
  SharedVersion mark_deleting(TypeState& state, ObjectMap::iterator found);
  // Removes the object; `last` is its final state, owned by `entries`, which the DELETED event
  // carries.
  SharedVersion erase_stored(TypeState& state, ObjectMap::iterator found, engine::Json last,
                             ManagedEntries entries);
  std::optional<engine::Json> finish_namespace_if_empty(const std::string& namespace_name);
  bool namespace_has_objects(const std::string& namespace_name) const;
  void record(TypeState& state, WatchEventType type, SharedVersion version,
              engine::Json labels_before);
  SharedVersion new_version(const TypeState& state, engine::Json object, ManagedEntries entries);
  std::uint64_t next_resource_version();
  std::string new_uid();
  FieldWriter writer_for(const WriteOptions& options, Subresource subresource) const;

  Options options_;
  Prng prng_;
  WatchHub watches_;
  FaultState faults_;
  std::vector<TypeState> types_;  // registration order, at most types_max
  // The last resourceVersion handed out; starts at 1 like a fresh etcd, so the first write
  // gets 2 and "0" is never a real version.
  std::uint64_t resource_version_ = 1;
  std::size_t object_count_ = 0;  // across types, at most objects_max
  WallTime now_;
  std::optional<WallTime> last_bookmark_;  // when set_time() last emitted scheduled bookmarks
  // Requests by (verb, HTTP code): at most verb_count × the few codes the server returns.
  std::map<std::pair<Verb, int>, std::uint64_t> request_counts_;
};

}  // namespace mesh::kube_sim
