// StoredVersion: one version of a stored object as the API server keeps it. Shared by the
// store, the watch history and the watch queues, and never edited once shared.
//
// The object is kept without metadata.managedFields. They are a function of the field
// ownership (`entries`), rendered only for the calls that hand a client its own copy (get,
// list, the named write methods, poll_watch, remove, snapshot). The shared answers (write(),
// poll_watch_shared()) are the kept object itself, without them: the simulator's clients never
// read managedFields (the engine ignores them as local metadata, as client-go informers that
// strip them do), and rendering them into every version was 13.6 % of the simulator's
// instructions and half of each version's JSON nodes (docs/benchmarks.md).
#pragma once

#include <memory>
#include <string>

#include "engine/json.h"

#include "kube_sim/field_manager.h"

namespace mesh::kube_sim {

// An object as a client sees it; for the shared answers, the version's own object.
using SharedObject = std::shared_ptr<const engine::Json>;

struct StoredVersion {
  engine::Json object;     // never holds metadata.managedFields
  ManagedEntries entries;  // the field ownership; none: no metadata.managedFields
  // The type's apiVersion, rendered into every entry; non-null when there are entries.
  std::shared_ptr<const std::string> api_version;

  // The object as clients see it: with metadata.managedFields when there are entries.
  engine::Json rendered() const;
};
using SharedVersion = std::shared_ptr<const StoredVersion>;

// `object` as clients see it when `entries` own it: with metadata.managedFields rendered from
// them, unless there are none. `api_version` is needed only when there are entries.
engine::Json with_managed_fields(engine::Json object, const ManagedEntries& entries,
                                 const std::string* api_version);

// A version of `object` (which must not hold metadata.managedFields) owned by `entries`.
SharedVersion make_version(engine::Json object, ManagedEntries entries,
                           std::shared_ptr<const std::string> api_version);
// A version with no field ownership: bookmarks, errors and the end of a watch.
SharedVersion make_plain_version(engine::Json object);
// The version's object, sharing ownership of the whole version (never null).
SharedObject object_of(const SharedVersion& version);

}  // namespace mesh::kube_sim
